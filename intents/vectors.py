"""A dense channel from chiVe word vectors (``intents/data/vectors.npz``, see NOTICE there).

Texts become IDF-weighted sums of unit word vectors over the analyzer's content words, with the
collection's first principal component removed (it mostly encodes "this is a sentence of a
city FAQ") and normalised; the similarity of a query to an entry is the cosine. The same table
suggests query expansions: the nearest indexed words of each query word.
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
    ) -> None:
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
        self.questions = self._finish(q)
        self.both = self._finish(both)
        known = [w for w in vocabulary if w in vectors.row_of]
        self.words = known
        self.word_matrix: Matrix = (
            vectors.unit[[vectors.row_of[w] for w in known]]
            if known
            else np.zeros((0, dims), dtype=np.float32)
        )

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
        best: Matrix = np.maximum(self.questions[docs] @ query, self.both[docs] @ query)
        return best

    def neighbours_of(
        self, words: Sequence[str], k: int = 5, threshold: float = 0.6
    ) -> list[list[str]]:
        """Up to k indexed words nearest to each word with cosine >= threshold (itself excluded).

        One matrix-vector product per word: a matrix-matrix product would go to the BLAS
        threads, which cost more than they save at this size on a busy machine. Words of
        equal similarity (several words may share one vector) come in vocabulary order, so
        the expansions of a query do not depend on how a selection breaks ties.
        """
        found: list[list[str]] = []
        for word in words:
            v = self.vectors.get(word)
            if v is None or not self.words:
                found.append([])
                continue
            sims = self.word_matrix @ v
            # Only the few words above the threshold are sorted, not the whole vocabulary.
            near = np.flatnonzero(sims >= threshold)
            near = near[np.argsort(-sims[near], kind="stable")]
            found.append([self.words[j] for j in near.tolist() if self.words[j] != word][:k])
        return found
