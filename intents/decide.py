"""Turn ranked candidates into a decision: answer, offer choices, or fall back.

Scores are the matcher's fused score in [0, 1]. Bands, chosen on the evaluation set
(``python -m bench.accuracy``; figures in docs/benchmarks.md):

* ``answer`` — the top candidate is good (score >= ``answer``) and clearly ahead: the second
  scores at most ``1 - margin`` of it (relative, so that one common word such as 証明書, which
  every certificate entry matches almost equally, leads to choices);
* ``clarify`` — plausible but not clear: offer the top three as choices;
* ``fallback`` — below ``clarify``: say honestly that nothing fitted; candidates above
  ``suggest`` are still offered as "did you mean …" suggestions, the rest is dropped.
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
    """Thresholds on the matcher's 0..1 score."""

    answer: float = 0.40
    margin: float = 0.12
    clarify: float = 0.30
    suggest: float = 0.15
    choices: int = 3


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    candidates: tuple[Candidate, ...]  # the answer, the choices, or fallback suggestions

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def decide(candidates: list[Candidate], limits: Limits | None = None) -> Decision:
    """Decide what to do with the ranked candidates (best first)."""
    limits = limits or Limits()
    shown = candidates[: limits.choices]
    top = shown[0].score if shown else 0.0
    runner_up = shown[1].score if len(shown) > 1 else 0.0
    if top >= limits.answer and runner_up <= top * (1 - limits.margin):
        return Decision(Verdict.ANSWER, tuple(shown[:1]))
    if top >= limits.clarify:
        return Decision(Verdict.CLARIFY, tuple(c for c in shown if c.score >= limits.suggest))
    return Decision(Verdict.FALLBACK, tuple(c for c in shown if c.score >= limits.suggest))
