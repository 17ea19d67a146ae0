"""Shared fixtures: the shipped knowledge (loaded once), a migrated SQLite file per test and an
engine on it.

Unit tests must not reach the network: a guard refuses any connection that is not to the
loopback address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.storage import SqlStore, create_store
from tests.databases import copy_sqlite_template, migrate_template

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            msg = f"tests must not reach the network (tried {address!r})"
            raise RuntimeError(msg)
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return Knowledge.load()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once with ``migrate()``; each test gets a copy (fast setup)."""
    return migrate_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def clock() -> FrozenClock:
    """The test's clock: it follows the system clock until the test sets it."""
    return FrozenClock()


@pytest_asyncio.fixture
async def sqlite_store(
    migrated_sqlite_file: Path, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[SqlStore]:
    """A migrated, empty SQLite file store of this test, on the test's clock."""
    store = create_store(copy_sqlite_template(migrated_sqlite_file, tmp_path), clock=clock)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def engine(knowledge: Knowledge, sqlite_store: SqlStore) -> Engine:
    return Engine(knowledge, sqlite_store)
