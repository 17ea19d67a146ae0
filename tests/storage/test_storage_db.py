"""Engine set-up, migrations and column types."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url, text
from sqlalchemy.engine import Dialect

from bot.storage import create_store, default_database_url, migrate
from bot.storage.db import alembic_config
from bot.storage.models import Base
from bot.storage.types import UTCDateTime

JST = dt.timezone(dt.timedelta(hours=9))


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_alembic_finds_exactly_one_head_and_one_line_of_revisions() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    chain = [rev.revision for rev in script.walk_revisions()]
    assert chain[0] == HEAD
    assert chain[-1] == "0001"
    files = list((Path(script.dir) / "versions").glob("0*.py"))
    assert len(chain) == len(files)  # every revision file is on the one line


async def test_sqlite_migration_matches_models_and_reruns(sqlite_db_url: str) -> None:
    url = sqlite_db_url
    await migrate(url)
    await migrate(url)  # already at head: nothing to do
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
            assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
    finally:
        await store.close()


@pytest.mark.postgres
async def test_postgres_migration_matches_models(postgres_url: str) -> None:
    store = create_store(postgres_url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
            payload_type = await conn.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'messages' AND column_name = 'payload'"
                )
            )
            id_type = await conn.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'users' AND column_name = 'id'"
                )
            )
        assert (payload_type, id_type) == ("jsonb", "bigint")
    finally:
        await store.close()


async def test_sqlite_connections_get_the_pragmas(sqlite_db_url: str) -> None:
    store = create_store(sqlite_db_url)
    try:
        async with store.engine.connect() as conn:
            pragmas = [
                await conn.scalar(text(f"PRAGMA {name}"))
                for name in ("journal_mode", "synchronous", "foreign_keys")
            ]
        assert pragmas == ["wal", 1, 1]  # synchronous 1 = NORMAL
    finally:
        await store.close()


async def test_default_url_is_under_var_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = default_database_url()
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'citybot.db'}"
    await migrate(url)
    assert (tmp_path / "var" / "citybot.db").is_file()


async def test_create_store_makes_the_sqlite_directory(tmp_path: Path) -> None:
    store = create_store(f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    try:
        assert (tmp_path / "a" / "b").is_dir()
        assert await store.ping() is True
    finally:
        await store.close()


async def test_ping_is_false_when_the_server_is_unreachable() -> None:
    store = create_store("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        assert await store.ping() is False
    finally:
        await store.close()


@pytest.mark.parametrize(
    "dialect",
    [make_url(u).get_dialect()() for u in ("sqlite+aiosqlite://", "postgresql+asyncpg://")],
    ids=["sqlite", "pg"],
)
def test_utc_datetime_stores_utc_and_refuses_naive(dialect: Dialect) -> None:
    column = UTCDateTime()
    noon_jst = dt.datetime(2026, 4, 1, 12, 0, tzinfo=JST)
    stored = column.process_bind_param(noon_jst, dialect)
    assert stored is not None
    assert stored.replace(tzinfo=None) == dt.datetime(2026, 4, 1, 3, 0)
    assert (stored.tzinfo is None) == (dialect.name == "sqlite")
    read = column.process_result_value(stored, dialect)
    assert read == noon_jst
    assert read is not None
    assert read.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 4, 1, 12, 0), dialect)
