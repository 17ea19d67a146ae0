"""A clerk processes a citizen's report in a real browser; the citizen hears back on LINE.

The report is stored as the flow runner stores it (a photo in the attachment store, a location
answer); the clerk finds it in the applications list, sees the photo and the map link, marks it
done with a message, and the fake LINE API receives that message as a push to the citizen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from bot.knowledge_service import Knowledge
from bot.procedures.attachments import AttachmentStore
from bot.storage.records import ApplicationRecord
from tests.browser.test_console import PASSWORD, Served, served
from tests.channels.line.conftest import line_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve
from tests.staff.test_applications import LOCATION, png

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CITIZEN = "U4af4980629e1b2c3d4e5f60718293a4b"
MESSAGE = "街路灯を修理しました。ご連絡ありがとうございました。"


async def _report(app: Served, files: AttachmentStore) -> ApplicationRecord:
    """What the flow runner stores when a LINE citizen confirms a street-light report."""
    async with app.runtime.store.unit() as unit:
        user = await unit.users.get_or_create("line", CITIZEN)
        convo = await unit.conversations.open_for(user.id)
        saved = files.save(png(16, 12), "image/png")
        photo = await unit.attachments.add(
            user.id, saved.content_type, saved.size, saved.sha256, saved.storage_key
        )
        answers = {
            "what": "street_light",
            "photo": [photo.id],
            "location": LOCATION,
            "description": "夜になっても点灯しません",
        }
        record = await unit.applications.create(
            "R",
            user.id,
            convo.id,
            "line",
            "flow.road_damage",
            "dept.roads",
            answers,
            "街路灯が消えている",
            dt.datetime.now(dt.UTC),
        )
        await unit.attachments.attach([photo.id], record.id)
    return record


async def _clerk(page: Page, app: Served, record: ApplicationRecord) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    await page.goto("/staff/applications")
    await page.get_by_label("ユーザー名").fill("clerk")
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="申請・通報")).to_be_visible()
    await expect(page.locator("#count-new")).to_have_text("1")

    await page.get_by_role("link", name=record.reference).click()
    await expect(page.get_by_role("heading", name=record.reference)).to_be_visible()
    await expect(page.locator(".answers")).to_contain_text("街路灯が消えている・壊れている")
    await expect(page.locator(".answers")).to_contain_text("夜になっても点灯しません")

    photo = page.get_by_role("img", name="添付写真 1")
    await expect(photo).to_be_visible()
    width = await photo.evaluate(  # once it has loaded or failed: visible is not loaded yet
        """img => img.complete ? img.naturalWidth : new Promise(done => {
            img.addEventListener("load", () => done(img.naturalWidth), {once: true});
            img.addEventListener("error", () => done(0), {once: true});
        })"""
    )
    assert width == 16  # the real image arrived, not an error page
    map_link = page.get_by_role("link", name="地図で見る")
    href = await map_link.get_attribute("href")
    assert href == (
        "https://www.openstreetmap.org/?mlat=43.770636&mlon=142.365015#map=18/43.770636/142.365015"
    )

    await page.locator("summary", has_text="完了にする").click()  # opens the form
    message = page.get_by_label("市民へのメッセージ（完了にする）")
    assert record.reference in await message.input_value()  # prefilled from the template
    await message.fill(MESSAGE)
    await page.get_by_role("button", name="完了にする・送信").click()
    await expect(page.get_by_role("status")).to_contain_text("市民にお知らせしました")
    await expect(page.locator("#a-status")).to_contain_text("完了")
    await expect(page.locator("#history")).to_contain_text(MESSAGE)
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 1280  # no horizontal scroll on a laptop screen
    assert problems == []


async def test_a_clerk_closes_a_report_and_the_line_citizen_is_told(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    line_api = FakeLineApi(token="line-access-token-for-tests")

    async def post(client: httpx.AsyncClient, text: str) -> None:
        raise AssertionError("the citizen says nothing in this story")

    async with serve(line_api.app) as api_url:
        line_api.base_url = api_url
        settings = dataclasses.replace(
            line_settings(tmp_path / "bot.db", api_url), attachments_dir=tmp_path / "files"
        )
        async with served(settings, knowledge, post) as app:
            record = await _report(app, AttachmentStore(tmp_path / "files"))
            context = await browser.new_context(
                base_url=app.url, locale="ja-JP", viewport={"width": 1280, "height": 800}
            )
            context.set_default_timeout(10_000)
            try:
                await _clerk(await context.new_page(), app, record)
            finally:
                await context.close()
    [push] = line_api.accepted("push")
    assert push.body["to"] == CITIZEN
    assert [m["text"] for m in push.messages] == [MESSAGE]
