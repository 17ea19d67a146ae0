"""What LINE receives for a given set of replies: limits on texts, buttons and messages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from linebot.v3.messaging import TextMessage

from bot.channels.base import Recipient
from bot.channels.line import LineChannel, build_messages, parse_event, short_label, split_text
from bot.messages import Choice, Kind, Reply
from bot.settings import Secret, Settings
from tests.channels.line.conftest import USER, line_event, text_event
from tests.fakes.line_api import FakeLineApi


def as_json(replies: list[Reply]) -> list[dict[str, Any]]:
    messages = build_messages(replies)
    # valid by the SDK's own schema of a text message, unchanged by it
    assert [TextMessage.from_dict(m).to_dict() for m in messages] == messages
    return messages


def labels(message: dict[str, Any]) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def test_fourteen_choices_show_twelve_buttons_and_list_the_rest_by_number() -> None:
    choices = tuple(Choice(f"選択肢{n}", f"e:entry.{n}") for n in range(1, 15))
    [message] = as_json([Reply("どれに近いですか？", choices)])

    assert labels(message) == [f"選択肢{n}" for n in range(1, 13)]
    assert message["text"].startswith("どれに近いですか？")
    assert message["text"].endswith("\n\n13. 選択肢13\n14. 選択肢14")
    assert message["quickReply"]["items"][0]["action"]["data"] == "e:entry.1"


def test_thirteen_choices_are_all_buttons() -> None:
    choices = tuple(Choice(f"選択肢{n}", f"s:{n}") for n in range(13))
    [message] = as_json([Reply("分野をお選びください。", choices)])
    assert len(labels(message)) == 13
    assert message["text"] == "分野をお選びください。"


def test_long_label_is_cut_to_twenty_characters_but_shown_in_full_when_tapped() -> None:
    label = "住民票の写しをコンビニエンスストアで取得する方法"
    [message] = as_json([Reply("こちらですか？", (Choice(label, "e:x"),))])
    action = message["quickReply"]["items"][0]["action"]
    assert action["label"] == label[:19] + "…"
    assert len(action["label"]) == 20
    assert action["displayText"] == label
    assert action["type"] == "postback"
    assert short_label("はい") == "はい"


def test_long_text_is_split_at_line_breaks_into_messages_of_at_most_5000() -> None:
    paragraph = "あ" * 3000
    text = f"{paragraph}\n{paragraph}\n{paragraph}"
    messages = as_json([Reply(text)])
    assert [len(m["text"]) for m in messages] == [3000, 3000, 3000]
    unbroken = "い" * 12000
    assert [len(piece) for piece in split_text(unbroken)] == [5000, 5000, 2000]


def test_choices_ride_on_the_last_message_only() -> None:
    messages = as_json(
        [Reply("回答です。"), Reply("お役に立ちましたか？", (Choice("はい", "y:a"),))]
    )
    assert "quickReply" not in messages[0]
    assert labels(messages[1]) == ["はい"]


@pytest.mark.asyncio(loop_scope="package")  # the package's fake LINE API lives in that loop
async def test_more_than_five_messages_go_as_a_reply_then_a_push(line_api: FakeLineApi) -> None:
    settings = Settings(
        database_url="sqlite+aiosqlite://",
        line_channel_secret=Secret("s"),
        line_access_token=Secret(line_api.token),
        line_api_base=line_api.base_url,
    )
    channel = LineChannel(settings)
    await channel.start()
    try:
        replies = [Reply(f"メッセージ{n}") for n in range(1, 7)]
        replies.append(Reply("最後です。", (Choice("はい", "y:a"),)))
        context = {"reply_token": "tok", "received_at": int(time.time() * 1000), "attempt": 0}
        await channel.send(Recipient(USER, context), replies)
    finally:
        await channel.stop()

    [reply] = line_api.accepted("reply")
    [push] = line_api.accepted("push")
    assert len(reply.messages) == 5
    assert [m["text"] for m in push.messages] == ["メッセージ6", "最後です。"]
    assert labels(push.messages[-1]) == ["はい"]


@pytest.mark.parametrize(
    ("event", "kind", "text"),
    [
        (text_event("ごみ"), Kind.TEXT, "ごみ"),
        (line_event("postback", postback={"data": "c:menu"}), Kind.CHOICE, "c:menu"),
        (line_event("follow"), Kind.FOLLOW, ""),
        (line_event("unfollow"), Kind.UNFOLLOW, ""),
        (line_event("message", message={"id": "9", "type": "video"}), Kind.OTHER, ""),
        (line_event("message", message={"id": "9", "type": "hologram"}), Kind.OTHER, ""),
    ],
)
def test_events_become_messages(event: dict[str, Any], kind: Kind, text: str) -> None:
    [(incoming, recipient)] = parse_event(event)
    assert (incoming.channel, incoming.user_id, incoming.kind, incoming.text) == (
        "line",
        USER,
        kind,
        text,
    )
    assert recipient.user_id == USER
    assert recipient.context["received_at"] == event["timestamp"]
    assert recipient.context.get("reply_token") == event.get("replyToken")


def test_location_and_image_carry_their_details() -> None:
    location: dict[str, Any] = {"id": "7", "type": "location", "title": "市役所"}
    location |= {"address": "旭川市", "latitude": 43.77, "longitude": 142.36}
    [(incoming, _)] = parse_event(line_event("message", message=location))
    assert incoming.kind is Kind.LOCATION
    assert incoming.platform_id == "7"
    assert incoming.payload == {
        "latitude": 43.77,
        "longitude": 142.36,
        "address": "旭川市",
        "title": "市役所",
    }
    image = {"id": "8", "type": "image", "contentProvider": {"type": "line"}}
    [(incoming, _)] = parse_event(line_event("message", message=image))
    assert incoming.payload == {"message_id": "8", "content_provider": {"type": "line"}}


@pytest.mark.parametrize(
    "event",
    [
        line_event("join", source={"type": "group", "groupId": "C1"}),
        {**text_event("ごみ"), "source": {"type": "group", "groupId": "C1", "userId": USER}},
        {**text_event("ごみ"), "mode": "standby"},
        line_event("beacon", beacon={"hwid": "d41d8cd98f", "type": "enter"}),
    ],
    ids=["join", "group-message", "standby", "beacon"],
)
def test_events_outside_a_one_to_one_chat_are_ignored(event: dict[str, Any]) -> None:
    assert parse_event(event) == []
