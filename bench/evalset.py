"""The evaluation sets (realistic citizen queries, expected entry).

* ``tests/data/eval/*.yaml`` — the development set; one half (even CRC-32) was inspected when
  tuning, the other half never was;
* ``tests/data/eval_frozen/*.yaml`` — written before the calibration and vocabulary work and
  never used to tune anything: the honest measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
FROZEN_DIR = EVAL_DIR.parent / "eval_frozen"


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
