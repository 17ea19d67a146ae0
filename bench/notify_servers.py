"""The processes ``bench.notify_load`` starts.

    python -m bench.notify_servers fakes --line-port P --telegram-port Q [--line-rate 200]
                                         [--telegram-rate 30]
    python -m bench.notify_servers bot --port P [--unlimited]

``fakes`` serves the fake LINE and Telegram APIs of ``tests/fakes`` (calls counted, not kept)
and ``GET /_bench/counts`` on the LINE port: recipients handed over per platform and 429s.
``bot`` is the app as ``citybot serve`` builds it (settings from the environment); with
``--unlimited`` its notice sender ignores the platforms' rate limits (throughput only).
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegram


def fakes_apps(
    line_rate: float | None, telegram_rate: float | None
) -> tuple[Starlette, Starlette]:
    line = FakeLineApi(token="bench-token", rate_limit=line_rate, keep_calls=False)
    telegram = FakeTelegram(rate_limit=telegram_rate, keep_calls=False)

    async def counts(request: Request) -> Response:
        return JSONResponse(
            {
                "line": line.multicast_recipients,
                "telegram": telegram.sent_count,
                "line_429": line.throttled,
                "telegram_429": telegram.throttled,
            }
        )

    line_app = Starlette(
        routes=[Route("/_bench/counts", counts, methods=["GET"]), *line.app.routes]
    )
    return line_app, telegram.app


async def _serve_fakes(args: argparse.Namespace) -> None:
    line_app, telegram_app = fakes_apps(args.line_rate, args.telegram_rate)
    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        for app, port in ((line_app, args.line_port), (telegram_app, args.telegram_port))
    ]
    await asyncio.gather(*(s.serve() for s in servers))


def _serve_bot(args: argparse.Namespace) -> None:
    from bot.app import create_app
    from bot.notify.sender import SenderLimits
    from bot.settings import Settings

    app = create_app(Settings.from_env())
    if args.no_notify:  # the chat alone, for comparison
        app.state.runtime.notifications = None
    if args.unlimited:
        notifications = app.state.runtime.notifications
        notifications.sender.set_limits(
            SenderLimits(
                line_rate=None,
                telegram_rate=None,
                telegram_per_chat=0.0,
                telegram_concurrency=32,
                telegram_chunk=500,
            )
        )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notify_servers")
    sub = parser.add_subparsers(dest="kind", required=True)
    fakes = sub.add_parser("fakes")
    fakes.add_argument("--line-port", type=int, required=True)
    fakes.add_argument("--telegram-port", type=int, required=True)
    fakes.add_argument("--line-rate", type=float, default=None)
    fakes.add_argument("--telegram-rate", type=float, default=None)
    bot = sub.add_parser("bot")
    bot.add_argument("--port", type=int, required=True)
    bot.add_argument("--unlimited", action="store_true")
    bot.add_argument("--no-notify", action="store_true")
    args = parser.parse_args()
    if args.kind == "fakes":
        asyncio.run(_serve_fakes(args))
    else:
        _serve_bot(args)


if __name__ == "__main__":
    main()
