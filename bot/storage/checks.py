"""Argument checks shared by the SQL repositories and their in-memory twins.

Both implementations call the same checks first, so they refuse the same input the same way.
"""

from __future__ import annotations

from typing import Any, get_args

from bot.storage.records import Author, Channel, Direction, Language, MessageKind

__all__ = [
    "check_author",
    "check_channel",
    "check_choice",
    "check_direction",
    "check_kind",
    "check_language",
    "check_limit",
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
