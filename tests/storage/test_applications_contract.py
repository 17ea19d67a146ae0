"""Applications, their history and attachment rows on every backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from bot.storage import (
    ApplicationRecord,
    ApplicationStatus,
    RecordNotFoundError,
    Store,
    find_reference,
    normalize_reference,
)
from bot.storage.references import REFERENCE_ALPHABET

UTC = dt.UTC
JST = dt.timezone(dt.timedelta(hours=9))
# 2026-11-30 23:30 in Asahikawa is still the 30th there, already the 30th in UTC too;
# 2026-11-30 16:00 UTC is 12-01 01:00 in Asahikawa: the reference carries the city's date.
T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
REFERENCE = re.compile(rf"^[A-Z]-\d{{8}}-[{REFERENCE_ALPHABET}]{{4}}$")
ANSWERS: dict[str, Any] = {
    "items": ["ソファ", "冷蔵庫"],
    "address": "旭川市6条通9丁目",
    "date": "2026-12-05",
    "photo": 1,
}


async def citizen(store: Store, external_id: str = "U1", channel: str = "line") -> tuple[int, int]:
    """Create a citizen with a conversation; return (user id, conversation id)."""
    async with store.unit() as unit:
        user = await unit.users.get_or_create(channel, external_id)  # type: ignore[arg-type]
        convo = await unit.conversations.open_for(user.id)
    return user.id, convo.id


async def submit(
    store: Store,
    user_id: int,
    conversation_id: int,
    *,
    prefix: str = "A",
    department: str = "dept.env",
    now: dt.datetime = T0,
    flow_id: str = "bulky_waste",
) -> ApplicationRecord:
    """Store one application."""
    async with store.unit() as unit:
        return await unit.applications.create(
            prefix,
            user_id,
            conversation_id,
            "line",
            flow_id,
            department,
            ANSWERS,
            "粗大ごみ収集: ソファ、冷蔵庫",
            now,
        )


async def add_staff(store: Store) -> int:
    async with store.unit() as unit:
        staff = await unit.staff.add("sato", "佐藤", "$argon2id$x", "staff", ["dept.env"])
    return staff.id


class TestApplicationContract:
    """Submitting, finding by reference, listing per department, status changes."""

    async def test_create_issues_a_reference_and_keeps_everything(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            again = await unit.applications.get(created.id)

        assert again == created
        assert REFERENCE.match(created.reference)
        assert created.reference.startswith("A-20261130-")
        assert created.answers == ANSWERS  # Japanese and lists survive the round trip
        assert (created.status, created.closed_at) == (ApplicationStatus.NEW, None)
        assert created.created_at == created.updated_at == created.status_changed_at == T0
        assert (created.user_id, created.conversation_id, created.channel) == (
            user_id,
            convo_id,
            "line",
        )
        assert (created.flow_id, created.department) == ("bulky_waste", "dept.env")
        assert created.summary == "粗大ごみ収集: ソファ、冷蔵庫"

    async def test_reference_date_is_the_date_in_asahikawa(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        late_evening_utc = dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 12-01 01:00 JST
        created = await submit(store, user_id, convo_id, prefix="R", now=late_evening_utc)
        assert created.reference.startswith("R-20261201-")

    async def test_references_differ_and_do_not_follow_each_other(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        refs = [(await submit(store, user_id, convo_id)).reference for _ in range(30)]
        assert len(set(refs)) == 30
        tails = [r.rsplit("-", 1)[1] for r in refs]
        assert len({t[0] for t in tails}) > 3  # random, not a counter

    async def test_a_clash_draws_again(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user_id, convo_id = await citizen(store)
        draws = iter("2222" + "2222" + "3333")
        monkeypatch.setattr("bot.storage.references.secrets.choice", lambda _seq: next(draws))
        first = await submit(store, user_id, convo_id)
        second = await submit(store, user_id, convo_id)
        assert first.reference == "A-20261130-2222"
        assert second.reference == "A-20261130-3333"

    @pytest.mark.parametrize(
        "typed",
        [
            "{ref}",
            "{lower}",
            "  {ref}  ",
            "{fullwidth}",
            "{ref_with_long_vowel_mark}",
            "{ref_with_spaces}",
        ],
    )
    async def test_found_by_reference_as_a_citizen_types_it(
        self, store: Store, typed: str
    ) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        ref = created.reference
        variants = {
            "ref": ref,
            "lower": ref.lower(),
            "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in ref),  # Ａ－２０…
            "ref_with_long_vowel_mark": ref.replace("-", "ー"),
            "ref_with_spaces": ref.replace("-", " "),
        }
        async with store.unit() as unit:
            found = await unit.applications.by_reference(typed.format(**variants))
        assert found == created

    async def test_unknown_or_malformed_reference_is_not_found(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        other_tail = "2222" if not created.reference.endswith("2222") else "3333"
        async with store.unit() as unit:
            for typed in (
                created.reference[:-4] + other_tail,
                "A-2026113-7KQ4",
                "",
                "'; DROP TABLE applications; --",
            ):
                assert await unit.applications.by_reference(typed) is None

    async def test_for_user_lists_only_their_own_newest_first(self, store: Store) -> None:
        alice, alice_convo = await citizen(store, "U-alice")
        bob, bob_convo = await citizen(store, "U-bob")
        older = await submit(store, alice, alice_convo, now=T0)
        newer = await submit(store, alice, alice_convo, now=T0 + dt.timedelta(hours=1))
        await submit(store, bob, bob_convo)
        async with store.unit() as unit:
            mine = await unit.applications.for_user(alice)
            nobody = await unit.applications.for_user(bob + 100)
        assert [a.id for a in mine] == [newer.id, older.id]
        assert nobody == []

    async def test_list_filters_by_department_status_and_period(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        env_old = await submit(store, user_id, convo_id, now=T0 - dt.timedelta(days=2))
        env_new = await submit(store, user_id, convo_id, now=T0)
        roads = await submit(store, user_id, convo_id, prefix="R", department="dept.roads")
        async with store.unit() as unit:
            await unit.applications.set_status(env_old.id, "done", T0)
            every = await unit.applications.list()
            env = await unit.applications.list(departments=["dept.env"])
            none = await unit.applications.list(departments=[])
            open_env = await unit.applications.list(
                departments=["dept.env"], statuses=[ApplicationStatus.NEW, "in_progress"]
            )
            day = await unit.applications.list(
                created_from=dt.datetime(2026, 11, 30, 0, 0, tzinfo=JST),
                created_to=dt.datetime(2026, 12, 1, 0, 0, tzinfo=JST),
            )
            until_t0 = await unit.applications.list(created_to=T0)
            limited = await unit.applications.list(limit=1)
        assert [a.id for a in every] == [roads.id, env_new.id, env_old.id]
        assert [a.id for a in env] == [env_new.id, env_old.id]
        assert none == []
        assert [a.id for a in open_env] == [env_new.id]
        assert {a.id for a in day} == {env_new.id, roads.id}
        assert [a.id for a in until_t0] == [env_old.id]  # created_to is exclusive
        assert len(limited) == 1

    async def test_bad_list_arguments_are_refused(self, store: Store) -> None:
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="status"):
                await unit.applications.list(statuses=["open"])
            with pytest.raises(ValueError, match="departments"):
                await unit.applications.list(departments="dept.env")
            with pytest.raises(ValueError, match="naive"):
                await unit.applications.list(created_from=dt.datetime(2026, 11, 30))

    async def test_counts_per_status_with_zeros(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        a = await submit(store, user_id, convo_id)
        await submit(store, user_id, convo_id)
        await submit(store, user_id, convo_id, department="dept.roads")
        async with store.unit() as unit:
            await unit.applications.set_status(a.id, ApplicationStatus.IN_PROGRESS, T0)
            env = await unit.applications.counts(["dept.env"])
            everything = await unit.applications.counts()
        assert env == {
            ApplicationStatus.NEW: 1,
            ApplicationStatus.IN_PROGRESS: 1,
            ApplicationStatus.DONE: 0,
            ApplicationStatus.REJECTED: 0,
        }
        assert everything[ApplicationStatus.NEW] == 2
        assert sum(everything.values()) == 3

    async def test_status_changes_close_and_reopen(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        t1, t2, t3 = (T0 + dt.timedelta(hours=h) for h in (1, 2, 3))
        async with store.unit() as unit:
            working = await unit.applications.set_status(created.id, "in_progress", t1)
            done = await unit.applications.set_status(created.id, ApplicationStatus.DONE, t2)
        async with store.unit() as unit:
            stored_done = await unit.applications.get(created.id)
            reopened = await unit.applications.set_status(created.id, "in_progress", t3)
        assert (working.status, working.closed_at, working.status_changed_at) == (
            ApplicationStatus.IN_PROGRESS,
            None,
            t1,
        )
        assert (done.status, done.closed_at, done.updated_at) == (ApplicationStatus.DONE, t2, t2)
        assert stored_done == done
        assert (reopened.closed_at, reopened.status_changed_at) == (None, t3)
        assert reopened.created_at == T0

    async def test_bad_status_or_unknown_application_is_refused(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="status"):
                await unit.applications.set_status(created.id, "closed", T0)
            with pytest.raises(RecordNotFoundError):
                await unit.applications.set_status(created.id + 100, "done", T0)
            with pytest.raises(ValueError, match="naive"):
                await unit.applications.set_status(created.id, "done", dt.datetime(2026, 12, 1))

    async def test_create_refuses_bad_prefix_channel_and_unknown_user(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="prefix"):
                await unit.applications.create(
                    "AB", user_id, convo_id, "line", "f", "d", {}, "s", T0
                )
            with pytest.raises(ValueError, match="channel"):
                await unit.applications.create(
                    "A",
                    user_id,
                    convo_id,
                    "fax",  # type: ignore[arg-type]
                    "f",
                    "d",
                    {},
                    "s",
                    T0,
                )
            with pytest.raises(RecordNotFoundError):
                await unit.applications.create(
                    "A", user_id + 100, convo_id, "line", "f", "d", {}, "s", T0
                )
            ok = await unit.applications.create("A", user_id, convo_id, "line", "f", "d", {}, "s")
        assert ok.created_at.tzinfo is not None  # usable after a refusal in the same unit

    async def test_summary_is_one_line_of_at_most_200(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        async with store.unit() as unit:
            created = await unit.applications.create(
                "A", user_id, convo_id, "web", "f", "d", {}, "街路灯\n" + "あ" * 300, T0
            )
        assert "\n" not in created.summary
        assert len(created.summary) == 200

    async def test_answers_returned_cannot_change_the_stored_ones(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        created.answers["items"].append("テレビ")
        async with store.unit() as unit:
            again = await unit.applications.get(created.id)
        assert again is not None
        assert again.answers == ANSWERS

    async def test_concurrent_submissions_all_get_distinct_references(self, store: Store) -> None:
        users = [await citizen(store, f"U{i}") for i in range(8)]
        created = await asyncio.gather(*(submit(store, u, c) for u, c in users))
        assert len({a.reference for a in created}) == 8


class TestApplicationHistoryContract:
    """Status lines, internal notes and messages sent, oldest first."""

    async def test_events_in_order_with_staff_and_status(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        staff_id = await add_staff(store)
        t1, t2 = T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=9)
        async with store.unit() as unit:
            system = await unit.applications.add_event(created.id, "status", status="new", at=T0)
            note = await unit.applications.add_event(
                created.id, "note", "現地確認が必要", staff_id=staff_id, at=t1
            )
            status = await unit.applications.add_event(
                created.id,
                "status",
                "12月5日に収集します",
                staff_id=staff_id,
                status=ApplicationStatus.IN_PROGRESS,
                at=t2,
            )
        async with store.unit() as unit:
            history = await unit.applications.events(created.id)
            after = await unit.applications.get(created.id)
        assert history == [system, note, status]
        assert (system.staff_id, system.status, system.text) == (None, ApplicationStatus.NEW, "")
        assert (note.kind, note.staff_id, note.status, note.text) == (
            "note",
            staff_id,
            None,
            "現地確認が必要",
        )
        assert status.status is ApplicationStatus.IN_PROGRESS
        assert after is not None
        assert after.updated_at == t2

    async def test_bad_event_is_refused(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="kind"):
                await unit.applications.add_event(created.id, "call", "x")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="status"):
                await unit.applications.add_event(created.id, "status", status="closed")
            with pytest.raises(RecordNotFoundError):
                await unit.applications.add_event(created.id + 100, "note", "x")
            with pytest.raises(RecordNotFoundError):
                await unit.applications.add_event(created.id, "note", "x", staff_id=999)
            assert await unit.applications.events(created.id) == []


class TestAttachmentContract:
    """Photo rows: tokens, attaching on submission, orphans, deletion with the application."""

    async def add_photo(self, store: Store, user_id: int, key: str, now: dt.datetime = T0) -> int:
        async with store.unit() as unit:
            photo = await unit.attachments.add(user_id, "image/jpeg", 2048, "ab" * 32, key, now)
        return photo.id

    async def test_add_find_by_id_and_token(self, store: Store) -> None:
        user_id, _ = await citizen(store)
        async with store.unit() as unit:
            photo = await unit.attachments.add(
                user_id, "image/png", 123_456, "cd" * 32, "0" * 32 + ".png", T0
            )
            other = await unit.attachments.add(
                user_id, "image/png", 1, "ef" * 32, "1" * 32 + ".png"
            )
        async with store.unit() as unit:
            by_id = await unit.attachments.get(photo.id)
            by_token = await unit.attachments.by_token(photo.token)
            last = "y" if photo.token.endswith("x") else "x"  # always a different token
            wrong = await unit.attachments.by_token(photo.token[:-1] + last)
            missing = await unit.attachments.get(photo.id + 100)
        assert by_id == by_token == photo
        assert (wrong, missing) == (None, None)
        assert (photo.application_id, photo.size, photo.content_type) == (
            None,
            123_456,
            "image/png",
        )
        assert photo.created_at == T0
        assert len(photo.token) >= 32
        assert photo.token != other.token

    async def test_attach_on_submission_and_list(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        first = await self.add_photo(store, user_id, "a" * 32 + ".jpg")
        second = await self.add_photo(store, user_id, "b" * 32 + ".jpg", T0 + dt.timedelta(1))
        loose = await self.add_photo(store, user_id, "c" * 32 + ".jpg")
        created = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            count = await unit.attachments.attach([first, second, first], created.id)
        async with store.unit() as unit:
            attached = await unit.attachments.for_application(created.id)
            everything = await unit.attachments.for_user(user_id)
        assert count == 2
        assert [a.id for a in attached] == [first, second]
        assert {a.application_id for a in attached} == {created.id}
        assert {a.id for a in everything} == {first, second, loose}

    async def test_cannot_attach_another_citizens_photo(self, store: Store) -> None:
        alice, alice_convo = await citizen(store, "U-alice")
        bob, _ = await citizen(store, "U-bob")
        bobs_photo = await self.add_photo(store, bob, "d" * 32 + ".jpg")
        created = await submit(store, alice, alice_convo)
        async with store.unit() as unit:
            with pytest.raises(ValueError, match="another user"):
                await unit.attachments.attach([bobs_photo], created.id)
            with pytest.raises(RecordNotFoundError):
                await unit.attachments.attach([bobs_photo + 100], created.id)
            with pytest.raises(RecordNotFoundError):
                await unit.attachments.attach([bobs_photo], created.id + 100)
        async with store.unit() as unit:
            assert await unit.attachments.for_application(created.id) == []

    async def test_orphans_are_old_unattached_photos(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        old_loose = await self.add_photo(store, user_id, "e" * 32 + ".jpg", T0)
        old_attached = await self.add_photo(store, user_id, "f" * 32 + ".jpg", T0)
        await self.add_photo(store, user_id, "9" * 32 + ".jpg", T0 + dt.timedelta(hours=2))
        created = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            await unit.attachments.attach([old_attached], created.id)
            orphans = await unit.attachments.orphans(T0 + dt.timedelta(hours=1))
        assert [a.id for a in orphans] == [old_loose]

    async def test_delete_is_idempotent(self, store: Store) -> None:
        user_id, _ = await citizen(store)
        photo = await self.add_photo(store, user_id, "8" * 32 + ".jpg")
        async with store.unit() as unit:
            await unit.attachments.delete(photo)
            await unit.attachments.delete(photo)
        async with store.unit() as unit:
            assert await unit.attachments.get(photo) is None


class TestRetentionContract:
    """What ``citybot purge`` and a citizen's deletion request rely on."""

    async def test_older_than_finds_old_applications_oldest_first(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        oldest = await submit(store, user_id, convo_id, now=T0 - dt.timedelta(days=400))
        old = await submit(store, user_id, convo_id, now=T0 - dt.timedelta(days=366))
        await submit(store, user_id, convo_id, now=T0)
        async with store.unit() as unit:
            doomed = await unit.applications.older_than(T0 - dt.timedelta(days=365))
        assert [a.id for a in doomed] == [oldest.id, old.id]

    async def test_delete_takes_history_and_attachment_rows(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)
        created = await submit(store, user_id, convo_id)
        kept = await submit(store, user_id, convo_id)
        async with store.unit() as unit:
            photo = await unit.attachments.add(
                user_id, "image/jpeg", 1, "00" * 32, "7" * 32 + ".jpg"
            )
            await unit.attachments.attach([photo.id], created.id)
            await unit.applications.add_event(created.id, "note", "メモ")
            await unit.applications.add_event(kept.id, "note", "残す")
        async with store.unit() as unit:
            await unit.applications.delete(created.id)
            await unit.applications.delete(created.id)  # gone already: fine
        async with store.unit() as unit:
            assert await unit.applications.get(created.id) is None
            assert await unit.applications.by_reference(created.reference) is None
            assert await unit.applications.events(created.id) == []
            assert await unit.attachments.get(photo.id) is None
            assert [e.text for e in await unit.applications.events(kept.id)] == ["残す"]

    async def test_delete_for_user_removes_only_their_data(self, store: Store) -> None:
        alice, alice_convo = await citizen(store, "U-alice")
        bob, bob_convo = await citizen(store, "U-bob")
        a1 = await submit(store, alice, alice_convo)
        await submit(store, alice, alice_convo)
        bobs = await submit(store, bob, bob_convo)
        async with store.unit() as unit:
            attached = await unit.attachments.add(
                alice, "image/jpeg", 1, "0" * 64, "6" * 32 + ".jpg"
            )
            await unit.attachments.attach([attached.id], a1.id)
            await unit.attachments.add(alice, "image/jpeg", 1, "0" * 64, "5" * 32 + ".jpg")
            bobs_photo = await unit.attachments.add(
                bob, "image/jpeg", 1, "0" * 64, "4" * 32 + ".jpg"
            )
            await unit.applications.add_event(a1.id, "note", "x")
        async with store.unit() as unit:
            count = await unit.applications.delete_for_user(alice)
        async with store.unit() as unit:
            assert count == 2
            assert await unit.applications.for_user(alice) == []
            assert await unit.attachments.for_user(alice) == []
            assert [a.id for a in await unit.applications.for_user(bob)] == [bobs.id]
            assert [a.id for a in await unit.attachments.for_user(bob)] == [bobs_photo.id]
            assert await unit.applications.delete_for_user(alice) == 0

    async def test_a_failed_unit_keeps_nothing(self, store: Store) -> None:
        user_id, convo_id = await citizen(store)

        async def doomed() -> None:
            async with store.unit() as unit:
                await unit.applications.create(
                    "A", user_id, convo_id, "line", "f", "d", ANSWERS, "s", T0
                )
                raise RuntimeError

        with pytest.raises(RuntimeError):
            await doomed()
        async with store.unit() as unit:
            assert await unit.applications.for_user(user_id) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("A-20261130-7KQ4", "A-20261130-7KQ4"),
        ("a-20261130-7kq4", "A-20261130-7KQ4"),
        ("Ａ－２０２６１１３０－７ＫＱ４", "A-20261130-7KQ4"),
        ("A−20261130ー7KQ4", "A-20261130-7KQ4"),
        ("A 20261130 7KQ4", "A-20261130-7KQ4"),
        ("A202611307KQ4", "A-20261130-7KQ4"),
        ("A-20261130-7KQ", None),
        ("A-20261130-7KQ0", None),  # 0 is not in the alphabet
        ("AB-20261130-7KQ4", None),
        ("受付番号 A-20261130-7KQ4", None),  # the whole text must be a reference
    ],
)
def test_normalize_reference(typed: str, expected: str | None) -> None:
    assert normalize_reference(typed) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("受付番号 a-20261130-7kq4 の状況は？", "A-20261130-7KQ4"),
        ("/status R-20261201-ZZ22", "R-20261201-ZZ22"),
        ("受付番号Ａ－２０２６１１３０－７ＫＱ４の状況", "A-20261130-7KQ4"),
        ("XA-20261130-7KQ4", None),
        ("電話番号 011-2026-1130", None),
        ("ごみの日", None),
    ],
)
def test_find_reference_in_free_text(text: str, expected: str | None) -> None:
    assert find_reference(text) == expected
