"""The notification repository on SQLite and PostgreSQL: the same behaviour on both."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.notify.service import notify_repo
from bot.storage.base import Store
from bot.storage.base_notify import NoticeDraft, NoticeRecord

NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


async def _people(store: Store) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with store.unit() as unit:
        repo = notify_repo(unit)
        for channel, external, topics, area in (
            ("line", "U1", ["snow"], "toko"),
            ("telegram", "7000000001234", ["snow", "garbage"], "toko"),  # beyond 2**31
            ("web", "visitor", ["snow"], "chuo"),
            ("line", "U-gone", ["snow"], "toko"),
        ):
            user = await unit.users.get_or_create(channel, external)  # type: ignore[arg-type]
            for topic in topics:
                assert await repo.subscribe(user.id, topic, f"同意 {topic}", NOW)
            await repo.set_area(user.id, area, "list", NOW)
            ids[external] = user.id
        await unit.users.set_active(ids["U-gone"], False)
        assert not await repo.subscribe(ids["U1"], "snow", "again", LATER)  # consent kept
    return ids


async def _notice(
    store: Store, key: str | None = None, urgent: bool = False
) -> NoticeRecord | None:
    async with store.unit() as unit:
        return await notify_repo(unit).add_notice(
            NoticeDraft("snow", ("toko",), "除雪", urgent=urgent),
            status="queued",
            source="cli",
            author="cli",
            now=NOW,
            not_before=NOW,
            recipients=2,
            dedupe_key=key,
        )


async def test_subscriptions_areas_and_recipient_counts(store: Store) -> None:
    ids = await _people(store)
    async with store.unit() as unit:
        repo = notify_repo(unit)
        [sub] = await repo.subscriptions(ids["U1"])
        assert (sub.topic, sub.consent_text, sub.consented_at) == ("snow", "同意 snow", NOW)
        assert await repo.count_recipients("snow", ("toko",)) == {"line": 1, "telegram": 1}
        assert await repo.count_recipients("snow", ()) == {"line": 1, "telegram": 1, "web": 1}
        await repo.set_area(ids["U1"], "chuo", "address", LATER)
        assert await repo.area(ids["U1"]) == "chuo"
        assert await repo.unsubscribe(ids["7000000001234"], ["garbage"]) == 1
        assert await repo.unsubscribe(ids["7000000001234"]) == 1
        assert await repo.count_recipients("snow", ("toko",)) == {}


async def test_a_dedupe_key_stores_a_notice_once(store: Store) -> None:
    assert await _notice(store, "garbage:chuo:2026-12-02:burnable") is not None
    assert await _notice(store, "garbage:chuo:2026-12-02:burnable") is None
    assert await _notice(store) is not None
    assert await _notice(store) is not None  # no key: no limit


async def test_deliveries_are_copied_once_taken_in_batches_and_reported(store: Store) -> None:
    ids = await _people(store)
    notice = await _notice(store)
    assert notice is not None
    async with store.unit() as unit:
        repo = notify_repo(unit)
        assert await repo.materialize(notice.id) == 2
        assert await repo.materialize(notice.id) == 2  # a repeat adds nobody
        assert await repo.pending_languages(notice.id, "line") == ["ja"]
        [taken] = await repo.take_batch(notice.id, "line", "ja", 500, "key-1")
        assert (taken.user_id, taken.batch_key, taken.status) == (ids["U1"], "key-1", "sending")
        assert await repo.take_batch(notice.id, "line", "ja", 500, "key-2") == []
        [stuck] = await repo.in_flight(notice.id, "line")
        assert stuck.batch_key == "key-1"
        await repo.mark([taken.id], "sent")
        [tg] = await repo.take_batch(notice.id, "telegram", "ja", 100, "key-3")
        assert tg.external_id == "7000000001234"
        await repo.mark([tg.id], "blocked", "Telegram 403")
        assert await repo.progress(notice.id) == {"sent": 1, "blocked": 1}
        assert sorted(await repo.report(notice.id)) == [
            ("line", "sent", None, 1),
            ("telegram", "blocked", "Telegram 403", 1),
        ]


async def test_one_sender_claims_a_notice_and_quiet_hours_leave_only_urgent_ones(
    store: Store,
) -> None:
    plain = await _notice(store)
    assert plain is not None
    async with store.unit() as unit:
        assert await notify_repo(unit).claim_notice(NOW, LATER, "a", urgent_only=True) is None

    async def claim(owner: str) -> NoticeRecord | None:
        async with store.unit() as unit:
            return await notify_repo(unit).claim_notice(NOW, LATER, owner, urgent_only=False)

    results = await asyncio.gather(*(claim(f"sender-{n}") for n in range(5)))
    assert [r.id for r in results if r is not None] == [plain.id]
    async with store.unit() as unit:
        repo = notify_repo(unit)
        assert await repo.claim_notice(NOW, LATER, "late", urgent_only=False) is None
        assert await repo.renew_lease(plain.id, "late", LATER) is False
        after = LATER + dt.timedelta(seconds=1)  # the lease ran out: another sender takes over
        taken = await repo.claim_notice(after, after + dt.timedelta(minutes=2), "late", False)
        assert taken is not None
        assert taken.id == plain.id


async def test_api_tokens_are_found_by_hash_until_revoked(store: Store) -> None:
    async with store.unit() as unit:
        repo = notify_repo(unit)
        await repo.add_token("plough", "a" * 64, "dept.roads", NOW)
        found = await repo.token_by_hash("a" * 64, LATER)
        assert found is not None
        assert found.department == "dept.roads"
        assert await repo.revoke_token("plough", LATER)
        assert await repo.token_by_hash("a" * 64, LATER) is None
        [listed] = await repo.list_tokens()
        assert listed.last_used_at == LATER
