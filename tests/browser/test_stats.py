"""The published results in Chromium: charts render under the page's policy, with no errors,
and the page reads at 360 px."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.messages import Incoming
from bot.settings import Settings
from tests.fakes.server import serve

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

QUESTIONS = ("除雪車って何時ごろ来るの？", "ごみの出し方", "ふわふわ", "職員と話したい")


@pytest_asyncio.fixture(loop_scope="session")
async def stats_url(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[str]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings, knowledge=knowledge)
    async with serve(app) as url:
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
