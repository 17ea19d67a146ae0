"""Choice values: what a button sends back, encoded as short strings (Telegram allows 64 bytes).

>>> encode_entry("faq.snow.schedule")
'e:faq.snow.schedule'
"""

from __future__ import annotations

from dataclasses import dataclass

ENTRY, FEEDBACK_YES, FEEDBACK_NO, COMMAND, SAY = "e", "y", "n", "c", "s"


@dataclass(frozen=True)
class ChoiceValue:
    action: str  # one of ENTRY, FEEDBACK_YES, FEEDBACK_NO, COMMAND, SAY
    argument: str


def encode_entry(entry_id: str) -> str:
    return f"{ENTRY}:{entry_id}"


def encode_feedback(entry_id: str, helpful: bool) -> str:
    return f"{FEEDBACK_YES if helpful else FEEDBACK_NO}:{entry_id}"


def encode_command(command: str) -> str:
    return f"{COMMAND}:{command}"


def encode_say(index: int) -> str:
    """A menu item, by its position in the menu (texts may be too long for a payload)."""
    return f"{SAY}:{index}"


def decode(value: str) -> ChoiceValue | None:
    action, sep, argument = value.partition(":")
    if not sep or action not in {ENTRY, FEEDBACK_YES, FEEDBACK_NO, COMMAND, SAY} or not argument:
        return None
    return ChoiceValue(action, argument)
