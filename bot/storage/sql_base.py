"""Helpers shared by the SQL repositories."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.storage.errors import RecordNotFoundError, StorageError
from bot.storage.models import Base

__all__ = ["SqlRepo", "insert_for", "load"]

_M = TypeVar("_M", bound=Base)


def insert_for(
    session: AsyncSession, model: type[Base] | Table
) -> postgresql.Insert | sqlite.Insert:
    """Return the dialect's INSERT, which knows ``ON CONFLICT DO NOTHING``.

    Given a model, the statement runs through the ORM's bulk path; given its table, as plain
    Core (cheaper, for the hot path).
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    msg = f"unsupported database dialect {name!r} (expected postgresql or sqlite)"
    raise StorageError(msg)


async def load(session: AsyncSession, model: type[_M], key: int) -> _M:
    """Return the row with primary key ``key``, or raise :class:`RecordNotFoundError`."""
    row = await session.get(model, key)
    if row is None:
        raise RecordNotFoundError(model.__tablename__, key)
    return row


class SqlRepo:
    """Base of the SQL repositories: they work inside one session and never commit."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        """Work inside ``session``; every timestamp comes from ``clock``."""
        self._session = session
        self._now = clock
