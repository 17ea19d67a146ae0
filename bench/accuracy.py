"""Matching accuracy on the three evaluation sets, and what each ingredient contributes.

    python -m bench.accuracy [--ablation] [--misses] [--no-frozen]

Sets reported separately: the frozen set (never tuned on), the never-inspected half of the
development set, its tuning half (even CRC-32) and the new development queries
(``tests/data/eval_dev``); the calibration is fitted on the last two. The shipped row uses
the shipped coefficients (``intents/data/calibration.yaml``), as the bot does; every other
row is refitted for its ingredients. ``--refit`` shows the shipped row with a fresh fit too.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable

from bench.evalset import Query, load_dev, load_eval, load_frozen, tuning_half, tuning_queries
from intents.analyzer import Synonyms
from intents.calibration import Calibration
from intents.decide import Limits, Verdict, decide
from intents.matcher import Candidate, Matcher, MatchWeights
from knowledge.documents import entry_documents
from knowledge.loader import load_knowledge
from knowledge.system import load_system


@dataclasses.dataclass
class Scores:
    top1: float
    top3: float
    out_of_scope_ok: float
    in_scope_answered: float
    wrong_answered: float
    out_of_scope_fallback: float
    per_style: dict[str, tuple[int, float, float]]
    misses: list[tuple[Query, list[Candidate]]]


def evaluate(
    rank: Callable[[str], list[Candidate]], queries: list[Query], limits: Limits
) -> Scores:
    hits1 = hits3 = answered = wrong = n_in = n_out = out_ok = out_fallback = 0
    style: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[tuple[Query, list[Candidate]]] = []
    for q in queries:
        ranked = rank(q.text)
        verdict = decide(ranked, limits).verdict
        if q.expect is None:
            n_out += 1
            out_ok += verdict is not Verdict.ANSWER
            out_fallback += verdict is Verdict.FALLBACK
            continue
        n_in += 1
        ids = [c.entry_id for c in ranked]
        h1, h3 = ids[:1] == [q.expect], q.expect in ids[:3]
        hits1 += h1
        hits3 += h3
        answered += verdict is Verdict.ANSWER and h1
        wrong += verdict is Verdict.ANSWER and not h1
        s = style[q.style]
        s[0] += 1
        s[1] += h1
        s[2] += h3
        if not h1:
            misses.append((q, ranked))
    return Scores(
        top1=hits1 / max(n_in, 1),
        top3=hits3 / max(n_in, 1),
        out_of_scope_ok=out_ok / max(n_out, 1),
        in_scope_answered=answered / max(n_in, 1),
        wrong_answered=wrong / max(n_in, 1),
        out_of_scope_fallback=out_fallback / max(n_out, 1),
        per_style={k: (v[0], v[1] / v[0], v[2] / v[0]) for k, v in sorted(style.items())},
        misses=misses,
    )


LEXICAL = {
    "use_calibration": False,
    "use_dense": False,
    "use_neighbours": False,
    "use_expansion": False,
    "use_stemmer": False,
}
# Cumulative: each row adds one ingredient to the row above. The calibration is refitted for
# every row on the tuning data (bench.calibrate), as the features change with the ingredients.
VARIANTS: dict[str, dict[str, object]] = {
    "lexical only (score rule, as before)": LEXICAL,
    "+ calibrated confidence, topic-aware decision": LEXICAL,
    "+ dense chiVe channel": {**LEXICAL, "use_dense": True},
    "+ expansion by nearest words": {**LEXICAL, "use_dense": True, "use_neighbours": True},
    "+ vocabulary file": {
        **LEXICAL,
        "use_dense": True,
        "use_neighbours": True,
        "use_expansion": True,
    },
    "+ Snowball stemmer (shipped)": {},
    "shipped without the dense channel": {"use_dense": False},
    "shipped without vector expansion": {"use_neighbours": False},
    "shipped without any vectors": {"use_dense": False, "use_neighbours": False},
    "shipped, words in passing weighed as nouns": {"secondary": 1.0},
}


SHIPPED = "+ Snowball stemmer (shipped)"
REFITTED = "shipped, calibration refitted now"
TUNED = ("tuned half", "new development queries (tuned on)")


def sets(frozen: bool = True) -> dict[str, list[Query]]:
    old = load_eval()
    return {
        **({"frozen": load_frozen()} if frozen else {}),
        "untouched half": [q for q in old if tuning_half(q) == 1],
        "tuned half": [q for q in old if tuning_half(q) == 0],
        TUNED[1]: load_dev(),
    }


def build(overrides: dict[str, object], calibrated: bool, shipped: bool = False) -> Matcher:
    """The matcher with ``overrides``; ``calibrated``: refitted on the tuning data, or with the
    shipped coefficients when ``shipped``."""
    from bench.calibrate import fit, measure

    kb = load_knowledge()
    synonyms = Synonyms(load_system().synonym_groups)
    weights = dataclasses.replace(MatchWeights(), **overrides)  # type: ignore[arg-type]
    weights = dataclasses.replace(weights, use_calibration=False)
    matcher = Matcher.build(entry_documents(kb), synonyms, weights)
    if calibrated and shipped:
        matcher.calibration = Calibration.load()
    elif calibrated:
        matcher.calibration = fit(*measure(matcher, tuning_queries(), masked=True))
    return matcher


def row(name: str, s: Scores) -> str:
    return (
        f"| {name} | {s.top1:.3f} | {s.top3:.3f} | {s.in_scope_answered:.3f} "
        f"| {s.wrong_answered:.3f} | {s.out_of_scope_ok:.3f} / {s.out_of_scope_fallback:.3f} |"
    )


HEADER = (
    "| variant | top-1 | top-3 | answered, right | answered, wrong "
    "| out-of-scope: not answered / fell back |\n|---|---:|---:|---:|---:|---:|"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--misses", action="store_true", help="misses of the tuning data only")
    parser.add_argument(
        "--no-frozen", action="store_true", help="leave the frozen set out (while tuning)"
    )
    parser.add_argument(
        "--refit", action="store_true", help="also the shipped matcher with a fresh fit"
    )
    args = parser.parse_args()
    evaluation = sets(frozen=not args.no_frozen)
    for name, queries in evaluation.items():
        n_in = sum(q.expect is not None for q in queries)
        print(f"{name}: {len(queries)} queries ({n_in} in scope, {len(queries) - n_in} out)")
    variants = dict(VARIANTS) if args.ablation else {SHIPPED: {}}
    if args.refit:
        variants[REFITTED] = {}
    results: dict[str, dict[str, Scores]] = defaultdict(dict)
    limits = Limits()
    for number, (name, overrides) in enumerate(variants.items()):
        started = time.perf_counter()
        matcher = build(
            overrides, calibrated=number > 0 or not args.ablation, shipped=name == SHIPPED
        )
        if name == SHIPPED:
            shipped_matcher = matcher
        for set_name, queries in evaluation.items():
            cache = {q.text: matcher.rank(q.text, k=3) for q in queries}
            results[set_name][name] = evaluate(lambda t, c=cache: c[t], queries, limits)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)
    for set_name, by_variant in results.items():
        print(f"\n{set_name}\n{HEADER}")
        for name, scores in by_variant.items():
            print(row(name, scores))
    by_file: dict[str, list[Query]] = defaultdict(list)
    for q in evaluation[TUNED[1]]:
        by_file[q.source].append(q)
    print(f"\n{TUNED[1]}, by file\n{HEADER.replace('variant', 'file')}")
    for source, queries in sorted(by_file.items()):
        cache = {q.text: shipped_matcher.rank(q.text, k=3) for q in queries}
        print(row(source, evaluate(lambda t, c=cache: c[t], queries, limits)))
    for set_name in ("frozen", TUNED[1]):
        if set_name not in results:
            continue
        shipped = results[set_name]["+ Snowball stemmer (shipped)"]
        print(f"\n| style ({set_name}) | queries | top-1 | top-3 |\n|---|---:|---:|---:|")
        for style, (n, t1, t3) in shipped.per_style.items():
            print(f"| {style} | {n} | {t1:.3f} | {t3:.3f} |")
    if args.misses:
        shipped_rows = [results[t]["+ Snowball stemmer (shipped)"] for t in TUNED]
        for q, ranked in (m for s in shipped_rows for m in s.misses):
            got = ", ".join(f"{c.entry_id}:{c.score:.2f}" for c in ranked)
            print(f"MISS [{q.style}] {q.text} -> want {q.expect}; got {got}")


if __name__ == "__main__":
    main()
