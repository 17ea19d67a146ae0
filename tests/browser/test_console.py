"""The staff console in a real browser, end to end with LINE and Telegram citizens.

A citizen asks for a person through the platform's (fake) servers; a clerk signs in, sees the
case appear in the queue without reloading, replies; the platform receives the reply; the clerk
resolves and hands back; the citizen's next message gets the bot's answer again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Settings
from tests.channels.line.conftest import line_settings, sign, text_event, webhook_body
from tests.channels.telegram import updates
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.conftest import telegram_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "correct horse battery staple"
QUESTION = "除雪車って何時ごろ来るの？"
REPLY = "本日中に担当者が現地を確認します。"
BOT_QUESTION = "粗大ごみの収集を申し込みたい"


@dataclass
class Served:
    """The app on a real port, its runtime, and how a citizen's message arrives."""

    url: str
    runtime: Runtime
    say: Callable[[str], Awaitable[None]]


@asynccontextmanager
async def served(
    settings: Settings, knowledge: Knowledge, post: Callable[..., Awaitable[None]]
) -> AsyncIterator[Served]:
    app = create_app(settings, knowledge=knowledge)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        runtime: Runtime = app.state.runtime
        async with runtime.store.unit() as unit:
            fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            await unit.staff.add(
                "clerk", "市役所 花子", fast.hash(PASSWORD), "staff", ["dept.roads"]
            )

        async def say(text: str) -> None:
            await post(client, text)
            await runtime.inbox.drain()  # processed and answered

        yield Served(url, runtime, say)


async def work_the_case(browser: Browser, app: Served) -> None:
    """The clerk's side of the story, up to handing the chat back to the bot."""
    context = await browser.new_context(
        base_url=app.url, locale="ja-JP", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    try:
        await _clerk(await context.new_page(), app)
    finally:
        await context.close()  # ends the page's event stream before the server stops


async def _clerk(page: Page, app: Served) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    await page.goto("/staff/")
    await expect(page).to_have_url(f"{app.url}/staff/login?next=/staff/")
    await page.get_by_label("ユーザー名").fill("clerk")
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="問い合わせキュー")).to_be_visible()
    await expect(page.locator("#queue-empty")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-live", "on")
    await page.evaluate("window.notReloaded = true")

    await app.say(QUESTION)
    await app.say("職員と話したい")
    row = page.locator("#queue-rows tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("[職員希望]")
    await expect(page.locator("#count-open")).to_have_text("1")
    assert await page.evaluate("window.notReloaded === true")  # it arrived live

    await row.get_by_role("link").click()
    await expect(page.locator("#transcript")).to_contain_text(QUESTION)
    await page.get_by_label("返信 Reply").fill(REPLY)
    await page.get_by_role("button", name="送信 Send").click()
    await expect(page.locator(".msg-staff").last).to_contain_text(REPLY)
    await expect(page.locator(".msg-staff .delivery").last).to_have_text("送信済み Sent")

    await page.get_by_role("button", name="解決済みにする").click()
    await expect(page.locator("#e-status")).to_contain_text("解決済み")
    await page.get_by_role("button", name="ボットに戻す").click()
    await expect(page.get_by_role("status")).to_contain_text("ボットに戻しました")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280  # no horizontal scroll on a laptop screen
    assert problems == []


async def test_a_line_citizen_reaches_a_clerk_and_comes_back_to_the_bot(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    line_api = FakeLineApi(token="line-access-token-for-tests")

    async def post(client: httpx.AsyncClient, text: str) -> None:
        body = webhook_body(text_event(text))
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
        response = await client.post("/webhooks/line", content=body, headers=headers)
        assert response.status_code == 200

    async with serve(line_api.app) as api_url:
        line_api.base_url = api_url
        settings = line_settings(tmp_path / "bot.db", api_url)
        async with served(settings, knowledge, post) as app:
            await work_the_case(browser, app)
            assert REPLY in line_api.texts("push")  # staff replies are pushed
            before = len(line_api.texts())
            await app.say(BOT_QUESTION)
            assert any("粗大ごみ" in text for text in line_api.texts()[before:])


async def test_a_telegram_citizen_reaches_a_clerk_and_comes_back_to_the_bot(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    telegram_api = FakeTelegram()

    async def post(client: httpx.AsyncClient, text: str) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        response = await client.post(
            "/webhooks/telegram", json=updates.text(text), headers=headers
        )
        assert response.status_code == 200

    async with serve(telegram_api.app) as api_url:
        telegram_api.base_url = api_url
        assert telegram_api.token == TELEGRAM_TOKEN
        settings = telegram_settings(tmp_path / "bot.db", telegram_api)
        async with served(settings, knowledge, post) as app:
            await work_the_case(browser, app)
            sent = [str(call.params["text"]) for call in telegram_api.delivered()]
            assert REPLY in sent
            before = len(sent)
            await app.say(BOT_QUESTION)
            after = [str(call.params["text"]) for call in telegram_api.delivered()][before:]
            assert any("粗大ごみ" in text for text in after)
