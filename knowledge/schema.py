"""Schema of the knowledge base: every YAML file under ``knowledge/data`` is validated here.

A file holds ``entries:`` (a list of :class:`Entry`), or, for ``categories.yaml``,
``categories:`` (a list of :class:`Category`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["plan", "faq", "procedure", "department"]
Route = Literal["online", "konbini", "mail", "bot", "phone", "email", "visit"]

_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Strict):
    """A citizen-facing text in Japanese (polite です・ます) and English."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.ja


class Category(_Strict):
    """A policy area (the 31 areas of the plan's four subcommittees, plus a few everyday ones)."""

    id: str = Field(pattern=_ID_PATTERN)
    name: Text
    group: str = Field(min_length=1)


class RouteStep(_Strict):
    """One way to do a procedure without visiting the city hall."""

    route: Route
    how: Text


class Guide(_Strict):
    """The structured part of a no-visit procedure guide (``kind: procedure``)."""

    who: Text
    routes: list[RouteStep] = Field(min_length=1)
    needs: Text
    fees: Text
    time: Text


class Contact(_Strict):
    """How to reach a department. Left as review items until staff fill them in."""

    phone: str | None = None
    email: str | None = None
    place: Text | None = None
    hours: Text | None = None


class Entry(_Strict):
    """One answerable item of the knowledge base."""

    # Ids travel in button payloads (Telegram allows 64 bytes of callback data): keep them short.
    id: str = Field(pattern=_ID_PATTERN, max_length=56)
    kind: Kind
    category: str = Field(min_length=1)
    title: Text
    questions: list[str] = Field(min_length=3)
    answer: Text
    keywords: list[str] = Field(default_factory=list)
    department: str = Field(min_length=1)
    source: str = Field(min_length=1)
    review: list[str] = Field(default_factory=list)
    needs_staff: bool = False
    related: list[str] = Field(default_factory=list)
    guide: Guide | None = None
    handles: list[str] = Field(default_factory=list)
    contact: Contact | None = None

    @field_validator("questions", "keywords")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [item.strip() for item in items]
        if any(not item for item in cleaned):
            msg = "must not contain empty strings"
            raise ValueError(msg)
        return cleaned

    @model_validator(mode="after")
    def _kind_specific(self) -> Entry:
        if self.kind == "procedure" and self.guide is None:
            msg = "a procedure entry needs a 'guide' (who, routes, needs, fees, time)"
            raise ValueError(msg)
        if self.kind != "procedure" and self.guide is not None:
            msg = "only procedure entries have a 'guide'"
            raise ValueError(msg)
        if self.kind == "department" and not self.handles:
            msg = "a department entry needs 'handles' (the category ids it is routed)"
            raise ValueError(msg)
        return self


class EntryFile(_Strict):
    entries: list[Entry] = Field(min_length=1)


class CategoryFile(_Strict):
    categories: list[Category] = Field(min_length=1)
