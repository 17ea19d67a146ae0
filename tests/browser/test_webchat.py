"""The web chat in a real browser, as a citizen uses it: mouse, keyboard, phone width."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Dialog, Locator, Page, expect

from tests.fakes.images import NOT_AN_IMAGE, png

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
QUESTION = "粗大ごみの収集を申し込みたい"


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    page = await context.new_page()
    await page.goto("/")
    await expect(bot_messages(page).first).to_contain_text("旭川市役所")  # the greeting
    yield page


def bot_messages(page: Page) -> Locator:
    return page.locator("#log .msg-bot .text")


def citizen_messages(page: Page) -> Locator:
    return page.locator("#log .msg-citizen .text")


async def ask(page: Page, text: str) -> None:
    """Type into the message box and press Enter; wait for the bot's answer."""
    before = await bot_messages(page).count()
    await page.get_by_label("ご質問を入力してください").fill(text)
    await page.keyboard.press("Enter")
    await expect(bot_messages(page)).not_to_have_count(before)


async def test_the_greeting_and_the_menu_show_on_first_load(page: Page) -> None:
    greeting = bot_messages(page).first
    await expect(greeting).to_contain_text("個人情報")
    menu = page.locator("#log .choices button")
    assert await menu.count() >= 5
    await expect(menu.filter(has_text="ごみ")).to_have_count(1)
    await expect(page.locator("html")).to_have_attribute("lang", "ja")


async def test_the_page_runs_without_errors_or_policy_violations(
    context: BrowserContext,
) -> None:
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    await page.goto("/")
    await expect(bot_messages(page).first).to_contain_text("旭川市役所")
    await expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    assert problems == []


async def test_a_question_sent_with_enter_gets_its_answer(page: Page) -> None:
    await ask(page, QUESTION)
    await expect(citizen_messages(page).last).to_have_text(QUESTION)
    await expect(page.get_by_label("ご質問を入力してください")).to_have_value("")
    await expect(bot_messages(page).filter(has_text="粗大ごみの収集は")).to_have_count(1)
    await expect(page.get_by_role("button", name="はい")).to_be_visible()


async def test_clicking_a_choice_shows_the_follow_up(page: Page) -> None:
    await ask(page, QUESTION)
    await page.get_by_role("button", name="はい").click()
    await expect(citizen_messages(page).last).to_have_text("はい")
    await expect(bot_messages(page).last).to_contain_text("ありがとう")


async def test_keyboard_only_use(page: Page) -> None:
    box = page.locator("#message")
    for _ in range(40):  # Tab from the top of the page to the message box
        if await box.evaluate("el => el === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(box).to_be_focused()
    outline = await box.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # focus is visible
    before = await bot_messages(page).count()
    await page.keyboard.type(QUESTION)
    await page.keyboard.press("Enter")
    await expect(bot_messages(page)).not_to_have_count(before)
    await expect(bot_messages(page).filter(has_text="粗大ごみの収集は")).to_have_count(1)

    await page.keyboard.press("Shift+Tab")  # back through the page to the "いいえ" button
    for _ in range(40):
        if await page.evaluate("document.activeElement.textContent") == "いいえ":
            break
        await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")
    await expect(citizen_messages(page).last).to_have_text("いいえ")
    await expect(bot_messages(page).last).to_contain_text("申し訳ありません")


async def test_markup_in_a_message_is_shown_as_literal_text(page: Page) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)

    page.on("dialog", on_dialog)
    text = "<script>alert(1)</script> と <b>x</b> <img src=x onerror=alert(2)>"
    await ask(page, text)
    await expect(citizen_messages(page).last).to_have_text(text)
    await page.reload()  # the transcript from the server is shown as text too
    await expect(citizen_messages(page).last).to_have_text(text)
    assert await page.locator("#log b, #log script, #log img").count() == 0
    assert dialogs == []


async def test_the_english_switch_changes_the_language_of_the_next_answer(page: Page) -> None:
    topic = page.locator("#log .choices button").first
    await page.get_by_role("button", name="English").click()
    await expect(bot_messages(page).last).to_contain_text("Switched to English")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_label("Type your question")).to_be_visible()
    await expect(page.get_by_role("button", name="日本語")).to_be_visible()

    before = await bot_messages(page).count()
    await topic.click()  # a menu button from the Japanese greeting, answered in English
    await expect(bot_messages(page)).not_to_have_count(before)
    answer = await bot_messages(page).nth(before).text_content()
    assert answer
    assert not JAPANESE.search(answer)


async def test_a_reload_keeps_the_conversation(page: Page) -> None:
    await ask(page, QUESTION)
    shown = await page.locator("#log .text").all_text_contents()
    await page.reload()
    await expect(page.locator("#log .text")).to_have_count(len(shown))
    assert await page.locator("#log .text").all_text_contents() == shown  # no second greeting


async def test_an_unreachable_server_is_reported(page: Page) -> None:
    await page.route("**/api/chat", lambda route: route.abort())
    await page.get_by_label("ご質問を入力してください").fill(QUESTION)
    await page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("サーバーに接続できません")
    await expect(page.get_by_label("ご質問を入力してください")).to_have_value(QUESTION)
    await expect(citizen_messages(page)).to_have_count(0)  # taken back, not shown as sent
    await page.unroute("**/api/chat")
    await page.keyboard.press("Enter")  # sending again works and clears the error
    await expect(bot_messages(page).filter(has_text="粗大ごみの収集は")).to_have_count(1)
    await expect(citizen_messages(page)).to_have_text([QUESTION])
    await expect(alert).to_be_hidden()


async def test_a_phone_width_page_has_no_horizontal_scroll(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto("/")
    await expect(bot_messages(page).first).to_contain_text("旭川市役所")
    await ask(page, "https://example.invalid/" + "a" * 300 + " " + "長" * 200)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    send = page.get_by_role("button", name="送信")
    box = await send.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 360


async def test_a_photo_is_sent_and_answered(page: Page) -> None:
    before = await bot_messages(page).count()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="写真を送る").click()
    await (await chooser.value).set_files(
        files=[{"name": "street-light.png", "mimeType": "image/png", "buffer": png(24, 16)}]
    )
    await expect(citizen_messages(page).last).to_have_text("（写真を送信しました）")
    await expect(bot_messages(page)).not_to_have_count(before)
    await expect(page.get_by_role("alert")).to_be_hidden()

    await page.reload()  # the transcript shows the photo was sent, not an empty bubble
    await expect(citizen_messages(page).last).to_have_text("（写真を送信しました）")


async def test_the_photo_and_location_buttons_work_from_the_keyboard(page: Page) -> None:
    await page.evaluate(
        "window.picked = 0;"
        "document.getElementById('photo-file').addEventListener('click', () => window.picked++)"
    )
    photo = page.get_by_role("button", name="写真を送る")
    for _ in range(40):  # Tab from the top of the page to the photo button
        if await photo.evaluate("el => el === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(photo).to_be_focused()
    assert await photo.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    await expect(photo).to_have_accessible_description("画像1枚・10MBまで")
    await page.keyboard.press("Enter")  # opens the file picker (the hidden file input)
    assert await page.evaluate("window.picked") == 1
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="現在地を送る")).to_be_focused()


async def test_a_file_that_is_not_a_photo_gets_the_bots_answer(page: Page) -> None:
    before = await bot_messages(page).count()
    await page.locator("#photo-file").set_input_files(
        files=[{"name": "form.pdf", "mimeType": "application/pdf", "buffer": NOT_AN_IMAGE}]
    )
    await expect(bot_messages(page)).not_to_have_count(before)
    assert await page.locator("#log .msg-citizen img, #log img").count() == 0


async def test_the_location_button_sends_where_the_citizen_is(
    context: BrowserContext, page: Page
) -> None:
    await context.grant_permissions(["geolocation"])
    await context.set_geolocation({"latitude": 43.762857, "longitude": 142.358154})
    before = await bot_messages(page).count()
    await page.get_by_role("button", name="現在地を送る").click()
    await expect(citizen_messages(page).last).to_have_text("（現在地を送信しました）")
    await expect(bot_messages(page)).not_to_have_count(before)


async def test_a_refused_location_permission_is_explained(page: Page) -> None:
    await page.get_by_role("button", name="現在地を送る").click()  # no permission granted
    await expect(page.get_by_role("alert")).to_contain_text("住所を入力して")
    await expect(page.get_by_role("button", name="現在地を送る")).to_be_enabled()
