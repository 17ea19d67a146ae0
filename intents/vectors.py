"""A dense channel from chiVe word vectors (``intents/data/vectors.npz``, see NOTICE there).

Texts become IDF-weighted sums of unit word vectors over the analyzer's content words, with the
collection's first principal component removed (it mostly encodes "this is a sentence of a
city FAQ") and normalised; the similarity of a query to an entry is the cosine. The same table
suggests query expansions: the nearest indexed words of each query word, looked up in a table
computed when the index is built (one row per distinct vector, so any word with a vector).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

VECTORS_FILE = Path(__file__).resolve().parent / "data" / "vectors.npz"
Matrix = npt.NDArray[np.float32]
# Candidate neighbours are found in float32 this far below the threshold, then checked exactly.
_SLACK = 1e-3


@dataclass(frozen=True)
class WordVectors:
    row_of: dict[str, int]
    unit: Matrix  # one unit-length row per distinct vector

    @classmethod
    def load(cls, path: Path = VECTORS_FILE) -> WordVectors | None:
        if not path.exists():
            return None
        return _load(path)

    def get(self, word: str) -> Matrix | None:
        row = self.row_of.get(word)
        return None if row is None else self.unit[row]


@lru_cache(maxsize=2)
def _load(path: Path) -> WordVectors:
    with np.load(path) as data:
        words = str(data["words"]).split("\n")
        rows = data["rows"]
        vectors = data["vectors"].astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return WordVectors(dict(zip(words, map(int, rows), strict=True)), vectors / norms)


class DenseIndex:
    """Entry embeddings (questions, and questions + ``answer_weight`` × answer)."""

    def __init__(
        self,
        vectors: WordVectors,
        idf: Callable[[str], float],
        questions: Sequence[Sequence[str]],
        answers: Sequence[Sequence[str]],
        vocabulary: Sequence[str],
        answer_weight: float = 0.3,
        neighbours: tuple[int, float] | None = None,
        previous: DenseIndex | None = None,
    ) -> None:
        """``neighbours`` = (k, threshold): the nearest-word searches to precompute; their
        table is taken from ``previous`` when it was built from the same words and vectors
        (an entry's answer edited)."""
        self.vectors = vectors
        self.idf = idf
        dims = vectors.unit.shape[1]
        seen: dict[str, tuple[int, float] | None] = {}  # a collection repeats its words
        q = np.stack([self._raw(t, seen) for t in questions]) if questions else np.zeros((0, dims))
        a = np.stack([self._raw(t, seen) for t in answers]) if answers else np.zeros((0, dims))
        both = q + answer_weight * a
        # First principal component of the entries' embeddings: common to all, removed.
        sample = np.vstack([q, both])
        self.component = np.zeros(dims, dtype=np.float32)
        if len(sample) > 1:
            _, _, vt = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
            self.component = vt[0].astype(np.float32)
        # Row d: the questions' embedding, then that of questions + answer (one gather a query).
        self.entries = np.hstack([self._finish(q), self._finish(both)])
        known = [w for w in vocabulary if w in vectors.row_of]
        self.words = known
        self.word_matrix: Matrix = (
            vectors.unit[[vectors.row_of[w] for w in known]]
            if known
            else np.zeros((0, dims), dtype=np.float32)
        )
        self.nearest_for = neighbours
        if not neighbours:
            self.nearest = np.zeros((0, 0), dtype=np.int32)
        elif (
            previous is not None
            and previous.vectors is vectors
            and previous.nearest_for == neighbours
            and previous.words == known
        ):
            self.nearest = previous.nearest
        else:
            self.nearest = self._nearest_table(*neighbours)

    def _nearest_table(self, k: int, threshold: float, block: int = 2048) -> Any:
        """For every vector row, the k + 1 indexed words nearest to it (``_nearest``; k + 1
        because the word searched for is left out of its own neighbours; -1: none)."""
        unit = self.vectors.unit
        table = np.full((unit.shape[0], k + 1), -1, dtype=np.int32)
        for start in range(0, unit.shape[0], block):
            sims = unit[start : start + block] @ self.word_matrix.T
            rows, cols = np.nonzero(sims >= threshold - _SLACK)
            rows, cols, rank = self._nearest(rows + start, cols, k + 1, threshold)
            table[rows, rank] = cols
        return table

    def _nearest(self, rows: Any, cols: Any, k: int, threshold: float) -> tuple[Any, Any, Any]:
        """Of candidate pairs (vector row, indexed word) found in float32, those at cosine >=
        threshold, the k nearest per row: (rows, words, rank within the row).

        The cosine is recomputed per pair in float64 and rounded to 1e-9, so a table built in
        blocks and a search for one word agree to the bit: the order and the threshold do not
        depend on how BLAS summed a float32 product. Ties come in vocabulary order.
        """
        exact = np.einsum(
            "ij,ij->i",
            self.vectors.unit[rows].astype(np.float64),
            self.word_matrix[cols].astype(np.float64),
        ).round(9)
        above = exact >= threshold
        rows, cols, exact = rows[above], cols[above], exact[above]
        order = np.lexsort((cols, -exact, rows))
        rows, cols = rows[order], cols[order]
        rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
        keep = rank < k
        return rows[keep], cols[keep], rank[keep]

    def _raw(
        self, words: Sequence[str], known: dict[str, tuple[int, float] | None] | None = None
    ) -> Matrix:
        """IDF-weighted sum of the word vectors; ``known`` remembers rows and IDFs (a build)."""
        pairs: list[tuple[int, float]] = []
        for word in words:
            if known is not None and word in known:
                found = known[word]
            else:
                row = self.vectors.row_of.get(word)
                found = None if row is None else (row, self.idf(word))
                if known is not None:
                    known[word] = found
            if found is not None:
                pairs.append(found)
        if not pairs:
            return np.zeros(self.vectors.unit.shape[1], dtype=np.float32)
        weights = np.asarray([weight for _, weight in pairs], dtype=np.float32)
        total: Matrix = weights @ self.vectors.unit[[row for row, _ in pairs]]
        return total

    def _finish(self, m: Any) -> Matrix:
        m = np.asarray(m, dtype=np.float32)
        if m.ndim == 1:
            m = m - (m @ self.component) * self.component
            n = float(np.linalg.norm(m))
            single: Matrix = m / n if n else m
            return single
        m = m - np.outer(m @ self.component, self.component)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        result: Matrix = np.asarray(m / norms, dtype=np.float32)
        return result

    def similarity(self, words: Sequence[str], docs: npt.NDArray[np.intp]) -> Matrix:
        """max(cos with questions, cos with questions + answer) for each of ``docs``."""
        query = self._finish(self._raw(words))
        if not query.any():
            return np.zeros(len(docs), dtype=np.float32)
        sims = self.entries[docs].reshape(len(docs), 2, query.size) @ query
        best: Matrix = sims.max(axis=1)
        return best

    def neighbours_of(
        self, words: Sequence[str], k: int = 5, threshold: float = 0.6
    ) -> list[list[str]]:
        """Up to k indexed words nearest to each word with cosine >= threshold (itself excluded).

        Read from the table built with the index when it was built for (k, threshold);
        searched otherwise (``search_neighbours``).
        """
        if self.nearest_for != (k, threshold):
            return self.search_neighbours(words, k, threshold)
        found: list[list[str]] = []
        for word in words:
            row = self.vectors.row_of.get(word)
            if row is None:
                found.append([])
                continue
            near = [self.words[j] for j in self.nearest[row].tolist() if j >= 0]
            found.append([w for w in near if w != word][:k])
        return found

    def search_neighbours(
        self, words: Sequence[str], k: int = 5, threshold: float = 0.6
    ) -> list[list[str]]:
        """``neighbours_of`` by searching the vocabulary at query time.

        One matrix-vector product per word. Words of equal similarity (several words may
        share one vector) come in vocabulary order, so the expansions of a query do not
        depend on how a selection breaks ties.
        """
        found: list[list[str]] = []
        for word in words:
            row = self.vectors.row_of.get(word)
            if row is None or not self.words:
                found.append([])
                continue
            sims = self.word_matrix @ self.vectors.unit[row]
            # Only the few words near the threshold are looked at, not the whole vocabulary.
            cols = np.flatnonzero(sims >= threshold - _SLACK)
            _, near, _ = self._nearest(np.full(cols.size, row), cols, k + 1, threshold)
            found.append([self.words[j] for j in near.tolist() if self.words[j] != word][:k])
        return found
