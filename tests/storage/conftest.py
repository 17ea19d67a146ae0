"""Fixtures that run the storage contract against SQLite and PostgreSQL.

PostgreSQL: a fresh database with a unique name is created once per test session on the server
named by ``TEST_POSTGRES_DSN`` (default: the local server, user ``postgres``, trust auth),
migrated with :func:`bot.storage.migrate`, emptied before each test and dropped at the end. If
the server cannot be reached the PostgreSQL tests are skipped — unless ``CI`` is set, where
they fail: CI must exercise PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import make_url, text

from bot.clock import FrozenClock
from bot.storage import SqlStore, Store, create_store, migrate
from bot.storage.models import Base
from tests.databases import copy_sqlite_template, run_in_thread, sqlite_url

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

_T = TypeVar("_T")

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    """A SQLite file database URL whose directory does not exist yet."""
    return sqlite_url(tmp_path)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its SQLAlchemy URL; drop it afterwards."""
    admin_dsn = os.environ.get("TEST_POSTGRES_DSN", DEFAULT_ADMIN_DSN)
    name = f"citybot_test_{uuid.uuid4().hex[:12]}"
    try:
        run_in_thread(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL not reachable at {admin_dsn}: {type(exc).__name__}: {exc}"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{reason} (CI is set: PostgreSQL tests must run)")
        pytest.skip(reason)
    url = (
        make_url(admin_dsn)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
    try:
        yield url
    finally:
        run_in_thread(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create and migrate a throwaway PostgreSQL database; yield its SQLAlchemy URL."""
    with throwaway_postgres() as url:
        run_in_thread(migrate(url))
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with no tables at all (for migration tests)."""
    with throwaway_postgres() as url:
        yield url


async def empty_postgres(store: SqlStore) -> None:
    """Delete every row and restart the id sequences."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with store.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend name: sqlite or postgres."""
    name: str = request.param
    return name


@pytest_asyncio.fixture
async def store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Store]:
    """An empty store of each backend; SQL ones migrated with ``migrate()``."""
    result: SqlStore
    if backend == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_file")
        result = create_store(copy_sqlite_template(template, tmp_path), clock=FrozenClock())
    else:
        result = create_store(request.getfixturevalue("postgres_url"), clock=FrozenClock())
        await empty_postgres(result)
    try:
        yield result
    finally:
        await result.close()
