"""Photos sent on LINE: downloaded from LINE's content endpoint, kept, and handed to the engine."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from bot.messages import Incoming
from bot.procedures import photos
from bot.runtime import Runtime
from bot.storage.records import AttachmentRecord, MessageRecord
from tests.channels.line.conftest import USER, LineBot, line_event, text_event
from tests.fakes.images import NOT_AN_IMAGE, big_jpeg, png
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.asyncio(loop_scope="package")

OTHER_USER = "U0000000000000000000000000000beef"


def image_event(
    message_id: str, provider: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    message = {
        "id": message_id,
        "type": "image",
        "contentProvider": provider or {"type": "line"},
        "quoteToken": "q",
    }
    return line_event("message", message=message, **kwargs)


async def inbound(runtime: Runtime, user: str = USER) -> list[MessageRecord]:
    """What the engine stored as received from the citizen, oldest first."""
    async with runtime.store.unit() as unit:
        record = await unit.users.get_or_create("line", user)
        convo = await unit.conversations.open_for(record.id)
        messages = await unit.messages.recent(convo.id)
    return [m for m in messages if m.direction == "in"]


async def attachments(runtime: Runtime, user: str = USER) -> list[AttachmentRecord]:
    async with runtime.store.unit() as unit:
        record = await unit.users.get_or_create("line", user)
        return await unit.attachments.for_user(record.id)


def files_on_disk(runtime: Runtime) -> list[str]:
    root = runtime.attachments.root
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


async def test_a_photo_is_downloaded_kept_and_passed_to_the_engine(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    photo = png(40, 30)
    line_api.put_content("6001", photo, "image/png")

    assert (await bot.post(image_event("6001"))).status_code == 200
    await bot.settle()

    [download] = line_api.accepted("message_content")
    assert download.path == "/v2/bot/message/6001/content"
    [kept] = await attachments(bot.runtime)
    assert (kept.content_type, kept.size) == ("image/png", len(photo))
    assert kept.sha256 == hashlib.sha256(photo).hexdigest()
    assert kept.application_id is None  # not part of an application until one is sent
    assert files_on_disk(bot.runtime) == [kept.storage_key]
    assert bot.runtime.attachments.open(kept.storage_key) == photo
    [message] = await inbound(bot.runtime)
    assert message.kind == "image"
    assert message.platform_id == "6001"
    assert message.payload == {
        "attachment_id": kept.id,
        "content_type": "image/png",
        "size": len(photo),
    }
    assert line_api.texts("reply")  # the citizen got an answer


@pytest.mark.parametrize(
    ("content", "declared", "reason"),
    [
        (big_jpeg(), "image/jpeg", "field_photo_size"),
        (NOT_AN_IMAGE, "image/jpeg", "field_photo_type"),  # the bytes decide, not the header
    ],
    ids=["over-10-MB", "not-an-image"],
)
async def test_a_photo_the_store_refuses_reaches_the_engine_as_rejected(
    bot: LineBot, line_api: FakeLineApi, content: bytes, declared: str, reason: str
) -> None:
    line_api.put_content("6002", content, declared)

    await bot.post(image_event("6002"))
    await bot.settle()

    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": reason}
    assert await attachments(bot.runtime) == []
    assert files_on_disk(bot.runtime) == []
    assert line_api.texts("reply")


@pytest.mark.parametrize("failure", [500, 404])
async def test_a_failed_download_asks_for_the_photo_again(
    bot: LineBot, line_api: FakeLineApi, failure: int
) -> None:
    if failure == 500:
        line_api.put_content("6003", png())
        line_api.fail("message_content", 500)
    # 404: LINE no longer has the content (it keeps it for a limited time)

    await bot.post(image_event("6003"))
    await bot.settle()

    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": "field_photo_download"}
    assert await attachments(bot.runtime) == []
    assert line_api.texts("reply")


async def test_a_photo_kept_outside_line_is_not_fetched(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    external = {
        "type": "external",
        "originalContentUrl": "https://example.invalid/photo.jpg",
        "previewImageUrl": "https://example.invalid/preview.jpg",
    }
    await bot.post(image_event("6004", provider=external))
    await bot.settle()

    assert line_api.accepted("message_content") == []
    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": "field_photo_download"}


async def test_a_slow_download_times_out_without_holding_up_other_citizens(
    bot: LineBot, line_api: FakeLineApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photos, "DOWNLOAD_TIMEOUT", 1.0)
    line_api.put_content("6005", png())
    line_api.hold("message_content")

    await bot.post(image_event("6005"))
    await line_api.arrived("message_content")
    # While the photo is being fetched, no transaction is open: another citizen is answered.
    other = Incoming("line", OTHER_USER, text="ごみの出し方")
    outcome = await asyncio.wait_for(bot.runtime.engine.handle(other), 5)
    assert outcome.replies
    await bot.settle()  # the download gives up after DOWNLOAD_TIMEOUT

    [message] = await inbound(bot.runtime)
    assert message.payload == {"rejected": "field_photo_download"}
    assert await attachments(bot.runtime) == []
    assert line_api.texts("reply")
    line_api.release()


async def test_each_photo_of_a_citizen_becomes_its_own_attachment(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    line_api.put_content("6006", png(2, 2))
    line_api.put_content("6007", png(3, 3))

    await bot.post(image_event("6006"), image_event("6007"), text_event("以上です"))
    await bot.settle()

    kept = await attachments(bot.runtime)
    messages = await inbound(bot.runtime)
    assert [m.kind for m in messages] == ["image", "image", "text"]  # in the order sent
    assert [m.payload["attachment_id"] for m in messages[:2] if m.payload] == [a.id for a in kept]
    assert len(files_on_disk(bot.runtime)) == 2


def location_event(latitude: float, longitude: float) -> dict[str, Any]:
    message = {
        "id": "6100",
        "type": "location",
        "title": "現在地",
        "address": "北海道旭川市6条通9丁目",
        "latitude": latitude,
        "longitude": longitude,
    }
    return line_event("message", message=message)


async def say(bot: LineBot, line_api: FakeLineApi, event: dict[str, Any]) -> str:
    """Send one event and return what the bot answered to it."""
    before = len(line_api.texts())
    await bot.post(event)
    await bot.settle()
    return "\n".join(line_api.texts()[before:])


async def test_a_street_light_report_takes_a_photo_and_a_location_from_line(
    bot: LineBot, line_api: FakeLineApi
) -> None:
    line_api.put_content("6201", big_jpeg())
    line_api.put_content("6202", png(48, 36))
    for text in ("街路灯の故障を通報したい", "いいえ", "はい", "街路灯が消えている・壊れている"):
        answer = await say(bot, line_api, text_event(text))
    assert "写真" in answer  # the photo step

    answer = await say(bot, line_api, image_event("6201"))
    assert "写真のサイズが大きすぎます（10 MBまで）" in answer  # re-asked, nothing kept
    assert await attachments(bot.runtime) == []

    answer = await say(bot, line_api, image_event("6202"))
    assert "写真を受け取りました（1枚）" in answer  # taken; up to three may be sent
    [kept] = await attachments(bot.runtime)
    answer = await say(bot, line_api, text_event("次へ"))
    assert "場所を教えてください" in answer

    answer = await say(bot, line_api, location_event(43.770636, 142.364819))
    assert "どのような状態か" in answer  # the location was taken: on to the description
    [*_, photo_message, _next, location_message] = await inbound(bot.runtime)
    assert photo_message.payload == {
        "attachment_id": kept.id,
        "content_type": "image/png",
        "size": kept.size,
    }
    assert location_message.kind == "location"
