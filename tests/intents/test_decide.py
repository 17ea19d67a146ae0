"""What a citizen notices of the decision: direct answers, follow-ups, honest fallbacks."""

from __future__ import annotations

import pytest

from bot.knowledge_service import Knowledge
from intents.decide import Limits, Verdict, decide
from intents.matcher import Candidate


@pytest.mark.parametrize(
    "text",
    ["はい", "ありがとう", "👍", "うん", "ok", "笑", "ありがとうございました！", "good night"],
)
def test_a_message_without_content_offers_no_topics(knowledge: Knowledge, text: str) -> None:
    decision = knowledge.decide(text)
    assert decision.verdict is Verdict.FALLBACK
    assert decision.candidates == ()


def test_a_lost_my_number_card_is_answered_with_the_procedure_as_follow_up(
    knowledge: Knowledge,
) -> None:
    decision = knowledge.decide("マイナカードなくした")
    assert decision.verdict is Verdict.ANSWER
    assert decision.top is not None
    assert decision.top.entry_id == "faq.registry.mynumber_card_lost"
    assert "proc.my_number_card_application" in decision.followups
    assert decision.confidence >= Limits().confident


def test_running_from_an_earthquake_leads_to_the_shelters(knowledge: Knowledge) -> None:
    decision = knowledge.decide("地震のときどこに逃げればいい")
    assert decision.verdict is Verdict.ANSWER
    assert decision.top is not None
    assert decision.top.entry_id == "faq.disaster.shelters"


@pytest.mark.parametrize(
    "text",
    [
        "明日の天気は？",  # weather
        "箱根駅伝の優勝校はどこですか",  # sports on television
        "京都の紅葉の見頃はいつ？",  # another city
        "メルカリで売れた商品の発送方法",  # a private company
        "暇",  # chit-chat
    ],
)
def test_a_message_about_something_else_is_never_answered(knowledge: Knowledge, text: str) -> None:
    assert knowledge.decide(text).verdict is not Verdict.ANSWER


def test_an_english_sofa_is_bulky_waste(knowledge: Knowledge) -> None:
    decision = knowledge.decide("How do I dispose of a sofa?")
    assert decision.verdict is Verdict.ANSWER
    assert decision.top is not None
    assert decision.top.entry_id == "proc.bulky_waste_request"


def test_followups_are_only_the_related_leading_candidates() -> None:
    ranked = [
        Candidate("faq", 0.7, confidence=0.95, related=("proc",)),
        Candidate("proc", 0.65),
        Candidate("other", 0.6),
    ]
    decision = decide(ranked, Limits())
    assert decision.verdict is Verdict.ANSWER
    assert [c.entry_id for c in decision.candidates] == ["faq"]
    assert decision.followups == ("proc",)


def test_an_unsure_top_gives_choices_and_a_weak_one_falls_back() -> None:
    limits = Limits()
    unsure = [Candidate("a", 0.5, confidence=0.6), Candidate("b", 0.45), Candidate("c", 0.4)]
    assert decide(unsure, limits).verdict is Verdict.CLARIFY
    assert len(decide(unsure, limits).candidates) == 3
    weak = [Candidate("a", 0.2, confidence=0.1), Candidate("b", 0.1)]
    fallback = decide(weak, limits)
    assert fallback.verdict is Verdict.FALLBACK
    assert [c.entry_id for c in fallback.candidates] == ["a"]  # a "did you mean" suggestion
    assert fallback.followups == ()


def test_a_confident_but_nearly_evidence_free_top_is_not_answered() -> None:
    ranked = [Candidate("a", 0.1, confidence=0.9)]
    assert decide(ranked, Limits()).verdict is Verdict.CLARIFY
