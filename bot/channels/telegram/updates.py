"""Telegram updates translated into Incoming messages (python-telegram-bot as the parser)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Message,
    User,
)
from telegram.constants import MessageAttachmentType

from bot.channels.base import Recipient
from bot.messages import Incoming, Kind

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

NAME = "telegram"
PHOTO_TYPE = "image/jpeg"  # Telegram re-encodes photos (not documents) as JPEG


def _from_message(message: Message) -> list[tuple[Incoming, Recipient]]:
    chat = message.chat
    if chat.type != Chat.PRIVATE:
        logger.info("telegram: a message from a %s chat; ignored", chat.type)
        return []
    user_id = str(chat.id)
    kind, text, data = _content(message)
    if kind is None:
        return []  # a service message (pinned, payment …): nothing the citizen wrote
    incoming = Incoming(
        channel=NAME,
        user_id=user_id,
        text=text,
        kind=kind,
        payload=data,
        language=_language(message.from_user),
        display_name=message.from_user.first_name if message.from_user else None,
        platform_id=str(message.message_id),
    )
    return [(incoming, Recipient(user_id))]


def _content(message: Message) -> tuple[Kind | None, str, dict[str, Any] | None]:
    if message.text is not None:
        return Kind.TEXT, _command(message.text), None
    if message.location is not None:  # venues carry their location too
        where = message.location
        return Kind.LOCATION, "", {"latitude": where.latitude, "longitude": where.longitude}
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Kind.IMAGE, "", _photo(message, largest.file_id, PHOTO_TYPE, largest.file_size)
    image = message.document
    if image is not None and (image.mime_type or "").lower().startswith("image/"):
        return Kind.IMAGE, "", _photo(message, image.file_id, image.mime_type, image.file_size)
    for attachment in MessageAttachmentType:
        if attachment != MessageAttachmentType.SUCCESSFUL_PAYMENT and message[attachment]:
            return Kind.OTHER, "", {"type": str(attachment)}
    return None, "", None


def _photo(
    message: Message, file_id: str, declared_type: str | None, size: int | None
) -> dict[str, Any]:
    """What the channel needs to download a photo later (see :meth:`TelegramChannel.download`)."""
    return {
        "file_id": file_id,
        "declared_type": declared_type,
        "file_size": size,
        "caption": message.caption,
    }


def _command(text: str) -> str:
    """Bot commands as the engine knows them: ``/lang@CityBot en`` -> ``/lang en``."""
    if not text.startswith("/"):
        return text
    head, *rest = text.split(maxsplit=1)
    name = head.split("@", 1)[0].lower()
    if name == "/start":
        return name  # a deep-link parameter ("/start abc") is not a question
    return " ".join([name, *rest])


def _from_callback(query: CallbackQuery) -> list[tuple[Incoming, Recipient]]:
    message = query.message
    if message is not None and message.chat.type != Chat.PRIVATE:
        return []
    if query.data is None:  # a game button: nothing for us
        return []
    user_id = str(message.chat.id if message is not None else query.from_user.id)
    incoming = Incoming(
        channel=NAME,
        user_id=user_id,
        text=query.data,
        kind=Kind.CHOICE,
        language=_language(query.from_user),
        display_name=query.from_user.first_name,
        platform_id=query.id,
    )
    return [(incoming, Recipient(user_id, {"callback_query_id": query.id}))]


def _from_member(change: ChatMemberUpdated) -> list[tuple[Incoming, Recipient]]:
    """The citizen blocked the bot: the engine marks them inactive (nothing is sent)."""
    if change.chat.type != Chat.PRIVATE or change.new_chat_member.status != ChatMember.BANNED:
        return []
    user_id = str(change.chat.id)
    return [(Incoming(channel=NAME, user_id=user_id, kind=Kind.UNFOLLOW), Recipient(user_id))]


def _language(user: User | None) -> str | None:
    code = (user.language_code or "") if user is not None else ""
    primary = code.split("-", 1)[0].lower()
    return primary if primary in ("ja", "en") else None
