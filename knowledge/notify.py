"""Schema and loader of the notification data: topics and texts, districts, garbage calendars.

    notify = load_notify()          # knowledge/system/notify.yaml, notify/, garbage/
    notify.topic("snow").label.get("ja")

Districts and calendars ship as SAMPLE data (``sample: true`` with ``review`` items): the
citizen-facing texts say so until staff replace them with the city's own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import KnowledgeError
from intents.normalize import clean, to_hiragana
from knowledge.loader import Problem
from knowledge.schema import Text

ROOT = Path(__file__).resolve().parent
RULES = ("subscribe", "settings", "stop", "next_garbage")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Topic(_Strict):
    id: str = Field(pattern=_ID, max_length=16)
    label: Text
    words: list[str] = Field(min_length=1)


class Weekdays(_Strict):
    ja: list[str] = Field(min_length=7, max_length=7)
    en: list[str] = Field(min_length=7, max_length=7)


class NotifyFile(_Strict):
    topics: list[Topic] = Field(min_length=1)
    rules: dict[str, list[str]]
    weekdays: Weekdays
    messages: dict[str, Text]


class Point(_Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class District(_Strict):
    id: str = Field(pattern=_ID, max_length=32)
    label: Text
    centre: Point
    patterns: list[str] = Field(default_factory=list)


class DistrictFile(_Strict):
    sample: bool = False
    review: list[str] = Field(default_factory=list)
    districts: list[District] = Field(min_length=1)


class Collection(_Strict):
    kind: str
    weekdays: list[Weekday] = Field(default_factory=list)
    nth: list[int] = Field(default_factory=list)
    dates: list[dt.date] = Field(default_factory=list)

    @field_validator("nth")
    @classmethod
    def _weeks(cls, value: list[int]) -> list[int]:
        if any(not 1 <= n <= 5 for n in value):
            msg = "nth counts a weekday within its month: 1 to 5"
            raise ValueError(msg)
        return value


class GarbageFile(_Strict):
    sample: bool = False
    review: list[str] = Field(default_factory=list)
    remind_from: dt.time = dt.time(18, 0)
    remind_until: dt.time = dt.time(20, 0)
    kinds: dict[str, Text] = Field(min_length=1)
    closed: list[str] = Field(default_factory=list)  # "MM-DD"
    skip: list[dt.date] = Field(default_factory=list)
    districts: dict[str, list[Collection]]

    @field_validator("closed")
    @classmethod
    def _month_days(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", item):
                msg = f"closed day {item!r} must be MM-DD"
                raise ValueError(msg)
        return value


@dataclass(frozen=True)
class NotifyKnowledge:
    """Everything the notification handlers and sender read, validated."""

    topics: tuple[Topic, ...]
    rules: dict[str, tuple[re.Pattern[str], ...]]
    weekdays: Weekdays
    messages: dict[str, Text]
    districts: DistrictFile
    garbage: GarbageFile

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts.districts if d.id == district_id), None)

    def text(self, key: str, language: str, **values: str) -> str:
        template = self.messages[key].get(language)
        return template.format(**values) if values else template

    def matches(self, rule: str, normalized: str) -> bool:
        return any(p.search(normalized) for p in self.rules.get(rule, ()))

    def review_items(self) -> list[str]:
        return [
            *(f"notify/districts.yaml: {item}" for item in self.districts.review),
            *(f"garbage/calendar.yaml: {item}" for item in self.garbage.review),
        ]


def _read(path: Path, model: type[BaseModel], problems: list[Problem]) -> Any:
    rel = str(path.relative_to(path.parent.parent))
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        problems.append(Problem(rel, None, None, f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        problems.append(Problem(rel, None, None, f"not valid YAML: {exc}"))
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            problems.append(
                Problem(rel, ".".join(loc[:2]) or None, ".".join(loc[2:]) or None, err["msg"])
            )
    return None


def _compile(
    patterns: list[str], where: str, problems: list[Problem], fold: bool
) -> tuple[re.Pattern[str], ...]:
    compiled: list[re.Pattern[str]] = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(to_hiragana(clean(pattern)) if fold else pattern))
        except re.error as exc:
            problems.append(Problem(where, pattern, None, f"bad pattern: {exc}"))
    return tuple(compiled)


def _cross_check(
    notify: NotifyFile, districts: DistrictFile, garbage: GarbageFile, problems: list[Problem]
) -> None:
    for name in RULES:
        if name not in notify.rules:
            problems.append(Problem("system/notify.yaml", name, None, "rule missing"))
    ids = [d.id for d in districts.districts]
    if len(set(ids)) != len(ids):
        problems.append(Problem("notify/districts.yaml", None, "id", "district ids repeat"))
    for district in districts.districts:
        _compile(district.patterns, "notify/districts.yaml", problems, fold=False)
    for district_id, collections in garbage.districts.items():
        if district_id not in ids:
            problems.append(
                Problem(
                    "garbage/calendar.yaml",
                    district_id,
                    None,
                    "not a district of notify/districts.yaml",
                )
            )
        for item in collections:
            if item.kind not in garbage.kinds:
                problems.append(
                    Problem(
                        "garbage/calendar.yaml", district_id, "kind", f"unknown kind {item.kind!r}"
                    )
                )
            if not item.weekdays and not item.dates:
                problems.append(
                    Problem(
                        "garbage/calendar.yaml", district_id, item.kind, "needs weekdays or dates"
                    )
                )
    if garbage.remind_from >= garbage.remind_until:
        problems.append(
            Problem(
                "garbage/calendar.yaml", None, "remind_until", "must be later than remind_from"
            )
        )


def load_notify(root: Path | str | None = None) -> NotifyKnowledge:
    """Load and check the notification data; raises KnowledgeError naming file and field."""
    base = Path(root) if root is not None else ROOT
    problems: list[Problem] = []
    notify = _read(base / "system" / "notify.yaml", NotifyFile, problems)
    districts = _read(base / "notify" / "districts.yaml", DistrictFile, problems)
    garbage = _read(base / "garbage" / "calendar.yaml", GarbageFile, problems)
    if problems:
        raise KnowledgeError(problems)
    _cross_check(notify, districts, garbage, problems)
    rules = {
        name: _compile(patterns, "system/notify.yaml", problems, fold=True)
        for name, patterns in notify.rules.items()
    }
    if problems:
        raise KnowledgeError(problems)
    return NotifyKnowledge(
        topics=tuple(notify.topics),
        rules=rules,
        weekdays=notify.weekdays,
        messages=dict(notify.messages),
        districts=districts,
        garbage=garbage,
    )


@cache
def shipped_notify() -> NotifyKnowledge:
    """The shipped notification data, loaded once."""
    return load_notify()
