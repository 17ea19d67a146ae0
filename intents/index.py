"""An inverted BM25 index whose per-(term, document) weights are precomputed.

A query is scored by summing the postings of its terms with ``numpy.bincount`` — no per-entry
loop, so cost grows with the postings touched, not with the size of the knowledge base. Each
term's postings are stored in impact order (highest weight first), so a cap on postings per term
keeps a common term (a particle-like reading bigram in 10,000 long answers) from dominating the
cost: it contributes only to the documents where it weighs most, which is where it can change
the ranking.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Field:
    """One weighted text field: for every document, the list of its terms in that field."""

    weight: float
    terms: Sequence[Sequence[str]]


def char_ngrams(reading: str, n: int = 2) -> list[str]:
    """Character n-grams of each space-separated chunk (a chunk shorter than n is kept whole)."""
    grams: list[str] = []
    for chunk in reading.split():
        if len(chunk) < n:
            grams.append(chunk)
        else:
            grams.extend(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    return grams


class TermIndex:
    """BM25 (k1, b) over several fields, fused per term at build time."""

    def __init__(self, fields: Sequence[Field], k1: float = 1.2, b: float = 0.75) -> None:
        if not fields:
            msg = "a TermIndex needs at least one field"
            raise ValueError(msg)
        self.n_docs = len(fields[0].terms)
        doc_freq: Counter[str] = Counter()
        for doc in range(self.n_docs):
            seen: set[str] = set()
            for field in fields:
                seen.update(field.terms[doc])
            doc_freq.update(seen)
        self._max_idf = self._idf(0)
        self._idf_of = {term: self._idf(df) for term, df in doc_freq.items()}
        self._weight_sum = sum(f.weight for f in fields)
        weights: dict[str, dict[int, float]] = {}
        for field in fields:
            lengths = [len(t) for t in field.terms]
            avg = (sum(lengths) / len(lengths)) if lengths and sum(lengths) else 1.0
            for doc, terms in enumerate(field.terms):
                norm = k1 * (1 - b + b * lengths[doc] / avg)
                for term, tf in Counter(terms).items():
                    value = field.weight * self._idf_of[term] * tf * (k1 + 1) / (tf + norm)
                    per_doc = weights.setdefault(term, {})
                    per_doc[doc] = per_doc.get(doc, 0.0) + value
        self._k1 = k1
        self._slices: dict[str, tuple[int, int]] = {}
        doc_ids: list[int] = []
        values: list[float] = []
        for term, per_doc in weights.items():
            start = len(doc_ids)
            ranked = sorted(per_doc.items(), key=lambda item: -item[1])
            doc_ids.extend(d for d, _ in ranked)
            values.extend(v for _, v in ranked)
            self._slices[term] = (start, len(doc_ids))
        self._doc_ids = np.asarray(doc_ids, dtype=np.int32)
        self._values = np.asarray(values, dtype=np.float32)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """Inverse document frequency; an unknown term counts as the rarest possible."""
        return self._idf_of.get(term, self._max_idf)

    def score(
        self,
        terms: Iterable[str],
        extra: Mapping[str, float] | None = None,
        cap: int = 0,
    ) -> tuple[FloatArray, float]:
        """Scores of every document for a bag of query terms, and the best score possible.

        Each distinct query term counts once; ``extra`` terms (expansions) count the weight
        given with them. The best possible score (every term matched at saturation in every
        field) lets callers turn scores into a 0..1 coverage. ``cap`` > 0 reads at most that
        many postings per term, the heaviest first.
        """
        weighted = dict.fromkeys(terms, 1.0)
        for term, weight in (extra or {}).items():
            weighted.setdefault(term, weight)
        ceiling = sum(w * self.idf(t) for t, w in weighted.items())
        ceiling *= (self._k1 + 1) * self._weight_sum
        ids: list[npt.NDArray[np.int32]] = []
        vals: list[FloatArray] = []
        for term, w in weighted.items():
            span = self._slices.get(term)
            if span is None:
                continue
            a, b = span
            if cap and b - a > cap:
                b = a + cap
            ids.append(self._doc_ids[a:b])
            vals.append(self._values[a:b] if w == 1.0 else self._values[a:b] * w)
        if not ids:
            return np.zeros(self.n_docs), ceiling
        scores: FloatArray = np.asarray(
            np.bincount(np.concatenate(ids), weights=np.concatenate(vals), minlength=self.n_docs),
            dtype=np.float64,
        )
        return scores, ceiling

    def evidence(self, terms: Iterable[str], doc: int) -> tuple[float, float]:
        """IDF mass of the distinct ``terms`` that ``doc`` contains, and of those it lacks."""
        found = missing = 0.0
        for term in set(terms):
            span = self._slices.get(term)
            if span is not None and bool((self._doc_ids[span[0] : span[1]] == doc).any()):
                found += self.idf(term)
            else:
                missing += self.idf(term)
        return found, missing

    def knows(self, term: str) -> bool:
        """Whether any document contains ``term``."""
        return term in self._slices

    @property
    def vocabulary_size(self) -> int:
        return len(self._slices)
