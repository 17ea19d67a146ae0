"""Outbound messages: stored in the outbox first, sent, and retried until they are delivered.

A message to a citizen that fails to send is never dropped: it stays in the outbox with the
error and is tried again with growing pauses; after ``max_attempts`` it is marked failed, where
staff can see it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from bot.channels.base import Channel, Recipient
from bot.clock import Clock
from bot.errors import ChannelError
from bot.messages import Choice, Reply
from bot.metrics import Metrics
from bot.storage.base import Store
from bot.storage.records import Channel as ChannelName
from bot.storage.records import OutboxRecord
from bot.waiting import wait_at_most

logger = logging.getLogger(__name__)


def replies_to_payload(replies: Sequence[Reply], context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "replies": [
            {"text": r.text, "choices": [[c.label, c.value] for c in r.choices]} for r in replies
        ],
        "context": dict(context),
    }


def payload_to_replies(payload: Mapping[str, Any]) -> list[Reply]:
    return [
        Reply(
            str(r["text"]), tuple(Choice(str(label), str(value)) for label, value in r["choices"])
        )
        for r in payload.get("replies", [])
    ]


class Delivery:
    """Sends replies through channels via the outbox, with retries."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        max_attempts: int = 8,
        first_delay: float = 2.0,
        poll_interval: float = 1.0,
        lease: float = 120.0,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or store.clock  # retry times and leases
        self.metrics = metrics or Metrics()
        self.channels = dict(channels)
        self.max_attempts = max_attempts
        self.first_delay = first_delay
        self.poll_interval = poll_interval
        self.lease = lease
        self._worker: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._marks: list[int] = []  # sent, not yet marked so in the database
        self._marking: asyncio.Task[None] | None = None
        self._carried: list[int] = []  # taken by another transaction, not committed yet
        self._carrier: Callable[[], None] | None = None
        self._listeners: list[Callable[[], None]] = []

    def on_sent(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever sent messages have been marked so (the inbox wakes)."""
        self._listeners.append(listener)

    async def send_stored(
        self, outbox_id: int, channel: str, recipient: Recipient, payload: Mapping[str, Any]
    ) -> bool:
        """First attempt of an outbox row just committed; marked sent in a batch after."""
        return await self._attempt(
            outbox_id, channel, recipient.user_id, payload, attempts=0, batch=True
        )

    def carry_marks(self, wake: Callable[[], None]) -> None:
        """Sent marks ride in another transaction that runs anyway (the inbox's claim): each
        new mark calls ``wake``, and that transaction writes them (:meth:`take_marks`)."""
        self._carrier = wake

    def take_marks(self) -> list[int]:
        """The sent marks waiting, for the caller's transaction; then :meth:`marks_committed`."""
        batch, self._marks = self._marks, []
        self._carried.extend(batch)
        return batch

    def marks_committed(self, batch: Sequence[int], committed: bool) -> None:
        """The transaction that carried ``batch`` ended: written, or waiting again."""
        taken = set(batch)
        self._carried = [i for i in self._carried if i not in taken]
        if not committed:
            self._marks[:0] = batch

    def marks_waiting(self) -> bool:
        return bool(self._marks)

    def _mark_later(self, outbox_id: int) -> None:
        """Group commit: every message sent while one batch is written goes in the next."""
        self._marks.append(outbox_id)
        if self._carrier is not None:
            self._carrier()
            return
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks(), name="outbox-marks")

    async def _write_marks(self) -> None:
        while self._marks:
            batch, self._marks = self._marks, []
            try:
                async with self.store.unit() as unit:
                    await unit.inbox.sent(batch, self.clock())
            except Exception:  # kept: written with the next batch
                logger.exception("outbox: marking %d messages sent failed", len(batch))
                self._marks[:0] = batch
                await asyncio.sleep(self.poll_interval)
                continue
            self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    async def settle(self) -> None:
        """Write the pending sent marks now (tests, shutdown)."""
        while self._marks or (self._marking is not None and not self._marking.done()):
            if self._marking is None or self._marking.done():
                self._marking = asyncio.create_task(self._write_marks(), name="outbox-marks")
            await asyncio.gather(self._marking, return_exceptions=True)

    def settled(self) -> bool:
        """Whether every message sent so far is marked sent in the database."""
        idle = self._marking is None or self._marking.done()
        return not self._marks and not self._carried and idle

    async def deliver(
        self,
        channel: str,
        recipient: Recipient,
        replies: Sequence[Reply],
        *,
        message_id: int | None = None,
    ) -> bool:
        """Store the replies in the outbox, then try to send them at once.

        ``message_id`` links the outbox row to the stored message it sends (staff replies), so
        the console can show whether it arrived. Returns whether they were sent now (if not,
        the worker retries them later).
        """
        if not replies:
            return True
        async with self.store.unit() as unit:
            payload = replies_to_payload(replies, recipient.context)
            # Due only after the lease: the worker must not send it while we try it now.
            outbox_id = await unit.outbox.enqueue(
                cast(ChannelName, channel),
                recipient.user_id,
                payload,
                message_id=message_id,
                available_at=self.lease_end(),
            )
        return await self._attempt(outbox_id, channel, recipient.user_id, payload, attempts=0)

    async def _attempt(
        self,
        outbox_id: int,
        channel: str,
        user_id: str,
        payload: Mapping[str, Any],
        attempts: int,
        *,
        batch: bool = False,
        unknown: bool = False,
    ) -> bool:
        """One try. ``unknown``: an earlier try may have reached the platform (a crash before
        its outcome was written); a channel then must not send it a second way."""
        adapter = self.channels.get(channel)
        error: str
        if adapter is None:
            error = f"channel {channel!r} is not enabled"
        else:
            try:
                context = dict(payload.get("context") or {})
                context["attempt"] = attempts
                context["outbox_id"] = outbox_id  # stable across retries: idempotency keys
                if unknown:
                    context["maybe_delivered"] = True
                await adapter.send(Recipient(user_id, context), payload_to_replies(payload))
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:  # a bug or an SDK surprise must not drop the message
                logger.exception("outbox %s: unexpected error while sending", outbox_id)
                error = f"{type(exc).__name__}: {exc}"
            else:
                if batch:
                    self._mark_later(outbox_id)
                    return True
                async with self.store.unit() as unit:
                    await unit.outbox.mark_sent(outbox_id)
                self.metrics.delivery(channel, "sent")
                self._notify()
                return True
        async with self.store.unit() as unit:
            if attempts + 1 >= self.max_attempts:
                await unit.outbox.give_up(outbox_id, error)
                self.metrics.delivery(channel, "failed")
                logger.error(
                    "outbox %s: gave up after %d attempts: %s", outbox_id, attempts + 1, error
                )
            else:
                delay = self.first_delay * (2**attempts)
                retry_at = self.clock() + dt.timedelta(seconds=delay)
                await unit.outbox.retry_later(outbox_id, error, retry_at)
                self.metrics.delivery(channel, "retry")
                logger.warning(
                    "outbox %s: send failed (%s); retry in %.0f s", outbox_id, error, delay
                )
        self._wake.set()
        return False

    def lease_end(self) -> dt.datetime:
        """While a message is being sent, it is not due: a crash makes it due again after."""
        return self.clock() + dt.timedelta(seconds=self.lease)

    async def flush(self) -> int:
        """Try every due message once; returns how many were sent."""
        async with self.store.unit() as unit:
            due: list[OutboxRecord] = await unit.outbox.claim(self.clock(), self.lease_end())
        sent = 0
        for item in due:
            # Never tried, yet due: whoever tried it first died before writing the outcome.
            sent += await self._attempt(
                item.id,
                item.channel,
                item.recipient,
                item.payload,
                item.attempts,
                unknown=item.attempts == 0,
            )
        return sent

    async def _run(self) -> None:
        while True:
            try:
                await self.flush()
            except Exception:  # the worker must survive a database hiccup
                logger.exception("outbox worker: flush failed")
            self._wake.clear()
            await wait_at_most(self.poll_interval, self._wake.wait())

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        await self.settle()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
