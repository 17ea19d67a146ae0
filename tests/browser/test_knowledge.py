"""The knowledge loop in a real browser: a clerk improves an answer, confirms the city's facts
and turns an unanswered question into a paraphrase; the web chat answers with it at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fakes.server import serve

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "correct horse battery staple"
ENTRY = "faq.snow.plowing_criteria"  # dept.roads
SNOW = "除雪車って何時ごろ来るの？"
ODD = "夜中にゴーゴー走ってくる黄色いでっかい車は何ですか"


@dataclass
class Served:
    url: str
    runtime: Runtime
    browser: Browser

    @asynccontextmanager
    async def context(self) -> AsyncIterator[BrowserContext]:
        context = await self.browser.new_context(base_url=self.url, locale="ja-JP")
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def served(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> AsyncIterator[Served]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    app = create_app(settings, knowledge=knowledge.fork())
    async with serve(app) as url:
        runtime: Runtime = app.state.runtime
        fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        async with runtime.store.unit() as unit:
            hashed = fast.hash(PASSWORD)
            await unit.staff.add("clerk", "道路 花子", hashed, "staff", ["dept.roads"])
        yield Served(url, runtime, browser)


async def sign_in(page: Page, username: str = "clerk") -> None:
    await page.goto("/staff/knowledge")
    await page.get_by_label("ユーザー名").fill(username)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="ナレッジ")).to_be_visible()


async def open_chat(context: BrowserContext) -> Page:
    chat = await context.new_page()
    await chat.goto("/")
    await expect(chat.locator("#log .msg-bot .text").first).to_contain_text("旭川市役所")
    return chat


async def citizen_asks(page: Page, text: str) -> None:
    bot = page.locator("#log .msg-bot .text")
    before = await bot.count()
    await page.get_by_label("ご質問を入力してください").fill(text)
    await page.keyboard.press("Enter")
    await expect(bot).not_to_have_count(before)


async def test_a_clerk_publishes_an_answer_and_the_web_chat_uses_it(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    new = "旭川市の除雪車は、新雪がおおむね10センチを超えると出動します（確認用の文）。"
    async with served(browser, tmp_path, knowledge) as app, app.context() as staff:
        page = await staff.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        await sign_in(page)
        await page.get_by_label("語句").fill("除雪 出動")
        await page.get_by_role("button", name="絞り込み").click()
        await page.locator("#entry-rows").get_by_role("link", name="除雪の出動基準").click()
        await page.get_by_label("回答（日本語）").fill(new)
        await page.get_by_label("職員メモ").fill("夜間は道路維持の当番へ内線で確認")
        await page.get_by_role("button", name="公開する").click()
        await expect(page.get_by_role("status")).to_contain_text("公開しました")
        await expect(page.locator("#history li")).to_have_count(1)

        async with app.context() as citizen:
            chat = await open_chat(citizen)
            await citizen_asks(chat, SNOW)
            await expect(chat.locator("#log")).to_contain_text(new)
            await expect(chat.locator("#log")).not_to_contain_text("内線")
        assert problems == []


async def test_a_clerk_confirms_every_review_item_and_the_entry_is_verified(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    entry = knowledge.entry(ENTRY)
    assert entry is not None
    async with served(browser, tmp_path, knowledge) as app, app.context() as staff:
        page = await staff.new_page()
        await sign_in(page)
        await page.goto(f"/staff/knowledge/entry/{ENTRY}")
        await expect(page.locator("#entry-state")).to_contain_text("要確認")
        for number, item in enumerate(entry.review):
            form = page.locator(f'.review-item[data-item="{number}"]')
            await expect(form).to_contain_text(item)
            await form.get_by_label("市の実際の情報").fill(f"市で確認した内容 {number}")
            await form.get_by_label("確認しました").check()
            await form.get_by_role("button", name="保存").click()
            await expect(page.get_by_role("status")).to_contain_text("確認項目を更新しました")
        await expect(page.locator("#entry-state")).to_contain_text("確認済み")
        await expect(page.locator(".review-item").first).to_contain_text("道路 花子")
        await page.goto("/staff/knowledge?q=除雪+出動&state=verified")
        await expect(page.locator("#entry-rows")).to_contain_text("除雪の出動基準")


async def test_a_clerk_turns_an_unanswered_question_into_a_paraphrase(
    browser: Browser, tmp_path: Path, knowledge: Knowledge
) -> None:
    async with served(browser, tmp_path, knowledge) as app, app.context() as citizen:
        chat = await open_chat(citizen)
        await citizen_asks(chat, ODD)
        await expect(chat.locator("#log")).to_contain_text("うまくお答えできませんでした")
        # the question goes to the department of its closest entry; this clerk works there too
        async with app.runtime.store.unit() as unit:
            since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            [record] = await unit.inquiries.for_review(None, since)
            fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            departments = sorted({record.department, "dept.roads"})
            await unit.staff.add("clerk2", "道路 次郎", fast.hash(PASSWORD), "staff", departments)
        async with app.context() as staff:
            page = await staff.new_page()
            await sign_in(page, "clerk2")
            await page.get_by_role("link", name="未回答の質問").first.click()
            group = page.locator("#groups .group").filter(has_text=ODD)
            await expect(group).to_have_count(1)
            await group.get_by_label("項目 Entry").select_option(ENTRY)
            await group.get_by_role("button", name="言い換えとして追加").click()
            await expect(page.get_by_role("status")).to_contain_text("言い換えとして追加しました")
            await expect(page.locator("#groups")).not_to_contain_text(ODD)
        await citizen_asks(chat, ODD)
        entry = knowledge.entry(ENTRY)
        assert entry is not None
        await expect(chat.locator("#log")).to_contain_text(entry.answer.ja[:40])
