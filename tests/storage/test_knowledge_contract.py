"""The knowledge loop's repositories (versions, review checks, question outcomes) on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.storage import Store

T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """SQL backends only: the knowledge loop has no in-memory repositories."""
    name: str = request.param
    return name


async def publish(store: Store, entry_id: str, answer: str | None, at: dt.datetime = T0) -> int:
    async with store.unit() as unit:
        version = await unit.knowledge_edits.publish(
            entry_id,
            {"id": entry_id, "answer": {"ja": answer, "en": "x"}} if answer else None,
            note=f"メモ {answer}",
            base_hash="h",
            action="edit",
            author_id=None,
            diff="",
            now=at,
        )
    return version.id


async def conversation(store: Store, user: str = "U1") -> int:
    async with store.unit() as unit:
        citizen = await unit.users.get_or_create("web", user)
        return (await unit.conversations.open_for(citizen.id)).id


class TestKnowledgeEdits:
    async def test_the_newest_version_per_entry_is_live_and_the_revision_grows(
        self, store: Store
    ) -> None:
        async with store.unit() as unit:
            assert await unit.knowledge_edits.revision() == 0
            assert await unit.knowledge_edits.latest() == []
        first = await publish(store, "faq.a", "一")
        await publish(store, "faq.b", "二")
        third = await publish(store, "faq.a", "三")
        async with store.unit() as unit:
            assert await unit.knowledge_edits.revision() == third
            live = {v.entry_id: v for v in await unit.knowledge_edits.latest()}
            newer = await unit.knowledge_edits.latest(after=third - 1)
            history = await unit.knowledge_edits.history("faq.a")
        assert live["faq.a"].data == {"id": "faq.a", "answer": {"ja": "三", "en": "x"}}
        assert live["faq.a"].note == "メモ 三"  # Japanese stored as such
        assert live["faq.a"].created_at == T0
        assert [v.entry_id for v in newer] == ["faq.a"]
        assert [v.id for v in history] == [third, first]

    async def test_a_version_without_data_means_back_to_shipped(self, store: Store) -> None:
        await publish(store, "faq.a", "一")
        await publish(store, "faq.a", None)
        async with store.unit() as unit:
            [live] = await unit.knowledge_edits.latest()
        assert live.data is None

    async def test_concurrent_publishes_all_land_in_order(self, store: Store) -> None:
        ids = await asyncio.gather(*(publish(store, f"faq.{n}", str(n)) for n in range(8)))
        async with store.unit() as unit:
            assert await unit.knowledge_edits.revision() == max(ids)
            assert len(await unit.knowledge_edits.latest()) == 8

    async def test_review_checks_are_one_row_per_item_updated_in_place(self, store: Store) -> None:
        async with store.unit() as unit:
            await unit.knowledge_edits.set_check(
                "faq.a", "電話番号", fact="0166-00-0000", confirmed=False, staff_id=None, now=T0
            )
            later = T0 + dt.timedelta(hours=1)
            check = await unit.knowledge_edits.set_check(
                "faq.a", "電話番号", fact="確認済み", confirmed=True, staff_id=None, now=later
            )
        assert (check.fact, check.confirmed, check.updated_at) == ("確認済み", True, later)
        async with store.unit() as unit:
            assert [c.item for c in await unit.knowledge_edits.checks()] == ["電話番号"]
            assert await unit.knowledge_edits.checks("faq.b") == []


class TestInquiries:
    async def test_review_list_holds_what_went_wrong_newest_first(self, store: Store) -> None:
        convo = await conversation(store)
        async with store.unit() as unit:
            add = unit.inquiries.add
            await add(convo, "ごみ", "ごみ", "answer", "faq.g", "dept.env", T0)
            await add(convo, "？？", "？？", "fallback", None, "dept.general_info", T0)
            await add(convo, "除雪", "除雪", "choices", "faq.s", "dept.roads", T0)
            await add(convo, "税", "税", "answer", "faq.t", "dept.tax", T0, handed_off=True)
        async with store.unit() as unit:
            everything = await unit.inquiries.for_review(None, T0 - dt.timedelta(days=1))
            roads = await unit.inquiries.for_review(["dept.roads"], T0 - dt.timedelta(days=1))
            later = await unit.inquiries.for_review(None, T0 + dt.timedelta(days=1))
        assert [r.text for r in everything] == ["税", "除雪", "？？"]
        assert [r.text for r in roads] == ["除雪"]
        assert later == []

    async def test_the_newest_question_is_marked_by_what_followed(self, store: Store) -> None:
        convo = await conversation(store)
        async with store.unit() as unit:
            await unit.inquiries.add(convo, "除雪", "除雪", "choices", "faq.s", "dept.roads", T0)
            await unit.inquiries.add(convo, "ごみ", "ごみ", "answer", "faq.g", "dept.env", T0)
            picked = await unit.inquiries.mark_latest(
                convo, outcomes=["choices", "fallback"], chosen_entry_id="faq.s2"
            )
            unhelpful = await unit.inquiries.mark_latest(
                convo, entry_id="faq.s2", not_helpful=True
            )
            nothing = await unit.inquiries.mark_latest(convo + 1, handed_off=True)
        assert picked is not None
        assert picked.text == "除雪"
        assert unhelpful is not None
        assert (unhelpful.text, unhelpful.not_helpful) == ("除雪", True)
        assert nothing is None

    async def test_resolving_closes_only_open_questions_of_the_clerks_departments(
        self, store: Store
    ) -> None:
        convo = await conversation(store)
        async with store.unit() as unit:
            staff = await unit.staff.add("sato", "佐藤", "$argon2id$x", "staff", ["dept.roads"])
            a = await unit.inquiries.add(convo, "a", "a", "fallback", None, "dept.roads", T0)
            b = await unit.inquiries.add(convo, "b", "b", "fallback", None, "dept.tax", T0)
        async with store.unit() as unit:
            changed = await unit.inquiries.resolve(
                [a.id, b.id], "dismissed", staff.id, T0, ["dept.roads"]
            )
            again = await unit.inquiries.resolve([a.id], "out_of_scope", staff.id, T0)
            left = await unit.inquiries.for_review(None, T0 - dt.timedelta(days=1))
        assert (changed, again) == (1, 0)
        assert [r.id for r in left] == [b.id]

    async def test_erasing_a_citizen_erases_their_questions(self, store: Store) -> None:
        convo = await conversation(store, "U-erase")
        async with store.unit() as unit:
            await unit.inquiries.add(convo, "090-1111-2222", "x", "fallback", None, "d", T0)
            user = await unit.users.get_or_create("web", "U-erase")
            removed = await unit.users.erase(user.id)
        assert removed["inquiries"] == 1
