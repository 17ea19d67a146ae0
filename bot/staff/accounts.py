"""Staff accounts from the command line: add, disable, reset a password, list.

    citybot staff add tanaka --role staff --dept dept.roads --name "田中 花子"
    citybot staff disable tanaka            # also ends every open session
    citybot staff reset-password tanaka     # ends sessions too
    citybot staff list

Passwords are read from a prompt (twice, when stdin is a terminal) or as the first line of
stdin, and stored only as argon2 hashes.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Sequence
from typing import TextIO

from bot.errors import CityBotError
from bot.staff.passwords import WeakPasswordError, hash_password
from bot.storage.base import Store
from bot.storage.errors import DuplicateError
from bot.storage.records import StaffRole
from knowledge.loader import KnowledgeBase

logger = logging.getLogger(__name__)


class AccountError(CityBotError):
    """A staff account command cannot be carried out (the message says why)."""


def read_password(stdin: TextIO, *, confirm: bool = True) -> str:
    """A new password from the terminal (asked twice) or the first line of stdin."""
    if stdin.isatty():
        password = getpass.getpass("新しいパスワード New password: ")
        if confirm and getpass.getpass("もう一度 Again: ") != password:
            msg = "the two passwords differ"
            raise AccountError(msg)
    else:
        password = stdin.readline().rstrip("\r\n")
    try:
        return hash_password(password)
    except WeakPasswordError as exc:
        raise AccountError(str(exc)) from None


def check_departments(kb: KnowledgeBase, role: str, departments: Sequence[str]) -> list[str]:
    unknown = [d for d in departments if d not in kb.entries or kb.entries[d].kind != "department"]
    if unknown:
        known = ", ".join(e.id for e in kb if e.kind == "department")
        msg = f"unknown department(s) {', '.join(unknown)}; known: {known}"
        raise AccountError(msg)
    if role == "staff" and not departments:
        msg = "a staff account needs at least one --dept (admins see every department)"
        raise AccountError(msg)
    return list(dict.fromkeys(departments))


async def add(
    store: Store,
    kb: KnowledgeBase,
    username: str,
    role: StaffRole,
    departments: Sequence[str],
    name: str | None,
    stdin: TextIO,
    out: TextIO,
) -> int:
    depts = check_departments(kb, role, departments)
    password_hash = read_password(stdin)
    async with store.unit() as unit:
        try:
            staff = await unit.staff.add(username, name or username, password_hash, role, depts)
        except DuplicateError:
            msg = f"the username {username!r} is taken"
            raise AccountError(msg) from None
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        await unit.audit.add(None, "staff.add", target=f"staff:{staff.id}", detail={"role": role})
    out.write(f"added {staff.username} ({role}: {', '.join(depts) or 'all departments'})\n")
    return 0


async def _find(store: Store, username: str) -> int:
    async with store.unit() as unit:
        staff = await unit.staff.by_username(username)
    if staff is None:
        msg = f"no staff account named {username!r}"
        raise AccountError(msg)
    return staff.id


async def disable(store: Store, username: str, out: TextIO) -> int:
    staff_id = await _find(store, username)
    async with store.unit() as unit:
        await unit.staff.set_active(staff_id, False)
        ended = await unit.sessions.delete_for_staff(staff_id)
        await unit.audit.add(None, "staff.disable", target=f"staff:{staff_id}")
    out.write(f"disabled {username.lower()}; ended {ended} session(s)\n")
    return 0


async def reset_password(store: Store, username: str, stdin: TextIO, out: TextIO) -> int:
    staff_id = await _find(store, username)
    password_hash = read_password(stdin)
    async with store.unit() as unit:
        await unit.staff.set_password(staff_id, password_hash)
        ended = await unit.sessions.delete_for_staff(staff_id)
        await unit.audit.add(None, "staff.reset_password", target=f"staff:{staff_id}")
    out.write(f"new password set for {username.lower()}; ended {ended} session(s)\n")
    return 0


async def list_staff(store: Store, out: TextIO) -> int:
    async with store.unit() as unit:
        people = await unit.staff.list()
    for p in people:
        state = "active" if p.active else "disabled"
        depts = ",".join(p.departments) or "*"
        out.write(f"{p.username}\t{p.role}\t{state}\t{depts}\t{p.display_name}\n")
    return 0
