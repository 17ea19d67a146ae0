"""A citizen chatting with the engine: a migrated SQLite file, a frozen clock and a real photo
folder."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, Outcome
from bot.procedures.attachments import AttachmentStore
from bot.storage.base import Store
from bot.storage.db import SqlStore

# Monday 30 November 2026, 10:00 in Asahikawa.
NOW = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@dataclass
class Chat:
    """One citizen (``user`` on ``channel``) talking to the engine."""

    engine: Engine
    store: Store
    files: AttachmentStore
    clock: FrozenClock
    channel: str = "line"
    user: str = "U1"
    last: Outcome | None = field(default=None)

    async def send(self, incoming: Incoming) -> Outcome:
        self.last = await self.engine.handle(incoming)
        return self.last

    async def say(self, text: str) -> Outcome:
        return await self.send(Incoming(self.channel, self.user, text=text))

    async def press(self, label: str) -> Outcome:
        """Press the button with this label among the last reply's choices."""
        assert self.last is not None
        values = [c.value for c in self.last.choices if c.label == label]
        assert values, f"no button {label!r} in {[c.label for c in self.last.choices]}"
        return await self.send(Incoming(self.channel, self.user, text=values[0], kind=Kind.CHOICE))

    async def photo(self, data: bytes | None = None) -> tuple[Outcome, int]:
        """Send a photo the way the channels do: stored first, then its attachment id."""
        saved = self.files.save(data or png(), "image/png")
        async with self.store.unit() as unit:
            user = await unit.users.get_or_create(self.channel, self.user)  # type: ignore[arg-type]
            record = await unit.attachments.add(
                user.id, saved.content_type, saved.size, saved.sha256, saved.storage_key
            )
        payload = {
            "attachment_id": record.id,
            "content_type": saved.content_type,
            "size": saved.size,
        }
        outcome = await self.send(
            Incoming(self.channel, self.user, kind=Kind.IMAGE, payload=payload)
        )
        return outcome, record.id

    async def location(self, latitude: float, longitude: float, **extra: Any) -> Outcome:
        payload = {"latitude": latitude, "longitude": longitude, **extra}
        return await self.send(
            Incoming(self.channel, self.user, kind=Kind.LOCATION, payload=payload)
        )

    async def state(self) -> dict[str, Any]:
        async with self.store.unit() as unit:
            user = await unit.users.get_or_create(self.channel, self.user)  # type: ignore[arg-type]
            convo = await unit.conversations.open_for(user.id)
            return dict(convo.state)

    def labels(self) -> list[str]:
        assert self.last is not None
        return [c.label for c in self.last.choices]

    def as_(self, channel: str, user: str) -> Chat:
        """Another citizen on the same engine."""
        return Chat(self.engine, self.store, self.files, self.clock, channel, user)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def chat(knowledge: Knowledge, tmp_path: Path, sqlite_store: SqlStore) -> Chat:
    files = AttachmentStore(tmp_path / "attachments")
    engine = Engine(knowledge, sqlite_store, attachments=files)
    assert isinstance(sqlite_store.clock, FrozenClock)
    return Chat(engine, sqlite_store, files, sqlite_store.clock)
