"""The city's edits layered over the shipped YAML: export, conflicts, review counts."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli import main
from bot.clock import FrozenClock
from bot.events import EventBus
from bot.knowledge_loop.entries import entry_data
from bot.knowledge_loop.export import export
from bot.knowledge_loop.service import KnowledgeLoop
from bot.knowledge_service import Knowledge
from bot.storage import Store, create_store, migrate
from knowledge.loader import DATA_DIR, KnowledgeBase, load_knowledge

ENTRY = "faq.snow.plowing_criteria"


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate(url)
    result = create_store(url)
    yield result
    await result.close()


@pytest_asyncio.fixture
async def clerk(store: Store) -> int:
    async with store.unit() as unit:
        return (await unit.staff.add("tanaka", "田中", "x", "staff", ["dept.roads"])).id


def loop_for(store: Store, knowledge: Knowledge) -> KnowledgeLoop:
    return KnowledgeLoop(store, knowledge, EventBus(), FrozenClock())


async def test_export_writes_edits_and_new_entries_in_the_shipped_layout(
    store: Store, clerk: int, knowledge: Knowledge, tmp_path: Path
) -> None:
    loop = loop_for(store, knowledge.fork())
    entry = loop.knowledge.entry(ENTRY)
    assert entry is not None
    data = entry_data(entry)
    data["answer"]["ja"] = "市の確認済みの回答です。"
    await loop.publish(ENTRY, data, note="内部メモ：夜間は当番へ", staff_id=clerk, ip=None)
    new = {
        "category": "snow",
        "department": "dept.roads",
        "title": {"ja": "雪捨て場の開設時間", "en": "Snow dump opening hours"},
        "questions": ["雪捨て場は何時から", "雪堆積場 開設時間", "ゆきすてば なんじ"],
        "answer": {"ja": "市のホームページでご確認ください。", "en": "Please see the website."},
        "source": "職員が作成",
    }
    created = await loop.create(new, note="", staff_id=clerk, ip=None)

    out = tmp_path / "export"
    done = await export(store, out)
    assert (done.entries_changed, done.entries_created) == (1, 1)
    exported = load_knowledge(out)
    assert exported.entries[ENTRY].answer.ja == "市の確認済みの回答です。"
    assert exported.entries[created].title.ja == "雪捨て場の開設時間"
    assert exported.files[created] == "faq/staff_entries.yaml"
    assert exported.files[ENTRY] == knowledge.kb.files[ENTRY]  # same file as shipped
    assert len(exported) == len(knowledge.shipped) + 1
    unchanged = "faq/tax_municipal.yaml"
    assert (out / unchanged).read_bytes() == (DATA_DIR / unchanged).read_bytes()
    edited = (out / knowledge.kb.files[ENTRY]).read_text(encoding="utf-8")
    assert edited.startswith("# ")  # the file's comment is kept
    assert "内部メモ" not in edited  # staff notes never leave the database


async def test_a_newer_shipped_entry_shows_as_a_conflict_until_staff_choose(
    store: Store, clerk: int, knowledge: Knowledge
) -> None:
    old = loop_for(store, knowledge.fork())
    entry = old.knowledge.entry(ENTRY)
    assert entry is not None
    data = entry_data(entry)
    data["answer"]["ja"] = "市の編集です。"
    await old.publish(ENTRY, data, note="", staff_id=clerk, ip=None)
    assert old.conflicts(await old.latest()) == []

    # a new release ships a different text for the same entry
    shipped = entry.model_copy(update={"keywords": [*entry.keywords, "新しい出荷版"]})
    newer_kb = KnowledgeBase(
        {**knowledge.shipped.entries, ENTRY: shipped},
        knowledge.shipped.categories,
        knowledge.shipped.files,
    )
    upgraded = dataclasses.replace(knowledge.fork(), shipped=newer_kb)
    new = loop_for(store, upgraded)
    await new.sync()
    assert new.knowledge.entry(ENTRY).answer.ja == "市の編集です。"  # never silently replaced
    [conflict] = new.conflicts(await new.latest())
    assert conflict.entry_id == ENTRY
    assert conflict.shipped == shipped

    await new.publish(ENTRY, None, note=None, staff_id=clerk, ip=None, action="take_shipped")
    assert new.conflicts(await new.latest()) == []
    assert new.knowledge.entry(ENTRY) == shipped


def test_kb_check_review_leaves_out_what_staff_confirmed(
    knowledge: Knowledge,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    entry = knowledge.entry(ENTRY)
    assert entry is not None

    async def confirm_all() -> None:
        await migrate(url)
        store = create_store(url)
        try:
            async with store.unit() as unit:
                clerk = await unit.staff.add("tanaka", "田中", "x", "staff", ["dept.roads"])
            loop = loop_for(store, knowledge.fork())
            for item in entry.review:
                await loop.set_check(
                    ENTRY, item, fact="確認", confirmed=True, staff_id=clerk.id, ip=None
                )
        finally:
            await store.close()

    asyncio.run(confirm_all())
    monkeypatch.chdir(tmp_path)  # no default database file here
    monkeypatch.delenv("CITYBOT_DATABASE_URL", raising=False)
    assert main(["kb", "check", "--no-collisions", "--review"]) == 0
    without = capsys.readouterr().out
    assert f"REVIEW {ENTRY} " in without
    assert "329 entries with review items;" in without

    monkeypatch.setenv("CITYBOT_DATABASE_URL", url)
    assert main(["kb", "check", "--no-collisions", "--review"]) == 0
    with_db = capsys.readouterr().out
    assert f"REVIEW {ENTRY} " not in with_db
    assert "328 entries with review items (" in with_db
    assert "3 confirmed by staff" in with_db
