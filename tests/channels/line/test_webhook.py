"""A citizen on LINE, end to end: signed webhook in, the fake LINE API sees what they see."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.knowledge_service import Knowledge
from bot.settings import Settings
from tests.channels.line.conftest import (
    USER,
    LineBot,
    line_event,
    line_settings,
    running_bot,
    sign,
    text_event,
    webhook_body,
)
from tests.fakes.images import png
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.asyncio(loop_scope="package")


def quick_labels(message: dict[str, Any]) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def quick_data(message: dict[str, Any]) -> list[str]:
    return [item["action"]["data"] for item in message.get("quickReply", {}).get("items", [])]


async def test_text_question_is_answered_with_the_reply_token(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    event = text_event("粗大ごみの収集を申し込みたい")
    response = await bot.post(event)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    await bot.settle()

    [reply] = line_api.accepted("reply")
    assert reply.body["replyToken"] == event["replyToken"]
    assert reply.headers["authorization"].startswith("Bearer ")
    messages = reply.messages
    assert "粗大ごみ" in messages[0]["text"]
    assert quick_labels(messages[-1])[:2] == ["はい", "いいえ"]
    assert all("quickReply" not in m for m in messages[:-1])
    assert line_api.accepted("push") == []


async def test_tapping_a_quick_reply_sends_a_postback_that_is_understood(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    await bot.post(text_event("粗大ごみの収集を申し込みたい"))
    await bot.settle()
    yes = quick_data(line_api.accepted("reply")[0].messages[-1])[0]

    await bot.post(line_event("postback", postback={"data": yes}))
    await bot.settle()

    thanks = line_api.accepted("reply")[1].messages
    assert "ありがとうございます" in thanks[0]["text"]


async def test_follow_greets_with_the_topic_menu_as_quick_replies(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    await bot.post(line_event("follow", follow={"isUnblocked": False}))
    await bot.settle()

    messages = line_api.accepted("reply")[0].messages
    assert "旭川市役所" in messages[0]["text"]
    labels = quick_labels(messages[-1])
    assert "ごみ・リサイクル" in labels
    assert "職員と話す" in labels


async def test_unfollow_marks_the_citizen_inactive_and_sends_nothing(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    await bot.post(line_event("follow"))
    await bot.settle()
    calls_before = len(line_api.calls)

    response = await bot.post(line_event("unfollow"))
    await bot.settle()

    assert response.status_code == 200
    assert len(line_api.calls) == calls_before
    async with bot.runtime.store.unit() as unit:
        user = await unit.users.get_or_create("line", USER)
    assert user.active is False


@pytest.mark.parametrize(
    "message",
    [
        {
            "id": "m-location",
            "type": "location",
            "title": "旭川市役所",
            "address": "北海道旭川市7条通9丁目",
            "latitude": 43.7706,
            "longitude": 142.3650,
        },
        {"id": "m-image", "type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q"},
    ],
    ids=["location", "image"],
)
async def test_location_and_photo_get_the_helpful_reply(
    bot: LineBot, line_api: FakeLineApi, message: dict[str, Any]
) -> None:
    line_api.put_content("m-image", png(), "image/png")
    await bot.post(line_event("message", message=message))
    await bot.settle()

    assert "写真や位置情報を受け取りました" in line_api.texts("reply")[0]


async def test_a_photo_line_cannot_deliver_is_asked_for_again(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    image = {"id": "m-gone", "type": "image", "contentProvider": {"type": "line"}}
    await bot.post(line_event("message", message=image))  # the fake has no content for it
    await bot.settle()

    assert "写真を受け取れませんでした" in line_api.texts("reply")[0]


async def test_sticker_gets_a_short_reply_and_no_topic_choices(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    sticker = {"id": "m-st", "type": "sticker", "packageId": "446", "stickerId": "1988"}
    await bot.post(line_event("message", message=sticker))
    await bot.settle()

    [call] = line_api.accepted("reply")
    [message] = call.messages
    assert str(message["text"]).startswith("スタンプありがとうございます")
    assert "quickReply" not in message  # no topics offered for a sticker


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong-secret"],
    ids=["missing", "empty", "garbage", "other-secret"],
)
async def test_unsigned_or_wrongly_signed_webhook_is_refused_and_nothing_is_stored(
    bot: LineBot, line_api: FakeLineApi, signature: str | None
) -> None:
    body = webhook_body(text_event("粗大ごみ"))
    if signature == "wrong-secret":
        signature = sign(body, secret="somebody-elses-secret")

    response = await bot.post_raw(body, signature)
    await bot.settle()

    assert response.status_code == 401
    assert "error" in response.json()
    assert await bot.stored_events() == 0
    assert line_api.calls == []


async def test_signed_body_that_is_not_json_is_a_bad_request(bot: LineBot) -> None:
    body = b'{"destination": "U1", "events": ['
    response = await bot.post_raw(body, sign(body))
    assert response.status_code == 400
    assert "error" in response.json()
    assert await bot.stored_events() == 0


async def test_unknown_event_type_is_acknowledged_and_ignored(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    response = await bot.post(line_event("someFutureEvent", future={"x": 1}))
    await bot.settle()

    assert response.status_code == 200
    assert line_api.calls == []


async def test_console_verification_with_no_events_is_acknowledged(bot: LineBot) -> None:
    response = await bot.post()
    assert response.status_code == 200


async def test_redelivered_event_is_processed_once(bot: LineBot, line_api: FakeLineApi) -> None:
    first = text_event("粗大ごみの収集を申し込みたい", event_id="01HREDELIVERY000000000000")
    again = {**first, "deliveryContext": {"isRedelivery": True}}

    assert (await bot.post(first)).status_code == 200
    assert (await bot.post(again)).status_code == 200
    await bot.settle()

    assert len(line_api.accepted()) == 1
    assert await bot.stored_events() == 1


async def test_refused_reply_token_falls_back_to_a_push_with_the_same_text(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    line_api.fail("reply", 400, "Invalid reply token")
    await bot.post(text_event("粗大ごみの収集を申し込みたい"))
    await bot.settle()

    [refused] = [c for c in line_api.calls if c.endpoint == "reply"]
    [push] = line_api.accepted("push")
    assert push.body["to"] == USER
    assert push.retry_key
    assert [m["text"] for m in push.messages] == [m["text"] for m in refused.messages]
    assert quick_labels(push.messages[-1])[:2] == ["はい", "いいえ"]


async def test_late_answer_is_pushed_because_the_reply_token_has_expired(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    await bot.post(text_event("粗大ごみの収集を申し込みたい", age_seconds=120))
    await bot.settle()

    assert [c.endpoint for c in line_api.calls] == ["push"]
    assert "粗大ごみ" in line_api.texts("push")[0]


async def test_failed_push_stays_in_the_outbox_and_is_delivered_once_later(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    delivery = bot.runtime.delivery
    await delivery.stop()  # retries are driven by hand below
    delivery.first_delay = 0.0
    line_api.fail("push", 500, "Internal error")
    await bot.post(text_event("粗大ごみの収集を申し込みたい", age_seconds=120))
    await bot.settle()

    assert line_api.accepted() == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with bot.runtime.store.unit() as unit:
        [item] = await unit.outbox.due(later)
    assert item.status == "pending"
    assert item.attempts == 1
    assert item.last_error is not None
    assert "500" in item.last_error

    assert await delivery.flush() == 1
    assert await delivery.flush() == 0
    [push] = line_api.accepted("push")
    assert "粗大ごみ" in push.messages[0]["text"]
    failed = [c for c in line_api.calls if c.endpoint == "push" and c.status == 500]
    assert failed[0].retry_key == push.retry_key  # the same key: LINE drops a repeat


async def test_event_stored_before_a_crash_is_answered_after_restart(
    tmp_path: Path, line_api: FakeLineApi, knowledge: Knowledge
) -> None:
    settings = line_settings(tmp_path / "bot.db", line_api.base_url)
    event = text_event("粗大ごみの収集を申し込みたい")
    async with running_bot(settings, knowledge) as first:
        await first.runtime.inbox.stop()  # stored, then the process stops before its turn
        assert await first.runtime.inbox.accept("line", event["webhookEventId"], event)
    assert line_api.calls == []

    async with running_bot(settings, knowledge) as second:
        await second.settle()
        assert "粗大ごみ" in line_api.texts()[0]
        assert len(line_api.accepted()) == 1


async def test_webhook_answers_404_when_line_is_not_configured(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    from bot.app import create_app

    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db"), knowledge=knowledge
    )
    body = webhook_body(text_event("ごみ"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client,
    ):
        response = await client.post(
            "/webhooks/line", content=body, headers={"X-Line-Signature": sign(body)}
        )
    assert response.status_code == 404
    assert json.loads(response.content) == {"error": "LINE is not configured"}
