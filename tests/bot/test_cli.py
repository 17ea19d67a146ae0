"""The citybot command as a knowledge-base maintainer uses it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str = "",
) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    return code, capsys.readouterr().out


def test_ask_json_gives_one_object_with_the_documented_fields(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(monkeypatch, capsys, ["ask", "粗大ごみの収集を申し込みたい", "--json"])
    assert code == 0
    result = json.loads(out)
    assert set(result) == {
        "outcome",
        "entry_id",
        "confidence",
        "answer",
        "choices",
        "handoff",
        "language",
    }
    assert result["outcome"] == "answer"
    assert result["entry_id"] == "proc.bulky_waste_request"
    assert 0.0 < result["confidence"] <= 1.0
    assert "粗大ごみ" in result["answer"]
    assert result["handoff"] is False
    assert result["language"] == "ja"


def test_ask_reads_one_question_per_line_each_a_fresh_conversation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = "職員と話したい\n火事です\n証明書\n明日の競馬の予想\nHow do I sort garbage?\n"
    code, out = run(monkeypatch, capsys, ["ask", "--json"], stdin=questions)
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["outcome"] for r in results] == [
        "handoff",
        "emergency",
        "choices",
        "fallback",
        "answer",
    ]
    assert results[0]["handoff"] is True
    assert 2 <= len(results[2]["choices"]) <= 3
    assert all(set(c) == {"entry_id", "label"} for c in results[2]["choices"])
    assert results[4]["language"] == "en"


def test_match_ranks_a_plain_jsonl_faq(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = tmp_path / "faq.jsonl"
    lines = [
        {
            "id": "a1",
            "question": "戸籍謄本はどこで取れますか",
            "answer": "市民課の窓口か郵送で請求できます。",
        },
        {
            "id": "a2",
            "question": "犬の登録をしたい",
            "answer": "犬を飼い始めたら30日以内に登録します。",
        },
        {
            "id": "a3",
            "question": "国民年金の免除を申請したい",
            "answer": "年金事務所または市役所で申請できます。",
        },
    ]
    faq.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    code, out = run(
        monkeypatch,
        capsys,
        ["match", "--top", "2", "--knowledge", str(faq)],
        stdin="こせきとうほん\n子犬を飼い始めました\n",
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in rows] == ["こせきとうほん", "子犬を飼い始めました"]
    assert rows[0]["results"][0]["entry_id"] == "a1"
    assert rows[1]["results"][0]["entry_id"] == "a2"
    assert len(rows[0]["results"]) <= 2
    assert rows[0]["results"][0]["score"] >= rows[0]["results"][-1]["score"]


def test_match_on_the_shipped_knowledge(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(monkeypatch, capsys, ["match", "--top", "3"], stdin="ｿﾀﾞｲｺﾞﾐ\n")
    assert code == 0
    assert "bulky" in json.loads(out)["results"][0]["entry_id"]


def test_a_broken_jsonl_line_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text('{"id": "a", "question": "x"}\n{not json\n', encoding="utf-8")
    code = main(["match", "--knowledge", str(faq)])
    assert code == 2
    assert "faq.jsonl:2" in capsys.readouterr().err
