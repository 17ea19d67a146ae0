"""The terminal chat: choices shown as numbered options, typed numbers pick them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.engine import Engine
from bot.messages import Incoming, Kind, Outcome

PROMPT = "あなた> "


def render(outcome: Outcome) -> str:
    """Replies as the terminal shows them: text, then numbered choices."""
    lines: list[str] = []
    number = 0
    for reply in outcome.replies:
        lines.append(f"ボット> {reply.text}")
        for choice in reply.choices:
            number += 1
            lines.append(f"  {number}. {choice.label}")
    return "\n".join(lines)


async def chat(
    engine: Engine,
    user_id: str = "local",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    read: Callable[[str], str] | None = None,
) -> None:
    """Talk to the engine until end of input (Ctrl-D) or 'exit'."""
    out = stdout or sys.stdout
    source = stdin or sys.stdin

    def read_line(prompt: str) -> str:
        if read is not None:
            return read(prompt)
        out.write(prompt)
        out.flush()
        line = source.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    greeting = await engine.handle(Incoming("terminal", user_id, kind=Kind.FOLLOW))
    out.write(render(greeting) + "\n")
    while True:
        try:
            line = await asyncio.to_thread(read_line, PROMPT)
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return
        if line.strip().lower() in {"exit", "quit", "終了"}:
            return
        outcome = await engine.handle(Incoming("terminal", user_id, text=line))
        if outcome.replies:
            out.write(render(outcome) + "\n")
