"""The attachment store: citizens' photos as files outside any served directory.

Usage::

    store = AttachmentStore.from_settings(settings)      # ./var/attachments by default
    try:
        saved = await asyncio.to_thread(store.save, data, "image/jpeg")
    except AttachmentRejected as exc:
        ...  # re-ask with flow message exc.reason_key (params in exc.params)
    row = await unit.attachments.add(user_id, saved.content_type, saved.size, saved.sha256,
                                     saved.storage_key)
    data = store.open(row.storage_key)                    # for staff of the owning department

What a file is comes from its first bytes, never from the name or the type the platform
claims: only JPEG, PNG, GIF, WebP and HEIC/HEIF photos are kept (SVG, which can carry
scripts, and everything else are refused). File names are random and validated on every use,
so a key can never point outside the store; the directory is ``0o700`` and files ``0o600``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from bot.errors import CityBotError

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AttachmentRejected",
    "AttachmentStore",
    "RejectReason",
    "SavedFile",
    "format_size",
    "sniff_image_type",
]

logger = logging.getLogger(__name__)

#: The default size limit of one photo: 10 MB.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

RejectReason = Literal["field_photo_type", "field_photo_size"]

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
# ISO base media brands (bytes 8-12 after "ftyp") of HEIF images; AVIF and videos are refused.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}
_KEY = re.compile(rf"[0-9a-f]{{32}}\.(?:{'|'.join(_EXTENSIONS.values())})")


class AttachmentRejected(CityBotError):
    """A file was refused; ``reason_key`` names the re-ask in ``flow_messages.yaml``."""

    def __init__(self, reason_key: RejectReason, params: dict[str, str] | None = None) -> None:
        """Keep the message key and its parameters (``{"max": "10 MB"}`` for size)."""
        super().__init__(reason_key)
        self.reason_key: RejectReason = reason_key
        self.params: dict[str, str] = params or {}


class SavedFile(NamedTuple):
    """What :meth:`AttachmentStore.save` stored: the row values of the attachment."""

    storage_key: str
    content_type: str
    size: int
    sha256: str


def sniff_image_type(data: bytes) -> str | None:
    """Return the image type the bytes really are, or ``None`` if not an allowed photo."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
    return None


def format_size(size: int) -> str:
    """Return a size for citizens: ``"10 MB"``, ``"512 KB"``."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, size // 1024)} KB"


class AttachmentStore:
    """Photos as files in one private directory, named by random keys."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """Keep files in ``root`` (created ``0o700`` on first save), each at most ``max_bytes``.

        Raises:
            ValueError: ``max_bytes`` is not positive.
        """
        if max_bytes <= 0:
            msg = f"max_bytes must be positive; got {max_bytes}"
            raise ValueError(msg)
        self.root = root
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentStore:
        """Return the store configured by ``CITYBOT_ATTACHMENTS_DIR`` and its size limit."""
        return cls(settings.attachments_dir, settings.attachments_max_bytes)

    def _path(self, storage_key: str) -> Path:
        # Keys are only ever ones we made: anything else (``../x``, ``/etc/passwd``, ``a/b``)
        # is refused before it gets near the file system.
        if not _KEY.fullmatch(storage_key):
            msg = f"not a storage key: {storage_key[:80]!r}"
            raise ValueError(msg)
        return self.root / storage_key

    def save(self, data: bytes, declared_type: str | None = None) -> SavedFile:
        """Check and store a photo; return its key, real type, size and SHA-256.

        ``declared_type`` (what the platform or browser said) is only compared with the real
        type for the log; the bytes decide.

        Raises:
            AttachmentRejected: ``field_photo_size`` over the limit, ``field_photo_type`` not
                an allowed image.
        """
        if len(data) > self.max_bytes:
            raise AttachmentRejected("field_photo_size", {"max": format_size(self.max_bytes)})
        content_type = sniff_image_type(data)
        if content_type is None:
            logger.info("attachment refused: not an allowed image (declared %s)", declared_type)
            raise AttachmentRejected("field_photo_type")
        if declared_type and declared_type.split(";")[0].strip().lower() != content_type:
            logger.info("attachment declared %s but is %s", declared_type, content_type)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        storage_key = f"{secrets.token_hex(16)}.{_EXTENSIONS[content_type]}"
        path = self._path(storage_key)
        temp = path.with_name(f".{storage_key}.part")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return SavedFile(storage_key, content_type, len(data), hashlib.sha256(data).hexdigest())

    def open(self, storage_key: str) -> bytes:
        """Return the file's bytes.

        Raises:
            ValueError: not a key this store makes.
            FileNotFoundError: the file is gone (purged).
        """
        return self._path(storage_key).read_bytes()

    def exists(self, storage_key: str) -> bool:
        """Return whether the file is there."""
        return self._path(storage_key).is_file()

    def delete(self, storage_key: str) -> None:
        """Delete the file; a file that is gone already is not an error.

        Raises:
            ValueError: not a key this store makes.
        """
        self._path(storage_key).unlink(missing_ok=True)
