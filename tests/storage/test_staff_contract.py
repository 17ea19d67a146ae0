"""Staff accounts, console sessions, the audit log and knowledge drafts on every backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import pytest

from bot.storage import DuplicateError, RecordNotFoundError, Store

UTC = dt.UTC
JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def token_hash(token: str) -> str:
    """What the console stores for a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def add_staff(
    store: Store, username: str = "sato", departments: tuple[str, ...] = ("dept.roads",)
) -> int:
    """Create a staff account; return its id."""
    async with store.unit() as unit:
        staff = await unit.staff.add(username, "佐藤 花子", "$argon2id$x", "staff", departments)
    return staff.id


class TestStaffContract:
    """Accounts: unique names ignoring case, disable, password reset, failed-login counting."""

    async def test_add_and_find_ignoring_case(self, store: Store) -> None:
        async with store.unit() as unit:
            sato = await unit.staff.add(
                "Sato.Hanako",
                "佐藤 花子",
                "$argon2id$v=19$abc",
                "staff",
                ["dept.roads", "dept.env"],
            )
            admin = await unit.staff.add("admin", "管理者", "$argon2id$def", "admin", [])
        async with store.unit() as unit:
            by_name = await unit.staff.by_username("SATO.hanako")
            by_id = await unit.staff.get(sato.id)
            nobody = await unit.staff.by_username("suzuki")
            missing = await unit.staff.get(sato.id + 100)
            everyone = await unit.staff.list()

        assert by_name == by_id == sato
        assert sato.username == "sato.hanako"
        assert sato.departments == ("dept.roads", "dept.env")
        assert (sato.role, sato.active, sato.failed_logins, sato.last_failed_at) == (
            "staff",
            True,
            0,
            None,
        )
        assert (admin.role, admin.departments) == ("admin", ())
        assert (nobody, missing) == (None, None)
        assert [s.username for s in everyone] == ["admin", "sato.hanako"]

    async def test_duplicate_username_in_any_case_is_refused_and_unit_stays_usable(
        self, store: Store
    ) -> None:
        await add_staff(store, "sato")
        async with store.unit() as unit:
            with pytest.raises(DuplicateError, match="sato"):
                await unit.staff.add("SATO", "別人", "$argon2id$x", "staff", [])
            other = await unit.staff.add("suzuki", "鈴木", "$argon2id$y", "staff", [])
        async with store.unit() as unit:
            assert [s.username for s in await unit.staff.list()] == ["sato", "suzuki"]
            assert (await unit.staff.get(other.id)) == other

    async def test_bad_account_values_are_refused(self, store: Store) -> None:
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="role"):
                await unit.staff.add("x", "X", "h", "root", [])  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="username"):
                await unit.staff.add("  ", "X", "h", "staff", [])
            with pytest.raises(ValueError, match="departments"):
                await unit.staff.add("x", "X", "h", "staff", "dept.roads")
            with pytest.raises(RecordNotFoundError):
                await unit.staff.set_active(999, False)
            with pytest.raises(RecordNotFoundError):
                await unit.staff.record_failed_login(999, T0)
            with pytest.raises(ValueError, match="naive"):
                await unit.staff.record_failed_login(1, dt.datetime(2026, 12, 1, 9, 0))

    async def test_disable_lists_only_active_ones(self, store: Store) -> None:
        sato = await add_staff(store, "sato")
        await add_staff(store, "abe")
        async with store.unit() as unit:
            await unit.staff.set_active(sato, False)
        async with store.unit() as unit:
            active = await unit.staff.list(active_only=True)
            everyone = await unit.staff.list()
            disabled = await unit.staff.get(sato)
        assert [s.username for s in active] == ["abe"]
        assert [s.username for s in everyone] == ["abe", "sato"]
        assert disabled is not None
        assert disabled.active is False

    async def test_failed_logins_count_until_reset_or_new_password(self, store: Store) -> None:
        sato = await add_staff(store)
        async with store.unit() as unit:
            counts = [
                await unit.staff.record_failed_login(sato, T0 + dt.timedelta(seconds=i))
                for i in range(3)
            ]
        async with store.unit() as unit:
            after_three = await unit.staff.get(sato)
            await unit.staff.reset_failed_logins(sato)
            after_reset = await unit.staff.get(sato)
            await unit.staff.record_failed_login(sato, T0.astimezone(JST))
            await unit.staff.set_password(sato, "$argon2id$new")
            after_new_password = await unit.staff.get(sato)

        assert counts == [1, 2, 3]
        assert after_three is not None
        assert (after_three.failed_logins, after_three.last_failed_at) == (
            3,
            T0 + dt.timedelta(seconds=2),
        )
        assert after_three.last_failed_at is not None
        assert after_three.last_failed_at.utcoffset() == dt.timedelta(0)
        assert after_reset is not None
        assert (after_reset.failed_logins, after_reset.last_failed_at) == (0, None)
        assert after_new_password is not None
        assert after_new_password.password_hash == "$argon2id$new"
        assert after_new_password.failed_logins == 0
        assert after_new_password.updated_at > after_three.updated_at

    async def test_concurrent_failed_logins_all_count(self, store: Store) -> None:
        sato = await add_staff(store)

        async def fail() -> int:
            async with store.unit() as unit:
                return await unit.staff.record_failed_login(sato, T0)

        counts = await asyncio.gather(*(fail() for _ in range(10)))
        assert sorted(counts) == list(range(1, 11))


class TestSessionContract:
    """Console sessions: found by token hash, sliding expiry, logout, purge."""

    async def test_create_find_touch_delete(self, store: Store) -> None:
        sato = await add_staff(store)
        expires = T0 + dt.timedelta(hours=8)
        async with store.unit() as unit:
            created = await unit.sessions.create(sato, token_hash("tok-1"), "csrf-1", expires, T0)
        async with store.unit() as unit:
            found = await unit.sessions.by_token_hash(token_hash("tok-1"))
            unknown = await unit.sessions.by_token_hash(token_hash("tok-2"))
            later = T0 + dt.timedelta(hours=1)
            await unit.sessions.touch(created.id, later, later + dt.timedelta(hours=8))
        async with store.unit() as unit:
            touched = await unit.sessions.by_token_hash(token_hash("tok-1"))
            await unit.sessions.delete(created.id)
            await unit.sessions.delete(created.id)  # logging out twice is fine
        async with store.unit() as unit:
            gone = await unit.sessions.by_token_hash(token_hash("tok-1"))

        assert found == created
        assert (created.staff_id, created.csrf_token, created.expires_at) == (
            sato,
            "csrf-1",
            expires,
        )
        assert created.token_hash == token_hash("tok-1")
        assert unknown is None
        assert touched is not None
        assert touched.last_seen_at == T0 + dt.timedelta(hours=1)
        assert touched.expires_at == T0 + dt.timedelta(hours=9)
        assert gone is None

    async def test_same_token_hash_twice_is_refused(self, store: Store) -> None:
        sato = await add_staff(store)
        async with store.unit() as unit:
            await unit.sessions.create(sato, token_hash("t"), "c", T0, T0)
            with pytest.raises(DuplicateError):
                await unit.sessions.create(sato, token_hash("t"), "c2", T0, T0)
            with pytest.raises(RecordNotFoundError):
                await unit.sessions.create(999, token_hash("u"), "c", T0, T0)
            with pytest.raises(RecordNotFoundError):
                await unit.sessions.touch(999, T0, T0)

    async def test_delete_for_staff_and_purge_expired(self, store: Store) -> None:
        sato = await add_staff(store, "sato")
        abe = await add_staff(store, "abe")
        async with store.unit() as unit:
            for i in range(3):
                await unit.sessions.create(sato, token_hash(f"s{i}"), "c", T0, T0)
            minute = dt.timedelta(minutes=1)
            await unit.sessions.create(abe, token_hash("old"), "c", T0 - minute, T0)
            await unit.sessions.create(abe, token_hash("edge"), "c", T0, T0)
            hour = dt.timedelta(hours=1)
            await unit.sessions.create(abe, token_hash("new"), "c", T0 + hour, T0)
        async with store.unit() as unit:
            removed = await unit.sessions.delete_for_staff(sato)
            purged = await unit.sessions.purge_expired(T0)
        async with store.unit() as unit:
            left = [
                await unit.sessions.by_token_hash(token_hash(t))
                for t in ("s0", "old", "edge", "new")
            ]
        assert (removed, purged) == (3, 2)
        assert [s is not None for s in left] == [False, False, False, True]


class TestAuditContract:
    """Who did what, newest first."""

    async def test_add_and_list_newest_first_with_filters(self, store: Store) -> None:
        sato = await add_staff(store, "sato")
        abe = await add_staff(store, "abe")
        async with store.unit() as unit:
            first = await unit.audit.add(sato, "login", ip="192.0.2.1")
            await unit.audit.add(
                sato, "reply", "escalation:7", {"chars": 42, "部署": "dept.roads"}, "192.0.2.1"
            )
            await unit.audit.add(abe, "login")
            await unit.audit.add(None, "login_failed", detail={"username": "nobody"})
        async with store.unit() as unit:
            everything = await unit.audit.list()
            last_two = await unit.audit.list(limit=2)
            satos = await unit.audit.list(staff_id=sato)
            logins = await unit.audit.list(action="login")
            with pytest.raises(ValueError, match="limit"):
                await unit.audit.list(limit=-1)

        assert [e.action for e in everything] == ["login_failed", "login", "reply", "login"]
        assert last_two == everything[:2]
        assert [e.action for e in satos] == ["reply", "login"]
        assert [e.staff_id for e in logins] == [abe, sato]
        reply = satos[0]
        assert (reply.target, reply.detail, reply.ip) == (
            "escalation:7",
            {"chars": 42, "部署": "dept.roads"},
            "192.0.2.1",
        )
        assert (first.target, first.detail) == (None, {})
        assert everything[0].staff_id is None


class TestDraftContract:
    """Proposed FAQ entries waiting for review."""

    async def test_add_list_and_change_status(self, store: Store) -> None:
        sato = await add_staff(store)
        async with store.unit() as unit:
            first = await unit.drafts.add(
                sato,
                "粗大ごみの出し方は？",
                "事前申込制です。",
                answer_en="Book a collection first.",
                category="ごみ",
            )
            second = await unit.drafts.add(sato, "除雪の要望は？", "土木部へ。")
        async with store.unit() as unit:
            exported = await unit.drafts.set_status(first.id, "exported")
        async with store.unit() as unit:
            every = await unit.drafts.list()
            waiting = await unit.drafts.list("draft")
            done = await unit.drafts.list("exported")
            fetched = await unit.drafts.get(first.id)
            with pytest.raises(ValueError, match="status"):
                await unit.drafts.set_status(first.id, "published")  # type: ignore[arg-type]
            with pytest.raises(RecordNotFoundError):
                await unit.drafts.add(999, "q", "a")
            with pytest.raises(RecordNotFoundError):
                await unit.drafts.add(sato, "q", "a", escalation_id=999)

        assert [d.id for d in every] == [first.id, second.id]
        assert waiting == [second]
        assert done == [exported] == [fetched]
        assert (first.status, first.escalation_id, first.answer_en) == (
            "draft",
            None,
            "Book a collection first.",
        )
        assert (second.answer_en, second.category) == (None, None)
        assert exported.updated_at > first.updated_at
