"""Telegram through the webhook: what a citizen's Telegram app would show, and what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import Recipient
from bot.knowledge_service import Knowledge
from bot.messages import Choice, Reply
from bot.settings import Settings
from bot.storage.models import WebhookEvent
from tests.channels.telegram import updates
from tests.channels.telegram.conftest import SECRET, TelegramBot, running_bot, telegram_settings
from tests.channels.telegram.updates import CITIZEN
from tests.fakes.images import png
from tests.fakes.telegram_api import Call, FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")


def say(knowledge: Knowledge, key: str, language: str = "ja") -> str:
    return knowledge.system.text(key, language)


def texts(api: FakeTelegram) -> list[str]:
    return [str(call.params["text"]) for call in api.delivered()]


def buttons(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of an inline keyboard, checking it has one button per row."""
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 for row in rows)
    return [(row[0]["text"], row[0]["callback_data"]) for row in rows]


# --- conversations ---------------------------------------------------------------------------


async def test_a_japanese_question_gets_an_answer_and_yes_no_buttons(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    response = await bot.post(updates.text("粗大ごみを出したい"))
    assert response.status_code == 200
    await bot.settle()

    answer, prompt, related = telegram_api.delivered()
    assert answer.params["chat_id"] == str(CITIZEN)
    assert "粗大ごみ" in answer.params["text"]
    assert "reply_markup" not in answer.params
    assert prompt.params["text"] == say(knowledge, "feedback_prompt")
    (yes, yes_data), (no, no_data) = buttons(prompt)[:2]  # then "apply in this chat"
    assert (yes, no) == ("はい", "いいえ")
    assert yes_data.startswith("y:")
    assert no_data.startswith("n:")
    assert related.params["text"] == say(knowledge, "followup_prompt")
    assert all(data.startswith("e:") for _, data in buttons(related))  # related entries


async def test_pressing_a_button_stops_its_spinner_then_answers(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    await bot.post(updates.text("粗大ごみを出したい"))
    await bot.settle()
    prompt = telegram_api.delivered()[1]  # the answer, "did this help?", related entries
    press = updates.button(dict(buttons(prompt))["はい"], message_id=2)

    await bot.post(press)
    await bot.settle()

    [answered] = telegram_api.of("answerCallbackQuery")
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    follow_up = telegram_api.delivered()[-1]
    assert follow_up.params["text"] == say(knowledge, "feedback_yes")
    assert telegram_api.calls.index(answered) < telegram_api.calls.index(follow_up)


async def test_a_failed_callback_answer_does_not_stop_the_reply(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    telegram_api.fail("answerCallbackQuery", status=400)
    await bot.post(updates.button("c:staff"))
    await bot.settle()
    [text] = texts(telegram_api)
    assert text.startswith(say(knowledge, "handoff"))


@pytest.mark.parametrize("command", ["/start", "/start@asahikawa_test_bot", "/start from-poster"])
async def test_start_greets_in_japanese_with_the_menu_keyboard(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge, command: str
) -> None:
    await bot.post(updates.text(command))
    await bot.settle()

    greeting, menu = telegram_api.delivered()
    assert greeting.params["text"] == say(knowledge, "greeting")
    assert menu.params["text"] == say(knowledge, "menu")
    labels = [item.label.get("ja") for item in knowledge.system.menu]
    assert [label for label, _ in buttons(menu)] == labels


async def test_help_then_lang_en_switch_the_next_answers_to_english(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    for command in ("/help", "/lang@asahikawa_test_bot en", "/help"):
        await bot.post(updates.text(command))
        await bot.settle()

    sent = texts(telegram_api)
    assert sent[0] == say(knowledge, "help")
    assert say(knowledge, "language_en", "en") in sent
    assert sent[-2:] == [say(knowledge, "help", "en"), say(knowledge, "menu", "en")]


@pytest.mark.parametrize(
    "content",
    [
        {"location": {"latitude": 43.770636, "longitude": 142.364819}},
        {
            "photo": [
                {"file_id": "AgAC-small", "file_unique_id": "s1", "width": 90, "height": 68},
                {"file_id": "AgAC-large", "file_unique_id": "s2", "width": 1280, "height": 960},
            ],
            "caption": "道路に穴があいています",
        },
    ],
    ids=["location", "photo"],
)
async def test_a_location_or_photo_gets_the_helpful_reply(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge, content: dict[str, Any]
) -> None:
    telegram_api.put_file("AgAC-large", png())
    await bot.post(updates.message(**content))
    await bot.settle()
    assert texts(telegram_api) == [say(knowledge, "attachment")]


async def test_a_sticker_gets_a_short_reply_not_a_search(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    sticker = {
        "file_id": "CAACAgIAAxk",
        "file_unique_id": "AgADxk",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await bot.post(updates.message(sticker=sticker))
    await bot.settle()
    assert texts(telegram_api) == [knowledge.system.acts.replies["sticker"].ja]


@pytest.mark.parametrize(
    "update",
    [
        updates.message(kind="edited_message", text="粗大ごみを出したい", edit_date=1760000000),
        updates.message(
            kind="channel_post", text="お知らせ", chat={"id": -1001, "type": "channel"}
        ),
        updates.message(
            text="粗大ごみを出したい", chat={"id": -5001, "type": "group", "title": "町内会"}
        ),
        {"update_id": 799_000_001, "poll": {"id": "1", "question": "?", "options": []}},
    ],
    ids=["edited", "channel-post", "group", "unknown-type"],
)
async def test_updates_we_do_not_answer_are_acknowledged_and_ignored(
    bot: TelegramBot, telegram_api: FakeTelegram, update: dict[str, Any]
) -> None:
    response = await bot.post(update)
    await bot.settle()
    assert response.status_code == 200
    assert telegram_api.of("sendMessage") == []


async def test_blocking_the_bot_marks_the_citizen_inactive_without_a_reply(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    await bot.post(updates.text("/start"))
    await bot.settle()
    member = {"is_bot": True, "first_name": "Asahikawa City", "id": 123456}
    change = {
        "chat": updates.private_chat(),
        "from": updates.citizen(),
        "date": 1760000000,
        "old_chat_member": {"user": member, "status": "member"},
        "new_chat_member": {"user": member, "status": "kicked", "until_date": 0},
    }
    await bot.post({"update_id": 799_000_002, "my_chat_member": change})
    await bot.settle()
    assert len(telegram_api.of("sendMessage")) == 2  # the greeting only
    assert await bot.users() == {str(CITIZEN): False}


async def test_a_user_id_above_2_to_the_31_round_trips(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    big = 2**31 + 9_876_543_210  # Telegram ids have up to 52 significant bits
    await bot.post(updates.text("粗大ごみを出したい", user_id=big))
    await bot.settle()
    assert {call.params["chat_id"] for call in telegram_api.delivered()} == {str(big)}
    assert await bot.users() == {str(big): True}


# --- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_a_call_without_the_secret_token_is_refused_and_nothing_stored(
    bot: TelegramBot, telegram_api: FakeTelegram, secret: str | None
) -> None:
    response = await bot.post(updates.text("粗大ごみを出したい"), secret=secret)
    await bot.settle()
    assert response.status_code == 403
    assert "error" in response.json()
    assert await bot.count(WebhookEvent) == 0
    assert telegram_api.of("sendMessage") == []


async def test_without_a_configured_secret_every_webhook_call_is_refused(
    tmp_path: Path, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    settings = telegram_settings(tmp_path / "bot.db", telegram_api, secret=None)
    async with running_bot(settings, knowledge) as bot:
        for secret in ("", SECRET):
            response = await bot.post(updates.text("/start"), secret=secret)
            assert response.status_code == 403
        assert await bot.count(WebhookEvent) == 0


async def test_the_webhook_is_not_found_when_telegram_is_off(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    async with running_bot(settings, knowledge) as bot:
        response = await bot.post(updates.text("/start"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}']
)
async def test_a_malformed_update_is_a_400_and_nothing_stored(
    bot: TelegramBot, body: bytes
) -> None:
    response = await bot.client.post(
        "/webhooks/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in response.json()
    assert await bot.count(WebhookEvent) == 0


async def test_the_same_update_twice_is_answered_once(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    update = updates.text("/start")
    first = await bot.post(update)
    second = await bot.post(update)
    await bot.settle()
    assert (first.status_code, second.status_code) == (200, 200)
    assert texts(telegram_api) == [say(knowledge, "greeting"), say(knowledge, "menu")]
    assert await bot.count(WebhookEvent) == 1


# --- delivery --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429, 403, 400])
async def test_a_failed_send_stays_in_the_outbox_and_goes_out_on_the_next_flush(
    bot: TelegramBot, telegram_api: FakeTelegram, knowledge: Knowledge, status: int
) -> None:
    delivery = bot.runtime.delivery
    await delivery.stop()  # the test plays the outbox worker
    delivery.first_delay = 0.0
    telegram_api.fail("sendMessage", times=1, status=status)

    await bot.post(updates.text("/start"))
    await bot.settle()
    assert telegram_api.delivered() == []
    assert len(telegram_api.of("sendMessage")) == 1
    assert await bot.outbox_statuses() == ["pending"]

    assert await delivery.flush() == 1
    assert texts(telegram_api) == [say(knowledge, "greeting"), say(knowledge, "menu")]
    assert await bot.outbox_statuses() == ["sent"]


async def test_a_long_text_is_split_and_the_keyboard_rides_on_the_last_part(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    paragraph = "除雪についてのお知らせです。" * 20
    long_text = "\n".join(f"{n}. {paragraph}" for n in range(1, 40))  # ~11,000 characters
    reply = Reply(long_text, (Choice("はい", "y:faq.x"),))
    await bot.runtime.delivery.deliver("telegram", Recipient(str(CITIZEN)), [reply])

    parts = telegram_api.delivered()
    assert len(parts) == 3
    assert all(len(p.params["text"]) <= 4096 for p in parts)
    assert "\n".join(p.params["text"] for p in parts) == long_text
    assert ["reply_markup" in p.params for p in parts] == [False, False, True]


async def test_a_text_without_break_points_is_split_by_utf16_length(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    emoji = "⛄" + "🏔" * 5000  # U+1F3D4 counts as two units in Telegram's limit
    await bot.runtime.delivery.deliver("telegram", Recipient(str(CITIZEN)), [Reply(emoji)])
    parts = [str(p.params["text"]) for p in telegram_api.delivered()]
    assert len(parts) == 3
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert "".join(parts) == emoji


async def test_a_choice_too_long_for_a_button_becomes_a_numbered_line(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    too_long = "e:" + "procedure.residence.transfer-in." * 3  # over 64 bytes
    replies = [
        Reply("次のどれですか？", (Choice("転出", "e:proc.move_out"), Choice("転入", too_long))),
        Reply("ほかには？", (Choice("職員と話す", "c:staff"),)),
    ]
    await bot.runtime.delivery.deliver("telegram", Recipient(str(CITIZEN)), replies)

    first, second = telegram_api.delivered()
    assert buttons(first) == [("転出", "e:proc.move_out")]
    assert first.params["text"] == "次のどれですか？\n2. 転入"
    assert buttons(second) == [("職員と話す", "c:staff")]
    assert all(len(data.encode()) <= 64 for call in (first, second) for _, data in buttons(call))


async def test_the_app_starts_while_telegram_is_down_and_answers_once_it_is_back(
    tmp_path: Path, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    telegram_api.fail("getMe", times=1, status=502)
    settings = telegram_settings(tmp_path / "bot.db", telegram_api)
    async with running_bot(settings, knowledge) as bot:
        await bot.post(updates.text("/start"))
        await bot.settle()
    assert texts(telegram_api) == [say(knowledge, "greeting"), say(knowledge, "menu")]
    assert [call.ok for call in telegram_api.of("getMe")] == [False, True]
