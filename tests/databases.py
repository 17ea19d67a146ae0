"""SQLite test databases: one file migrated per test session, copied for each test."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.storage import migrate

_T = TypeVar("_T")


def run_in_thread(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` on a private event loop in another thread (safe inside a running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def sqlite_url(directory: Path) -> str:
    """Return a file database URL in a directory that does not exist yet."""
    return f"sqlite+aiosqlite:///{directory / 'var' / 'citybot.db'}"


def migrate_template(directory: Path) -> Path:
    """Migrate a fresh SQLite file under ``directory`` with ``migrate()``; return its path."""
    run_in_thread(migrate(sqlite_url(directory)))
    path = directory / "var" / "citybot.db"
    assert not path.with_name("citybot.db-wal").exists()  # checkpointed on close: one file
    return path


def copy_sqlite_template(template: Path, directory: Path) -> str:
    """Copy the migrated ``template`` under ``directory``; return the copy's URL."""
    target = directory / "var" / "citybot.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return sqlite_url(directory)
