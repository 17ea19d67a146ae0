"""LINE inbound: the signed webhook, stored first and processed once, and event parsing."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Recipient
from bot.channels.jsonbody import BadJSON, read_json
from bot.messages import Incoming, Kind

logger = logging.getLogger(__name__)

_MESSAGE_KINDS = {"text": Kind.TEXT, "image": Kind.IMAGE, "location": Kind.LOCATION}

if TYPE_CHECKING:
    from bot.channels.line.channel import LineChannel
    from bot.delivery.inbox import Inbox


def event_key(event: Mapping[str, Any]) -> str:
    """The idempotency key of an event: ``webhookEventId``, else a hash of the event."""
    event_id = event.get("webhookEventId")
    if isinstance(event_id, str) and event_id:
        return event_id
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _mapping(value: Any) -> Mapping[str, Any]:
    """A field that should hold an object; anything else reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    """A field that should hold a string; numbers are read as text, anything else as empty."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def parse_event(event: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
    """Translate one LINE webhook event (as LINE sent it) into a message for the engine.

    Only one-to-one chats in active mode are answered; other event types, group and room
    events, standby-mode events and events whose fields have the wrong types are ignored (an
    empty list).
    """
    event_type = _text(event.get("type"))
    source = _mapping(event.get("source"))
    user_id = _text(source.get("userId")) if source.get("type") == "user" else ""
    if not user_id or event.get("mode", "active") != "active":
        logger.info("LINE %s event ignored (not an active one-to-one chat)", event_type[:32])
        return []
    context: dict[str, Any] = {"received_at": event.get("timestamp"), "event_id": event_key(event)}
    if event.get("replyToken") and isinstance(event["replyToken"], str):
        context["reply_token"] = event["replyToken"]
    recipient = Recipient(user_id=user_id, context=context)
    if event_type == "message":
        incoming = _message(user_id, _mapping(event.get("message")))
    elif event_type == "postback":
        data = _text(_mapping(event.get("postback")).get("data"))
        incoming = Incoming("line", user_id, text=data, kind=Kind.CHOICE)
    elif event_type in ("follow", "unfollow"):
        kind = Kind.FOLLOW if event_type == "follow" else Kind.UNFOLLOW
        incoming = Incoming("line", user_id, kind=kind)
    else:
        logger.info("LINE %s event ignored (not handled)", event_type[:32])
        return []
    return [(incoming, recipient)]


def _message(user_id: str, message: Mapping[str, Any]) -> Incoming:
    kind = _MESSAGE_KINDS.get(_text(message.get("type")), Kind.OTHER)
    platform_id = _text(message.get("id")) or None
    payload: dict[str, Any] | None = None
    text = ""
    if kind is Kind.TEXT:
        text = _text(message.get("text"))
    elif kind is Kind.LOCATION:
        payload = {k: message.get(k) for k in ("latitude", "longitude", "address", "title")}
    elif kind is Kind.IMAGE:
        provider = _mapping(message.get("contentProvider"))
        payload = {"message_id": platform_id, "content_provider": dict(provider) or None}
    else:  # a sticker, file, video …: say which, as Telegram's updates do
        payload = {"type": str(message.get("type"))}
    return Incoming(
        "line", user_id, text=text, kind=kind, payload=payload, platform_id=platform_id
    )


def routes(channel: LineChannel | None, inbox: Inbox) -> list[BaseRoute]:
    """``POST /webhooks/line``: verify, store each event once, process in the background."""

    async def webhook(request: Request) -> Response:
        if channel is None:
            return JSONResponse({"error": "LINE is not configured"}, status_code=404)
        body = await request.body()
        if not channel.verify(body, request.headers.get("X-Line-Signature", "")):
            logger.warning("LINE webhook refused: missing or wrong signature")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            document = read_json(body)
        except BadJSON as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        events = document.get("events") if isinstance(document, dict) else None
        if not isinstance(events, list):
            return JSONResponse(
                {"error": "expected an object with an events list"}, status_code=400
            )
        for event in events:
            if not isinstance(event, dict):
                continue
            key = event_key(event)
            if await inbox.accept("line", key, event):
                inbox.schedule("line", key, event)
            else:
                redelivery = _mapping(event.get("deliveryContext")).get("isRedelivery")
                logger.info("LINE event %s already received (redelivery: %s)", key, redelivery)
        return JSONResponse({"ok": True})

    return [Route("/webhooks/line", webhook, methods=["POST"])]
