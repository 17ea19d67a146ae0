"""One contract, two backends: SQLite (file, migrated) and PostgreSQL (migrated).

Every test runs against each backend through the ``store`` fixture (see ``conftest.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from bot.storage import (
    ConversationStatus,
    EventStatus,
    OutboxStatus,
    RecordNotFoundError,
    SqlStore,
    Store,
)

TELEGRAM_ID = 7_000_000_001  # above 2**31: breaks 32-bit integer columns on PostgreSQL
UTC = dt.UTC


def assert_aware_utc(*values: dt.datetime | None) -> None:
    """Every value is ``None`` or an aware datetime in UTC."""
    for value in values:
        if value is not None:
            assert value.tzinfo is not None
            assert value.utcoffset() == dt.timedelta(0)


async def new_conversation(store: Store, external_id: str = "U1") -> tuple[int, int]:
    """Create a user and its open conversation; return both ids."""
    async with store.unit() as unit:
        user = await unit.users.get_or_create("line", external_id)
        convo = await unit.conversations.open_for(user.id)
    return user.id, convo.id


class Boom(Exception):
    """Raised inside a unit to force a rollback."""


class TestStoreContract:
    """Behaviour every :class:`bot.storage.Store` implementation must show."""

    async def test_store_answers_ping(self, store: Store) -> None:
        assert await store.ping() is True

    async def test_get_or_create_returns_one_user_per_channel_id(self, store: Store) -> None:
        async with store.unit() as unit:
            first = await unit.users.get_or_create(
                "telegram", str(TELEGRAM_ID), language="en", display_name="山田 太郎"
            )
        async with store.unit() as unit:
            again = await unit.users.get_or_create("telegram", str(TELEGRAM_ID), language="ja")
            other_channel = await unit.users.get_or_create("line", str(TELEGRAM_ID))
            fetched = await unit.users.get(first.id)
            missing = await unit.users.get(first.id + 1000)

        assert again == first == fetched
        assert int(again.external_id) == TELEGRAM_ID
        assert (again.language, again.display_name, again.active) == ("en", "山田 太郎", True)
        assert other_channel.id != first.id
        assert other_channel.language == "ja"
        assert missing is None
        assert_aware_utc(first.created_at, first.last_seen_at)

    async def test_user_changes_persist(self, store: Store) -> None:
        async with store.unit() as unit:
            user = await unit.users.get_or_create("web", "session-1")
        async with store.unit() as unit:
            await unit.users.set_language(user.id, "en")
            await unit.users.set_active(user.id, False)
            await unit.users.touch(user.id)
        async with store.unit() as unit:
            changed = await unit.users.get(user.id)

        assert changed is not None
        assert (changed.language, changed.active) == ("en", False)
        assert changed.last_seen_at > user.last_seen_at
        assert_aware_utc(changed.last_seen_at)

    async def test_bad_values_and_unknown_ids_are_refused(self, store: Store) -> None:
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="channel"):
                await unit.users.get_or_create("fax", "1")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="language"):
                await unit.users.set_language(1, "fr")  # type: ignore[arg-type]
            with pytest.raises(RecordNotFoundError):
                await unit.users.touch(999)
            with pytest.raises(RecordNotFoundError):
                await unit.conversations.open_for(999)
            with pytest.raises(RecordNotFoundError):
                await unit.conversations.update(999, status=ConversationStatus.CLOSED)
            with pytest.raises(RecordNotFoundError):
                await unit.messages.add(999, direction="in", author="citizen", text="x")
            with pytest.raises(RecordNotFoundError):
                await unit.events.mark_done("line", "nope")
            with pytest.raises(RecordNotFoundError):
                await unit.outbox.mark_sent(999)

    async def test_open_for_reuses_the_open_conversation_until_closed(self, store: Store) -> None:
        user_id, first_id = await new_conversation(store)
        async with store.unit() as unit:
            same = await unit.conversations.open_for(user_id)
            waiting = await unit.conversations.update(same.id, status=ConversationStatus.WAITING)
            still = await unit.conversations.open_for(user_id)
        assert same.id == still.id == first_id
        assert same.status is ConversationStatus.BOT
        assert same.state == {}
        assert still.status is waiting.status is ConversationStatus.WAITING

        async with store.unit() as unit:
            await unit.conversations.update(first_id, status=ConversationStatus.CLOSED)
        async with store.unit() as unit:
            fresh = await unit.conversations.open_for(user_id)
            closed = await unit.conversations.get(first_id)
        assert fresh.id != first_id
        assert (fresh.status, fresh.state) == (ConversationStatus.BOT, {})
        assert closed is not None
        assert closed.status is ConversationStatus.CLOSED

    async def test_state_update_replaces_and_persists(self, store: Store) -> None:
        _, convo_id = await new_conversation(store)
        state: dict[str, Any] = {
            "flow": "粗大ごみ",
            "step": 2,
            "choices": ["faq:gomi-01", "faq:gomi-02"],
            "answers": {"地区": "東光"},
            "failures": 1,
        }
        async with store.unit() as unit:
            before = await unit.conversations.get(convo_id)
            updated = await unit.conversations.update(convo_id, state=state)
        state["failures"] = 99  # the caller's dict is not shared with the store
        updated.state["step"] = 42  # nor is the returned one

        async with store.unit() as unit:
            stored = await unit.conversations.get(convo_id)
        assert before is not None
        assert stored is not None
        assert stored.state == {**state, "failures": 1}
        assert stored.updated_at > before.updated_at
        assert_aware_utc(stored.created_at, stored.updated_at)

        async with store.unit() as unit:
            await unit.conversations.update(convo_id, state={"flow": None})
            replaced = await unit.conversations.get(convo_id)
        assert replaced is not None
        assert replaced.state == {"flow": None}
        assert replaced.status is ConversationStatus.BOT

    async def test_japanese_text_and_json_round_trip_unescaped(self, store: Store) -> None:
        _, convo_id = await new_conversation(store)
        text_ja = "ｿﾀﾞｲｺﾞﾐの収集日はいつですか？🗑"
        payload = {"quick_reply": ["燃やすごみ", "資源物"], "nested": {"地区": "旭川"}}
        async with store.unit() as unit:
            added = await unit.messages.add(
                convo_id,
                direction="in",
                author="citizen",
                text=text_ja,
                kind="postback",
                payload=payload,
                platform_id="468789577898262530",
            )
        async with store.unit() as unit:
            (stored,) = await unit.messages.recent(convo_id)
        assert stored == added
        assert (stored.text, stored.payload, stored.kind) == (text_ja, payload, "postback")
        assert_aware_utc(stored.created_at)

        if isinstance(store, SqlStore):  # the stored JSON text itself is not \u-escaped
            async with store.engine.connect() as conn:
                raw = await conn.scalar(text("SELECT CAST(payload AS TEXT) FROM messages"))
            assert "燃やすごみ" in raw
            assert "\\u" not in raw

    async def test_empty_text_and_missing_payload(self, store: Store) -> None:
        _, convo_id = await new_conversation(store)
        async with store.unit() as unit:
            added = await unit.messages.add(
                convo_id, direction="out", author="bot", text="", kind="event"
            )
        assert (added.text, added.payload, added.platform_id) == ("", None, None)

    async def test_recent_is_oldest_first_and_limited(self, store: Store) -> None:
        _, convo_id = await new_conversation(store, "U1")
        _, other_id = await new_conversation(store, "U2")
        async with store.unit() as unit:
            for i in range(6):
                await unit.messages.add(
                    convo_id,
                    direction="in" if i % 2 == 0 else "out",
                    author="citizen" if i % 2 == 0 else "bot",
                    text=f"m{i}",
                )
            await unit.messages.add(other_id, direction="in", author="citizen", text="other")

        async with store.unit() as unit:
            last3 = await unit.messages.recent(convo_id, limit=3)
            everything = await unit.messages.recent(convo_id)
            none = await unit.messages.recent(convo_id, limit=0)
            count = await unit.messages.count(convo_id)
            other_count = await unit.messages.count(other_id)
            with pytest.raises(ValueError, match="limit"):
                await unit.messages.recent(convo_id, limit=-1)
            with pytest.raises(ValueError, match="direction"):
                await unit.messages.add(convo_id, direction="up", author="bot", text="x")  # type: ignore[arg-type]

        assert [m.text for m in last3] == ["m3", "m4", "m5"]
        assert [m.text for m in everything] == [f"m{i}" for i in range(6)]
        assert [(m.direction, m.author) for m in everything[:2]] == [
            ("in", "citizen"),
            ("out", "bot"),
        ]
        assert none == []
        assert (count, other_count) == (6, 1)

    async def test_feedback_tally(self, store: Store) -> None:
        _, convo_id = await new_conversation(store)
        async with store.unit() as unit:
            saved = await unit.feedback.add(convo_id, "faq:gomi-01", True)
            await unit.feedback.add(convo_id, "faq:gomi-01", False, "分かりにくい")
            await unit.feedback.add(convo_id, "faq:gomi-01", True)
            await unit.feedback.add(convo_id, "faq:tax-03", False)
        async with store.unit() as unit:
            tally = await unit.feedback.tally()
        assert tally == {"faq:gomi-01": (2, 1), "faq:tax-03": (0, 1)}
        assert (saved.entry_id, saved.helpful, saved.comment) == ("faq:gomi-01", True, None)
        assert_aware_utc(saved.created_at)

    async def test_webhook_event_is_new_once_and_pending_until_processed(
        self, store: Store
    ) -> None:
        async with store.unit() as unit:
            assert await unit.events.record(
                "line", "ev-1", {"type": "message", "text": "こんにちは"}
            )
            assert await unit.events.record("line", "ev-2", {"type": "follow"})
            assert await unit.events.record("telegram", "ev-1", {"update_id": 1})
            assert await unit.events.record("line", "ev-3", {})
        async with store.unit() as unit:
            assert not await unit.events.record("line", "ev-1", {"redelivered": True})
            await unit.events.mark_done("line", "ev-2")
            await unit.events.mark_failed("line", "ev-3", "TimeoutError: reply")

        async with store.unit() as unit:
            pending = await unit.events.pending()
            first_only = await unit.events.pending(limit=1)
        assert [(e.channel, e.event_id) for e in pending] == [
            ("line", "ev-1"),
            ("telegram", "ev-1"),
        ]
        assert first_only == pending[:1]
        async with store.unit() as unit:  # a processed event (payload dropped) still dedupes
            assert not await unit.events.record("line", "ev-2", {"type": "follow"})
        event = pending[0]
        assert event.payload == {"type": "message", "text": "こんにちは"}  # not the redelivery
        assert (event.status, event.attempts, event.processed_at) == (EventStatus.PENDING, 0, None)
        assert_aware_utc(event.received_at)

    async def test_concurrent_duplicate_webhooks_give_exactly_one_true(self, store: Store) -> None:
        async def deliver(n: int) -> bool:
            async with store.unit() as unit:
                return await unit.events.record("line", "dup-1", {"delivery": n})

        results = await asyncio.gather(*(deliver(n) for n in range(20)))
        assert results.count(True) == 1
        async with store.unit() as unit:
            assert [e.event_id for e in await unit.events.pending()] == ["dup-1"]

    async def test_concurrent_first_messages_create_one_user(self, store: Store) -> None:
        async def first_contact() -> int:
            async with store.unit() as unit:
                user = await unit.users.get_or_create("telegram", str(TELEGRAM_ID))
                return user.id

        ids = await asyncio.gather(*(first_contact() for _ in range(20)))
        assert len(set(ids)) == 1
        async with store.unit() as unit:
            other = await unit.users.get_or_create("telegram", "42")
        assert other.id != ids[0]

    async def test_outbox_claims_never_overlap(self, store: Store) -> None:
        now = dt.datetime.now(UTC)
        async with store.unit() as unit:
            ids = [await unit.outbox.enqueue("line", f"U{i}", {"n": i}) for i in range(6)]
            later = await unit.outbox.enqueue(
                "line", "U9", {"n": 9}, available_at=now + dt.timedelta(minutes=1)
            )
        lease = now + dt.timedelta(minutes=2)

        async def claim() -> list[int]:
            async with store.unit() as unit:
                return [o.id for o in await unit.outbox.claim(dt.datetime.now(UTC), lease)]

        claims = await asyncio.gather(*(claim() for _ in range(5)))
        taken = [i for c in claims for i in c]
        assert sorted(taken) == ids  # each message exactly once, the future one not at all
        assert later not in taken
        async with store.unit() as unit:
            assert await unit.outbox.due(dt.datetime.now(UTC)) == []  # leased
            assert sorted(o.id for o in await unit.outbox.due(lease)) == [*ids, later]

    async def test_outbox_due_retry_give_up_sent(self, store: Store) -> None:
        async with store.unit() as unit:
            a = await unit.outbox.enqueue("line", "U1", {"text": "受付しました"})
            b = await unit.outbox.enqueue("telegram", str(TELEGRAM_ID), {"text": "b"})
            c = await unit.outbox.enqueue("web", "s-1", {"text": "c"})
        now = dt.datetime.now(UTC)
        later = now + dt.timedelta(minutes=5)
        async with store.unit() as unit:
            due = await unit.outbox.due(now)
            assert [o.id for o in due] == [a, b, c]
            assert [o.id for o in await unit.outbox.due(now, limit=2)] == [a, b]
            await unit.outbox.retry_later(a, "HTTP 500", later)
            await unit.outbox.give_up(b, "HTTP 400: invalid recipient")
            await unit.outbox.mark_sent(c)

        async with store.unit() as unit:
            due_now = await unit.outbox.due(now)
            due_later = await unit.outbox.due(later.astimezone(dt.timezone(dt.timedelta(hours=9))))
        assert due_now == []
        (retried,) = due_later
        assert retried.id == a
        assert retried.payload == {"text": "受付しました"}
        assert (retried.status, retried.attempts, retried.last_error) == (
            OutboxStatus.PENDING,
            1,
            "HTTP 500",
        )
        assert retried.next_attempt_at == later
        assert retried.sent_at is None
        assert_aware_utc(retried.next_attempt_at, retried.created_at)

        async with store.unit() as unit:
            with pytest.raises(ValueError, match="naive"):
                await unit.outbox.due(dt.datetime.now())

    async def test_rollback_on_exception_leaves_nothing(self, store: Store) -> None:
        created: list[int] = []

        async def doomed() -> None:
            async with store.unit() as unit:
                user = await unit.users.get_or_create("line", "U-rollback")
                convo = await unit.conversations.open_for(user.id)
                await unit.messages.add(convo.id, direction="in", author="citizen", text="x")
                await unit.events.record("line", "ev-rollback", {})
                await unit.outbox.enqueue("line", "U-rollback", {})
                created.extend((user.id, convo.id))
                raise Boom

        with pytest.raises(Boom):
            await doomed()

        user_id, convo_id = created
        async with store.unit() as unit:
            assert await unit.users.get(user_id) is None
            assert await unit.conversations.get(convo_id) is None
            assert await unit.messages.count(convo_id) == 0
            assert await unit.events.pending() == []
            assert await unit.outbox.due(dt.datetime.now(UTC)) == []
            assert await unit.events.record("line", "ev-rollback", {})  # new again

