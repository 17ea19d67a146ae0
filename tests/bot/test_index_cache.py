"""The built matcher kept on disk: a restart loads it, a change to the knowledge rebuilds it."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot.index_cache import IndexCache, index_key
from bot.knowledge_service import Knowledge
from knowledge.loader import DATA_DIR

QUERIES = ["ごみの出し方", "住民票がほしい", "水道料金の支払い", "how do I pay my water bill"]


def _ranking(knowledge: Knowledge) -> list[list[tuple[str, float]]]:
    return [[(c.entry_id, round(c.score, 6)) for c in knowledge.rank(q, k=5)] for q in QUERIES]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("index-*.pkl"))


def test_a_restart_loads_an_equivalent_matcher(
    data_dir: Path, tmp_path: Path, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    caplog.set_level(logging.INFO, logger="bot.index_cache")
    first = Knowledge.load(data_dir, cache_dir=cache)
    assert len(_cache_files(cache)) == 1
    assert "index built" in caplog.text
    caplog.clear()
    second = Knowledge.load(data_dir, cache_dir=cache)
    assert "loaded from cache" in caplog.text
    assert second.matcher is not first.matcher
    assert _ranking(second) == _ranking(first) == _ranking(knowledge)


def test_a_changed_knowledge_file_rebuilds(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    query = "池のカエルは何匹いますか"
    before = Knowledge.load(data_dir, cache_dir=cache)
    assert before.rank(query, k=1)[0].entry_id != "faq.infrastructure.water_bill"
    path = data_dir / "faq" / "city_infrastructure.yaml"
    source = path.read_text(encoding="utf-8")
    question = "      - 水道料金はどのように計算されていますか\n"
    assert question in source
    path.write_text(source.replace(question, question + f"      - {query}\n"), encoding="utf-8")
    caplog.set_level(logging.INFO, logger="bot.index_cache")
    after = Knowledge.load(data_dir, cache_dir=cache)
    assert "index built" in caplog.text
    assert after.rank(query, k=1)[0].entry_id == "faq.infrastructure.water_bill"
    assert len(_cache_files(cache)) == 2  # the previous one is kept for a quick roll-back


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_corrupt_cache_file_is_rebuilt(
    data_dir: Path, tmp_path: Path, damage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    first = Knowledge.load(data_dir, cache_dir=cache)
    [path] = _cache_files(cache)
    path.write_bytes(damage)
    caplog.set_level(logging.INFO, logger="bot.index_cache")
    again = Knowledge.load(data_dir, cache_dir=cache)
    assert "unreadable" in caplog.text
    assert "index built" in caplog.text
    assert _ranking(again) == _ranking(first)
    assert path.stat().st_size > 1000  # written anew


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path, keep=2)
    for number in range(5):
        cache.save(f"{number}" * 64, {"n": number})
    assert len(list(tmp_path.glob("index-*.pkl"))) == 2
    assert cache.load("4" * 64, dict) == {"n": 4}
    assert list(tmp_path.glob("*.tmp")) == []


def test_the_key_follows_knowledge_code_and_settings(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    code = tmp_path / "code"
    code.mkdir()
    (source / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    (code / "m.py").write_text("X = 1\n", encoding="utf-8")
    key = index_key([source], code=[code], settings="s")
    assert index_key([source], code=[code], settings="s") == key
    assert index_key([source], code=[code], settings="t") != key
    (code / "m.py").write_text("X = 2\n", encoding="utf-8")
    changed_code = index_key([source], code=[code], settings="s")
    assert changed_code != key
    (source / "a.yaml").write_text("x: 2\n", encoding="utf-8")
    assert index_key([source], code=[code], settings="s") not in (key, changed_code)
