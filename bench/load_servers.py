"""The two servers ``bench.line_load`` starts in processes of their own.

    python -m bench.load_servers line --port 8101 --token TOKEN   # the fake LINE API
    python -m bench.load_servers bare --port 8102                 # the ceiling: POST -> 200

``line`` serves :class:`tests.fakes.line_api.FakeLineApi` (it answers like LINE: a reply token
used twice is refused with 400, a repeated push retry key with 409) and adds
``GET /_bench/received?since=N`` (every reply and push call from the N-th on: arrival time on
the system-wide monotonic clock, status, reply token or recipient, texts) and
``DELETE /_bench/received`` (forget everything).
"""

from __future__ import annotations

import argparse
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_servers")
    parser.add_argument("kind", choices=["line", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="bench-token")
    args = parser.parse_args()
    if args.kind == "line":
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
