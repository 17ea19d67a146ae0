"""An inverted BM25 index whose per-(term, document) weights are precomputed.

A query is scored by summing the postings of its terms with ``numpy.bincount`` — no per-entry
loop, so cost grows with the postings touched, not with the size of the knowledge base.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
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
            doc_ids.extend(per_doc.keys())
            values.extend(per_doc.values())
            self._slices[term] = (start, len(doc_ids))
        self._doc_ids = np.asarray(doc_ids, dtype=np.int32)
        self._values = np.asarray(values, dtype=np.float64)  # bincount sums in float64

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """Inverse document frequency; an unknown term counts as the rarest possible."""
        return self._idf_of.get(term, self._max_idf)

    def score(self, terms: Iterable[str]) -> tuple[FloatArray, float]:
        """Scores of every document for a bag of query terms, and the best score possible.

        Each distinct query term counts once. The best possible score (every term matched at
        saturation in every field) lets callers turn scores into a 0..1 coverage.
        """
        unique = set(terms)
        ceiling = sum(self.idf(t) for t in unique) * (self._k1 + 1) * self._weight_sum
        parts = [self._slices[t] for t in unique if t in self._slices]
        if not parts:
            return np.zeros(self.n_docs), ceiling
        ids = np.concatenate([self._doc_ids[a:b] for a, b in parts])
        vals = np.concatenate([self._values[a:b] for a, b in parts])
        scores: FloatArray = np.asarray(
            np.bincount(ids, weights=vals, minlength=self.n_docs), dtype=np.float64
        )
        return scores, ceiling

    @property
    def vocabulary_size(self) -> int:
        return len(self._slices)
