"""Shared fixtures: the shipped knowledge (loaded once) and an engine on the in-memory store.

Unit tests must not reach the network: a guard refuses any connection that is not to the
loopback address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.storage.memory import InMemoryStore

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


@pytest.fixture
def engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge, InMemoryStore())
