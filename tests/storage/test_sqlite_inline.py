"""SQLite in the event loop's thread: a locked database is waited for without stopping the loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.storage import create_store, sqlite_inline
from bot.storage.db import SqlStore, migrate


async def _ticks(counter: list[int]) -> None:
    while True:
        counter[0] += 1
        await asyncio.sleep(0.01)


def _database(url: str) -> str:
    return url.removeprefix("sqlite+aiosqlite:///")


def _size(path: str) -> int:
    return os.path.getsize(path)


async def _store_with_a_table(url: str) -> SqlStore:
    store = create_store(url)
    async with store.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (key TEXT PRIMARY KEY, value TEXT)"))
    return store


async def test_a_write_waits_for_another_writer_while_the_loop_goes_on(
    sqlite_db_url: str,
) -> None:
    store = await _store_with_a_table(sqlite_db_url)
    other = sqlite3.connect(_database(sqlite_db_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO notes (key, value) VALUES ('a', '\"1\"')")
    ticks = [0]
    ticker = asyncio.create_task(_ticks(ticks))
    loop = asyncio.get_running_loop()
    loop.call_later(0.4, other.execute, "COMMIT")
    try:
        started = loop.time()
        async with store.engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (key, value) VALUES ('b', '\"2\"')"))
        waited = loop.time() - started
        async with store.engine.connect() as conn:
            keys = (await conn.execute(text("SELECT key FROM notes ORDER BY key"))).all()
    finally:
        ticker.cancel()
        other.close()
        await store.close()
    assert [k for (k,) in keys] == ["a", "b"]  # both writes kept, in turn
    assert waited >= 0.35
    assert ticks[0] >= 10  # other tasks ran while the write waited for the lock


async def test_a_lock_held_too_long_fails_as_locked(
    sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.2)
    store = await _store_with_a_table(sqlite_db_url)
    other = sqlite3.connect(_database(sqlite_db_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with store.engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes (key, value) VALUES ('b', '1')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
        await store.close()


async def test_the_write_ahead_log_is_checkpointed_while_the_process_writes(
    sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "CHECKPOINT_EVERY", 20)
    store = await _store_with_a_table(sqlite_db_url)
    wal = _database(sqlite_db_url) + "-wal"
    sizes = []
    try:
        for round_ in range(30):
            for i in range(20):
                async with store.engine.begin() as conn:
                    await conn.execute(
                        text("INSERT INTO notes (key, value) VALUES (:k, :v)"),
                        {"k": f"{round_}-{i}", "v": '"' + "x" * 8000 + '"'},
                    )
            await asyncio.sleep(0.05)  # the checkpoint runs in a worker thread
            sizes.append(_size(wal))
        async with store.engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM notes"))
    finally:
        await store.close()
    assert count == 600
    # 600 commits of ~3 pages each: about 7 MB of log if it were never checkpointed
    assert max(sizes) < 2_000_000


async def test_a_long_report_holds_up_neither_writers_nor_the_loop(sqlite_db_url: str) -> None:
    """The published figures read through ``reading()``: on a SQLite file a webhook's write
    goes ahead while the report is open, and the report sees what was committed."""
    store = create_store(sqlite_db_url)
    await migrate(sqlite_db_url)
    try:
        async with store.unit() as unit:
            await unit.users.get_or_create("line", "U-before")
        async with store.reading() as report:
            before = await report.users.get(1)

            async def webhook() -> None:
                async with store.unit(urgent=True) as unit:
                    await unit.users.get_or_create("line", "U-during")

            await asyncio.wait_for(webhook(), timeout=5.0)  # no turn held by the report
            with pytest.raises(OperationalError, match="readonly"):
                await report.users.get_or_create("line", "U-by-the-report")
    finally:
        await store.close()
    assert before is not None
    assert before.external_id == "U-before"
