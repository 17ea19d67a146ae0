"""Inbound platform events: stored first, acknowledged, then processed exactly once, in order.

    if await inbox.accept("line", event_id, event):   # False: a redelivery, already stored
        inbox.schedule("line", event_id, event)        # wakes the workers

The webhook only stores: the event (and, for a text, the citizen's message) in one transaction,
then answers the platform. A bounded pool of workers claims stored events from the database —
per citizen, the oldest pending event, and only once the answer to the one before it has been
sent — so one citizen's answers reach the platform in order however many processes share the
database; past saturation the backlog waits in the database and drains in order.

Processing an event is one transaction: the replies, the conversation state, the outbox rows
and the event's processed mark are committed together; the replies are sent after the commit
and marked sent in batches. A crash before the commit processes the event again (nothing of it
was kept); after it, the outbox sends what is not marked sent, with the same retry key.

A photo message from a channel that is a :class:`bot.procedures.photos.PhotoSource` is
downloaded and kept as an attachment before the engine sees it (:meth:`Inbox.prepare`),
outside any transaction; its message is stored by the engine, not at the webhook.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.channels.base import Channel, Recipient
from bot.delivery.outbox import Delivery, replies_to_payload
from bot.engine import Citizen, Engine
from bot.messages import Incoming, Kind, Reply
from bot.metrics import Metrics
from bot.procedures.attachments import AttachmentStore
from bot.procedures.photos import PhotoSource, fetch_photo
from bot.storage.base import Store, Unit
from bot.storage.base_inbox import ClaimedEvent, OutboxItem
from bot.storage.records import Channel as ChannelName
from bot.waiting import wait_at_most

logger = logging.getLogger(__name__)

#: Payload key of an event whose citizen message was stored with it: the user id.
STORED = "_citybot_stored_user"
WORKERS = 16  # events processed at once per process
LEASE_SECONDS = 60.0
RETRY_AFTER = dt.timedelta(seconds=2)  # a passing database fault: the event is claimed again
RETRY_ATTEMPTS = 5  # a crashed process's claims are taken over after this


def passing_fault(exc: BaseException) -> bool:
    """A fault of the database or the way to it that may be gone a moment later: SQLite busy
    past its timeout, a dropped or refused connection, a serialization failure."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, ConnectionError | TimeoutError)


class Inbox:
    """Stores platform events, then parses and answers each exactly once.

    Args:
        attachments: where downloaded photos are kept; without it, photo messages reach the
            engine with the platform's reference only.
        workers: how many events are processed at once (the pool is bounded: a burst waits
            in the database, not in memory).
        single_process: SQLite: at start every lease is dropped (no other process holds one).
    """

    def __init__(
        self,
        store: Store,
        engine: Engine,
        delivery: Delivery,
        channels: Mapping[str, Channel],
        attachments: AttachmentStore | None = None,
        *,
        workers: int = WORKERS,
        lease: float = LEASE_SECONDS,
        poll_interval: float = 0.5,
        single_process: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.engine = engine
        self.delivery = delivery
        self.channels = dict(channels)
        self.attachments = attachments
        self.workers = workers
        self.lease = lease
        self.poll_interval = poll_interval
        self.single_process = single_process
        self._running: set[asyncio.Task[None]] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._rounds = 0  # dispatch rounds completed (drain waits for a fresh one)
        self._last_claimed = 0
        self._full = False  # the last round left no worker free
        delivery.on_sent(self._wake.set)  # a citizen's next event may go once this one is sent
        delivery.carry_marks(self._wake.set)  # and the claim's transaction writes its mark

    # --- the webhook side -----------------------------------------------------------------

    async def accept(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> bool:
        """Persist an event (with the citizen's message when it can be); True the first time."""
        adapter = self.channels.get(channel)
        try:
            parsed = adapter.parse_event(payload) if adapter is not None else []
        except Exception:  # stored all the same: processing records what is wrong with it
            logger.warning("%s event %s could not be parsed", channel, event_id, exc_info=True)
            parsed = []
        citizen = f"{parsed[0][0].channel}:{parsed[0][0].user_id}" if parsed else None
        stored = dict(payload)
        name = cast(ChannelName, channel)
        try:
            async with self.store.unit(urgent=True) as unit:
                if len(parsed) == 1 and self._stored_at_once(adapter, parsed[0][0]):
                    incoming = parsed[0][0]
                    # A write first (SQLite: the lock, so the check below sees every commit).
                    user = await unit.users.get_or_create(
                        name, incoming.user_id, display_name=incoming.display_name
                    )
                    # Behind an event whose message the engine stores (a photo), this one's
                    # must wait too, or the conversation would show them out of order.
                    if citizen is None or not await unit.inbox.waiting_unstored(citizen, STORED):
                        # The message, its user id in the event, one transaction: a repeat
                        # (the insert below finds the event) rolls the message back.
                        stored[STORED] = await self.engine.store_incoming(unit, incoming, user)
                if await unit.inbox.record(name, event_id, stored, citizen) is None:
                    raise _Repeat
        except _Repeat:
            return False
        self.metrics.event_received(channel)
        return True

    def _stored_at_once(self, adapter: Channel | None, incoming: Incoming) -> bool:
        needs_download = self.attachments is not None and isinstance(adapter, PhotoSource)
        return not (incoming.kind is Kind.IMAGE and needs_download)

    def schedule(self, channel: str = "", event_id: str = "", payload: Any = None) -> None:
        """An event was accepted: wake the workers (the webhook answers at once)."""
        self._wake.set()

    # --- the workers ----------------------------------------------------------------------

    def start(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="inbox-dispatcher")

    async def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        await asyncio.gather(*list(self._running), return_exceptions=True)

    async def resume(self) -> int:
        """At start: drop dead leases (one process on SQLite); return the backlog."""
        now = self.store.clock()
        async with self.store.unit() as unit:
            if self.single_process:
                await unit.inbox.release(now)
            return await unit.inbox.backlog()

    async def backlog(self) -> int:
        """Stored events not processed yet."""
        async with self.store.unit() as unit:
            return await unit.inbox.backlog()

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            free = self.workers - len(self._running)
            claimed: list[tuple[ClaimedEvent, Citizen | None]] = []
            if free > 0 or self.delivery.marks_waiting():
                try:
                    claimed = await self._claim(max(free, 0))
                except Exception:  # the dispatcher must survive a database hiccup
                    logger.exception("inbox: claiming events failed")
            for event, known in claimed:
                task = asyncio.create_task(self._process(event, known))
                self._running.add(task)
                task.add_done_callback(self._finished)
            self._last_claimed = len(claimed)
            self._full = free <= 0 or len(claimed) == free
            self._rounds += 1
            if free > 0 and len(claimed) == free:
                continue  # maybe more waiting
            await wait_at_most(self.poll_interval, self._wake.wait())

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._full:  # events may be waiting for a free worker
            self._wake.set()

    async def _claim(self, limit: int) -> list[tuple[ClaimedEvent, Citizen | None]]:
        """One transaction: the sent marks waiting, then the claim, with each claimed
        citizen's user and open conversation (the answer's transaction starts from them)."""
        now = self.store.clock()
        lease_until = now + dt.timedelta(seconds=self.lease)
        marks = self.delivery.take_marks()
        committed = False
        try:
            async with self.store.unit() as unit:
                await unit.inbox.sent(marks, self.delivery.clock())
                claimed = await unit.inbox.claim(now, lease_until, limit) if limit else []
                found: list[tuple[ClaimedEvent, Citizen | None]] = []
                for event in claimed:
                    stored = event.payload.get(STORED)
                    known = None
                    if stored is not None:
                        known = await self.engine.known_citizen(unit, int(stored))
                    found.append((event, known))
            committed = True
        finally:
            self.delivery.marks_committed(marks, committed)
        return found

    async def _process(self, event: ClaimedEvent, known: Citizen | None = None) -> None:
        started = time.perf_counter()
        try:
            sends = await self._answer(event, known)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            now = self.store.clock()
            async with self.store.unit() as unit:
                if passing_fault(exc):  # nothing of the answer was kept: try again shortly
                    # the last try marks the event failed in the same statement
                    retried = await unit.inbox.retry_later(
                        event.id, error, now, now + RETRY_AFTER, RETRY_ATTEMPTS
                    )
                else:
                    retried = False
                    await unit.inbox.failed(event.id, error, now)
            if retried:
                logger.warning("%s event %s: retried: %s", event.channel, event.event_id, error)
                return
            logger.error(
                "%s event %s: processing failed", event.channel, event.event_id, exc_info=exc
            )
            self.metrics.event_processed(event.channel, False, time.perf_counter() - started)
            self._wake.set()  # the citizen's next event may go now
            return
        self.metrics.event_processed(event.channel, True, time.perf_counter() - started)
        for outbox_id, recipient, payload in sends:  # after the commit, in order
            await self.delivery.send_stored(outbox_id, event.channel, recipient, payload)
        if not sends:  # with sends, the citizen's next event waits for their sent marks
            self._wake.set()

    async def _answer(
        self, event: ClaimedEvent, known: Citizen | None = None
    ) -> list[tuple[int, Recipient, dict[str, Any]]]:
        adapter = self.channels.get(event.channel)
        if adapter is None:
            msg = f"channel {event.channel!r} is not enabled"
            raise RuntimeError(msg)
        payload = dict(event.payload)
        stored = payload.pop(STORED, None)
        parsed = adapter.parse_event(payload)
        sends: list[tuple[int, Recipient, dict[str, Any]]] = []
        if not parsed:
            async with self.store.unit() as unit:
                await unit.inbox.done(event.id, self.store.clock())
            return sends
        for number, (incoming, recipient) in enumerate(parsed):
            last = number == len(parsed) - 1
            if stored is None:
                incoming = await self.prepare(adapter, incoming)

            async def finish(
                unit: Unit,
                replies: Sequence[Reply],
                recipient: Recipient = recipient,
                last: bool = last,
            ) -> None:
                now = self.store.clock()
                if replies:
                    payload = replies_to_payload(replies, recipient.context)
                    item = OutboxItem(
                        event.channel,
                        recipient.user_id,
                        payload,
                        event.citizen_key,
                        self.delivery.lease_end(),  # not due for the worker while we send it
                    )
                    [outbox_id] = await unit.inbox.enqueue([item], now)
                    sends.append((outbox_id, recipient, payload))
                if last:
                    await unit.inbox.done(event.id, now)

            await self.engine.handle(
                incoming,
                stored=int(stored) if stored is not None else None,
                finish=finish,
                known=known if len(parsed) == 1 else None,
            )
        return sends

    async def prepare(self, adapter: Channel, incoming: Incoming) -> Incoming:
        """The message as the engine should see it: a photo fetched and kept first.

        Runs after parsing and before the engine, with no transaction open, so a slow platform
        holds up only this citizen's message.
        """
        if self.attachments is None or not isinstance(adapter, PhotoSource):
            return incoming
        return await fetch_photo(adapter, incoming, self.store, self.attachments)

    async def drain(self, *, limit: float = 60.0) -> None:
        """Wait until nothing claimable is left, nothing is in flight and every answer sent so
        far is marked sent (tests, tools).

        Events waiting behind an answer the outbox retries later stay stored. Raises
        :class:`TimeoutError`, saying what is still busy, if that takes over ``limit`` seconds.
        """
        try:
            async with asyncio.timeout(limit):
                await self._drain()
        except TimeoutError:
            dispatcher = "running" if self._working() else "stopped"
            msg = (
                f"inbox still busy after {limit:.0f} s: {len(self._running)} events in flight, "
                f"sent marks {'written' if self.delivery.settled() else 'pending'}, "
                f"dispatcher {dispatcher}"
            )
            raise TimeoutError(msg) from None

    def _working(self) -> bool:
        return self._dispatcher is not None and not self._dispatcher.done()

    async def _drain(self) -> None:
        while True:
            await asyncio.gather(*list(self._running), return_exceptions=True)
            await self.delivery.settle()
            if not self._working():
                return
            start = self._rounds
            while self._rounds < start + 2 and self._working():  # a whole round after this
                self._wake.set()
                await asyncio.sleep(0.002)
            if self._last_claimed == 0 and not self._running and self.delivery.settled():
                return


class _Repeat(Exception):
    """The event was stored before: roll back the message stored with it."""
