"""An inverted BM25 index whose per-(term, document) weights are precomputed.

A query is scored by summing the postings of its terms with ``numpy.bincount`` — no per-entry
loop, so cost grows with the postings touched, not with the size of the knowledge base.

Pruning without losing a result: each term's postings start with its ``head`` heaviest
(impact order); the rest, the tail, is sorted by document and its heaviest weight is kept
aside. ``fused_scores`` reads the heads only, which bounds what any document can still gain
from the tails; only the documents whose bound reaches the k-th best partial score are
completed, by binary search in the tails. A common term (a particle-like reading bigram in
10,000 long answers) so costs its head plus a lookup per surviving document; when the bound
cannot separate the top k (many common terms, few rare ones), the tails are read in full and
the scores are exactly those of reading everything.

The index is built from integer term ids collected in flat arrays (``IndexBuilder``), not from
per-term dictionaries: 12 bytes per posting while collecting, then a few numpy sorts.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]

_FLUSH_TOKENS = 1 << 21  # tokens buffered before they are reduced to (doc, term, tf) triples


def char_ngrams(reading: str, n: int = 2) -> list[str]:
    """Character n-grams of each space-separated chunk (a chunk shorter than n is kept whole)."""
    grams: list[str] = []
    for chunk in reading.split():
        if len(chunk) < n:
            grams.append(chunk)
        else:
            grams.extend(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    return grams


def _counted(keys: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct keys, sorted, and how often each occurs (a sort: no hash table)."""
    keys = np.sort(keys)
    if not keys.size:
        return keys, keys
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[first, keys.size])
    return keys[first], counts.astype(np.int64)


@dataclass(frozen=True)
class Field:
    """One weighted text field: for every document, the list of its terms in that field."""

    weight: float
    terms: Sequence[Sequence[str]]


class IndexBuilder:
    """Collects documents one at a time as term ids; ``build`` packs them into a TermIndex.

    Usage::

        builder = IndexBuilder([1.0, 0.5])          # field weights
        builder.add([["ごみ", "収集"], ["ごみ"]])     # one document: its terms in each field
        index = builder.build(k1=1.2, b=0.75)
    """

    def __init__(self, field_weights: Sequence[float]) -> None:
        if not field_weights:
            msg = "a TermIndex needs at least one field"
            raise ValueError(msg)
        self.weights = tuple(field_weights)
        self.term_id: dict[str, int] = {}
        self.n_docs = 0
        n = len(self.weights)
        self._tokens = [array("i") for _ in range(n)]
        self._owners = [array("i") for _ in range(n)]
        self._lengths = [array("i") for _ in range(n)]
        # (documents, terms, counts) as int32: 12 bytes per posting while collecting.
        self._triples: list[list[tuple[Int32Array, Int32Array, Int32Array]]] = [
            [] for _ in range(n)
        ]

    def add(self, fields: Sequence[Iterable[str]]) -> None:
        ids = self.term_id
        doc = self.n_docs
        for tokens, owners, lengths, terms in zip(
            self._tokens, self._owners, self._lengths, fields, strict=True
        ):
            before = len(tokens)
            tokens.extend([ids.setdefault(t, len(ids)) for t in terms])
            lengths.append(len(tokens) - before)
            owners.extend([doc] * (len(tokens) - before))
        self.n_docs += 1
        if sum(len(t) for t in self._tokens) >= _FLUSH_TOKENS:
            self._flush()

    def _flush(self) -> None:
        """Reduce the buffered tokens to unique (doc, term) pairs with their counts."""
        for f, (tokens, owners) in enumerate(zip(self._tokens, self._owners, strict=True)):
            if not tokens:
                continue
            key = np.frombuffer(owners, dtype=np.int32).astype(np.int64) << 32
            key |= np.frombuffer(tokens, dtype=np.int32).astype(np.int64)
            unique, tf = _counted(key)
            self._triples[f].append(
                (
                    (unique >> 32).astype(np.int32),
                    (unique & 0xFFFFFFFF).astype(np.int32),
                    tf.astype(np.int32),
                )
            )
            self._tokens[f] = array("i")
            self._owners[f] = array("i")

    def build(
        self, k1: float = 1.2, b: float = 0.75, head: int = 0, dense: float = 0.0
    ) -> TermIndex:
        """Pack the postings; ``head`` > 0 keeps that many heaviest per term for pruning.

        A term in at least ``dense`` × the documents (0: none) is stored as a dense row of
        weights, one per document, instead of postings: summing a row is a vector addition,
        not a scatter, and at a quarter of the documents its 4 bytes per document take about
        the room of its 8 bytes per posting.
        """
        self._flush()
        n_docs, n_terms = self.n_docs, len(self.term_id)
        per_field = []
        for triples in self._triples:
            if triples:
                docs, terms, tf = (np.concatenate(parts) for parts in zip(*triples, strict=True))
            else:
                docs = terms = tf = np.zeros(0, dtype=np.int32)
            per_field.append((docs, terms, tf))
        self._triples = [[] for _ in self._triples]  # a builder packs once
        seen, _ = _counted(
            np.concatenate([t.astype(np.int64) * n_docs + d for d, t, _ in per_field])
        )
        doc_freq = np.bincount(seen // max(n_docs, 1), minlength=n_terms)
        idf = np.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        keys: list[IntArray] = []
        values: list[FloatArray] = []
        for weight, lengths, (docs, terms, tf) in zip(
            self.weights, self._lengths, per_field, strict=True
        ):
            length = np.frombuffer(lengths, dtype=np.int32).astype(np.float64)
            total = float(length.sum())
            avg = total / len(length) if len(length) and total else 1.0
            norm = k1 * (1 - b + b * length / avg)
            keys.append(terms.astype(np.int64) * n_docs + docs)
            values.append(weight * idf[terms] * tf * (k1 + 1) / (tf + norm[docs]))
        key = np.concatenate(keys)
        value = np.concatenate(values)
        order = np.argsort(key, kind="stable")  # a field's weight adds up in field order
        key, value = key[order], value[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
        value = np.add.reduceat(value, first) if key.size else value
        key = key[first]
        del order, first
        term, doc = key // max(n_docs, 1), key % max(n_docs, 1)
        del key
        counts = np.bincount(term, minlength=n_terms)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        rows = np.full(n_terms, -1, dtype=np.int64)
        common = np.flatnonzero(counts >= max(dense * n_docs, 1)) if dense > 0 else rows[:0]
        rows[common] = np.arange(common.size)
        matrix = np.zeros((common.size, n_docs), dtype=np.float32)
        if common.size:
            for row, t in enumerate(common.tolist()):
                a, z = offsets[t], offsets[t + 1]
                matrix[row, doc[a:z]] = value[a:z]
            kept = np.repeat(rows < 0, counts)
            term, doc, value = term[kept], doc[kept], value[kept]
            del kept
            counts[common] = 0
            np.cumsum(counts, out=offsets[1:])
        doc_ids, packed, tail_max = _layout(term, doc, value, offsets, head)
        return TermIndex(
            term_id=self.term_id,
            idf=idf,
            offsets=offsets,
            doc_ids=doc_ids,
            values=packed,
            tail_max=tail_max,
            head=head,
            dense_row=rows,
            dense_rows=matrix,
            n_docs=n_docs,
            k1=k1,
            weight_sum=sum(self.weights),
        )


def _layout(
    term: IntArray, doc: IntArray, value: FloatArray, offsets: IntArray, head: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], FloatArray]:
    """Order each term's postings: its ``head`` heaviest first, then the rest by document.

    ``term`` must be sorted (``offsets`` are its boundaries). Returns the documents, the
    weights and, per term, the heaviest weight left in the tail (0 without a tail).
    """
    impact = np.lexsort((doc, -value, term))
    doc, value = doc[impact], value[impact]
    tail_max = np.zeros(offsets.size - 1, dtype=np.float64)
    if head > 0:
        counts = np.diff(offsets)
        long_terms = np.flatnonzero(counts > head)
        tail_max[long_terms] = value[offsets[long_terms] + head]
        rank = np.arange(doc.size) - np.repeat(offsets[:-1], counts)
        rank = np.where(rank >= head, head + doc, rank)  # tails in document order
        layout = np.lexsort((rank, term[impact]))
        doc, value = doc[layout], value[layout]
    return doc.astype(np.int32), value.astype(np.float32), tail_max


@dataclass(frozen=True)
class QueryTerms:
    """One index's part of a query: known term ids, their query weights, the best score."""

    index: TermIndex
    terms: IntArray
    weights: FloatArray
    ceiling: float


class TermIndex:
    """BM25 (k1, b) over several fields, fused per term at build time (see ``IndexBuilder``)."""

    def __init__(
        self,
        *,
        term_id: dict[str, int],
        idf: FloatArray,
        offsets: IntArray,
        doc_ids: npt.NDArray[np.int32],
        values: npt.NDArray[np.float32],
        tail_max: FloatArray,
        head: int,
        n_docs: int,
        dense_row: IntArray | None = None,
        dense_rows: npt.NDArray[np.float32] | None = None,
        k1: float,
        weight_sum: float,
    ) -> None:
        self.term_id = term_id
        self.n_docs = n_docs
        self.head = head
        self._idf = idf
        self._idf_list: list[float] = idf.tolist()
        self._max_idf = float(np.log(1 + (n_docs + 0.5) / 0.5))
        self._offsets = offsets
        self._doc_ids = doc_ids
        self._values = values
        self._tail_max = tail_max
        # Terms in many documents: term id -> row of ``_dense`` (-1: stored as postings).
        self._dense_row = np.full(idf.size, -1, dtype=np.int64) if dense_row is None else dense_row
        self._dense = np.zeros((0, n_docs), dtype=np.float32) if dense_rows is None else dense_rows
        self._k1 = k1
        self._weight_sum = weight_sum

    @classmethod
    def from_fields(
        cls,
        fields: Sequence[Field],
        k1: float = 1.2,
        b: float = 0.75,
        head: int = 0,
        dense: float = 0.0,
    ) -> TermIndex:
        """Index documents given field by field (every field lists the same documents)."""
        builder = IndexBuilder([f.weight for f in fields])
        for doc in range(len(fields[0].terms) if fields else 0):
            builder.add([f.terms[doc] for f in fields])
        return builder.build(k1, b, head, dense)

    def idf(self, term: str) -> float:
        """Inverse document frequency; an unknown term counts as the rarest possible."""
        number = self.term_id.get(term)
        return self._max_idf if number is None else self._idf_list[number]

    def rarest(self, terms: Iterable[str], n: int) -> list[str]:
        """The ``n`` rarest distinct ``terms`` (highest IDF first; ties in order of appearance)."""
        distinct = list(dict.fromkeys(terms))
        if len(distinct) <= n:
            return distinct
        get = self.term_id.get
        ids = np.fromiter((get(t, -1) for t in distinct), dtype=np.int64, count=len(distinct))
        idf = np.where(ids >= 0, self._idf[ids], self._max_idf)
        return [distinct[i] for i in np.argsort(-idf, kind="stable")[:n].tolist()]

    def query(self, terms: Iterable[str], extra: Mapping[str, float] | None = None) -> QueryTerms:
        """Look a bag of query terms up; ``extra`` terms (expansions) count the weight given.

        Each distinct term counts once. The ceiling (every term matched at saturation in every
        field) lets callers turn scores into a 0..1 coverage.
        """
        weighted = dict.fromkeys(terms, 1.0)
        for term, weight in (extra or {}).items():
            weighted.setdefault(term, weight)
        ceiling = 0.0
        known: list[int] = []
        weights: list[float] = []
        for term, weight in weighted.items():
            number = self.term_id.get(term)
            if number is None:
                ceiling += weight * self._max_idf
            else:
                ceiling += weight * self._idf_list[number]
                known.append(number)
                weights.append(weight)
        ceiling *= (self._k1 + 1) * self._weight_sum
        return QueryTerms(
            self,
            np.asarray(known, dtype=np.int64),
            np.asarray(weights, dtype=np.float64),
            ceiling,
        )

    def score(
        self, terms: Iterable[str], extra: Mapping[str, float] | None = None
    ) -> tuple[FloatArray, float]:
        """Scores of every document for a bag of query terms (all postings), and the ceiling."""
        found = self.query(terms, extra)
        return fused_scores([(found, 1.0)], self.n_docs, keep=0), found.ceiling

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """The documents containing ``term`` and its weight in each (head first, then tail)."""
        number = self.term_id.get(term)
        if number is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        row = int(self._dense_row[number])
        if row >= 0:  # every document with a weight (BM25 weights are positive)
            docs = np.flatnonzero(self._dense[row] > 0).astype(np.int32)
            return docs, self._dense[row][docs]
        a, b = self._offsets[number], self._offsets[number + 1]
        return self._doc_ids[a:b], self._values[a:b]

    def contains(self, term: str, doc: int) -> bool:
        """Whether document ``doc`` contains ``term``."""
        number = self.term_id.get(term)
        if number is None:
            return False
        row = int(self._dense_row[number])
        if row >= 0:
            return bool(self._dense[row, doc] > 0)
        a, b = self._offsets[number], self._offsets[number + 1]
        return bool((self._doc_ids[a:b] == doc).any())

    def evidence(self, terms: Iterable[str], doc: int) -> tuple[float, float]:
        """IDF mass of the distinct ``terms`` that ``doc`` contains, and of those it lacks."""
        found = missing = 0.0
        for term in set(terms):
            if self.contains(term, doc):
                found += self.idf(term)
            else:
                missing += self.idf(term)
        return found, missing

    def knows(self, term: str) -> bool:
        """Whether any document contains ``term``."""
        return term in self.term_id

    @property
    def vocabulary_size(self) -> int:
        return len(self.term_id)


# A slice of one index's postings read at one multiplier: (index, multiplier, start, stop).
_Slice = tuple["TermIndex", float, int, int]


def _sum_slices(slices: Sequence[_Slice], n_docs: int) -> FloatArray:
    """Sum the slices into per-document scores with one ``bincount`` over all of them.

    Each posting's weight is scaled by its slice's multiplier first: the multipliers of the
    expansions (neighbours weigh by IDF ratio) are nearly all distinct, and a ``bincount`` per
    multiplier cost a full-length pass over the documents each.
    """
    pieces = [piece for piece in slices if piece[3] > piece[2]]
    if not pieces:
        return np.zeros(n_docs)
    ids = np.concatenate([index._doc_ids[a:b] for index, _, a, b in pieces])
    values = np.concatenate([index._values[a:b] for index, _, a, b in pieces], dtype=np.float64)
    values *= np.repeat([m for _, m, _, _ in pieces], [b - a for _, _, a, b in pieces])
    scores: FloatArray = np.bincount(ids, weights=values, minlength=n_docs).astype(
        np.float64, copy=False
    )
    return scores


def _sum_dense(rows: Sequence[tuple[TermIndex, float, int]], n_docs: int) -> FloatArray:
    """Sum the dense rows of common terms (index, multiplier, row), row by row, each
    multiplier's rows first, then scaled once.

    Element-wise, not a vector-matrix product: BLAS would hand a product this large to its
    threads, and on a busy machine the calling thread spins while they wait for a core
    (p99 11 ms instead of 0.6 ms for 30 rows of 100,000 entries, load average 7).
    """
    groups: dict[float, list[npt.NDArray[np.float32]]] = {}  # most terms share a multiplier
    for index, multiplier, row in rows:
        groups.setdefault(multiplier, []).append(index._dense[row])
    scores = np.zeros(n_docs)
    for multiplier, group in groups.items():
        total = group[0].copy()
        for weights in group[1:]:
            total += weights
        total *= multiplier
        scores += total
    return scores


def fused_scores(
    parts: Sequence[tuple[QueryTerms, float]],
    n_docs: int,
    keep: int,
    limit: int = 256,
) -> FloatArray:
    """Sum of ``scale`` × BM25 over several indexes of the same documents.

    With ``keep`` > 0, only the ``keep`` best documents are guaranteed their exact score (and
    so exactly the ``keep`` best are those with the highest returned scores, ties aside); the
    others may get a lower one. Heads are read first; the documents whose upper bound reaches
    the ``keep``-th partial score are completed from the tails, unless there are more than
    ``limit`` of them or a document never seen could still reach it: then every tail is read.
    ``keep`` = 0 reads every posting.
    """
    heads: list[_Slice] = []
    tails: list[_Slice] = []
    dense: list[tuple[TermIndex, float, int]] = []  # common terms, summed exactly
    bound = 0.0
    for found, scale in parts:
        index = found.index
        starts = index._offsets[found.terms].tolist()
        stops = index._offsets[found.terms + 1].tolist()
        rows = index._dense_row[found.terms].tolist()
        head = index.head if keep else 0
        for term, weight, a, b, row in zip(
            found.terms.tolist(), found.weights.tolist(), starts, stops, rows, strict=True
        ):
            multiplier = weight * scale
            if row >= 0:
                dense.append((index, multiplier, row))
            elif head and b - a > head:
                heads.append((index, multiplier, a, a + head))
                tails.append((index, multiplier, a + head, b))
                bound += multiplier * float(index._tail_max[term])
            else:
                heads.append((index, multiplier, a, b))
    scores = _sum_slices(heads, n_docs)
    if dense:
        scores += _sum_dense(dense, n_docs)
    if not tails:
        return scores
    bound *= 1 + 1e-6  # float32 postings summed in another order: keep the bound safe
    # The k-th partial score is at most the best one: no need to find it when even that is
    # within reach of an unseen document.
    hopeless = n_docs <= keep or float(scores.max()) <= bound
    kth = 0.0 if hopeless else float(np.partition(scores, n_docs - keep)[n_docs - keep])
    candidates = np.flatnonzero(scores + bound >= kth) if kth > bound else None
    if candidates is None or candidates.size > limit:
        return scores + _sum_slices(tails, n_docs)
    for index, multiplier, lo, hi in tails:
        tail = index._doc_ids[lo:hi]  # sorted by document
        at = np.searchsorted(tail, candidates)
        at[at == tail.size] = 0
        hit = tail[at] == candidates
        if hit.any():
            found_values = index._values[lo + at[hit]].astype(np.float64)
            scores[candidates[hit]] += found_values * multiplier
    return scores
