"""Garbage calendars: which days, and the evening reminders (once per district and day)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.notify.calendar import kinds_on, next_collection
from bot.notify.reminders import plan_reminders
from bot.notify.service import notify_repo
from knowledge.notify import load_notify, shipped_notify
from tests.notify.conftest import World
from tests.notify.helpers import platforms, subscribe

JST = dt.timezone(dt.timedelta(hours=9))
CALENDAR = shipped_notify().garbage


@pytest.mark.parametrize(
    ("day", "kinds"),
    [
        (dt.date(2026, 12, 7), ["burnable"]),  # Monday
        (dt.date(2026, 12, 9), ["non_burnable"]),  # 2nd Wednesday
        (dt.date(2026, 12, 16), []),  # 3rd Wednesday
        (dt.date(2026, 12, 23), ["non_burnable"]),  # 4th Wednesday
        (dt.date(2026, 12, 31), []),  # Thursday, but 年末: closed
        (dt.date(2027, 1, 4), ["burnable"]),  # Monday after the holidays
    ],
)
def test_kinds_on_a_day_in_the_sample_central_district(day: dt.date, kinds: list[str]) -> None:
    assert kinds_on(CALENDAR, "chuo", day) == kinds


def test_next_collection_skips_the_new_year_closure() -> None:
    assert next_collection(CALENDAR, "chuo", dt.date(2026, 12, 31)) == (
        dt.date(2027, 1, 4),
        ["burnable"],
    )


def test_the_shipped_districts_and_calendar_say_they_are_samples() -> None:
    notify = load_notify()
    assert notify.districts.sample
    assert notify.garbage.sample
    assert all("サンプル" in item for item in notify.review_items()[:2])


async def test_reminders_go_the_evening_before_to_that_district_only_and_once(
    world: World,
) -> None:
    await subscribe(world.store, "line", "U-chuo", "garbage", "chuo")
    await subscribe(world.store, "line", "U-toko", "garbage", "toko")
    await subscribe(world.store, "line", "U-chuo-snow", "snow", "chuo")
    async with platforms(world.url) as p:
        service = p.service(world.store, world.clock, None)
        sender = p.sender(world.store, world.clock, None)
        world.clock.set(dt.datetime(2026, 12, 6, 17, 59, tzinfo=JST))  # Sunday, too early
        assert await plan_reminders(service, world.clock(), JST) == 0
        world.clock.set(dt.datetime(2026, 12, 6, 18, 30, tzinfo=JST))
        # Monday 7 December: 中央 and 神楽 burnable, 豊岡 recyclables, 東光 nothing
        assert await plan_reminders(service, world.clock(), JST) == 3
        world.clock.advance(minutes=20)
        assert await plan_reminders(service, world.clock(), JST) == 0  # a second run: nothing new
        await sender.run_due()
        assert p.line.recipients() == ["U-chuo"]
        assert p.line.texts("multicast")[0].startswith("明日（12/7）は燃やせるごみの日です。")
        assert "サンプル" in p.line.texts("multicast")[0]
    async with world.store.unit() as unit:
        keys = sorted(n.dedupe_key or "" for n in await notify_repo(unit).list_notices())
    assert keys == [
        "garbage:chuo:2026-12-07:burnable",
        "garbage:kagura:2026-12-07:burnable",
        "garbage:toyooka:2026-12-07:recyclable",
    ]
