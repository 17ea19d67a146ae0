"""Web chat channel: the chat page and its JSON API.

    GET  /                   the chat page (Japanese, with an English switch)
    POST /api/chat           {"text": "..."} | {"choice": "e:..."} | {"event": "open"}
                             | {"location": {"latitude": 43.77, "longitude": 142.36}}
                             -> {"replies": [{"text", "choices": [{"label", "value"}]}],
                                 "language", "outcome"}
    POST /api/chat/photo     one image as multipart field "photo" (bot/channels/web/photo.py)
    GET  /api/chat/history   the visitor's recent transcript, so a reload keeps the conversation

Unlike LINE and Telegram, the web chat answers synchronously: ``POST /api/chat`` calls the engine
and returns its replies in the response, so nothing goes through the inbox or the outbox. A
visitor is known by a random id in a signed, HttpOnly cookie; a cookie whose signature does not
check out is ignored and the visitor starts afresh.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Recipient
from bot.channels.jsonbody import BadJSON, read_json
from bot.messages import Incoming, Kind, Outcome, Reply
from bot.procedures.attachments import DEFAULT_MAX_BYTES
from bot.storage.records import MessageRecord

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.procedures.attachments import AttachmentStore
    from bot.storage.base import Store

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000  # characters in one message; the engine reads fewer, but stores it all
MAX_CHOICE = 256  # characters in a choice value (ours are short codes)
MAX_HISTORY = 100  # messages returned by the history endpoint
COOKIE = "citybot_visitor"
COOKIE_SALT = "citybot.web.visitor"
COOKIE_MAX_AGE = 90 * 24 * 3600  # seconds; renewed by every message
WEB_DIR = Path(__file__).resolve().parent / "static"

_ASSETS = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_PAGE_HEADERS = {
    **_SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cache-Control": "no-cache",
}
_API_HEADERS = {**_SECURITY_HEADERS, "Cache-Control": "no-store"}


@dataclass(frozen=True)
class WebChat:
    """What the web chat's routes use, given to them when the app is composed."""

    secret_key: str  # signs the visitor cookie
    https: bool  # cookies get ``Secure``
    store: Store
    engine: Engine
    attachments: AttachmentStore
    channel: WebChannel


class BadInput(ValueError):
    """The request body is not one of the accepted shapes; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Visitor:
    """Who is chatting: ``new`` when the request carried no valid cookie."""

    id: str
    new: bool


class WebChannel:
    """The web chat as a channel.

    Replies to the web chat are returned synchronously by ``POST /api/chat``; :meth:`send` is
    only reached by replies that arrive later (a member of staff answering), which the page
    cannot receive yet, so it logs them and returns. They stay in the transcript, where
    ``GET /api/chat/history`` shows them on the next load.
    """

    name = "web"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        """Translate ``{"visitor": id, "text" | "choice" | "event" | "location" | "photo": ...}``.

        ``photo`` holds the kept attachment's payload (or its refusal), ``location`` a checked
        ``{"latitude", "longitude"}``.
        """
        visitor = str(payload["visitor"])
        if payload.get("event") == "open":
            incoming = Incoming("web", visitor, kind=Kind.FOLLOW)
        elif "location" in payload:
            where = dict(payload["location"])
            incoming = Incoming("web", visitor, kind=Kind.LOCATION, payload=where)
        elif "photo" in payload:
            photo = dict(payload["photo"])
            incoming = Incoming("web", visitor, kind=Kind.IMAGE, payload=photo)
        elif "choice" in payload:
            incoming = Incoming("web", visitor, text=str(payload["choice"]), kind=Kind.CHOICE)
        else:
            incoming = Incoming("web", visitor, text=str(payload.get("text", "")))
        return [(incoming, Recipient(visitor))]

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        logger.info(
            "web chat: %d late replies kept in the transcript for the next page load",
            len(replies),
        )


def validate(body: object) -> dict[str, Any]:
    """Check one API request body and return it; raise :class:`BadInput` when it is wrong."""
    if not isinstance(body, dict) or len(body) != 1:
        msg = 'expected a JSON object with one of "text", "choice", "event" or "location"'
        if isinstance(body, dict) and body:
            msg += f" (exactly one; got {', '.join(sorted(map(str, body)))})"
        raise BadInput(msg)
    key, value = next(iter(body.items()))
    if key == "location":
        return {"location": validate_location(value)}
    if key not in ("text", "choice", "event"):
        msg = f'unknown field {key!r}: expected "text", "choice", "event" or "location"'
        raise BadInput(msg)
    if not isinstance(value, str):
        msg = f'"{key}" must be a string'
        raise BadInput(msg)
    if key == "event" and value != "open":
        msg = f'unknown event {value!r}: the only event is "open"'
        raise BadInput(msg)
    if key == "text" and len(value) > MAX_TEXT:
        msg = f"text is too long: {len(value)} characters (limit {MAX_TEXT})"
        raise BadInput(msg, 413)
    if key == "choice" and len(value) > MAX_CHOICE:
        msg = f"choice is too long (limit {MAX_CHOICE} characters)"
        raise BadInput(msg)
    if not value.strip():
        msg = f'"{key}" is empty'
        raise BadInput(msg)
    return {key: value}


def validate_location(value: object) -> dict[str, float]:
    """A browser's position: ``{"latitude": -90..90, "longitude": -180..180}``, nothing more."""
    if not isinstance(value, dict) or set(value) != {"latitude", "longitude"}:
        msg = '"location" must be an object with "latitude" and "longitude" only'
        raise BadInput(msg)
    where: dict[str, float] = {}
    for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
        number = value[name]
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
            or abs(number) > limit
        ):
            msg = f'"{name}" must be a number from -{limit:g} to {limit:g}'
            raise BadInput(msg)
        where[name] = float(number)
    return where


async def _read_json(request: Request) -> object:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()
    if not body:
        msg = "the request has no body: send a JSON object"
        raise BadInput(msg)
    if kind != "application/json":
        msg = "send the body as JSON (Content-Type: application/json)"
        raise BadInput(msg)
    try:
        return read_json(body)
    except BadJSON as exc:
        raise BadInput(str(exc)) from None


def _serializer(web: WebChat) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web.secret_key, salt=COOKIE_SALT)


def visitor_of(web: WebChat, request: Request) -> Visitor:
    """The visitor named by the signed cookie, or a new one."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        try:
            value = _serializer(web).loads(cookie, max_age=COOKIE_MAX_AGE)
        except BadSignature:
            logger.info("web chat: ignored a visitor cookie with a bad or expired signature")
        else:
            if isinstance(value, str) and value:
                return Visitor(value, new=False)
    return Visitor(secrets.token_urlsafe(18), new=True)


def json_response(web: WebChat, body: Mapping[str, Any], visitor: Visitor | None) -> JSONResponse:
    """A JSON answer; with ``visitor``, the renewed visitor cookie."""
    response = JSONResponse(dict(body), headers=_API_HEADERS)
    if visitor is not None:
        response.set_cookie(
            COOKIE,
            _serializer(web).dumps(visitor.id),
            max_age=COOKIE_MAX_AGE,
            path="/",
            secure=web.https,
            httponly=True,
            samesite="lax",
        )
    return response


def error_response(error: BadInput) -> JSONResponse:
    """The JSON answer to a refused request."""
    body: dict[str, Any] = {"error": str(error)}
    if error.status == 413:
        body["limit"] = MAX_TEXT
    return JSONResponse(body, status_code=error.status, headers=_API_HEADERS)


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """The engine's replies as the page reads them."""
    return {
        "replies": [
            {
                "text": reply.text,
                "choices": [{"label": c.label, "value": c.value} for c in reply.choices],
            }
            for reply in outcome.replies
        ],
        "language": outcome.language,
        "outcome": outcome.kind.value,
    }


async def _seen(web: WebChat, visitor: Visitor) -> tuple[bool, str]:
    """Whether the visitor's conversation already has messages, and the visitor's language."""
    async with web.store.unit() as unit:
        user = await unit.users.get_or_create("web", visitor.id)
        convo = await unit.conversations.open_for(user.id)
        count = await unit.messages.count(convo.id)
    return count > 0, _language(convo.state, user.language)


async def chat(web: WebChat, request: Request) -> Response:
    """Answer one message from the page with the engine's replies."""
    try:
        body = validate(await _read_json(request))
    except BadInput as error:
        return error_response(error)
    visitor = visitor_of(web, request)
    if "event" in body and not visitor.new:
        seen, language = await _seen(web, visitor)
        if seen:  # greet once per visitor; the page shows the history instead
            body = {"replies": [], "language": language, "outcome": None}
            return json_response(web, body, visitor)
    [(incoming, _recipient)] = web.channel.parse_event({"visitor": visitor.id, **body})
    outcome = await web.engine.handle(incoming)
    return json_response(web, outcome_json(outcome), visitor)


def _language(state: Mapping[str, Any] | None, stored: str) -> str:
    language = str((state or {}).get("language") or stored or "ja")
    return language if language in ("ja", "en") else "ja"


def transcript(messages: Sequence[MessageRecord]) -> list[dict[str, Any]]:
    """What the citizen saw: their messages and the answers, choices shown by their labels."""
    labels: dict[str, str] = {}
    shown: list[dict[str, Any]] = []
    for message in messages:
        if message.direction == "in":
            if message.kind == "event":
                continue
            text = message.text
            if message.kind == "choice":
                if message.text not in labels:
                    continue  # a code the citizen never saw as text
                text = labels[message.text]
            entry: dict[str, Any] = {"from": "citizen", "text": text, "choices": []}
            if message.kind in ("image", "location"):
                entry["kind"] = message.kind  # the page shows what was sent, not an empty text
            shown.append(entry)
        elif message.author in ("bot", "staff"):
            pairs = (message.payload or {}).get("choices") or []
            choices = [{"label": str(label), "value": str(value)} for label, value in pairs]
            labels.update((c["value"], c["label"]) for c in choices)
            shown.append({"from": message.author, "text": message.text, "choices": choices})
    return shown


async def history(web: WebChat, request: Request) -> Response:
    """The visitor's recent transcript (empty for a visitor without a valid cookie)."""
    visitor = visitor_of(web, request)
    if visitor.new:
        return json_response(web, {"messages": [], "language": "ja"}, None)
    async with web.store.unit() as unit:
        user = await unit.users.get_or_create("web", visitor.id)
        convo = await unit.conversations.open_for(user.id)
        messages = await unit.messages.recent(convo.id, limit=MAX_HISTORY)
    body = {"messages": transcript(messages), "language": _language(convo.state, user.language)}
    return json_response(web, body, None)


@cache
def _asset(name: str) -> bytes:
    return (WEB_DIR / name).read_bytes()


@cache
def _page() -> str:
    env = Environment(
        loader=FileSystemLoader(str(WEB_DIR)), autoescape=select_autoescape(["html"])
    )
    versions = {name: hashlib.sha256(_asset(name)).hexdigest()[:12] for name in _ASSETS}
    return env.get_template("chat.html").render(
        script=f"assets/web/chat.js?v={versions['chat.js']}",
        stylesheet=f"assets/web/chat.css?v={versions['chat.css']}",
        max_text=MAX_TEXT,
        max_photo=DEFAULT_MAX_BYTES,
    )


async def page(request: Request) -> Response:
    """The chat page."""
    return HTMLResponse(_page(), headers=_PAGE_HEADERS)


async def asset(request: Request) -> Response:
    """The page's script and stylesheet."""
    name = str(request.path_params["name"])
    if name not in _ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {**_SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
    return Response(_asset(name), media_type=_ASSETS[name], headers=headers)


WebEndpoint = Callable[[WebChat, Request], Awaitable[Response]]


def bind(web: WebChat, endpoint: WebEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` as a Starlette endpoint that uses ``web``."""

    async def bound(request: Request) -> Response:
        return await endpoint(web, request)

    bound.__name__ = bound.__qualname__ = endpoint.__name__
    return bound


def routes(web: WebChat) -> list[BaseRoute]:
    """The page, its assets, ``POST /api/chat`` and ``GET /api/chat/history``."""
    return [
        Route("/", page, methods=["GET"]),
        Route("/assets/web/{name}", asset, methods=["GET"]),
        Route("/api/chat", bind(web, chat), methods=["POST"]),
        Route("/api/chat/history", bind(web, history), methods=["GET"]),
    ]
