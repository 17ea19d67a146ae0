"""``citybot notify …``: send a notice, run what is due, manage API tokens.

citybot notify send --topic snow [--area toko …] --text 文 [--text-en TEXT] [--link URL]
                    [--urgent] [--department dept.disaster] [--deliver]
citybot notify due [--deliver]       queue garbage reminders due now; deliver with --deliver
citybot notify token create NAME [--department DEPT] | list | revoke NAME

Without ``--deliver`` the notice is only queued: the running server's sender (same database)
delivers it within seconds. Approval rules are the console's: above the threshold, a notice
waits for a member of staff to approve it in the console.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from bot.clock import SystemClock
from bot.notify.service import Author, NoticeError, notify_repo
from bot.notify.tokens import new_token, token_hash
from bot.notify.worker import Notifications, build_notifications
from bot.settings import Settings
from bot.storage.base_notify import NoticeDraft
from bot.storage.db import create_store, migrate


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = sub.add_parser("notify", help="notifications: send, due reminders, API tokens")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True)
    send = notify_sub.add_parser("send", help="queue a notice (and deliver it with --deliver)")
    send.add_argument("--topic", required=True)
    send.add_argument("--area", action="append", default=[], help="district id (repeatable)")
    send.add_argument("--text", required=True, help="the Japanese text")
    send.add_argument("--text-en", help="the English text")
    send.add_argument("--link", help="a https:// link for details")
    send.add_argument("--urgent", action="store_true", help="防災 only: ignores quiet hours")
    send.add_argument("--department", help="the sending department (dept.disaster for urgent)")
    send.add_argument("--deliver", action="store_true", help="deliver now from this process")
    due = notify_sub.add_parser("due", help="queue the garbage reminders due now")
    due.add_argument("--deliver", action="store_true", help="deliver due notices too")
    token = notify_sub.add_parser("token", help="API tokens for POST /api/notices")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token (printed once)")
    create.add_argument("name")
    create.add_argument("--department", help="its department (dept.disaster may send urgent)")
    token_sub.add_parser("list", help="list tokens")
    token_sub.add_parser("revoke", help="revoke a token").add_argument("name")


async def run(args: argparse.Namespace, out: TextIO) -> int:
    settings = Settings.from_env()
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    notifications = build_notifications(settings, store, SystemClock())
    try:
        if args.notify_command == "token":
            return await _token(args, notifications, out)
        if args.notify_command == "due":
            planned = await notifications.plan()
            out.write(f"queued {planned} garbage reminders\n")
        else:
            code = await _send(args, notifications, out)
            if code:
                return code
        if args.deliver:
            await notifications.open()
            try:
                worked = await notifications.sender.run_due()
            finally:
                await notifications.close()
            out.write(f"delivered {worked} notices\n")
        return 0
    finally:
        await notifications.close()
        await store.close()


async def _send(args: argparse.Namespace, notifications: Notifications, out: TextIO) -> int:
    draft = NoticeDraft(
        args.topic, tuple(args.area), args.text, args.text_en, args.link, args.urgent
    )
    departments = (args.department,) if args.department else ()
    author = Author("cli", "cli", departments=departments)
    try:
        notice = await notifications.service.create(draft, author)
    except NoticeError as exc:
        out.write(f"error: {exc}\n")
        return 2
    assert notice is not None
    out.write(
        json.dumps({"id": notice.id, "status": notice.status, "recipients": notice.recipients},
                   ensure_ascii=False) + "\n"
    )
    return 0


async def _token(args: argparse.Namespace, notifications: Notifications, out: TextIO) -> int:
    service = notifications.service
    async with service.store.unit() as unit:
        repo = notify_repo(unit)
        if args.token_command == "create":
            token = new_token()
            await repo.add_token(args.name, token_hash(token), args.department, service.clock())
            await unit.audit.add(None, "notice.token_create", f"token:{args.name}",
                                 {"by": "cli", "department": args.department})
            out.write(f"{token}\n(shown once: only its hash is kept)\n")
            return 0
        if args.token_command == "revoke":
            revoked = await repo.revoke_token(args.name, service.clock())
            out.write("revoked\n" if revoked else "no such live token\n")
            return 0 if revoked else 1
        for record in await repo.list_tokens():
            state = "revoked" if record.revoked_at else "live"
            out.write(f"{record.name}\t{record.department or '-'}\t{state}\t"
                      f"last used {record.last_used_at or 'never'}\n")
        return 0
