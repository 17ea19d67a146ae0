"""A notice sender in its own process, for the crash test: ``python -m tests.notify.sender_process
DATABASE_URL LINE_BASE`` delivers every due notice and exits (unless killed first)."""

from __future__ import annotations

import asyncio
import sys

from bot.clock import SystemClock
from bot.notify.line_multicast import LineMulticast
from bot.notify.sender import NoticeSender
from bot.notify.transports import Transports
from bot.settings import Secret, Settings
from bot.storage import create_store
from knowledge.notify import shipped_notify


async def main(url: str, line_base: str) -> None:
    settings = Settings(
        database_url=url,
        line_channel_secret=Secret("line-secret"),
        line_access_token=Secret("test-token"),
        line_api_base=line_base,
    )
    store = create_store(url)
    line = LineMulticast(settings)
    await line.start()
    try:
        sender = NoticeSender(
            store,
            SystemClock(),
            shipped_notify(),
            Transports(line=line),
            quiet=None,
            owner="doomed-process",
        )
        await sender.run_due()
    finally:
        await line.stop()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
