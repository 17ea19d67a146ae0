"""The published results in Chromium: charts render under the page's policy, with no errors,
and the page reads at 360 px."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from playwright.async_api import Browser, expect

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.messages import Incoming
from bot.settings import Settings
from tests.fakes.server import serve

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "correct horse battery staple"
QUESTIONS = ("除雪車って何時ごろ来るの？", "ごみの出し方", "ふわふわ", "職員と話したい")


@pytest_asyncio.fixture(loop_scope="session")
async def stats_url(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[str]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings, knowledge=knowledge)
    async with serve(app) as url:
        async with app.state.runtime.store.unit() as unit:
            fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            await unit.staff.add(
                "clerk", "市役所 花子", fast.hash(PASSWORD), "staff", ["dept.roads"]
            )
        for n in range(6):
            for text in QUESTIONS:
                await app.state.runtime.engine.handle(Incoming("web", f"v{n}", text=text))
        yield url


@pytest.mark.parametrize("width", [1280, 360])
async def test_the_charts_render_without_errors_and_fit_the_screen(
    browser: Browser, stats_url: str, width: int
) -> None:
    context = await browser.new_context(
        base_url=stats_url, locale="ja-JP", viewport={"width": width, "height": 800}
    )
    try:
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        response = await page.goto("/stats")
        assert response is not None
        assert response.status == 200

        charts = page.locator("svg[role=img]")
        await expect(charts.first).to_be_visible()
        assert await charts.count() >= 5
        for i in range(await charts.count()):
            chart = charts.nth(i)
            assert (await chart.locator("title").text_content() or "").strip()
            assert await chart.locator("desc").count() == 1
            assert await chart.get_attribute("aria-describedby") == await chart.locator(
                "desc"
            ).get_attribute("id")
            box = await chart.bounding_box()
            assert box is not None
            assert box["width"] > 0
            assert box["height"] > 0
            assert box["width"] <= width
        assert await page.locator("svg[role=img] rect").count() > 0  # bars were drawn
        await expect(page.get_by_role("heading", level=1)).to_contain_text("問い合わせ対応の結果")
        await expect(page.locator("table caption").first).to_be_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        assert problems == []
    finally:
        await context.close()


async def test_the_staff_dashboard_draws_its_charts_after_sign_in(
    browser: Browser, stats_url: str
) -> None:
    context = await browser.new_context(base_url=stats_url, locale="ja-JP")
    try:
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        await page.goto("/staff/dashboard")
        await expect(page).to_have_url(f"{stats_url}/staff/login?next=/staff/dashboard")
        await page.get_by_label("ユーザー名").fill("clerk")
        await page.get_by_label("パスワード").fill(PASSWORD)
        await page.get_by_role("button", name="ログイン").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            "対応状況ダッシュボード"
        )
        await expect(page.locator("svg[role=img]").first).to_be_visible()
        await page.get_by_role("combobox", name="部署 Department").select_option("dept.roads")
        await page.get_by_role("button", name="表示").click()
        await expect(page).to_have_url(f"{stats_url}/staff/dashboard?department=dept.roads")
        await expect(page.locator('table[data-table="unanswered_by_week"]')).to_be_visible()
        assert problems == []
    finally:
        await context.close()
