"""``citybot telegram poll`` and ``citybot telegram set-webhook`` against the fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.channels.telegram import set_webhook
from bot.cli import telegram_poll as poll
from bot.knowledge_service import Knowledge
from bot.settings import Secret, Settings
from tests.channels.telegram import updates
from tests.channels.telegram.conftest import SECRET, telegram_settings
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_polling_answers_queued_updates_in_order(
    tmp_path: Path, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    settings = telegram_settings(tmp_path / "bot.db", telegram_api, secret=None)
    start, question = updates.text("/start"), updates.text("粗大ごみを出したい")
    telegram_api.put_update(start)
    telegram_api.put_update(question)

    polling = asyncio.create_task(poll(settings, knowledge=knowledge))
    sent = await telegram_api.wait_for("sendMessage", count=4)
    await telegram_api.wait_for("getUpdates", count=2)  # the next poll confirms both
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling

    texts = [str(call.params["text"]) for call in sent]
    assert texts[:2] == [knowledge.system.text(k, "ja") for k in ("greeting", "menu")]
    assert "粗大ごみ" in texts[2]
    assert texts[3] == knowledge.system.text("feedback_prompt", "ja")
    methods = [call.method for call in telegram_api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    offsets = [call.params.get("offset") for call in telegram_api.of("getUpdates")]
    assert offsets[:2] == [None, str(question["update_id"] + 1)]


async def test_polling_rides_out_a_failing_get_updates(
    tmp_path: Path, telegram_api: FakeTelegram, knowledge: Knowledge
) -> None:
    settings = telegram_settings(tmp_path / "bot.db", telegram_api, secret=None)
    telegram_api.fail("getUpdates", times=1, status=502)
    telegram_api.put_update(updates.text("/help"))

    polling = asyncio.create_task(poll(settings, knowledge=knowledge))
    [help_text, *_] = await telegram_api.wait_for("sendMessage", count=2)
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    assert help_text.params["text"] == knowledge.system.text("help", "ja")


async def test_polling_without_a_token_exits_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    assert await poll(settings) == 2
    assert "CITYBOT_TELEGRAM_TOKEN" in capsys.readouterr().err


async def test_set_webhook_registers_the_url_with_the_secret_token(
    tmp_path: Path, telegram_api: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = telegram_settings(tmp_path / "bot.db", telegram_api)
    url = "https://citybot.example.jp/webhooks/telegram"

    assert await set_webhook(settings, url) == 0

    [call] = telegram_api.of("setWebhook")
    assert call.params["url"] == url
    assert call.params["secret_token"] == SECRET
    assert set(call.params["allowed_updates"]) >= {"message", "callback_query"}
    out = capsys.readouterr()
    assert url in out.out
    assert SECRET not in out.out + out.err
    assert telegram_api.token not in out.out + out.err


@pytest.mark.parametrize(
    ("token", "secret", "url", "named"),
    [
        (None, SECRET, "https://city.example/webhooks/telegram", "CITYBOT_TELEGRAM_TOKEN"),
        ("123456:TEST-TOKEN", None, "https://city.example/x", "CITYBOT_TELEGRAM_WEBHOOK_SECRET"),
        ("123456:TEST-TOKEN", SECRET, "http://city.example/webhooks/telegram", "https://"),
    ],
    ids=["no-token", "no-secret", "not-https"],
)
async def test_set_webhook_refuses_to_run_half_configured(
    tmp_path: Path,
    telegram_api: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
    token: str | None,
    secret: str | None,
    url: str,
    named: str,
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        telegram_token=Secret(token) if token else None,
        telegram_webhook_secret=Secret(secret) if secret else None,
        telegram_api_base=f"{telegram_api.base_url}/bot",
    )
    assert await set_webhook(settings, url) == 2
    assert named in capsys.readouterr().err
    assert telegram_api.of("setWebhook") == []


async def test_set_webhook_reports_a_refused_token_without_printing_it(
    tmp_path: Path, telegram_api: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        telegram_token=Secret("999:WRONG-TOKEN"),
        telegram_webhook_secret=Secret(SECRET),
        telegram_api_base=f"{telegram_api.base_url}/bot",
    )
    assert await set_webhook(settings, "https://city.example/webhooks/telegram") == 2
    err = capsys.readouterr().err
    assert "refused" in err
    assert "WRONG-TOKEN" not in err
