"""The ASGI application: composes the runtime's services into routes; nothing imports it back.

uvicorn --factory bot.app:create_app      # or: citybot serve
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels import line, telegram
from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import api as web_api
from bot.channels.web import photo as web_photo
from bot.channels.web.api import WebChannel, WebChat
from bot.clock import Clock
from bot.knowledge_service import Knowledge
from bot.logs import configure
from bot.metrics import CONTENT_TYPE
from bot.notify import api as notify_api
from bot.runtime import Runtime, compose, running
from bot.settings import Settings
from bot.staff import routes as staff_routes
from bot.staff.context import Console
from bot.stats import routes as stats_routes
from bot.storage.base import Store

if TYPE_CHECKING:
    from bot.channels.line.channel import LineChannel

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MB
PHOTO_PATH = "/api/chat/photo"
MULTIPART_ENVELOPE = 64 * 1024  # room for the multipart headers around an uploaded photo
_API_PREFIXES = ("/api/", "/webhooks/", "/healthz", "/metrics")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether declared or streamed.

    ``per_path`` gives some paths (the photo upload) a limit of their own.

        Middleware(BodyLimit, per_path={"/api/chat/photo": 10 * 1024 * 1024 + 65536})
    """

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(str(scope.get("path", "")), self.limit)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, receive, send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "request body too large")
            return message

        await self.app(scope, limited, send)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse({"error": "request body too large", "limit": limit}, 413)
    await response(scope, receive, send)


def health_routes(runtime: Runtime) -> list[BaseRoute]:
    """``GET /healthz``: the database answers, the knowledge is loaded, which channels are on,
    and the backlog (webhook events stored and not processed yet); ``GET /metrics``: Prometheus
    text (keep it off the public proxy: see docs/deploy.md)."""

    async def healthz(request: Request) -> Response:
        database = await runtime.store.ping()
        backlog = await runtime.inbox.backlog() if database else None
        body = {
            "status": "ok" if database else "degraded",
            "database": database,
            "backlog": backlog,
            "knowledge_entries": len(runtime.knowledge.kb),
            "channels": sorted(runtime.channels),
        }
        return JSONResponse(body, status_code=200 if database else 503)

    async def metrics(request: Request) -> Response:
        body = await runtime.metrics.scrape(runtime.store)
        return Response(body, media_type=CONTENT_TYPE)

    return [Route("/healthz", healthz), Route("/metrics", metrics)]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(_API_PREFIXES):
        return JSONResponse(
            {"error": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _line(channel: Channel | None) -> LineChannel | None:
    """The LINE channel, if on; its module (and line-bot-sdk) is loaded only then."""
    if channel is None or getattr(channel, "name", None) != "line":
        return None
    from bot.channels.line.channel import LineChannel  # loaded already: LINE is on

    return channel if isinstance(channel, LineChannel) else None


def _routes(runtime: Runtime) -> list[BaseRoute]:
    channels = runtime.channels
    line_channel = channels.get("line")
    telegram_channel = channels.get("telegram")
    web_channel = channels.get("web")
    web = WebChat(
        secret_key=runtime.settings.secret_key.get(),
        https=runtime.settings.https,
        store=runtime.store,
        engine=runtime.engine,
        attachments=runtime.attachments,
        channel=web_channel if isinstance(web_channel, WebChannel) else WebChannel(),
    )
    return [
        *health_routes(runtime),
        *line.routes(_line(line_channel), runtime.inbox),
        *telegram.routes(
            telegram_channel if isinstance(telegram_channel, TelegramChannel) else None,
            runtime.inbox,
            runtime.settings.telegram_webhook_secret,
        ),
        *web_api.routes(web),
        *web_photo.routes(web),
        *staff_routes.ROUTES,
        *stats_routes.routes(published(runtime)),
        *notify_api.routes(runtime.notifications.service if runtime.notifications else None),
    ]


def published(runtime: Runtime) -> stats_routes.Published:
    """What the published results and the staff dashboard read."""
    return stats_routes.Published(
        store=runtime.store,
        knowledge=runtime.knowledge,
        flows=runtime.engine.flows,
        hours=runtime.settings.office_hours,
        clock=runtime.clock,
    )


def console_services(runtime: Runtime) -> Console:
    """The services the staff console's routes use."""
    return Console(
        settings=runtime.settings,
        clock=runtime.clock,
        store=runtime.store,
        knowledge=runtime.knowledge,
        engine=runtime.engine,
        events=runtime.events,
        delivery=runtime.delivery,
        escalations=runtime.escalations,
        applications=runtime.applications,
        attachments=runtime.attachments,
        knowledge_loop=runtime.knowledge_loop,
        notifications=runtime.notifications,
    )


def worker_app() -> Starlette:
    """One process of ``citybot serve --workers N``: logging and the app from the environment.

    uvicorn starts each worker as a fresh interpreter, so the parent's log set-up does not
    reach it; the index is loaded from the cache the parent built.
    """
    settings = Settings.from_env()
    configure(settings.log_format)
    return create_app(settings)


def create_app(
    settings: Settings | None = None,
    *,
    knowledge: Knowledge | None = None,
    store: Store | None = None,
    channels: dict[str, Channel] | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """Compose the services and their routes; clients, database and workers open later."""
    settings = settings or Settings.from_env()
    runtime = compose(settings, knowledge, store, channels, clock)
    photo_limit = {PHOTO_PATH: settings.attachments_max_bytes + MULTIPART_ENVELOPE}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with running(runtime):
            yield {}

    app = Starlette(
        routes=_routes(runtime),
        lifespan=lifespan,
        middleware=[Middleware(BodyLimit, per_path=photo_limit)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.settings = settings
    app.state.runtime = runtime  # for tests and operators; no module reads it back
    app.state.console = console_services(runtime)
    return app
