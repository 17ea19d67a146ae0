"""Photos sent on Telegram: the largest size fetched (getFile + file URL), kept, handed on."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.storage.records import AttachmentRecord, MessageRecord
from tests.channels.telegram import updates
from tests.channels.telegram.conftest import TelegramBot
from tests.fakes.images import MB, NOT_AN_IMAGE, big_jpeg, png
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")


def photo_update(large_id: str, large_size: int | None = None, **extra: Any) -> dict[str, Any]:
    """A photo as Telegram sends it: the same picture in several sizes, smallest first."""
    sizes = [
        {"file_id": "AgAC-thumb", "file_unique_id": "t", "width": 90, "height": 68},
        {"file_id": "AgAC-medium", "file_unique_id": "m", "width": 320, "height": 240},
        {"file_id": large_id, "file_unique_id": "l", "width": 1280, "height": 960},
    ]
    if large_size is not None:
        sizes[-1]["file_size"] = large_size
    return updates.message(photo=sizes, **extra)


def document_update(file_id: str, mime_type: str, name: str) -> dict[str, Any]:
    document = {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "file_name": name,
        "mime_type": mime_type,
    }
    return updates.message(document=document)


async def inbound(runtime: Runtime) -> list[MessageRecord]:
    async with runtime.store.unit() as unit:
        user = await unit.users.get_or_create("telegram", str(updates.CITIZEN))
        convo = await unit.conversations.open_for(user.id)
        messages = await unit.messages.recent(convo.id)
    return [m for m in messages if m.direction == "in"]


async def attachments(runtime: Runtime) -> list[AttachmentRecord]:
    async with runtime.store.unit() as unit:
        user = await unit.users.get_or_create("telegram", str(updates.CITIZEN))
        return await unit.attachments.for_user(user.id)


def files_on_disk(runtime: Runtime) -> list[str]:
    root = runtime.attachments.root
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


async def test_the_largest_size_of_a_photo_is_downloaded_and_kept(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    photo = png(64, 48)
    telegram_api.put_file("AgAC-large", photo)
    telegram_api.put_file("AgAC-thumb", png(2, 2))

    assert (await bot.post(photo_update("AgAC-large", caption="ここです"))).status_code == 200
    await bot.settle()

    [get_file] = telegram_api.of("getFile")
    assert get_file.params["file_id"] == "AgAC-large"
    [download] = telegram_api.of("file")
    assert download.ok
    assert download.params["path"] == "photos/AgAC-large"
    [kept] = await attachments(bot.runtime)
    assert (kept.content_type, kept.size) == ("image/png", len(photo))
    assert kept.sha256 == hashlib.sha256(photo).hexdigest()
    assert files_on_disk(bot.runtime) == [kept.storage_key]
    [message] = await inbound(bot.runtime)
    assert message.kind == "image"
    assert message.payload == {
        "attachment_id": kept.id,
        "content_type": "image/png",
        "size": len(photo),
    }
    assert telegram_api.delivered()  # the citizen got an answer


async def test_an_image_sent_as_a_file_is_kept_too(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    photo = png(8, 8)
    telegram_api.put_file("BQAC-doc", photo)

    await bot.post(document_update("BQAC-doc", "image/png", "IMG_0001.png"))
    await bot.settle()

    [kept] = await attachments(bot.runtime)
    [message] = await inbound(bot.runtime)
    assert message.kind == "image"
    assert message.payload == {
        "attachment_id": kept.id,
        "content_type": "image/png",
        "size": len(photo),
    }


async def test_a_document_that_is_not_an_image_is_not_downloaded(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    telegram_api.put_file("BQAC-pdf", NOT_AN_IMAGE)

    await bot.post(document_update("BQAC-pdf", "application/pdf", "申請書.pdf"))
    await bot.settle()

    assert telegram_api.of("getFile") == []
    [message] = await inbound(bot.runtime)
    assert message.kind == "event"  # something we cannot read: the citizen is told so
    assert await attachments(bot.runtime) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [(big_jpeg(), "field_photo_size"), (NOT_AN_IMAGE, "field_photo_type")],
    ids=["over-10-MB", "not-an-image"],
)
async def test_a_photo_the_store_refuses_reaches_the_engine_as_rejected(
    bot: TelegramBot, telegram_api: FakeTelegram, content: bytes, reason: str
) -> None:
    telegram_api.put_file("BQAC-claims-image", content)

    await bot.post(document_update("BQAC-claims-image", "image/jpeg", "photo.jpg"))
    await bot.settle()

    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": reason}
    assert await attachments(bot.runtime) == []
    assert files_on_disk(bot.runtime) == []
    assert telegram_api.delivered()


async def test_a_photo_announced_as_too_large_is_refused_without_downloading(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    telegram_api.put_file("AgAC-huge", png())

    await bot.post(photo_update("AgAC-huge", large_size=15 * MB))
    await bot.settle()

    assert telegram_api.of("getFile") == []
    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": "field_photo_size"}


async def test_a_failed_download_asks_for_the_photo_again(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    # the fake knows no such file: getFile answers 400, as Telegram does for a stale file id
    await bot.post(photo_update("AgAC-gone"))
    await bot.settle()

    [get_file] = telegram_api.of("getFile")
    assert not get_file.ok
    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": "field_photo_download"}
    assert await attachments(bot.runtime) == []
    assert telegram_api.delivered()


async def test_a_location_reaches_the_engine_with_its_coordinates(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    await bot.post(updates.message(location={"latitude": 43.770636, "longitude": 142.364819}))
    await bot.settle()

    [message] = await inbound(bot.runtime)
    assert message.kind == "location"
    assert message.payload == {"latitude": 43.770636, "longitude": 142.364819}


async def say(bot: TelegramBot, telegram_api: FakeTelegram, update: dict[str, Any]) -> str:
    """Send one update and return what the bot answered to it."""
    before = len(telegram_api.delivered())
    await bot.post(update)
    await bot.settle()
    return "\n".join(c.params["text"] for c in telegram_api.delivered()[before:])


async def test_a_street_light_report_takes_a_photo_and_a_location_from_telegram(
    bot: TelegramBot, telegram_api: FakeTelegram
) -> None:
    telegram_api.put_file("AgAC-report", png(80, 60))
    for text in ("街路灯の故障を通報したい", "いいえ", "はい", "街路灯が消えている・壊れている"):
        answer = await say(bot, telegram_api, updates.text(text))
    assert "写真" in answer

    answer = await say(bot, telegram_api, photo_update("AgAC-gone"))
    assert "写真を受け取れませんでした" in answer  # the download failed: asked again

    answer = await say(bot, telegram_api, photo_update("AgAC-report"))
    assert "写真を受け取りました（1枚）" in answer
    [kept] = await attachments(bot.runtime)
    assert kept.content_type == "image/png"
    answer = await say(bot, telegram_api, updates.text("次へ"))
    assert "場所を教えてください" in answer

    location = {"latitude": 43.770636, "longitude": 142.364819}
    answer = await say(bot, telegram_api, updates.message(location=location))
    assert "どのような状態か" in answer  # the location was taken: on to the description
