"""Replies in context: how many typed two-turn replies the bot understands.

python -m bench.context [--misses]

Each case of ``tests/data/eval_context/context.yaml`` is a fresh conversation: the first
message, then the typed reply, through the engine (in-memory store, a fixed clock). A case is
understood when the first turn is what the case expects (an answer, choices …) and the reply
does what the case says (thanks for "did this help? はい", the second choice for 「2番」 …).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.choices import ENTRY, decode
from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, Outcome, OutcomeKind
from bot.storage.db import scratch_store

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "eval_context" / "context.yaml"
NOON_IN_ASAHIKAWA = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # a Monday, office open


@dataclass(frozen=True)
class Case:
    first: str
    bot: str
    reply: str
    expect: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Result:
    case: Case
    understood: bool
    why: str = ""


def load_cases(path: Path = CASES) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["cases"]:
        fixed = {"first", "bot", "reply", "expect"}
        detail = {k: v for k, v in item.items() if k not in fixed}
        cases.append(
            Case(str(item["first"]), item["bot"], str(item["reply"]), item["expect"], detail)
        )
    return cases


def _entry_of(value: str) -> str | None:
    decoded = decode(value)
    return decoded.argument if decoded is not None and decoded.action == ENTRY else None


def _texts(knowledge: Knowledge, *keys: str) -> set[str]:
    messages = knowledge.system.messages
    return {messages[k].get(lang) for k in keys if k in messages for lang in ("ja", "en")}


def check(case: Case, knowledge: Knowledge, first: Outcome, second: Outcome) -> str:
    """Why the reply was not understood; empty when it was."""
    if first.kind.value != case.bot:
        return f"first turn was {first.kind.value}, not {case.bot}"
    text, act = second.text, second.extra.get("act")
    expect = case.expect
    if expect == "helpful":
        return "" if text in _texts(knowledge, "feedback_yes") else "not thanked as helpful"
    if expect == "not_helpful":
        sorry = _texts(knowledge, "feedback_no", "feedback_no_others")
        return "" if text in sorry else "not read as 'did not help'"
    if expect == "pick":
        entries = [e for c in first.choices if (e := _entry_of(c.value)) is not None]
        pick = case.detail["pick"]
        wanted = entries[-1] if pick == "last" else entries[int(pick) - 1]
        return "" if second.entry_id == wanted else f"answered {second.entry_id}, not {wanted}"
    if expect == "entry":
        wanted = case.detail["entry"]
        ok = second.kind is OutcomeKind.ANSWER and second.entry_id == wanted
        return "" if ok else f"{second.kind.value} {second.entry_id}, not {wanted}"
    if expect == "flow":
        wanted = case.detail["flow"]
        return "" if second.extra.get("flow") == wanted else f"flow {second.extra.get('flow')}"
    if expect == "handoff":
        return "" if second.kind is OutcomeKind.HANDOFF else f"{second.kind.value}"
    if expect == "act":  # a short reply: no entry answered, none offered
        wanted = case.detail["act"]
        searched = any(_entry_of(c.value) for c in second.choices) or second.entry_id
        plain = second.kind is OutcomeKind.INFO and not searched
        return "" if plain and act in (wanted, None) else f"act {act}, {second.kind.value}"
    if expect == "greeting":
        searched = any(_entry_of(c.value) for c in second.choices) or second.entry_id
        greeted = text.startswith(("こんにちは", "Hello"))
        return "" if greeted and not searched else f"{second.kind.value}: {text[:30]}"
    return f"unknown expectation {expect}"


async def _turns(knowledge: Knowledge, first: str, then: Incoming) -> tuple[Outcome, Outcome]:
    async with scratch_store(FrozenClock(NOON_IN_ASAHIKAWA)) as store:
        engine = Engine(knowledge, store)
        return (
            await engine.handle(Incoming("terminal", "bench", text=first)),
            await engine.handle(then),
        )


async def run_case(case: Case, knowledge: Knowledge) -> Result:
    typed = Incoming("terminal", "bench", text=case.reply)
    first, second = await _turns(knowledge, case.first, typed)
    if case.expect == "button":  # typing the label does what pressing the button does
        label = case.detail["button"]
        values = [c.value for c in first.choices if c.label == label]
        if not values:
            return Result(case, False, f"no button {label}")
        pressed = Incoming("terminal", "bench", text=values[0], kind=Kind.CHOICE)
        _, by_button = await _turns(knowledge, case.first, pressed)
        same = [r.text for r in second.replies] == [r.text for r in by_button.replies]
        return Result(case, same, "" if same else f"typed: {second.text[:30]}")
    why = check(case, knowledge, first, second)
    return Result(case, not why, why)


async def run(knowledge: Knowledge, cases: list[Case]) -> list[Result]:
    return [await run_case(case, knowledge) for case in cases]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    knowledge = Knowledge.load()
    cases = load_cases()
    started = time.perf_counter()
    results = asyncio.run(run(knowledge, cases))
    elapsed = time.perf_counter() - started
    understood = sum(r.understood for r in results)
    by_kind: Counter[str] = Counter(r.case.expect for r in results)
    ok_kind: Counter[str] = Counter(r.case.expect for r in results if r.understood)
    print(f"context cases: {len(results)}, understood: {understood} ({elapsed:.1f} s)")
    print("| expected | cases | understood |\n|---|---:|---:|")
    for kind, count in by_kind.items():
        print(f"| {kind} | {count} | {ok_kind[kind]} |")
    if args.misses:
        for r in results:
            if not r.understood:
                print(f"MISS {r.case.first} -> {r.case.reply}: {r.why}")


if __name__ == "__main__":
    main()
