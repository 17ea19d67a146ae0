"""The terminal chat, read as a transcript."""

from __future__ import annotations

import io

from bot.channels.terminal import chat
from bot.engine import Engine


async def test_terminal_transcript_with_numbered_choices(engine: Engine) -> None:
    stdin = io.StringIO("証明書\n1\n2\n")
    stdout = io.StringIO()
    await chat(engine, stdin=stdin, stdout=stdout)
    transcript = stdout.getvalue()
    assert transcript.startswith("ボット> こんにちは")
    assert "  1. " in transcript  # choices are numbered
    after_pick = transcript.split("あなた> ")[2]  # the answer to typing "1"
    assert "担当：" in after_pick  # an entry's answer names the office in charge
    assert "この回答はお役に立ちましたか" in after_pick
    assert "お役に立てず申し訳ありません" in transcript.split("あなた> ")[3]  # 2 = いいえ
