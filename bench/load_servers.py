"""The two servers ``bench.line_load`` starts in processes of their own.

    python -m bench.load_servers line --port 8101 --token TOKEN   # the fake LINE API
    python -m bench.load_servers bare --port 8102                 # the ceiling: POST -> 200
    python -m bench.load_servers reference --port 8103 --line-api URL --database FILE

``line`` serves :class:`tests.fakes.line_api.FakeLineApi` (it answers like LINE: a reply token
used twice is refused with 400, a repeated push retry key with 409) and adds
``GET /_bench/received?since=N`` (every reply and push call from the N-th on: arrival time on
the system-wide monotonic clock, status, reply token or recipient, texts) and
``DELETE /_bench/received`` (forget everything).

``reference`` is the minimal LINE bot the citybot is measured against: it verifies the
signature, parses the body, stores each event (SQLite, one INSERT … ON CONFLICT DO NOTHING per
event, committed before the 200) and replies with the reply token — nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.line_api import Call, FakeLineApi


@dataclass
class TimedLineApi(FakeLineApi):
    """The fake LINE API, noting when each call arrived (``arrivals[i]`` is ``calls[i]``'s)."""

    arrivals: list[float] = field(default_factory=list)

    async def _record(self, request: Request, endpoint: str) -> Call:
        call = await super()._record(request, endpoint)
        self.arrivals.append(time.monotonic())  # no await since the append: lists stay aligned
        return call

    def reset(self) -> None:
        super().reset()
        self.arrivals.clear()

    def received(self, since: int = 0) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for index in range(since, len(self.calls)):
            call = self.calls[index]
            if call.endpoint not in ("reply", "push"):
                continue
            body = call.body if isinstance(call.body, dict) else {}
            rows.append(
                {
                    "index": index,
                    "at": self.arrivals[index],
                    "endpoint": call.endpoint,
                    "status": call.status,
                    "reply_token": body.get("replyToken"),
                    "to": body.get("to"),
                    "retry_key": call.retry_key,
                    "texts": [str(m.get("text", "")) for m in call.messages],
                }
            )
        return rows


def line_app(token: str) -> Starlette:
    fake = TimedLineApi(token=token)

    async def received(request: Request) -> Response:
        if request.method == "DELETE":
            fake.reset()
            return JSONResponse({"ok": True})
        since = int(request.query_params.get("since", "0"))
        return JSONResponse({"next": len(fake.calls), "calls": fake.received(since)})

    async def ready(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes = [
        Route("/_bench/received", received, methods=["GET", "DELETE"]),
        Route("/_bench/ready", ready, methods=["GET"]),
    ]
    return Starlette(routes=routes + list(fake.app.routes))


def bare_app() -> Starlette:
    async def accept(request: Request) -> Response:
        await request.body()
        return JSONResponse({"ok": True})

    async def ready(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/webhooks/line", accept, methods=["POST"]),
            Route("/_bench/ready", ready, methods=["GET"]),
        ]
    )


def reference_app(line_api: str, token: str, secret: str, database: str) -> Starlette:
    import asyncio
    import base64
    import hashlib
    import hmac
    import json

    import aiosqlite
    import httpx

    state: dict[str, Any] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def startup() -> None:
        db = await aiosqlite.connect(database)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT, done INTEGER)"
        )
        state["db"] = db
        state["http"] = httpx.AsyncClient(base_url=line_api, timeout=15)

    async def reply(event_id: str, reply_token: str) -> None:
        await state["http"].post(
            "/v2/bot/message/reply",
            json={"replyToken": reply_token, "messages": [{"type": "text", "text": "ok"}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        await state["db"].execute("UPDATE events SET done = 1 WHERE id = ?", (event_id,))
        await state["db"].commit()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, request.headers.get("X-Line-Signature", "").encode()):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        events = json.loads(body).get("events", [])
        fresh = []
        db = state["db"]
        for event in events:
            cursor = await db.execute(
                "INSERT INTO events VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
                (event["webhookEventId"], json.dumps(event)),
            )
            if cursor.rowcount == 1:
                fresh.append(event)
        await db.commit()
        for event in fresh:
            if event.get("replyToken"):
                task = asyncio.create_task(reply(event["webhookEventId"], event["replyToken"]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        return JSONResponse({"ok": True})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await startup()
        yield

    return Starlette(
        routes=[
            Route("/webhooks/line", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_servers")
    parser.add_argument("kind", choices=["line", "bare", "reference"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="bench-token")
    parser.add_argument("--secret", default="bench-line-channel-secret")
    parser.add_argument("--line-api", default="http://127.0.0.1:8101")
    parser.add_argument("--database", default="reference.db")
    args = parser.parse_args()
    if args.kind == "reference":
        app = reference_app(args.line_api, args.token, args.secret, args.database)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
    elif args.kind == "line":
        uvicorn.run(
            line_app(args.token),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
        )
    else:  # as ``citybot serve`` runs uvicorn: default settings, access log at INFO
        uvicorn.run(bare_app(), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
