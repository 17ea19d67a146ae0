"""A step's example fits what it asks for: a name step shows a name, not a street-light report."""

from __future__ import annotations

from tests.flows.conftest import Chat
from tests.flows.test_runner import start_bulky

STREET_LIGHT = "街路灯"


async def to_the_name_step(chat: Chat) -> str:
    await start_bulky(chat)
    await chat.say("ソファ")
    await chat.say("2")
    await chat.say("6条通9丁目")
    await chat.say("来週の月曜")
    assert chat.last is not None
    return chat.last.text


async def test_bulky_waste_name_step_asks_with_a_name_example(chat: Chat) -> None:
    question = await to_the_name_step(chat)
    assert "お名前を教えてください" in question
    assert "例：旭川 太郎" in question
    assert STREET_LIGHT not in question


async def test_bulky_waste_name_step_re_asks_with_a_name_example(chat: Chat) -> None:
    await to_the_name_step(chat)
    await chat.say("\u200b")  # nothing readable: asked again
    assert chat.last is not None
    reask = chat.last.text
    assert "内容が空のようです" in reask
    assert "例：旭川 太郎" in reask
    assert STREET_LIGHT not in reask
    await chat.say("旭川 太郎")
    assert "電話番号" in chat.last.text

