"""The published figures on a small seeded history, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.engine import shipped_flows
from bot.handoff.office_hours import OfficeHours
from bot.knowledge_service import Knowledge
from bot.stats.figures import collect
from bot.stats.tables import Table, public_tables, staff_tables
from tests.stats.conftest import NOW, Seeded


def values(table: Table, key: str) -> dict[str, object]:
    [row] = [r for r in table.rows if r.key == key]
    return {c.key: cell.value for c, cell in zip(table.values, row.cells, strict=True)}


def by_key(tables: list[Table]) -> dict[str, Table]:
    return {t.key: t for t in tables}


async def test_months_count_questions_and_how_they_were_handled(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(seeded.store, knowledge, OfficeHours(), NOW)

    assert figures.months[0] == "2026-01"
    assert figures.months[-1] == "2026-12"
    november, december = figures.by_month["2026-11"], figures.by_month["2026-12"]
    assert (november.questions, november.answered, november.choices, november.staff) == (
        20,
        7,
        5,
        6,
    )
    assert november.unanswered == 2
    assert (december.questions, december.answered, december.unanswered) == (7, 5, 2)
    assert sum(cell.questions for cell in figures.by_month.values()) == 27  # not last year's
    assert figures.by_category["snow"].answered == 12
    assert figures.by_category[seeded.choices_category].choices == 5
    assert figures.topics.most_common(1) == [(seeded.entry_id, 12)]


async def test_reply_times_split_by_office_hours_and_applications_per_procedure(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(seeded.store, knowledge, OfficeHours(), NOW)

    november = figures.replies_by_month["2026-11"]
    assert november.median_office == 30.0  # 10, 20, 30, 40, 50 minutes
    assert november.median_after_hours == 180.0  # opened on a Saturday: 60 … 300 minutes
    assert november.waiting == 1
    application = figures.applications[seeded.flow_id]
    assert (application.received, application.completed) == (6, 5)


async def test_public_tables_show_cells_of_five_and_more_and_withhold_the_rest(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(seeded.store, knowledge, OfficeHours(), NOW)
    tables = by_key(public_tables(figures, knowledge, shipped_flows(knowledge.kb)))

    assert values(tables["questions_by_month"], "2026-11") == {
        "questions": 20,
        "answered": 7,
        "choices": 5,
        "staff": 6,
    }
    december = tables["questions_by_month"].rows[-1]
    assert [c.suppressed for c in december.cells] == [False, False, True, True]
    assert values(tables["reply_times"], "2026-11") == {
        "median_office": 30.0,
        "cases_office": 5,
        "median_after_hours": 180.0,
        "cases_after_hours": 5,
    }
    assert values(tables["applications"], seeded.flow_id) == {"received": 6, "completed": 5}
    assert [row.key for row in tables["topics"].rows] == [seeded.entry_id]


async def test_staff_see_small_numbers_and_the_weekly_unanswered_trend(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(seeded.store, knowledge, OfficeHours(), NOW)
    tables = by_key(staff_tables(figures, knowledge, shipped_flows(knowledge.kb)))

    weekly = tables["unanswered_by_week"]
    assert values(weekly, "2026-12-07") == {"unanswered": 2}
    assert values(weekly, "2026-11-30") == {"unanswered": 0}
    assert len(weekly.rows) == 12
    december = values(tables["questions_by_month"], "2026-12")
    assert december == {"questions": 7, "answered": 5, "choices": 0, "staff": 0}
    roads = values(tables["by_department"], "dept.roads")
    assert roads["median_office"] == 30.0
    assert roads["waiting"] == 1


async def test_figures_for_one_department_leave_the_others_out(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(
        seeded.store, knowledge, OfficeHours(), NOW, department="dept.general_info"
    )

    assert figures.replies_by_month["2026-11"].office == []
    assert figures.applications == {}
    assert figures.by_month["2026-11"].answered == 0


async def test_an_entry_without_review_items_counts_as_verified(
    seeded: Seeded, knowledge: Knowledge
) -> None:
    figures = await collect(seeded.store, knowledge, OfficeHours(), NOW)

    answerable = [e for e in knowledge.kb if e.kind != "department"]
    assert figures.knowledge.entries == len(answerable)
    assert figures.knowledge.verified == sum(1 for e in answerable if not e.review)
