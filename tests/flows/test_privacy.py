"""「私のデータを削除して」: explained, confirmed, then everything of this chat user is gone."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.procedures.attachments import AttachmentStore
from bot.storage.base import Store
from bot.storage.db import create_store, migrate
from tests.flows.conftest import NOW, Chat


async def report_with_photo(chat: Chat) -> int:
    await chat.say("不法投棄を通報したい")
    await chat.press("はい")
    await chat.say("旭川市神居3条1丁目")
    await chat.say("冷蔵庫1台")
    _, photo = await chat.photo()
    await chat.press("次へ")
    await chat.press("スキップ")
    await chat.press("はい")
    await chat.say("山田 一郎")
    await chat.say("090-1111-2222")
    await chat.press("送信する")
    return photo


async def stored_for(store: Store, channel: str, user: str) -> dict[str, int]:
    async with store.unit() as unit:
        found = await unit.users.get_or_create(channel, user)  # type: ignore[arg-type]
        convo = await unit.conversations.open_for(found.id)
        return {
            "messages": await unit.messages.count(convo.id),
            "applications": len(await unit.applications.for_user(found.id)),
            "attachments": len(await unit.attachments.for_user(found.id)),
        }


async def test_data_is_deleted_only_after_a_clear_yes(chat: Chat) -> None:
    photo = await report_with_photo(chat)
    async with chat.store.unit() as unit:
        record = await unit.attachments.get(photo)
    assert record is not None
    asked = await chat.say("私のデータを削除して")
    assert "会話" in asked.text
    assert "写真" in asked.text
    assert chat.labels() == ["削除する", "削除しない"]
    kept = await chat.press("削除しない")
    assert "取りやめました" in kept.text
    before = await stored_for(chat.store, "line", chat.user)
    assert before["applications"] == 1
    assert before["attachments"] == 1

    await chat.say("個人情報を消してほしい")
    done = await chat.press("削除する")
    assert "削除しました" in done.text
    assert not chat.files.exists(record.storage_key)
    after = await stored_for(chat.store, "line", chat.user)
    assert after == {"messages": 0, "applications": 0, "attachments": 0}
    async with chat.store.unit() as unit:
        [entry] = await unit.audit.list(action="citizen_data_deleted")
    assert entry.detail["applications"] == 1
    assert "山田" not in str(entry.detail)
    assert "090" not in str(entry.detail)


async def test_another_citizens_data_is_untouched(chat: Chat) -> None:
    other = chat.as_("telegram", "T9")
    await report_with_photo(other)
    await chat.say("delete my data")
    await chat.say("yes")
    left = await stored_for(chat.store, "telegram", "T9")
    assert left["applications"] == 1
    assert left["attachments"] == 1


async def test_an_unclear_answer_deletes_nothing(chat: Chat) -> None:
    await report_with_photo(chat)
    await chat.say("私のデータを削除して")
    await chat.say("大丈夫です")
    assert (await stored_for(chat.store, "line", chat.user))["applications"] == 1


async def test_typing_a_buttons_label_is_pressing_it(chat: Chat) -> None:
    await report_with_photo(chat)
    await chat.say("私のデータを削除して")
    kept = await chat.say("削除しない")
    assert "取りやめました" in kept.text
    await chat.say("私のデータを削除して")
    done = await chat.say("削除する")  # typed, not tapped: as strong a yes as the button
    assert "削除しました" in done.text
    assert await stored_for(chat.store, "line", chat.user) == {
        "messages": 0,
        "applications": 0,
        "attachments": 0,
    }


async def test_deletion_on_a_real_database(knowledge: Knowledge, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await migrate(url)
    clock = FrozenClock(NOW)
    store = create_store(url, clock=clock)
    try:
        files = AttachmentStore(tmp_path / "attachments")
        engine = Engine(knowledge, store, attachments=files)
        chat = Chat(engine, store, files, clock)
        await report_with_photo(chat)
        await chat.say("職員と話したい")  # an escalation to delete as well
        await chat.say("ボットに戻る")
        await chat.say("私のデータを削除して")
        done = await chat.say("はい")
        assert "削除しました" in done.text
        after = await stored_for(store, "line", chat.user)
        assert after == {"messages": 0, "applications": 0, "attachments": 0}
        assert not any((tmp_path / "attachments").rglob("*.*"))
    finally:
        await store.close()
