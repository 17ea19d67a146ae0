"""`citybot line setup-richmenu` against the fake LINE API."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from bot.channels.line import load_richmenu, setup_richmenu
from bot.choices import decode
from bot.settings import Settings
from knowledge.system import load_system
from tests.channels.line.conftest import line_settings
from tests.fakes.line_api import FakeLineApi

in_fake_api_loop = pytest.mark.asyncio(loop_scope="package")  # where the fake LINE API runs


def tiny_png() -> bytes:
    """A valid 1x1 white PNG (the fake does not look at the picture)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "menu.png"
    path.write_bytes(tiny_png())
    return path


@in_fake_api_loop
async def test_creates_uploads_and_sets_the_default_menu(
    tmp_path: Path, line_api: FakeLineApi, image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = line_settings(tmp_path / "bot.db", line_api.base_url)

    assert await setup_richmenu(settings, image) == 0

    created, upload, default = line_api.accepted()
    assert (created.endpoint, upload.endpoint, default.endpoint) == (
        "richmenu",
        "content",
        "default",
    )
    menu_id = capsys.readouterr().out.strip()
    assert upload.path == f"/v2/bot/richmenu/{menu_id}/content"
    assert default.path == f"/v2/bot/user/all/richmenu/{menu_id}"
    assert upload.headers["content-type"] == "image/png"
    assert upload.body == tiny_png()
    body = created.body
    assert body["size"] == {"width": 2500, "height": 843}
    assert body["chatBarText"] == "メニュー"
    actions = [area["action"] for area in body["areas"]]
    assert [a["label"] for a in actions] == [
        "よくある質問",
        "手続き",
        "職員と話す",
        "ゴミ・除雪",
        "防災",
        "English",
    ]
    assert {a["data"] for a in actions} >= {"c:menu", "c:staff", "c:lang:en"}
    assert all(a["type"] == "postback" for a in actions)


def test_every_button_sends_a_choice_the_engine_understands() -> None:
    topics = len(load_system().menu)
    menu = load_richmenu(menu_items=topics)
    for area in menu.areas:
        value = decode(area.data)
        assert value is not None, area.label
        if value.action == "s":
            assert int(value.argument) < topics


@in_fake_api_loop
async def test_without_line_settings_it_explains_and_calls_nothing(
    tmp_path: Path, line_api: FakeLineApi, image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    assert await setup_richmenu(settings, image) != 0
    assert "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN" in capsys.readouterr().err
    assert line_api.calls == []


@in_fake_api_loop
async def test_without_an_image_it_explains_and_calls_nothing(
    tmp_path: Path, line_api: FakeLineApi, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = line_settings(tmp_path / "bot.db", line_api.base_url)
    assert await setup_richmenu(settings, None) != 0
    assert "--image" in capsys.readouterr().err
    assert line_api.calls == []


@in_fake_api_loop
async def test_failed_upload_removes_the_unfinished_menu(
    tmp_path: Path, line_api: FakeLineApi, image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = line_settings(tmp_path / "bot.db", line_api.base_url)
    line_api.fail("content", 400, "Image size must be 2500x843")

    assert await setup_richmenu(settings, image) == 1

    assert "upload the menu image" in capsys.readouterr().err
    assert [c.endpoint for c in line_api.accepted()] == ["richmenu", "delete"]
    assert line_api.accepted("default") == []
