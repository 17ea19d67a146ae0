"""Migrations 0002 and 0003 on databases that already hold data, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from bot.storage import OutboxStatus, create_store
from bot.storage.db import alembic_config, create_engine, migrate
from bot.storage.models import Base
from bot.storage.types import JSONDict, UTCDateTime

from .conftest import sqlite_url

NEW_TABLES = {
    "staff_users",
    "staff_sessions",
    "escalations",
    "escalation_notes",
    "audit_log",
    "knowledge_drafts",
}
EARLIER = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
# Tables of revisions after 0003, absent when a test stops at 0003.
LATER_TABLES = {
    "knowledge_versions",
    "knowledge_review_checks",
    "inquiry_outcomes",
    "login_failures",
    "notify_areas",
    "notify_subscriptions",
    "notify_notices",
    "notify_deliveries",
    "notify_tokens",
}

# The outbox as revision 0001 made it (the models have a column more by now).
OUTBOX_0001 = sa.table(
    "outbox",
    sa.column("channel", sa.String),
    sa.column("recipient", sa.String),
    sa.column("payload", JSONDict),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
)


async def alembic(url: str, action: Callable[..., Any], revision: str) -> None:
    """Run ``alembic upgrade|downgrade revision`` on ``url``."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config, revision)

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


def _tables_and_outbox_columns(connection: Connection) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(connection)
    columns = {c["name"] for c in inspector.get_columns("outbox")}
    return set(inspector.get_table_names()), columns


def _table_of(difference: Any) -> str:
    """The table an autogenerate difference is about (an added table or index)."""
    item = difference[1]
    return str(getattr(item, "name", "") if difference[0] == "add_table" else item.table.name)


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _check_upgrade_keeps_data_and_downgrades(url: str) -> None:
    await alembic(url, command.upgrade, "0001")
    store = create_store(url)
    try:
        async with store.unit() as unit:  # these repositories only touch 0001 tables
            user = await unit.users.get_or_create("telegram", "7000000001", language="en")
            convo = await unit.conversations.open_for(user.id)
            await unit.messages.add(convo.id, direction="in", author="citizen", text="除雪は？")
        async with store.engine.begin() as conn:
            await conn.execute(
                OUTBOX_0001.insert().values(
                    channel="line",
                    recipient="U1",
                    payload={"replies": [{"text": "受付しました"}]},
                    status="failed",
                    attempts=8,
                    next_attempt_at=EARLIER,
                    created_at=EARLIER,
                )
            )
    finally:
        await store.close()

    await alembic(url, command.upgrade, "head")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, columns = await conn.run_sync(_tables_and_outbox_columns)
            assert await conn.run_sync(_schema_diff) == []
        assert tables >= NEW_TABLES
        assert "message_id" in columns
        async with store.unit() as unit:
            (message,) = await unit.messages.recent(convo.id)
            assert message.text == "除雪は？"
            assert await unit.users.get(user.id) == user
            old = await unit.outbox.for_messages([message.id])
            assert old == {}  # the old row links no message
            linked = await unit.outbox.enqueue("telegram", "7000000001", {}, message.id)
            staff = await unit.staff.add("Sato", "佐藤", "hash", "staff", ["dept.roads"])
            escalation = await unit.escalations.open(
                convo.id, user.id, "telegram", "requested", "dept.roads", "除雪", {"messages": []}
            )
        async with store.unit() as unit:
            assert [o.id for o in (await unit.outbox.for_messages([message.id])).values()] == [
                linked
            ]
            assert (await unit.staff.by_username("sato")) == staff
            assert (await unit.escalations.get(escalation.id)) == escalation
    finally:
        await store.close()

    await alembic(url, command.downgrade, "0001")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, columns = await conn.run_sync(_tables_and_outbox_columns)
            rows = (await conn.execute(sa.text("SELECT status, attempts FROM outbox"))).all()
        assert not tables & NEW_TABLES
        assert "message_id" not in columns
        assert sorted(tuple(r) for r in rows) == [
            (OutboxStatus.FAILED.value, 8),
            (OutboxStatus.PENDING.value, 0),
        ]
    finally:
        await store.close()

    await alembic(url, command.upgrade, "head")  # and up again, cleanly


async def test_sqlite_upgrade_from_0001_with_data_and_back(tmp_path: Path) -> None:
    await _check_upgrade_keeps_data_and_downgrades(sqlite_url(tmp_path))


@pytest.mark.postgres
async def test_postgres_upgrade_from_0001_with_data_and_back(empty_postgres_url: str) -> None:
    await _check_upgrade_keeps_data_and_downgrades(empty_postgres_url)


APPLICATION_TABLES = {"applications", "application_events", "attachments"}


async def _check_0003_upgrade_keeps_data_and_downgrades(url: str) -> None:
    await alembic(url, command.upgrade, "0002")
    store = create_store(url)
    try:
        async with store.unit() as unit:  # these repositories only touch 0001/0002 tables
            user = await unit.users.get_or_create("line", "U-before-0003")
            convo = await unit.conversations.open_for(user.id)
            await unit.messages.add(
                convo.id, direction="in", author="citizen", text="街灯が切れた"
            )
            staff = await unit.staff.add("sato", "佐藤", "hash", "staff", ["dept.roads"])
            escalation = await unit.escalations.open(
                convo.id, user.id, "line", "procedure", "dept.roads", "街灯", {"messages": []}
            )
    finally:
        await store.close()

    await alembic(url, command.upgrade, "head")  # 0003 and any later revisions
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, _ = await conn.run_sync(_tables_and_outbox_columns)
            diff = await conn.run_sync(_schema_diff)
            assert [d for d in diff if _table_of(d) not in LATER_TABLES] == []
        assert tables >= APPLICATION_TABLES
        async with store.unit() as unit:
            assert await unit.staff.get(staff.id) == staff
            assert await unit.escalations.get(escalation.id) == escalation
            assert [m.text for m in await unit.messages.recent(convo.id)] == ["街灯が切れた"]
            application = await unit.applications.create(
                "R",
                user.id,
                convo.id,
                "line",
                "road_damage",
                "dept.roads",
                {"place": "5条"},
                "街灯",
            )
            photo = await unit.attachments.add(
                user.id, "image/jpeg", 10, "0" * 64, "a" * 32 + ".jpg"
            )
            await unit.attachments.attach([photo.id], application.id)
            await unit.applications.add_event(application.id, "note", "確認", staff_id=staff.id)
        async with store.unit() as unit:
            found = await unit.applications.by_reference(application.reference)
            assert found is not None
            assert (found.id, found.answers) == (application.id, {"place": "5条"})
            assert [a.id for a in await unit.attachments.for_application(application.id)] == [
                photo.id
            ]
    finally:
        await store.close()

    await alembic(url, command.downgrade, "0002")
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            tables, _ = await conn.run_sync(_tables_and_outbox_columns)
        assert not tables & APPLICATION_TABLES
        async with store.unit() as unit:
            assert await unit.escalations.get(escalation.id) == escalation
    finally:
        await store.close()

    await alembic(url, command.upgrade, "head")  # and up again, cleanly


async def test_sqlite_upgrade_from_0002_with_data_and_back(tmp_path: Path) -> None:
    await _check_0003_upgrade_keeps_data_and_downgrades(sqlite_url(tmp_path))


@pytest.mark.postgres
async def test_postgres_upgrade_from_0002_with_data_and_back(empty_postgres_url: str) -> None:
    await _check_0003_upgrade_keeps_data_and_downgrades(empty_postgres_url)


@pytest.mark.postgres
async def test_processes_starting_together_on_postgresql_migrate_once(
    empty_postgres_url: str,
) -> None:
    """`serve --workers N` or N instances on a new database: every start succeeds."""
    await asyncio.gather(*(migrate(empty_postgres_url) for _ in range(3)))
    engine = create_engine(empty_postgres_url)
    try:
        async with engine.connect() as conn:
            heads = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert len(heads) == 1
