"""Start-up time, cold (index built and cached) and warm (index loaded from the cache).

    python -m bench.startup [--sizes 0,10000] [--serve]     (0 = the shipped knowledge base)

Two measurements per size, each in a fresh interpreter so imports count:

* ``load``: ``Knowledge.load`` with the index cache (YAML read and checked, index built or
  loaded), timed inside the process, plus the whole process's wall time;
* ``serve`` (with ``--serve``): ``citybot serve`` started until ``GET /healthz`` answers 200.

A size above the shipped one is a copy of the shipped data plus synthetic FAQ entries in one
extra file: shipped FAQ entries with new ids and questions recombined with other entries'
keywords (as :mod:`bench.synthetic` does for documents).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import DATA_DIR

_LOAD = """
import json, sys, time
started = time.perf_counter()
from bot.knowledge_service import Knowledge
from pathlib import Path
imported = time.perf_counter()
knowledge = Knowledge.load(sys.argv[1], cache_dir=Path(sys.argv[2]))
done = time.perf_counter()
print(json.dumps({"entries": len(knowledge.kb), "import": imported - started,
                  "load": done - imported}))
"""


def _entries(data_dir: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((data_dir / "faq").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.extend(document.get("entries") or [])
    return found


def _count(data_dir: Path) -> int:
    total = 0
    for path in data_dir.rglob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(document, dict):
            total += len(document.get("entries") or [])
    return total


def make_data(size: int, target: Path, seed: int = 7) -> Path:
    """The shipped data grown to ``size`` entries (or as shipped, for 0)."""
    shutil.copytree(DATA_DIR, target)
    missing = size - _count(target)
    if missing <= 0:
        return target
    rng = random.Random(seed)
    base = _entries(target)
    vocabulary = [str(k) for e in base for k in e.get("keywords") or []] or ["ごみ"]
    synthetic: list[dict[str, Any]] = []
    for number in range(missing):
        source = dict(base[rng.randrange(len(base))])
        extra = rng.sample(vocabulary, k=3)
        source["id"] = f"{source['id'][:40]}.v{number}"
        source["questions"] = [
            f"{q}（{rng.choice(extra)}）" if rng.random() < 0.5 else f"{rng.choice(extra)}の{q}"
            for q in source["questions"]
        ]
        source["keywords"] = [*(source.get("keywords") or [])[:3], *extra]
        source.pop("related", None)
        synthetic.append(source)
    (target / "faq" / "zz_synthetic.yaml").write_text(
        yaml.safe_dump({"entries": synthetic}, allow_unicode=True), encoding="utf-8"
    )
    return target


def time_load(data_dir: Path, cache_dir: Path) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _LOAD, str(data_dir), str(cache_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - started
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_serve(data_dir: Path, var_dir: Path, timeout: float = 900.0) -> float:
    """Seconds from ``citybot serve`` to the first ``/healthz`` 200."""
    port = _free_port()
    env = {
        **os.environ,
        "CITYBOT_KNOWLEDGE_DIR": str(data_dir),
        "CITYBOT_VAR_DIR": str(var_dir),
        "CITYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{var_dir / 'citybot.db'}",
        "CITYBOT_PORT": str(port),
    }
    for name in ("CITYBOT_LINE_CHANNEL_SECRET", "CITYBOT_TELEGRAM_TOKEN"):
        env.pop(name, None)
    command = [str(Path(sys.executable).parent / "citybot"), "serve"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        msg = f"citybot serve did not answer /healthz within {timeout} s"
        raise TimeoutError(msg)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,10000")
    parser.add_argument("--serve", action="store_true", help="also time citybot serve")
    args = parser.parse_args()
    print("| entries | start | import (s) | Knowledge.load (s) | process (s) | serve (s) |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            data = make_data(size, root / "data")
            var = root / "var"
            cache = var / "cache"
            entries = 0
            for start in ("cold", "warm"):
                if start == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                result = time_load(data, cache)
                entries = int(result["entries"])
                print(
                    f"| {entries} | {start} | {result['import']:.2f} "
                    f"| {result['load']:.2f} | {result['process']:.2f} | – |",
                    flush=True,
                )
            if not args.serve:
                continue
            for start in ("cold", "warm"):
                if start == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                seconds = time_serve(data, var)
                print(f"| {entries} | {start} | – | – | – | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
