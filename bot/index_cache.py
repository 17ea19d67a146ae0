"""The built matcher kept on disk, so a restart loads it instead of building it again.

    cache = IndexCache(var_dir / "cache")
    key = index_key([data_dir, system_dir], code=[intents_dir], settings=repr(weights))
    matcher = cache.load_or_build(key, lambda: Matcher.build(...), Matcher)

The cached object is opaque here (anything picklable). The key is a SHA-256 over everything it
depends on: the bytes of every file under ``sources`` (the knowledge), the Python source under
``code`` (the packages that build it, e.g. :mod:`intents`), the versions of the analyzer
(SudachiPy and its dictionary), of this package and of the libraries whose objects the index
holds, the settings, and :data:`INDEX_FORMAT`. Any change gives a new key, so a stale index is
never loaded; a file that cannot be read back is ignored and rebuilt. Files are written atomically
(a temporary file, then ``os.replace``), so several server processes starting together at worst
build the index once each. Older files are pruned.

The cache is a pickle: only this process writes the directory (``CITYBOT_VAR_DIR``, which must
not be writable by anyone else).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)

#: Bump when the way the index is built or stored changes without a change in ``intents/``.
INDEX_FORMAT = 1
KEEP = 2  # newest cache files kept (the current one and the one before: a quick roll-back)
PREFIX = "index-"
SUFFIX = ".pkl"
STALE_TEMP_SECONDS = 3600.0  # a temporary file this old was left by a process that died

_VERSIONED = ("citybot", "sudachipy", "sudachidict-core", "numpy", "rapidfuzz", "pydantic")

T = TypeVar("T")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "-"


def _files(root: Path) -> list[Path]:
    return sorted(
        (p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def _code_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return [path for path in _files(root) if path.suffix == ".py"]


def index_key(sources: Iterable[Path], code: Iterable[Path] = (), settings: str = "") -> str:
    """The cache key of an index built from the files under ``sources`` by the Python files
    under ``code`` (directories or single files) with ``settings``."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", str(INDEX_FORMAT).encode())
    add("python", sys.version.encode())
    for name in _VERSIONED:
        add(f"version:{name}", _version(name).encode())
    add("settings", settings.encode())
    for number, root in enumerate(code):
        for path in _code_files(root):
            name = path.name if root.is_file() else path.relative_to(root).as_posix()
            add(f"code{number}/{name}", path.read_bytes())
    for number, root in enumerate(sources):
        for path in _files(root):
            add(f"source{number}/{path.relative_to(root).as_posix()}", path.read_bytes())
    return digest.hexdigest()


class IndexCache:
    """Built indexes as files in ``directory``, one per key."""

    def __init__(self, directory: Path, keep: int = KEEP) -> None:
        self.directory = Path(directory)
        self.keep = keep

    def path(self, key: str) -> Path:
        return self.directory / f"{PREFIX}{key[:32]}{SUFFIX}"

    def load(self, key: str, kind: type[T]) -> T | None:
        """The cached object for ``key``, or ``None`` when absent, unreadable or not a ``kind``."""
        path = self.path(key)
        try:
            with path.open("rb") as file:
                stored_key, value = pickle.load(file)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged pickle raises almost anything: rebuild instead
            logger.warning("index cache %s unreadable (%s); rebuilding", path.name, exc)
            return None
        if stored_key != key or not isinstance(value, kind):
            logger.warning("index cache %s holds something else; rebuilding", path.name)
            return None
        return value

    def save(self, key: str, value: object) -> None:
        """Write atomically; a failure is logged and the server starts anyway."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{PREFIX}", suffix=".tmp", dir=self.directory
            )
            try:
                with os.fdopen(handle, "wb") as file:
                    pickle.dump((key, value), file, protocol=pickle.HIGHEST_PROTOCOL)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path(key))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except (OSError, pickle.PicklingError) as exc:
            logger.warning("index cache not written to %s: %s", self.directory, exc)
            return
        self.prune(key)

    def prune(self, current: str) -> None:
        """Delete all but the newest :attr:`keep` cache files, and old temporary files."""
        try:
            files = sorted(
                self.directory.glob(f"{PREFIX}*{SUFFIX}"),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            kept = {self.path(current), *files[: self.keep]}
            for path in files:
                if path not in kept:
                    path.unlink(missing_ok=True)
            for path in self.directory.glob(f".{PREFIX}*.tmp"):
                if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
        except OSError as exc:  # another process pruned at the same time
            logger.info("index cache prune skipped: %s", exc)

    def load_or_build(self, key: str, build: Callable[[], T], kind: type[T]) -> T:
        """The cached object for ``key``, else ``build()`` saved for the next start."""
        started = time.perf_counter()
        cached = self.load(key, kind)
        if cached is not None:
            logger.info("index loaded from cache in %.2f s", time.perf_counter() - started)
            return cached
        value = build()
        built = time.perf_counter()
        self.save(key, value)
        logger.info(
            "index built in %.2f s and cached in %.2f s",
            built - started,
            time.perf_counter() - built,
        )
        return value
