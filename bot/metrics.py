"""Prometheus metrics: counters kept by the services, gauges read from the database at scrape.

    metrics = Metrics()                       # one registry per app (tests build many apps)
    engine = Engine(..., metrics=metrics)     # handed to the services that count
    body = await metrics.scrape(store)        # GET /metrics

Counters count what this process did; with several server processes, Prometheus sums them per
instance. The gauges (inbox backlog, outbox depth, open escalations) come from the shared
database, so every process reports the same value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from bot.storage.base import Store

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric of one app, in its own :class:`CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_received = Counter(
            "citybot_events_received",
            "Platform webhook events stored for processing (redeliveries not counted)",
            ["channel"],
            registry=r,
        )
        self.events_processed = Counter(
            "citybot_events_processed",
            "Platform events processed, by result (done or failed)",
            ["channel", "result"],
            registry=r,
        )
        self.event_seconds = Histogram(
            "citybot_event_processing_seconds",
            "Time from taking a stored event to its replies handed to delivery",
            ["channel"],
            buckets=_SECONDS,
            registry=r,
        )
        self.messages = Counter(
            "citybot_messages",
            "Citizen messages handled by the engine, by channel and outcome",
            ["channel", "outcome"],
            registry=r,
        )
        self.turn_seconds = Histogram(
            "citybot_turn_seconds",
            "Time the engine took to answer one message (storage included)",
            ["channel"],
            buckets=_SECONDS,
            registry=r,
        )
        self.deliveries = Counter(
            "citybot_deliveries",
            "Send attempts from the outbox, by result (sent, retry, failed)",
            ["channel", "result"],
            registry=r,
        )
        self.inbox_backlog = Gauge(
            "citybot_inbox_backlog",
            "Stored platform events not processed yet (read from the database)",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "citybot_outbox_pending",
            "Outbox messages waiting to be sent or retried (read from the database)",
            registry=r,
        )
        self.escalations_open = Gauge(
            "citybot_escalations_open",
            "Hand-offs waiting for or being worked by staff (read from the database)",
            registry=r,
        )

    def event_received(self, channel: str) -> None:
        self.events_received.labels(channel).inc()

    def event_processed(self, channel: str, ok: bool, seconds: float) -> None:
        self.events_processed.labels(channel, "done" if ok else "failed").inc()
        self.event_seconds.labels(channel).observe(seconds)

    def turn(self, channel: str, outcome: str, seconds: float) -> None:
        self.messages.labels(channel, outcome).inc()
        self.turn_seconds.labels(channel).observe(seconds)

    def delivery(self, channel: str, result: str) -> None:
        """``result``: ``sent``, ``retry`` (will be tried again) or ``failed`` (given up)."""
        self.deliveries.labels(channel, result).inc()

    async def scrape(self, store: Store) -> bytes:
        """The exposition text, with the database gauges read now."""
        async with store.unit() as unit:
            backlog = await unit.backlog.counts()
        self.inbox_backlog.set(backlog.inbox)
        self.outbox_pending.set(backlog.outbox)
        self.escalations_open.set(backlog.escalations)
        exposition: bytes = generate_latest(self.registry)
        return exposition
