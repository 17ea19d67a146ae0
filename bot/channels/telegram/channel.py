"""The Telegram sender: the bot client, replies with inline keyboards, photo downloads.

Chat and user ids exceed 2**31: they are strings everywhere outside this package.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, InvalidToken, TelegramError

from bot.channels.base import Recipient
from bot.errors import ChannelError, SettingsError
from bot.messages import Incoming, Reply
from bot.procedures.photos import Download

if TYPE_CHECKING:
    from bot.settings import Settings

from bot.channels.telegram.updates import NAME, _from_callback, _from_member, _from_message

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_TEXT = 4096  # per message, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
POLL_TIMEOUT = 30  # seconds a getUpdates call may wait for news
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_FIRST_PAUSE = 0.5  # seconds before polling again after a failure; doubles up to a minute
_BREAKS = ("\n", "。", ". ", " ")  # where a long text is best split, in order of preference
DOWNLOAD_TIMEOUT = 15  # seconds for getFile and for the file itself


class TelegramChannel:
    """Parses Telegram updates into :class:`Incoming` and sends replies with the Bot API."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.telegram_token:
            msg = "CITYBOT_TELEGRAM_TOKEN is not set"
            raise SettingsError(msg)
        self._settings = settings
        self._bot: Bot | None = None
        self._ready = False

    async def start(self) -> None:
        """Build the client and say hello (getMe); a refused token stops start-up."""
        self._bot = make_bot(self._settings)
        try:
            await self._connect(self._bot)
        except ChannelError as exc:
            logger.warning("telegram: %s; will try again before the next send", exc)

    async def stop(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None
            self._ready = False

    async def ready(self) -> Bot:
        """The initialized client (retrying getMe if start-up could not reach Telegram)."""
        if self._bot is None:
            msg = "the Telegram channel is not started"
            raise ChannelError(msg)
        if not self._ready:
            try:
                await self._connect(self._bot)
            except SettingsError as exc:  # a token revoked while running: retry, don't crash
                raise ChannelError(str(exc)) from None
        return self._bot

    async def _connect(self, bot: Bot) -> None:
        try:
            await bot.initialize()
        except InvalidToken:  # its message holds the token: never pass it on
            await bot.shutdown()
            msg = "CITYBOT_TELEGRAM_TOKEN was refused by Telegram (getMe)"
            raise SettingsError(msg) from None
        except TelegramError as exc:
            raise channel_error("getMe", exc) from exc
        self._ready = True

    # --- in ------------------------------------------------------------------------------

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        """Translate one update; edits, channel posts, groups and other types give ``[]``."""
        update = Update.de_json(dict(payload), self._bot)
        if update.message is not None:
            return _from_message(update.message)
        if update.callback_query is not None:
            return _from_callback(update.callback_query)
        if update.my_chat_member is not None:
            return _from_member(update.my_chat_member)
        logger.info("telegram update %s: not a kind we answer; ignored", update.update_id)
        return []

    async def download(self, incoming: Incoming) -> Download:
        """The bytes of a photo or image document (getFile, then the file download).

        Raises:
            ChannelError: Telegram failed or refused (e.g. a file over its 20 MB bot limit).
        """
        payload = incoming.payload or {}
        file_id = payload.get("file_id")
        if not file_id:
            msg = "telegram photo: the message names no file"
            raise ChannelError(msg)
        bot = await self.ready()
        try:
            file = await bot.get_file(str(file_id), read_timeout=DOWNLOAD_TIMEOUT)
            data = await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT)
        except TelegramError as exc:
            raise channel_error("getFile", exc) from exc
        except RuntimeError as exc:  # getFile gave no file_path: nothing to download
            msg = f"telegram getFile: {exc}"
            raise ChannelError(msg) from exc
        declared = payload.get("declared_type")
        return Download(bytes(data), str(declared) if declared else None)

    # --- out -----------------------------------------------------------------------------

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        """Send each reply as one message or more, choices as an inline keyboard.

        Raises:
            ChannelError: Telegram failed or refused; the outbox tries again later.
        """
        bot = await self.ready()
        try:
            chat_id = int(recipient.user_id)
        except ValueError:
            msg = f"telegram: {recipient.user_id!r} is not a chat id"
            raise ChannelError(msg) from None
        query_id = recipient.context.get("callback_query_id")
        if query_id and not recipient.context.get("attempt"):
            await _answer_callback(bot, str(query_id))
        number = 0
        for reply in replies:
            text, markup = _render(reply, number)
            number += len(reply.choices)
            chunks = split_text(text)
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                try:
                    await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)
                except TelegramError as exc:
                    raise channel_error("sendMessage", exc) from exc


def _render(reply: Reply, offset: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and keyboard of one reply; ``offset`` choices came before it in this answer.

    A choice whose value does not fit in Telegram's callback data becomes a numbered line the
    citizen can type (the engine maps a number to the choices offered, in order).
    """
    rows: list[list[InlineKeyboardButton]] = []
    lines: list[str] = []
    for number, choice in enumerate(reply.choices, start=offset + 1):
        if reply.text and len(choice.value.encode("utf-8")) <= MAX_CALLBACK_DATA:
            rows.append([InlineKeyboardButton(choice.label, callback_data=choice.value)])
        else:
            lines.append(f"{number}. {choice.label}")
    text = "\n".join(line for line in (reply.text, *lines) if line)
    return text, InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a text into messages of at most ``limit`` UTF-16 units, at a line or sentence end."""
    chunks: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        cut = _fitting(rest, limit)
        for mark in _BREAKS:
            at = rest.rfind(mark, 0, cut)
            if at >= cut // 2:
                cut = at + len(mark)
                break
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return [c.strip() for c in chunks if c.strip()]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


async def _answer_callback(bot: Bot, query_id: str) -> None:
    """Stop the button's spinner; a stale or failed answer does not matter."""
    try:
        await bot.answer_callback_query(query_id)
    except TelegramError as exc:
        logger.info("telegram: answering a button press failed (%s); ignored", type(exc).__name__)


def channel_error(method: str, exc: TelegramError) -> ChannelError:
    if isinstance(exc, Forbidden):
        logger.warning("telegram %s: refused (%s): the citizen blocked the bot?", method, exc)
    if isinstance(exc, InvalidToken):
        return ChannelError(f"telegram {method}: the bot token was refused")
    return ChannelError(f"telegram {method}: {type(exc).__name__}: {exc.message}")


# --- parsing ---------------------------------------------------------------------------------


def make_bot(settings: Settings) -> Bot:
    if not settings.telegram_token:
        msg = "CITYBOT_TELEGRAM_TOKEN is not set"
        raise SettingsError(msg)
    base = settings.telegram_api_base
    head, sep, tail = base.rpartition("/bot")
    files = f"{head}/file/bot{tail}" if sep else f"{base}/file"
    return Bot(settings.telegram_token.get(), base_url=base, base_file_url=files)
