"""The LINE channel: the signed webhook in, replies and pushes out (line-bot-sdk v3, async).

    POST /webhooks/line       verify X-Line-Signature, store each event, answer 200 at once
    citybot line setup-richmenu --image menu.png

Replies use the webhook's reply token while it is fresh (first attempt, within ~50 s);
otherwise, or when LINE refuses the token, the same messages are pushed with an
``X-Line-Retry-Key`` that stays the same across the outbox's retries, so LINE drops repeats.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.channels.line.inbound import event_key, parse_event, routes

if TYPE_CHECKING:
    from bot.channels.line.channel import LineChannel, build_messages, short_label, split_text
    from bot.channels.line.richmenu import RichMenuFile, load_richmenu, setup_richmenu

# line-bot-sdk takes seconds to import (thousands of generated models): the modules that use it
# load on first use, so a server with LINE off starts without it.
_LAZY = {
    "LineChannel": "bot.channels.line.channel",
    "build_messages": "bot.channels.line.channel",
    "short_label": "bot.channels.line.channel",
    "split_text": "bot.channels.line.channel",
    "RichMenuFile": "bot.channels.line.richmenu",
    "load_richmenu": "bot.channels.line.richmenu",
    "setup_richmenu": "bot.channels.line.richmenu",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(module), name)


__all__ = [
    "LineChannel",
    "RichMenuFile",
    "build_messages",
    "event_key",
    "load_richmenu",
    "parse_event",
    "routes",
    "setup_richmenu",
    "short_label",
    "split_text",
]
