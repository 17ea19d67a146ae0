"""Matching latency, memory and index build time at the shipped size and at scale.

    python -m bench.latency [--sizes 0,L10000,100000]

``0`` is the shipped knowledge base; ``L10000`` the shipped entries plus 10,000 generated
long-answer entries (``bench/longanswers.py``: answers of 300–800 characters); a plain number
grows the shipped entries by variation (``bench/synthetic.py``). Latency is per query, one at a
time on one core (CPU time of the matching thread), over every query of the evaluation sets,
after one warm-up pass, with every channel on, as shipped (every posting of every query term
read). Beside it, in the same run, the same matcher with pruning on (``MatchWeights.prune``):
the ratio says what pruning saves (> 1) or costs (< 1). Build peak = the process's highest
resident memory during the build (the Sudachi dictionary and the vectors included).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from pathlib import Path

from bench.evalset import load_eval, load_frozen
from bench.longanswers import long_answer_collection
from bench.synthetic import grow
from intents.analyzer import Synonyms
from intents.matcher import Document, Matcher
from knowledge.documents import entry_documents
from knowledge.loader import load_knowledge
from knowledge.system import load_system


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    """Resident memory of this process (Linux), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def reset_peak() -> None:
    """Restart the peak resident-memory count (Linux >= 4.0), so each build is measured alone."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    """The highest resident memory of this process since the last ``reset_peak``, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    return 0.0


def timings(matcher: Matcher, queries: list[str]) -> list[float]:
    """CPU time of this thread per query, in ms: on a shared, loaded machine wall-clock time
    mostly measures the wait for a core, not the work."""
    for q in queries:  # warm-up
        matcher.rank(q, k=3)
    result = []
    for q in queries:
        t = time.thread_time_ns()
        matcher.rank(q, k=3)
        result.append((time.thread_time_ns() - t) / 1e6)
    return result


def collection(base: list[Document], size: str) -> list[Document]:
    if size == "0":
        return base
    if size.startswith("L"):
        return base + long_answer_collection(base, int(size[1:]))
    return grow(base, int(size))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,L10000,100000")
    parser.add_argument("--cpu", type=int, default=-1, help="core to pin to (default: the first)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[args.cpu] if args.cpu >= 0 else cores[0]})  # one core
    base = entry_documents(load_knowledge())
    synonyms = Synonyms(load_system().synonym_groups)
    queries = [q.text for q in (*load_eval(), *load_frozen())]
    print(
        "| entries | build (s) | memory (MB) | build peak (MB) | p50 (ms) | p99 (ms) | max (ms) "
        "| pruning on: p50 / p99 (ms) | p99 shipped / pruning on |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        docs = collection(base, size)
        before = rss_mb()
        reset_peak()
        started = time.perf_counter()
        matcher = Matcher.build(docs, synonyms)
        build = time.perf_counter() - started
        memory = rss_mb() - before
        peak = peak_mb()
        shipped = timings(matcher, queries)
        matcher.weights = dataclasses.replace(matcher.weights, prune=not matcher.weights.prune)
        other = timings(matcher, queries)
        label = f"{len(docs):,}" + (" long-answer" if size.startswith("L") else "")
        print(
            f"| {label} | {build:.1f} | {memory:.0f} | {peak:.0f} "
            f"| {statistics.median(shipped):.2f} | {percentile(shipped, 99):.2f} "
            f"| {max(shipped):.2f} "
            f"| {statistics.median(other):.2f} / {percentile(other, 99):.2f} "
            f"| {percentile(shipped, 99) / percentile(other, 99):.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
