"""Turn ranked candidates into a decision: answer, offer choices, or fall back.

Two knobs, as in a fallback classifier: below ``fallback`` nothing is trusted; when the top two
are within ``margin`` of each other (or the top one is merely plausible), offer the top three.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from intents.matcher import Candidate


class Verdict(Enum):
    ANSWER = "answer"
    CLARIFY = "choices"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Limits:
    """Thresholds on the matcher's 0..1 score, chosen on the evaluation set."""

    answer: float = 0.45
    fallback: float = 0.28
    margin: float = 0.04
    choices: int = 3


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    candidates: tuple[Candidate, ...]

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def decide(candidates: list[Candidate], limits: Limits | None = None) -> Decision:
    """Decide what to do with the ranked candidates (best first)."""
    limits = limits or Limits()
    if not candidates or candidates[0].score < limits.fallback:
        return Decision(Verdict.FALLBACK, tuple(candidates[: limits.choices]))
    top = candidates[0].score
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if top >= limits.answer and top - runner_up >= limits.margin:
        return Decision(Verdict.ANSWER, tuple(candidates[:1]))
    close = [c for c in candidates[: limits.choices] if c.score >= limits.fallback]
    if len(close) == 1 and top >= limits.answer:
        return Decision(Verdict.ANSWER, tuple(close))
    return Decision(Verdict.CLARIFY, tuple(close))
