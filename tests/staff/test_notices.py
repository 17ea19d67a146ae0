"""The console's notices: compose, preview, the two-person rule, progress, report, cancel, API."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from bot.knowledge_service import Knowledge
from bot.notify.service import notify_repo
from bot.notify.tokens import new_token, token_hash
from tests.staff.conftest import Console, csrf_of, running_console, settings_for

JST = dt.timezone(dt.timedelta(hours=9))
MORNING = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


@pytest_asyncio.fixture
async def desk(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Console]:
    settings = dataclasses.replace(settings_for(tmp_path / "bot.db"), notify_approval_threshold=2)
    async with running_console(settings, knowledge) as running:
        running.freeze(MORNING)
        yield running


async def _subscribers(desk: Console, n: int, area: str = "toko") -> None:
    for i in range(n):
        await desk.citizen_says(f"visitor-{area}-{i}", "除雪のお知らせがほしい", area)


async def _compose(client: httpx.AsyncClient, **fields: str | list[str]) -> httpx.Response:
    page = await client.get("/staff/notices")
    data: dict[str, str | list[str]] = {"csrf": csrf_of(page.text), "topic": "snow"}
    data.update(fields)
    return await client.post("/staff/notices", data=data)


async def _until_done(client: httpx.AsyncClient, notice_id: int) -> dict[str, object]:
    for _ in range(100):
        progress = (await client.get(f"/staff/api/notices/{notice_id}")).json()
        if progress["status"] in ("done", "cancelled"):
            return dict(progress)
        await asyncio.sleep(0.05)
    raise AssertionError(progress)


async def test_preview_shows_recipients_per_channel_and_billable_line_messages(
    desk: Console,
) -> None:
    await _subscribers(desk, 2)
    await desk.add_staff("tanaka")
    client = await desk.login("tanaka")
    page = await client.get("/staff/notices")
    response = await client.post(
        "/staff/notices/preview",
        data={"csrf": csrf_of(page.text), "topic": "snow", "area": "toko", "text_ja": "除雪"},
    )
    assert response.status_code == 200
    assert 'id="count-web">2<' in response.text
    assert 'id="count-line">0<' in response.text
    assert "LINEの課金対象メッセージ数：<strong>0</strong>" in response.text


async def test_a_small_notice_is_sent_at_once_and_reported(desk: Console) -> None:
    await _subscribers(desk, 2)
    await _subscribers(desk, 1, "chuo")
    await desk.add_staff("tanaka")
    client = await desk.login("tanaka")
    created = await _compose(client, area="toko", text_ja="今夜、東光で除雪します")
    assert created.status_code == 303
    notice_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    progress = await _until_done(client, notice_id)
    assert progress["counts"] == {"sent": 2}
    assert progress["percent"] == 100
    page = await client.get(f"/staff/notices/{notice_id}")
    assert "配信済み" in page.text
    assert 'value="100"' in page.text
    rows = await desk.rows("SELECT action FROM audit_log WHERE target = 'notice:1'")
    assert rows == [("notice.create",)]


async def test_a_large_notice_needs_a_second_member_of_staff(desk: Console) -> None:
    await _subscribers(desk, 3)
    await desk.add_staff("tanaka")
    await desk.add_staff("suzuki")
    author = await desk.login("tanaka")
    created = await _compose(author, text_ja="排雪作業のお知らせ")
    location = created.headers["location"].split("?")[0]
    page = await author.get(location)
    assert "承認待ち" in page.text
    assert 'id="approve"' not in page.text
    refused = await author.post(f"{location}/approve", data={"csrf": csrf_of(page.text)})
    assert refused.headers["location"].endswith("error=approve")
    assert (await author.get(f"/staff/api{location[6:]}")).json()["status"] == (
        "awaiting_approval"
    )
    second = await desk.login("suzuki")
    page = await second.get(location)
    assert 'id="approve"' in page.text
    await second.post(f"{location}/approve", data={"csrf": csrf_of(page.text)})
    progress = await _until_done(second, int(location.split("/")[-1]))
    assert progress["counts"] == {"sent": 3}
    actions = await desk.rows("SELECT action FROM audit_log WHERE target = 'notice:1' ORDER BY id")
    assert actions == [("notice.create",), ("notice.approve",)]


async def test_urgent_disaster_notices_from_the_disaster_department_need_no_approval(
    desk: Console,
) -> None:
    desk.freeze(dt.datetime(2026, 12, 1, 23, 30, tzinfo=JST))  # quiet hours
    for i in range(3):
        await desk.citizen_says(f"v{i}", "防災のお知らせがほしい", "東光")
    await desk.add_staff("bousai", departments=["dept.disaster"])
    client = await desk.login("bousai")
    created = await _compose(client, topic="disaster", area="toko", text_ja="避難指示", urgent="1")
    notice_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    progress = await _until_done(client, notice_id)
    assert progress["counts"] == {"sent": 3}


async def test_a_scheduled_notice_can_be_cancelled(desk: Console) -> None:
    await _subscribers(desk, 1)
    await desk.add_staff("tanaka")
    client = await desk.login("tanaka")
    created = await _compose(client, text_ja="明日の除雪", schedule="2026-12-02T08:00")
    location = created.headers["location"].split("?")[0]
    page = await client.get(location)
    assert "2026-12-02 08:00" in page.text
    cancelled = await client.post(f"{location}/cancel", data={"csrf": csrf_of(page.text)})
    assert cancelled.headers["location"].endswith("done=cancelled")
    desk.freeze(dt.datetime(2026, 12, 2, 9, 0, tzinfo=JST))
    notifications = desk.runtime.notifications
    assert notifications is not None
    await notifications.sender.run_due()
    assert await desk.rows("SELECT status FROM notify_notices") == [("cancelled",)]
    assert await desk.rows("SELECT count(*) FROM notify_deliveries") == [(0,)]


async def test_another_system_sends_with_its_api_token(desk: Console) -> None:
    await _subscribers(desk, 1)
    token = new_token()
    async with desk.runtime.store.unit() as unit:
        await notify_repo(unit).add_token("plough", token_hash(token), "dept.roads", MORNING)
    client = desk.client()
    body = {"topic": "snow", "areas": ["toko"], "text": "除雪車が出動しました"}
    refused = await client.post("/api/notices", json=body, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401
    bad = await client.post(
        "/api/notices",
        json={**body, "topic": "weather"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422
    made = await client.post(
        "/api/notices", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 201
    assert made.json()["status"] == "queued"
    assert made.json()["recipients"] == 1
    stored = await desk.rows("SELECT token_hash FROM notify_tokens")
    assert stored == [(token_hash(token),)]
