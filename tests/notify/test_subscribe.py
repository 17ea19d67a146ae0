"""Subscribing in the chat: own words, buttons, typed numbers and names, addresses, locations."""

from __future__ import annotations

from bot.notify.service import notify_repo
from tests.notify.conftest import NOW, World


async def _settings(world: World, channel: str, user: str) -> tuple[list[str], str | None]:
    async with world.store.unit() as unit:
        record = await unit.users.get_or_create(channel, user)  # type: ignore[arg-type]
        repo = notify_repo(unit)
        subs = await repo.subscriptions(record.id)
        return [s.topic for s in subs], await repo.area(record.id)


async def test_subscribing_in_own_words_then_choosing_a_district(world: World) -> None:
    citizen = world.citizen("U1")
    asked = await citizen.says("除雪のお知らせがほしい")
    assert "除雪・排雪" in asked.text
    assert "地区を選んでください" in asked.text
    assert [c.label for c in asked.choices][:2] == ["中央（条通・宮下通）", "東光"]
    done = await citizen.says("2")  # the typed number of the second button
    assert "東光" in done.text
    assert await _settings(world, "line", "U1") == (["snow"], "toko")


async def test_consent_keeps_the_time_and_the_exact_words_shown(world: World) -> None:
    citizen = world.citizen("U2")
    shown = await citizen.says("ごみの日を教えてほしい")
    async with world.store.unit() as unit:
        user = await unit.users.get_or_create("line", "U2")
        [sub] = await notify_repo(unit).subscriptions(user.id)
    assert sub.topic == "garbage"
    assert sub.consented_at == NOW
    assert sub.consent_text in shown.text
    assert "通知停止" in sub.consent_text


async def test_topic_buttons_work_typed_by_label_and_area_by_address(world: World) -> None:
    citizen = world.citizen("U3")
    offered = await citizen.says("お知らせを受け取りたい")
    assert "子育て" in [c.label for c in offered.choices]
    asked = await citizen.says("防災・避難")
    assert "地区" in asked.text
    done = await citizen.says("旭川市豊岡4条2丁目1-1")
    assert "豊岡" in done.text
    assert await _settings(world, "line", "U3") == (["disaster"], "toyooka")


async def test_a_shared_location_finds_the_nearest_sample_district(world: World) -> None:
    citizen = world.citizen("T1", "telegram")
    await citizen.says("/subscribe")
    await citizen.says("イベント")
    done = await citizen.shares(43.8105, 142.4390)
    assert "永山" in done.text
    assert await _settings(world, "telegram", "T1") == (["events"], "nagayama")


async def test_settings_show_and_change_and_stop_all(world: World) -> None:
    citizen = world.citizen("U4")
    await citizen.says("除雪のお知らせがほしい")
    await citizen.says("末広")
    shown = await citizen.says("通知の設定")
    assert "除雪・排雪" in shown.text
    assert "末広" in shown.text
    labels = [c.label for c in shown.choices]
    await citizen.says(str(labels.index("ごみ収集日を受け取る") + 1))
    assert await _settings(world, "line", "U4") == (["snow", "garbage"], "suehiro")
    stopped = await citizen.says("通知停止")
    assert "停止しました" in stopped.text
    assert (await _settings(world, "line", "U4"))[0] == []


async def test_next_garbage_day_asks_the_district_then_answers_from_the_sample(
    world: World,
) -> None:
    citizen = world.citizen("U5")
    asked = await citizen.says("次のごみの日は？")
    assert "地区を選んでください" in asked.text
    answer = await citizen.says("中央")
    # Tuesday 1 December 2026: the sample calendar collects recyclables in 中央 on Tuesdays.
    assert "12月1日（火）の資源物" in answer.text
    assert "サンプル" in answer.text
    again = await citizen.says("次のごみの日は？")
    assert "12月1日" in again.text


async def test_a_question_while_asked_for_the_district_is_answered_normally(
    world: World,
) -> None:
    citizen = world.citizen("U6")
    await citizen.says("除雪のお知らせがほしい")
    answer = await citizen.says("住民票をコンビニで取りたい")
    assert "地区" not in answer.text[:20]
    assert (await _settings(world, "line", "U6"))[1] is None
