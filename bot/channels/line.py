"""The LINE channel: the signed webhook in, replies and pushes out (line-bot-sdk v3, async).

    POST /webhooks/line       verify X-Line-Signature, store each event, answer 200 at once
    citybot line setup-richmenu --image menu.png

Replies use the webhook's reply token while it is fresh (first attempt, within ~50 s);
otherwise, or when LINE refuses the token, the same messages are pushed with an
``X-Line-Retry-Key`` that stays the same across the outbox's retries, so LINE drops repeats.

A photo arrives as a message id; :meth:`LineChannel.download` fetches its bytes from the
content endpoint (``api-data.line.me``, or ``CITYBOT_LINE_API_BASE`` when that points elsewhere)
before the engine sees the message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from linebot.v3 import SignatureValidator
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    TextMessage,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import runtime_of
from bot.channels.base import Recipient
from bot.choices import SAY, decode
from bot.errors import ChannelError
from bot.messages import Choice, Incoming, Kind, Reply
from bot.photos import Download
from bot.settings import DEFAULT_LINE_API, Settings
from knowledge.system import SYSTEM_DIR, load_system

logger = logging.getLogger(__name__)

MAX_MESSAGES = 5  # messages per reply or push call
MAX_QUICK_REPLIES = 13
SHOWN_WHEN_CROWDED = 12  # quick replies shown when there are more; the rest become text lines
MAX_LABEL = 20  # characters of a quick-reply label
MAX_TEXT = 5000  # characters of a text message
REPLY_TOKEN_MAX_AGE_MS = 50_000  # LINE's tokens expire about a minute after the event
REQUEST_TIMEOUT = 15.0  # seconds per API call (the SDK's default is five minutes)
RICHMENU_FILE = SYSTEM_DIR / "richmenu.yaml"

_MESSAGE_KINDS = {"text": Kind.TEXT, "image": Kind.IMAGE, "location": Kind.LOCATION}
_RETRY_KEYS = uuid.UUID("3f0c6a52-5d0b-4c55-9a43-6c2b1d1e7a10")  # namespace for uuid5 keys


# --- inbound ------------------------------------------------------------------------------


def event_key(event: Mapping[str, Any]) -> str:
    """The idempotency key of an event: ``webhookEventId``, else a hash of the event."""
    event_id = event.get("webhookEventId")
    if isinstance(event_id, str) and event_id:
        return event_id
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_event(event: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
    """Translate one LINE webhook event (as LINE sent it) into a message for the engine.

    Only one-to-one chats in active mode are answered; other event types, group and room
    events and standby-mode events are ignored (an empty list).
    """
    event_type = str(event.get("type", ""))
    source = event.get("source") or {}
    user_id = source.get("userId") if source.get("type") == "user" else None
    if not user_id or event.get("mode", "active") != "active":
        logger.info("LINE %s event ignored (not an active one-to-one chat)", event_type)
        return []
    context: dict[str, Any] = {"received_at": event.get("timestamp"), "event_id": event_key(event)}
    if event.get("replyToken"):
        context["reply_token"] = event["replyToken"]
    recipient = Recipient(user_id=str(user_id), context=context)
    if event_type == "message":
        message = event.get("message") or {}
        incoming = _message(str(user_id), message)
    elif event_type == "postback":
        data = str((event.get("postback") or {}).get("data", ""))
        incoming = Incoming("line", str(user_id), text=data, kind=Kind.CHOICE)
    elif event_type in ("follow", "unfollow"):
        kind = Kind.FOLLOW if event_type == "follow" else Kind.UNFOLLOW
        incoming = Incoming("line", str(user_id), kind=kind)
    else:
        logger.info("LINE %s event ignored (not handled)", event_type)
        return []
    return [(incoming, recipient)]


def _message(user_id: str, message: Mapping[str, Any]) -> Incoming:
    kind = _MESSAGE_KINDS.get(str(message.get("type")), Kind.OTHER)
    platform_id = str(message["id"]) if message.get("id") is not None else None
    payload: dict[str, Any] | None = None
    text = ""
    if kind is Kind.TEXT:
        text = str(message.get("text", ""))
    elif kind is Kind.LOCATION:
        payload = {k: message.get(k) for k in ("latitude", "longitude", "address", "title")}
    elif kind is Kind.IMAGE:
        payload = {"message_id": platform_id, "content_provider": message.get("contentProvider")}
    return Incoming(
        "line", user_id, text=text, kind=kind, payload=payload, platform_id=platform_id
    )


async def webhook(request: Request) -> Response:
    """``POST /webhooks/line``: verify, store each event once, process in the background."""
    runtime = runtime_of(request)
    channel = runtime.channels.get("line")
    if not isinstance(channel, LineChannel):
        return JSONResponse({"error": "LINE is not configured"}, status_code=404)
    body = await request.body()
    if not channel.verify(body, request.headers.get("X-Line-Signature", "")):
        logger.warning("LINE webhook refused: missing or wrong signature")
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    try:
        document = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "body is not JSON"}, status_code=400)
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        return JSONResponse({"error": "expected an object with an events list"}, status_code=400)
    for event in events:
        if not isinstance(event, dict):
            continue
        key = event_key(event)
        if await runtime.inbox.accept("line", key, event):
            runtime.inbox.schedule("line", key, event)
        else:
            redelivery = (event.get("deliveryContext") or {}).get("isRedelivery")
            logger.info("LINE event %s already received (redelivery: %s)", key, redelivery)
    return JSONResponse({"ok": True})


ROUTES: list[BaseRoute] = [Route("/webhooks/line", webhook, methods=["POST"])]


# --- outbound -----------------------------------------------------------------------------


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a text into pieces of at most ``limit`` characters, at line breaks where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut > 0:
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
        else:
            pieces.append(rest[:limit])
            rest = rest[limit:]
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()]


def short_label(label: str, limit: int = MAX_LABEL) -> str:
    """A quick-reply label within LINE's limit, ending in "…" when cut."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def build_messages(replies: Sequence[Reply]) -> list[TextMessage]:
    """LINE text messages for the replies; every choice becomes a quick reply on the last one.

    LINE shows quick replies only under the newest message, so the choices of all replies go
    there, in order (typed numbers count them in the same order). Beyond 13 choices the first
    12 stay buttons and the rest are listed as numbered lines, to be answered by number.
    """
    texts = [reply.text for reply in replies if reply.text.strip()]
    choices = [choice for reply in replies for choice in reply.choices]
    buttons = choices
    if len(choices) > MAX_QUICK_REPLIES:
        buttons = choices[:SHOWN_WHEN_CROWDED]
        lines = "\n".join(
            f"{number}. {choice.label}"
            for number, choice in enumerate(choices[SHOWN_WHEN_CROWDED:], SHOWN_WHEN_CROWDED + 1)
        )
        texts = [*texts[:-1], f"{texts[-1]}\n\n{lines}"] if texts else [lines]
    pieces = [piece for text in texts for piece in split_text(text)]
    messages = [TextMessage(text=piece) for piece in pieces]
    if messages and buttons:
        messages[-1] = TextMessage(text=pieces[-1], quick_reply=_quick_reply(buttons))
    return messages


def _quick_reply(choices: Sequence[Choice]) -> QuickReply:
    items = [
        QuickReplyItem(
            action=PostbackAction(
                label=short_label(choice.label), data=choice.value, display_text=choice.label
            )
        )
        for choice in choices
    ]
    return QuickReply(items=items)


def _retry_key(recipient: Recipient, batch: int, messages: Sequence[TextMessage]) -> str:
    """The same key on every attempt of the same outbox message, different for any other."""
    context = recipient.context
    if context.get("outbox_id") is None and context.get("event_id") is None:
        return str(uuid.uuid4())  # nothing stable to derive it from: never drop a message
    texts = hashlib.sha256("\x00".join(m.text for m in messages).encode("utf-8")).hexdigest()
    parts = (context.get("outbox_id"), context.get("event_id"), recipient.user_id, batch, texts)
    return str(uuid.uuid5(_RETRY_KEYS, json.dumps(parts)))


def _reply_token(context: Mapping[str, Any]) -> str | None:
    """The reply token, if this is the first attempt and the token is still fresh."""
    token = context.get("reply_token")
    if not token or context.get("attempt", 0) != 0:
        return None
    received = context.get("received_at")
    if isinstance(received, int) and time.time() * 1000 - received > REPLY_TOKEN_MAX_AGE_MS:
        return None
    return str(token)


def _failure(action: str, exc: Exception) -> ChannelError:
    if isinstance(exc, ApiException):
        detail = f"HTTP {exc.status} {_api_message(exc)}".rstrip()
    else:
        detail = type(exc).__name__
    return ChannelError(f"LINE {action} failed: {detail}")


def _api_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or b"{}").get("message", ""))
    except (ValueError, AttributeError):
        return ""


class LineChannel:
    """Talks to the Messaging API; built from settings, its client opened in :meth:`start`."""

    name = "line"

    def __init__(self, settings: Settings) -> None:
        if settings.line_channel_secret is None or settings.line_access_token is None:
            msg = "LINE needs CITYBOT_LINE_CHANNEL_SECRET and CITYBOT_LINE_CHANNEL_ACCESS_TOKEN"
            raise ChannelError(msg)
        self._validator = SignatureValidator(settings.line_channel_secret.get())
        self._configuration = _configuration(settings)
        self._data_configuration = _configuration(settings, data=True)
        self._client: AsyncApiClient | None = None
        self._data_client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._blob: AsyncMessagingApiBlob | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)  # aiohttp: needs the running loop
        self._api = AsyncMessagingApi(self._client)
        self._data_client = AsyncApiClient(self._data_configuration)
        self._blob = AsyncMessagingApiBlob(self._data_client)

    async def stop(self) -> None:
        for client in (self._client, self._data_client):
            if client is not None:
                await client.close()
        self._client = self._data_client = None
        self._api = None
        self._blob = None

    def verify(self, body: bytes, signature: str) -> bool:
        """Whether ``body`` carries LINE's signature (HMAC-SHA256 with the channel secret)."""
        if not signature:
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return bool(self._validator.validate(text, signature))

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        return parse_event(payload)

    async def download(self, incoming: Incoming) -> Download:
        """The bytes of a photo message, from LINE's content endpoint.

        Raises:
            ChannelError: LINE failed or refused, or the photo is not kept by LINE (a photo
                shared from another service names an outside URL, which is not fetched).
        """
        if self._blob is None:
            msg = "LINE channel is not started"
            raise ChannelError(msg)
        payload = incoming.payload or {}
        message_id = payload.get("message_id")
        provider = payload.get("content_provider") or {}
        if not message_id or provider.get("type", "line") != "line":
            msg = "LINE photo: no content kept by LINE to download"
            raise ChannelError(msg)
        try:
            response = await self._blob.get_message_content_with_http_info(
                str(message_id), _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as exc:
            raise _failure("content download", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure("content download", exc) from exc
        headers = response.headers or {}
        declared = headers.get("Content-Type") or headers.get("content-type")
        return Download(bytes(response.data or b""), str(declared) if declared else None)

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        """Reply (fresh token) or push, at most five messages per call."""
        if self._api is None:
            msg = "LINE channel is not started"
            raise ChannelError(msg)
        messages = build_messages(replies)
        batches = [messages[i : i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]
        first = 0
        token = _reply_token(recipient.context)
        if batches and token is not None:
            request = ReplyMessageRequest(reply_token=token, messages=batches[0])
            try:
                await self._api.reply_message(request, _request_timeout=REQUEST_TIMEOUT)
                first = 1
            except ApiException as exc:
                if exc.status != 400:
                    raise _failure("reply", exc) from exc
                logger.info("LINE refused the reply token (%s): pushing", _api_message(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise _failure("reply", exc) from exc
        for index in range(first, len(batches)):
            await self._push(recipient, index, batches[index])

    async def _push(self, recipient: Recipient, batch: int, messages: list[TextMessage]) -> None:
        assert self._api is not None
        key = _retry_key(recipient, batch, messages)
        request = PushMessageRequest(to=recipient.user_id, messages=messages)
        try:
            await self._api.push_message(
                request, x_line_retry_key=key, _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: already delivered
                logger.info("LINE push already accepted earlier (retry key repeated)")
                return
            raise _failure("push", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure("push", exc) from exc


def _configuration(settings: Settings, *, data: bool = False) -> Configuration:
    """The SDK's configuration; ``data`` for the content endpoints (photos, menu images).

    A set host replaces the base of every endpoint, so with the production base the data
    client keeps the SDK's own host (``api-data.line.me``); any other base (a test server)
    serves both.
    """
    token = settings.line_access_token.get() if settings.line_access_token else ""
    production = settings.line_api_base.rstrip("/") == DEFAULT_LINE_API
    host = None if data and production else settings.line_api_base
    return Configuration(access_token=token, host=host)


# --- rich menu ----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Bounds(_Strict):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class _Size(_Strict):
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class _Area(_Strict):
    label: str = Field(min_length=1)
    bounds: _Bounds
    data: str = Field(min_length=1, max_length=300)
    display_text: str = Field(min_length=1, max_length=300)


class RichMenuFile(_Strict):
    """``knowledge/system/richmenu.yaml``: the buttons under the chat and what they send."""

    name: str = Field(min_length=1, max_length=300)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: _Size
    areas: list[_Area] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _check(self) -> RichMenuFile:
        for area in self.areas:
            b = area.bounds
            if b.x + b.width > self.size.width or b.y + b.height > self.size.height:
                size = f"{self.size.width}x{self.size.height}"
                msg = f"area {area.label!r} reaches outside the {size} menu"
                raise ValueError(msg)
            if decode(area.data) is None:
                msg = f"area {area.label!r}: data {area.data!r} is not a choice value"
                raise ValueError(msg)
        return self

    def request(self) -> RichMenuRequest:
        return RichMenuRequest(
            size=RichMenuSize(width=self.size.width, height=self.size.height),
            selected=False,
            name=self.name,
            chat_bar_text=self.chat_bar_text,
            areas=[
                RichMenuArea(
                    bounds=RichMenuBounds(**area.bounds.model_dump()),
                    action=PostbackAction(
                        label=short_label(area.label),
                        data=area.data,
                        display_text=area.display_text,
                    ),
                )
                for area in self.areas
            ],
        )


def load_richmenu(path: Path = RICHMENU_FILE, menu_items: int | None = None) -> RichMenuFile:
    """Read and check the rich-menu file; ``s:<n>`` must name one of ``menu_items`` topics."""
    menu = RichMenuFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for area in menu.areas:
        value = decode(area.data)
        if (
            menu_items is not None
            and value is not None
            and value.action == SAY
            and (not value.argument.isdigit() or int(value.argument) >= menu_items)
        ):
            msg = f"area {area.label!r}: {area.data!r} names no topic of the menu"
            raise ValueError(msg)
    return menu


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "image/jpeg" if data.startswith(b"\xff\xd8") else None


async def setup_richmenu(settings: Settings, image: Path | None) -> int:
    """Create the rich menu from ``richmenu.yaml``, upload ``image`` and make it the default."""
    if not settings.line_enabled:
        print(
            "LINE is not configured: set CITYBOT_LINE_CHANNEL_SECRET and "
            "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN",
            file=sys.stderr,
        )
        return 2
    try:
        menu = load_richmenu(menu_items=len(load_system().menu))
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        print(f"{RICHMENU_FILE}: {exc}", file=sys.stderr)
        return 2
    if image is None:
        print(
            f"a menu image is needed: --image PATH (PNG or JPEG, {menu.size.width}x"
            f"{menu.size.height}, at most 1 MB, labels placed as in {RICHMENU_FILE.name})",
            file=sys.stderr,
        )
        return 2
    try:
        data = await asyncio.to_thread(image.read_bytes)
    except OSError as exc:
        print(f"cannot read the menu image {image}: {exc}", file=sys.stderr)
        return 2
    content_type = _image_type(data)
    if content_type is None or len(data) > 1024 * 1024:
        print(f"{image}: the menu image must be a PNG or JPEG of at most 1 MB", file=sys.stderr)
        return 2
    async with (
        AsyncApiClient(_configuration(settings)) as client,
        AsyncApiClient(_configuration(settings, data=True)) as data_client,
    ):
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(data_client)
        step = "create the rich menu"
        menu_id: str | None = None
        try:
            created = await api.create_rich_menu(menu.request(), _request_timeout=REQUEST_TIMEOUT)
            menu_id = str(created.rich_menu_id)
            step = "upload the menu image"
            await blob.set_rich_menu_image(
                menu_id,
                data,
                _headers={"Content-Type": content_type},
                _request_timeout=REQUEST_TIMEOUT,
            )
            step = "set the default rich menu"
            await api.set_default_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            print(f"could not {step}: {_failure('API call', exc)}", file=sys.stderr)
            if menu_id is not None:  # do not leave a half-made menu behind
                try:
                    await api.delete_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)
                except (ApiException, aiohttp.ClientError, TimeoutError):
                    logger.warning("could not delete the unfinished rich menu %s", menu_id)
            return 1
    print(menu_id)
    return 0
