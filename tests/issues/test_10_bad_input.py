"""Bad input never gets a 5xx: junk at every endpoint, wrong types in every field.

Each case is one request to the real app (LINE signed with the test secret, Telegram with its
secret token, the web chat as a browser posts). After each: no 5xx, ``/healthz`` still 200,
and a well-formed message among the junk is still answered.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Secret, Settings
from tests.channels.line.conftest import SECRET as LINE_SECRET
from tests.channels.line.conftest import TOKEN as LINE_TOKEN
from tests.channels.line.conftest import line_event, sign, text_event
from tests.channels.telegram import updates
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")

LONG = "ご" * 100_000
DEEP = 100_000

JUNK_BODIES: dict[str, bytes] = {
    "empty": b"",
    "null": b"null",
    "number": b"5",
    "string": b'"x"',
    "list": b"[]",
    "object": b"{}",
    "text": b"not json",
    "truncated": b'{"events": [',
    "non-utf8": b"\xff\xfe\xfa\x80",
    "shift-jis": json.dumps({"events": "日本語"}, ensure_ascii=False).encode("shift_jis"),
    "nul-bytes": b"\x00" * 16,
    "bom": b"\xef\xbb\xbf{}",
    "nested-lists": b"[" * DEEP,
    "nested-lists-closed": b"[" * 2000 + b"]" * 2000,
    "nested-objects": b'{"a":' * 50_000,
    "nested-40": b'{"events": ' + b"[" * 40 + b"]" * 40 + b"}",
    "nan": b'{"events": [], "x": NaN}',
    "infinity": b'{"events": [], "x": 1e999}',
    "huge-int": b'{"events": [], "x": ' + b"9" * 5000 + b"}",
    "lone-surrogate-key": b'{"\\ud800": 1, "events": []}',
}

WRONG: dict[str, Any] = {
    "int": 5,
    "negative": -1,
    "float": 1.5,
    "bool": True,
    "null": None,
    "string": "x",
    "empty": "",
    "list": [1, "x", None],
    "object": {"a": {"b": None}},
    "surrogate": "\ud800",
    "nul": "a\x00b",
    "long": LONG,
}

# Texts a citizen may really send (or a broken client may): each must be answered.
ANSWERED_TEXTS: dict[str, str] = {
    "plain": "ごみの出し方",
    "lone-surrogate": "ごみ\ud800の出し方",
    "low-surrogate": "\udfffごみ",
    "nul": "ごみ\x00の出し方",
    "long": LONG,
    "emoji": "ごみ🗑️の出し方",
    "control": "ごみ\x07\x1b[31m",
    "rtl": "\u202eごみ",
}

_numbers = itertools.count(1)


@dataclass
class Case:
    """One request; ``answered`` names what must reach the platform when it is processed."""

    path: str
    body: bytes
    headers: dict[str, str]
    answered: str | None = None  # a LINE user id or a Telegram chat id


def _encode(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")  # ASCII escapes: lone surrogates survive


def line(body: bytes, answered: str | None = None) -> Case:
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    return Case("/webhooks/line", body, headers, answered)


def telegram(body: bytes, answered: str | None = None) -> Case:
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
    }
    return Case("/webhooks/telegram", body, headers, answered)


def web(body: bytes, content_type: str = "application/json") -> Case:
    return Case("/api/chat", body, {"Content-Type": content_type})


def _line_body(*events: Any) -> bytes:
    return _encode({"destination": "Ubot0000000000000000000000000000", "events": list(events)})


def _line_cases() -> dict[str, Case]:
    cases = {f"junk-{name}": line(body) for name, body in JUNK_BODIES.items()}
    for name, value in WRONG.items():
        cases[f"events-{name}"] = line(_encode({"events": value}))
        cases[f"destination-{name}"] = line(_encode({"destination": value, "events": []}))
        cases[f"event-is-{name}"] = line(_line_body(value))
    for field in (
        "type",
        "mode",
        "source",
        "webhookEventId",
        "replyToken",
        "timestamp",
        "deliveryContext",
        "message",
    ):
        for name, value in WRONG.items():
            event = text_event("ごみの出し方", user=f"Ufield{next(_numbers):027d}")
            event[field] = value
            cases[f"event.{field}-{name}"] = line(_line_body(event))
    for field in ("type", "id", "text", "contentProvider"):
        for name, value in WRONG.items():
            event = text_event("ごみの出し方", user=f"Umessage{next(_numbers):025d}")
            event["message"][field] = value
            cases[f"message.{field}-{name}"] = line(_line_body(event))
    for name, value in WRONG.items():
        event = line_event("postback", postback=value)
        cases[f"postback-{name}"] = line(_line_body(event))
        image = {"type": "image", "id": "1", "contentProvider": value}
        event = line_event("message", message=image)
        cases[f"image.contentProvider-{name}"] = line(_line_body(event))
        event = line_event("message", message={"type": "location", "id": "2", "latitude": value})
        cases[f"location.latitude-{name}"] = line(_line_body(event))
    for depth in (40, 1000, DEEP):
        body = _line_body({**text_event("ごみ"), "extra": "NEST"})
        nested = b"[" * depth + b'"x"' + b"]" * depth
        cases[f"event-nested-{depth}"] = line(body.replace(b'"NEST"', nested))
    for name, text in ANSWERED_TEXTS.items():
        event = text_event(text, user=f"Uvalid{next(_numbers):027d}")
        cases[f"answered-{name}"] = line(_line_body(event), answered=event["source"]["userId"])
    return cases


def _telegram_cases() -> dict[str, Case]:
    cases = {f"junk-{name}": telegram(body) for name, body in JUNK_BODIES.items()}
    for name, value in WRONG.items():
        cases[f"update_id-{name}"] = telegram(_encode({"update_id": value}))
        update = updates.text("ごみ")
        update["message"] = value
        cases[f"message-is-{name}"] = telegram(_encode(update))
        update = updates.text("ごみ")
        update["callback_query"] = value
        del update["message"]
        cases[f"callback-is-{name}"] = telegram(_encode(update))
    for field in ("message_id", "from", "chat", "date", "text", "entities", "photo", "location"):
        for name, value in WRONG.items():
            update = updates.text("ごみの出し方", user_id=8_000_000_000 + next(_numbers))
            update["message"][field] = value
            cases[f"message.{field}-{name}"] = telegram(_encode(update))
    for name, text in ANSWERED_TEXTS.items():
        chat = 9_000_000_000 + next(_numbers)
        update = updates.text(text, user_id=chat)
        cases[f"answered-{name}"] = telegram(_encode(update), answered=str(chat))
    return cases


def _web_cases() -> dict[str, Case]:
    cases = {f"junk-{name}": web(body) for name, body in JUNK_BODIES.items()}
    cases["form-encoded"] = web(b"text=gomi", "application/x-www-form-urlencoded")
    cases["no-content-type"] = web(_encode({"text": "gomi"}), "")
    for name, value in WRONG.items():
        for key in ("text", "choice", "event", "location"):
            cases[f"{key}-{name}"] = web(_encode({key: value}))
    cases["two-keys"] = web(_encode({"text": "ごみ", "choice": "x"}))
    for name, text in ANSWERED_TEXTS.items():
        cases[f"text-{name}"] = web(_encode({"text": text}))
    return cases


CASES = {
    **{f"line/{name}": case for name, case in _line_cases().items()},
    **{f"telegram/{name}": case for name, case in _telegram_cases().items()},
    **{f"web/{name}": case for name, case in _web_cases().items()},
}


@dataclass
class Target:
    runtime: Runtime
    client: httpx.AsyncClient
    line_api: FakeLineApi
    telegram_api: FakeTelegram


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(
    tmp_path_factory: pytest.TempPathFactory, knowledge: Knowledge
) -> AsyncIterator[Target]:
    """The app with LINE, Telegram and the web chat on, against both fake platforms."""
    folder: Path = tmp_path_factory.mktemp("bad-input")
    line_api, telegram_api = FakeLineApi(token=LINE_TOKEN), FakeTelegram()
    async with serve(line_api.app) as line_base, serve(telegram_api.app) as telegram_base:
        line_api.base_url, telegram_api.base_url = line_base, telegram_base
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{folder / 'bot.db'}",
            line_channel_secret=Secret(LINE_SECRET),
            line_access_token=Secret(LINE_TOKEN),
            line_api_base=line_base,
            telegram_token=Secret(TELEGRAM_TOKEN),
            telegram_webhook_secret=Secret(TELEGRAM_SECRET),
            telegram_api_base=f"{telegram_base}/bot",
            attachments_dir=folder / "attachments",
        )
        app = create_app(settings, knowledge=knowledge)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="https://citybot.test") as client,
        ):
            yield Target(app.state.runtime, client, line_api, telegram_api)


async def test_the_table_is_large() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize("name", list(CASES))
async def test_bad_input_never_5xx(target: Target, name: str) -> None:
    case = CASES[name]
    response = await target.client.post(case.path, content=case.body, headers=case.headers)
    assert response.status_code < 500, response.text[:200]
    await target.runtime.inbox.drain()  # background processing: must finish, not crash
    health = await target.client.get("/healthz")
    assert health.status_code == 200
    if case.answered is None:
        return
    assert response.status_code == 200
    if case.path == "/webhooks/line":
        # Replied while the token is fresh, else pushed (the table is built at collection, so
        # in a long test run its events are older than a reply token lives).
        body = json.loads(case.body)
        token = body["events"][0]["replyToken"]
        replied = [c.body.get("replyToken") for c in target.line_api.accepted("reply")]
        pushed = [c.body.get("to") for c in target.line_api.accepted("push")]
        assert token in replied or case.answered in pushed
    else:
        chats = [str(c.params.get("chat_id")) for c in target.telegram_api.delivered()]
        assert case.answered in chats


@pytest.mark.parametrize("name", list(ANSWERED_TEXTS))
async def test_web_chat_answers_odd_texts(target: Target, name: str) -> None:
    target.client.cookies.clear()  # a new visitor: earlier junk may have handed theirs to staff
    body = _encode({"text": ANSWERED_TEXTS[name][:9000]})
    response = await target.client.post("/api/chat", content=body, headers=web(body).headers)
    assert response.status_code == 200
    assert response.json()["replies"], response.json()


async def test_an_event_failing_in_processing_is_not_retried_forever(target: Target) -> None:
    """Stored, then failing in the parser: marked failed, not resumed at the next start, and
    the next citizen is still answered."""
    inbox = target.runtime.inbox
    update = updates.text("ごみ", user_id=9_100_000_001)
    update["message"]["chat"] = 5  # python-telegram-bot cannot build a Message from this
    response = await target.client.post(
        "/webhooks/telegram", content=_encode(update), headers=telegram(b"").headers
    )
    assert response.status_code == 200
    await inbox.drain()
    async with target.runtime.store.unit() as unit:
        assert await unit.events.pending() == []
    assert await inbox.resume() == 0
    good = updates.text("ごみの出し方", user_id=9_100_000_002)
    await target.client.post(
        "/webhooks/telegram", content=_encode(good), headers=telegram(b"").headers
    )
    await inbox.drain()
    chats = [str(c.params.get("chat_id")) for c in target.telegram_api.delivered()]
    assert "9100000002" in chats
