"""Updates in the shape Telegram's servers send them (Bot API ``Update`` JSON).

updates.text("ごみの出し方")                 # a private message from CITIZEN
updates.button("y:faq.x", message_id=3)      # the citizen pressed an inline button
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.telegram_api import BOT_USER

CITIZEN = 7_123_456_789  # Telegram ids exceed 2**31
_update_ids = itertools.count(800_000_001)
_message_ids = itertools.count(1)


def citizen(user_id: int = CITIZEN, language: str | None = "ja") -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Hanako"}
    if language is not None:
        user["language_code"] = language
    return user


def private_chat(user_id: int = CITIZEN) -> dict[str, Any]:
    return {"id": user_id, "first_name": "Hanako", "type": "private"}


def message(
    *,
    user_id: int = CITIZEN,
    language: str | None = "ja",
    update_id: int | None = None,
    kind: str = "message",
    chat: dict[str, Any] | None = None,
    **content: Any,
) -> dict[str, Any]:
    """An update carrying one message; ``content`` holds text, photo, location …"""
    body: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": citizen(user_id, language),
        "chat": chat or private_chat(user_id),
        "date": int(time.time()),
        **content,
    }
    return {"update_id": update_id or next(_update_ids), kind: body}


def text(value: str, **kwargs: Any) -> dict[str, Any]:
    """A text message; a leading /command gets its bot_command entity, as Telegram adds it."""
    content: dict[str, Any] = {"text": value}
    if value.startswith("/"):
        length = len(value.split()[0].encode("utf-16-le")) // 2
        content["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return message(**kwargs, **content)


def button(
    data: str, *, user_id: int = CITIZEN, message_id: int = 1, language: str | None = "ja"
) -> dict[str, Any]:
    """The citizen pressed an inline keyboard button under the bot's message."""
    bot_message = {
        "message_id": message_id,
        "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        "chat": private_chat(user_id),
        "date": int(time.time()),
        "text": "この回答はお役に立ちましたか？",
    }
    query = {
        "id": f"{4_382_000_000_000_000_000 + next(_message_ids)}",
        "from": citizen(user_id, language),
        "message": bot_message,
        "chat_instance": "-3517846290612345678",
        "data": data,
    }
    return {"update_id": next(_update_ids), "callback_query": query}
