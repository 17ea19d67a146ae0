"""The figures as tables: the one shape that the page, the charts, JSON and CSV all render.

    tables = public_tables(figures, knowledge, flows)        # small numbers withheld
    tables = staff_tables(figures, knowledge, flows)         # everything, plus staff extras

Rows are labelled by month, knowledge area, procedure, topic (a knowledge entry) or
department: never by anything a citizen wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.knowledge_service import Knowledge
from bot.stats import suppress
from bot.stats.figures import NO_CATEGORY, Figures, Outcomes, ReplyTimes
from bot.stats.labels import Labels, load_labels
from bot.stats.suppress import Cell
from knowledge.flows import FlowCatalog
from knowledge.schema import Text

Unit = Literal["label", "count", "minutes", "percent"]
TOP_TOPICS = 10
_OUTCOMES = ("questions", "answered", "choices", "staff")


@dataclass(frozen=True)
class Column:
    key: str
    name: Text
    unit: Unit


@dataclass(frozen=True)
class Row:
    key: str  # a month, area, procedure, entry or department id
    label: Text
    cells: tuple[Cell, ...]  # one per value column (the label column excluded)


@dataclass(frozen=True)
class Table:
    key: str
    caption: Text
    columns: tuple[Column, ...]  # the first is the label column
    rows: list[Row] = field(default_factory=list)
    chart: tuple[str, ...] = ()  # the columns drawn in the chart

    @property
    def values(self) -> tuple[Column, ...]:
        return self.columns[1:]


class _Builder:
    def __init__(self, knowledge: Knowledge, flows: FlowCatalog, threshold: int) -> None:
        self.knowledge = knowledge
        self.flows = flows
        self.threshold = threshold
        self.labels: Labels = load_labels()

    def table(
        self, key: str, columns: tuple[tuple[str, Unit], ...], chart: tuple[str, ...]
    ) -> Table:
        return Table(
            key,
            self.labels.tables[key],
            tuple(Column(name, self.labels.columns[name], unit) for name, unit in columns),
            chart=chart,
        )

    def count(self, value: int) -> Cell:
        return suppress.count(value, self.threshold)

    def outcomes(self, cell: Outcomes, unanswered: bool = False) -> tuple[Cell, ...]:
        values = [cell.questions, cell.answered, cell.choices, cell.staff]
        if unanswered:
            values.append(cell.unanswered)
        return tuple(self.count(v) for v in values)

    def replies(self, cell: ReplyTimes) -> tuple[Cell, ...]:
        return (
            suppress.median(cell.office, self.threshold),
            self.count(len(cell.office)),
            suppress.median(cell.after_hours, self.threshold),
            self.count(len(cell.after_hours)),
        )

    def category(self, key: str) -> Text:
        if key == NO_CATEGORY:
            return self.labels.labels["none"]
        found = self.knowledge.kb.categories.get(key)
        return found.name if found is not None else Text(ja=key, en=key)

    def entry(self, key: str) -> Text:
        found = self.knowledge.entry(key)
        return found.title if found is not None else Text(ja=key, en=key)

    def procedure(self, key: str) -> Text:
        found = self.flows.flows.get(key)
        return found.title if found is not None else Text(ja=key, en=key)


def _month(key: str) -> Text:
    year, month = key.split("-")
    return Text(ja=f"{year}年{int(month)}月", en=key)


def _build(
    figures: Figures, knowledge: Knowledge, flows: FlowCatalog, threshold: int
) -> list[Table]:
    b = _Builder(knowledge, flows, threshold)
    keep: Callable[[int], bool] = (lambda n: n >= threshold) if threshold else (lambda n: n > 0)

    months = b.table(
        "questions_by_month",
        (("month", "label"), *((c, "count") for c in _OUTCOMES)),
        ("answered", "choices", "staff"),
    )
    for month in figures.months:
        months.rows.append(Row(month, _month(month), b.outcomes(figures.by_month[month])))

    categories = b.table(
        "questions_by_category",
        (("category", "label"), *((c, "count") for c in _OUTCOMES)),
        ("questions",),
    )
    ordered = sorted(figures.by_category.items(), key=lambda kv: (-kv[1].questions, kv[0]))
    for key, cell in ordered:
        categories.rows.append(Row(key, b.category(key), b.outcomes(cell)))

    replies = b.table(
        "reply_times",
        (
            ("month", "label"),
            ("median_office", "minutes"),
            ("cases_office", "count"),
            ("median_after_hours", "minutes"),
            ("cases_after_hours", "count"),
        ),
        ("median_office", "median_after_hours"),
    )
    for month in figures.months:
        replies.rows.append(Row(month, _month(month), b.replies(figures.replies_by_month[month])))

    applications = b.table(
        "applications",
        (("procedure", "label"), ("received", "count"), ("completed", "count")),
        ("received", "completed"),
    )
    for key, app in sorted(figures.applications.items()):
        if app.received or app.completed:
            cells = (b.count(app.received), b.count(app.completed))
            applications.rows.append(Row(key, b.procedure(key), cells))

    share = b.table(
        "knowledge",
        (("category", "label"), ("entries", "count"), ("verified", "count"), ("share", "percent")),
        ("share",),
    )
    kb = figures.knowledge
    total = (
        b.count(kb.entries),
        b.count(kb.verified),
        suppress.share(kb.verified, kb.entries, threshold),
    )
    share.rows.append(Row("total", b.labels.labels["total"], total))
    for key, (entries, verified) in kb.by_category.items():
        ratio = suppress.share(verified, entries, threshold)
        share.rows.append(Row(key, b.category(key), (b.count(entries), b.count(verified), ratio)))

    if threshold:
        for table, first in ((months, 0), (categories, 0), (share, 1)):
            _complement(table, first, ("count",))
    topics = b.table("topics", (("topic", "label"), ("questions", "count")), ("questions",))
    for key, n in figures.topics.most_common():
        if len(topics.rows) == TOP_TOPICS or not keep(n):
            break
        topics.rows.append(Row(key, b.entry(key), (b.count(n),)))
    return [months, categories, replies, applications, share, topics]


def _complement(table: Table, first: int, units: tuple[str, ...]) -> None:
    """Secondary suppression per column over rows ``first:`` (a total row above stays)."""
    rows = table.rows[first:]
    for index, column in enumerate(table.values):
        if column.unit not in units:
            continue
        column_cells = suppress.complement([row.cells[index] for row in rows])
        for n, (row, cell) in enumerate(zip(rows, column_cells, strict=True)):
            if cell is not row.cells[index]:
                cells = (*row.cells[:index], cell, *row.cells[index + 1 :])
                table.rows[first + n] = Row(row.key, row.label, cells)
                rows[n] = table.rows[first + n]


def public_tables(figures: Figures, knowledge: Knowledge, flows: FlowCatalog) -> list[Table]:
    """The published tables, every small number withheld."""
    return _build(figures, knowledge, flows, suppress.THRESHOLD)


def staff_tables(figures: Figures, knowledge: Knowledge, flows: FlowCatalog) -> list[Table]:
    """The same tables for staff with nothing withheld, plus departments and the weekly trend."""
    tables = _build(figures, knowledge, flows, 0)
    b = _Builder(knowledge, flows, 0)
    departments = b.table(
        "by_department",
        (
            ("department", "label"),
            *((c, "count") for c in (*_OUTCOMES, "unanswered")),
            ("median_office", "minutes"),
            ("median_after_hours", "minutes"),
            ("waiting", "count"),
        ),
        ("questions",),
    )
    keys = sorted(set(figures.by_department) | set(figures.replies_by_department))
    for key in keys:
        cell = figures.by_department.get(key, Outcomes())
        times = figures.replies_by_department.get(key, ReplyTimes())
        cells = (
            *b.outcomes(cell, unanswered=True),
            suppress.median(times.office, 0),
            suppress.median(times.after_hours, 0),
            b.count(times.waiting),
        )
        departments.rows.append(Row(key, b.entry(key), cells))
    weekly = b.table(
        "unanswered_by_week", (("week", "label"), ("unanswered", "count")), ("unanswered",)
    )
    for week in figures.weeks:
        count = figures.unanswered_by_week.get(week, 0)
        weekly.rows.append(Row(week, Text(ja=week, en=week), (b.count(count),)))
    return [weekly, departments, *tables]
