"""The knowledge loop in the console: edit and publish live, review checks, history,
unanswered questions, and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy import text as sql_text

from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, OutcomeKind
from bot.storage.db import SqlStore

from .conftest import Console, csrf_of, running_console, settings_for

ENTRY = "faq.snow.plowing_criteria"  # dept.roads
PAGE = f"/staff/knowledge/entry/{ENTRY}"
SNOW = "除雪車って何時ごろ来るの？"
ODD = "夜中にゴーゴー走ってくる黄色いでっかい車は何ですか"


@pytest_asyncio.fixture
async def kb_console(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Console]:
    async with running_console(settings_for(tmp_path / "bot.db"), knowledge.fork()) as running:
        yield running


async def ask(console: Console, text: str, user: str = "citizen-1") -> tuple[OutcomeKind, str]:
    outcome = await console.runtime.engine.handle(Incoming("web", user, text=text))
    return outcome.kind, outcome.text


def form_of(console: Console, answer_ja: str, note: str = "") -> dict[str, str]:
    entry = console.runtime.knowledge.entry(ENTRY)
    assert entry is not None
    return {
        "title_ja": entry.title.ja,
        "title_en": entry.title.en,
        "answer_ja": answer_ja,
        "answer_en": entry.answer.en,
        "questions": "\n".join(entry.questions),
        "keywords": ", ".join(entry.keywords),
        "department": entry.department,
        "related": ", ".join(entry.related),
        "note": note,
    }


async def test_a_clerk_publishes_an_answer_and_the_bot_uses_it_at_once(
    kb_console: Console,
) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    page = await client.get(PAGE)
    assert page.status_code == 200
    new = "旭川市では、新雪が10センチ以上で除雪車が出動します。（テスト用の文）"
    form = {**form_of(kb_console, new, note="道路維持課の夜間当番に確認")}
    form["csrf"] = csrf_of(page.text)
    published = await client.post(PAGE, data=form)
    assert published.status_code == 303
    assert "done=published" in published.headers["location"]

    kind, text = await ask(kb_console, SNOW)
    assert kind is OutcomeKind.ANSWER
    assert new in text
    assert "夜間当番" not in text  # the internal note never reaches citizens

    shown = await client.get(PAGE)
    assert "道路維持課の夜間当番に確認" in shown.text  # staff see the note
    assert "+  ja: 旭川市では、新雪が10センチ以上" in shown.text  # the diff in the history
    rows = await kb_console.rows(
        "SELECT action, target FROM audit_log WHERE action LIKE 'knowledge.%'"
    )
    assert rows == [("knowledge.edit", f"entry:{ENTRY}")]

    asked = await client.get("/staff/knowledge", params={"ask": SNOW})
    assert "道路維持課の夜間当番に確認" in asked.text  # the staff search shows notes


async def test_reverting_brings_the_earlier_text_back(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    original = kb_console.runtime.knowledge.entry(ENTRY)
    assert original is not None
    csrf = await kb_console.csrf(client)
    await client.post(PAGE, data={**form_of(kb_console, "最初の編集です。"), "csrf": csrf})
    await client.post(PAGE, data={**form_of(kb_console, "二回目の編集です。"), "csrf": csrf})
    [(first,)] = await kb_console.rows("SELECT min(id) FROM knowledge_versions")
    reverted = await client.post(f"{PAGE}/revert", data={"version": str(first), "csrf": csrf})
    assert "done=reverted" in reverted.headers["location"]
    assert "最初の編集です。" in (await ask(kb_console, SNOW))[1]
    back = await client.post(f"{PAGE}/conflict", data={"keep": "shipped", "csrf": csrf})
    assert back.status_code == 303
    assert original.answer.ja in (await ask(kb_console, SNOW))[1]


async def test_an_invalid_edit_is_refused_and_named(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    csrf = await kb_console.csrf(client)
    form = {**form_of(kb_console, "回答です。"), "questions": "ひとつだけ", "csrf": csrf}
    refused = await client.post(PAGE, data=form)
    assert "error=invalid" in refused.headers["location"]
    page = await client.get(refused.headers["location"])
    assert "questions" in page.text
    assert await kb_console.rows("SELECT id FROM knowledge_versions") == []


async def test_a_clerk_of_another_department_cannot_edit(kb_console: Console) -> None:
    await kb_console.add_staff("suzuki", departments=["dept.tax"])
    client = await kb_console.login("suzuki")
    page = await client.get(PAGE)
    assert page.status_code == 200  # every clerk may read every entry
    assert "閲覧のみ" in page.text
    csrf = csrf_of(page.text)
    edit = await client.post(PAGE, data={**form_of(kb_console, "乗っ取り"), "csrf": csrf})
    assert edit.status_code == 403
    tick = await client.post(
        f"{PAGE}/review", data={"item": "0", "confirmed": "yes", "csrf": csrf}
    )
    assert tick.status_code == 403
    assert await kb_console.rows("SELECT id FROM knowledge_versions") == []
    assert await kb_console.rows("SELECT id FROM knowledge_review_checks") == []


async def test_a_clerk_cannot_give_an_entry_to_another_department(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    csrf = await kb_console.csrf(client)
    form = {**form_of(kb_console, "回答です。"), "department": "dept.tax", "csrf": csrf}
    assert (await client.post(PAGE, data=form)).status_code == 403


async def test_anonymous_users_get_nothing(kb_console: Console) -> None:
    client = kb_console.client()
    for path in (
        "/staff/knowledge",
        PAGE,
        "/staff/knowledge/unanswered",
        "/staff/knowledge/new",
        "/staff/knowledge/flows",
    ):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
    posted = await client.post(PAGE, data=form_of(kb_console, "匿名"))
    assert posted.status_code == 303
    assert await kb_console.rows("SELECT id FROM knowledge_versions") == []


async def test_ticking_every_review_item_makes_the_entry_verified(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    entry = kb_console.runtime.knowledge.entry(ENTRY)
    assert entry is not None
    assert len(entry.review) == 3
    csrf = await kb_console.csrf(client)
    listing = await client.get("/staff/knowledge", params={"q": "除雪 出動", "state": "review"})
    assert ENTRY in listing.text
    for number in range(len(entry.review)):
        form = {"item": str(number), "fact": f"確認した事実 {number}", "confirmed": "yes"}
        await client.post(f"{PAGE}/review", data={**form, "csrf": csrf})
    page = await client.get(PAGE)
    assert "確認した事実 2" in page.text
    assert 'id="entry-state"><span class="verified">' in page.text
    verified = await client.get("/staff/knowledge", params={"q": "除雪 出動", "state": "verified"})
    assert ENTRY in verified.text


async def test_an_unanswered_question_becomes_a_paraphrase(kb_console: Console) -> None:
    kind, _ = await ask(kb_console, ODD, user="c1")
    assert kind in (OutcomeKind.FALLBACK, OutcomeKind.CHOICES)
    await ask(kb_console, ODD.replace("何ですか", "なんですか"), user="c2")  # grouped with it
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    await kb_console.add_staff("boss", role="admin", departments=[])
    admin = await kb_console.login("boss")
    listing = await admin.get("/staff/knowledge/unanswered")
    assert ODD in listing.text
    assert "×2" in listing.text
    [(ids,)] = [
        (line.split('data-ids="')[1].split('"')[0],)
        for line in listing.text.splitlines()
        if "data-ids=" in line
    ][:1]
    data = {"ids": ids, "action": "paraphrased", "entry": ENTRY, "question": ODD}
    done = await admin.post(
        "/staff/knowledge/unanswered", data={**data, "csrf": csrf_of(listing.text)}
    )
    assert "done=paraphrased" in done.headers["location"]
    kind, text = await ask(kb_console, ODD, user="c3")
    assert kind is OutcomeKind.ANSWER
    entry = kb_console.runtime.knowledge.entry(ENTRY)
    assert entry is not None
    assert entry.answer.ja in text
    assert ODD not in (await admin.get("/staff/knowledge/unanswered")).text


async def test_choices_not_helpful_and_hand_offs_are_recorded(kb_console: Console) -> None:
    store = kb_console.runtime.store
    assert isinstance(store, SqlStore)
    kind, _ = await ask(kb_console, SNOW, user="c1")
    assert kind is OutcomeKind.ANSWER
    await kb_console.runtime.engine.handle(
        Incoming("web", "c1", text=f"n:{ENTRY}", kind=Kind.CHOICE)
    )
    await ask(kb_console, "職員と話したい", user="c1")
    async with store.engine.connect() as conn:
        rows = list(
            await conn.execute(
                sql_text(
                    "SELECT text, outcome, entry_id, not_helpful, handed_off FROM inquiry_outcomes"
                )
            )
        )
    assert [(r[1], r[2], bool(r[3]), bool(r[4])) for r in rows] == [
        ("answer", ENTRY, True, True)  # answered, then いいえ, then a person
    ]
    assert rows[0][0].startswith("除雪車って何時ごろ来るの")


NEW_ENTRY = {
    "category": "snow",
    "department": "dept.roads",
    "title_ja": "夜間の除雪車の音",
    "title_en": "Snowplow noise at night",
    "questions": f"{ODD}\n夜の除雪車がうるさい\n除雪車 夜 音",
    "answer_ja": "除雪作業は夜間から早朝に行うことがあります。ご理解をお願いします。",
    "answer_en": "Snow clearing may be done at night. Thank you for your understanding.",
    "keywords": "除雪車, 夜間",
    "related": ENTRY,
    "note": "苦情は道路維持担当へ",
}


async def routed_department(console: Console) -> str:
    """The department the first recorded question was routed to (by its closest entry)."""
    [(department,)] = await console.rows("SELECT department FROM inquiry_outcomes WHERE id = 1")
    return str(department)


async def test_a_new_entry_from_an_unanswered_question_answers_it(kb_console: Console) -> None:
    await ask(kb_console, ODD, user="c1")
    routed = await routed_department(kb_console)
    await kb_console.add_staff("tanaka", departments=sorted({routed, "dept.roads"}))
    client = await kb_console.login("tanaka")
    listing = await client.get("/staff/knowledge/unanswered")
    assert ODD in listing.text
    [(ids,)] = await kb_console.rows("SELECT group_concat(id) FROM inquiry_outcomes")
    form = await client.get("/staff/knowledge/new", params={"question": ODD, "from": ids})
    assert ODD in form.text
    created = await client.post(
        "/staff/knowledge/new", data={**NEW_ENTRY, "inquiries": ids, "csrf": csrf_of(form.text)}
    )
    assert created.status_code == 303
    assert "done=created" in created.headers["location"]
    kind, text = await ask(kb_console, ODD, user="c2")
    assert kind is OutcomeKind.ANSWER
    assert "夜間から早朝に行うことがあります" in text
    assert ODD not in (await client.get("/staff/knowledge/unanswered")).text
    [(status,)] = await kb_console.rows("SELECT status FROM inquiry_outcomes WHERE id = 1")
    assert status == "new_entry"


async def test_a_new_entry_needs_three_ways_of_asking(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    csrf = await kb_console.csrf(client)
    form = {**NEW_ENTRY, "questions": ODD, "csrf": csrf}
    refused = await client.post("/staff/knowledge/new", data=form)
    assert "error=invalid" in refused.headers["location"]
    assert await kb_console.rows("SELECT id FROM knowledge_versions") == []


async def test_a_staff_draft_opens_in_the_editor(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.roads"])
    client = await kb_console.login("tanaka")
    staff = await kb_console.rows("SELECT id FROM staff_users")
    async with kb_console.runtime.store.unit() as unit:
        questions = "雪の捨て場\n雪捨て場はどこ\n雪を捨てたい"
        draft = await unit.drafts.add(
            staff[0][0], questions, "市の雪堆積場をご利用ください。", None, "snow"
        )
    listing = await client.get("/staff/knowledge")
    assert f'href="/staff/knowledge/new?draft={draft.id}"' in listing.text
    page = await client.get("/staff/knowledge/new", params={"draft": str(draft.id)})
    assert "市の雪堆積場をご利用ください。" in page.text
    assert "雪捨て場はどこ" in page.text


async def test_dismissing_and_out_of_scope_keep_to_the_clerks_departments(
    kb_console: Console,
) -> None:
    await ask(kb_console, ODD, user="c1")
    routed = await routed_department(kb_console)
    other = "dept.tax" if routed != "dept.tax" else "dept.roads"
    await kb_console.add_staff("suzuki", departments=[other])
    tax = await kb_console.login("suzuki")
    listing = await tax.get("/staff/knowledge/unanswered")
    assert ODD not in listing.text  # routed elsewhere: not this clerk's list
    data = {"ids": "1", "action": "dismissed", "csrf": csrf_of(listing.text)}
    await tax.post("/staff/knowledge/unanswered", data=data)
    [(status,)] = await kb_console.rows("SELECT status FROM inquiry_outcomes WHERE id = 1")
    assert status == "open"

    await kb_console.add_staff("tanaka", departments=[routed])
    roads = await kb_console.login("tanaka")
    csrf = await kb_console.csrf(roads)
    await roads.post(
        "/staff/knowledge/unanswered", data={**data, "action": "out_of_scope", "csrf": csrf}
    )
    [(status,)] = await kb_console.rows("SELECT status FROM inquiry_outcomes WHERE id = 1")
    assert status == "out_of_scope"


async def test_a_clerk_finds_what_a_guided_procedure_asks(kb_console: Console) -> None:
    await kb_console.add_staff("tanaka", departments=["dept.environment"])
    client = await kb_console.login("tanaka")
    page = await client.get("/staff/knowledge/flows", params={"q": "粗大ごみ 品目"})
    assert page.status_code == 200
    body = page.text
    assert "flow.bulky_waste" in body
    assert "flow.road_damage" not in body  # only the texts with every word are listed
    everything = await client.get("/staff/knowledge/flows")
    assert everything.text.count("<tr>") > page.text.count("<tr>")
    assert "flow.road_damage" in everything.text
    assert "awaiting staff review" in everything.text  # the flows' city-specific details
