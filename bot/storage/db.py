"""Engine, store and migrations.

Usage::

    url = default_database_url()          # or settings.database_url
    await migrate(url)                    # Alembic ``upgrade head``, at start-up
    store = create_store(url, clock=SystemClock())   # FrozenClock(...) in tests
    async with store.unit() as unit:
        ...
    await store.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from bot.clock import Clock, SystemClock
from bot.storage.base import Unit
from bot.storage.repositories import sql_unit
from bot.storage.sqlite_inline import in_memory, inline_creator
from bot.storage.turns import Turns

__all__ = [
    "MIGRATIONS_DIR",
    "SqlStore",
    "alembic_config",
    "create_engine",
    "create_store",
    "default_database_url",
    "ensure_sqlite_directory",
    "migrate",
    "scratch_store",
]

logger = logging.getLogger(__name__)

#: Alembic's script directory, inside the package so that it ships with it.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
)
_PING_TIMEOUT_S = 5.0
_MIGRATE_LOCK = 0x63697479626F74  # PostgreSQL advisory lock key taken while migrating


def default_database_url() -> str:
    """Return the SQLite file ``./var/citybot.db`` under the current directory, as a URL."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'var' / 'citybot.db'}"


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file if it does not exist yet."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a URI filename; its options are the caller's business
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _pragmas(*pragmas: str) -> Callable[[Any, Any], None]:
    """A ``connect`` listener applying ``pragmas`` to every new SQLite connection."""

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
        finally:
            cursor.close()

    return apply


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Return an async engine set up for our two databases.

    JSON is written with ``ensure_ascii=False`` (Japanese stays readable). SQLite connections
    run in the event loop's thread (:mod:`bot.storage.sqlite_inline`) and get WAL,
    ``synchronous=NORMAL`` and foreign keys; a writer that finds the database locked waits for
    up to 15 s without blocking the loop instead of failing with "database is locked".
    """
    ensure_sqlite_directory(url)
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and "async_creator" not in kwargs:
        args, options = parsed.get_dialect()().create_connect_args(parsed)
        options.update(kwargs.pop("connect_args", {}))
        kwargs["async_creator"] = inline_creator(*args, **options)
    elif not is_sqlite:  # the inbox's workers each hold a connection; a webhook finds one
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(
        url, json_serializer=functools.partial(json.dumps, ensure_ascii=False), **kwargs
    )
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _pragmas(*_SQLITE_PRAGMAS))
    return engine


class SqlStore:
    """A :class:`bot.storage.base.Store` backed by SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        """Hand out sessions of ``engine``; every timestamp the repositories write or compare
        with comes from ``clock``; objects stay readable after commit."""
        self._engine = engine
        self.clock = clock
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
        # SQLite has one writer: this process's transactions take turns in the event loop
        # rather than sleeping in SQLite's busy handler (one process per SQLite database).
        self._turns = Turns() if engine.dialect.name == "sqlite" else None
        self._reader: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for maintenance (tests, health checks)."""
        return self._engine

    @asynccontextmanager
    async def unit(self, *, urgent: bool = False) -> AsyncIterator[Unit]:
        """Open one transaction: commit on normal exit, roll back on exception.

        ``urgent``: someone waits on this transaction (a webhook's acknowledgement); on SQLite
        it takes its turn before queued background work.
        """
        session: AsyncSession
        turn = self._turns.turn(urgent=urgent) if self._turns else contextlib.nullcontext()
        async with turn, self._sessions() as session, session.begin():
            yield sql_unit(session, self.clock)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Unit]:
        """Open a read-only unit for a long report (the published figures), never committed.

        On a SQLite file it runs on a connection of its own in a thread beside the event loop
        (aiosqlite), takes no writer turn and sees the last committed state (WAL), so counting
        a large month does not hold up webhooks; a write in it is refused. Elsewhere (an
        in-memory SQLite database, PostgreSQL) it is an ordinary transaction, rolled back.
        """
        reader = self._reading_engine()
        if reader is None:
            turn = self._turns.turn() if self._turns else contextlib.nullcontext()
            async with turn, self._sessions() as session:  # closed uncommitted: rolled back
                yield sql_unit(session, self.clock)
            return
        async with AsyncSession(reader, expire_on_commit=False) as session:
            yield sql_unit(session, self.clock)

    def _reading_engine(self) -> AsyncEngine | None:
        """The threaded read-only engine of a SQLite file, made on first use."""
        if self._turns is None or in_memory(self._engine.url.database or ""):
            return None
        if self._reader is None:
            self._reader = create_async_engine(
                self._engine.url, connect_args={"timeout": 15}, pool_size=2, max_overflow=0
            )
            # the reporting connection refuses writes
            event.listen(self._reader.sync_engine, "connect", _pragmas("query_only=ON"))
        return self._reader

    async def ping(self) -> bool:
        """Return whether the database answers ``SELECT 1`` within a few seconds."""
        try:
            async with asyncio.timeout(_PING_TIMEOUT_S), self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError) as exc:  # TimeoutError is an OSError
            logger.warning("database ping failed: %s", type(exc).__name__)
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._reader is not None:
            await self._reader.dispose()
        await self._engine.dispose()


def create_store(url: str, *, clock: Clock | None = None) -> SqlStore:
    """Return a :class:`SqlStore` for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``).

    ``clock`` stamps every row and answers every "now" inside the repositories; the system
    clock unless given (the runtime passes its own, tests a :class:`bot.clock.FrozenClock`).
    """
    return SqlStore(create_engine(url), clock or SystemClock())


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic configuration built in code: no ``alembic.ini`` needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``).

    The migration runs on a connection opened here and handed to ``env.py`` through
    ``config.attributes``, so it works inside a running event loop.
    """
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # several processes start at once: one
                # migrates, the others wait for its commit and find the schema current
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK}
                )
            await conn.run_sync(_upgrade_head)
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_store(clock: Clock | None = None) -> AsyncIterator[SqlStore]:
    """Yield a migrated SQLite database in memory, gone when the block ends (``citybot ask``).

    ``sqlite+aiosqlite://`` with one shared connection (``StaticPool``), migrated on that
    connection: the same SQL repositories as production, nothing left on disk.
    """
    store = SqlStore(
        create_engine("sqlite+aiosqlite://", poolclass=StaticPool), clock or SystemClock()
    )
    try:
        async with store.engine.begin() as conn:
            await conn.run_sync(_upgrade_head)
        yield store
    finally:
        await store.close()


def _upgrade_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
