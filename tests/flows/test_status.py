"""「受付番号 … の状況」: the status, only for the citizen who applied."""

from __future__ import annotations

import re

import pytest

from bot.storage.references import REFERENCE_ALPHABET
from tests.flows.conftest import Chat


async def submit_snow_request(chat: Chat) -> str:
    await chat.say("除雪をお願いしたい")
    await chat.press("はい")
    await chat.say("4条西2丁目")
    await chat.press("置き雪")
    await chat.say("なし")
    await chat.press("スキップ")
    await chat.press("いいえ")
    done = await chat.press("送信する")
    found = re.search(r"R-\d{8}-\w{4}", done.text)
    assert found is not None
    return found.group(0)


async def test_reference_numbers_are_readable_and_not_sequential(chat: Chat) -> None:
    first = await submit_snow_request(chat)
    second = await submit_snow_request(chat)
    pattern = rf"^R-20261130-[{REFERENCE_ALPHABET}]{{4}}$"
    assert re.fullmatch(pattern, first)
    assert re.fullmatch(pattern, second)
    assert first != second


async def test_the_applicant_sees_the_status_and_the_last_staff_message(chat: Chat) -> None:
    reference = await submit_snow_request(chat)
    fresh = await chat.say(f"受付番号 {reference} の状況")
    assert "受付済み" in fresh.text
    assert "除雪・排雪の要望" in fresh.text
    async with chat.store.unit() as unit:
        record = await unit.applications.by_reference(reference)
        assert record is not None
        await unit.applications.set_status(record.id, "in_progress", chat.clock())
        await unit.applications.add_event(record.id, "message", "明日の午前に伺います。")
    later = await chat.say(reference.lower().replace("-", "ー"))
    assert "対応中" in later.text
    assert "明日の午前に伺います。" in later.text


@pytest.mark.parametrize(("channel", "user"), [("line", "U2"), ("telegram", "U1")])
async def test_someone_else_gets_not_found_even_for_a_real_number(
    chat: Chat, channel: str, user: str
) -> None:
    reference = await submit_snow_request(chat)
    other = chat.as_(channel, user)
    stranger = await other.say(f"/status {reference}")
    invented = await other.say(f"/status {reference[:-4]}ZZZZ")
    assert "見つかりませんでした" in stranger.text or "could not find" in stranger.text
    assert stranger.text.replace(reference, "#") == invented.text.replace(
        f"{reference[:-4]}ZZZZ", "#"
    )
    assert "除雪" not in stranger.text


async def test_without_a_number_the_citizen_sees_their_own_list(chat: Chat) -> None:
    empty = await chat.say("申し込みの状況を知りたい")
    assert "まだありません" in empty.text
    reference = await submit_snow_request(chat)
    listed = await chat.say("申し込みの状況を知りたい")
    assert reference in listed.text
    assert "除雪・排雪の要望" in listed.text
    other = await chat.as_("line", "U2").say("申し込みの状況を知りたい")
    assert reference not in other.text


async def test_asking_for_a_status_mid_flow_offers_to_carry_on(chat: Chat) -> None:
    reference = await submit_snow_request(chat)
    await chat.say("除雪をお願いしたい")
    await chat.press("はい")
    status = await chat.say(f"{reference} の状況は？")
    assert "受付済み" in status.text
    assert "手続きを続ける" in chat.labels()
    again = await chat.press("手続きを続ける")
    assert "場所を教えてください" in again.text
