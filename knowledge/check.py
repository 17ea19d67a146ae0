"""``citybot kb check``: validate the knowledge base and report colliding questions.

The guided flows and life events (:mod:`knowledge.flows`) are validated with it.

A collision is a question of one entry that the matcher ranks under a different entry: the
citizen who asks it that way gets the other answer. Like a keyword shared by two intents, it is
reported so that the maintainer can reword, merge or add keywords.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import KnowledgeError
from intents.analyzer import Synonyms
from intents.matcher import Matcher
from knowledge.documents import entry_documents
from knowledge.flows import load_flows
from knowledge.loader import KnowledgeBase, load_knowledge
from knowledge.notify import load_notify
from knowledge.system import SystemTexts, load_system


@dataclass(frozen=True)
class Collision:
    entry_id: str
    question: str
    winner: str
    winner_score: float
    own_score: float | None


@dataclass(frozen=True)
class Report:
    kb: KnowledgeBase | None
    system: SystemTexts | None
    errors: list[str]
    collisions: list[Collision]
    data_review: list[str] = field(default_factory=list)  # sample data awaiting staff

    @property
    def ok(self) -> bool:
        return not self.errors


def find_collisions(kb: KnowledgeBase, synonyms: Synonyms | None = None) -> list[Collision]:
    matcher = Matcher.build(entry_documents(kb), synonyms)
    found: list[Collision] = []
    for entry in kb:
        for question in entry.questions:
            ranked = matcher.rank(question, k=5)
            if not ranked or ranked[0].entry_id == entry.id:
                continue
            own = next((c.score for c in ranked if c.entry_id == entry.id), None)
            found.append(Collision(entry.id, question, ranked[0].entry_id, ranked[0].score, own))
    return found


def check(
    data_dir: Path | str | None = None,
    system_dir: Path | str | None = None,
    collisions: bool = True,
) -> Report:
    errors: list[str] = []
    kb: KnowledgeBase | None = None
    system: SystemTexts | None = None
    try:
        kb = load_knowledge(data_dir)
    except KnowledgeError as exc:
        errors.extend(str(p) for p in exc.problems)
    try:
        system = load_system(system_dir)
    except KnowledgeError as exc:
        errors.extend(str(p) for p in exc.problems)
    if kb is not None:  # guided flows and life events refer to entries and departments
        try:
            load_flows(kb=kb)
        except KnowledgeError as exc:
            errors.extend(str(p) for p in exc.problems)
    try:  # notification topics, SAMPLE districts and garbage calendars
        review = load_notify().review_items()
    except KnowledgeError as exc:
        errors.extend(str(p) for p in exc.problems)
        review = []
    found: list[Collision] = []
    if kb is not None and collisions:
        groups = system.synonym_groups if system else ()
        found = find_collisions(kb, Synonyms(groups))
    return Report(kb, system, errors, found, review)


def format_report(
    report: Report, review: bool = False, confirmed: Mapping[str, Set[str]] | None = None
) -> Iterable[str]:
    """The report's lines; ``confirmed`` (review items staff confirmed, by entry) are left out."""
    done: Mapping[str, Set[str]] = confirmed or {}
    for error in report.errors:
        yield f"ERROR {error}"
    for c in report.collisions:
        own = f"{c.own_score:.2f}" if c.own_score is not None else "not in top 5"
        yield (
            f"COLLISION {c.entry_id}: {c.question!r} ranks {c.winner} first "
            f"({c.winner_score:.2f}; own {own})"
        )
    kb = report.kb
    left = {
        e.id: [item for item in e.review if item not in done.get(e.id, set())]
        for e in (kb.needing_review() if kb is not None else [])
    }
    left = {entry_id: items for entry_id, items in left.items() if items}
    if review:
        for item in report.data_review:
            yield f"REVIEW {item}"
    if kb is not None and review:
        for entry_id, items in left.items():
            yield f"REVIEW {entry_id} ({kb.files[entry_id]}): " + " / ".join(items)
    if kb is not None:
        kinds: dict[str, int] = {}
        for entry in kb:
            kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        questions = sum(len(e.questions) for e in kb)
        yield (
            f"{len(kb)} entries ({summary}), {questions} questions, "
            f"{len(kb.categories)} categories; {len(report.collisions)} collisions; "
            f"{len(left)} entries with review items"
            + (
                f" ({sum(len(i) for i in left.values())} items left; "
                f"{sum(len(i) for i in done.values())} confirmed by staff)"
                if confirmed is not None
                else ""
            )
            + f"; {len(report.errors)} errors"
        )
    else:
        yield f"{len(report.errors)} errors"
