"""CPU per transaction on SQLite: the in-loop connection against plain aiosqlite, one process.

    python -m bench.sqlite_units [--units 2000] [--rounds 3]

The same units of work the inbox runs for every LINE text event, on one SQLite file migrated
to the current schema, through :class:`bot.storage.SqlStore` twice: with the engine
``create_engine`` builds (``sqlite3`` in the event loop's thread,
:mod:`bot.storage.sqlite_inline`) and with SQLAlchemy's plain ``sqlite+aiosqlite`` engine
(aiosqlite's connection thread, the reference). Rounds alternate between the two; the figure is
the process's CPU time (all threads) per unit, the median of the rounds, with wall time beside
it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import SystemClock
from bot.storage import SqlStore, create_store, migrate
from bot.storage.base import Unit
from bot.storage.db import _sqlite_pragmas

Work = Callable[[Unit, int], Awaitable[object]]


def _aiosqlite_store(url: str) -> SqlStore:
    """The reference: SQLAlchemy's own aiosqlite engine, same pragmas and busy timeout."""
    engine = create_async_engine(
        url,
        connect_args={"timeout": 15},
        json_serializer=functools.partial(json.dumps, ensure_ascii=False),
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return SqlStore(engine, SystemClock())


async def _measure(store: SqlStore, work: Work, units: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(units):
        async with store.unit() as unit:
            await work(unit, i)
    return (time.process_time() - cpu) / units * 1e6, (time.perf_counter() - wall) / units * 1e6


async def run(units: int, rounds: int) -> str:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='citybot-units-')) / 'x.db'}"
    await migrate(url)
    stores = {"in-loop sqlite3": create_store(url), "aiosqlite (reference)": _aiosqlite_store(url)}
    setup = stores["in-loop sqlite3"]
    async with setup.unit() as unit:
        user = await unit.users.get_or_create("line", "U" + "0" * 32)
        convo = await unit.conversations.open_for(user.id)
    now = setup.clock()

    async def claim(unit: Unit, _i: int) -> object:
        return await unit.inbox.claim(now, now + dt.timedelta(seconds=60), 16)

    async def read(unit: Unit, _i: int) -> object:
        return await unit.conversations.open_for(user.id), await unit.users.get(user.id)

    async def store_message(unit: Unit, i: int) -> object:
        found = await unit.users.get_or_create("line", f"U{i:032d}")
        return await unit.messages.add(
            (await unit.conversations.open_for(found.id)).id,
            direction="in",
            author="citizen",
            text="ごみの収集日を教えてください",
        )

    async def answer(unit: Unit, _i: int) -> object:
        await unit.messages.add(convo.id, direction="out", author="bot", text="収集日は" * 40)
        return await unit.conversations.update(convo.id, state={"last_entry": "faq.x"})

    works: dict[str, Work] = {
        "claim (nothing to claim)": claim,
        "read user + conversation": read,
        "new citizen: user, conversation, message": store_message,
        "answer: message + conversation state": answer,
    }
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, work in works.items():
            for label, store in stores.items():
                await _measure(store, work, max(1, units // 10))  # warm the statement caches
                figures.setdefault((name, label), []).append(await _measure(store, work, units))
    for store in stores.values():
        await store.close()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"SQLite units of work, {units} per round, {rounds} rounds (median); load average {load}",
        "",
        "| unit of work | in-loop CPU µs | aiosqlite CPU µs | ratio | in-loop wall µs "
        "| aiosqlite wall µs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in works:
        cpu_in, wall_in = (
            statistics.median(v) for v in zip(*figures[(name, "in-loop sqlite3")], strict=True)
        )
        cpu_ref, wall_ref = (
            statistics.median(v)
            for v in zip(*figures[(name, "aiosqlite (reference)")], strict=True)
        )
        lines.append(
            f"| {name} | {cpu_in:.0f} | {cpu_ref:.0f} | {cpu_in / cpu_ref:.2f} "
            f"| {wall_in:.0f} | {wall_ref:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_units", description=__doc__)
    parser.add_argument("--units", type=int, default=2000, help="units of work per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args.units, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
