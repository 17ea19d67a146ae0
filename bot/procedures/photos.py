"""Photos from citizens: bytes from a channel become an attachment the engine can refer to.

    payload = await keep_photo(store, files, "line", "U123", data, "image/jpeg")
    # {"attachment_id": 7, "content_type": "image/jpeg", "size": 48213}
    # or {"rejected": "field_photo_type"} / {"rejected": "field_photo_size"}

LINE and Telegram send a reference, not the photo: :func:`fetch_photo` asks the channel for the
bytes (at most :data:`DOWNLOAD_TIMEOUT` seconds) before the engine sees the message; the web chat
uploads the bytes itself. Either way the file is written first and its row added after, in a
short transaction of its own: no download or file write ever happens inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast, runtime_checkable

from bot.errors import ChannelError
from bot.messages import Incoming, Kind
from bot.procedures.attachments import AttachmentRejected, AttachmentStore
from bot.storage.base import Store
from bot.storage.records import Channel as ChannelName

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 15.0  # seconds for the whole download of one photo
DOWNLOAD_FAILED = "field_photo_download"  # the re-ask key when the platform did not deliver


@dataclass(frozen=True)
class Download:
    """A photo's bytes as the platform delivered them, with the type it declared (if any)."""

    data: bytes
    declared_type: str | None = None


@runtime_checkable
class PhotoSource(Protocol):
    """A channel whose photo messages carry a reference that must be downloaded."""

    async def download(self, incoming: Incoming) -> Download:
        """Fetch the bytes of ``incoming``'s photo.

        Raises:
            ChannelError: the platform refused or failed, or the message has nothing to fetch.
        """
        ...


def rejected(reason_key: str) -> dict[str, Any]:
    """The payload of a photo that was not kept; ``reason_key`` names the re-ask text."""
    return {"rejected": reason_key}


async def keep_photo(
    store: Store,
    files: AttachmentStore,
    channel: ChannelName,
    external_id: str,
    data: bytes,
    declared_type: str | None,
    *,
    display_name: str | None = None,
) -> dict[str, Any]:
    """Save the bytes as an attachment of the citizen; return the payload for the engine.

    The attachment store checks the real type (magic bytes) and the size; a refusal becomes a
    ``{"rejected": reason_key}`` payload rather than an error, so the engine can re-ask.
    """
    try:
        saved = await asyncio.to_thread(files.save, data, declared_type)
    except AttachmentRejected as exc:
        logger.info("%s photo refused (%s, %d bytes)", channel, exc.reason_key, len(data))
        return rejected(exc.reason_key)
    try:
        async with store.unit() as unit:
            user = await unit.users.get_or_create(channel, external_id, display_name=display_name)
            record = await unit.attachments.add(
                user.id, saved.content_type, saved.size, saved.sha256, saved.storage_key
            )
    except BaseException:
        await asyncio.to_thread(files.delete, saved.storage_key)  # no file without its row
        raise
    logger.info(
        "%s photo kept as attachment %d (%s, %d bytes)",
        channel,
        record.id,
        record.content_type,
        record.size,
    )
    return {
        "attachment_id": record.id,
        "content_type": record.content_type,
        "size": record.size,
    }


def wants_download(incoming: Incoming) -> bool:
    """A photo message that still carries the platform's reference (not kept, not refused)."""
    payload = incoming.payload or {}
    return (
        incoming.kind is Kind.IMAGE
        and "rejected" not in payload
        and "attachment_id" not in payload
    )


async def fetch_photo(
    source: PhotoSource, incoming: Incoming, store: Store, files: AttachmentStore
) -> Incoming:
    """The message with its photo downloaded and kept, or with a ``rejected`` payload.

    A photo the platform announces as larger than the store takes is refused without being
    downloaded. A download that fails or takes longer than :data:`DOWNLOAD_TIMEOUT` gives
    ``{"rejected": "field_photo_download"}``: the citizen is asked to send the photo again.
    """
    if not wants_download(incoming):
        return incoming
    announced = (incoming.payload or {}).get("file_size")
    if isinstance(announced, int) and announced > files.max_bytes:
        logger.info("%s photo refused before download (%d bytes)", incoming.channel, announced)
        return replace(incoming, payload=rejected("field_photo_size"))
    try:
        async with asyncio.timeout(DOWNLOAD_TIMEOUT):
            download = await source.download(incoming)
    except TimeoutError:
        logger.warning(
            "%s photo download timed out after %.0f s", incoming.channel, DOWNLOAD_TIMEOUT
        )
        return replace(incoming, payload=rejected(DOWNLOAD_FAILED))
    except ChannelError as exc:
        logger.warning("%s photo download failed: %s", incoming.channel, exc)
        return replace(incoming, payload=rejected(DOWNLOAD_FAILED))
    payload = await keep_photo(
        store,
        files,
        cast(ChannelName, incoming.channel),
        incoming.user_id,
        download.data,
        download.declared_type,
        display_name=incoming.display_name,
    )
    return replace(incoming, payload=payload)
