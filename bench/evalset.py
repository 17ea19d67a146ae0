"""The evaluation sets (realistic citizen queries, expected entry).

* ``tests/data/eval/*.yaml`` — the development set; one half (even CRC-32) was inspected when
  tuning, the other half never was;
* ``tests/data/eval_frozen/*.yaml`` — written before the calibration and vocabulary work and
  never used to tune anything: the honest measure;
* ``tests/data/eval_dev/*.yaml`` — new development queries (out-of-scope ones above all),
  written after that work and tuned on like the tuning half.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
FROZEN_DIR = EVAL_DIR.parent / "eval_frozen"
DEV_DIR = EVAL_DIR.parent / "eval_dev"


@dataclass(frozen=True)
class Query:
    text: str
    expect: str | None  # None: out of scope, must not be answered confidently
    style: str
    source: str


def load_eval(directory: Path = EVAL_DIR) -> list[Query]:
    queries: list[Query] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("queries", []):
            expect = item.get("expect")
            queries.append(Query(str(item["q"]), expect, str(item["style"]), path.name))
    return queries


def load_frozen() -> list[Query]:
    return load_eval(FROZEN_DIR)


def load_dev() -> list[Query]:
    return load_eval(DEV_DIR)


def tuning_queries() -> list[Query]:
    """Everything the calibration may be fitted on: the tuning half and the new queries."""
    return [q for q in load_eval() if tuning_half(q) == 0] + load_dev()


def tuning_half(query: Query) -> int:
    """0 for the half whose misses were read when revising keywords, 1 for the other half."""
    return zlib.crc32(query.text.encode("utf-8")) % 2
