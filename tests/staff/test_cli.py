"""``citybot staff …`` and ``citybot kb drafts`` as an administrator uses them."""

from __future__ import annotations

import asyncio
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from argon2 import PasswordHasher

from bot.cli import main
from bot.storage.db import create_store
from knowledge.loader import DATA_DIR, load_knowledge

PASSWORD = "a long staff passphrase"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.db"
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CITYBOT_SECRET_KEY", "secret-key-for-the-cli-tests")
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    return path


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def staff_rows(database: Path) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(database) as conn:
        query = "SELECT username, role, password_hash, active FROM staff_users ORDER BY id"
        return list(conn.execute(query))


def test_staff_add_list_disable_and_reset_password(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["staff", "add", "Tanaka", "--role", "staff", "--dept", "dept.roads"]
    code, out, _ = run(monkeypatch, capsys, [*argv, "--name", "田中"], PASSWORD + "\n")
    assert code == 0
    assert "added tanaka" in out
    [(username, role, password_hash, active)] = staff_rows(database)
    assert (username, role, active) == ("tanaka", "staff", 1)
    assert password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(password_hash, PASSWORD)

    code, _, err = run(monkeypatch, capsys, argv, PASSWORD + "\n")
    assert code == 2
    assert "taken" in err

    code, out, _ = run(monkeypatch, capsys, ["staff", "list"])
    assert out.split("\t")[:4] == ["tanaka", "staff", "active", "dept.roads"]

    assert run(monkeypatch, capsys, ["staff", "disable", "tanaka"])[0] == 0
    assert staff_rows(database)[0][3] == 0
    assert "disabled" in run(monkeypatch, capsys, ["staff", "list"])[1]

    new = "another long passphrase"
    assert run(monkeypatch, capsys, ["staff", "reset-password", "TANAKA"], new + "\n")[0] == 0
    assert PasswordHasher().verify(staff_rows(database)[0][2], new)


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--role", "staff"], PASSWORD, "at least one --dept"),
        (["--role", "staff", "--dept", "dept.nowhere"], PASSWORD, "unknown department"),
        (["--role", "admin"], "short", "at least 10 characters"),
    ],
)
def test_staff_add_refuses_bad_input(
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    code, _, err = run(monkeypatch, capsys, ["staff", "add", "sato", *argv], stdin + "\n")
    assert code == 2
    assert message in err
    assert staff_rows(database) == []


def test_unknown_account_is_named(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, ["staff", "disable", "nobody"])
    assert code == 2
    assert "no staff account named 'nobody'" in err


async def _seed_drafts(url: str) -> None:
    store = create_store(url)
    try:
        async with store.unit() as unit:
            user = await unit.users.get_or_create("line", "U1")
            convo = await unit.conversations.open_for(user.id)
            escalation = await unit.escalations.open(
                convo.id, user.id, "line", "requested", "dept.roads", "[職員希望] 除雪", {}
            )
            clerk = await unit.staff.add("roads", "Roads", "x" * 20, "staff", ["dept.roads"])
            await unit.drafts.add(
                clerk.id,
                "除雪車が来ない\n家の前が除雪されていない\nうちの道路の除雪はいつ",
                "道路課にご連絡ください。",
                None,
                "snow",
                escalation_id=escalation.id,
            )
            await unit.drafts.add(
                clerk.id, "質問1\n質問2\n質問3", "回答です。", "The answer.", None
            )
    finally:
        await store.close()


def test_kb_drafts_exports_yaml_the_knowledge_loader_accepts(
    database: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(monkeypatch, capsys, ["staff", "list"])[0] == 0  # creates the schema
    asyncio.run(_seed_drafts(f"sqlite+aiosqlite:///{database}"))
    export = tmp_path / "drafts.yaml"

    code, out, _ = run(
        monkeypatch, capsys, ["kb", "drafts", "--export", str(export), "--mark-exported"]
    )
    assert code == 0
    assert "draft 1\tsnow\tescalation #1\t除雪車が来ない" in out
    assert "wrote 2 entries" in out

    knowledge = tmp_path / "knowledge"
    (knowledge / "departments").mkdir(parents=True)
    shutil.copy(DATA_DIR / "categories.yaml", knowledge / "categories.yaml")
    shutil.copy(DATA_DIR / "departments" / "departments.yaml", knowledge / "departments")
    shutil.copy(export, knowledge / "drafts.yaml")
    kb = load_knowledge(knowledge)
    snow = kb.entries["faq.snow.draft_1"]
    assert (snow.kind, snow.department, snow.category) == ("faq", "dept.roads", "snow")
    assert snow.title.ja == "除雪車が来ない"
    assert snow.source == "職員の回答（エスカレーション #1）"
    assert snow.review == ["内容の確認", "英訳"]
    assert "Translate" in snow.answer.en
    general = kb.entries["faq.general.draft_2"]
    assert general.answer.en == "The answer."
    assert general.department == "dept.general_info"
    document = yaml.safe_load(export.read_text(encoding="utf-8"))
    assert len(document["entries"]) == 2

    code, out, _ = run(monkeypatch, capsys, ["kb", "drafts"])
    assert "no drafts waiting for review" in out
