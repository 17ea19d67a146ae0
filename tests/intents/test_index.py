"""The packed BM25 index and its pruning: pruned scoring finds exactly the exhaustive top k."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from intents.index import Field, TermIndex, fused_scores


def bm25_by_hand(
    fields: list[Field], query: dict[str, float], k1: float = 1.2, b: float = 0.75
) -> list[float]:
    """Textbook BM25 over weighted fields, one document at a time (the reference)."""
    n = len(fields[0].terms)
    df = Counter(t for d in range(n) for t in {t for f in fields for t in f.terms[d]})
    scores = [0.0] * n
    for f in fields:
        avg = sum(len(t) for t in f.terms) / n or 1.0
        for d, terms in enumerate(f.terms):
            tf = Counter(terms)
            norm = k1 * (1 - b + b * len(terms) / avg)
            for term, weight in query.items():
                if tf[term]:
                    idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                    scores[d] += weight * f.weight * idf * tf[term] * (k1 + 1) / (tf[term] + norm)
    return scores


def zipf_collection(n_docs: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Documents whose words follow a Zipf law: a few words are in nearly every document."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(400)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]
    body = [rng.choices(vocabulary, weights, k=rng.randint(5, 60)) for _ in range(n_docs)]
    title = [rng.choices(vocabulary, weights, k=rng.randint(1, 4)) for _ in range(n_docs)]
    return [t + x for t, x in zip(title, body, strict=True)], title


def top(scores: np.ndarray, k: int) -> set[int]:
    order = np.argsort(-scores, kind="stable")[:k]
    return {int(d) for d in order if scores[d] > 0}


def test_packed_weights_are_bm25() -> None:
    both, title = zipf_collection(60, seed=1)
    fields = [Field(1.0, both), Field(0.5, title)]
    index = TermIndex.from_fields(fields, head=5)
    query = {"w0": 1.0, "w3": 1.0, "w17": 0.5, "unknown": 1.0}
    scores, ceiling = index.score(["w0", "w3", "unknown"], {"w17": 0.5})
    assert scores == pytest.approx(bm25_by_hand(fields, query), rel=1e-5)
    assert ceiling > max(scores)


@pytest.mark.parametrize("seed", range(8))
def test_pruned_top_k_is_the_exhaustive_top_k(seed: int) -> None:
    """A head of 4 postings per term on 300 documents: most query terms are cut short."""
    rng = random.Random(seed)
    both, title = zipf_collection(300, seed)
    words = TermIndex.from_fields([Field(1.0, both), Field(0.5, title)], head=4)
    titles = TermIndex.from_fields([Field(1.0, title)], head=4)
    for _ in range(40):
        terms = [f"w{int(rng.paretovariate(0.8))}" for _ in range(rng.randint(1, 6))]
        parts = [(words.query(terms), 0.7), (titles.query(terms[:2]), 0.3)]
        exhaustive = fused_scores(parts, 300, keep=0)
        for k in (1, 3, 10, 30):
            pruned = fused_scores(parts, 300, keep=k)
            best = top(exhaustive, k)
            kth = np.sort(exhaustive)[-k]
            # Ties at the k-th score may be broken either way; every document above it is kept.
            assert {d for d in best if exhaustive[d] > kth} <= top(pruned, k)
            assert pruned[list(best)] == pytest.approx(exhaustive[list(best)], rel=1e-6)
            assert (pruned <= exhaustive + 1e-9).all()


def test_a_document_outside_every_head_still_wins() -> None:
    """Doc 0 has two common words, neither heavily: it is in no head, yet it ranks first."""
    both = [["common", "other"]] + [
        ["common" if d % 2 else "other", *[f"x{d}"] * (d % 5)] for d in range(1, 40)
    ]
    index = TermIndex.from_fields([Field(1.0, both)], head=2)
    heads = [index.postings(t)[0][:2].tolist() for t in ("common", "other")]
    assert 0 not in heads[0] + heads[1]
    scores = fused_scores([(index.query(["common", "other"]), 1.0)], len(both), keep=1)
    assert int(np.argmax(scores)) == 0


def test_no_pruning_without_a_head() -> None:
    both, _ = zipf_collection(50, seed=3)
    index = TermIndex.from_fields([Field(1.0, both)], head=0)
    found = index.query(["w0", "w1"])
    assert fused_scores([(found, 1.0)], 50, keep=3) == pytest.approx(
        fused_scores([(found, 1.0)], 50, keep=0)
    )


@pytest.mark.parametrize("seed", range(4))
def test_common_terms_as_dense_rows_score_as_postings(seed: int) -> None:
    """Terms in a quarter of the documents or more are stored as rows: same scores, same
    pruned top k, and a document contains a term exactly when it did."""
    rng = random.Random(seed)
    both, title = zipf_collection(300, seed)
    fields = [Field(1.0, both), Field(0.5, title)]
    sparse = TermIndex.from_fields(fields, head=4)
    dense = TermIndex.from_fields(fields, head=4, dense=0.25)
    assert 0 < dense._dense.shape[0] < dense.vocabulary_size  # both kinds of term present
    for _ in range(30):
        terms = [f"w{int(rng.paretovariate(0.8))}" for _ in range(rng.randint(1, 6))]
        extra = {f"w{rng.randint(0, 30)}": 0.3}
        exhaustive = fused_scores([(sparse.query(terms, extra), 0.7)], 300, keep=0)
        got = fused_scores([(dense.query(terms, extra), 0.7)], 300, keep=0)
        assert got == pytest.approx(exhaustive, rel=1e-5)
        pruned = fused_scores([(dense.query(terms, extra), 0.7)], 300, keep=5)
        assert top(pruned, 5) == top(exhaustive, 5)
    for term in ("w0", "w1", "w5", "w50"):
        docs, weights = sparse.postings(term)
        found_docs, found_weights = dense.postings(term)
        order, found_order = np.argsort(docs), np.argsort(found_docs)
        assert found_docs[found_order].tolist() == docs[order].tolist()
        assert found_weights[found_order] == pytest.approx(weights[order])
        assert [dense.contains(term, d) for d in range(300)] == [
            sparse.contains(term, d) for d in range(300)
        ]


def test_rarest_terms_come_first_ties_in_order_of_appearance() -> None:
    both, _ = zipf_collection(100, seed=5)
    index = TermIndex.from_fields([Field(1.0, both)])
    terms = ["w0", "w1", "unknown", "w40", "w0", "w2", "w41", "w3", "w42", "other"]
    by_idf = sorted(dict.fromkeys(terms), key=index.idf, reverse=True)
    assert index.rarest(terms, 4) == by_idf[:4]
    assert index.rarest(terms, 4)[:2] == ["unknown", "other"]  # unseen: the rarest possible
    assert index.rarest(terms, 20) == list(dict.fromkeys(terms))  # under the cap: all, as given
