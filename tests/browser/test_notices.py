"""A clerk composes a notice, a colleague approves it, both watch it go out to LINE.

Real Chromium against the served app; the fake LINE API holds the first multicast so the
progress bar is seen mid-send, then lets it go.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.knowledge_service import Knowledge
from bot.storage import SqlStore
from tests.browser.test_console import PASSWORD, served
from tests.channels.line.conftest import line_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve
from tests.notify.helpers import bulk_subscribe

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

TEXT = "今夜22時から、東光地区で排雪作業を行います。路上駐車はご遠慮ください。"


async def _login(browser: Browser, url: str, username: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        base_url=url, locale="ja-JP", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto("/staff/notices")
    await page.get_by_label("ユーザー名").fill(username)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="お知らせ配信")).to_be_visible()
    return context, page


async def test_compose_approve_progress_and_report(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    line_api = FakeLineApi(token="line-access-token-for-tests")

    async def post(client: httpx.AsyncClient, text: str) -> None:
        raise AssertionError("no citizen messages in this story")

    async with serve(line_api.app) as api_url:
        settings = dataclasses.replace(
            line_settings(tmp_path / "bot.db", api_url),
            notify_approval_threshold=100,
            notify_quiet_hours=None,
        )
        async with served(settings, knowledge, post) as app:
            store = app.runtime.store
            assert isinstance(store, SqlStore)
            await bulk_subscribe(store, "line", [f"U{n:032d}" for n in range(600)], "snow", "toko")
            await bulk_subscribe(store, "line", ["Uchuo"], "snow", "chuo")
            async with store.unit() as unit:
                fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
                await unit.staff.add(
                    "kakunin", "確認 太郎", fast.hash(PASSWORD), "staff", ["dept.roads"]
                )
            author, page = await _login(browser, app.url, "clerk")
            second, other = await _login(browser, app.url, "kakunin")
            try:
                await page.get_by_label("種類").select_option("snow")
                await page.get_by_label("東光").check()
                await page.get_by_label("本文（日本語）").fill(TEXT)
                await page.get_by_role("button", name="宛先を確認").click()
                await expect(page.locator("#count-line")).to_have_text("600")
                await expect(page.locator("#billable")).to_contain_text("600")
                await expect(page.locator("#needs-approval")).to_be_visible()
                await page.get_by_role("button", name="承認を依頼する").click()
                await expect(page.locator("#notice-status")).to_contain_text("承認待ち")
                await expect(page.locator("#approve")).to_have_count(0)
                notice_url = page.url.split("?")[0]

                line_api.hold("multicast")
                await other.goto(notice_url)
                await other.get_by_role("button", name="承認して送信").click()
                await line_api.arrived("multicast")
                await expect(other.locator("#notice-status")).to_contain_text("送信中")
                assert await other.locator("#notice-progress").get_attribute("value") == "0"
                line_api.release()
                await expect(other.locator("#notice-status")).to_contain_text("送信済み")
                await expect(other.locator("#notice-progress")).to_have_attribute("value", "100")
                await expect(other.locator("#report")).to_contain_text("配信済み")
                await expect(other.locator("#report")).to_contain_text("600")
                await page.reload()
                await expect(page.locator("#notice-status")).to_contain_text("送信済み")
            finally:
                await author.close()
                await second.close()
    assert sorted(set(line_api.recipients())) == sorted(line_api.recipients())
    assert len(line_api.recipients()) == 600
    assert "Uchuo" not in line_api.recipients()
