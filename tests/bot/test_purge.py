"""``citybot purge``: a dry run counts, ``--apply`` deletes old applications and stray photos."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.procedures.attachments import AttachmentStore
from bot.storage.db import create_store, migrate
from tests.staff.test_applications import png

NOW = dt.datetime.now(dt.UTC)


@dataclass
class Stored:
    """What the database held before the purge: application ids and photo storage keys."""

    old: int
    recent: int
    old_photo: str
    recent_photo: str
    stale_orphan: str
    fresh_orphan: str


@pytest.fixture
def files(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "attachments")


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: AttachmentStore) -> Stored:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("CITYBOT_DATABASE_URL", url)
    monkeypatch.setenv("CITYBOT_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    monkeypatch.setenv("CITYBOT_SECRET_KEY", "secret-key-for-the-purge-tests")
    monkeypatch.delenv("CITYBOT_RETENTION_DAYS", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree

    async def fill() -> Stored:
        await migrate(url)
        store = create_store(url)
        try:
            async with store.unit() as unit:
                user = await unit.users.get_or_create("line", "U-purge")
                convo = await unit.conversations.open_for(user.id)

                async def photo(at: dt.datetime) -> tuple[int, str]:
                    saved = files.save(png(), "image/png")
                    row = await unit.attachments.add(
                        user.id,
                        saved.content_type,
                        saved.size,
                        saved.sha256,
                        saved.storage_key,
                        now=at,
                    )
                    return row.id, saved.storage_key

                async def application(at: dt.datetime) -> tuple[int, str]:
                    attachment_id, key = await photo(at)
                    record = await unit.applications.create(
                        "R",
                        user.id,
                        convo.id,
                        "line",
                        "flow.road_damage",
                        "dept.roads",
                        {"photo": [attachment_id]},
                        "街路灯",
                        now=at,
                    )
                    await unit.attachments.attach([attachment_id], record.id)
                    return record.id, key

                old, old_photo = await application(NOW - dt.timedelta(days=400))
                recent, recent_photo = await application(NOW - dt.timedelta(days=10))
                _, stale = await photo(NOW - dt.timedelta(days=2))
                _, fresh = await photo(NOW - dt.timedelta(hours=1))
            return Stored(old, recent, old_photo, recent_photo, stale, fresh)
        finally:
            await store.close()

    return asyncio.run(fill())


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        return list(conn.execute(sql))


def _application_ids(tmp_path: Path) -> list[int]:
    return [int(str(r[0])) for r in _rows(tmp_path, "SELECT id FROM applications ORDER BY id")]


def test_a_dry_run_counts_and_deletes_nothing(
    stored: Stored, tmp_path: Path, files: AttachmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "would delete 1 applications" in out
    assert "older than 365 days), with 1 attachments" in out
    assert "flow.road_damage: 1" in out
    assert "would delete 1 unattached attachments" in out
    assert "nothing was deleted" in out
    assert _application_ids(tmp_path) == [stored.old, stored.recent]
    keys = (stored.old_photo, stored.recent_photo, stored.stale_orphan, stored.fresh_orphan)
    assert all(files.exists(key) for key in keys)
    assert _rows(tmp_path, "SELECT id FROM audit_log WHERE action = 'purge'") == []


def test_apply_deletes_old_applications_their_photos_and_stray_photos(
    stored: Stored,
    tmp_path: Path,
    files: AttachmentStore,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.procedures.retention"):
        assert main(["purge", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "deleted 1 applications, 2 attachments (2 files)" in out
    assert _application_ids(tmp_path) == [stored.recent]
    assert not files.exists(stored.old_photo)
    assert not files.exists(stored.stale_orphan)
    assert files.exists(stored.recent_photo)
    assert files.exists(stored.fresh_orphan)  # a flow may still be waiting for it
    assert len(_rows(tmp_path, "SELECT id FROM attachments")) == 2
    [(detail,)] = _rows(tmp_path, "SELECT detail FROM audit_log WHERE action = 'purge'")
    logged = json.loads(str(detail))
    assert (logged["applications"], logged["attachments"], logged["orphans"]) == (1, 1, 1)
    assert any("purge: deleted 1 applications" in r.getMessage() for r in caplog.records)

    assert main(["purge", "--older-than", "5", "--apply"]) == 0
    assert _application_ids(tmp_path) == []
    assert not files.exists(stored.recent_photo)


def test_the_retention_period_comes_from_the_settings(
    stored: Stored,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CITYBOT_RETENTION_DAYS", "7")
    assert main(["purge"]) == 0
    assert "would delete 2 applications" in capsys.readouterr().out
    monkeypatch.setenv("CITYBOT_RETENTION_DAYS", "soon")
    assert main(["purge"]) == 2
    assert "CITYBOT_RETENTION_DAYS" in capsys.readouterr().err
