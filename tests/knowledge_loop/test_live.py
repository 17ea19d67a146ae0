"""Knowledge changes reach every process: incremental index updates and two app instances."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.clock import FrozenClock
from bot.knowledge_service import Knowledge
from bot.settings import Settings
from intents.analyzer import Analysis, Analyzer
from intents.matcher import Document, Matcher
from knowledge.documents import entry_document

ENTRY = "faq.snow.plowing_criteria"
SNOW = "除雪車って何時ごろ来るの？"
NEW = "新しい回答です。除雪車は市の計画に沿って出動します。（二つのプロセスの確認）"


def test_replacing_documents_equals_building_from_scratch(knowledge: Knowledge) -> None:
    matcher = knowledge.matcher
    entry = knowledge.entry(ENTRY)
    assert entry is not None
    changed = Document(ENTRY, (*entry_document(entry).questions, "黄色い大きな車の時間"))
    updated = matcher.replace_documents(ENTRY, [changed])
    kept = [d for d in matcher.documents if d.id != ENTRY]
    rebuilt = Matcher.build([*kept, changed], matcher.analyzer.synonyms, matcher.weights)
    assert updated.rank("黄色い大きな車の時間", k=3) == rebuilt.rank("黄色い大きな車の時間", k=3)
    assert updated.rank("黄色い大きな車の時間", k=1)[0].entry_id == ENTRY
    assert len(matcher) == len(updated)  # the original is untouched (readers keep it)
    assert ENTRY not in {c.entry_id for c in matcher.remove(ENTRY).rank(SNOW, k=10)}


def test_an_update_analyses_only_the_changed_texts(
    knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = knowledge.entry(ENTRY)
    assert entry is not None
    analysed: list[str] = []
    real = Analyzer.analyze

    def counting(self: Analyzer, text: str) -> Analysis:
        analysed.append(text)
        return real(self, text)

    monkeypatch.setattr(Analyzer, "analyze", counting)
    live = knowledge.fork()
    changed = live.apply([(ENTRY, entry.model_copy(update={"keywords": ["まったく新しい語"]}))], 1)
    assert changed == 1
    assert analysed == ["まったく新しい語"]  # not the other 334 entries' texts
    assert live.rank("まったく新しい語", k=1)[0].entry_id == ENTRY
    assert knowledge.rank("まったく新しい語", k=1) != live.rank("まったく新しい語", k=1)


async def answer(client: httpx.AsyncClient, text: str) -> str:
    response = await client.post("/api/chat", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    return "\n".join(r["text"] for r in body["replies"])


async def test_publish_in_one_process_and_the_other_answers_within_seconds(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}")
    first = create_app(settings, knowledge=knowledge.fork(), clock=FrozenClock())
    second = create_app(settings, knowledge=knowledge.fork(), clock=FrozenClock())
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as web:
            assert NEW not in await answer(web, SNOW)
            runtime = first.state.runtime
            async with runtime.store.unit() as unit:
                clerk = await unit.staff.add("tanaka", "田中", "x", "staff", ["dept.roads"])
            entry = runtime.knowledge.entry(ENTRY)
            data = entry.model_dump(mode="json", exclude_none=True)
            data["answer"]["ja"] = NEW
            # the two apps share no event bus: only the database connects them
            await runtime.knowledge_loop.publish(ENTRY, data, note="", staff_id=clerk.id, ip=None)
            started = time.monotonic()
            while NEW not in await answer(web, SNOW):
                assert time.monotonic() - started < 8, "the second process never saw the edit"
                await asyncio.sleep(0.25)
