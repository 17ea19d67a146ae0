"""The console refuses what it must: strangers, forged posts, other departments, markup."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.staff.routes import PUBLIC, ROUTES
from tests.staff.conftest import SNOW, Console, csrf_of

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _routes(method: str) -> list[str]:
    paths = []
    for route in ROUTES:
        path = getattr(route, "path", "")
        if method in (getattr(route, "methods", None) or set()) and path not in PUBLIC:
            for name, value in (
                ("{escalation_id:int}", "1"),
                ("{application_id:int}", "1"),
                ("{notice_id:int}", "1"),
            ):
                path = path.replace(name, value)
            paths.append(path.replace("{token}", "token"))
    return paths


GETS, POSTS = _routes("GET"), _routes("POST")


def test_every_console_route_is_covered_below() -> None:
    assert len(GETS) >= 6
    assert len(POSTS) >= 9
    assert "/staff/login" not in GETS + POSTS


@pytest.mark.parametrize("path", GETS)
async def test_anonymous_pages_redirect_to_login_and_the_api_answers_401(
    console: Console, path: str
) -> None:
    await console.citizen_asks_for_staff(SNOW)
    response = await console.client().get(path)
    if path.startswith(("/staff/api/", "/staff/events")):
        assert response.status_code == 401
        assert response.json() == {"error": "sign in first"}
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login?next=")


@pytest.mark.parametrize("path", POSTS)
async def test_anonymous_posts_change_nothing(console: Console, path: str) -> None:
    escalation = await console.citizen_asks_for_staff(SNOW)
    response = await console.client().post(path, data={"text": "x", "assignee": "me"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")
    async with console.runtime.store.unit() as unit:
        assert await unit.escalations.get(escalation.id) == escalation


@pytest.mark.parametrize("token", [None, "wrong-token"])
@pytest.mark.parametrize("path", POSTS)
async def test_a_post_without_the_right_csrf_token_is_refused(
    console: Console, path: str, token: str | None
) -> None:
    await console.add_staff("admin", role="admin", departments=[])
    escalation = await console.citizen_asks_for_staff(SNOW)
    client = await console.login("admin")
    form = {"text": "返信です", "assignee": "me", "note": "n", "department": "dept.tax"}
    if token is not None:
        form["csrf"] = token
    response = await client.post(path, data=form)
    assert response.status_code == 403
    async with console.runtime.store.unit() as unit:
        assert await unit.escalations.get(escalation.id) == escalation
    assert (await client.get("/staff/api/queue")).status_code == 200  # still signed in


async def test_the_csrf_header_works_and_a_foreign_origin_is_refused(console: Console) -> None:
    await console.add_staff("admin", role="admin", departments=[])
    escalation = await console.citizen_asks_for_staff(SNOW)
    client = await console.login("admin")
    csrf = await console.csrf(client)
    path = f"/staff/escalations/{escalation.id}/note"
    foreign = await client.post(
        path, data={"text": "x", "csrf": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    ok = await client.post(
        path,
        data={"text": "メモ"},
        headers={"X-CSRF-Token": csrf, "Origin": "http://citybot.test"},
    )
    assert ok.status_code == 303


async def test_the_login_form_needs_its_own_token(console: Console) -> None:
    await console.add_staff("tanaka")
    client = console.client()
    await client.get("/staff/login")
    data = {"username": "tanaka", "password": "correct horse battery staple"}
    assert (await client.post("/staff/login", data=data)).status_code == 403
    forged = await client.post("/staff/login", data={**data, "csrf": "forged"})
    assert forged.status_code == 403


async def test_a_clerk_cannot_open_another_departments_escalation(console: Console) -> None:
    await console.add_staff("roads", departments=["dept.roads"])
    await console.add_staff("tax", departments=["dept.tax"])
    escalation = await console.citizen_asks_for_staff(SNOW)
    assert escalation.department == "dept.roads"
    roads, tax = await console.login("roads"), await console.login("tax")
    page = f"/staff/escalations/{escalation.id}"
    assert (await roads.get(page)).status_code == 200
    missing = await tax.get("/staff/escalations/99999")
    hidden = await tax.get(page)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text  # nothing tells an existing id from a missing one
    for path in (
        f"/staff/api/escalations/{escalation.id}",
        f"{page.replace('/staff/', '/staff/api/')}/canned",
    ):
        assert (await tax.get(path)).status_code == 404
    csrf = await console.csrf(tax)
    reply = await tax.post(f"{page}/reply", data={"text": "見えないはず", "csrf": csrf})
    assert reply.status_code == 404
    queue = (await tax.get("/staff/api/queue")).json()
    assert queue["rows"] == []
    assert queue["counts"]["open"] == 0
    filtered = await tax.get("/staff/api/queue", params={"department": "dept.roads"})
    assert filtered.json()["rows"] == []
    assert [r["id"] for r in (await roads.get("/staff/api/queue")).json()["rows"]] == [
        escalation.id
    ]


async def test_citizen_markup_is_shown_as_text(console: Console) -> None:
    await console.add_staff("admin", role="admin", departments=[])
    escalation = await console.citizen_asks_for_staff(HOSTILE)
    client = await console.login("admin")
    page = await client.get(f"/staff/escalations/{escalation.id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    queue = await client.get("/staff/")
    assert "<script>alert" not in queue.text
    data = (await client.get(f"/staff/api/escalations/{escalation.id}")).json()
    assert any(
        HOSTILE in m["text"] for m in data["messages"]
    )  # JSON keeps it; JS uses textContent


async def test_the_audit_log_is_for_admins_only(console: Console) -> None:
    await console.add_staff("admin", role="admin", departments=[])
    await console.add_staff("roads")
    escalation = await console.citizen_asks_for_staff(SNOW)
    roads = await console.login("roads")
    csrf = csrf_of((await roads.get(f"/staff/escalations/{escalation.id}")).text)
    await roads.post(
        f"/staff/escalations/{escalation.id}/assign", data={"assignee": "me", "csrf": csrf}
    )
    assert (await roads.get("/staff/audit")).status_code == 404
    admin = await console.login("admin")
    audit = await admin.get("/staff/audit")
    assert audit.status_code == 200
    rows = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in audit.text.split("<tbody>")[1].split("<tr>")[1:]
    ]
    who_what = [(row[1], row[2], row[3]) for row in rows]  # newest first
    assert who_what[:3] == [
        ("admin", "login", ""),
        ("roads", "escalation.assign", f"escalation:{escalation.id}"),
        ("roads", "login", ""),
    ]


async def test_static_files_are_public_but_carry_no_data(console: Console) -> None:
    client: httpx.AsyncClient = console.client()
    script = await client.get("/staff/static/console.js")
    assert script.status_code == 200
    assert "textContent" in script.text
    assert "innerHTML" not in script.text
    assert (await client.get("/staff/static/../auth.py")).status_code == 404
