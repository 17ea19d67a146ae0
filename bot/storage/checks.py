"""Argument checks shared by the SQL repositories: they refuse bad input the same way on SQLite
and PostgreSQL, before any SQL runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from bot.storage.records import (
    ApplicationEventKind,
    ApplicationStatus,
    Author,
    Channel,
    Direction,
    DraftStatus,
    EscalationReason,
    EscalationStatus,
    Language,
    MessageKind,
    NoteKind,
    StaffRole,
)

#: Longest queue summary; longer ones are cut (the column is VARCHAR(200)).
SUMMARY_LENGTH = 200

__all__ = [
    "SUMMARY_LENGTH",
    "check_application_statuses",
    "check_author",
    "check_channel",
    "check_choice",
    "check_direction",
    "check_draft_status",
    "check_event_kind",
    "check_kind",
    "check_language",
    "check_limit",
    "check_note_kind",
    "check_reason",
    "check_role",
    "check_statuses",
    "clean_departments",
    "clean_summary",
    "clean_username",
]


def check_choice(value: str, allowed: Any, name: str) -> str:
    """Return ``value`` if it is one of the values of the ``Literal`` type ``allowed``.

    Raises:
        ValueError: ``value`` is not allowed; the message names the field and the value.
    """
    choices: tuple[str, ...] = get_args(allowed)
    if value not in choices:
        msg = f"{name} must be one of {', '.join(choices)}; got {value!r}"
        raise ValueError(msg)
    return value


def check_channel(value: str) -> None:
    """Refuse an unknown channel name."""
    check_choice(value, Channel, "channel")


def check_language(value: str) -> None:
    """Refuse an unknown language code."""
    check_choice(value, Language, "language")


def check_direction(value: str) -> None:
    """Refuse a direction other than ``in``/``out``."""
    check_choice(value, Direction, "direction")


def check_author(value: str) -> None:
    """Refuse an unknown message author."""
    check_choice(value, Author, "author")


def check_kind(value: str) -> None:
    """Refuse an unknown message kind."""
    check_choice(value, MessageKind, "kind")


def check_limit(limit: int) -> None:
    """Refuse a negative row limit (SQLite reads ``LIMIT -1`` as no limit at all)."""
    if limit < 0:
        msg = f"limit must be >= 0; got {limit}"
        raise ValueError(msg)


def check_role(value: str) -> None:
    """Refuse a staff role other than ``admin``/``staff``."""
    check_choice(value, StaffRole, "role")


def check_reason(value: str) -> None:
    """Refuse an unknown escalation reason."""
    check_choice(value, EscalationReason, "reason")


def check_note_kind(value: str) -> None:
    """Refuse an unknown note kind."""
    check_choice(value, NoteKind, "kind")


def check_draft_status(value: str) -> None:
    """Refuse an unknown draft status."""
    check_choice(value, DraftStatus, "status")


def check_statuses(values: Sequence[str]) -> list[EscalationStatus]:
    """Return the escalation statuses named by ``values``.

    Raises:
        ValueError: one of them is not a status; the message names it.
    """
    allowed = [s.value for s in EscalationStatus]
    result = []
    for value in values:
        if value not in allowed:
            msg = f"status must be one of {', '.join(allowed)}; got {value!r}"
            raise ValueError(msg)
        result.append(EscalationStatus(value))
    return result


def clean_username(value: str) -> str:
    """Return the stored form of a username: stripped and lowercased (unique ignoring case).

    Raises:
        ValueError: the username is empty or longer than 64 characters.
    """
    name = value.strip().lower()
    if not name or len(name) > 64:
        msg = f"username must be 1-64 characters; got {len(name)}"
        raise ValueError(msg)
    return name


def clean_departments(values: Sequence[str]) -> tuple[str, ...]:
    """Return the department ids without duplicates, in the given order.

    Raises:
        ValueError: ``values`` is a single string (a common slip) or holds an empty id.
    """
    if isinstance(values, str):
        msg = f"departments must be a list of ids, not the string {values!r}"
        raise ValueError(msg)
    if any(not isinstance(v, str) or not v for v in values):
        msg = f"departments must be non-empty strings; got {list(values)!r}"
        raise ValueError(msg)
    return tuple(dict.fromkeys(values))


def clean_summary(value: str) -> str:
    """Return the summary on one line, cut to :data:`SUMMARY_LENGTH` characters."""
    line = " ".join(value.split())
    if len(line) > SUMMARY_LENGTH:
        line = line[: SUMMARY_LENGTH - 1] + "…"
    return line


def check_application_statuses(values: Sequence[str]) -> list[ApplicationStatus]:
    """Return the application statuses named by ``values``.

    Raises:
        ValueError: one of them is not a status; the message names it.
    """
    if isinstance(values, str):
        msg = f"statuses must be a list of statuses, not the string {values!r}"
        raise ValueError(msg)
    allowed = [s.value for s in ApplicationStatus]
    result = []
    for value in values:
        if value not in allowed:
            msg = f"status must be one of {', '.join(allowed)}; got {value!r}"
            raise ValueError(msg)
        result.append(ApplicationStatus(value))
    return result


def check_event_kind(value: str) -> None:
    """Refuse an unknown application history kind."""
    check_choice(value, ApplicationEventKind, "kind")
