"""Turn ranked candidates into a decision: answer, offer choices, or fall back.

With a calibrated matcher the top candidate carries ``confidence``, an estimate of P(it is the
right entry) fitted on the evaluation set (``python -m bench.calibrate``; figures in
docs/benchmarks.md):

* ``answer`` — confidence >= ``Limits.confident`` and the top scores at least ``floor`` (a
  short message that matches one word of an entry weakly is not answered): answer the top
  entry. The other leading candidates of the same topic (related entries, e.g. the FAQ and
  the procedure guide of one subject) do not block the answer: they travel on the decision
  as ``followups``;
* ``clarify`` — confidence >= ``Limits.unsure``: offer the top three as choices;
* ``fallback`` — below: say honestly that nothing fitted; candidates scoring at least
  ``suggest`` are still offered as "did you mean …" suggestions. A message without content
  (はい, ありがとう, 👍) ranks nothing, so it falls back with no entries at all.

Candidates without a confidence (a matcher built without calibration, hand-made candidates) are
decided on the raw score as before: answer when the top scores >= ``answer`` and the second at
most ``1 - margin`` of it; choices from ``clarify``.
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
    """Thresholds: ``confident``/``unsure`` on the calibrated confidence, the rest on scores."""

    answer: float = 0.40
    margin: float = 0.12
    clarify: float = 0.30
    suggest: float = 0.15
    choices: int = 3
    confident: float = 0.75
    unsure: float = 0.35
    floor: float = 0.25  # and a direct answer needs at least this much evidence (top score)


@dataclass(frozen=True)
class Decision:
    """What to do with a message.

    ``candidates``: the answer, the choices, or fallback suggestions, best first.
    ``followups``: with an answer, the ids of other leading candidates related to the answered
    entry (same topic) — to be offered after the answer, e.g. as buttons; empty otherwise.
    """

    verdict: Verdict
    candidates: tuple[Candidate, ...]
    followups: tuple[str, ...] = ()

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        """The calibrated probability that the top entry is right (its score if uncalibrated)."""
        if not self.candidates:
            return 0.0
        top = self.candidates[0]
        return top.confidence if top.confidence is not None else top.score


def decide(candidates: list[Candidate], limits: Limits | None = None) -> Decision:
    """Decide what to do with the ranked candidates (best first)."""
    limits = limits or Limits()
    shown = candidates[: limits.choices]
    suggestions = tuple(c for c in shown if c.score >= limits.suggest)
    if not shown:
        return Decision(Verdict.FALLBACK, ())
    best = shown[0]
    if best.confidence is None:
        return _by_score(shown, limits, suggestions)
    if best.confidence >= limits.confident and best.score >= limits.floor:
        followups = tuple(c.entry_id for c in shown[1:] if c.entry_id in best.related)
        return Decision(Verdict.ANSWER, (best,), followups)
    if best.confidence >= limits.unsure:
        return Decision(Verdict.CLARIFY, tuple(shown))
    return Decision(Verdict.FALLBACK, suggestions)


def _by_score(
    shown: list[Candidate], limits: Limits, suggestions: tuple[Candidate, ...]
) -> Decision:
    top = shown[0].score
    runner_up = shown[1].score if len(shown) > 1 else 0.0
    if top >= limits.answer and runner_up <= top * (1 - limits.margin):
        return Decision(Verdict.ANSWER, tuple(shown[:1]))
    if top >= limits.clarify:
        return Decision(Verdict.CLARIFY, suggestions)
    return Decision(Verdict.FALLBACK, suggestions)
