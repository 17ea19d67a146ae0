"""Calibrated confidence: an estimate of P(the top candidate is the right entry).

A logistic regression over a few features of one ranking (``FEATURES``); its coefficients are
data, fitted on the tuning data (``bench.evalset.tuning_queries``) by ``python -m
bench.calibrate`` and stored in ``intents/data/calibration.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "calibration.yaml"

# What the matcher measures for its top candidate (see Matcher.explain):
FEATURES: tuple[str, ...] = (
    "score",  # the fused, coverage-normalised score of the top candidate (0..1)
    "evidence",  # log(1 + IDF mass of the query's words found in the top entry): absolute
    # "missing" (IDF mass of query words the entry lacks) was tried: it took a positive sign
    "margin",  # score of the top minus the best candidate not related to it
    "margin_next",  # score of the top minus the second candidate
    "fuzzy",  # similarity of the query to the top entry's questions (0..1)
    "length",  # log(1 + number of content words)
    "related",  # 1 when the second candidate is related to the top one
    "english",  # 1 for an English message
    # Tried and left out: "unknown" (share of the query's words no entry contains: 天気, 競馬)
    # took a positive sign, as "missing" did; it caps the confidence instead (MatchWeights.
    # unknown_share). "dense" (chiVe cosine of the query with the top entry) took a negative
    # one: the masked rows (right entry hidden, a semantically close one on top) taught it that
    # a close meaning is a bad sign, which turned down answers found through meaning.
)


@dataclass(frozen=True)
class Calibration:
    """Standardise the features, then a logistic function."""

    mean: Mapping[str, float]
    scale: Mapping[str, float]
    coef: Mapping[str, float]
    intercept: float

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept
        for name, weight in self.coef.items():
            x = (features.get(name, 0.0) - self.mean.get(name, 0.0)) / self.scale.get(name, 1.0)
            z += weight * x
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration | None:
        if not path.exists():
            return None
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            mean=dict(data["mean"]),
            scale=dict(data["scale"]),
            coef=dict(data["coef"]),
            intercept=float(data["intercept"]),
        )

    def dump(self, path: Path, header: Sequence[str] = ()) -> None:
        lines = [f"# {h}" for h in header]
        body = {
            "intercept": round(self.intercept, 6),
            "coef": {k: round(v, 6) for k, v in self.coef.items()},
            "mean": {k: round(v, 6) for k, v in self.mean.items()},
            "scale": {k: round(v, 6) for k, v in self.scale.items()},
        }
        text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
        path.write_text("\n".join([*lines, text]), encoding="utf-8")
