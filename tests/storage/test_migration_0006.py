"""Migration 0006 (login failures) on SQLite and PostgreSQL: up to the models, down, up again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.storage import create_store

from .conftest import sqlite_url
from .test_migrations import _schema_diff, alembic

T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def _tables(connection: sa.Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


async def _check(url: str) -> None:
    await alembic(url, command.upgrade, "0003")
    store = create_store(url)
    try:
        async with store.unit() as unit:
            user = await unit.users.get_or_create("line", "U-before-0006")
    finally:
        await store.close()
    await alembic(url, command.upgrade, "head")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
        async with store.unit() as unit:
            assert await unit.users.get(user.id) == user
            await unit.login_failures.add(["k"], T0)
    finally:
        await store.close()
    await alembic(url, command.downgrade, "0005")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            assert "login_failures" not in await conn.run_sync(_tables)
    finally:
        await store.close()
    await alembic(url, command.upgrade, "head")


async def test_sqlite_0006_up_and_down(tmp_path: Path) -> None:
    await _check(sqlite_url(tmp_path))


@pytest.mark.postgres
async def test_postgres_0006_up_and_down(empty_postgres_url: str) -> None:
    await _check(empty_postgres_url)
