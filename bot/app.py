"""The ASGI application: web chat, LINE and Telegram webhooks, health check.

uvicorn --factory bot.app:create_app      # or: citybot serve
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.base import Channel
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime, running
from bot.settings import Settings
from bot.storage.base import Store

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MB
PHOTO_PATH = "/api/chat/photo"
MULTIPART_ENVELOPE = 64 * 1024  # room for the multipart headers around an uploaded photo
_API_PREFIXES = ("/api/", "/webhooks/", "/healthz")


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


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def healthz(request: Request) -> Response:
    runtime = runtime_of(request)
    database = await runtime.store.ping()
    body = {
        "status": "ok" if database else "degraded",
        "database": database,
        "knowledge_entries": len(runtime.knowledge.kb),
        "channels": sorted(runtime.channels),
    }
    return JSONResponse(body, status_code=200 if database else 503)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(_API_PREFIXES):
        return JSONResponse(
            {"error": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _routes() -> list[BaseRoute]:
    from bot.channels import line, telegram, web, web_photo
    from bot.staff import routes as staff

    return [
        Route("/healthz", healthz),
        *line.ROUTES,
        *telegram.ROUTES,
        *web.ROUTES,
        *web_photo.ROUTES,
        *staff.ROUTES,
    ]


def create_app(
    settings: Settings | None = None,
    *,
    knowledge: Knowledge | None = None,
    store: Store | None = None,
    channels: dict[str, Channel] | None = None,
) -> Starlette:
    """Build the app; clients, database and workers open in its lifespan."""
    settings = settings or Settings.from_env()
    photo_limit = {PHOTO_PATH: settings.attachments_max_bytes + MULTIPART_ENVELOPE}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with running(settings, knowledge, store, channels) as runtime:
            app.state.runtime = runtime
            yield {}

    app = Starlette(
        routes=_routes(),
        lifespan=lifespan,
        middleware=[Middleware(BodyLimit, per_path=photo_limit)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.settings = settings
    return app
