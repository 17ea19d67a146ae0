"""The ``citybot`` command.

citybot chat                      talk to the bot in the terminal
citybot ask "質問" [--json]       one fresh-conversation turn (or one per stdin line)
citybot match --top 5 [--knowledge PATH]   ranked entries per stdin line, as JSON lines
citybot kb check [--review] [--strict]      validate the knowledge base
citybot kb drafts [--export FILE.yaml] [--mark-exported]   staff's FAQ drafts
citybot kb export DIR             the shipped YAML with the city's edits, same layout
citybot staff add USERNAME --role admin|staff --dept dept.x [--dept …] [--name NAME]
citybot staff disable|reset-password USERNAME;  citybot staff list
citybot purge [--older-than DAYS] [--apply]   delete applications past retention (dry run)
citybot notify send|due|token …   notices by topic and area (see bot/notify/cli.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.errors import CityBotError
from bot.notify import cli as notify_cli

if TYPE_CHECKING:
    from bot.knowledge_service import Knowledge
    from bot.settings import Settings

logger = logging.getLogger("citybot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citybot", description="Asahikawa city hall bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every decision")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--user", default="local", help="terminal user id (default: local)")

    ask = sub.add_parser("ask", help="ask one question in a fresh conversation")
    ask.add_argument("question", nargs="?", help="the question; without it, one per stdin line")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")

    match = sub.add_parser("match", help="rank entries for queries read from stdin")
    match.add_argument("--top", type=int, default=5, help="results per query (default 5)")
    match.add_argument("--knowledge", type=Path, help="a knowledge directory or a JSONL FAQ file")

    serve = sub.add_parser("serve", help="run the server: web chat, LINE and Telegram webhooks")
    serve.add_argument("--host", help="address to bind (default CITYBOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default CITYBOT_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (PostgreSQL only; default 1)"
    )

    line = sub.add_parser("line", help="LINE maintenance")
    line_sub = line.add_subparsers(dest="line_command", required=True)
    richmenu = line_sub.add_parser("setup-richmenu", help="create and set the default rich menu")
    richmenu.add_argument("--image", type=Path, help="menu image (PNG, 2500x843)")

    telegram = sub.add_parser("telegram", help="Telegram maintenance")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    telegram_sub.add_parser("poll", help="long polling (no public URL needed)")
    hook = telegram_sub.add_parser("set-webhook", help="register the webhook URL with Telegram")
    hook.add_argument("url", help="public https URL of /webhooks/telegram")

    kb = sub.add_parser("kb", help="knowledge-base maintenance")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base")
    check.add_argument("--knowledge", type=Path, help="knowledge data directory")
    check.add_argument("--review", action="store_true", help="list details awaiting review")
    check.add_argument("--strict", action="store_true", help="collisions count as errors")
    check.add_argument("--no-collisions", action="store_true", help="skip the collision scan")
    export = kb_sub.add_parser("export", help="write the knowledge with the city's edits")
    export.add_argument("directory", type=Path, help="where to write (knowledge/data layout)")
    drafts = kb_sub.add_parser("drafts", help="list FAQ drafts proposed by staff")
    drafts.add_argument("--export", type=Path, help="write them as knowledge YAML to this file")
    drafts.add_argument("--mark-exported", action="store_true", help="mark them exported")

    staff = sub.add_parser("staff", help="staff console accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add an account (password from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=["admin", "staff"], required=True)
    add.add_argument("--dept", action="append", default=[], help="department id (repeatable)")
    add.add_argument("--name", help="display name (default: the username)")
    for name, text in (("disable", "disable an account"), ("reset-password", "set a password")):
        staff_sub.add_parser(name, help=text).add_argument("username")
    staff_sub.add_parser("list", help="list accounts")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate the database to the newest schema, then exit")

    purge = sub.add_parser("purge", help="delete applications older than the retention period")
    purge.add_argument(
        "--older-than", type=int, metavar="DAYS", help="default: CITYBOT_RETENTION_DAYS (365)"
    )
    purge.add_argument("--apply", action="store_true", help="delete (default: only count)")
    notify_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "kb" and args.kb_command == "drafts":
            return asyncio.run(_kb_drafts(args))
        if args.command == "kb" and args.kb_command == "export":
            return asyncio.run(_kb_export(args, sys.stdout))
        if args.command == "kb":
            return _kb_check(args, sys.stdout)
        if args.command == "staff":
            return asyncio.run(_staff(args))
        if args.command == "notify":
            return asyncio.run(notify_cli.run(args, sys.stdout))
        if args.command == "purge":
            return asyncio.run(_purge(args, sys.stdout))
        if args.command == "db":
            return asyncio.run(_db_upgrade(sys.stdout))
        if args.command == "match":
            return _match(args, sys.stdin, sys.stdout)
        if args.command == "ask":
            return asyncio.run(_ask(args, sys.stdin, sys.stdout))
        if args.command == "chat":
            return asyncio.run(_chat(args))
        if args.command == "serve":
            return _serve(args)
        if args.command == "line":
            from bot.channels.line import setup_richmenu
            from bot.settings import Settings

            return asyncio.run(setup_richmenu(Settings.from_env(), args.image))
        if args.command == "telegram":
            from bot.channels import telegram as tg
            from bot.settings import Settings

            if args.telegram_command == "poll":
                return asyncio.run(telegram_poll(Settings.from_env()))
            return asyncio.run(tg.set_webhook(Settings.from_env(), args.url))
    except CityBotError as exc:
        print(f"citybot: {exc}", file=sys.stderr)
        return 2
    return 1


async def telegram_poll(settings: Settings, knowledge: Knowledge | None = None) -> int:
    """``citybot telegram poll``: the whole bot, fed by long polling instead of the webhook."""
    from bot.channels import telegram as tg
    from bot.runtime import compose, running

    if not settings.telegram_token:
        print(
            "citybot: CITYBOT_TELEGRAM_TOKEN is not set: there is no bot to poll for",
            file=sys.stderr,
        )
        return 2
    runtime = compose(settings, knowledge)
    async with running(runtime):
        channel = runtime.channels.get(tg.NAME)
        return await tg.poll(
            channel if isinstance(channel, tg.TelegramChannel) else None, runtime.inbox
        )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.logs import configure
    from bot.settings import Settings

    settings = Settings.from_env()
    configure(settings.log_format)
    host = args.host or settings.host
    port = args.port or settings.port
    from bot.knowledge_service import Knowledge

    # a broken file stops start-up, named; the built index is cached for the next start
    knowledge = Knowledge.load(settings.knowledge_dir, cache_dir=settings.index_cache_dir)
    workers = max(1, int(args.workers or 1))
    if workers > 1:
        if settings.database_url.startswith("sqlite"):
            print("citybot: --workers needs PostgreSQL (SQLite: one process)", file=sys.stderr)
            return 2
        print(f"citybot: serving on http://{host}:{port}/ with {workers} processes")
        # Each process imports the factory and composes its own runtime from the environment.
        uvicorn.run(
            "bot.app:worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_graceful_shutdown=3,
            log_config=None,
        )
        return 0
    print(f"citybot: serving on http://{host}:{port}/ (web chat)")
    app = create_app(settings, knowledge=knowledge)
    # log_config=None: uvicorn's lines go through the handler set above (text or JSON)
    uvicorn.run(app, host=host, port=port, timeout_graceful_shutdown=3, log_config=None)
    return 0


def _kb_check(args: argparse.Namespace, out: TextIO) -> int:
    from knowledge.check import check, format_report

    report = check(args.knowledge, collisions=not args.no_collisions)
    confirmed = asyncio.run(_confirmed()) if args.review else None
    for line in format_report(report, review=args.review, confirmed=confirmed):
        out.write(line + "\n")
    if not report.ok or (args.strict and report.collisions):
        return 1
    return 0


async def _confirmed() -> dict[str, set[str]] | None:
    from bot.knowledge_loop.export import confirmed_in_database

    return await confirmed_in_database()


async def _kb_export(args: argparse.Namespace, out: TextIO) -> int:
    from bot.knowledge_loop.export import run_export
    from bot.settings import Settings

    return await run_export(Settings.from_env(), args.directory, out)


async def _kb_drafts(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.staff import drafts
    from bot.storage.db import create_store, migrate
    from knowledge.loader import load_knowledge

    settings = Settings.from_env()
    kb = load_knowledge(settings.knowledge_dir)
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    try:
        return await drafts.run(store, kb, args.export, args.mark_exported, sys.stdout)
    finally:
        await store.close()


async def _staff(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.staff import accounts
    from bot.storage.db import create_store, migrate
    from knowledge.loader import load_knowledge

    settings = Settings.from_env()
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    try:
        if args.staff_command == "add":
            kb = load_knowledge(settings.knowledge_dir)
            return await accounts.add(
                store, kb, args.username, args.role, args.dept, args.name, sys.stdin, sys.stdout
            )
        if args.staff_command == "disable":
            return await accounts.disable(store, args.username, sys.stdout)
        if args.staff_command == "reset-password":
            return await accounts.reset_password(store, args.username, sys.stdin, sys.stdout)
        return await accounts.list_staff(store, sys.stdout)
    finally:
        await store.close()


async def _db_upgrade(out: TextIO) -> int:
    """``citybot db upgrade``: Alembic ``upgrade head``, once, before starting the workers."""
    from bot.settings import Settings
    from bot.storage.db import migrate

    settings = Settings.from_env()
    await migrate(settings.database_url)
    print("citybot: the database schema is up to date", file=out)
    return 0


async def _purge(args: argparse.Namespace, out: TextIO) -> int:
    import datetime as dt

    from bot.procedures.attachments import AttachmentStore
    from bot.procedures.retention import purge, purge_plan
    from bot.settings import Settings
    from bot.storage.db import create_store, migrate

    settings = Settings.from_env()
    if args.older_than is not None and args.older_than < 1:
        out.write("citybot purge: --older-than must be at least 1 day\n")
        return 2
    older_than = (
        dt.timedelta(days=args.older_than) if args.older_than is not None else settings.retention
    )
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    try:
        plan = await purge_plan(store, store.clock(), older_than)
        day = plan.cutoff.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
        verb = "deleting" if args.apply else "would delete"
        out.write(
            f"{verb} {len(plan.applications)} applications created before {day} "
            f"(older than {older_than.days} days), with {plan.attachments} attachments\n"
        )
        for flow_id, count in plan.by_flow():
            out.write(f"  {flow_id}: {count}\n")
        out.write(f"{verb} {len(plan.orphans)} unattached attachments older than a day\n")
        if not args.apply:
            out.write("dry run: nothing was deleted (add --apply to delete)\n")
            return 0
        report = await purge(store, AttachmentStore.from_settings(settings), plan)
        out.write(
            f"deleted {report.applications} applications, {report.attachments + report.orphans}"
            f" attachments ({report.files} files)\n"
        )
        for key in report.failed_files:
            out.write(f"could not delete file {key}\n")
        return 1 if report.failed_files else 0
    finally:
        await store.close()


def _match(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    from intents.analyzer import Synonyms
    from intents.matcher import Matcher
    from knowledge.documents import entry_documents, jsonl_documents
    from knowledge.loader import load_knowledge
    from knowledge.system import load_system

    synonyms = Synonyms(load_system().synonym_groups)
    path: Path | None = args.knowledge
    if path is not None and path.is_file():
        documents = jsonl_documents(path)
    else:
        documents = entry_documents(load_knowledge(path))
    matcher = Matcher.build(documents, synonyms)
    for line in stdin:
        query = line.rstrip("\n")
        if not query.strip():
            continue
        results = [
            {"entry_id": c.entry_id, "score": round(c.score, 4)}
            for c in matcher.rank(query, k=args.top)
        ]
        out.write(json.dumps({"query": query, "results": results}, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def _ask_json(outcome: Any) -> dict[str, Any]:
    from bot.choices import ENTRY, decode
    from bot.messages import OutcomeKind

    kind = outcome.kind
    label = {
        OutcomeKind.ANSWER: "answer",
        OutcomeKind.CHOICES: "choices",
        OutcomeKind.FALLBACK: "fallback",
        OutcomeKind.HANDOFF: "handoff",
        OutcomeKind.EMERGENCY: "emergency",
    }.get(kind, "answer")
    choices = []
    if kind is OutcomeKind.CHOICES:
        for choice in outcome.choices:
            value = decode(choice.value)
            if value is not None and value.action == ENTRY:
                choices.append({"entry_id": value.argument, "label": choice.label})
    return {
        "outcome": label,
        "entry_id": outcome.entry_id,
        "confidence": round(float(outcome.confidence), 4),
        "answer": outcome.text,
        "choices": choices,
        "handoff": outcome.handoff,
        "language": outcome.language,
    }


async def _ask(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    from bot.engine import Engine
    from bot.knowledge_service import Knowledge
    from bot.messages import Incoming
    from bot.storage.db import scratch_store

    questions = [args.question] if args.question is not None else (ln.rstrip("\n") for ln in stdin)
    async with scratch_store() as store:
        engine = Engine(Knowledge.load(), store)
        for number, question in enumerate(questions):
            # Each question is its own fresh conversation: a new user every time.
            outcome = await engine.handle(Incoming("terminal", f"ask-{number}", text=question))
            if args.json:
                out.write(json.dumps(_ask_json(outcome), ensure_ascii=False) + "\n")
            else:
                from bot.channels.terminal import render

                out.write(render(outcome) + "\n")
            out.flush()
    return 0


async def _chat(args: argparse.Namespace) -> int:
    from bot.channels.terminal import chat
    from bot.engine import Engine
    from bot.knowledge_service import Knowledge
    from bot.settings import Settings
    from bot.storage.db import create_store, migrate

    settings = Settings.from_env()
    knowledge = Knowledge.load(settings.knowledge_dir, cache_dir=settings.index_cache_dir)
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    try:
        await chat(Engine(knowledge, store), user_id=args.user)
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
