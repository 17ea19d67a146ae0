"""One area-wide notice to many subscribers, half LINE and half Telegram, against the fakes.

    python -m bench.notify_load [--subscribers 100000] [--limited-telegram 3000]
                                [--chat-rate 5] [--chat-seconds 10]

Three processes besides this one, on 127.0.0.1: the bot (``bench.notify_servers bot``, the app
``citybot serve`` runs, on a fresh SQLite file), and the fake LINE and Telegram APIs
(``bench.notify_servers fakes``, which count what they receive). The subscribers are written
straight into the database before the bot starts; the notice arrives through
``POST /api/notices`` (an API token), so the bot's own sender delivers it in its own process.

Run 1 (throughput): fakes and sender without rate limits. Reported: time from the API call
until every recipient was handed to a fake, the bot's RSS before and at its peak during the
send (sampled from /proc every 0.2 s), and web chat latency (``POST /api/chat``, open loop at
``--chat-rate`` requests/s from 20 visitors) while it runs, against the same load without it.

Run 2 (within the platforms' limits): the fakes answer 429 above 200 LINE calls/s and 30
Telegram messages/s (1/s per chat); the sender uses its default limits. LINE gets all its
subscribers, Telegram ``--limited-telegram`` of them (30/s would take ~28 minutes for 50,000);
the measured Telegram rate gives the figure for the full half.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.evalset import load_eval
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN

ROOT = Path(__file__).resolve().parent.parent
API_TOKEN = "cbn_bench-token-for-the-notify-load-benchmark"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def populate(db: Path, subscribers: int, limited_telegram: int) -> None:
    """Users half LINE, half Telegram, all subscribed to snow in 東光; ``events`` for run 2."""
    now = "2026-12-01 01:00:00.000000"
    conn = sqlite3.connect(db)
    with conn:
        half = subscribers // 2
        users = [("line", f"U{n:032d}") for n in range(half)]
        users += [("telegram", str(7_000_000_000 + n)) for n in range(subscribers - half)]
        conn.executemany(
            "INSERT INTO users (channel, external_id, language, active, created_at, last_seen_at)"
            " VALUES (?, ?, 'ja', 1, ?, ?)",
            [(c, e, now, now) for c, e in users],
        )
        rows = conn.execute("SELECT id, channel FROM users ORDER BY id").fetchall()
        conn.executemany(
            "INSERT INTO notify_subscriptions (user_id, topic, consent_text, consented_at)"
            " VALUES (?, 'snow', 'bench', ?)",
            [(r, now) for r, _ in rows],
        )
        conn.executemany(
            "INSERT INTO notify_areas (user_id, area, source, updated_at) VALUES (?, 'toko',"
            " 'list', ?)",
            [(r, now) for r, _ in rows],
        )
        limited = [r for r, c in rows if c == "line"]
        limited += [r for r, c in rows if c == "telegram"][:limited_telegram]
        conn.executemany(
            "INSERT INTO notify_subscriptions (user_id, topic, consent_text, consented_at)"
            " VALUES (?, 'events', 'bench', ?)",
            [(r, now) for r in limited],
        )
        conn.execute(
            "INSERT INTO notify_tokens (name, token_hash, department, created_at)"
            " VALUES ('bench', ?, NULL, ?)",
            (hashlib.sha256(API_TOKEN.encode()).hexdigest(), now),
        )
    conn.close()


async def populate_sql(url: str, subscribers: int, limited_telegram: int) -> None:
    """The same rows as :func:`populate`, through SQLAlchemy (PostgreSQL)."""
    import datetime as dt

    from sqlalchemy import insert, select

    from bot.storage.db import create_engine
    from bot.storage.models import User
    from bot.storage.models_notify import NotifyArea, NotifySubscription, NotifyToken

    now = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    engine = create_engine(url)
    half = subscribers // 2
    users = [("line", f"U{n:032d}") for n in range(half)]
    users += [("telegram", str(7_000_000_000 + n)) for n in range(subscribers - half)]
    async with engine.begin() as conn:
        for start in range(0, len(users), 10_000):
            await conn.execute(insert(User), [
                {"channel": c, "external_id": e, "language": "ja", "active": True,
                 "created_at": now, "last_seen_at": now} for c, e in users[start:start + 10_000]
            ])
        rows = (await conn.execute(select(User.id, User.channel).order_by(User.id))).all()
        subs = [{"user_id": r, "topic": "snow", "consent_text": "bench", "consented_at": now}
                for r, _ in rows]
        limited = [r for r, c in rows if c == "line"]
        limited += [r for r, c in rows if c == "telegram"][:limited_telegram]
        subs += [{"user_id": r, "topic": "events", "consent_text": "bench", "consented_at": now}
                 for r in limited]
        areas = [{"user_id": r, "area": "toko", "source": "list", "updated_at": now}
                 for r, _ in rows]
        for table, values in ((NotifySubscription, subs), (NotifyArea, areas)):
            for start in range(0, len(values), 10_000):
                await conn.execute(insert(table), values[start:start + 10_000])
        await conn.execute(insert(NotifyToken).values(
            name="bench", token_hash=hashlib.sha256(API_TOKEN.encode()).hexdigest(),
            created_at=now))
    await engine.dispose()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server (dropped afterwards)."""
    import asyncpg

    admin = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"notify_bench_{os.getpid()}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def processes(workdir: Path, db_url: str, unlimited: bool) -> Iterator[tuple[str, int, str]]:
    line_port, telegram_port, bot_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fakes_cmd = [
        sys.executable,
        "-m",
        "bench.notify_servers",
        "fakes",
        "--line-port",
        str(line_port),
        "--telegram-port",
        str(telegram_port),
    ]
    if not unlimited:
        fakes_cmd += ["--line-rate", "200", "--telegram-rate", "30"]
    bot_env = {
        **env,
        "CITYBOT_DATABASE_URL": db_url,
        "CITYBOT_SECRET_KEY": "bench-secret-key-0123456789",
        "CITYBOT_VAR_DIR": str(workdir),
        "CITYBOT_ATTACHMENTS_DIR": str(workdir / "files"),
        "CITYBOT_LINE_CHANNEL_SECRET": "bench-secret",
        "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
        "CITYBOT_LINE_API_BASE": f"http://{HOST}:{line_port}",
        "CITYBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "CITYBOT_TELEGRAM_API_BASE": f"http://{HOST}:{telegram_port}/bot",
        "CITYBOT_NOTIFY_QUIET_HOURS": "",
        "CITYBOT_NOTIFY_APPROVAL_THRESHOLD": "10000000",
    }
    bot_cmd = [sys.executable, "-m", "bench.notify_servers", "bot", "--port", str(bot_port)]
    if unlimited:
        bot_cmd.append("--unlimited")
    fakes = subprocess.Popen(fakes_cmd, cwd=ROOT, env=env)
    time.sleep(1.0)
    bot = subprocess.Popen(bot_cmd, cwd=workdir, env=bot_env)
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{HOST}:{bot_port}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            msg = "the bot did not start"
            raise RuntimeError(msg)
        yield f"http://{HOST}:{bot_port}", bot.pid, f"http://{HOST}:{line_port}"
    finally:
        for process in (bot, fakes):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
            if process.poll() is None:
                process.kill()


FAILED: list[str] = []  # chat requests that did not answer 200, with the status


async def chat_load(base: str, rate: float, stop: asyncio.Event) -> list[float]:
    """Open-loop web chat messages until ``stop``; latencies in ms (failures in FAILED)."""
    questions = [q.text for q in load_eval() if q.expect][:200]
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(20)]
    latencies: list[float] = []
    tasks: list[asyncio.Task[None]] = []

    async def one(client: httpx.AsyncClient, text: str, scheduled: float) -> None:
        response = await client.post("/api/chat", json={"text": text})
        if response.status_code != 200:
            FAILED.append(f"{response.status_code} at {time.perf_counter() - start:.1f} s")
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)

    start = time.perf_counter()
    n = 0
    while not stop.is_set():
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                break
        tasks.append(
            asyncio.create_task(one(clients[n % 20], random.choice(questions), scheduled))
        )
        n += 1
    await asyncio.gather(*tasks)
    for client in clients:
        await client.aclose()
    return latencies


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def send_and_watch(
    base: str, fakes: str, pid: int, topic: str, expect: dict[str, int], chat_rate: float
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        before = (await http.get(f"{fakes}/_bench/counts")).json()
        rss_before = rss_kb(pid)
        stop = asyncio.Event()
        chat = asyncio.create_task(chat_load(base, chat_rate, stop)) if chat_rate else None
        started = time.perf_counter()
        made = await http.post(
            f"{base}/api/notices",
            json={
                "topic": topic,
                "areas": [] if topic == "events" else ["toko"],
                "text": "大雪のため、今夜東光地区で排雪作業を行います。",
            },
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        made.raise_for_status()
        peak = rss_before
        done_at: dict[str, float] = {}
        counts = before
        while len(done_at) < len(expect):
            await asyncio.sleep(0.2)
            peak = max(peak, rss_kb(pid))
            counts = (await http.get(f"{fakes}/_bench/counts")).json()
            for name, total in expect.items():
                if name not in done_at and counts[name] - before[name] >= total:
                    done_at[name] = time.perf_counter() - started
        stop.set()
        latencies = await chat if chat is not None else []
    return {
        "done": done_at,
        "rss_before": rss_before,
        "rss_peak": peak,
        "chat": latencies,
        "counts": counts,
    }


async def baseline_chat(base: str, rate: float, seconds: float) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(chat_load(base, rate, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notify_load")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--limited-telegram", type=int, default=3_000)
    parser.add_argument("--chat-rate", type=float, default=5.0)
    parser.add_argument("--chat-seconds", type=float, default=15.0)
    parser.add_argument("--skip-limited", action="store_true")
    parser.add_argument("--postgres", action="store_true", help="a throwaway local PG database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="notify-load-"))
    with contextlib.ExitStack() as stack:
        try:
            run_all(args, workdir, stack)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def run_all(args: argparse.Namespace, workdir: Path, stack: contextlib.ExitStack) -> None:
    if True:
        db = workdir / "bot.db"
        db_url = stack.enter_context(postgres_database()) if args.postgres else (
            f"sqlite+aiosqlite:///{db}"
        )
        from bot.storage.db import migrate

        asyncio.run(migrate(db_url))
        t = time.perf_counter()
        if args.postgres:
            asyncio.run(populate_sql(db_url, args.subscribers, args.limited_telegram))
        else:
            populate(db, args.subscribers, args.limited_telegram)
        print(f"populated {args.subscribers} subscribers in {time.perf_counter() - t:.1f} s")
        half = args.subscribers // 2
        with processes(workdir, db_url, unlimited=True) as (base, pid, fakes):
            quiet = asyncio.run(baseline_chat(base, args.chat_rate, args.chat_seconds))
            print(f"baseline chat: {len(quiet)} answered, failed: {FAILED}")
            FAILED.clear()
            run = asyncio.run(
                send_and_watch(
                    base,
                    fakes,
                    pid,
                    "snow",
                    {"line": half, "telegram": args.subscribers - half},
                    args.chat_rate,
                )
            )
        total = max(run["done"].values())
        print(f"\nrun 1: {args.subscribers} recipients, no rate limits")
        print(f"  chat requests failed during the send: {len(FAILED)} {FAILED[:5]}")
        print(
            f"  all handed to the fakes after {total:.1f} s "
            f"(LINE {run['done']['line']:.1f} s, Telegram {run['done']['telegram']:.1f} s); "
            f"{args.subscribers / total:.0f} recipients/s"
        )
        print(
            f"  bot RSS {run['rss_before'] / 1024:.0f} MB before, "
            f"{run['rss_peak'] / 1024:.0f} MB peak "
            f"(+{(run['rss_peak'] - run['rss_before']) / 1024:.0f} MB)"
        )
        for name, values in (("without the send", quiet), ("during the send", run["chat"])):
            print(
                f"  web chat {name}: n={len(values)} p50 {pct(values, 50):.0f} ms, "
                f"p99 {pct(values, 99):.0f} ms, mean {statistics.fmean(values):.0f} ms"
            )
        if args.skip_limited:
            return
        with processes(workdir, db_url, unlimited=False) as (base, pid, fakes):
            limited = asyncio.run(
                send_and_watch(
                    base,
                    fakes,
                    pid,
                    "events",
                    {"line": half, "telegram": args.limited_telegram},
                    0,
                )
            )
        tg_rate = args.limited_telegram / limited["done"]["telegram"]
        print("\nrun 2: the platforms' limits (LINE 200 calls/s, Telegram 30 msg/s, 1/s per chat)")
        print(
            f"  LINE {half} recipients in {limited['done']['line']:.1f} s "
            f"({(half + 499) // 500} multicasts; "
            f"429s from the fake: {limited['counts']['line_429']})"
        )
        print(
            f"  Telegram {args.limited_telegram} in {limited['done']['telegram']:.1f} s = "
            f"{tg_rate:.1f} msg/s (429s: {limited['counts']['telegram_429']}); "
            f"{args.subscribers - half} would take "
            f"{(args.subscribers - half) / tg_rate / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
