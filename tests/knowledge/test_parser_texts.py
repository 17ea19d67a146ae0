"""``knowledge/system/parsers.yaml``: echoes and default examples, checked when the texts load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.errors import KnowledgeError
from knowledge.system import SYSTEM_DIR, load_system


@pytest.fixture
def system_dir(tmp_path: Path) -> Path:
    target = tmp_path / "system"
    shutil.copytree(SYSTEM_DIR, target)
    return target


def edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_shipped_texts_echo_and_give_examples() -> None:
    texts = load_system().parsers
    assert texts.echo("postal_code", "ja", code="070-0031") == "〒070-0031"
    assert texts.echo("number", "en", number=1200) == "1,200"
    assert texts.example("name", "ja") == "例：旭川 太郎"
    assert "街路灯" not in texts.example("text", "ja")


def test_a_step_type_without_an_example_is_named(system_dir: Path) -> None:
    edit(system_dir / "parsers.yaml", lambda data: data["examples"].pop("name"))
    with pytest.raises(KnowledgeError) as caught:
        load_system(system_dir)
    assert "system/parsers.yaml" in str(caught.value)
    assert "missing: name" in str(caught.value)


def test_a_week_of_six_days_is_refused(system_dir: Path) -> None:
    edit(system_dir / "parsers.yaml", lambda data: data["weekdays"]["en"].pop())
    with pytest.raises(KnowledgeError, match="weekdays need 7 names"):
        load_system(system_dir)
