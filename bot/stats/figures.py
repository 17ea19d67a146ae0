"""The figures: turns, hand-offs, staff reply times, applications and knowledge, by month.

    figures = await collect(store, knowledge, office_hours, clock())
    figures.by_month["2026-12"].answered

Months (and weeks) are the office's local calendar; the period is the last :data:`MONTHS`
months up to the clock's "now". Facts are streamed from the store and counted here, so the
queries stay the same on SQLite and PostgreSQL. Nothing here suppresses small numbers: that
is :mod:`bot.stats.suppress`'s job, for the public outputs only.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.handoff.office_hours import OfficeHours
from bot.handoff.values import GENERAL_DEPARTMENT
from bot.knowledge_service import Knowledge
from bot.stats.record import TurnRecord, read_record
from bot.storage.base import Store, Unit
from bot.storage.base_stats import ApplicationFact, EscalationFact

MONTHS = 12  # months shown, this one included
WEEKS = 12  # weeks in the staff's unanswered-questions trend
GENERAL = GENERAL_DEPARTMENT  # where turns with no known area belong
NO_CATEGORY = "none"  # questions the bot could not place in any area
QUESTIONS = frozenset({"answer", "choices", "fallback", "handoff", "emergency"})
HANDED = frozenset({"handoff", "emergency"})


@dataclass
class Outcomes:
    """What became of the questions in one cell (a month, a category, a department)."""

    questions: int = 0
    answered: int = 0  # the bot answered directly
    choices: int = 0  # the bot offered choices
    staff: int = 0  # handed to staff (asked for, needed, emergencies, repeated failures)
    unanswered: int = 0  # the bot did not understand and nobody was called

    def add(self, turn: TurnRecord) -> None:
        self.questions += 1
        if turn.escalated or turn.outcome in HANDED:
            self.staff += 1
        elif turn.outcome == "answer":
            self.answered += 1
        elif turn.outcome == "choices":
            self.choices += 1
        else:
            self.unanswered += 1


@dataclass
class ReplyTimes:
    """Minutes from a hand-off to the first staff reply, opened in and out of office hours."""

    office: list[float] = field(default_factory=list)
    after_hours: list[float] = field(default_factory=list)
    waiting: int = 0  # hand-offs without a staff reply (yet)

    @property
    def median_office(self) -> float | None:
        return _median(self.office)

    @property
    def median_after_hours(self) -> float | None:
        return _median(self.after_hours)


@dataclass
class Applications:
    """One procedure's applications: received (created) and completed (done) in the period."""

    received: int = 0
    completed: int = 0


@dataclass
class KnowledgeShare:
    """How much of the knowledge base staff have verified (all its review items confirmed)."""

    entries: int = 0
    verified: int = 0
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)  # (entries, verified)


@dataclass
class Figures:
    """Everything the published results and the staff dashboard show."""

    months: list[str]  # "YYYY-MM", oldest first
    weeks: list[str]  # ISO dates of Mondays, oldest first
    generated: dt.datetime
    department: str | None = None  # the figures are limited to this department
    by_month: dict[str, Outcomes] = field(default_factory=dict)
    by_category: dict[str, Outcomes] = field(default_factory=dict)
    by_department: dict[str, Outcomes] = field(default_factory=dict)
    replies_by_month: dict[str, ReplyTimes] = field(default_factory=dict)
    replies_by_department: dict[str, ReplyTimes] = field(default_factory=dict)
    applications: dict[str, Applications] = field(default_factory=dict)
    knowledge: KnowledgeShare = field(default_factory=KnowledgeShare)
    topics: Counter[str] = field(default_factory=Counter)  # entry id -> questions answered
    unanswered_by_week: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Outcomes:
        total = Outcomes()
        for cell in self.by_month.values():
            total.questions += cell.questions
            total.answered += cell.answered
            total.choices += cell.choices
            total.staff += cell.staff
            total.unanswered += cell.unanswered
        return total


async def verified_entries(knowledge: Knowledge, unit: Unit) -> dict[str, bool]:
    """Entry id -> whether staff have verified it: the one seam for the review state.

    Today the state is the YAML ``review`` list: an entry with none left is verified. When
    review items are confirmed in the database, read them here through ``unit``.
    """
    del unit  # the confirmations are not stored yet
    return {entry.id: not entry.review for entry in knowledge.kb if entry.kind != "department"}


async def collect(
    store: Store,
    knowledge: Knowledge,
    hours: OfficeHours,
    now: dt.datetime,
    *,
    department: str | None = None,
) -> Figures:
    """Count the last :data:`MONTHS` months (to ``now``), optionally for one department."""
    months, since, until = month_range(now, hours.tz, MONTHS)
    weeks, week_since = week_range(now, hours.tz, WEEKS)
    figures = Figures(months=months, weeks=weeks, generated=now, department=department)
    for month in months:
        figures.by_month[month] = Outcomes()
        figures.replies_by_month[month] = ReplyTimes()
    figures.unanswered_by_week = dict.fromkeys(weeks, 0)
    start = min(since, week_since)
    async with store.unit() as unit:
        stats = unit.stats
        if stats is None:
            msg = "the published figures need a SQL store"
            raise TypeError(msg)
        async for reply in stats.replies(start, until):
            turn = read_record(reply.payload)
            if turn is None or turn.outcome not in QUESTIONS:
                continue
            owner = department_of(knowledge, turn.category, turn.entry_id)
            if department is not None and owner != department:
                continue
            _count_turn(figures, turn, owner, reply.at, hours, since)
        async for escalation in stats.escalations(since, until):
            if department is None or escalation.department == department:
                _count_escalation(figures, escalation, hours)
        async for application in stats.applications(since, until):
            if department is None or application.department == department:
                _count_application(figures, application, since, until)
        verified = await verified_entries(knowledge, unit)
    _count_knowledge(figures, knowledge, verified, department)
    return figures


def department_of(knowledge: Knowledge, category: str | None, entry_id: str | None) -> str:
    """The department a turn belongs to, routed as hand-offs are."""
    if category:
        owner = knowledge.kb.department_for(category)
        if owner is not None:
            return owner.id
    entry = knowledge.entry(entry_id) if entry_id else None
    if entry is not None:
        owner = knowledge.entry(entry.department)
        if owner is not None and owner.kind == "department":
            return owner.id
    return GENERAL


def _count_turn(
    figures: Figures,
    turn: TurnRecord,
    owner: str,
    at: dt.datetime,
    hours: OfficeHours,
    since: dt.datetime,
) -> None:
    local = at.astimezone(hours.tz)
    if turn.outcome == "fallback" and not turn.escalated:
        week = _monday(local.date()).isoformat()
        if week in figures.unanswered_by_week:
            figures.unanswered_by_week[week] += 1
    if at < since:
        return  # only in the weekly trend's reach
    figures.by_month[f"{local:%Y-%m}"].add(turn)
    figures.by_category.setdefault(turn.category or NO_CATEGORY, Outcomes()).add(turn)
    figures.by_department.setdefault(owner, Outcomes()).add(turn)
    if turn.outcome == "answer" and turn.entry_id:
        figures.topics[turn.entry_id] += 1


def _count_escalation(figures: Figures, fact: EscalationFact, hours: OfficeHours) -> None:
    month = f"{fact.created_at.astimezone(hours.tz):%Y-%m}"
    cells = (
        figures.replies_by_month[month],
        figures.replies_by_department.setdefault(fact.department, ReplyTimes()),
    )
    if fact.first_reply_at is None:
        for cell in cells:
            cell.waiting += 1
        return
    minutes = (fact.first_reply_at - fact.created_at).total_seconds() / 60
    for cell in cells:
        (cell.office if hours.is_open(fact.created_at) else cell.after_hours).append(minutes)


def _count_application(
    figures: Figures, fact: ApplicationFact, since: dt.datetime, until: dt.datetime
) -> None:
    cell = figures.applications.setdefault(fact.flow_id, Applications())
    if since <= fact.created_at < until:
        cell.received += 1
    if fact.status == "done" and fact.closed_at is not None and since <= fact.closed_at < until:
        cell.completed += 1


def _count_knowledge(
    figures: Figures, knowledge: Knowledge, verified: dict[str, bool], department: str | None
) -> None:
    share = figures.knowledge
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry_id, ok in verified.items():
        entry = knowledge.entry(entry_id)
        if entry is None:
            continue
        if department is not None and department_of(knowledge, entry.category, entry.id) != (
            department
        ):
            continue
        share.entries += 1
        share.verified += ok
        cell = by_category[entry.category]
        cell[0] += 1
        cell[1] += ok
    share.by_category = {key: (cell[0], cell[1]) for key, cell in sorted(by_category.items())}


def month_range(
    now: dt.datetime, tz: dt.tzinfo, count: int
) -> tuple[list[str], dt.datetime, dt.datetime]:
    """The last ``count`` local months to ``now``: names and UTC bounds ``[since, until)``."""
    local = now.astimezone(tz)
    year, month = local.year, local.month
    names: list[str] = []
    for _ in range(count):
        names.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    names.reverse()
    first_year, first_month = (int(part) for part in names[0].split("-"))
    since = dt.datetime(first_year, first_month, 1, tzinfo=tz).astimezone(dt.UTC)
    next_year, next_month = (
        (local.year, local.month + 1) if local.month < 12 else (local.year + 1, 1)
    )
    until = dt.datetime(next_year, next_month, 1, tzinfo=tz).astimezone(dt.UTC)
    return names, since, until


def week_range(now: dt.datetime, tz: dt.tzinfo, count: int) -> tuple[list[str], dt.datetime]:
    """The last ``count`` local weeks to ``now`` (Mondays, ISO dates) and the first's start."""
    monday = _monday(now.astimezone(tz).date())
    days = [monday - dt.timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    start = dt.datetime.combine(days[0], dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return [day.isoformat() for day in days], start


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
