"""What the logs keep of a citizen's turn: a hashed reference, never their id or their words."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, citizen_ref
from tests.channels.line.conftest import USER, LineBot, text_event
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.asyncio(loop_scope="package")

SECRET_WORDS = "ごみの出し方を教えてください、電話番号は090-1234-5678です"


async def test_a_chat_turn_logs_no_text_and_no_raw_user_id(
    bot: LineBot, line_api: FakeLineApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await bot.post(text_event(SECRET_WORDS))
    await bot.settle()
    assert line_api.texts("reply")  # answered
    lines = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    logged = "\n".join(lines)
    assert "conversation" in logged  # the engine's line for the turn is there
    assert citizen_ref("line", USER) in logged
    assert USER not in logged
    assert "090-1234-5678" not in logged
    assert "ごみの出し方" not in logged
    for record in caplog.records:  # nor in the JSON form, escaped or not
        line = JsonFormatter().format(record)
        assert USER not in line
        assert "ごみの出し方" not in json.loads(line)["message"]


async def test_json_lines_are_one_object_each() -> None:
    record = logging.LogRecord("bot.engine", logging.INFO, __file__, 1, "a %s", ("b",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "a b"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "bot.engine"
    assert citizen_ref("line", USER) != citizen_ref("telegram", USER)
