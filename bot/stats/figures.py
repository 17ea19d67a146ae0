"""The figures: turns, hand-offs, staff reply times, applications and knowledge, by month.

    figures = await collect(store, knowledge, office_hours, clock())
    figures.by_month["2026-12"].answered

Months (and weeks) are the office's local calendar; the period is the last :data:`MONTHS`
months up to the clock's "now". Turns are counted in the database one month (and week) at a
time, hand-offs and applications streamed, so the queries stay the same on SQLite and
PostgreSQL. Nothing here suppresses small numbers: that is :mod:`bot.stats.suppress`'s job,
for the public outputs only.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.handoff.office_hours import OfficeHours
from bot.handoff.values import GENERAL_DEPARTMENT
from bot.knowledge_service import Knowledge
from bot.stats.record import TurnRecord
from bot.storage.base import Store, Unit
from bot.storage.base_stats import ApplicationFact, EscalationFact, TurnCount

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

    def add(self, turn: TurnRecord, count: int = 1) -> None:
        self.questions += count
        if turn.escalated or turn.outcome in HANDED:
            self.staff += count
        elif turn.outcome == "answer":
            self.answered += count
        elif turn.outcome == "choices":
            self.choices += count
        else:
            self.unanswered += count


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
    weeks = week_range(now, hours.tz, WEEKS)
    figures = Figures(months=months, weeks=weeks, generated=now, department=department)
    for month in months:
        figures.by_month[month] = Outcomes()
        figures.replies_by_month[month] = ReplyTimes()
    figures.unanswered_by_week = dict.fromkeys(weeks, 0)
    owners: dict[tuple[str | None, str | None], str] = {}

    def owner_of(count: TurnCount) -> str | None:
        """The turn's department, or ``None`` when the figures are for another one."""
        key = (count.category, count.entry_id)
        owner = owners.get(key)
        if owner is None:
            owner = owners[key] = department_of(knowledge, *key)
        return owner if department is None or owner == department else None

    async with store.reading() as unit:  # a long read: on SQLite beside the event loop
        stats = unit.stats
        if stats is None:
            msg = "the published figures need a SQL store"
            raise TypeError(msg)
        for month, low, high in _bounds(months, hours.tz):  # one small grouped query each
            for count in await stats.turn_counts(low, high):
                owner = owner_of(count)
                if count.outcome in QUESTIONS and owner is not None:
                    _count_turns(figures, month, owner, count)
        for week, low, high in _bounds(weeks, hours.tz):
            for count in await stats.turn_counts(low, high):
                unanswered = count.outcome == "fallback" and not count.escalated
                if unanswered and owner_of(count) is not None:
                    figures.unanswered_by_week[week] += count.count
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


def _count_turns(figures: Figures, month: str, owner: str, count: TurnCount) -> None:
    turn = TurnRecord(count.outcome, count.entry_id, count.category, count.escalated)
    figures.by_month[month].add(turn, count.count)
    figures.by_category.setdefault(turn.category or NO_CATEGORY, Outcomes()).add(turn, count.count)
    figures.by_department.setdefault(owner, Outcomes()).add(turn, count.count)
    if turn.outcome == "answer" and turn.entry_id:
        figures.topics[turn.entry_id] += count.count


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
    bounds = _bounds(names, tz)
    return names, bounds[0][1], bounds[-1][2]


def week_range(now: dt.datetime, tz: dt.tzinfo, count: int) -> list[str]:
    """The last ``count`` local weeks to ``now``, as the ISO dates of their Mondays."""
    monday = _monday(now.astimezone(tz).date())
    return [(monday - dt.timedelta(weeks=back)).isoformat() for back in range(count - 1, -1, -1)]


def _bounds(names: list[str], tz: dt.tzinfo) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Each month ("YYYY-MM") or week (a Monday, "YYYY-MM-DD") with its UTC ``[start, end)``."""
    bounds = []
    for name in names:
        parts = [int(part) for part in name.split("-")]
        if len(parts) == 2:
            first = dt.date(parts[0], parts[1], 1)
            after = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        else:
            first = dt.date(*parts)
            after = first + dt.timedelta(weeks=1)
        start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        end = dt.datetime.combine(after, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        bounds.append((name, start, end))
    return bounds


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
