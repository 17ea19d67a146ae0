"""Errors of the bot. Every error we raise derives from :class:`CityBotError`::

    CityBotError
    ├── SettingsError        a setting is missing or invalid (names the variable)
    ├── KnowledgeError       the knowledge base failed validation (names file, entry, field)
    └── ChannelError         a platform refused or failed a request (after retries)

This module is a leaf: it imports nothing of ours, so every package may raise from it.
"""

from __future__ import annotations

from collections.abc import Sequence


class CityBotError(Exception):
    """Root of the bot's errors."""


class SettingsError(CityBotError):
    """A setting is missing or invalid."""


class ChannelError(CityBotError):
    """A messaging platform refused or failed a request."""


class KnowledgeError(CityBotError):
    """The knowledge base could not be loaded; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"knowledge base has {len(problems)} problem(s):\n{lines}{more}")
