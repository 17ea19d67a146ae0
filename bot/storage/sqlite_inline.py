"""SQLite in the event loop's own thread: an aiosqlite-shaped connection without hand-offs.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in the connection's own
thread and hands the result back to the event loop: four thread round trips per statement,
which cost more CPU than the statements themselves. This connection has the same coroutine
interface, so SQLAlchemy's ``sqlite+aiosqlite`` dialect drives it unchanged (passed as
``create_async_engine(..., async_creator=...)``), but each call runs ``sqlite3`` directly.

That is safe only because the loop never waits on SQLite:

- **Busy**: the connection has no busy timeout. A statement that finds the database locked
  (another process, or a connection outside this process's turns) is retried after an
  ``asyncio.sleep`` with back-off, up to :data:`BUSY_TIMEOUT_S` in all — the same patience as
  a busy timeout, but the loop goes on serving other work meanwhile. A stale snapshot
  (``SQLITE_BUSY_SNAPSHOT``) cannot succeed by waiting and is raised at once, as before.
- **Checkpoints**: automatic WAL checkpoints are off on these connections (the committing
  connection would copy pages and ``fsync`` inside the loop); every :data:`CHECKPOINT_EVERY`
  commits a passive checkpoint runs in a worker thread on a connection of its own.

Statements are short because this process's transactions already take turns
(:mod:`bot.storage.turns`); an in-memory database has no WAL and gets no checkpoints.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

__all__ = [
    "BUSY_TIMEOUT_S",
    "CHECKPOINT_EVERY",
    "InlineConnection",
    "in_memory",
    "inline_creator",
]

BUSY_TIMEOUT_S = 15.0  # how long a statement waits for a lock in all, as a busy timeout would
CHECKPOINT_EVERY = 200  # commits between passive WAL checkpoints (in a worker thread)
_FIRST_WAIT_S = 0.001
_LONGEST_WAIT_S = 0.05
_SQLITE_BUSY = 5
_SQLITE_BUSY_RECOVERY = 261  # another connection recovers the WAL: waiting helps
_T = TypeVar("_T")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (_SQLITE_BUSY, _SQLITE_BUSY_RECOVERY)


async def _patiently(call: Callable[..., _T], *args: Any) -> _T:
    """Run ``call(*args)``; while the database is locked, sleep (not block) and try again."""
    try:
        return call(*args)
    except sqlite3.OperationalError as error:
        if not _is_busy(error):
            raise
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_TIMEOUT_S
    wait = _FIRST_WAIT_S
    while True:
        await asyncio.sleep(wait)
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or loop.time() >= deadline:
                raise
        wait = min(wait * 2, _LONGEST_WAIT_S)


class _Checkpoints:
    """Passive WAL checkpoints of one database file, in a worker thread, one at a time."""

    def __init__(self, database: str, uri: bool) -> None:
        self._database = database
        self._uri = uri
        self._commits = 0
        self._running = False

    def committed(self) -> None:
        """Count a commit; start a checkpoint in a thread every :data:`CHECKPOINT_EVERY`."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or self._running:
            return
        self._commits = 0
        self._running = True
        future = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[None]) -> None:
        self._running = False
        if not future.cancelled():
            future.exception()  # a failed checkpoint is harmless: the next one catches up

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self._database, uri=self._uri, timeout=0)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
        finally:
            connection.close()


class _Cursor:
    """aiosqlite's ``Cursor`` interface over a ``sqlite3.Cursor``, run in the caller's thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        await _patiently(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        rows = list(parameters)  # an iterator would be used up by a first, busy try
        await _patiently(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Queue:
    """What SQLAlchemy's adapter uses of aiosqlite's call queue: ``put_nowait((future, fn))``."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite's thread does
            future.set_exception(error)


class InlineConnection:
    """aiosqlite's ``Connection`` interface over a ``sqlite3.Connection`` in the loop's thread."""

    _tx = _Queue()  # SQLAlchemy's isolation-level setter queues a call here

    def __init__(self, connection: sqlite3.Connection, checkpoints: _Checkpoints | None) -> None:
        self._conn = connection
        # SQLAlchemy's adapter reads ``_connection`` to know the connection is still open
        self._connection: sqlite3.Connection | None = connection
        self._checkpoints = checkpoints

    def cursor(self) -> _Cursor:
        """A cursor; SQLAlchemy enters it with ``await cursor.__aenter__()``."""
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        in_transaction = self._conn.in_transaction
        await _patiently(self._conn.commit)
        if in_transaction and self._checkpoints is not None:
            self._checkpoints.committed()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (also SQLAlchemy's forced termination); closing twice is harmless."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def in_memory(database: str) -> bool:
    """Whether a SQLite database name (as for ``sqlite3.connect``) is an in-memory one."""
    return database in ("", ":memory:") or "mode=memory" in database


def inline_creator(database: str, *, uri: bool = False, **kwargs: Any) -> Callable[[], Any]:
    """Return an ``async_creator`` opening :class:`InlineConnection` s to ``database``.

    ``database`` and ``uri`` are as for ``sqlite3.connect``; other keywords (``timeout`` is
    ignored: waits are asynchronous here) go to it too. Connections of one creator share one
    checkpointer; an in-memory database gets none.
    """
    kwargs.pop("timeout", None)
    kwargs["check_same_thread"] = False  # closed by the pool, possibly from another thread
    checkpoints = None if in_memory(database) else _Checkpoints(database, uri)

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, uri=uri, timeout=0, **kwargs)
        if checkpoints is not None:
            connection.execute("PRAGMA wal_autocheckpoint=0").close()
        return InlineConnection(connection, checkpoints)

    return connect
