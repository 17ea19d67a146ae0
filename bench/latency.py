"""Matching latency and index build time at the shipped size, 10,000 and 100,000 entries.

    python -m bench.latency [--sizes 0,10000,100000]     (0 = the shipped knowledge base)

Latency is per query, one at a time on one core, over every query of the evaluation set, after
one warm-up pass; the build time includes Sudachi analysis of every entry.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.evalset import load_eval
from bench.synthetic import grow
from intents.analyzer import Synonyms
from intents.matcher import Matcher
from knowledge.documents import entry_documents
from knowledge.loader import load_knowledge
from knowledge.system import load_system


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,10000,100000")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    base = entry_documents(load_knowledge())
    synonyms = Synonyms(load_system().synonym_groups)
    queries = [q.text for q in load_eval()]
    print("| entries | build (s) | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        docs = base if size == 0 else grow(base, size)
        started = time.perf_counter()
        matcher = Matcher.build(docs, synonyms)
        build = time.perf_counter() - started
        for q in queries:  # warm-up
            matcher.rank(q, k=3)
        timings = []
        for q in queries:
            t = time.perf_counter()
            matcher.rank(q, k=3)
            timings.append((time.perf_counter() - t) * 1000)
        print(
            f"| {len(docs):,} | {build:.1f} | {statistics.median(timings):.2f} "
            f"| {percentile(timings, 99):.2f} | {max(timings):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
