"""Migration 0005 (knowledge loop) on a database that already holds data, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command

from bot.storage import create_store

from .conftest import sqlite_url
from .test_migrations import LATER_TABLES, _schema_diff, _tables_and_outbox_columns, alembic

NOW = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


async def _check(url: str) -> None:
    await alembic(url, command.upgrade, "0003")
    store = create_store(url)
    try:
        async with store.unit() as unit:
            user = await unit.users.get_or_create("web", "w-before-0005")
            convo = await unit.conversations.open_for(user.id)
    finally:
        await store.close()

    await alembic(url, command.upgrade, "head")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, _ = await conn.run_sync(_tables_and_outbox_columns)
            assert await conn.run_sync(_schema_diff) == []
        assert tables >= LATER_TABLES
        async with store.unit() as unit:
            await unit.inquiries.add(convo.id, "ごみ", "ごみ", "fallback", None, "dept.x", NOW)
            await unit.knowledge_edits.publish(
                "faq.x", {"id": "faq.x"}, note="", base_hash=None, action="create",
                author_id=None, diff="", now=NOW,
            )  # fmt: skip
            assert await unit.knowledge_edits.revision() == 1
    finally:
        await store.close()

    await alembic(url, command.downgrade, "0003")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, _ = await conn.run_sync(_tables_and_outbox_columns)
        assert not tables & LATER_TABLES
        async with store.unit() as unit:
            assert await unit.conversations.get(convo.id) is not None
    finally:
        await store.close()
    await alembic(url, command.upgrade, "head")


async def test_sqlite_upgrade_to_0005_and_back(tmp_path: Path) -> None:
    await _check(sqlite_url(tmp_path))


@pytest.mark.postgres
async def test_postgres_upgrade_to_0005_and_back(empty_postgres_url: str) -> None:
    await _check(empty_postgres_url)
