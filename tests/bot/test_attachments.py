"""The attachment store: real photos are kept privately, anything else is refused clearly."""

from __future__ import annotations

import hashlib
import stat
import struct
import zlib
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.procedures.attachments import (
    DEFAULT_MAX_BYTES,
    AttachmentRejected,
    AttachmentStore,
    sniff_image_type,
)
from bot.settings import Settings
from knowledge.system import load_system


def png_1x1() -> bytes:
    """A valid 1x1 white PNG, as a phone would not send but a browser could."""

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


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def store(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "var" / "attachments")


@pytest.mark.parametrize(
    ("data", "declared", "content_type", "extension"),
    [
        (JPEG, "image/jpeg", "image/jpeg", ".jpg"),
        (png_1x1(), "image/png", "image/png", ".png"),
        (HEIC, "image/heic", "image/heic", ".heic"),
        (WEBP, None, "image/webp", ".webp"),
        (GIF, "application/octet-stream", "image/gif", ".gif"),
    ],
)
def test_a_photo_is_kept_with_its_real_type_and_checksum(
    store: AttachmentStore, data: bytes, declared: str | None, content_type: str, extension: str
) -> None:
    saved = store.save(data, declared)

    assert saved.content_type == content_type
    assert saved.size == len(data)
    assert saved.sha256 == hashlib.sha256(data).hexdigest()
    assert saved.storage_key.endswith(extension)
    assert store.open(saved.storage_key) == data
    assert store.exists(saved.storage_key)


def test_files_are_private_and_randomly_named(store: AttachmentStore) -> None:
    first = store.save(JPEG, "image/jpeg")
    second = store.save(JPEG, "image/jpeg")

    assert first.storage_key != second.storage_key
    assert "jpeg" not in first.storage_key.split(".")[0]  # nothing of the upload in the name
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE((store.root / first.storage_key).stat().st_mode) == 0o600
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        [first.storage_key, second.storage_key]
    )  # no temporary files left behind


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (b"Hello, this is a text file renamed photo.jpg\n", "image/jpeg"),
        (SVG, "image/svg+xml"),
        (SVG, "image/png"),
        (b"%PDF-1.7\n", "image/jpeg"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "image/avif"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
        (b"", None),
    ],
)
def test_anything_but_a_photo_is_refused_with_the_type_message(
    store: AttachmentStore, data: bytes, declared: str | None
) -> None:
    with pytest.raises(AttachmentRejected) as caught:
        store.save(data, declared)

    assert caught.value.reason_key == "field_photo_type"
    assert not store.root.exists() or list(store.root.iterdir()) == []


def test_ten_megabytes_pass_and_one_byte_more_is_refused(store: AttachmentStore) -> None:
    exactly = JPEG + b"\x00" * (DEFAULT_MAX_BYTES - len(JPEG))
    assert store.save(exactly).size == 10 * 1024 * 1024

    with pytest.raises(AttachmentRejected) as caught:
        store.save(exactly + b"\x00", "image/jpeg")

    assert caught.value.reason_key == "field_photo_size"
    assert caught.value.params == {"max": "10 MB"}
    assert len(list(store.root.iterdir())) == 1


def test_refusals_name_messages_that_exist_for_citizens(tmp_path: Path) -> None:
    system = load_system()
    small = AttachmentStore(tmp_path, max_bytes=1024)
    said = []
    for data in (b"text", JPEG + b"\x00" * 1024):
        with pytest.raises(AttachmentRejected) as caught:
            small.save(data)
        refusal = caught.value
        said.append(system.text(refusal.reason_key, "en", **refusal.params))
    assert "Only photos" in said[0]
    assert "1 KB" in said[1]


@pytest.mark.parametrize(
    "key",
    [
        "../secret_key",
        "../../etc/passwd",
        "/etc/passwd",
        "a/b.jpg",
        "..",
        "",
        "0123456789abcdef0123456789abcdef.svg",
        "0123456789ABCDEF0123456789ABCDEF.jpg",
        "0123456789abcdef0123456789abcdef.jpg/../../x",
        "0123456789abcdef0123456789abcdef.jpg\x00",
    ],
)
def test_a_key_can_never_reach_outside_the_store(
    tmp_path: Path, store: AttachmentStore, key: str
) -> None:
    (tmp_path / "var" / "secret_key").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "var" / "secret_key").write_text("do not serve")
    with pytest.raises(ValueError, match="storage key"):
        store.open(key)
    with pytest.raises(ValueError, match="storage key"):
        store.delete(key)
    assert (tmp_path / "var" / "secret_key").exists()


def test_delete_is_idempotent(store: AttachmentStore) -> None:
    saved = store.save(png_1x1(), "image/png")

    store.delete(saved.storage_key)
    store.delete(saved.storage_key)

    assert not store.exists(saved.storage_key)
    with pytest.raises(FileNotFoundError):
        store.open(saved.storage_key)


def test_sniffing_reads_bytes_not_names() -> None:
    assert sniff_image_type(JPEG) == "image/jpeg"
    assert sniff_image_type(b"\x00\x00\x00\x18ftypmif1") == "image/heif"
    assert sniff_image_type(SVG) is None
    assert sniff_image_type(b"\xff\xd8") is None  # truncated


def test_settings_default_the_store_under_var(tmp_path: Path) -> None:
    env = {"CITYBOT_VAR_DIR": str(tmp_path / "var"), "CITYBOT_SECRET_KEY": "x" * 32}
    settings = Settings.from_env(env, dotenv=tmp_path / "none.env")
    store = AttachmentStore.from_settings(settings)

    assert store.root == tmp_path / "var" / "attachments"
    assert store.root.is_dir()
    assert store.max_bytes == DEFAULT_MAX_BYTES


def test_settings_take_a_directory_and_a_size_limit(tmp_path: Path) -> None:
    env = {
        "CITYBOT_VAR_DIR": str(tmp_path / "var"),
        "CITYBOT_SECRET_KEY": "x" * 32,
        "CITYBOT_ATTACHMENTS_DIR": str(tmp_path / "private" / "photos"),
        "CITYBOT_ATTACHMENTS_MAX_MB": "5",
    }
    store = AttachmentStore.from_settings(Settings.from_env(env, dotenv=tmp_path / "none.env"))

    assert store.root == tmp_path / "private" / "photos"
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    with pytest.raises(AttachmentRejected, match="field_photo_size"):
        store.save(JPEG + b"\x00" * (5 * 1024 * 1024))


@pytest.mark.parametrize(
    ("name", "value"),
    [("CITYBOT_ATTACHMENTS_DIR", "{blocker}/photos"), ("CITYBOT_ATTACHMENTS_MAX_MB", "ten")],
)
def test_an_unusable_setting_stops_start_up_by_name(tmp_path: Path, name: str, value: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {
        "CITYBOT_VAR_DIR": str(tmp_path / "var"),
        "CITYBOT_SECRET_KEY": "x" * 32,
        name: value.format(blocker=blocker),
    }
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env, dotenv=tmp_path / "none.env")
