"""Telegram channel: the webhook, the update parser, the sender, polling and set-webhook.

    POST /webhooks/telegram                      # X-Telegram-Bot-Api-Secret-Token checked first
    citybot telegram poll                        # long polling, no public URL needed
    citybot telegram set-webhook https://city.example/webhooks/telegram

python-telegram-bot is only the client and the parser (``Update.de_json``); the engine routes.
Chat and user ids exceed 2**31: they are strings everywhere outside this module.
Photos (the largest size Telegram offers) and image documents arrive as file ids;
:meth:`TelegramChannel.download` fetches their bytes (getFile, then the file URL) before the
engine sees the message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import MessageAttachmentType
from telegram.error import Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.app import runtime_of
from bot.channels.base import Recipient
from bot.errors import ChannelError, SettingsError
from bot.messages import Incoming, Kind, Reply
from bot.photos import Download
from bot.runtime import running

if TYPE_CHECKING:
    from bot.inbox import Inbox
    from bot.knowledge_service import Knowledge
    from bot.settings import Settings

logger = logging.getLogger(__name__)

NAME = "telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_TEXT = 4096  # per message, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
POLL_TIMEOUT = 30  # seconds a getUpdates call may wait for news
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_FIRST_PAUSE = 0.5  # seconds before polling again after a failure; doubles up to a minute
_BREAKS = ("\n", "。", ". ", " ")  # where a long text is best split, in order of preference
DOWNLOAD_TIMEOUT = 15  # seconds for getFile and for the file itself
PHOTO_TYPE = "image/jpeg"  # Telegram re-encodes photos (not documents) as JPEG


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
        self._bot = _make_bot(self._settings)
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
            raise _channel_error("getMe", exc) from exc
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
            raise _channel_error("getFile", exc) from exc
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
                    raise _channel_error("sendMessage", exc) from exc


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


def _channel_error(method: str, exc: TelegramError) -> ChannelError:
    if isinstance(exc, Forbidden):
        logger.warning("telegram %s: refused (%s): the citizen blocked the bot?", method, exc)
    if isinstance(exc, InvalidToken):
        return ChannelError(f"telegram {method}: the bot token was refused")
    return ChannelError(f"telegram {method}: {type(exc).__name__}: {exc.message}")


# --- parsing ---------------------------------------------------------------------------------


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


# --- the webhook -----------------------------------------------------------------------------


async def webhook(request: Request) -> Response:
    """Store the update and answer at once; it is processed in the background."""
    runtime = runtime_of(request)
    if NAME not in runtime.channels:
        return JSONResponse({"error": "Telegram is not configured"}, status_code=404)
    secret = runtime.settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
    if not secret or not hmac.compare_digest(given, secret.get().encode("utf-8")):
        logger.warning("telegram webhook: refused a call without the right secret token")
        return JSONResponse({"error": "forbidden"}, status_code=403)
    try:
        update = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "malformed JSON"}, status_code=400)
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if type(update_id) is not int:
        return JSONResponse({"error": "not a Telegram update (no update_id)"}, status_code=400)
    key = str(update_id)
    if await runtime.inbox.accept(NAME, key, update):
        runtime.inbox.schedule(NAME, key, update)
    else:
        logger.info("telegram update %s: delivered again; already stored", key)
    return JSONResponse({"ok": True})


ROUTES: list[BaseRoute] = [Route("/webhooks/telegram", webhook, methods=["POST"])]


# --- command line ----------------------------------------------------------------------------


async def poll(settings: Settings, *, knowledge: Knowledge | None = None) -> int:
    """Run the bot with long polling until Ctrl-C (or SIGTERM); returns the exit status."""
    if not settings.telegram_token:
        return _fail("CITYBOT_TELEGRAM_TOKEN is not set: there is no bot to poll for")
    async with running(settings, knowledge) as runtime:
        channel = runtime.channels.get(NAME)
        if not isinstance(channel, TelegramChannel):
            return _fail("the Telegram channel did not start")
        bot = await channel.ready()
        try:
            await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
        except TelegramError as exc:
            return _fail(f"deleteWebhook failed: {_channel_error('deleteWebhook', exc)}")
        print("citybot: polling Telegram; press Ctrl-C to stop", file=sys.stderr)
        polling = asyncio.create_task(_poll_forever(bot, runtime.inbox), name="telegram-poll")
        restore = _cancel_on_signals(polling)
        try:
            await polling
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # cancelled from outside: let it propagate
            print("citybot: polling stopped", file=sys.stderr)
        finally:
            restore()
            polling.cancel()
    return 0


async def _poll_forever(bot: Bot, inbox: Inbox) -> None:
    """Fetch updates and process them one after the other, in order."""
    offset: int | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
            )
        except InvalidToken:
            msg = "CITYBOT_TELEGRAM_TOKEN was refused by Telegram (getUpdates)"
            raise SettingsError(msg) from None
        except RetryAfter as exc:
            await asyncio.sleep(_retry_seconds(exc))
            continue
        except TelegramError as exc:
            logger.warning("telegram polling: %s; trying again in %.0f s", exc.message, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)
            continue
        pause = _FIRST_PAUSE
        for update in updates:
            key = str(update.update_id)
            payload = update.to_dict()
            if await inbox.accept(NAME, key, payload):
                await inbox.process(NAME, key, payload)
            offset = update.update_id + 1


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the type becomes timedelta (PTB_TIMEDELTA)
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def _cancel_on_signals(task: asyncio.Task[None]) -> Callable[[], None]:
    """Ctrl-C and SIGTERM end ``task`` quietly; returns what undoes this."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    added: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, task.cancel)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform
            continue
        added.append(sig)

    def restore() -> None:
        for sig in added:
            loop.remove_signal_handler(sig)

    return restore


async def set_webhook(settings: Settings, url: str) -> int:
    """Register ``url`` with Telegram, with our secret token; returns the exit status."""
    if not settings.telegram_token:
        return _fail("CITYBOT_TELEGRAM_TOKEN is not set")
    if not settings.telegram_webhook_secret:
        return _fail(
            "CITYBOT_TELEGRAM_WEBHOOK_SECRET is not set: the webhook would refuse every call"
        )
    if not url.startswith("https://"):
        return _fail(f"{url!r}: Telegram only delivers updates to https:// URLs")
    bot = _make_bot(settings)
    try:
        async with bot:
            await bot.set_webhook(
                url,
                secret_token=settings.telegram_webhook_secret.get(),
                allowed_updates=ALLOWED_UPDATES,
            )
            info = await bot.get_webhook_info()
    except InvalidToken:
        return _fail("CITYBOT_TELEGRAM_TOKEN was refused by Telegram")
    except TelegramError as exc:
        return _fail(f"setWebhook failed: {_channel_error('setWebhook', exc)}")
    print(f"citybot: Telegram webhook set to {info.url} ({info.pending_update_count} waiting)")
    return 0


def _fail(message: str) -> int:
    print(f"citybot: {message}", file=sys.stderr)
    return 2


def _make_bot(settings: Settings) -> Bot:
    if not settings.telegram_token:
        msg = "CITYBOT_TELEGRAM_TOKEN is not set"
        raise SettingsError(msg)
    base = settings.telegram_api_base
    head, sep, tail = base.rpartition("/bot")
    files = f"{head}/file/bot{tail}" if sep else f"{base}/file"
    return Bot(settings.telegram_token.get(), base_url=base, base_file_url=files)
