"""Sending notices with the real SDKs against the fake LINE and Telegram APIs."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path

from bot.clock import FrozenClock, SystemClock
from bot.messages import Incoming
from bot.notify.quiet import parse_quiet_hours
from bot.notify.service import notify_repo
from bot.storage.base_notify import NoticeDraft
from tests.notify.conftest import World
from tests.notify.helpers import CLERK, bulk_subscribe, platforms, subscribe

QUIET = parse_quiet_hours("21:00-07:00", "Asia/Tokyo")
ROOT = Path(__file__).resolve().parents[2]


async def _report(world: World, notice_id: int) -> dict[str, int]:
    async with world.store.unit() as unit:
        return await notify_repo(unit).progress(notice_id)


async def test_a_notice_reaches_exactly_the_subscribers_of_its_topic_and_area(
    world: World,
) -> None:
    store = world.store
    await subscribe(store, "line", "U-toko-snow", "snow", "toko")
    await subscribe(store, "line", "U-chuo-snow", "snow", "chuo")
    await subscribe(store, "line", "U-toko-garbage", "garbage", "toko")
    await subscribe(store, "line", "U-no-area", "snow", None)
    await subscribe(store, "telegram", "7000000001", "snow", "toko")
    await subscribe(store, "web", "visitor-1", "snow", "toko")
    async with platforms(world.url) as p:
        service = p.service(store, world.clock, QUIET)
        assert await service.preview("snow", ("toko",)) == {"line": 1, "telegram": 1, "web": 1}
        notice = await service.create(
            NoticeDraft("snow", ("toko",), "今夜、東光地区の除雪が入ります。"), CLERK
        )
        assert notice is not None
        assert notice.status == "queued"
        await p.sender(store, world.clock, QUIET).run_due()
        assert p.line.recipients() == ["U-toko-snow"]
        assert "今夜、東光地区の除雪が入ります。" in p.line.texts("multicast")[0]
        assert [c.params["chat_id"] for c in p.telegram.delivered()] == ["7000000001"]
    assert await _report(world, notice.id) == {"sent": 3}
    # the web visitor sees it on their next visit, in their chat
    async with store.unit() as unit:
        user = await unit.users.get_or_create("web", "visitor-1")
        convo = await unit.conversations.open_for(user.id)
        texts = [m.text for m in await unit.messages.recent(convo.id)]
    assert any("除雪が入ります" in t for t in texts)


async def test_no_area_means_every_subscriber_of_the_topic(world: World) -> None:
    for user, area in (("U1", "toko"), ("U2", "chuo"), ("U3", None)):
        await subscribe(world.store, "line", user, "events", area)
    await subscribe(world.store, "line", "U4", "snow", "toko")
    async with platforms(world.url) as p:
        service = p.service(world.store, world.clock, QUIET)
        await service.create(NoticeDraft("events", (), "市民まつりのお知らせ"), CLERK)
        await p.sender(world.store, world.clock, QUIET).run_due()
        assert sorted(p.line.recipients()) == ["U1", "U2", "U3"]


async def test_unsubscribing_in_the_chat_stops_notices(world: World) -> None:
    citizen = world.citizen("U-leaves")
    await citizen.says("除雪のお知らせがほしい")
    await citizen.says("東光")
    await subscribe(world.store, "line", "U-stays", "snow", "toko")
    await citizen.says("通知停止")
    async with platforms(world.url) as p:
        await p.service(world.store, world.clock, QUIET).create(
            NoticeDraft("snow", ("toko",), "除雪のお知らせ"), CLERK
        )
        await p.sender(world.store, world.clock, QUIET).run_due()
        assert p.line.recipients() == ["U-stays"]


async def test_quiet_hours_hold_a_notice_until_morning_but_not_an_urgent_one(
    world: World,
) -> None:
    world.clock.set(dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    await subscribe(world.store, "line", "U1", "snow", "toko")
    await subscribe(world.store, "line", "U1", "disaster", "toko")
    async with platforms(world.url) as p:
        service = p.service(world.store, world.clock, QUIET)
        sender = p.sender(world.store, world.clock, QUIET)
        await service.create(NoticeDraft("snow", ("toko",), "明朝の除雪について"), CLERK)
        await sender.run_due()
        assert p.line.recipients() == []
        urgent = NoticeDraft("disaster", ("toko",), "避難指示が出ました", urgent=True)
        await service.create(urgent, CLERK)
        await sender.run_due()
        assert p.line.texts("multicast")[0].startswith("避難指示が出ました")
        world.clock.set(dt.datetime(2026, 12, 2, 6, 59, tzinfo=dt.timezone(dt.timedelta(hours=9))))
        await sender.run_due()
        assert len(p.line.recipients()) == 1
        world.clock.advance(minutes=2)
        await sender.run_due()
        assert p.line.texts("multicast")[1].startswith("明朝の除雪について")


async def test_a_line_429_is_retried_with_the_same_retry_key(world: World) -> None:
    for n in range(3):
        await subscribe(world.store, "line", f"U{n}", "snow", "toko")
    async with platforms(world.url) as p:
        p.line.fail("multicast", 429, "The API rate limit has been exceeded.", times=2)
        notice = await p.service(world.store, world.clock, None).create(
            NoticeDraft("snow", ("toko",), "除雪"), CLERK
        )
        assert notice is not None
        sender = p.sender(world.store, world.clock, None)
        await sender.run_due()
        calls = [c for c in p.line.calls if c.endpoint == "multicast"]
        assert [c.status for c in calls] == [429, 429, 200]
        assert len({c.retry_key for c in calls}) == 1
        assert sorted(p.line.recipients()) == ["U0", "U1", "U2"]
        assert sender.waits == [1.0, 2.0]  # type: ignore[attr-defined]
    assert await _report(world, notice.id) == {"sent": 3}


async def test_line_batches_hold_at_most_500_ids(world: World) -> None:
    await bulk_subscribe(world.store, "line", [f"U{n:05d}" for n in range(1203)], "garbage")
    async with platforms(world.url) as p:
        await p.service(world.store, world.clock, None, threshold=5000).create(
            NoticeDraft("garbage", (), "収集日の変更"), CLERK
        )
        await p.sender(world.store, world.clock, None).run_due()
        sizes = [len(c.body["to"]) for c in p.line.accepted("multicast")]
        assert sizes == [500, 500, 203]
        assert len(set(p.line.recipients())) == 1203


async def test_telegram_429_is_retried_and_a_blocked_user_is_reported_and_made_inactive(
    world: World,
) -> None:
    await subscribe(world.store, "telegram", "7000000001", "snow", "toko")
    blocked_id = await subscribe(world.store, "telegram", "7000000002", "snow", "toko")
    async with platforms(world.url) as p:
        p.telegram.fail("sendMessage", times=1, status=429, retry_after=1)
        p.telegram.block(7000000002)
        notice = await p.service(world.store, world.clock, None).create(
            NoticeDraft("snow", ("toko",), "除雪"), CLERK
        )
        assert notice is not None
        await p.sender(world.store, world.clock, None).run_due()
        assert [c.params["chat_id"] for c in p.telegram.delivered()] == ["7000000001"]
    async with world.store.unit() as unit:
        report = await notify_repo(unit).report(notice.id)
        user = await unit.users.get(blocked_id)
    assert ("telegram", "blocked", "Telegram 403: blocked by the user", 1) in report
    assert ("telegram", "sent", None, 1) in report
    assert user is not None
    assert not user.active


async def test_a_sender_killed_mid_send_is_resumed_without_duplicates(world: World) -> None:
    await bulk_subscribe(world.store, "line", [f"U{n:05d}" for n in range(1200)], "snow")
    async with platforms(world.url) as p:
        notice = await p.service(world.store, world.clock, None, threshold=5000).create(
            NoticeDraft("snow", (), "大雪のため排雪作業を行います"), CLERK
        )
        assert notice is not None
        p.line.hold("multicast")  # the first batch reaches LINE, and its answer never returns
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.notify.sender_process",
            world.url,
            p.settings.line_api_base,
            cwd=ROOT,
            env=env,
        )
        await asyncio.wait_for(p.line.arrived("multicast"), 60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        p.line.release()
        assert len(p.line.recipients()) == 500
        assert (await _report(world, notice.id)).get("sending") == 500
        # the dead process used the system clock; its lease is over ten minutes later
        later = FrozenClock(SystemClock()() + dt.timedelta(minutes=10))
        await p.sender(world.store, later, None).run_due()
        received = p.line.recipients()
        assert len(received) == 1200
        assert len(set(received)) == 1200
        statuses = [c.status for c in p.line.calls if c.endpoint == "multicast"]
        assert statuses.count(409) == 1  # the repeated first batch, refused as a duplicate
    assert await _report(world, notice.id) == {"sent": 1200}


async def test_an_urgent_notice_overtakes_a_large_send_in_progress(world: World) -> None:
    await bulk_subscribe(world.store, "line", [f"U{n:05d}" for n in range(1500)], "events")
    await subscribe(world.store, "line", "U-disaster", "disaster", "toko")
    async with platforms(world.url) as p:
        service = p.service(world.store, world.clock, None, threshold=5000)
        await service.create(NoticeDraft("events", (), "冬まつりのお知らせ"), CLERK)
        p.line.hold("multicast")
        sending = asyncio.create_task(p.sender(world.store, world.clock, None).run_due())
        await p.line.arrived("multicast")
        urgent = NoticeDraft("disaster", ("toko",), "避難指示", urgent=True)
        await service.create(urgent, CLERK)
        p.line.release()
        await sending
        firsts = [t.split("\n")[0] for t in p.line.texts("multicast")]
        winter = "冬まつりのお知らせ"
        assert firsts == [winter, "避難指示", winter, winter]
        assert len(set(p.line.recipients())) == 1501


async def test_the_web_chat_history_shows_a_missed_notice(world: World) -> None:
    await world.engine.handle(Incoming("web", "visitor-9", "除雪のお知らせがほしい"))
    await world.engine.handle(Incoming("web", "visitor-9", "東光"))
    async with platforms(world.url) as p:
        await p.service(world.store, world.clock, None).create(
            NoticeDraft("snow", ("toko",), "今夜除雪します"), CLERK
        )
        await p.sender(world.store, world.clock, None).run_due()
        assert p.line.recipients() == []
    async with world.store.unit() as unit:
        user = await unit.users.get_or_create("web", "visitor-9")
        convo = await unit.conversations.open_for(user.id)
        last = (await unit.messages.recent(convo.id))[-1]
    assert last.text.startswith("今夜除雪します")
