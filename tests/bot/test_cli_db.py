"""``citybot db upgrade``: the schema migrated once, before the server processes start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.storage.db import alembic_config


def test_db_upgrade_brings_an_empty_database_to_the_newest_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "var" / "citybot.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("CITYBOT_SECRET_KEY", "x" * 32)
    for _ in range(2):  # a second run finds it up to date and changes nothing
        assert main(["db", "upgrade"]) == 0
        assert "up to date" in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        [(version,)] = conn.execute("SELECT version_num FROM alembic_version")
    assert {"users", "webhook_events", "login_failures"} <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
