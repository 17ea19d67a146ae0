"""Signing in to the console: cookies, throttling, disabled accounts, expiry, secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from pathlib import Path

import pytest

from bot.knowledge_service import Knowledge
from bot.staff import accounts
from bot.staff.auth import COOKIE
from tests.staff.conftest import PASSWORD, Console, running_console, settings_for

WRONG = "ユーザー名またはパスワードが違います"
MONDAY_10 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo


def cookie_header(response: object) -> str:
    headers = response.headers  # type: ignore[attr-defined]
    return next(h for h in headers.get_list("set-cookie") if h.startswith(f"{COOKIE}="))


async def test_login_sets_a_strict_http_only_cookie_and_the_database_keeps_only_hashes(
    console: Console,
) -> None:
    await console.add_staff("tanaka")
    client = console.client()
    response = await console.login_response(client, "Tanaka")  # usernames ignore case
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/"
    cookie = cookie_header(response)
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/staff"} <= attributes
    assert "secure" not in attributes  # served over plain HTTP here
    token = cookie.split(";")[0].split("=", 1)[1]
    [(stored_hash, csrf)] = await console.rows("SELECT token_hash, csrf_token FROM staff_sessions")
    assert stored_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored_hash, csrf)
    [(password_hash,)] = await console.rows("SELECT password_hash FROM staff_users")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    assert (await client.get("/staff/")).status_code == 200


async def test_the_cookie_is_secure_when_served_over_https(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    settings = settings_for(tmp_path / "bot.db", https=True)
    async with running_console(settings, knowledge) as console:
        await console.add_staff("tanaka")
        client = console.client(base_url="https://citybot.test")
        response = await console.login_response(client, "tanaka")
        assert response.status_code == 303
        assert "secure" in cookie_header(response).lower()


async def test_wrong_password_and_unknown_user_get_the_same_answer(console: Console) -> None:
    await console.add_staff("tanaka")
    wrong_password = await console.login_response(console.client(), "tanaka", "not the password")
    no_such_user = await console.login_response(console.client(), "nobody", PASSWORD)
    for response in (wrong_password, no_such_user):
        assert response.status_code == 401
        assert WRONG in response.text
        assert COOKIE + "=" not in response.headers.get("set-cookie", "")


async def test_five_failures_lock_the_username_for_fifteen_minutes(console: Console) -> None:
    console.freeze(MONDAY_10)
    await console.add_staff("tanaka")
    for attempt in range(5):  # from five different addresses: the account counter decides
        response = await console.login_response(
            console.client(f"10.0.0.{attempt}"), "tanaka", "guess"
        )
        assert response.status_code == 401
    locked = await console.login_response(console.client("10.0.1.1"), "tanaka", PASSWORD)
    assert locked.status_code == 429
    assert "一時的にログインできません" in locked.text
    assert "15分後" in locked.text
    assert int(locked.headers["retry-after"]) == 15 * 60
    [(failed,)] = await console.rows("SELECT failed_logins FROM staff_users")
    assert failed == 5

    console.advance(minutes=15, seconds=1)
    response = await console.login_response(console.client("10.0.1.1"), "tanaka", PASSWORD)
    assert response.status_code == 303
    [(failed,)] = await console.rows("SELECT failed_logins FROM staff_users")
    assert failed == 0


async def test_five_failures_from_one_address_block_that_address_only(console: Console) -> None:
    console.freeze(MONDAY_10)
    await console.add_staff("tanaka")
    for number in range(5):  # guessing usernames from one address
        response = await console.login_response(
            console.client("192.0.2.7"), f"user{number}", "guess"
        )
        assert response.status_code == 401
    blocked = await console.login_response(console.client("192.0.2.7"), "tanaka", PASSWORD)
    assert blocked.status_code == 429
    elsewhere = await console.login_response(console.client("192.0.2.8"), "tanaka", PASSWORD)
    assert elsewhere.status_code == 303


async def test_a_disabled_clerk_is_signed_out_and_cannot_sign_in(console: Console) -> None:
    await console.add_staff("tanaka")
    client = await console.login("tanaka")
    assert (await client.get("/staff/")).status_code == 200

    out = io.StringIO()
    await accounts.disable(console.runtime.store, "tanaka", out)
    assert "ended 1 session" in out.getvalue()

    response = await client.get("/staff/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")
    again = await console.login_response(console.client(), "tanaka", PASSWORD)
    assert again.status_code == 401
    assert WRONG in again.text


async def test_a_session_ends_after_eight_idle_hours(console: Console) -> None:
    console.freeze(MONDAY_10)
    await console.add_staff("tanaka")
    client = await console.login("tanaka")
    console.advance(hours=1)
    assert (await client.get("/staff/")).status_code == 200  # activity moves the expiry
    console.advance(hours=7, minutes=59)  # 8h59 after sign-in, 7h59 idle
    assert (await client.get("/staff/")).status_code == 200
    console.advance(hours=1)
    assert (await client.get("/staff/")).status_code == 200  # 9h59, within the 12 h cap
    console.advance(hours=8, minutes=1)  # idle for 8 h
    response = await client.get("/staff/api/queue")
    assert response.status_code == 401
    assert await console.rows("SELECT id FROM staff_sessions") == []


async def test_a_session_ends_after_twelve_hours_however_active(console: Console) -> None:
    console.freeze(MONDAY_10)
    await console.add_staff("tanaka")
    client = await console.login("tanaka")
    for _ in range(11):
        console.advance(hours=1)
        assert (await client.get("/staff/api/queue")).status_code == 200
    console.advance(hours=1, seconds=1)
    assert (await client.get("/staff/api/queue")).status_code == 401


async def test_logout_deletes_the_session(console: Console) -> None:
    await console.add_staff("tanaka")
    client = await console.login("tanaka")
    csrf = await console.csrf(client)
    cookie = client.cookies.get(COOKIE, path="/staff")
    response = await client.post("/staff/logout", data={"csrf": csrf})
    assert response.status_code == 303
    assert await console.rows("SELECT id FROM staff_sessions") == []
    stolen = console.client()
    stolen.cookies.set(COOKIE, cookie or "", path="/staff")
    assert (await stolen.get("/staff/api/queue")).status_code == 401


async def test_passwords_never_reach_the_logs(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await accounts.add(
        console.runtime.store,
        console.runtime.knowledge.kb,
        "sato",
        "staff",
        ["dept.roads"],
        "佐藤",
        io.StringIO(PASSWORD + "\n"),
        io.StringIO(),
    )
    await console.login_response(console.client(), "sato", "wrong password 123")
    await console.login_response(console.client(), "sato", PASSWORD)
    await console.login_response(console.client(), "nobody", PASSWORD)
    assert caplog.records  # sign-ins are logged ...
    assert PASSWORD not in caplog.text  # ... without the password
    assert "wrong password 123" not in caplog.text
    [(password_hash,)] = await console.rows("SELECT password_hash FROM staff_users")
    assert password_hash.startswith("$argon2id$")
