"""A clerk works applications: list, detail, photos, status changes that reach the citizen, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.app import create_app
from bot.channels.base import Recipient
from bot.channels.web.api import WebChannel
from bot.clock import FrozenClock
from bot.errors import ChannelError
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Reply
from bot.procedures.attachments import AttachmentStore
from bot.settings import Settings
from bot.storage.records import ApplicationRecord, Channel
from tests.staff.conftest import Console, csrf_of

NOON = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 12:00 in Asahikawa
LOCATION = {"latitude": 43.770636, "longitude": 142.365015, "address": "旭川市6条通9丁目"}


def png(width: int = 2, height: int = 2) -> bytes:
    """A small valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


class FakeChannel:
    """A messaging channel that records what it was asked to send (or fails on purpose)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, list[str]]] = []
        self.failure: str | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        return []

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        if self.failure is not None:
            raise ChannelError(self.failure)
        self.sent.append((recipient.user_id, [r.text for r in replies]))


@dataclass
class Desk:
    """The console, the citizen's (fake) Telegram and the attachment files."""

    console: Console
    telegram: FakeChannel
    files: AttachmentStore

    async def submit(
        self,
        *,
        citizen: str = "tg-100",
        channel: Channel = "telegram",
        flow_id: str = "flow.road_damage",
        department: str = "dept.roads",
        answers: dict[str, Any] | None = None,
        photo: bytes | None = None,
        summary: str = "街路灯が消えている",
        language: str = "ja",
        at: dt.datetime = NOON,
    ) -> ApplicationRecord:
        """What the flow runner stores when a citizen confirms a report."""
        answers = dict(
            answers
            if answers is not None
            else {"what": "street_light", "location": LOCATION, "description": "夜は真っ暗です"}
        )
        async with self.console.runtime.store.unit() as unit:
            user = await unit.users.get_or_create(
                channel, citizen, language="en" if language == "en" else "ja"
            )
            convo = await unit.conversations.open_for(user.id)
            ids: list[int] = []
            if photo is not None:
                saved = self.files.save(photo, "image/png")
                stored = await unit.attachments.add(
                    user.id, saved.content_type, saved.size, saved.sha256, saved.storage_key
                )
                ids.append(stored.id)
                answers["photo"] = ids
            record = await unit.applications.create(
                "R", user.id, convo.id, channel, flow_id, department, answers, summary, at
            )
            if ids:
                await unit.attachments.attach(ids, record.id)
        return record


@pytest_asyncio.fixture
async def desk(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Desk]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        attachments_dir=tmp_path / "attachments",
    )
    telegram = FakeChannel("telegram")
    app = create_app(
        settings,
        knowledge=knowledge,
        channels={"telegram": telegram, "web": WebChannel()},
        clock=FrozenClock(),
    )
    async with app.router.lifespan_context(app):
        console = Console(app, app.state.runtime)
        console.freeze(NOON + dt.timedelta(hours=1))
        try:
            await console.add_staff("roads", departments=["dept.roads"])
            await console.add_staff("waste", departments=["dept.environment"])
            await console.add_staff("admin", role="admin", departments=[])
            yield Desk(console, telegram, AttachmentStore(tmp_path / "attachments"))
        finally:
            for client in console.clients:
                await client.aclose()


async def _post(client: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    page = path.rsplit("/", 1)[0]
    csrf = csrf_of((await client.get(page)).text)
    return await client.post(path, data={"csrf": csrf, **form})


async def test_the_owning_department_lists_and_reads_an_application(desk: Desk) -> None:
    record = await desk.submit(photo=png())
    await desk.submit(
        citizen="tg-200",
        flow_id="flow.bulky_waste",
        department="dept.environment",
        answers={"items": ["sofa"], "count": 1},
        summary="粗大ごみ ソファ",
    )
    roads = await desk.console.login("roads")

    listing = await roads.get("/staff/applications")
    assert listing.status_code == 200
    assert record.reference in listing.text
    assert "粗大ごみ ソファ" not in listing.text  # another department's
    assert 'id="count-new" aria-label="件数 count">1<' in listing.text

    page = await roads.get(f"/staff/applications/{record.id}")
    assert page.status_code == 200
    html = page.text
    assert "損傷の種類" in html
    assert "街路灯が消えている・壊れている" in html
    assert "夜は真っ暗です" in html
    assert "旭川市6条通9丁目" in html
    assert (
        "https://www.openstreetmap.org/?mlat=43.770636&amp;mlon=142.365015"
        "#map=18/43.770636/142.365015"
    ) in html
    assert "Telegram" in html
    [photo_url] = [part.split('"')[0] for part in html.split('<img src="')[1:]]
    photo = await roads.get(photo_url)
    assert photo.status_code == 200
    assert photo.content == png()
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["content-disposition"] == "inline"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in photo.headers["cache-control"]
    assert "private" in photo.headers["cache-control"]

    admin = await desk.console.login("admin")
    everything = await admin.get("/staff/applications")
    assert record.reference in everything.text
    assert "粗大ごみ ソファ" in everything.text


async def test_answers_are_shown_as_text_never_as_html(desk: Desk) -> None:
    record = await desk.submit(
        answers={"what": "other", "description": "<script>alert(1)</script>"},
        summary="<b>bold</b>",
    )
    roads = await desk.console.login("roads")
    html = (await roads.get(f"/staff/applications/{record.id}")).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in (await roads.get("/staff/applications")).text


async def test_another_departments_clerk_finds_nothing(desk: Desk) -> None:
    record = await desk.submit(photo=png())
    roads = await desk.console.login("roads")
    page = (await roads.get(f"/staff/applications/{record.id}")).text
    photo_url = page.split('<img src="')[1].split('"')[0]

    waste = await desk.console.login("waste")
    assert (await waste.get(f"/staff/applications/{record.id}")).status_code == 404
    assert (await waste.get(photo_url)).status_code == 404
    assert (await waste.get("/staff/attachments/no-such-token")).status_code == 404
    assert (await waste.get("/staff/applications/99999")).status_code == 404
    assert record.reference not in (await waste.get("/staff/applications")).text
    exported = await waste.get("/staff/applications.csv", params={"from": "2026-11-30"})
    assert record.reference not in exported.content.decode("utf-8-sig")
    csrf = await desk.console.csrf(waste)
    refused = await waste.post(
        f"/staff/applications/{record.id}/status",
        data={"csrf": csrf, "status": "done", "message": "完了"},
    )
    assert refused.status_code == 404
    assert desk.telegram.sent == []
    anonymous = desk.console.client()
    assert (await anonymous.get(photo_url)).status_code == 303  # to the sign-in page


async def test_a_status_change_reaches_the_citizen_and_is_audited(desk: Desk) -> None:
    record = await desk.submit(citizen="tg-555")
    roads = await desk.console.login("roads")
    page = (await roads.get(f"/staff/applications/{record.id}")).text
    assert f"受付番号 {record.reference}（道路・街路灯・カーブミラー等の損傷の通報）" in page

    response = await _post(
        roads,
        f"/staff/applications/{record.id}/status",
        status="in_progress",
        message="明日、現地を確認します。",
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("done=status")
    assert desk.telegram.sent == [("tg-555", ["明日、現地を確認します。"])]

    await _post(
        roads, f"/staff/applications/{record.id}/status", status="done", message="修理しました。"
    )
    assert desk.telegram.sent[-1] == ("tg-555", ["修理しました。"])
    done = (await roads.get("/staff/applications", params={"tab": "done"})).text
    assert record.reference in done
    assert 'id="count-done" aria-label="件数 count">1<' in done
    detail = (await roads.get(f"/staff/applications/{record.id}")).text
    assert "完了 Done" in detail
    assert "修理しました。" in detail
    assert "再開する" in detail  # a closed application can be reopened

    rows = await desk.console.rows(
        "SELECT action, target, detail FROM audit_log"
        " WHERE action LIKE 'application.%' ORDER BY id"
    )
    assert [(r[0], r[1]) for r in rows] == [
        ("application.status", f"application:{record.id}"),
        ("application.status", f"application:{record.id}"),
    ]
    detail_of_last = rows[-1][2] if isinstance(rows[-1][2], dict) else json.loads(rows[-1][2])
    assert (detail_of_last["from"], detail_of_last["to"]) == ("in_progress", "done")
    assert "修理しました" not in json.dumps(detail_of_last, ensure_ascii=False)


async def test_the_notice_is_prefilled_in_the_citizens_language(desk: Desk) -> None:
    record = await desk.submit(citizen="tg-en", language="en")
    roads = await desk.console.login("roads")
    page = (await roads.get(f"/staff/applications/{record.id}")).text
    assert f"We have started working on your request {record.reference}" in page


async def test_a_change_that_does_not_fit_the_status_is_refused(desk: Desk) -> None:
    record = await desk.submit()
    roads = await desk.console.login("roads")
    reopen = await _post(
        roads, f"/staff/applications/{record.id}/status", status="new", message="x"
    )
    assert reopen.headers["location"].endswith("error=conflict")
    empty = await _post(
        roads, f"/staff/applications/{record.id}/status", status="done", message="  "
    )
    assert empty.headers["location"].endswith("error=empty")
    assert desk.telegram.sent == []
    no_token = await roads.post(
        f"/staff/applications/{record.id}/status", data={"status": "done", "message": "完了"}
    )
    assert no_token.status_code == 403


async def test_a_web_citizen_reads_the_notice_on_the_next_visit(desk: Desk) -> None:
    record = await desk.submit(citizen="visitor-1", channel="web")
    roads = await desk.console.login("roads")
    await _post(
        roads, f"/staff/applications/{record.id}/status", status="done", message="対応しました。"
    )
    async with desk.console.runtime.store.unit() as unit:
        user = await unit.users.get_or_create("web", "visitor-1")
        convo = await unit.conversations.open_for(user.id)
        texts = [m.text for m in await unit.messages.recent(convo.id)]
    assert texts[-1] == "対応しました。"


async def test_a_failed_send_is_queued_and_said_so(desk: Desk) -> None:
    record = await desk.submit()
    desk.telegram.failure = "telegram is down"
    roads = await desk.console.login("roads")
    response = await _post(
        roads, f"/staff/applications/{record.id}/status", status="rejected", message="対象外です。"
    )
    assert response.headers["location"].endswith("done=queued")
    page = (await roads.get(response.headers["location"])).text
    assert "送信待ち" in page
    assert "却下 Rejected" in page


async def test_internal_notes_stay_inside(desk: Desk) -> None:
    record = await desk.submit()
    roads = await desk.console.login("roads")
    response = await _post(
        roads, f"/staff/applications/{record.id}/note", text="電柱番号 No.123 を確認済み"
    )
    assert response.headers["location"].endswith("done=noted")
    page = (await roads.get(f"/staff/applications/{record.id}")).text
    assert "電柱番号 No.123 を確認済み" in page
    assert desk.telegram.sent == []


async def test_the_csv_holds_a_period_with_a_bom_and_is_audited(desk: Desk) -> None:
    first = await desk.submit(citizen="tg-1", at=NOON - dt.timedelta(days=1))
    second = await desk.submit(citizen="tg-2", summary='=HYPERLINK("x")')
    await desk.submit(
        citizen="tg-3",
        flow_id="flow.bulky_waste",
        department="dept.environment",
        answers={"items": ["sofa"]},
        summary="ソファ",
    )
    roads = await desk.console.login("roads")
    day = await roads.get("/staff/applications.csv", params={"from": "2026-11-30"})
    assert day.status_code == 200
    assert day.headers["content-type"].startswith("text/csv")
    assert "attachment" in day.headers["content-disposition"]
    assert day.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(day.content.decode("utf-8-sig"))))
    assert table[0] == [
        "reference",
        "created",
        "flow",
        "status",
        "department",
        "channel",
        "summary",
        "answers",
    ]
    [row] = table[1:]
    assert row[0] == second.reference
    assert row[1] == "2026-11-30 12:00"
    assert row[2] == "道路・街路灯・カーブミラー等の損傷の通報"
    assert row[3] == "新規 New"
    assert row[5] == "telegram"
    assert row[6] == '\'=HYPERLINK("x")'  # never a formula in Excel
    assert json.loads(row[7])["location"] == LOCATION

    period = await roads.get(
        "/staff/applications.csv", params={"from": "2026-11-29", "to": "2026-11-30"}
    )
    rows = list(csv.reader(io.StringIO(period.content.decode("utf-8-sig"))))[1:]
    assert [r[0] for r in rows] == [first.reference, second.reference]  # oldest first

    audit = await desk.console.rows(
        "SELECT action, detail FROM audit_log WHERE action = 'application.export' ORDER BY id"
    )
    details = [d if isinstance(d, dict) else json.loads(d) for _, d in audit]
    assert [(d["from"], d["to"], d["rows"]) for d in details] == [
        ("2026-11-30", "2026-11-30", 1),
        ("2026-11-29", "2026-11-30", 2),
    ]


async def test_filters_narrow_the_list(desk: Desk) -> None:
    old = await desk.submit(citizen="tg-1", at=NOON - dt.timedelta(days=3))
    snow = await desk.submit(citizen="tg-2", flow_id="flow.snow_removal", summary="雪が多い")
    admin = await desk.console.login("admin")
    by_flow = (await admin.get("/staff/applications", params={"flow": "flow.snow_removal"})).text
    assert snow.reference in by_flow
    assert old.reference not in by_flow
    by_day = (
        await admin.get("/staff/applications", params={"from": "2026-11-27", "to": "2026-11-27"})
    ).text
    assert old.reference in by_day
    assert snow.reference not in by_day
    both = (await admin.get("/staff/applications")).text
    assert both.index(snow.reference) < both.index(old.reference)  # newest first


@pytest.mark.parametrize("token", ["../../etc/passwd", "a" * 200, "%00"])
async def test_odd_attachment_tokens_are_not_found(desk: Desk, token: str) -> None:
    roads = await desk.console.login("roads")
    response = await roads.get(f"/staff/attachments/{token}")
    assert response.status_code == 404
