"""Conversation acts: thanks, OK, はい on its own, laughter, emoji and stickers.

They are part of talking, not questions, so they are never matched against the knowledge base:
each gets a short reply from ``knowledge/system/acts.yaml``. A typed はい/いいえ that answers
the bot's own question never gets here (:mod:`handlers.context` reads it first).
"""

from __future__ import annotations

import re
import unicodedata

from bot.messages import Kind, Reply
from handlers.base import Response, Turn, info
from intents.normalize import normalize
from knowledge.system import Acts, fold_short

# Order of precedence when a message holds several acts (「はい、ありがとうございます」).
_PRECEDENCE = ("thanks", "ok", "yes_no", "laughter")
# Laughter tacked on to another act (「了解ですw」「ありがとう笑」).
_LAUGH_TAIL = re.compile(r"(?<=.)(?:w+|笑+|草)$")
_EMOJI_CATEGORIES = frozenset({"So", "Sk", "Mn", "Me", "Cf"})
_ZWJ_AND_SELECTORS = frozenset({"\u200d", "\ufe0e", "\ufe0f", "\u20e3"})


def _is_emoji(char: str) -> bool:
    return char in _ZWJ_AND_SELECTORS or unicodedata.category(char) in _EMOJI_CATEGORIES


def strip_emoji(text: str) -> str:
    """The text without emoji and pictographs (👍, 😊, ♪ …)."""
    return "".join(ch for ch in text if not _is_emoji(ch))


def emoji_only(text: str) -> bool:
    """At least one emoji and nothing else but spaces."""
    visible = [ch for ch in text if not ch.isspace()]
    return bool(visible) and all(_is_emoji(ch) for ch in visible)


def act_of_part(acts: Acts, part: str) -> str | None:
    """The act one folded part of a message is (はい and いいえ count as ``yes_no``)."""
    found = acts.act_of(part)
    if found is None:
        trimmed = _LAUGH_TAIL.sub("", part)
        found = acts.act_of(fold_short(trimmed)) if trimmed != part else None
    return found


def act_in(acts: Acts, text: str) -> str | None:
    """The conversation act a whole message is, or ``None`` when it says anything more."""
    if emoji_only(text):
        return "emoji"
    words = strip_emoji(text)
    folded = fold_short(words)
    if not folded:
        return None
    whole = act_of_part(acts, folded)
    if whole is not None:
        return whole
    parts = [fold_short(p) for p in normalize(words).split(" ")]
    found = [act_of_part(acts, p) for p in parts if p]
    if not found or None in found:
        return None
    return next(name for name in (*_PRECEDENCE, *found) if name in found)


class ActHandler:
    """Thanks, OK, laughter, emoji-only messages and stickers: a short, friendly reply."""

    name = "act"

    async def accepts(self, turn: Turn) -> str | None:
        kind = turn.incoming.kind
        if kind is Kind.OTHER and (turn.incoming.payload or {}).get("type") == "sticker":
            return "sticker"
        if kind is not Kind.TEXT or turn.command or turn.choice is not None:
            return None
        return act_in(turn.knowledge.system.acts, turn.text)

    async def handle(self, turn: Turn, found: str) -> Response:
        turn.state["failures"] = 0
        text = turn.knowledge.system.acts.replies[found].get(turn.language)
        return info(Reply(text), act=found)
