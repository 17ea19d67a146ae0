"""The web chat's photo upload and "send my location", as the page uses them."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from starlette.applications import Starlette

from bot.app import create_app
from bot.channels.web.api import COOKIE, COOKIE_SALT
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.db import SqlStore
from bot.storage.models import Attachment
from bot.storage.records import AttachmentRecord, MessageRecord
from tests.fakes.images import MB, NOT_AN_IMAGE, big_jpeg, png

NewVisitor = Callable[[], httpx.AsyncClient]
ASAHIKAWA_STATION = {"latitude": 43.762857, "longitude": 142.358154}


@pytest.fixture
async def app(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings, knowledge=knowledge)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def visitors(app: Starlette) -> AsyncIterator[NewVisitor]:
    """Each call is a new browser: its own cookie jar."""
    clients: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield new
    for client in clients:
        await client.aclose()


@pytest.fixture
def visitor(visitors: NewVisitor) -> httpx.AsyncClient:
    return visitors()


def runtime_of(app: Starlette) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def upload(
    client: httpx.AsyncClient, data: bytes, name: str = "photo.jpg", kind: str = "image/jpeg"
) -> httpx.Response:
    return await client.post("/api/chat/photo", files={"photo": (name, data, kind)})


def visitor_id(app: Starlette, client: httpx.AsyncClient) -> str:
    """The visitor this browser is, read from its signed cookie."""
    cookie = client.cookies.get(COOKIE)
    assert cookie
    secret = runtime_of(app).settings.secret_key.get()
    value: str = URLSafeTimedSerializer(secret, salt=COOKIE_SALT).loads(cookie)
    return value


async def stored(app: Starlette, client: httpx.AsyncClient) -> list[MessageRecord]:
    """What the engine stored as received from this visitor, oldest first."""
    external_id = visitor_id(app, client)
    async with runtime_of(app).store.unit() as unit:
        user = await unit.users.get_or_create("web", external_id)
        convo = await unit.conversations.open_for(user.id)
        messages = await unit.messages.recent(convo.id)
    return [m for m in messages if m.direction == "in"]


async def kept(app: Starlette) -> list[AttachmentRecord]:
    """Every attachment row, checked against the files on disk (one file per row)."""
    runtime = runtime_of(app)
    store = runtime.store
    assert isinstance(store, SqlStore)
    async with store.engine.connect() as conn:
        ids = list((await conn.execute(select(Attachment.id).order_by(Attachment.id))).scalars())
    async with store.unit() as unit:
        found = [record for i in ids if (record := await unit.attachments.get(i)) is not None]
    root = runtime.attachments.root
    on_disk = sorted(p.name for p in root.iterdir()) if root.exists() else []
    assert sorted(a.storage_key for a in found) == on_disk
    return found


def texts(body: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in body["replies"])


async def test_a_photo_is_kept_and_answered(app: Starlette, visitor: httpx.AsyncClient) -> None:
    photo = png(32, 24)

    response = await upload(visitor, photo, "IMG_0001.PNG", "image/png")

    assert response.status_code == 200, response.text
    assert texts(response.json())  # the bot answered
    assert response.headers["cache-control"] == "no-store"
    [attachment] = await kept(app)
    assert (attachment.content_type, attachment.size) == ("image/png", len(photo))
    assert attachment.sha256 == hashlib.sha256(photo).hexdigest()
    assert runtime_of(app).attachments.open(attachment.storage_key) == photo
    [message] = await stored(app, visitor)
    assert message.kind == "image"
    assert message.payload == {
        "attachment_id": attachment.id,
        "content_type": "image/png",
        "size": len(photo),
    }


async def test_the_photo_goes_to_the_visitor_named_by_the_cookie(
    app: Starlette, visitors: NewVisitor
) -> None:
    alice, bob = visitors(), visitors()
    await alice.post("/api/chat", json={"text": "こんにちは"})
    await bob.post("/api/chat", json={"text": "こんにちは"})

    response = await upload(alice, png())  # no CSRF token: the signed cookie is enough

    assert response.status_code == 200
    assert [m.kind for m in await stored(app, alice)] == ["text", "image"]
    assert [m.kind for m in await stored(app, bob)] == ["text"]
    history = (await alice.get("/api/chat/history")).json()["messages"]
    assert [m.get("kind") for m in history if m["from"] == "citizen"] == [None, "image"]


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (NOT_AN_IMAGE, "申請書.pdf", "application/pdf"),
        (NOT_AN_IMAGE, "photo.jpg", "image/jpeg"),  # a renamed file: the bytes decide
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", "image/svg+xml"),
    ],
    ids=["pdf", "renamed", "svg"],
)
async def test_a_file_that_is_not_a_photo_is_refused_with_400_and_the_bots_re_ask(
    app: Starlette, visitor: httpx.AsyncClient, data: bytes, name: str, kind: str
) -> None:
    response = await upload(visitor, data, name, kind)

    assert response.status_code == 400
    body = response.json()
    assert body["reason"] == "field_photo_type"
    assert texts(body)  # the engine saw the refusal and answered it
    assert await kept(app) == []
    [message] = await stored(app, visitor)
    assert message.payload == {"rejected": "field_photo_type"}


async def test_a_photo_over_10_mb_is_refused_with_413(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    response = await upload(visitor, big_jpeg(10 * MB + 1))

    assert response.status_code == 413
    body = response.json()
    assert body["reason"] == "field_photo_size"
    assert body["limit"] == 10 * MB
    assert texts(body)
    assert await kept(app) == []
    [message] = await stored(app, visitor)
    assert message.payload == {"rejected": "field_photo_size"}


async def test_a_far_larger_upload_is_cut_off_before_it_is_read(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    response = await upload(visitor, big_jpeg(12 * MB))

    assert response.status_code == 413
    assert await kept(app) == []


async def test_the_ordinary_body_limit_still_holds_elsewhere(visitor: httpx.AsyncClient) -> None:
    response = await visitor.post("/api/chat", json={"text": "あ" * (2 * MB)})

    assert response.status_code == 413


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"json": {"photo": "data:image/png;base64,iVBOR"}},
        {"files": {"image": ("a.png", png(), "image/png")}},
        {
            "files": [
                ("photo", ("a.png", png(), "image/png")),
                ("photo", ("b.png", png(), "image/png")),
            ]
        },
    ],
    ids=["json", "wrong-field", "two-files"],
)
async def test_a_malformed_upload_is_refused_without_keeping_anything(
    app: Starlette, visitor: httpx.AsyncClient, request_kwargs: dict[str, Any]
) -> None:
    response = await visitor.post("/api/chat/photo", **request_kwargs)

    assert response.status_code == 400
    assert "error" in response.json()
    assert await kept(app) == []


async def test_a_location_from_the_browser_reaches_the_engine(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    response = await visitor.post("/api/chat", json={"location": ASAHIKAWA_STATION})

    assert response.status_code == 200, response.text
    assert texts(response.json())
    [message] = await stored(app, visitor)
    assert message.kind == "location"
    assert message.payload == ASAHIKAWA_STATION
    history = (await visitor.get("/api/chat/history")).json()["messages"]
    assert [m.get("kind") for m in history if m["from"] == "citizen"] == ["location"]


@pytest.mark.parametrize(
    "location",
    [
        {"latitude": 143.0, "longitude": 142.36},
        {"latitude": "43.76", "longitude": 142.36},
        {"latitude": True, "longitude": 142.36},
        {"latitude": 43.76},
        {"latitude": 43.76, "longitude": 142.36, "address": "<b>x</b>"},
        [43.76, 142.36],
    ],
    ids=["out-of-range", "string", "boolean", "missing", "extra-field", "list"],
)
async def test_a_malformed_location_is_refused(
    visitor: httpx.AsyncClient, location: object
) -> None:
    response = await visitor.post("/api/chat", json={"location": location})

    assert response.status_code == 400
    assert "error" in response.json()


async def test_the_page_offers_labelled_photo_and_location_buttons(
    visitor: httpx.AsyncClient,
) -> None:
    page = await visitor.get("/")

    html = page.text
    assert 'id="photo"' in html
    assert ">写真を送る</button>" in html
    assert ">現在地を送る</button>" in html
    assert 'accept="image/*"' in html
    assert f'data-max-bytes="{10 * MB}"' in html
    # the page may ask for the position (its own origin only), never camera or microphone
    assert page.headers["permissions-policy"] == ("camera=(), microphone=(), geolocation=(self)")
