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


async def test_terminal_transcript_typed_replies_in_context(engine: Engine) -> None:
    stdin = io.StringIO("住民票を郵送で取りたい\nうん\n証明書\n2番\nありがとう\nwww\n")
    stdout = io.StringIO()
    await chat(engine, stdin=stdin, stdout=stdout)
    turns = stdout.getvalue().split("あなた> ")
    assert "関連するご案内です。" in turns[1]  # follow-ups under the answer
    assert "証明書のコンビニ交付" in turns[1]
    assert turns[2].startswith("ボット> ありがとうございます。")  # うん = はい
    assert "  2. " in turns[3]  # choices offered
    assert "担当：" in turns[4]  # 2番 opened the second one
    assert turns[5].startswith("ボット> ありがとうございます。")  # thanks = it helped
    assert turns[6].startswith("ボット> ほかにもご質問があれば")  # laughter
    assert "  1. " not in turns[5] + turns[6]  # no topics offered for thanks or laughter
