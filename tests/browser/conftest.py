"""Real-browser fixtures: Debian's Chromium driven by Playwright, the app served on 127.0.0.1.

One browser and one server for the whole session (both in the session's event loop); every test
gets a fresh browser context, so each test is a new visitor with no cookies.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.settings import Settings
from tests.fakes.server import serve

CHROMIUM = Path("/usr/lib/chromium/chromium")  # the real binary; /usr/bin/chromium is a wrapper
_CHROMIUM_PRESENT = CHROMIUM.is_file()
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-back-forward-cache",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not _CHROMIUM_PRESENT:
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        await browser.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chat_url(
    tmp_path_factory: pytest.TempPathFactory, knowledge: Knowledge
) -> AsyncIterator[str]:
    database = tmp_path_factory.mktemp("webchat") / "bot.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        attachments_dir=database.parent / "attachments",
    )
    app = create_app(settings, knowledge=knowledge)
    async with serve(app) as url:
        yield url


# Assertions wait up to 10 s (Playwright's default is 5): the suite shares two cores with
# PostgreSQL and the servers under test, and a slow moment must not read as a failure.
expect.set_options(timeout=10_000)


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser, chat_url: str) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(base_url=chat_url, locale="ja-JP")
    context.set_default_timeout(10_000)
    yield context
    await context.close()
