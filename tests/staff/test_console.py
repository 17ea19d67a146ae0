"""A clerk working the queue: tabs, filters, reply, transfer, resolve, hand back, drafts, live."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.events import EventBus
from bot.messages import Incoming
from bot.staff.auth import StaffUser
from bot.staff.events import stream
from tests.staff.conftest import SNOW, Console, csrf_of


async def _act(client: httpx.AsyncClient, escalation_id: int, action: str, **form: str) -> str:
    page = f"/staff/escalations/{escalation_id}"
    csrf = csrf_of((await client.get(page)).text)
    response = await client.post(f"{page}/{action}", data={"csrf": csrf, **form})
    assert response.status_code == 303
    return str(response.headers["location"])


async def test_the_queue_moves_through_its_tabs(console: Console) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW, channel="telegram")
    client = await console.login("roads")

    queue = (await client.get("/staff/api/queue")).json()
    [row] = queue["rows"]
    assert row["summary"].startswith("[職員希望]")
    assert (row["channel_label"], row["department"]) == ("Telegram", "dept.roads")
    assert row["department_name"].startswith("土木部")
    assert queue["counts"] == {"open": 1, "mine": 0, "waiting": 0, "resolved": 0}
    telegram = await client.get("/staff/api/queue", params={"channel": "telegram"})
    assert len(telegram.json()["rows"]) == 1
    web_only = await client.get("/staff/api/queue", params={"channel": "web"})
    assert web_only.json()["rows"] == []
    assert (await client.get("/staff/api/queue", params={"age": "1h"})).json()["rows"] == []
    assert len((await client.get("/staff/api/queue", params={"age": "today"})).json()["rows"]) == 1

    assert "done=assigned" in await _act(client, escalation.id, "assign", assignee="me")
    mine = (await client.get("/staff/api/queue", params={"tab": "mine"})).json()
    assert [r["assignee"] for r in mine["rows"]] == ["Roads"]
    assert mine["counts"]["mine"] == 1

    await _act(client, escalation.id, "resolve")
    resolved = (await client.get("/staff/api/queue", params={"tab": "resolved"})).json()
    assert [r["id"] for r in resolved["rows"]] == [escalation.id]
    assert resolved["counts"] == {"open": 0, "mine": 0, "waiting": 0, "resolved": 1}


async def test_emergencies_come_first(console: Console) -> None:
    await console.add_staff("admin", role="admin", departments=[])
    await console.citizen_asks_for_staff(SNOW)
    await console.citizen_says("citizen-x", "火事です！家が燃えています")
    await console.citizen_asks_for_staff("住民票がほしい")  # the newest activity
    client = await console.login("admin")
    rows = (await client.get("/staff/api/queue")).json()["rows"]
    assert rows[0]["priority"] == 1
    assert [r["priority"] for r in rows[1:]] == [0, 0]
    page = await client.get("/staff/")
    assert page.text.index("緊急 Urgent") < page.text.index("[職員希望]")


async def test_a_reply_reaches_the_citizen_and_shows_it_was_sent(console: Console) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW, user="visitor-1")
    client = await console.login("roads")
    location = await _act(client, escalation.id, "reply", text="明朝までに除雪します。")
    assert location.endswith("done=replied")
    data = (await client.get(f"/staff/api/escalations/{escalation.id}")).json()
    reply = data["messages"][-1]
    assert (reply["author"], reply["text"]) == ("staff", "明朝までに除雪します。")
    assert reply["delivery"]["state"] == "sent"
    assert data["status"] == "waiting"
    page = await client.get(f"/staff/escalations/{escalation.id}")
    assert "送信済み Sent" in page.text
    # The bot stays quiet while staff have the chat; the citizen's message reaches the queue.
    await console.citizen_says("visitor-1", "ありがとうございます")
    queue = (await client.get("/staff/api/queue", params={"tab": "mine"})).json()
    assert [r["unread"] for r in queue["rows"]] == [1]  # the replier took the case


async def test_transfer_tells_the_citizen_and_leaves_a_note(console: Console) -> None:
    await console.add_staff("roads")
    await console.add_staff("tax", departments=["dept.tax"])
    escalation = await console.citizen_asks_for_staff(SNOW)
    roads = await console.login("roads")
    location = await _act(
        roads, escalation.id, "transfer", department="dept.tax", note="固定資産税の件です"
    )
    assert location == "/staff/"  # no longer theirs
    assert (await roads.get(f"/staff/escalations/{escalation.id}")).status_code == 404
    tax = await console.login("tax")
    data = (await tax.get(f"/staff/api/escalations/{escalation.id}")).json()
    assert data["department"] == "dept.tax"
    assert any("固定資産税の件です" in n["text"] for n in data["notes"])
    told = [m["text"] for m in data["messages"] if m["author"] == "system"]
    assert told
    assert "税" in told[-1]


async def test_canned_replies_come_from_the_departments_knowledge(console: Console) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW)
    client = await console.login("roads")
    path = f"/staff/api/escalations/{escalation.id}/canned"
    found = (await client.get(path, params={"q": "排雪"})).json()["entries"]
    assert found
    assert all(e["id"].startswith(("faq.snow", "proc.snow", "faq.")) for e in found)
    assert any("排雪" in e["answer"] for e in found)
    english = (await client.get(path, params={"q": "排雪", "lang": "en"})).json()["entries"]
    assert "snow" in english[0]["answer"].lower()


async def test_hand_back_gives_the_bot_its_voice_again(console: Console) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW, user="visitor-2")
    client = await console.login("roads")
    await _act(client, escalation.id, "reply", text="確認します。")
    await _act(client, escalation.id, "resolve")
    assert (await _act(client, escalation.id, "hand-back")).endswith("done=handed_back")
    outcome = await console.runtime.engine.handle(
        Incoming("web", "visitor-2", text="粗大ごみの収集を申し込みたい")
    )
    assert outcome.replies
    assert "粗大ごみ" in outcome.replies[0].text
    assert (await _act(client, escalation.id, "reopen")).endswith("done=reopened")


async def test_a_resolved_escalation_can_become_an_faq_draft(console: Console) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW)
    client = await console.login("roads")
    form = {
        "question": "除雪車が来ない\n除雪がまだです\n家の前の道路の除雪をしてほしい",
        "answer_ja": "道路課へご連絡ください。",
        "category": "snow",
    }
    assert "error=conflict" in await _act(client, escalation.id, "draft", **form)
    await _act(client, escalation.id, "resolve")
    too_few = {**form, "question": "除雪車が来ない"}
    assert "error=too_few" in await _act(client, escalation.id, "draft", **too_few)
    assert "done=drafted" in await _act(client, escalation.id, "draft", **form)
    async with console.runtime.store.unit() as unit:
        [draft] = await unit.drafts.list()
    assert draft.escalation_id == escalation.id
    assert draft.category == "snow"
    assert draft.question.splitlines()[0] == "除雪車が来ない"


async def test_the_event_stream_sends_changes_and_ends_with_the_bus(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW)
    client = await console.login("roads")
    bus = console.runtime.events
    subscribed = asyncio.Event()
    original = bus.subscribe

    @contextlib.asynccontextmanager
    async def subscribe() -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        async with original() as queue:
            subscribed.set()
            yield queue

    monkeypatch.setattr(bus, "subscribe", subscribe)
    response_task = asyncio.create_task(client.get("/staff/events"))
    await asyncio.wait_for(subscribed.wait(), timeout=5)
    bus.publish("escalation", {"id": escalation.id, "department": "dept.roads"})
    bus.publish("escalation", {"id": 999, "department": "dept.tax"})  # not this clerk's
    bus.close()
    response = await asyncio.wait_for(response_task, timeout=5)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert f'"id": {escalation.id}' in response.text
    assert '"id": 999' not in response.text


async def test_the_stream_only_sends_what_the_clerk_may_see() -> None:
    bus = EventBus()
    clerk = StaffUser(1, "roads", "Roads", "staff", ("dept.roads",), 1, "c")
    chunks = stream(bus, clerk, heartbeat=0.01)
    assert "connected" in await anext(chunks)
    assert "keep-alive" in await anext(chunks)  # nothing happened: a heartbeat
    bus.publish("escalation", {"id": 1, "department": "dept.tax"})
    bus.publish("escalation", {"id": 2, "department": "dept.roads"})
    assert '"id": 2' in await anext(chunks)
    await chunks.aclose()
    assert bus.listeners == 0
