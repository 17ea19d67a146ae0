"""Citizens talk to the bot (web chat and the engine), giving names and phone numbers; the
published page, JSON and CSV then hold no identifier, no free text and no count under 5."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.messages import Incoming
from bot.settings import Settings

# What citizens wrote: none of it (nor any part that identifies them) may be published.
SECRETS = ("山田太郎", "090-1234-5678", "09012345678", "旭川市永山3条", "yamada@example.jp")
SNOW = "除雪車って何時ごろ来るの？"
SMALL_TALK = "ふわふわのパンケーキが好きです"


@pytest.fixture
async def app(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings, knowledge=knowledge)
    async with app.router.lifespan_context(app):
        yield app


async def _seed(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    for n in range(6):  # six web visitors ask about snow, introducing themselves
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            for text in (f"山田太郎です。電話は090-1234-5678です。{SNOW}", SNOW):
                response = await web.post("/api/chat", json={"text": text})
                assert response.status_code == 200, response.text
            if n < 2:  # two of them also write an address and small talk, then ask for staff
                for text in ("旭川市永山3条 yamada@example.jp", SMALL_TALK, "職員と話したい"):
                    await web.post("/api/chat", json={"text": text})
    engine = app.state.runtime.engine
    for n in range(3):  # three LINE citizens, by user id, with the phone number written plainly
        await engine.handle(Incoming("line", f"U{n:032d}", text=f"09012345678 {SMALL_TALK}"))
    escalations = app.state.runtime.escalations
    async with app.state.runtime.store.unit() as unit:
        opened = await unit.escalations.list(limit=10)
    assert opened, "the seeding should have handed someone to staff"
    await escalations.reply(opened[0].id, staff_id=None, text="山田太郎様、担当からご連絡します")


def _counts_in_json(document: dict[str, Any]) -> list[tuple[Any, bool]]:
    found = []
    for table in document["tables"]:
        units = {c["id"]: c["unit"] for c in table["columns"]}
        for row in table["rows"]:
            for key, value in row["values"].items():
                withheld = key in row["suppressed"]
                if units[key] == "count":
                    found.append((value, withheld))
                elif withheld:
                    assert value is None
    return found


def _assert_counts(counts: list[tuple[Any, bool]]) -> None:
    assert counts, "no counts were published"
    for value, withheld in counts:
        if withheld:
            assert value in (None, "")
        else:
            assert isinstance(value, int), value
            assert value >= 5, f"a count under 5 was published: {value}"


def _assert_medians_rest_on_five_cases(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        for median, cases in (
            ("median_office", "cases_office"),
            ("median_after_hours", "cases_after_hours"),
        ):
            if row[median] not in (None, ""):
                assert int(row[cases]) >= 5


async def test_open_data_holds_no_identifier_free_text_or_small_count(app: Starlette) -> None:
    await _seed(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as anonymous:
        page = await anonymous.get("/stats")
        data = await anonymous.get("/stats.json")
        table = await anonymous.get("/stats.csv")
    assert (page.status_code, data.status_code, table.status_code) == (200, 200, 200)
    raw_csv = table.content
    assert raw_csv.startswith(b"\xef\xbb\xbf")
    text_csv = raw_csv.decode("utf-8-sig")
    for output in (page.text, data.text, text_csv):
        for secret in (*SECRETS, SMALL_TALK, "U0000", "pancake"):
            assert secret not in output
        assert not re.search(r"\d{2,4}-\d{2,4}-\d{4}", output), "a phone number was published"
        assert "CC BY 4.0" in output or "CC-BY-4.0" in output

    document = data.json()
    assert document["licence"]["id"] == "CC-BY-4.0"
    _assert_counts(_counts_in_json(document))
    for table in document["tables"]:  # a lone withheld count could be found by subtraction
        if table["id"] in ("questions_by_month", "questions_by_category"):
            for column in table["columns"][1:]:
                cells = [r["values"][column["id"]] for r in table["rows"]]
                hidden = sum(v is None for v in cells)
                assert hidden != 1 or hidden == len(cells), (table["id"], column["id"])
    [replies] = [t for t in document["tables"] if t["id"] == "reply_times"]
    _assert_medians_rest_on_five_cases([r["values"] for r in replies["rows"]])
    assert json.dumps(document, ensure_ascii=False).count("山田") == 0

    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert {r["licence"] for r in rows} == {
        "CC-BY-4.0 https://creativecommons.org/licenses/by/4.0/ (旭川市)"
    }
    _assert_counts(
        [
            (int(r["value"]) if r["value"] else "", r["suppressed"] == "true")
            for r in rows
            if r["unit"] == "count"
        ]
    )
    for r in rows:
        if r["suppressed"] == "true":
            assert r["value"] == ""

    cells = re.findall(r'<td class="num" data-unit="count"[^>]*>(.*?)</td>', page.text)
    assert cells
    for cell in cells:
        shown = re.sub(r"<[^>]+>", "", cell).replace(",", "")
        assert shown == "&lt;5" or int(shown) >= 5, cell
    # The snow question was asked twelve times: enough to be published as a topic.
    [topics] = [t for t in document["tables"] if t["id"] == "topics"]
    assert topics["rows"][0]["values"]["questions"] >= 5
