"""The bot's own texts and rules: ``knowledge/system/*.yaml`` (messages, rules, synonyms, acts).

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
from intents.normalize import clean, normalize, to_hiragana
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
ACT_NAMES = ("thanks", "ok", "yes_no", "laughter", "emoji", "sticker", "greeting_again")
REPLY_WORDS = ("yes", "no", "first", "last", "apply")


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


class Act(BaseModel):
    """A conversation act (thanks, OK, laughter …): how it is said and the short reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    words: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    reply: Text


class ActsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    acts: dict[str, Act]
    language_neutral: list[str] = Field(default_factory=list)
    replies: dict[str, list[str]]


@dataclass(frozen=True)
class Acts:
    """Conversation acts and the words of typed replies, folded with :func:`fold_short`."""

    words: dict[str, frozenset[str]]  # act -> its folded words, in the file's order
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    replies: dict[str, Text]  # act -> its reply
    reply_words: dict[str, frozenset[str]]  # "yes", "no", "first", "last", "apply"
    neutral: frozenset[str] = frozenset()

    def language_neutral(self, folded: str) -> bool:
        """OK, y, www …: written alike in both languages, so no sign of the citizen's."""
        return folded in self.neutral or self.act_of(folded) == "laughter"

    def act_of(self, folded: str) -> str | None:
        """The act a folded message (or part of one) is, if any."""
        for name, words in self.words.items():
            if folded in words or any(p.search(folded) for p in self.patterns.get(name, ())):
                return name
        return None

    def reply_word(self, folded: str) -> str | None:
        """``yes``, ``no``, ``first``, ``last`` or ``apply`` when the message says just that."""
        return next((name for name, words in self.reply_words.items() if folded in words), None)


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
    acts: Acts

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


_TRAILING = re.compile(r"[ーっ~]+$")


def fold_short(text: str) -> str:
    """A short message as act and reply words are compared: 「はいっ！」 -> はい, OK! -> ok."""
    return _TRAILING.sub("", normalize(text).replace(" ", ""))


def _acts(acts: ActsFile, problems: list[Problem]) -> Acts:
    rel = "system/acts.yaml"
    for name in ACT_NAMES:
        if name not in acts.acts:
            problems.append(Problem(rel, name, None, "act missing"))
    for name in REPLY_WORDS:
        if not acts.replies.get(name):
            problems.append(Problem(rel, name, "replies", "reply words missing"))
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
    for name, act in acts.acts.items():
        try:
            patterns[name] = tuple(re.compile(_fold(p)) for p in act.patterns)
        except re.error as exc:
            problems.append(Problem(rel, name, "patterns", f"bad pattern: {exc}"))
    return Acts(
        words={n: frozenset(map(fold_short, a.words)) for n, a in acts.acts.items() if a.words},
        patterns=patterns,
        replies={name: act.reply for name, act in acts.acts.items()},
        reply_words={n: frozenset(map(fold_short, w)) for n, w in acts.replies.items()},
        neutral=frozenset(map(fold_short, acts.language_neutral)),
    )


def load_system(root: Path | str | None = None) -> SystemTexts:
    """Load and validate the system texts; raises KnowledgeError naming file and field."""
    base = Path(root) if root is not None else SYSTEM_DIR
    problems: list[Problem] = []
    messages = _read(base / "messages.yaml", MessagesFile, problems)
    flow_messages = _read(base / "flow_messages.yaml", FlowMessagesFile, problems)
    rules = _read(base / "rules.yaml", RulesFile, problems)
    synonyms = _read(base / "synonyms.yaml", SynonymsFile, problems)
    parsers = _read(base / "parsers.yaml", ParserTexts, problems)
    acts_file = _read(base / "acts.yaml", ActsFile, problems)
    acts = _acts(acts_file, problems) if isinstance(acts_file, ActsFile) else None
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
    if problems or acts is None:
        raise KnowledgeError(problems)
    return SystemTexts(
        messages=texts,
        menu=tuple(messages.menu),
        rules=compiled,
        synonym_groups=tuple(tuple(g) for g in synonyms.groups),
        parsers=parsers,
        acts=acts,
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
