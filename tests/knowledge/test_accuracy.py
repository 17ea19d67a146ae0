"""Matching accuracy on the evaluation sets: realistic citizen queries.

``tests/data/eval`` is the development set (half of it inspected when tuning);
``tests/data/eval_frozen`` was written before the calibration and vocabulary work and never
tuned on: its thresholds are the honest ones. Both are written independently of the entries'
own questions; a test keeps it that way. Figures per set and per ingredient come from
``python -m bench.accuracy --ablation`` (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.accuracy import Scores, evaluate
from bench.evalset import Query, load_eval, load_frozen
from bot.knowledge_service import Knowledge
from intents.normalize import normalize

# Measured, not wished for (docs/benchmarks.md): on the frozen set top-3 is 0.966 (goal 0.97)
# and 1 of 25 out-of-scope queries gets a direct answer (goal: none).
WRONG_FROZEN = 0.03
TOP3_FROZEN = 0.96
OUT_OF_SCOPE_FROZEN = 0.96
OUT_OF_SCOPE_DEV = 0.85
STYLES = {"long", "paraphrase", "hiragana", "halfwidth", "typo", "casual", "keyword", "english"}


@pytest.fixture(scope="module")
def queries() -> list[Query]:
    return load_eval()


@pytest.fixture(scope="module")
def scores(knowledge: Knowledge, queries: list[Query]) -> Scores:
    return evaluate(lambda text: knowledge.rank(text, k=3), queries, knowledge.limits)


@pytest.fixture(scope="module")
def frozen_queries() -> list[Query]:
    return load_frozen()


@pytest.fixture(scope="module")
def frozen(knowledge: Knowledge, frozen_queries: list[Query]) -> Scores:
    return evaluate(lambda text: knowledge.rank(text, k=3), frozen_queries, knowledge.limits)


def test_the_frozen_set_is_large_and_labelled(
    knowledge: Knowledge, frozen_queries: list[Query]
) -> None:
    in_scope = [q for q in frozen_queries if q.expect is not None]
    assert len(in_scope) >= 200
    assert sum(q.expect is None for q in frozen_queries) >= 20
    assert {q.expect for q in in_scope} <= set(knowledge.kb.entries)
    assert {q.style for q in in_scope} == STYLES


def test_frozen_most_questions_get_the_right_answer_directly(frozen: Scores) -> None:
    assert frozen.in_scope_answered >= 0.80


def test_frozen_wrong_direct_answers_are_rare(frozen: Scores) -> None:
    assert frozen.wrong_answered <= WRONG_FROZEN


def test_frozen_the_right_entry_is_among_the_choices(frozen: Scores) -> None:
    assert frozen.top3 >= TOP3_FROZEN


def test_frozen_out_of_scope_is_rarely_answered(frozen: Scores) -> None:
    assert frozen.out_of_scope_ok >= OUT_OF_SCOPE_FROZEN


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


def test_most_questions_are_answered_directly(scores: Scores) -> None:
    assert scores.in_scope_answered >= 0.75  # was 0.39 with the score-margin rule


def test_the_bot_never_answers_confidently_with_a_wrong_entry_too_often(scores: Scores) -> None:
    assert scores.wrong_answered <= 0.03


def test_out_of_scope_queries_are_rarely_answered(scores: Scores) -> None:
    assert scores.out_of_scope_ok >= OUT_OF_SCOPE_DEV
    assert scores.out_of_scope_fallback >= 0.60  # most get an honest fallback
