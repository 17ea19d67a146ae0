"""The staff queue on every backend: escalations, notes, live transcript, delivery status."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.storage import EscalationStatus, OutboxStatus, RecordNotFoundError, Store

UTC = dt.UTC
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TRANSCRIPT: dict[str, Any] = {
    "messages": [
        {"author": "citizen", "text": "<script>alert(1)</script>除雪はいつ？"},
        {"author": "bot", "text": "分かりませんでした。"},
    ]
}


async def citizen(store: Store, external_id: str = "U1") -> tuple[int, int]:
    """Create a LINE user and its conversation; return (user id, conversation id)."""
    async with store.unit() as unit:
        user = await unit.users.get_or_create("line", external_id)
        convo = await unit.conversations.open_for(user.id)
    return user.id, convo.id


async def clerk(store: Store, username: str = "sato") -> int:
    """Create a staff account; return its id."""
    async with store.unit() as unit:
        return (await unit.staff.add(username, username, "h", "staff", ["dept.roads"])).id


async def escalate(
    store: Store, department: str = "dept.roads", external_id: str = "U1", **kwargs: Any
) -> int:
    """Hand a new citizen's conversation to staff; return the escalation id."""
    user_id, convo_id = await citizen(store, external_id)
    async with store.unit() as unit:
        escalation = await unit.escalations.open(
            convo_id, user_id, "line", "requested", department, "除雪の要望", TRANSCRIPT, **kwargs
        )
    return escalation.id


class TestEscalationContract:
    """The queue a clerk works from."""

    async def test_open_records_everything_and_is_active_until_resolved(
        self, store: Store
    ) -> None:
        user_id, convo_id = await citizen(store)
        long_summary = "道路の除雪について\n" + "あ" * 300
        async with store.unit() as unit:
            opened = await unit.escalations.open(
                convo_id,
                user_id,
                "line",
                "failed_twice",
                "dept.roads",
                long_summary,
                TRANSCRIPT,
                category="除雪",
                priority=1,
            )
        TRANSCRIPT["messages"].append({"changed": True})  # the stored snapshot is a copy
        try:
            async with store.unit() as unit:
                active = await unit.escalations.active_for_conversation(convo_id)
                fetched = await unit.escalations.get(opened.id)
                missing = await unit.escalations.get(opened.id + 1)
        finally:
            TRANSCRIPT["messages"].pop()

        assert active == fetched == opened
        assert missing is None
        assert (opened.status, opened.assignee_id, opened.unread) == (
            EscalationStatus.OPEN,
            None,
            0,
        )
        assert (opened.reason, opened.priority, opened.category) == ("failed_twice", 1, "除雪")
        assert (opened.channel, opened.user_id, opened.department) == (
            "line",
            user_id,
            "dept.roads",
        )
        assert opened.transcript == TRANSCRIPT
        assert len(opened.summary) == 200
        assert "\n" not in opened.summary
        assert opened.summary.startswith("道路の除雪について あ")
        assert opened.created_at == opened.last_activity_at
        assert opened.resolved_at is None

        async with store.unit() as unit:
            resolved = await unit.escalations.resolve(opened.id, T0)
            gone = await unit.escalations.active_for_conversation(convo_id)
        assert (resolved.status, resolved.resolved_at, resolved.last_activity_at) == (
            EscalationStatus.RESOLVED,
            T0,
            T0,
        )
        assert gone is None

        async with store.unit() as unit:
            reopened = await unit.escalations.reopen(opened.id, T0 + dt.timedelta(hours=1))
            back = await unit.escalations.active_for_conversation(convo_id)
        assert (reopened.status, reopened.resolved_at) == (EscalationStatus.OPEN, None)
        assert back == reopened

    async def test_bad_values_and_unknown_ids_are_refused(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        bad_reason: Any = "bored"
        bad_channel: Any = "fax"
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="reason"):
                await unit.escalations.open(convo_id, user_id, "line", bad_reason, "d", "s", {})
            with pytest.raises(ValueError, match="channel"):
                await unit.escalations.open(
                    convo_id, user_id, bad_channel, "requested", "d", "s", {}
                )
            with pytest.raises(RecordNotFoundError):
                await unit.escalations.open(999, user_id, "line", "requested", "d", "s", {})
            with pytest.raises(RecordNotFoundError):
                await unit.escalations.update(999, priority=1)
            with pytest.raises(RecordNotFoundError):
                await unit.escalations.touch(999, T0)
            with pytest.raises(ValueError, match="status"):
                await unit.escalations.list(statuses=["pending"])
            with pytest.raises(ValueError, match="naive"):
                await unit.escalations.resolve(1, dt.datetime(2026, 12, 1))
            with pytest.raises(RecordNotFoundError):
                await unit.notes.add(999, None, "note", "x")

    async def test_assign_unassign_transfer_wait_and_reopen_to_assignee(
        self, store: Store
    ) -> None:
        sato = await clerk(store)
        esc = await escalate(store)
        async with store.unit() as unit:
            assigned = await unit.escalations.update(
                esc, status=EscalationStatus.ASSIGNED, assignee_id=sato
            )
            waiting = await unit.escalations.update(esc, status=EscalationStatus.WAITING)
            with pytest.raises(RecordNotFoundError):
                await unit.escalations.update(esc, assignee_id=999)
        assert (assigned.status, assigned.assignee_id) == (EscalationStatus.ASSIGNED, sato)
        assert (waiting.status, waiting.assignee_id) == (EscalationStatus.WAITING, sato)
        assert waiting.updated_at > assigned.updated_at

        async with store.unit() as unit:
            resolved = await unit.escalations.update(esc, status=EscalationStatus.RESOLVED)
            reopened = await unit.escalations.reopen(esc, T0)
        assert resolved.resolved_at is not None
        assert (reopened.status, reopened.assignee_id) == (EscalationStatus.ASSIGNED, sato)

        async with store.unit() as unit:
            transferred = await unit.escalations.update(
                esc,
                assignee_id=None,
                status=EscalationStatus.OPEN,
                department="dept.env",
                priority=1,
                summary="ごみ\t収集",
            )
            unchanged = await unit.escalations.update(esc)
        assert (transferred.assignee_id, transferred.department) == (None, "dept.env")
        assert (transferred.priority, transferred.summary) == (1, "ごみ 収集")
        assert transferred.status is EscalationStatus.OPEN
        assert (unchanged.assignee_id, unchanged.department) == (None, "dept.env")

    async def test_unread_counts_citizen_messages_until_read(self, store: Store) -> None:
        esc = await escalate(store)
        async with store.unit() as unit:
            await unit.escalations.touch(esc, T0, unread_delta=1)
            touched = await unit.escalations.touch(esc, T0 + dt.timedelta(minutes=1), 1)
        async with store.unit() as unit:
            staff_reply = await unit.escalations.touch(esc, T0 + dt.timedelta(minutes=2))
            read = await unit.escalations.mark_read(esc)
        assert (touched.unread, touched.last_activity_at) == (2, T0 + dt.timedelta(minutes=1))
        assert (staff_reply.unread, staff_reply.last_activity_at) == (
            2,
            T0 + dt.timedelta(minutes=2),
        )
        assert (read.unread, read.last_activity_at) == (0, T0 + dt.timedelta(minutes=2))

    async def test_concurrent_citizen_messages_all_count_as_unread(self, store: Store) -> None:
        esc = await escalate(store)

        async def arrive() -> None:
            async with store.unit() as unit:
                await unit.escalations.touch(esc, T0, unread_delta=1)

        await asyncio.gather(*(arrive() for _ in range(10)))
        async with store.unit() as unit:
            final = await unit.escalations.get(esc)
        assert final is not None
        assert final.unread == 10

    async def test_list_filters_and_orders_by_latest_activity(self, store: Store) -> None:
        sato = await clerk(store)
        roads_old = await escalate(store, "dept.roads", "U1")
        env = await escalate(store, "dept.env", "U2")
        roads_new = await escalate(store, "dept.roads", "U3")
        async with store.unit() as unit:
            await unit.escalations.touch(roads_old, T0 + dt.timedelta(minutes=3))
            await unit.escalations.touch(env, T0 + dt.timedelta(minutes=2))
            await unit.escalations.touch(roads_new, T0 + dt.timedelta(minutes=1))
            await unit.escalations.update(
                roads_new, status=EscalationStatus.ASSIGNED, assignee_id=sato
            )
            await unit.escalations.resolve(env, T0 + dt.timedelta(minutes=4))

        async with store.unit() as unit:

            async def ids(**filters: Any) -> list[int]:
                return [e.id for e in await unit.escalations.list(**filters)]

            assert await ids() == [env, roads_old, roads_new]
            assert await ids(limit=1) == [env]
            assert await ids(statuses=["open", "assigned"]) == [roads_old, roads_new]
            assert await ids(statuses=[]) == []
            assert await ids(departments=["dept.roads"]) == [roads_old, roads_new]
            assert await ids(departments=["dept.roads", "dept.env"]) == [env, roads_old, roads_new]
            assert await ids(departments=[]) == []  # a clerk of no department sees nothing
            assert await ids(assignee_id=sato) == [roads_new]
            assert await ids(channel="line") == [env, roads_old, roads_new]
            assert await ids(channel="telegram") == []
            created = {e.id: e.created_at for e in await unit.escalations.list()}
            assert await ids(older_than=created[env]) == [roads_old]
            assert await ids(newer_than=created[env]) == [env, roads_new]
            assert await ids(newer_than=created[env], older_than=created[roads_new]) == [env]

    async def test_counts_per_status_for_departments(self, store: Store) -> None:
        a = await escalate(store, "dept.roads", "U1")
        await escalate(store, "dept.roads", "U2")
        b = await escalate(store, "dept.env", "U3")
        async with store.unit() as unit:
            empty = await unit.escalations.counts(departments=["dept.none"])
            await unit.escalations.update(a, status=EscalationStatus.WAITING)
            await unit.escalations.resolve(b, T0)
        async with store.unit() as unit:
            everything = await unit.escalations.counts()
            roads = await unit.escalations.counts(["dept.roads"])
            nothing = await unit.escalations.counts([])
        zero = {"open": 0, "assigned": 0, "waiting": 0, "resolved": 0}
        assert empty == nothing == zero
        assert everything == {**zero, "open": 1, "waiting": 1, "resolved": 1}
        assert roads == {**zero, "open": 1, "waiting": 1}


class TestNoteContract:
    """Internal notes, oldest first."""

    async def test_notes_in_order_with_system_notes(self, store: Store) -> None:
        sato = await clerk(store)
        esc = await escalate(store)
        other = await escalate(store, external_id="U2")
        async with store.unit() as unit:
            first = await unit.notes.add(esc, sato, "note", "折り返し電話済み")
            await unit.notes.add(esc, None, "system", "営業時間外に受付")
            await unit.notes.add(esc, sato, "transfer", "環境部へ: ごみの件")
            await unit.notes.add(other, sato, "note", "別件")
            with pytest.raises(ValueError, match="kind"):
                await unit.notes.add(esc, sato, "memo", "x")  # type: ignore[arg-type]
            with pytest.raises(RecordNotFoundError):
                await unit.notes.add(esc, 999, "note", "x")
        async with store.unit() as unit:
            notes = await unit.notes.for_escalation(esc)
        assert [(n.kind, n.author_id, n.text) for n in notes] == [
            ("note", sato, "折り返し電話済み"),
            ("system", None, "営業時間外に受付"),
            ("transfer", sato, "環境部へ: ごみの件"),
        ]
        assert notes[0] == first


class TestLiveTranscriptContract:
    """New messages since the last one shown, and each staff reply's delivery."""

    async def test_since_returns_newer_messages_oldest_first(self, store: Store) -> None:
        _, convo = await citizen(store, "U1")
        _, other = await citizen(store, "U2")
        async with store.unit() as unit:
            ids = [
                (await unit.messages.add(convo, direction="in", author="citizen", text=f"m{i}")).id
                for i in range(5)
            ]
            await unit.messages.add(other, direction="in", author="citizen", text="other")
        async with store.unit() as unit:
            assert [m.text for m in await unit.messages.since(convo, 0)] == [
                f"m{i}" for i in range(5)
            ]
            assert [m.text for m in await unit.messages.since(convo, ids[2])] == ["m3", "m4"]
            assert [m.text for m in await unit.messages.since(convo, ids[0], limit=2)] == [
                "m1",
                "m2",
            ]
            assert await unit.messages.since(convo, ids[-1]) == []

    async def test_outbox_links_staff_replies_to_their_delivery(self, store: Store) -> None:
        _, convo = await citizen(store)
        async with store.unit() as unit:
            reply = await unit.messages.add(convo, direction="out", author="staff", text="承知")
            second = await unit.messages.add(convo, direction="out", author="staff", text="2")
            plain = await unit.outbox.enqueue("line", "U1", {"text": "bot"})
            first_try = await unit.outbox.enqueue("line", "U1", {"text": "承知"}, reply.id)
            with pytest.raises(RecordNotFoundError):
                await unit.outbox.enqueue("line", "U1", {}, message_id=999)
        async with store.unit() as unit:
            await unit.outbox.give_up(first_try, "HTTP 400")
            retry = await unit.outbox.enqueue("line", "U1", {"text": "承知"}, message_id=reply.id)
            await unit.outbox.mark_sent(retry)
        async with store.unit() as unit:
            status = await unit.outbox.for_messages([reply.id, second.id, 12345])
            nothing = await unit.outbox.for_messages([])
            due = await unit.outbox.due(dt.datetime.now(UTC))

        assert list(status) == [reply.id]  # the latest delivery of each linked message
        assert (status[reply.id].id, status[reply.id].status) == (retry, OutboxStatus.SENT)
        assert status[reply.id].message_id == reply.id
        assert nothing == {}
        assert [(o.id, o.message_id) for o in due] == [(plain, None)]
