"""The bot's own texts and rules: ``knowledge/system/*.yaml`` (messages, rules, synonyms).

The guided flows' re-asks (``flow_messages.yaml``) are merged into the same messages, so a
handler says ``turn.say("field_date_invalid", example=...)`` like any other text. How the answer
parsers echo a parsed answer, and the default example of each step type, are ``parsers.yaml``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import KnowledgeError
from intents.normalize import clean, to_hiragana
from knowledge.flow_schema import StepType
from knowledge.loader import Problem
from knowledge.schema import Text

SYSTEM_DIR = Path(__file__).resolve().parent / "system"

RULE_NAMES = (
    "emergency",
    "handoff",
    "complaint",
    "bot_back",
    "greeting",
    "help",
    "thanks",
    "english",
    "japanese",
    "cancel",
)


class MenuItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Text
    send: Text


class MessagesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    messages: dict[str, Text]
    menu: list[MenuItem] = Field(min_length=1)


class FlowMessagesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    messages: dict[str, Text]


ECHO_NAMES = frozenset(
    {
        "yes",
        "no",
        "list",
        "number",
        "date",
        "postal_code",
        "map_location",
        "photo",
        "photo_with_size",
        "no_photo",
    }
)


class _Names(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ja: list[str]
    en: list[str]

    def get(self, language: str) -> list[str]:
        return self.en if language == "en" else self.ja


class ParserTexts(BaseModel):
    """Echoes of parsed answers and the default example answer of each step type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    echoes: dict[str, Text]
    weekdays: _Names
    months: _Names
    examples: dict[str, Text]

    @model_validator(mode="after")
    def _complete(self) -> ParserTexts:
        missing = sorted(ECHO_NAMES - set(self.echoes)) + sorted(
            set(get_args(StepType)) - set(self.examples)
        )
        if missing:
            msg = f"missing: {', '.join(missing)}"
            raise ValueError(msg)
        for names, count in ((self.weekdays, 7), (self.months, 12)):
            if len(names.ja) != count or len(names.en) != count:
                msg = f"weekdays need 7 names and months 12, in each language (got {names})"
                raise ValueError(msg)
        return self

    def echo(self, name: str, language: str, **values: object) -> str:
        """An echo filled in: ``echo("postal_code", "ja", code="070-0031")`` -> ``〒070-0031``."""
        return self.echoes[name].get(language).format(**values)

    def example(self, step_type: str, language: str) -> str:
        """The example answer for a re-ask of this step type; ``KeyError`` for an unknown one."""
        return self.examples[step_type].get(language)


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: dict[str, list[str]]


class SynonymsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    groups: list[list[str]]


@dataclass(frozen=True)
class SystemTexts:
    """Messages, menu, rule patterns and synonym groups, validated."""

    messages: dict[str, Text]
    menu: tuple[MenuItem, ...]
    rules: dict[str, tuple[re.Pattern[str], ...]]
    synonym_groups: tuple[tuple[str, ...], ...]
    parsers: ParserTexts

    def text(self, key: str, language: str, **values: str) -> str:
        template = self.messages[key].get(language)
        return template.format(**values) if values else template

    def matches(self, rule: str, normalized: str) -> bool:
        return any(p.search(normalized) for p in self.rules.get(rule, ()))


def _read(path: Path, model: type[BaseModel], problems: list[Problem]) -> Any:
    rel = f"system/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except OSError as exc:
        problems.append(Problem(rel, None, None, f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        problems.append(Problem(rel, None, None, f"not valid YAML: {exc}"))
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            entry = loc[1] if len(loc) > 1 else None
            problems.append(Problem(rel, entry, ".".join(loc[2:]) or None, err["msg"]))
    return None


def _fold(pattern: str) -> str:
    return to_hiragana(clean(pattern))


def load_system(root: Path | str | None = None) -> SystemTexts:
    """Load and validate the system texts; raises KnowledgeError naming file and field."""
    base = Path(root) if root is not None else SYSTEM_DIR
    problems: list[Problem] = []
    messages = _read(base / "messages.yaml", MessagesFile, problems)
    flow_messages = _read(base / "flow_messages.yaml", FlowMessagesFile, problems)
    rules = _read(base / "rules.yaml", RulesFile, problems)
    synonyms = _read(base / "synonyms.yaml", SynonymsFile, problems)
    parsers = _read(base / "parsers.yaml", ParserTexts, problems)
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    if isinstance(rules, RulesFile):
        for name in RULE_NAMES:
            if name not in rules.rules:
                problems.append(Problem("system/rules.yaml", name, None, "rule missing"))
        for name, patterns in rules.rules.items():
            try:
                compiled[name] = tuple(re.compile(_fold(p)) for p in patterns)
            except re.error as exc:
                problems.append(Problem("system/rules.yaml", name, None, f"bad pattern: {exc}"))
    texts = dict(messages.messages) if isinstance(messages, MessagesFile) else {}
    if isinstance(flow_messages, FlowMessagesFile):
        for key, text in flow_messages.messages.items():
            if key in texts:
                problems.append(
                    Problem("system/flow_messages.yaml", key, None, "also in messages.yaml")
                )
            texts[key] = text
    if problems:
        raise KnowledgeError(problems)
    return SystemTexts(
        messages=texts,
        menu=tuple(messages.menu),
        rules=compiled,
        synonym_groups=tuple(tuple(g) for g in synonyms.groups),
        parsers=parsers,
    )


@functools.cache
def shipped_parser_texts() -> ParserTexts:
    """The parser texts shipped in ``knowledge/system/parsers.yaml`` (loaded once)."""
    problems: list[Problem] = []
    texts = _read(SYSTEM_DIR / "parsers.yaml", ParserTexts, problems)
    if problems:
        raise KnowledgeError(problems)
    assert isinstance(texts, ParserTexts)
    return texts
