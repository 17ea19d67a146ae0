"""Publish staff edits of the knowledge base and keep every process's knowledge current.

    loop = KnowledgeLoop(store, knowledge, events, clock)
    await loop.publish("faq.snow.plowing_criteria", data, note="…", staff_id=3, ip="…")
    # this process answers with the new text at once; the others within POLL_SECONDS:
    asyncio.create_task(loop.run())   # a `knowledge` event, or the revision check every 2 s

Every version is a row (author, time, diff of the YAML rendering); the newest per entry is
live, layered over the shipped YAML. The highest version id is the knowledge revision: each
process compares it with the revision it has applied and applies what it has not seen.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.clock import Clock
from bot.events import EventBus
from bot.knowledge_loop.entries import EntryInvalid, diff, entry_data, entry_hash, validate
from bot.knowledge_service import Knowledge
from bot.storage.base import Store, Unit
from bot.storage.base_knowledge import ReviewCheckRecord, VersionRecord
from bot.waiting import wait_at_most
from knowledge.schema import Entry

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
EVENT = "knowledge"


@dataclass(frozen=True)
class Conflict:
    """A staff edit based on a shipped entry that has changed (or gone) since."""

    entry_id: str
    edited: Entry | None
    shipped: Entry | None


class KnowledgeLoop:
    """The city's changes to the knowledge base: publish, revert, confirm, and apply live."""

    def __init__(self, store: Store, knowledge: Knowledge, events: EventBus, clock: Clock) -> None:
        self.store = store
        self.knowledge = knowledge
        self.events = events
        self.clock = clock
        self._sync = asyncio.Lock()

    # -- applying: this process and the others --------------------------------------------

    def _entry_of(self, version: VersionRecord) -> Entry | None:
        if version.data is None:
            return self.knowledge.shipped.entries.get(version.entry_id)
        try:
            return Entry.model_validate(version.data)
        except ValidationError:  # the schema changed since it was published: keep shipped
            logger.warning(
                "knowledge version %s of %s no longer valid", version.id, version.entry_id
            )
            return self.knowledge.shipped.entries.get(version.entry_id)

    async def sync(self) -> int:
        """Apply the versions this process has not seen yet; return how many entries changed."""
        async with self._sync:
            known = self.knowledge.revision
            async with self.store.unit() as unit:
                revision = await unit.knowledge_edits.revision()
                if revision <= known:
                    return 0
                versions = await unit.knowledge_edits.latest(after=known)
            changes = [(v.entry_id, self._entry_of(v)) for v in versions]
            changed = await asyncio.to_thread(self.knowledge.apply, changes, revision)
        logger.info("knowledge revision %d applied (%d entries changed)", revision, changed)
        return changed

    async def run(self, interval: float = POLL_SECONDS) -> None:
        """Apply changes on each ``knowledge`` event and, across processes, every ``interval``."""
        async with self.events.subscribe() as queue:
            while not self.events.closed.is_set():
                await wait_at_most(interval, _next(queue, EVENT))
                try:
                    await self.sync()
                except Exception:
                    logger.exception("knowledge sync failed; trying again later")

    # -- reading ---------------------------------------------------------------------------

    async def latest(self) -> dict[str, VersionRecord]:
        """The live version of every entry the city has changed."""
        async with self.store.unit() as unit:
            return {v.entry_id: v for v in await unit.knowledge_edits.latest()}

    async def history(self, entry_id: str) -> list[VersionRecord]:
        async with self.store.unit() as unit:
            return await unit.knowledge_edits.history(entry_id)

    async def checks(self, entry_id: str | None = None) -> dict[str, dict[str, ReviewCheckRecord]]:
        """Review checks by entry, then by item."""
        async with self.store.unit() as unit:
            rows = await unit.knowledge_edits.checks(entry_id)
        found: dict[str, dict[str, ReviewCheckRecord]] = {}
        for row in rows:
            found.setdefault(row.entry_id, {})[row.item] = row
        return found

    def conflicts(self, latest: Mapping[str, VersionRecord]) -> list[Conflict]:
        shipped = self.knowledge.shipped.entries
        found: list[Conflict] = []
        for version in latest.values():
            if version.data is None:
                continue
            original = shipped.get(version.entry_id)
            if version.base_hash != entry_hash(original):
                found.append(Conflict(version.entry_id, self._entry_of(version), original))
        return found

    # -- changing --------------------------------------------------------------------------

    async def publish(
        self,
        entry_id: str,
        data: dict[str, Any] | None,
        *,
        note: str | None,
        staff_id: int,
        ip: str | None,
        action: str = "edit",
    ) -> VersionRecord:
        """Validate, store a version, tell every process; live here before this returns.

        ``data=None`` goes back to the shipped entry. ``note=None`` keeps the current note.

        Raises:
            EntryInvalid: the schema or the cross-checks refuse the entry.
        """
        entry = validate(data, self.knowledge.kb) if data is not None else None
        if entry is not None and entry.id != entry_id:
            raise EntryInvalid([f"id: must stay {entry_id!r}"])
        shipped = self.knowledge.shipped.entries.get(entry_id)
        async with self.store.unit() as unit:
            history = await unit.knowledge_edits.history(entry_id)
            current = history[0] if history else None
            before = self._entry_of(current) if current is not None else shipped
            after = entry if entry is not None else shipped
            version = await unit.knowledge_edits.publish(
                entry_id,
                entry_data(entry) if entry is not None else None,
                note=note if note is not None else (current.note if current else ""),
                base_hash=entry_hash(shipped),
                action=action,
                author_id=staff_id,
                diff=diff(before, after, entry_id),
                now=self.clock(),
            )
            await _audit(unit, staff_id, f"knowledge.{action}", entry_id, version.id, ip)
        self.events.publish(EVENT, {"revision": version.id, "entry_id": entry_id})
        await self.sync()
        return version

    async def revert(self, entry_id: str, version_id: int, staff_id: int, ip: str | None) -> None:
        """Publish an earlier version again (a new version: history is never rewritten)."""
        async with self.store.unit() as unit:
            old = await unit.knowledge_edits.version(version_id)
        if old is None or old.entry_id != entry_id:
            raise EntryInvalid([f"version {version_id} is not a version of {entry_id}"])
        await self.publish(
            entry_id, old.data, note=old.note, staff_id=staff_id, ip=ip, action="revert"
        )

    async def create(self, data: dict[str, Any], note: str, staff_id: int, ip: str | None) -> str:
        """A new FAQ entry; its id is generated from its category."""
        category = str(data.get("category") or "general")
        entry_id = f"faq.{category}.staff_{secrets.token_hex(3)}"
        data = {**data, "id": entry_id, "kind": "faq"}
        await self.publish(entry_id, data, note=note, staff_id=staff_id, ip=ip, action="create")
        return entry_id

    async def add_paraphrase(
        self, entry_id: str, question: str, staff_id: int, ip: str | None
    ) -> bool:
        """A citizen's wording becomes a question of the entry; ``False`` if it already was."""
        entry = self.knowledge.entry(entry_id)
        if entry is None:
            raise EntryInvalid([f"unknown entry {entry_id!r}"])
        if question in entry.questions:
            return False
        data = entry_data(entry)
        data["questions"] = [*entry.questions, question]
        await self.publish(
            entry_id, data, note=None, staff_id=staff_id, ip=ip, action="paraphrase"
        )
        return True

    async def set_check(
        self,
        entry_id: str,
        item: str,
        *,
        fact: str,
        confirmed: bool,
        staff_id: int,
        ip: str | None,
    ) -> ReviewCheckRecord:
        entry = self.knowledge.entry(entry_id)
        if entry is None or item not in entry.review:
            raise EntryInvalid([f"review: {item!r} is not a review item of {entry_id}"])
        async with self.store.unit() as unit:
            check = await unit.knowledge_edits.set_check(
                entry_id, item, fact=fact, confirmed=confirmed, staff_id=staff_id, now=self.clock()
            )
            action = "knowledge.confirm" if confirmed else "knowledge.unconfirm"
            await unit.audit.add(
                staff_id, action, target=f"entry:{entry_id}", detail={"item": item}, ip=ip
            )
        return check


def verified(entry: Entry, checks: Mapping[str, ReviewCheckRecord]) -> bool:
    """Every city-specific detail of the entry is confirmed by staff."""
    return all(item in checks and checks[item].confirmed for item in entry.review)


async def _next(queue: asyncio.Queue[dict[str, Any]], kind: str) -> dict[str, Any]:
    while True:
        event = await queue.get()
        if event.get("kind") == kind:
            return event


async def _audit(
    unit: Unit, staff_id: int, action: str, entry_id: str, version: int, ip: str | None
) -> None:
    await unit.audit.add(
        staff_id, action, target=f"entry:{entry_id}", detail={"version": version}, ip=ip
    )
