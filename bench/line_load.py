"""Load on the LINE webhook: signed events at fixed rates, replies timed at a fake LINE API.

    python -m bench.line_load [--rates 20,50,100,200] [--seconds 10] [--database URL]

Three processes besides this one, all on 127.0.0.1: ``citybot serve`` (a fresh SQLite
database in a temporary directory unless ``--database`` is given), the fake LINE API of
``tests/fakes/line_api.py`` (``bench.load_servers line``) and, for the ceiling, a bare
Starlette app answering 200 to a POST (``bench.load_servers bare``).

For each rate, one signed text-message event per request (50 citizens, questions from the
evaluation set, a unique ``webhookEventId`` and reply token each) is sent on an open-loop
schedule for ``--seconds``; one delivery in 50 is a redelivery of an event sent shortly before
(same ``webhookEventId``, ``deliveryContext.isRedelivery`` true). Webhook latency runs from the
scheduled send time to the 200, so a client that falls behind its schedule shows up in it;
reply latency runs from the scheduled send time of the event's first delivery to the arrival
of its reply (reply token) or push (citizen and order) at the fake, on the system-wide
monotonic clock. Each event must be answered exactly once. "answered" is the rate at which
answers arrived: events answered over the time from the first send to the last answer. "bot
CPU" is the ``citybot`` process's CPU time from the first send to the last reply, as a share
of one core (Linux).

The load client is ``bench.raw_http`` (pooled keep-alive HTTP/1.1 connections, requests written
as bytes), which stays on schedule at rates where httpx (``--client httpx``, as before) used a
whole core and fell seconds behind. The ceiling is the bare app's throughput under the same
client, closed loop: a short try of each ``--workers`` count (requests kept in flight), then
``--seconds`` at the best one. The bot's
sustained throughput is the achieved webhook throughput at the highest rate with webhook p99
under 200 ms, no lost replies and no non-200 answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import httpx

from bench.evalset import load_eval
from bench.raw_http import RawClient

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CHANNEL_SECRET = "bench-line-channel-secret"
ACCESS_TOKEN = "bench-line-access-token"
DESTINATION = "Ubot0000000000000000000000000000"

USERS = 50  # citizens per rate when SHARED_USERS
SHARED_USERS = False
REDELIVERY_EVERY = 50  # one delivery in 50 repeats an earlier event (2 %)
MAX_DELIVERIES = 20_000  # per rate, whatever the rate and duration
REQUEST_TIMEOUT = 15.0  # seconds per webhook request
REPLY_WAIT = 30.0  # seconds after the last webhook answer to wait for replies
DUPLICATE_GRACE = 1.0  # seconds to keep listening after the last reply, for duplicates
SETTLE_QUIET = 2.0  # a backlog counts as drained after this long without a call...
SETTLE_MAX = 30.0  # ...or after this long in any case
START_TIMEOUT = 90.0  # seconds for a server to answer its readiness check
P99_LIMIT_MS = 200.0
UNFINISHED = f"no answer within {REQUEST_TIMEOUT + 5:.0f} s"
LAG_WARNING_MS = 50.0  # client behind schedule by more than this: say so
DEFAULT_WORKERS = "2,4,8,16"  # in-flight counts tried for the ceiling
SWEEP_SECONDS = 1.5  # each


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    """X-Line-Signature as LINE computes it: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- processes ------------------------------------------------------------------------------


class Processes:
    """Child processes, each in its own session (Ctrl-C reaches only us), stopped by pid."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[TextIO] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        log_file = (self.log_dir / f"{name}.log").open("w", encoding="utf-8")
        self._logs.append(log_file)
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started[name] = process
        return process

    def log_text(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def tail(self, name: str, lines: int = 30) -> str:
        return "\n".join(self.log_text(name).splitlines()[-lines:])

    def stop(self, name: str, grace: float = 10.0) -> None:
        process = self.started.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM to this pid only: uvicorn shuts down gracefully
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in reversed(list(self.started)):
            self.stop(name)
        for log_file in self._logs:
            log_file.close()
        self._logs.clear()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux ``/proc``), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def wait_ready(
    client: httpx.AsyncClient, url: str, process: subprocess.Popen[bytes], name: str
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"{name} exited with status {process.returncode} before it was ready"
            raise RuntimeError(msg)
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(url, timeout=2.0)).status_code == 200:
                return
        await asyncio.sleep(0.2)
    msg = f"{name} did not answer {url} within {START_TIMEOUT:.0f} s"
    raise RuntimeError(msg)


# --- the load -------------------------------------------------------------------------------


@dataclasses.dataclass
class Event:
    index: int
    user: str
    reply_token: str
    question: str
    first_at: float  # scheduled send time of the first delivery (monotonic)
    payload: dict[str, Any]


@dataclasses.dataclass
class Delivery:
    at: float  # scheduled send time (monotonic)
    event: Event
    redelivery: bool
    body: bytes
    signature: str
    started: float = 0.0
    done: float = 0.0
    status: int = -1  # -1 not finished in time, 0 transport error, else the HTTP status
    error: str = ""


@dataclasses.dataclass
class Received:
    at: float
    endpoint: str
    status: int
    reply_token: str | None
    to: str | None
    texts: list[str]


def _body(event: dict[str, Any]) -> bytes:
    document = {"destination": DESTINATION, "events": [event]}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _user(tag: str, number: int) -> str:
    return "U" + hashlib.sha256(f"{tag}-user-{number}".encode()).hexdigest()[:32]


def plan(
    rate: float, seconds: float, questions: Sequence[str], rng: random.Random, tag: str
) -> tuple[list[Event], list[Delivery]]:
    """The deliveries of one rate, scheduled from a start a little ahead of now."""
    count = min(int(rate * seconds), MAX_DELIVERIES)
    users = [
        "U" + hashlib.sha256(f"{tag}-user-{k}".encode()).hexdigest()[:32] for k in range(USERS)
    ]
    start_mono = time.monotonic() + 0.5
    start_wall = time.time() + 0.5
    events: list[Event] = []
    deliveries: list[Delivery] = []
    repeated: set[int] = set()
    for i in range(count):
        offset = i / rate
        at = start_mono + offset
        candidates = [e for e in events[-max(1, int(rate)) :] if e.index not in repeated]
        if i % REDELIVERY_EVERY == REDELIVERY_EVERY // 2 and candidates:
            # LINE redelivers an event it thinks was not received: same id, flagged.
            original = rng.choice(candidates)
            repeated.add(original.index)
            payload = json.loads(json.dumps(original.payload))
            payload["deliveryContext"] = {"isRedelivery": True}
            body = _body(payload)
            deliveries.append(Delivery(at, original, True, body, sign(body)))
            continue
        number = len(events)
        question = rng.choice(questions)
        # One citizen per event: a citizen who gets two fallbacks in a row is handed to staff
        # and the bot then stays quiet for them, which would read as lost replies here.
        user = users[number % len(users)] if SHARED_USERS else _user(tag, number)
        reply_token = hashlib.sha256(f"{tag}-reply-{number}".encode()).hexdigest()
        payload = {
            "type": "message",
            "mode": "active",
            "timestamp": int((start_wall + offset) * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": f"01B{tag.upper()}{number:010d}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": reply_token,
            "message": {
                "id": f"{tag}{number:08d}",
                "type": "text",
                "text": question,
                "quoteToken": f"q{tag}{number}",
            },
        }
        event = Event(number, user, reply_token, question, at, payload)
        events.append(event)
        body = _body(payload)
        deliveries.append(Delivery(at, event, False, body, sign(body)))
    return events, deliveries


class HttpxPoster:
    """httpx behind the :class:`bench.raw_http.RawClient` interface (``--client httpx``)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        return (await self._client.post(url, content=body, headers=headers)).status_code

    async def aclose(self) -> None:
        await self._client.aclose()


Poster = RawClient | HttpxPoster
LOAD_ERRORS = (httpx.HTTPError, OSError, TimeoutError, ValueError)


async def fire(client: Poster, url: str, delivery: Delivery) -> None:
    delivery.started = time.monotonic()
    headers = {"Content-Type": "application/json", "X-Line-Signature": delivery.signature}
    try:
        delivery.status = await client.post(url, delivery.body, headers)
    except LOAD_ERRORS as exc:
        delivery.status = 0
        delivery.error = type(exc).__name__
    delivery.done = time.monotonic()


async def send_open_loop(client: Poster, url: str, deliveries: Sequence[Delivery]) -> None:
    """Fire each delivery at its scheduled time, whatever the earlier ones are doing."""
    tasks: list[asyncio.Task[None]] = []
    for delivery in deliveries:
        delay = delivery.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(client, url, delivery)))
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class FakeLine:
    """What the fake LINE API received, fetched incrementally."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client = client
        self.base = base
        self.calls: list[Received] = []
        self._next = 0

    async def fetch(self) -> int:
        """Fetch the calls received since the last fetch; returns how many were new."""
        response = await self.client.get(
            f"{self.base}/_bench/received", params={"since": self._next}, timeout=30.0
        )
        response.raise_for_status()
        data = response.json()
        self._next = int(data["next"])
        new = [
            Received(
                float(c["at"]),
                c["endpoint"],
                int(c["status"]),
                c["reply_token"],
                c["to"],
                list(c["texts"]),
            )
            for c in data["calls"]
        ]
        self.calls.extend(new)
        return len(new)

    async def clear(self) -> None:
        (await self.client.delete(f"{self.base}/_bench/received", timeout=30.0)).raise_for_status()
        self.calls.clear()
        self._next = 0


@dataclasses.dataclass
class Matched:
    answered_at: dict[int, float]  # event index -> arrival of its (first) reply or push
    deliveries: dict[int, int]  # event index -> accepted replies and pushes
    surplus_pushes: int
    refused_tokens: int  # replies LINE refused (token used before): the bot then pushes
    pushes: int
    unmatched: int
    max_messages: int
    sample: tuple[str, str] | None


def match(events: Sequence[Event], calls: Sequence[Received]) -> Matched:
    """Pair replies with events by reply token, and pushes by citizen and order.

    A push that follows a refused reply (the token was used before) carries that reply's
    messages: it belongs to that event. Other pushes go to the citizen's oldest event still
    unanswered; a push with no event left is a surplus (a duplicate).
    """
    by_token = {e.reply_token: e for e in events}
    users = {e.user for e in events}
    answered: dict[int, float] = {}
    count: dict[int, int] = defaultdict(int)
    pushes: dict[str, list[Received]] = defaultdict(list)
    refused_for: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    refused = unmatched = max_messages = 0
    sample: tuple[str, str] | None = None
    for call in sorted(calls, key=lambda c: c.at):
        max_messages = max(max_messages, len(call.texts))
        if call.endpoint == "reply":
            event = by_token.get(call.reply_token or "")
            if event is None:
                unmatched += 1
            elif call.status == 200:
                count[event.index] += 1
                answered.setdefault(event.index, call.at)
                if sample is None and call.texts:
                    sample = (event.question, call.texts[0])
            elif call.status == 400:
                refused += 1
                refused_for[event.user].append((event.index, call.texts))
        elif call.endpoint == "push" and call.status == 200:
            if call.to in users:
                pushes[str(call.to)].append(call)
            else:
                unmatched += 1
    surplus = 0
    for user, received in pushes.items():
        claims = refused_for.get(user, [])
        waiting = [e.index for e in events if e.user == user and e.index not in answered]
        for call in received:
            owner = next((n for n, (_, texts) in enumerate(claims) if texts == call.texts), None)
            if owner is not None:
                index = claims.pop(owner)[0]
                if index in waiting:
                    waiting.remove(index)
            elif waiting:
                index = waiting.pop(0)
            else:
                surplus += 1
                continue
            count[index] += 1
            answered.setdefault(index, call.at)
    return Matched(
        answered,
        dict(count),
        surplus,
        refused,
        sum(map(len, pushes.values())),
        unmatched,
        max_messages,
        sample,
    )


@dataclasses.dataclass
class RateResult:
    rate: float
    events: int
    deliveries: int
    achieved: float
    webhook_p50: float
    webhook_p99: float
    reply_p50: float
    reply_p99: float
    answered_rate: float  # answers per second, from the first send to the last answer
    lost: int
    duplicated: int
    non_200: int
    max_send_lag_ms: float
    bot_cpu: float | None  # share of one core, from the first send to the last reply
    bot_cpu_ms_per_event: float | None
    fake_cpu: float | None
    client_cpu: float
    matched: Matched
    late: int  # replies that came after the wait, while draining
    drained: bool
    errors: dict[str, int]

    @property
    def sustained(self) -> bool:
        return self.webhook_p99 < P99_LIMIT_MS and self.lost == 0 and self.non_200 == 0


async def wait_for_replies(fake: FakeLine, events: Sequence[Event], deadline: float) -> Matched:
    """Poll the fake until every event is answered (plus a short grace) or the deadline."""
    while True:
        await fake.fetch()
        matched = match(events, fake.calls)
        if len(matched.answered_at) >= len(events):
            await asyncio.sleep(DUPLICATE_GRACE)
            await fake.fetch()
            return match(events, fake.calls)
        if time.monotonic() >= deadline:
            return matched
        await asyncio.sleep(0.25)


async def drain(fake: FakeLine) -> tuple[int, bool]:
    """Wait until the bot stops calling the fake (its backlog is done), within bounds."""
    late = 0
    quiet_since = time.monotonic()
    deadline = quiet_since + SETTLE_MAX
    while time.monotonic() < deadline:
        new = await fake.fetch()
        late += new
        now = time.monotonic()
        if new:
            quiet_since = now
        elif now - quiet_since >= SETTLE_QUIET:
            return late, True
        await asyncio.sleep(0.25)
    return late, False


async def run_rate(
    client: Poster,
    bot_url: str,
    fake: FakeLine,
    pids: tuple[int, int],
    rate: float,
    seconds: float,
    questions: Sequence[str],
    rng: random.Random,
    tag: str,
) -> RateResult:
    await fake.clear()
    events, deliveries = plan(rate, seconds, questions, rng, tag)
    bot_pid, fake_pid = pids
    cpu_before = (cpu_seconds(bot_pid), cpu_seconds(fake_pid), own_cpu_seconds())
    phase_start = time.monotonic()
    await send_open_loop(client, f"{bot_url}/webhooks/line", deliveries)
    last_done = max((d.done for d in deliveries if d.done), default=time.monotonic())
    matched = await wait_for_replies(fake, events, last_done + REPLY_WAIT)
    # CPU shares over the busy part: until the last webhook answer or reply, whichever is later
    last_reply = max(matched.answered_at.values(), default=last_done)
    phase = max(last_done, last_reply, phase_start + 1e-3) - phase_start
    cpu_after = (cpu_seconds(bot_pid), cpu_seconds(fake_pid), own_cpu_seconds())
    late, drained = (0, True)
    if len(matched.answered_at) < len(events):
        late, drained = await drain(fake)

    ok = [d for d in deliveries if d.status == 200]
    first = min(d.at for d in deliveries)
    achieved = len(ok) / (max(d.done for d in ok) - first) if ok else 0.0
    webhook_ms = [(d.done - d.at) * 1000 for d in ok]
    reply_ms = [(at - events[i].first_at) * 1000 for i, at in matched.answered_at.items()]
    errors: dict[str, int] = defaultdict(int)
    for d in deliveries:
        if d.status != 200:
            errors[d.error or (UNFINISHED if d.status == -1 else f"HTTP {d.status}")] += 1
    duplicated = sum(max(0, n - 1) for n in matched.deliveries.values()) + matched.surplus_pushes

    def share(before: float | None, after: float | None) -> float | None:
        return None if before is None or after is None else (after - before) / phase

    bot_cpu = share(cpu_before[0], cpu_after[0])
    return RateResult(
        rate=rate,
        events=len(events),
        deliveries=len(deliveries),
        achieved=achieved,
        webhook_p50=percentile(webhook_ms, 50),
        webhook_p99=percentile(webhook_ms, 99),
        reply_p50=percentile(reply_ms, 50),
        reply_p99=percentile(reply_ms, 99),
        answered_rate=len(matched.answered_at) / max(last_reply - first, 1e-3),
        lost=len(events) - len(matched.answered_at),
        duplicated=duplicated,
        non_200=len(deliveries) - len(ok),
        max_send_lag_ms=max((d.started - d.at) * 1000 for d in deliveries if d.started),
        bot_cpu=bot_cpu,
        bot_cpu_ms_per_event=None
        if cpu_before[0] is None or cpu_after[0] is None
        else (cpu_after[0] - cpu_before[0]) * 1000 / len(events),
        fake_cpu=share(cpu_before[1], cpu_after[1]),
        client_cpu=(cpu_after[2] - cpu_before[2]) / phase,
        matched=matched,
        late=late,
        drained=drained,
        errors=dict(errors),
    )


@dataclasses.dataclass
class Ceiling:
    workers: int
    seconds: float
    requests: int
    failures: int
    p50: float
    p99: float
    server_cpu: float | None = None  # share of one core
    client_cpu: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def closed_loop(
    client: Poster,
    url: str,
    body: bytes,
    workers: int,
    seconds: float,
    server_pid: int | None = None,
) -> Ceiling:
    """``workers`` requests in flight at all times for ``seconds``: the most the pair can do."""
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
    latencies: list[float] = []
    failures = 0
    end = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal failures
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                status = await client.post(url, body, headers)
            except LOAD_ERRORS:
                failures += 1
                continue
            if status == 200:
                latencies.append((time.monotonic() - started) * 1000)
            else:
                failures += 1

    cpu_before = (None if server_pid is None else cpu_seconds(server_pid), own_cpu_seconds())
    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.monotonic() - began
    server_before, client_before = cpu_before
    server_after = None if server_pid is None else cpu_seconds(server_pid)
    return Ceiling(
        workers,
        elapsed,
        len(latencies),
        failures,
        percentile(latencies, 50),
        percentile(latencies, 99),
        None
        if server_before is None or server_after is None
        else (server_after - server_before) / elapsed,
        (own_cpu_seconds() - client_before) / elapsed,
    )


# --- report ---------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def table(results: Sequence[RateResult]) -> list[str]:
    lines = [
        "| offered (events/s) | achieved (events/s) | webhook p50 (ms) | webhook p99 (ms) "
        "| answered (events/s) | reply p50 (ms) | reply p99 (ms) | lost replies "
        "| duplicated replies | non-200 | bot CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.rate:g} | {r.achieved:.1f} | {_ms(r.webhook_p50)} | {_ms(r.webhook_p99)} "
            f"| {r.answered_rate:.1f} | {_ms(r.reply_p50)} | {_ms(r.reply_p99)} | {r.lost} "
            f"| {r.duplicated} "
            f"| {r.non_200} | {_pct(r.bot_cpu)} |"
        )
    return lines


def notes(results: Sequence[RateResult]) -> list[str]:
    lines: list[str] = []
    for r in results:
        m = r.matched
        parts = [
            f"{r.events} events in {r.deliveries} deliveries "
            f"({r.deliveries - r.events} redeliveries)",
            f"pushes {m.pushes}, refused reply tokens {m.refused_tokens}",
            f"most messages in one call {m.max_messages}",
            f"bot {r.bot_cpu_ms_per_event:.1f} CPU-ms/event"
            if r.bot_cpu_ms_per_event is not None
            else "bot CPU n/a",
            f"fake LINE {_pct(r.fake_cpu)}, load client {_pct(r.client_cpu)} of a core",
            f"client max lag behind schedule {r.max_send_lag_ms:.0f} ms",
        ]
        if r.max_send_lag_ms > LAG_WARNING_MS:
            parts.append(
                "the load client fell behind its schedule (it shares the cores with the bot): "
                "latencies at this rate include its delay"
            )
        if r.errors:
            parts.append("failed requests: " + ", ".join(f"{k} {v}" for k, v in r.errors.items()))
        if m.unmatched:
            parts.append(f"{m.unmatched} calls matched no event of this rate")
        if r.late:
            parts.append(f"{r.late} calls arrived after the {REPLY_WAIT:.0f} s wait")
        if not r.drained:
            parts.append(
                f"backlog not drained after {SETTLE_MAX:.0f} s more: the next rate started with it"
            )
        lines.append(f"- {r.rate:g}/s: " + "; ".join(parts))
    return lines


# --- main -----------------------------------------------------------------------------------


def _citybot() -> str:
    beside = Path(sys.executable).parent / "citybot"
    found = str(beside) if beside.exists() else shutil.which("citybot")
    if found is None:
        msg = "the citybot command is not installed (pip install -e .)"
        raise RuntimeError(msg)
    return found


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBOT_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


async def run(args: argparse.Namespace, processes: Processes, work: Path) -> int:
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    worker_counts = [int(w) for w in str(args.workers).split(",") if w.strip()]
    questions = [q.text for q in load_eval()]
    if not rates or any(r <= 0 for r in rates) or not questions or not worker_counts:
        log("need positive --rates and --workers and a non-empty evaluation set")
        return 2
    run_tag = secrets.token_hex(3)  # ids unique across runs sharing one --database
    rng = random.Random(args.seed)
    load_start = _loadavg()

    fake_port, bot_port, bare_port = free_port(), free_port(), free_port()
    fake_url, bot_url, bare_url = (f"http://{HOST}:{p}" for p in (fake_port, bot_port, bare_port))
    database = args.database or f"sqlite+aiosqlite:///{work / 'citybot.db'}"
    server = [sys.executable, "-m", "bench.load_servers"]
    fake_process = processes.start(
        "fake-line",
        [*server, "line", "--port", str(fake_port), "--token", ACCESS_TOKEN],
        _child_env({}),
        ROOT,
    )
    bot_env = _child_env(
        {
            "CITYBOT_DATABASE_URL": database,
            "CITYBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "CITYBOT_LINE_API_BASE": fake_url,
            "CITYBOT_SECRET_KEY": secrets.token_urlsafe(32),
            "CITYBOT_VAR_DIR": str(work / "var"),
        }
    )
    # cwd: the work directory, so that no .env of the checkout is read
    if args.server == "reference":
        command = [
            *server,
            "reference",
            "--port",
            str(bot_port),
            "--token",
            ACCESS_TOKEN,
            "--secret",
            CHANNEL_SECRET,
            "--line-api",
            fake_url,
            "--database",
            str(work / "reference.db"),
        ]
        bot_process = processes.start("citybot", command, _child_env({}), ROOT)
    else:
        serve = [_citybot(), "serve", "--port", str(bot_port)]
        if args.serve_workers > 1:
            serve += ["--workers", str(args.serve_workers)]
        bot_process = processes.start("citybot", serve, bot_env, work)
    bare_process = processes.start(
        "bare", [*server, "bare", "--port", str(bare_port)], _child_env({}), ROOT
    )

    load: Poster
    if args.client == "httpx":
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        timeout = httpx.Timeout(REQUEST_TIMEOUT)
        load = HttpxPoster(httpx.AsyncClient(limits=limits, timeout=timeout))
    else:
        load = RawClient(max_connections=1000, timeout=REQUEST_TIMEOUT)
    async with contextlib.aclosing(load), httpx.AsyncClient(timeout=30.0) as control:
        started = time.monotonic()
        try:
            await wait_ready(control, f"{fake_url}/_bench/ready", fake_process, "fake LINE API")
            await wait_ready(control, f"{bare_url}/_bench/ready", bare_process, "bare app")
            await wait_ready(control, f"{bot_url}/healthz", bot_process, "citybot serve")
        except RuntimeError:
            for name in ("fake-line", "bare", "citybot"):
                log(f"--- {name} log (tail) ---\n{processes.tail(name)}")
            raise
        log(f"servers ready in {time.monotonic() - started:.1f} s; database {database}")
        fake = FakeLine(control, fake_url)

        # A short warm-up (first requests open connections, fill caches), not measured.
        _, warmup = plan(5, 1, questions, rng, f"{run_tag}w")
        await send_open_loop(load, f"{bot_url}/webhooks/line", warmup)
        await wait_for_replies(fake, [d.event for d in warmup], time.monotonic() + 15)

        results: list[RateResult] = []
        for number, rate in enumerate(rates):
            log(f"rate {rate:g}/s for {args.seconds:g} s ...")
            result = await run_rate(
                load,
                bot_url,
                fake,
                (bot_process.pid, fake_process.pid),
                rate,
                args.seconds,
                questions,
                rng,
                f"{run_tag}r{number}",
            )
            results.append(result)
            log("  " + table([result])[-1])
        processes.stop("citybot")
        processes.stop("fake-line")

        sample_body = _body(plan(1, 1, questions, rng, f"{run_tag}c")[0][0].payload)
        bare_hook = f"{bare_url}/webhooks/line"
        tries: list[Ceiling] = []
        if len(worker_counts) > 1:
            log(f"ceiling: trying {args.workers} requests in flight ...")
            for workers in worker_counts:
                tries.append(
                    await closed_loop(load, bare_hook, sample_body, workers, SWEEP_SECONDS)
                )
        best_workers = max(tries, key=lambda c: c.rps).workers if tries else worker_counts[0]
        log(f"ceiling: bare app, {best_workers} in flight for {args.seconds:g} s ...")
        ceiling = await closed_loop(
            load, bare_hook, sample_body, best_workers, args.seconds, bare_process.pid
        )
    processes.stop("bare")
    errors = sum(" ERROR " in line for line in processes.log_text("citybot").splitlines())

    sustained = [r for r in results if r.sustained]
    best = max(sustained, key=lambda r: r.rate) if sustained else None
    out = [
        f"LINE webhook load: `python -m bench.line_load --rates {args.rates} "
        f"--seconds {args.seconds:g} --client {args.client}` on {os.cpu_count()} cores; "
        "load average (1/5/15 min) "
        f"{load_start} at start, {_loadavg()} at the end; database "
        f"{'SQLite (fresh file)' if not args.database else database.split(':', 1)[0]}.",
        "",
        *table(results),
        "",
        f"Ceiling: a bare Starlette app (POST -> 200) under uvicorn, same client, "
        f"{ceiling.workers} requests in flight for {ceiling.seconds:.0f} s: "
        f"**{ceiling.rps:,.0f} requests/s** (p50 {_ms(ceiling.p50)} ms, p99 {_ms(ceiling.p99)} "
        f"ms, {ceiling.failures} failures; CPU: bare server {_pct(ceiling.server_cpu)}, load "
        f"client {_pct(ceiling.client_cpu)} of a core"
        + (
            "; tried " + ", ".join(f"{c.workers} in flight {c.rps:,.0f}/s" for c in tries)
            if tries
            else ""
        )
        + ").",
        "",
    ]
    if best is None:
        out.append(
            f"Sustained: no rate met webhook p99 < {P99_LIMIT_MS:.0f} ms with no lost replies "
            "and no non-200 answers."
        )
    else:
        out.append(
            f"Sustained: {best.achieved:.1f} events/s (offered {best.rate:g}/s; the highest "
            f"rate with webhook p99 < {P99_LIMIT_MS:.0f} ms, no lost replies, no non-200) = "
            f"**{best.achieved / ceiling.rps:.1%} of the bare ceiling**."
        )
    out += ["", *notes(results), f"- citybot log lines at ERROR: {errors}"]
    matched = next((r.matched.sample for r in results if r.matched.sample), None)
    if matched is not None:
        question, reply = matched
        out.append(f"- sample: {question[:30]!r} -> {reply[:40]!r}")
    print("\n".join(out), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.line_load", description=__doc__)
    parser.add_argument("--rates", default="20,50,100,200", help="events/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate")
    parser.add_argument("--database", help="database URL (default: fresh SQLite in a temp dir)")
    parser.add_argument(
        "--workers",
        default=DEFAULT_WORKERS,
        help="requests in flight for the ceiling; several (comma-separated): the best is used",
    )
    parser.add_argument("--seed", type=int, default=1, help="questions and citizens drawn")
    parser.add_argument(
        "--server",
        choices=["citybot", "reference"],
        default="citybot",
        help="the bot under load: citybot serve, or the minimal reference bot",
    )
    parser.add_argument(
        "--serve-workers", type=int, default=1, help="citybot serve --workers (PostgreSQL)"
    )
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load client: lean keep-alive HTTP/1.1 (bench.raw_http) or httpx, as before",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, db)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="citybot-line-load-"))
    processes = Processes(work)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)  # even if ignored
    try:
        return asyncio.run(run(args, processes, work))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        processes.stop_all()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        if args.keep:
            log(f"logs and database kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
