"""The web chat API as the page uses it: greeting, questions, choices, identity, bad input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette

from bot.app import create_app
from bot.channels.base import Recipient
from bot.channels.web.api import COOKIE, MAX_TEXT, WebChannel
from bot.knowledge_service import Knowledge
from bot.messages import Reply
from bot.settings import Settings

NewVisitor = Callable[[], httpx.AsyncClient]
JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db", **extra)


@pytest.fixture
async def app(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Starlette]:
    app = create_app(_settings(tmp_path), knowledge=knowledge)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def visitors(app: Starlette) -> AsyncIterator[NewVisitor]:
    """Each call is a new browser: its own cookie jar."""
    clients: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return client

    yield new
    for client in clients:
        await client.aclose()


@pytest.fixture
def visitor(visitors: NewVisitor) -> httpx.AsyncClient:
    return visitors()


async def chat(client: httpx.AsyncClient, **body: str) -> dict[str, Any]:
    response = await client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in result["replies"])


def said(messages: list[dict[str, Any]]) -> list[str]:
    """What the citizen sent, as the transcript shows it."""
    return [m["text"] for m in messages if m["from"] == "citizen"]


def choices_of(result: dict[str, Any]) -> list[dict[str, str]]:
    return [c for r in result["replies"] for c in r["choices"]]


async def test_page_is_accessible_and_sends_security_headers(visitor: httpx.AsyncClient) -> None:
    page = await visitor.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="ja">' in html
    assert 'name="viewport"' in html
    assert 'role="log"' in html
    assert 'aria-live="polite"' in html
    assert '<label for="message"' in html
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    for path, kind in re.findall(r'(?:src|href)="(assets/web/[^"]+\.(js|css)\?v=\w+)"', html):
        asset = await visitor.get("/" + path)
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(
            "text/javascript" if kind == "js" else "text/css"
        )
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert (await visitor.get("/assets/web/secret.py")).status_code == 404


async def test_opening_the_page_greets_once_with_the_menu(visitor: httpx.AsyncClient) -> None:
    greeting = await chat(visitor, event="open")
    assert greeting["outcome"] == "info"
    assert greeting["language"] == "ja"
    assert "旭川市役所" in text_of(greeting)
    assert len(choices_of(greeting)) >= 5
    again = await chat(visitor, event="open")
    assert again["replies"] == []


async def test_a_question_gets_an_answer_with_feedback_choices(visitor: httpx.AsyncClient) -> None:
    answer = await chat(visitor, text="粗大ごみの収集を申し込みたい")
    assert answer["outcome"] == "answer"
    assert "粗大ごみ" in text_of(answer)
    assert [c["label"] for c in choices_of(answer)][:2] == ["はい", "いいえ"]


async def test_a_choice_value_is_followed(visitor: httpx.AsyncClient) -> None:
    greeting = await chat(visitor, event="open")
    garbage = next(c for c in choices_of(greeting) if "ごみ" in c["label"])
    picked = await chat(visitor, choice=garbage["value"])
    assert picked["outcome"] in ("answer", "choices", "info")
    assert "ごみ" in text_of(picked)
    feedback = await chat(visitor, text="粗大ごみの収集を申し込みたい")
    yes = choices_of(feedback)[0]
    thanks = await chat(visitor, choice=yes["value"])
    assert "ありがとう" in text_of(thanks)


async def test_the_cookie_keeps_each_visitors_conversation_apart(visitors: NewVisitor) -> None:
    alice, bob = visitors(), visitors()
    answer = await chat(alice, text="粗大ごみの収集を申し込みたい")
    await chat(bob, text="明日の競馬の予想を教えて")
    thanks = await chat(alice, text="1")  # a number picks from this visitor's last choices
    assert "ありがとう" in text_of(thanks)

    alice_history = (await alice.get("/api/chat/history")).json()["messages"]
    bob_history = (await bob.get("/api/chat/history")).json()["messages"]
    assert said(alice_history) == ["粗大ごみの収集を申し込みたい", "1"]
    assert any(m["from"] == "bot" and "粗大ごみ" in m["text"] for m in alice_history)
    offered = [c["label"] for m in alice_history for c in m["choices"]]
    assert offered[:2] == ["はい", "いいえ"]  # choices come back with the transcript
    assert said(bob_history) == ["明日の競馬の予想を教えて"]
    assert all(m["text"] != answer["replies"][0]["text"] for m in bob_history)


async def test_history_shows_a_picked_choice_by_its_label(visitor: httpx.AsyncClient) -> None:
    greeting = await chat(visitor, event="open")
    first = choices_of(greeting)[0]
    await chat(visitor, choice=first["value"])
    history = (await visitor.get("/api/chat/history")).json()
    messages = history["messages"]
    assert messages[0]["from"] == "bot"  # the open event itself is not shown
    assert "旭川市役所" in messages[0]["text"]
    assert said(messages) == [first["label"]]
    assert history["language"] == "ja"


async def test_a_new_visitor_has_no_history(visitor: httpx.AsyncClient) -> None:
    response = await visitor.get("/api/chat/history")
    assert response.json() == {"messages": [], "language": "ja"}


async def test_the_language_switch_changes_the_next_answers(visitor: httpx.AsyncClient) -> None:
    greeting = await chat(visitor, event="open")
    switched = await chat(visitor, text="English")
    assert switched["language"] == "en"
    assert "English" in text_of(switched)
    topic = choices_of(greeting)[0]["value"]  # a menu button, pressed after the switch
    answer = await chat(visitor, choice=topic)
    assert answer["language"] == "en"
    assert not JA.search(text_of(answer))
    assert (await visitor.get("/api/chat/history")).json()["language"] == "en"
    back = await chat(visitor, choice="c:lang:ja")
    assert back["language"] == "ja"
    assert JA.search(text_of(back))


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        (b"", {"content-type": "application/json"}, "no body"),
        (b"{not json", {"content-type": "application/json"}, "not valid JSON"),
        (b"\xff\xfe", {"content-type": "application/json"}, "not valid JSON"),
        ('{"text": "ごみ"}'.encode(), {"content-type": "text/plain"}, "application/json"),
        ('["ごみ"]'.encode(), {"content-type": "application/json"}, "JSON object"),
        (b"{}", {"content-type": "application/json"}, "JSON object"),
        (b'{"text": 5}', {"content-type": "application/json"}, "must be a string"),
        (b'{"text": "  "}', {"content-type": "application/json"}, "empty"),
        ('{"message": "ごみ"}'.encode(), {"content-type": "application/json"}, "unknown field"),
        (b'{"text": "a", "choice": "b"}', {"content-type": "application/json"}, "one of"),
        (
            b'{"session": "s", "text": "a"}',
            {"content-type": "application/json"},
            "got session, text",
        ),
        (b'{"event": "close"}', {"content-type": "application/json"}, "unknown event"),
    ],
)
async def test_bad_requests_are_refused_with_a_json_error(
    visitor: httpx.AsyncClient, content: bytes, headers: dict[str, str], message: str
) -> None:
    response = await visitor.post("/api/chat", content=content, headers=headers)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert COOKIE not in response.cookies


async def test_an_oversized_message_is_refused_with_the_limit(visitor: httpx.AsyncClient) -> None:
    response = await visitor.post("/api/chat", json={"text": "あ" * (MAX_TEXT + 1)})
    assert response.status_code == 413
    body = response.json()
    assert body["limit"] == MAX_TEXT
    assert "too long" in body["error"]
    accepted = await chat(visitor, text="あ" * MAX_TEXT)  # at the limit it is still answered
    assert accepted["replies"]


async def test_wrong_method_is_answered_in_json(visitor: httpx.AsyncClient) -> None:
    response = await visitor.get("/api/chat")
    assert response.status_code == 405
    assert "error" in response.json()


async def test_the_visitor_cookie_is_httponly_lax_and_signed(visitor: httpx.AsyncClient) -> None:
    response = await visitor.post("/api/chat", json={"text": "粗大ごみの収集を申し込みたい"})
    header = response.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    assert "HttpOnly" in header
    assert "samesite=lax" in header.lower()
    assert "Secure" not in header  # plain http in tests; see the https test below
    value = response.cookies[COOKIE]
    assert "." in value
    assert len(value) > 30


async def test_a_forged_cookie_does_not_reach_another_visitors_conversation(
    tmp_path: Path, app: Starlette, visitors: NewVisitor
) -> None:
    alice = visitors()
    await chat(alice, text="粗大ごみの収集を申し込みたい")
    before = (await alice.get("/api/chat/history")).json()["messages"]
    cookie = alice.cookies[COOKIE]
    secret = app.state.settings.secret_key.get()
    alice_id = URLSafeTimedSerializer(secret, salt="citybot.web.visitor").loads(cookie)
    forgeries = [
        cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"),  # tampered signature
        alice_id,  # the bare id
        URLSafeTimedSerializer("another-key-of-sufficient-length").dumps(alice_id),
    ]
    for forged in forgeries:
        mallory = visitors()
        mallory.cookies.set(COOKIE, forged)
        assert (await mallory.get("/api/chat/history")).json()["messages"] == []
        reply = await mallory.post("/api/chat", json={"text": "1"})
        assert "ありがとう" not in text_of(reply.json())  # not Alice's feedback choice
        assert reply.cookies[COOKIE] != forged  # a fresh, properly signed identity instead
    assert (await alice.get("/api/chat/history")).json()["messages"] == before


async def test_the_cookie_is_secure_behind_https(tmp_path: Path, knowledge: Knowledge) -> None:
    app = create_app(_settings(tmp_path, https=True), knowledge=knowledge)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://testserver") as client,
    ):
        response = await client.post("/api/chat", json={"event": "open"})
    assert "Secure" in response.headers["set-cookie"]


async def test_late_replies_to_a_web_visitor_do_not_fail() -> None:
    channel = WebChannel()
    await channel.send(Recipient("visitor"), [Reply("職員からの返信です")])
