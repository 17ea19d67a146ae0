"""A broken knowledge file is named precisely: file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.errors import KnowledgeError
from knowledge.loader import DATA_DIR, load_knowledge

GOOD_ENTRY = {
    "id": "faq.environment.test_entry",
    "kind": "faq",
    "category": "environment",
    "title": {"ja": "テスト", "en": "Test"},
    "questions": ["ごみの日はいつですか", "ごみ 収集日", "When is garbage day?"],
    "answer": {"ja": "市のホームページでご確認ください。", "en": "Please see the city website."},
    "keywords": ["ごみ"],
    "department": "dept.environment",
    "source": "test",
    "review": ["収集日"],
}


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(DATA_DIR / "categories.yaml", root / "categories.yaml")
    shutil.copytree(DATA_DIR / "departments", root / "departments")
    return root


def write(path: Path, entries: list[dict[str, object]]) -> None:
    path.write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True), encoding="utf-8")


def problems_of(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_loads(kb_dir: Path) -> None:
    write(kb_dir / "faq.yaml", [GOOD_ENTRY])
    kb = load_knowledge(kb_dir)
    assert kb.entries["faq.environment.test_entry"].answer.en == "Please see the city website."
    assert kb.department_for("snow") is not None


def test_empty_answer_names_file_entry_and_field(kb_dir: Path) -> None:
    write(kb_dir / "faq.yaml", [{**GOOD_ENTRY, "answer": {"ja": "", "en": "x"}}])
    assert problems_of(kb_dir) == [
        "faq.yaml entry faq.environment.test_entry field answer.ja: "
        "String should have at least 1 character"
    ]


def test_unknown_category_and_department_are_reported(kb_dir: Path) -> None:
    write(kb_dir / "faq.yaml", [{**GOOD_ENTRY, "category": "weather", "department": "dept.x"}])
    found = problems_of(kb_dir)
    assert any("field category: unknown category 'weather'" in p for p in found)
    assert any("field department: unknown department 'dept.x'" in p for p in found)


def test_duplicate_ids_name_both_files(kb_dir: Path) -> None:
    write(kb_dir / "a.yaml", [GOOD_ENTRY])
    write(kb_dir / "b.yaml", [GOOD_ENTRY])
    assert problems_of(kb_dir) == [
        "b.yaml entry faq.environment.test_entry field id: duplicate id (also in a.yaml)"
    ]


def test_broken_yaml_names_the_file(kb_dir: Path) -> None:
    (kb_dir / "broken.yaml").write_text("entries: [\n  - {id: x", encoding="utf-8")
    found = problems_of(kb_dir)
    assert found[0].startswith("broken.yaml: not valid YAML")


def test_procedure_without_guide_is_refused(kb_dir: Path) -> None:
    write(kb_dir / "p.yaml", [{**GOOD_ENTRY, "id": "proc.test", "kind": "procedure"}])
    assert any("proc.test" in p and "guide" in p for p in problems_of(kb_dir))


def test_kb_check_exits_non_zero_and_names_the_problem(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(kb_dir / "faq.yaml", [{**GOOD_ENTRY, "questions": ["ひとつだけ"]}])
    assert main(["kb", "check", "--knowledge", str(kb_dir)]) == 1
    out = capsys.readouterr().out
    assert "ERROR faq.yaml entry faq.environment.test_entry field questions" in out


def test_one_broken_entry_does_not_hide_the_rest(kb_dir: Path) -> None:
    other = {
        **GOOD_ENTRY,
        "id": "faq.environment.other",
        "related": ["faq.environment.test_entry"],
    }
    broken = {**GOOD_ENTRY, "answer": {"jx": "typo", "en": "x"}}
    write(kb_dir / "faq.yaml", [broken, other])
    found = problems_of(kb_dir)
    assert found == [
        "faq.yaml entry faq.environment.test_entry field answer.ja: Field required",
        "faq.yaml entry faq.environment.test_entry field answer.jx: "
        "Extra inputs are not permitted",
    ]  # and no knock-on "unknown entry" error from the entry that refers to it


def test_serve_refuses_to_start_on_a_broken_knowledge_base(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(kb_dir / "faq.yaml", [{**GOOD_ENTRY, "department": "dept.nowhere"}])
    monkeypatch.setenv("CITYBOT_KNOWLEDGE_DIR", str(kb_dir))
    monkeypatch.setenv("CITYBOT_VAR_DIR", str(kb_dir.parent / "var"))
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "faq.yaml entry faq.environment.test_entry field department" in err
