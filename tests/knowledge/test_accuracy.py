"""Matching accuracy on the evaluation set (tests/data/eval): realistic citizen queries.

The set is written independently of the entries' own questions; this test keeps it that way.
Figures per style and per ingredient come from ``python -m bench.accuracy --ablation``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.accuracy import Scores, evaluate
from bench.evalset import Query, load_eval, load_frozen
from bot.knowledge_service import Knowledge
from intents.normalize import normalize

STYLES = {"long", "paraphrase", "hiragana", "halfwidth", "typo", "casual", "keyword", "english"}


@pytest.fixture(scope="module")
def queries() -> list[Query]:
    return load_eval()


@pytest.fixture(scope="module")
def scores(knowledge: Knowledge, queries: list[Query]) -> Scores:
    return evaluate(lambda text: knowledge.rank(text, k=3), queries, knowledge.limits)


def test_the_set_is_large_varied_and_labelled(knowledge: Knowledge, queries: list[Query]) -> None:
    in_scope = [q for q in queries if q.expect is not None]
    assert len(in_scope) >= 300
    styles = Counter(q.style for q in in_scope)
    assert set(styles) == STYLES
    assert min(styles.values()) >= 20
    assert sum(q.expect is None for q in queries) >= 30
    assert {q.expect for q in in_scope} <= set(knowledge.kb.entries)


def test_no_query_is_copied_from_the_knowledge_base(
    knowledge: Knowledge, queries: list[Query]
) -> None:
    known = {normalize(text) for e in knowledge.kb for text in (*e.questions, *e.keywords)}
    copied = [q.text for q in (*queries, *load_frozen()) if normalize(q.text) in known]
    assert copied == []


def test_top1_accuracy(scores: Scores) -> None:
    assert scores.top1 >= 0.90


def test_top3_accuracy(scores: Scores) -> None:
    assert scores.top3 >= 0.97


def test_the_bot_never_answers_confidently_with_a_wrong_entry_too_often(scores: Scores) -> None:
    assert scores.wrong_answered <= 0.01


def test_out_of_scope_queries_fall_back(scores: Scores) -> None:
    assert scores.out_of_scope_ok == 1.0  # never a confident answer
    assert scores.out_of_scope_fallback >= 0.85  # and nearly always an honest fallback
