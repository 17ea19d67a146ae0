"""Load guided flows and life-event guides, and cross-check them against the knowledge base.

Usage::

    catalog = load_flows()                       # knowledge/flows and knowledge/life_events
    flow = catalog.flows["flow.bulky_waste"]
    catalog.triggered_by("粗大ごみを申し込みたい")  # -> that flow

A broken file raises :class:`KnowledgeError`; each problem names the file, the flow (or life
event), the step (``steps[pickup_date]``) and the field, like :mod:`knowledge.loader`.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from bot.errors import KnowledgeError
from intents.normalize import normalize
from knowledge.flow_schema import (
    CONDITION_TYPES,
    Condition,
    ConditionValue,
    Flow,
    FlowFile,
    LifeEvent,
    LifeEventFile,
    NarrowingQuestion,
    Step,
)
from knowledge.loader import KnowledgeBase, Problem, load_knowledge

MIN_TRIGGER_PART = 6  # characters: a shorter trigger inside a sentence is too easily a false hit
FLOWS_DIR = Path(__file__).resolve().parent / "flows"
LIFE_EVENTS_DIR = Path(__file__).resolve().parent / "life_events"

# Host names reserved for examples (RFC 2606/6761): a URL there is a placeholder.
_PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net")
_PLACEHOLDER_TLDS = (".example", ".invalid", ".test", ".localhost")

FileModel = TypeVar("FileModel", FlowFile, LifeEventFile)
Report = Callable[[str, str], None]  # (field path, message) -> records a Problem


@dataclass(frozen=True)
class FlowCatalog:
    """The validated, read-only flows and life events."""

    flows: dict[str, Flow]
    life_events: dict[str, LifeEvent]
    files: dict[str, str] = field(default_factory=dict)  # flow or life-event id -> file

    def triggered_by(self, text: str) -> Flow | LifeEvent | None:
        """The flow or life event one of whose triggers the text is (after normalizing)."""
        return self._triggers.get(normalize(text))

    def named_in(self, text: str) -> Flow | LifeEvent | None:
        """What a message asks for: a trigger said alone, a trigger inside a longer sentence,
        or (life events) the beginning of a longer trigger — 「子どもが生まれた」 begins
        「子どもが生まれたときの手続」. Flows are looked for first."""
        exact = self.triggered_by(text)
        if exact is not None:
            return exact
        said = normalize(text)
        for wanted, item in self._triggers.items():
            if len(wanted) >= MIN_TRIGGER_PART and wanted in said:
                return item
        if len(said) >= MIN_TRIGGER_PART:
            for wanted, item in self._triggers.items():
                if isinstance(item, LifeEvent) and wanted.startswith(said):
                    return item
        return None

    @cached_property
    def _triggers(self) -> dict[str, Flow | LifeEvent]:  # flows first, then life events
        """Normalized trigger -> its flow or life event (the first one wins, as listed)."""
        found: dict[str, Flow | LifeEvent] = {}
        items: list[Flow | LifeEvent] = [*self.flows.values(), *self.life_events.values()]
        for item in items:
            for trigger in item.triggers:
                found.setdefault(normalize(trigger), item)
        return found

    def flows_for_entry(self, entry_id: str) -> list[Flow]:
        """The flows that carry out a knowledge entry (to offer "start now" with its answer)."""
        return [f for f in self.flows.values() if f.entry_id == entry_id]


def load_flows(
    flows_dir: Path | str | None = None,
    life_events_dir: Path | str | None = None,
    kb: KnowledgeBase | None = None,
) -> FlowCatalog:
    """Load and cross-check every flow and life event (default: the shipped ones).

    Args:
        flows_dir: folder of ``*.yaml`` files, each ``flow: {...}``.
        life_events_dir: folder of ``*.yaml`` files, each ``life_event: {...}``.
        kb: the knowledge base entry ids and departments are checked against (default: loaded).

    Raises:
        KnowledgeError: listing every problem, each with file, flow, step and field.
    """
    knowledge = kb if kb is not None else load_knowledge()
    problems: list[Problem] = []
    files: dict[str, str] = {}
    flows: dict[str, Flow] = {}
    events: dict[str, LifeEvent] = {}
    broken: set[str] = set()  # ids of files that failed validation: reported once, there
    for rel, flow_file in _parse(Path(flows_dir or FLOWS_DIR), FlowFile, "flow", problems, broken):
        flow = flow_file.flow
        if _register(flow.id, rel, files, problems):
            flows[flow.id] = flow
            problems.extend(_check_flow(flow, rel, knowledge))
    for rel, event_file in _parse(
        Path(life_events_dir or LIFE_EVENTS_DIR), LifeEventFile, "life_event", problems, broken
    ):
        event = event_file.life_event
        if _register(event.id, rel, files, problems):
            events[event.id] = event
            problems.extend(_check_life_event(event, rel, knowledge))
    for event in events.values():
        for other in event.related_events:
            if other not in events and other not in broken:
                problems.append(
                    Problem(files[event.id], event.id, "related_events", f"unknown {other!r}")
                )
    problems.extend(_trigger_collisions([*flows.values(), *events.values()], files))
    if problems:
        raise KnowledgeError(problems)
    return FlowCatalog(flows=flows, life_events=events, files=files)


# --- Reading --------------------------------------------------------------------------------


def _parse(
    root: Path, model: type[FileModel], key: str, problems: list[Problem], broken: set[str]
) -> list[tuple[str, FileModel]]:
    """Validate each file on its own, so that one broken file does not hide the others."""
    if not root.is_dir():
        problems.append(Problem(str(root), None, None, "folder not found"))
        return []
    parsed: list[tuple[str, FileModel]] = []
    for path in sorted(p for p in root.iterdir() if p.suffix in {".yaml", ".yml"}):
        rel = f"{root.name}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(rel, None, None, f"not valid YAML: {exc}"))
            continue
        try:
            parsed.append((rel, model.model_validate(data)))
        except ValidationError as exc:
            for err in exc.errors():
                name, path_text = _locate(data, tuple(err["loc"]), key)
                problems.append(Problem(rel, name, path_text, err["msg"]))
                if name:
                    broken.add(name)
    return parsed


def _locate(data: Any, loc: tuple[int | str, ...], key: str) -> tuple[str | None, str]:
    """Turn a pydantic location into (flow id, ``steps[pickup_date].when.step``)."""
    node = data.get(key) if isinstance(data, dict) else None
    raw_id = node.get("id") if isinstance(node, dict) else None
    rest = loc[1:] if loc and loc[0] == key else loc
    parts: list[str] = []
    for part in rest:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("id", item.get("value")) if isinstance(item, dict) else None
            if label and parts:  # an item with an id is named by it: steps[pickup_date]
                parts[-1] += f"[{label}]"
            else:
                parts.append(str(part))
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return (str(raw_id) if raw_id else None), ".".join(parts) or f"({key})"


def _register(item_id: str, rel: str, files: dict[str, str], problems: list[Problem]) -> bool:
    if item_id in files:
        problems.append(Problem(rel, item_id, "id", f"duplicate id (also in {files[item_id]})"))
        return False
    files[item_id] = rel
    return True


# --- Flow checks ----------------------------------------------------------------------------


def _check_flow(flow: Flow, rel: str, kb: KnowledgeBase) -> list[Problem]:
    found: list[Problem] = []

    def problem(where: str, message: str) -> None:
        found.append(Problem(rel, flow.id, where, message))

    _check_entry(flow.entry_id, "entry_id", kb, problem)
    _check_department(flow.department, "department", kb, problem)
    for name, ids in (
        ("eligibility", [q.id for q in flow.eligibility]),
        ("steps", [s.id for s in flow.steps]),
    ):
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problem(f"{name}[{dup}].id", "duplicate id in this flow")
    for question in flow.eligibility:
        for index, other in enumerate(question.other_routes):
            _check_entry(other, f"eligibility[{question.id}].other_routes.{index}", kb, problem)
    earlier: dict[str, Step] = {}
    for step in flow.steps:
        if step.when is not None:
            where = f"steps[{step.id}].when"
            target = earlier.get(step.when.step)
            if target is None:
                later = step.when.step in {s.id for s in flow.steps}
                what = "itself or a later step" if later else "an unknown step"
                problem(f"{where}.step", f"refers to {what} {step.when.step!r}")
            else:
                _check_values(step.when, target, where, problem)
        earlier.setdefault(step.id, step)
    for index, item in enumerate(flow.result):
        where = f"result.{index}"
        if item.entry_id is not None:
            _check_entry(item.entry_id, f"{where}.entry_id", kb, problem)
        if item.when is not None:
            target = earlier.get(item.when.step)
            if target is None:
                problem(f"{where}.when.step", f"refers to an unknown step {item.when.step!r}")
            else:
                _check_values(item.when, target, f"{where}.when", problem)
        _check_placeholders(flow, item.text.ja + item.text.en, item.when, where, problem)
    if flow.confirmation is not None:
        _check_placeholders(
            flow, flow.confirmation.ja + flow.confirmation.en, None, "confirmation", problem
        )
    if flow.online_form is not None:
        _check_online_form(flow, problem)
    return found


def _check_values(cond: Condition, target: Step, where: str, problem: Report) -> None:
    if target.type not in CONDITION_TYPES:
        problem(f"{where}.step", f"a condition cannot test a {target.type} step {target.id!r}")
        return
    allowed = {o.value for o in target.options}
    for value in cond.values():
        if not _fits(value, target.type, allowed):
            problem(where, f"{value!r} is not a possible answer of {target.id!r} ({target.type})")


def _fits(value: ConditionValue, step_type: str, options: set[str]) -> bool:
    if step_type == "yes_no":
        return isinstance(value, bool)
    if step_type == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and value in options


def _check_placeholders(
    flow: Flow, text: str, when: Condition | None, where: str, problem: Report
) -> None:
    """``{name}`` must be an answer that is always there when the text is shown."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    allowed_extra = {"reference"} if where == "confirmation" else set()
    for name in sorted(names - allowed_extra):
        step = next((s for s in flow.steps if s.id == name), None)
        if step is None:
            problem(where, f"placeholder {{{name}}} is not a step of this flow")
        elif step.optional or (step.when is not None and step.when != when):
            problem(where, f"placeholder {{{name}}} may be unanswered when this text is shown")


def _check_online_form(flow: Flow, problem: Report) -> None:
    form = flow.online_form
    assert form is not None  # checked by the caller
    host = (urlsplit(form.url).hostname or "").lower()
    placeholder = host in _PLACEHOLDER_HOSTS or host.endswith(_PLACEHOLDER_TLDS)
    if placeholder and not form.url_review:
        problem("online_form.url", "a placeholder URL needs 'url_review: true'")
    if form.url_review and not any("url" in item.lower() for item in flow.review):
        problem("review", "online_form.url awaits review: list the form's URL under 'review'")


def _check_entry(entry_id: str, where: str, kb: KnowledgeBase, problem: Report) -> None:
    if entry_id not in kb.entries:
        problem(where, f"unknown entry {entry_id!r}")


def _check_department(dept: str, where: str, kb: KnowledgeBase, problem: Report) -> None:
    entry = kb.entries.get(dept)
    if entry is None or entry.kind != "department":
        problem(where, f"unknown department {dept!r}")


# --- Life-event checks ----------------------------------------------------------------------


def _check_life_event(event: LifeEvent, rel: str, kb: KnowledgeBase) -> list[Problem]:
    found: list[Problem] = []

    def problem(where: str, message: str) -> None:
        found.append(Problem(rel, event.id, where, message))

    questions: dict[str, NarrowingQuestion] = {}
    for question in event.questions:
        if question.id in questions:
            problem(f"questions[{question.id}].id", "duplicate id in this life event")
        questions[question.id] = question
    seen: set[str] = set()
    counters: dict[int, str] = {}
    for item in event.items:
        where = f"items[{item.id}]"
        if item.id in seen:
            problem(f"{where}.id", "duplicate id in this life event")
        seen.add(item.id)
        if item.department is not None:
            _check_department(item.department, f"{where}.department", kb, problem)
        if item.entry_id is not None:
            _check_entry(item.entry_id, f"{where}.entry_id", kb, problem)
        if item.visit_order is not None and item.department is not None:
            first = counters.setdefault(item.visit_order, item.department)
            if first != item.department:
                problem(
                    f"{where}.visit_order",
                    f"{item.visit_order} is already the counter of {first}; "
                    "one number is one counter",
                )
        for index, cond in enumerate(item.applies_when):
            cwhere = f"{where}.applies_when.{index}"
            asked = questions.get(cond.step)
            if asked is None:
                problem(f"{cwhere}.step", f"unknown question {cond.step!r}")
                continue
            allowed = {o.value for o in asked.options}
            for value in cond.values():
                if not _fits(value, asked.type, allowed):
                    problem(cwhere, f"{value!r} is not a possible answer of {asked.id!r}")
    return found


def _trigger_collisions(items: list[Flow | LifeEvent], files: dict[str, str]) -> list[Problem]:
    """Two flows started by the same phrase would make the phrase ambiguous."""
    owner: dict[str, str] = {}
    found: list[Problem] = []
    for item in items:
        for index, trigger in enumerate(item.triggers):
            key = normalize(trigger)
            first = owner.setdefault(key, item.id)
            if first != item.id:
                found.append(
                    Problem(
                        files[item.id],
                        item.id,
                        f"triggers.{index}",
                        f"{trigger!r} already starts {first}",
                    )
                )
    return found
