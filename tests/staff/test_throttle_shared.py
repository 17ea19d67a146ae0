"""Login throttling holds across server processes: the failures are counted in the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.knowledge_service import Knowledge
from tests.staff.conftest import PASSWORD, running_console, settings_for

MONDAY_10 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


async def test_an_address_blocked_by_one_process_is_blocked_by_another(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    settings = settings_for(tmp_path / "bot.db")
    async with (
        running_console(settings, knowledge) as first,
        running_console(settings, knowledge) as second,
    ):
        for console in (first, second):
            console.freeze(MONDAY_10)
        await first.add_staff("tanaka")
        for number in range(5):  # unknown usernames, one address, spread over both processes
            console = (first, second)[number % 2]
            response = await console.login_response(
                console.client("192.0.2.7"), f"user{number}", "guess"
            )
            assert response.status_code == 401
        for console in (first, second):
            blocked = await console.login_response(console.client("192.0.2.7"), "tanaka")
            assert blocked.status_code == 429
            assert int(blocked.headers["retry-after"]) == 15 * 60
        elsewhere = await second.login_response(second.client("192.0.2.8"), "tanaka")
        assert elsewhere.status_code == 303

        for console in (first, second):  # the window follows the console's clock
            console.advance(minutes=15, seconds=1)
        again = await second.login_response(second.client("192.0.2.7"), "tanaka", PASSWORD)
        assert again.status_code == 303
        stored = await first.rows("SELECT key FROM login_failures")
        assert all(len(key) == 64 and "192.0.2.7" not in key for (key,) in stored)


async def test_an_unknown_username_is_throttled_across_addresses(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    settings = settings_for(tmp_path / "bot.db")
    async with (
        running_console(settings, knowledge) as first,
        running_console(settings, knowledge) as second,
    ):
        for console in (first, second):
            console.freeze(MONDAY_10)
        for number in range(5):
            console = (first, second)[number % 2]
            response = await console.login_response(
                console.client(f"10.0.0.{number}"), "nobody", "guess"
            )
            assert response.status_code == 401
        locked = await second.login_response(second.client("10.0.1.1"), "nobody", "guess")
        assert locked.status_code == 429
