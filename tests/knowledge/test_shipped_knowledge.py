"""The shipped knowledge base: complete, valid, and honest about what staff must confirm."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.cli import main
from bot.knowledge_service import Knowledge

PLAN_ITEMS = [
    "町内会",
    "子ども参画",
    "起ち上げ",
    "活動支援",
    "コミュニティビジネス",
    "市有施設",
    "拠点",
    "待機児童",
    "放課後",
    "子育て支援企業",
    "市長からの手紙",
    "子育て博士",
    "生きがい",
    "長期滞在",
    "シティプロモーション",
    "食",
    "つながる輪",
    "複合施設",
    "もったいない",
    "業務情報",
    "情報伝播",
    "意識改革",
    "対応結果",
    "ホームページ",
    "移動距離",
    "タイムレス",
    "来庁不要",
]
PROCEDURES = [
    "proc.konbini_certificates",
    "proc.koseki_by_mail",
    "proc.tax_certificate_by_mail",
    "proc.move_out_online",
    "proc.bulky_waste_request",
    "proc.snow_removal_request",
    "proc.road_damage_report",
    "proc.child_allowance_application",
    "proc.nursery_application",
    "proc.dog_registration_change",
    "proc.nhi_enroll_withdraw",
]
_PHONE = re.compile(r"(?<!\d)0\d{1,4}-\d{1,4}-\d{3,5}(?!\d)")
_NATIONAL_NUMBERS = {"0120-0-78310", "0120-95-0178"}


def test_kb_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check", "--no-collisions"]) == 0
    assert "0 errors" in capsys.readouterr().out


def test_every_policy_area_of_the_plan_has_at_least_three_faq_entries(
    knowledge: Knowledge,
) -> None:
    per_category = Counter(e.category for e in knowledge.kb if e.kind == "faq")
    seed_areas = [c.id for c in knowledge.kb.categories.values() if "分科会" in c.group]
    assert len(seed_areas) == 32  # the seed lists 6 + 8 + 9 + 9 areas
    assert {c: per_category[c] for c in seed_areas if per_category[c] < 3} == {}
    assert sum(per_category.values()) >= 150


def test_procedure_guides_cover_the_required_procedures(knowledge: Knowledge) -> None:
    procedures = {e.id for e in knowledge.kb if e.kind == "procedure"}
    assert len(procedures) >= 25
    assert set(PROCEDURES) <= procedures


@pytest.mark.parametrize("item", PLAN_ITEMS)
def test_every_plan_item_is_answerable(knowledge: Knowledge, item: str) -> None:
    plan = [e for e in knowledge.kb if e.kind == "plan"]
    assert any(item in e.title.ja or item in e.answer.ja for e in plan), item


def test_no_invented_phone_numbers(knowledge: Knowledge) -> None:
    for entry in knowledge.kb:
        for text in (entry.answer.ja, entry.answer.en):
            found = set(_PHONE.findall(text)) - _NATIONAL_NUMBERS
            assert not found, f"{entry.id} states phone numbers {found}"


def test_city_specific_details_are_marked_for_review(knowledge: Knowledge) -> None:
    everyday = [e for e in knowledge.kb if e.kind in ("faq", "procedure", "department")]
    marked = [e for e in everyday if e.review]
    assert len(marked) / len(everyday) > 0.9


def test_kb_check_lists_review_items(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check", "--no-collisions", "--review"]) == 0
    out = capsys.readouterr().out
    assert out.count("REVIEW ") > 100
    assert "REVIEW proc.bulky_waste_request" in out
