"""LINE outbound: replies while the token is fresh, pushes with a stable retry key otherwise.

A photo arrives as a message id; :meth:`LineChannel.download` fetches its bytes from the
content endpoint (``api-data.line.me``, or ``CITYBOT_LINE_API_BASE`` when that points elsewhere)
before the engine sees the message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from linebot.v3 import SignatureValidator
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
)

from bot.channels.base import Recipient
from bot.channels.line.inbound import parse_event
from bot.errors import ChannelError
from bot.messages import Choice, Incoming, Reply
from bot.procedures.photos import Download
from bot.settings import DEFAULT_LINE_API, Settings
from knowledge.system import SYSTEM_DIR

logger = logging.getLogger(__name__)

MAX_MESSAGES = 5  # messages per reply or push call
MAX_QUICK_REPLIES = 13
SHOWN_WHEN_CROWDED = 12  # quick replies shown when there are more; the rest become text lines
MAX_LABEL = 20  # characters of a quick-reply label
MAX_TEXT = 5000  # characters of a text message
REPLY_TOKEN_MAX_AGE_MS = 50_000  # LINE's tokens expire about a minute after the event
REQUEST_TIMEOUT = 15.0  # seconds per API call (the SDK's default is five minutes)
RICHMENU_FILE = SYSTEM_DIR / "richmenu.yaml"
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
_JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

_RETRY_KEYS = uuid.UUID("3f0c6a52-5d0b-4c55-9a43-6c2b1d1e7a10")  # namespace for uuid5 keys


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


def build_messages(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """LINE text messages for the replies, as the Messaging API's JSON; every choice becomes a
    quick reply on the last one.

    LINE shows quick replies only under the newest message, so the choices of all replies go
    there, in order (typed numbers count them in the same order). Beyond 13 choices the first
    12 stay buttons and the rest are listed as numbered lines, to be answered by number.
    Plain dicts, not the SDK's models: the limits are kept here, and building and validating
    models took a noticeable share of every answer's CPU.
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
    messages: list[dict[str, Any]] = [
        {"type": "text", "text": piece} for text in texts for piece in split_text(text)
    ]
    if messages and buttons:
        messages[-1]["quickReply"] = _quick_reply(buttons)
    return messages


def _quick_reply(choices: Sequence[Choice]) -> dict[str, Any]:
    items = [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": short_label(choice.label),
                "data": choice.value,
                "displayText": choice.label,
            },
        }
        for choice in choices
    ]
    return {"items": items}


def _retry_key(recipient: Recipient, batch: int, messages: Sequence[Mapping[str, Any]]) -> str:
    """The same key on every attempt of the same outbox message, different for any other."""
    context = recipient.context
    if context.get("outbox_id") is None and context.get("event_id") is None:
        return str(uuid.uuid4())  # nothing stable to derive it from: never drop a message
    joined = "\x00".join(str(m["text"]) for m in messages)
    texts = hashlib.sha256(joined.encode("utf-8")).hexdigest()
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


def failure(action: str, exc: Exception) -> ChannelError:
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
        self._configuration = configuration(settings)
        self._data_configuration = configuration(settings, data=True)
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
            raise failure("content download", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise failure("content download", exc) from exc
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
            try:
                await self._post(REPLY_PATH, {"replyToken": token, "messages": batches[0]})
                first = 1
            except ApiException as exc:
                if exc.status != 400:
                    raise failure("reply", exc) from exc
                if recipient.context.get("maybe_delivered"):
                    # A fresh token is refused only once used: by the attempt that died
                    # before writing that LINE had accepted it. Pushing would show it twice.
                    logger.warning("LINE refused a fresh reply token tried before: delivered")
                    return
                logger.info("LINE refused the reply token (%s): pushing", _api_message(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise failure("reply", exc) from exc
        for index in range(first, len(batches)):
            await self._push(recipient, index, batches[index])

    async def _push(
        self, recipient: Recipient, batch: int, messages: list[dict[str, Any]]
    ) -> None:
        key = _retry_key(recipient, batch, messages)
        body = {"to": recipient.user_id, "messages": messages}
        try:
            await self._post(PUSH_PATH, body, {"X-Line-Retry-Key": key})
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: already delivered
                logger.info("LINE push already accepted earlier (retry key repeated)")
                return
            raise failure("push", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise failure("push", exc) from exc

    async def _post(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        """One Messaging API call through the SDK's own client (authorization, host, errors
        as :class:`ApiException`), the body already LINE's JSON and the answer not parsed into
        models (neither is used)."""
        assert self._client is not None
        assert self._api is not None
        await self._client.call_api(
            path,
            "POST",
            header_params={**_JSON_HEADERS, **(headers or {})},
            body=body,
            response_types_map={},
            auth_settings=["Bearer"],
            _request_timeout=REQUEST_TIMEOUT,
            _host=self._api.line_base_path,
        )


def configuration(settings: Settings, *, data: bool = False) -> Configuration:
    """The SDK's configuration; ``data`` for the content endpoints (photos, menu images).

    A set host replaces the base of every endpoint, so with the production base the data
    client keeps the SDK's own host (``api-data.line.me``); any other base (a test server)
    serves both.
    """
    token = settings.line_access_token.get() if settings.line_access_token else ""
    production = settings.line_api_base.rstrip("/") == DEFAULT_LINE_API
    host = None if data and production else settings.line_api_base
    return Configuration(access_token=token, host=host)
