"""What the flow runner keeps between messages, and the services it works with.

A flow in progress lives in the conversation state only — nothing personal is stored anywhere
else before the citizen confirms::

    state["flow"] = {
        "id": "flow.bulky_waste", "phase": "steps", "step": "count",
        "answers": {"items": ["sofa"]}, "shown": {"items": "ソファ"},
        "attachments": [], "started_at": "…", "touched_at": "…",
        "return_to": None, "paused": False,
    }

``phase`` is one of :data:`PHASES`; ``step`` is an eligibility question id in the
``eligibility`` phase and a step id in ``steps``; ``return_to`` is ``"summary"`` while an item
is being fixed from the summary; ``paused`` is set after an unrelated question was answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.choices import encode_command
from bot.messages import Choice

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.procedures.attachments import AttachmentStore
    from bot.storage.base import Store, Unit
    from handlers.base import Turn
    from knowledge.flow_schema import Flow
    from knowledge.flows import FlowCatalog

logger = logging.getLogger(__name__)

TOKYO = ZoneInfo("Asia/Tokyo")
FLOW_KEY = "flow"
PHASES = ("eligibility", "privacy", "steps", "summary", "fix")
COMMAND_PREFIX = "flow:"  # choice values are "c:flow:<action>[:<argument>]"


@dataclass(frozen=True)
class FlowServices:
    """The flows, the store and the clock the flow handlers need (built by the engine)."""

    catalog: FlowCatalog
    store: Store
    clock: Clock
    attachments: AttachmentStore | None = None  # files of photos; ``None``: rows only

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """Today in Asahikawa: dates the citizen gives are read against it."""
        return self.clock().astimezone(TOKYO).date()


def flow_choice(turn: Turn, key: str, action: str) -> Choice:
    """A button that sends the flow command ``action`` (``send``, ``opt:sofa`` …)."""
    return Choice(turn.say(key), encode_command(COMMAND_PREFIX + action))


def flow_command(turn: Turn) -> str | None:
    """The flow action of a pressed button (``opt:sofa``), or ``None``."""
    command = turn.command or ""
    return command[len(COMMAND_PREFIX) :] if command.startswith(COMMAND_PREFIX) else None


def progress(state: Mapping[str, Any]) -> dict[str, Any] | None:
    value = state.get(FLOW_KEY)
    return value if isinstance(value, dict) else None


def begin(state: dict[str, Any], flow: Flow, now: dt.datetime) -> dict[str, Any]:
    """Start ``flow`` in the conversation state (any earlier progress is replaced)."""
    stamp = now.isoformat()
    record: dict[str, Any] = {
        "id": flow.id,
        "phase": "steps",
        "step": None,
        "answers": {},
        "shown": {},
        "attachments": [],
        "started_at": stamp,
        "touched_at": stamp,
        "return_to": None,
        "paused": False,
    }
    state[FLOW_KEY] = record
    return record


def expired(record: Mapping[str, Any], flow: Flow | None, now: dt.datetime) -> bool:
    """Whether the flow has been left alone longer than it may be."""
    if flow is None:
        return True
    try:
        touched = dt.datetime.fromisoformat(str(record.get("touched_at")))
    except ValueError:
        return True
    return now - touched > dt.timedelta(minutes=flow.expires_after_minutes)


def flow_deadline(state: Mapping[str, Any], catalog: FlowCatalog) -> dt.datetime | None:
    """When the flow in progress in ``state`` expires (``None``: no flow)."""
    record = progress(state)
    if record is None:
        return None
    flow = catalog.flows.get(str(record.get("id")))
    try:
        touched = dt.datetime.fromisoformat(str(record.get("touched_at")))
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # unreadable: expire at the next sweep
    if flow is None or touched.tzinfo is None:
        return touched.replace(tzinfo=touched.tzinfo or dt.UTC)
    return touched + dt.timedelta(minutes=flow.expires_after_minutes)


def attachment_ids(record: Mapping[str, Any]) -> list[int]:
    return [int(i) for i in record.get("attachments") or [] if isinstance(i, int)]


async def delete_attachments(services: FlowServices, ids: Sequence[int]) -> int:
    """Delete photos uploaded during a flow that was not sent: rows and files."""
    if not ids:
        return 0
    keys: list[str] = []
    async with services.store.unit() as unit:
        for attachment_id in ids:
            record = await unit.attachments.get(attachment_id)
            if record is None or record.application_id is not None:
                continue
            keys.append(record.storage_key)
            await unit.attachments.delete(attachment_id)
    await delete_files(services, keys)
    return len(keys)


async def delete_files(services: FlowServices, keys: Sequence[str]) -> None:
    """Delete stored files after their rows are gone (a missing file is not an error)."""
    files = services.attachments
    if files is None:
        return
    for key in keys:
        try:
            await asyncio.to_thread(files.delete, key)
        except (OSError, ValueError):
            logger.warning("attachment file could not be deleted")


async def discard(services: FlowServices, state: dict[str, Any]) -> dict[str, Any] | None:
    """Drop the flow in progress and the photos it collected; returns what was dropped."""
    record = state.pop(FLOW_KEY, None)
    if isinstance(record, dict):
        await delete_attachments(services, attachment_ids(record))
        return record
    return None


async def expire_in_unit(
    unit: Unit, services: FlowServices, conversation_id: int, now: dt.datetime
) -> list[str] | None:
    """Drop an expired (or already gone) flow of one conversation inside ``unit``.

    Returns the file keys of its photos to delete after the commit, or ``None`` while the flow
    is still within its time.
    """
    convo = await unit.conversations.get(conversation_id)
    if convo is None:
        return []
    state = dict(convo.state or {})
    record = progress(state)
    if record is None:
        return []
    if not expired(record, services.catalog.flows.get(str(record.get("id"))), now):
        return None
    keys: list[str] = []
    for attachment_id in attachment_ids(record):
        found = await unit.attachments.get(attachment_id)
        if found is not None and found.application_id is None:
            keys.append(found.storage_key)
            await unit.attachments.delete(attachment_id)
    state.pop(FLOW_KEY, None)
    state.pop("last_choices", None)
    await unit.conversations.update(conversation_id, state=state)
    logger.info("conversation %s: unfinished flow expired and deleted", conversation_id)
    return keys
