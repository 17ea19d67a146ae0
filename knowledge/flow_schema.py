"""Schema of guided flows (``knowledge/flows/*.yaml``) and life-event guides.

A flow is a state machine declared as data, read by the flow runner:

1. ``eligibility`` questions (yes/no). An answer other than ``continue_if`` ends the flow with
   ``not_eligible`` and the ``other_routes`` entries; nothing has been collected yet.
2. ``privacy``: when any step is ``personal``, the notice is shown and an explicit yes is
   required before the first step; a no ends the flow and nothing is stored. Because the notice
   comes before *every* step, each personal step is asked after it by construction
   (:meth:`Flow.asking_order` is the single source of that order).
3. ``steps`` in list order; a step whose ``when`` does not hold is skipped
   (:meth:`Flow.next_step`). After the last step (``END``) the runner shows the summary.
4. The end depends on ``kind``: ``application``/``report`` store the answers and issue a
   reference number ``<reference_prefix>-YYYYMMDD-XXXX`` with ``confirmation``; ``guide`` stores
   nothing and shows the ``result`` items whose ``when`` holds; ``handover`` has no steps and
   hands the citizen to ``online_form``.
5. An unfinished flow expires after ``expires_after_minutes`` (``TIMEOUT``); its partial
   answers are deleted.

Answer values the runner stores (and conditions compare): ``yes_no`` → ``bool``, ``choice`` and
``time_slot`` → the option ``value`` (a list of values when ``multiple``), ``number`` → ``int``,
``date`` → ISO ``YYYY-MM-DD``; other types → ``str`` (``name`` is a person's name; photos and
locations: a stored reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knowledge.schema import Text

StepType = Literal[
    "yes_no",
    "choice",
    "text",
    "name",
    "number",
    "date",
    "time_slot",
    "address",
    "postal_code",
    "phone",
    "email",
    "photo",
    "location",
]
FlowKind = Literal["application", "report", "guide", "handover"]
ConditionValue = bool | int | str

# Which validation options make sense for which step type.
VALIDATION_FOR: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length"}),
    "name": frozenset({"max_length"}),
    "number": frozenset({"min_value", "max_value"}),
    "date": frozenset({"min_days_ahead", "max_days_ahead", "weekdays_only"}),
    "address": frozenset({"asahikawa_only", "max_length"}),
    "location": frozenset({"asahikawa_only"}),
    "postal_code": frozenset({"asahikawa_only"}),
    "photo": frozenset({"max_count"}),
}
OPTION_TYPES = frozenset({"choice", "time_slot"})
CONDITION_TYPES = frozenset({"yes_no", "choice", "time_slot", "number"})
ALWAYS_PERSONAL = frozenset({"name", "phone", "email"})

_FLOW_ID = r"^flow\.[a-z0-9_]+$"
_LIFE_ID = r"^life\.[a-z0-9_]+$"
_LOCAL_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Option(_Strict):
    """One answer offered on a button; ``value`` is what is stored and compared."""

    value: str = Field(pattern=_LOCAL_ID, max_length=32)
    label: Text


class Condition(_Strict):
    """Ask or show something only when an earlier answer matches.

    Exactly one of ``equals``, ``in`` or ``not_in``. A missing answer (the step was skipped or
    left empty) fails ``equals``/``in`` and satisfies ``not_in``. For a multiple choice the
    condition looks at each chosen value: it holds when any of them matches.

    Usage::

        when: {step: contact, equals: true}
        when: {step: requester, in: [self, household]}
    """

    model_config = ConfigDict(populate_by_name=True)

    step: str = Field(pattern=_LOCAL_ID)
    equals: ConditionValue | None = None
    in_: list[ConditionValue] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[ConditionValue] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Condition:
        given = [x for x in (self.equals, self.in_, self.not_in) if x is not None]
        if len(given) != 1:
            msg = "a condition needs exactly one of 'equals', 'in' or 'not_in'"
            raise ValueError(msg)
        return self

    def values(self) -> list[ConditionValue]:
        """Every value the condition mentions (checked against the step's answers)."""
        if self.equals is not None:
            return [self.equals]
        return list(self.in_ or self.not_in or [])

    def holds(self, answers: Mapping[str, object]) -> bool:
        answer = answers.get(self.step)
        chosen = answer if isinstance(answer, list) else [] if answer is None else [answer]
        if self.not_in is not None:
            return not any(_same(a, v) for a in chosen for v in self.not_in)
        wanted = [self.equals] if self.equals is not None else list(self.in_ or [])
        return any(_same(a, v) for a in chosen for v in wanted)


def _same(answer: object, value: ConditionValue) -> bool:
    # True == 1 in Python; a yes/no answer must not match the number 1 or the reverse.
    return type(answer) is type(value) and answer == value


class Validation(_Strict):
    """Per-type checks; which ones a type accepts is in :data:`VALIDATION_FOR`.

    ``min_days_ahead``/``max_days_ahead`` count from today (0 = today, negative = the past);
    ``weekdays_only`` refuses days the city hall is closed
    (weekends, national holidays, the year-end break); ``asahikawa_only``
    refuses a place outside the city.
    """

    min_length: int | None = Field(default=None, ge=1)
    max_length: int | None = Field(default=None, ge=1, le=2000)
    min_value: int | None = None
    max_value: int | None = None
    min_days_ahead: int | None = None
    max_days_ahead: int | None = None
    weekdays_only: bool | None = None
    asahikawa_only: bool | None = None
    max_count: int | None = Field(default=None, ge=1, le=10)

    @model_validator(mode="after")
    def _ranges(self) -> Validation:
        for low, high in (
            ("min_length", "max_length"),
            ("min_value", "max_value"),
            ("min_days_ahead", "max_days_ahead"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                msg = f"{low} ({lo}) is greater than {high} ({hi})"
                raise ValueError(msg)
        return self

    def given(self) -> set[str]:
        return {name for name, value in self if value is not None}


class Step(_Strict):
    """One question of a flow, asking for one thing of one type."""

    id: str = Field(pattern=_LOCAL_ID, max_length=32)
    type: StepType
    prompt: Text
    summary_label: Text
    options: list[Option] = Field(default_factory=list)
    multiple: bool = False  # choice only: the citizen may pick several options
    optional: bool = False  # the citizen may skip it (the runner offers "skip")
    personal: bool = False  # personal data: needs the privacy consent, shown only to staff
    when: Condition | None = None
    validation: Validation = Field(default_factory=Validation)
    example: Text | None = None  # shown when an answer is refused and asked again

    @model_validator(mode="after")
    def _type_specific(self) -> Step:
        if self.type in OPTION_TYPES and not self.options:
            msg = f"a {self.type} step needs 'options' (at least one)"
            raise ValueError(msg)
        if self.type not in OPTION_TYPES and self.options:
            msg = f"only choice and time_slot steps have 'options', not {self.type}"
            raise ValueError(msg)
        if self.multiple and self.type != "choice":
            msg = "only a choice step can be 'multiple'"
            raise ValueError(msg)
        values = [o.value for o in self.options]
        if len(values) != len(set(values)):
            msg = "option values must be unique"
            raise ValueError(msg)
        allowed = VALIDATION_FOR.get(self.type, frozenset())
        extra = sorted(self.validation.given() - allowed)
        if extra:
            msg = f"validation {', '.join(extra)} does not apply to a {self.type} step"
            raise ValueError(msg)
        if self.type in ALWAYS_PERSONAL and not self.personal:
            msg = f"a {self.type} step collects personal data: set 'personal: true'"
            raise ValueError(msg)
        return self


class EligibilityQuestion(_Strict):
    """A yes/no question asked before anything else; the wrong answer ends the flow."""

    id: str = Field(pattern=_LOCAL_ID, max_length=32)
    prompt: Text
    continue_if: bool = True
    not_eligible: Text
    other_routes: list[str] = Field(default_factory=list)  # entry ids offered instead


class ResultItem(_Strict):
    """One line of a guide's outcome (a checklist item); ``{step_id}`` inserts an answer."""

    text: Text
    when: Condition | None = None
    entry_id: str | None = None  # an entry offered as a button beside the item


class OnlineForm(_Strict):
    """The official online form a ``handover`` flow links to.

    ``url_review: true`` marks the URL as a placeholder awaiting staff: the runner then shows
    ``explain`` without the link. Only a reviewed (``url_review: false``) URL is ever linked.
    """

    url: str = Field(pattern=r"^https://\S+$")
    url_review: bool
    label: Text
    explain: Text


class Flow(_Strict):
    """One guided procedure: see the module docstring for how the runner reads it."""

    id: str = Field(pattern=_FLOW_ID, max_length=56)
    kind: FlowKind
    title: Text
    entry_id: str = Field(min_length=1)
    department: str = Field(min_length=1)
    triggers: list[str] = Field(min_length=1)
    privacy: Text | None = None
    eligibility: list[EligibilityQuestion] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    confirmation: Text | None = None
    result: list[ResultItem] = Field(default_factory=list)
    reference_prefix: str | None = Field(default=None, pattern=r"^[A-Z]$")
    online_form: OnlineForm | None = None
    review: list[str] = Field(default_factory=list)
    expires_after_minutes: int = Field(default=30, ge=5, le=24 * 60)

    @field_validator("triggers", "review")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [item.strip() for item in items]
        if any(not item for item in cleaned):
            msg = "must not contain empty strings"
            raise ValueError(msg)
        return cleaned

    @model_validator(mode="after")
    def _kind_specific(self) -> Flow:
        stores = self.kind in {"application", "report"}
        needs: dict[str, bool] = {
            "steps": self.kind != "handover",
            "confirmation": stores,
            "reference_prefix": stores,
            "result": self.kind == "guide",
            "online_form": self.kind == "handover",
        }
        for name, wanted in needs.items():
            present = bool(getattr(self, name))
            if wanted and not present:
                msg = f"a flow of kind {self.kind!r} needs '{name}'"
                raise ValueError(msg)
            if present and not wanted:
                msg = f"a flow of kind {self.kind!r} has no '{name}'"
                raise ValueError(msg)
        if self.personal_steps() and not stores:
            msg = f"a flow of kind {self.kind!r} stores nothing: it must not ask for personal data"
            raise ValueError(msg)
        if self.personal_steps() and self.privacy is None:
            msg = "a flow with personal steps needs a 'privacy' notice (asked before step one)"
            raise ValueError(msg)
        if self.privacy is not None and not self.personal_steps():
            msg = "'privacy' is only for flows with a personal step (none is marked personal)"
            raise ValueError(msg)
        return self

    def step(self, step_id: str) -> Step:
        """The step with this id; ``KeyError`` names it when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def personal_steps(self) -> list[Step]:
        return [s for s in self.steps if s.personal]

    def asking_order(self) -> list[str]:
        """What the runner asks, in order: ``eligibility:<id>``, ``privacy``, then step ids."""
        order = [f"eligibility:{q.id}" for q in self.eligibility]
        if self.privacy is not None:
            order.append("privacy")
        return order + [s.id for s in self.steps]

    def next_step(self, after: str | None, answers: Mapping[str, object]) -> str | None:
        """The id of the next step to ask after ``after`` (``None``: the first), or ``None``."""
        ids = [s.id for s in self.steps]
        start = 0 if after is None else ids.index(after) + 1
        for step in self.steps[start:]:
            if step.when is None or step.when.holds(answers):
                return step.id
        return None

    def previous_step(self, before: str, answers: Mapping[str, object]) -> str | None:
        """The step "back" returns to from ``before``: the last earlier one that applies."""
        ids = [s.id for s in self.steps]
        for step in reversed(self.steps[: ids.index(before)]):
            if step.when is None or step.when.holds(answers):
                return step.id
        return None


class FlowFile(_Strict):
    flow: Flow


# --- Life events ----------------------------------------------------------------------------


class NarrowingQuestion(_Strict):
    """A short question that narrows a life event's list (children? a dog? a car?)."""

    id: str = Field(pattern=_LOCAL_ID, max_length=32)
    type: Literal["yes_no", "choice"]
    prompt: Text
    options: list[Option] = Field(default_factory=list)

    @model_validator(mode="after")
    def _options(self) -> NarrowingQuestion:
        if (self.type == "choice") != bool(self.options):
            msg = "a choice question needs 'options'; a yes_no question has none"
            raise ValueError(msg)
        return self


class LifeEventItem(_Strict):
    """One procedure a life event triggers, with how to do it without visiting, or what to bring.

    ``visit_order`` puts the counters in the order that makes one visit enough; items sharing a
    number are done at the same counter. Exactly one of ``department`` (a city department) or
    ``agency`` (another office, e.g. the police or the pension office) says who handles it.
    """

    id: str = Field(pattern=_LOCAL_ID, max_length=32)
    title: Text
    department: str | None = None
    agency: Text | None = None
    entry_id: str | None = None
    without_visit: bool
    how: Text | None = None
    bring: Text | None = None
    visit_order: int | None = Field(default=None, ge=1)
    deadline: Text | None = None
    applies_when: list[Condition] = Field(default_factory=list)  # all must hold

    @model_validator(mode="after")
    def _consistent(self) -> LifeEventItem:
        if (self.department is None) == (self.agency is None):
            msg = "an item needs exactly one of 'department' or 'agency'"
            raise ValueError(msg)
        if self.without_visit and self.how is None:
            msg = "an item done without visiting needs 'how'"
            raise ValueError(msg)
        if not self.without_visit and self.bring is None:
            msg = "an item that needs a visit needs 'bring'"
            raise ValueError(msg)
        if self.department is not None and not self.without_visit and self.visit_order is None:
            msg = "a city-hall visit needs 'visit_order' (the counters' order)"
            raise ValueError(msg)
        if self.without_visit and self.visit_order is not None:
            msg = "'visit_order' is only for items that need a visit"
            raise ValueError(msg)
        return self

    def applies(self, answers: Mapping[str, object]) -> bool:
        return all(c.holds(answers) for c in self.applies_when)


class LifeEvent(_Strict):
    """Everything one life event triggers across departments, narrowed by a few questions."""

    id: str = Field(pattern=_LIFE_ID, max_length=56)
    title: Text
    triggers: list[str] = Field(min_length=1)
    intro: Text
    questions: list[NarrowingQuestion] = Field(default_factory=list)
    items: list[LifeEventItem] = Field(min_length=1)
    related_events: list[str] = Field(default_factory=list)
    review: list[str] = Field(default_factory=list)

    def applicable(self, answers: Mapping[str, object]) -> list[LifeEventItem]:
        return [item for item in self.items if item.applies(answers)]

    def visit_plan(self, answers: Mapping[str, object]) -> list[LifeEventItem]:
        """The city-hall counters to visit, in order (one visit for all of them)."""
        visits = [i for i in self.applicable(answers) if i.visit_order is not None]
        return sorted(visits, key=lambda i: i.visit_order or 0)


class LifeEventFile(_Strict):
    life_event: LifeEvent
