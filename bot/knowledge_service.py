"""The loaded knowledge: entries, system texts and the matcher built over them.

Staff can change entries while the bot runs (``bot/knowledge_loop``). The entries and the
matcher live together in one immutable :class:`Snapshot`; a change builds a new snapshot and
swaps the reference, so a search running in a worker thread always sees one consistent pair
(never a new entry list with an old index).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.index_cache import IndexCache, index_key
from intents.analyzer import Synonyms
from intents.decide import Decision, Limits, decide
from intents.matcher import Candidate, Matcher, MatchWeights
from knowledge.documents import entry_document, entry_documents
from knowledge.loader import DATA_DIR, KnowledgeBase, load_knowledge
from knowledge.schema import Entry
from knowledge.system import SYSTEM_DIR, SystemTexts, load_system

logger = logging.getLogger(__name__)

NEW_ENTRY_FILE = "faq/staff_entries.yaml"  # where entries created in the console are exported
_ROOT = Path(__file__).resolve().parent.parent
#: The code whose change must invalidate a cached index: the matcher, the knowledge schema and
#: loaders, and this module.
CODE = (_ROOT / "intents", _ROOT / "knowledge", Path(__file__).resolve())


@dataclass(frozen=True)
class Loaded:
    """The shipped knowledge as loaded and indexed: what the start-up cache keeps."""

    kb: KnowledgeBase
    system: SystemTexts
    matcher: Matcher


@dataclass(frozen=True)
class Snapshot:
    """One consistent state of the entries and their index."""

    kb: KnowledgeBase
    matcher: Matcher
    revision: int = 0  # the last knowledge edit applied (0: the shipped knowledge only)


@dataclass
class Knowledge:
    """Everything the engine reads, shared by all conversations.

    ``kb`` and ``matcher`` always come from the current snapshot; code that needs both at once
    takes :attr:`snapshot` once and reads from it.
    """

    shipped: KnowledgeBase  # as loaded from YAML, never changed
    system: SystemTexts
    limits: Limits
    _snapshot: Snapshot
    _write: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(
        cls,
        data_dir: Path | str | None = None,
        system_dir: Path | str | None = None,
        *,
        cache_dir: Path | None = None,
    ) -> Knowledge:
        """Load and check the knowledge, then build the matcher over it.

        Args:
            cache_dir: where the loaded knowledge and its built matcher are kept between
                starts (:mod:`bot.index_cache`), keyed by every knowledge file's bytes and the
                code that reads them; ``None`` loads and builds every time.
        """
        started = time.perf_counter()
        if cache_dir is None:
            loaded = cls._build(data_dir, system_dir)
        else:
            sources = [Path(data_dir or DATA_DIR), Path(system_dir or SYSTEM_DIR)]
            key = index_key(sources, code=CODE, settings=repr((MatchWeights(), Limits())))
            build = functools.partial(cls._build, data_dir, system_dir)
            loaded = IndexCache(cache_dir).load_or_build(key, build, Loaded)
        logger.info(
            "knowledge loaded: %d entries, ready in %.2f s",
            len(loaded.kb),
            time.perf_counter() - started,
        )
        snapshot = Snapshot(loaded.kb, loaded.matcher)
        return cls(shipped=loaded.kb, system=loaded.system, limits=Limits(), _snapshot=snapshot)

    @staticmethod
    def _build(data_dir: Path | str | None = None, system_dir: Path | str | None = None) -> Loaded:
        kb = load_knowledge(data_dir)
        system = load_system(system_dir)
        synonyms = Synonyms(system.synonym_groups)
        matcher = Matcher.build(entry_documents(kb), synonyms, MatchWeights())
        return Loaded(kb=kb, system=system, matcher=matcher)

    def fork(self) -> Knowledge:
        """An independent copy at the current state (cheap: snapshots are immutable)."""
        return Knowledge(self.shipped, self.system, self.limits, self._snapshot)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def kb(self) -> KnowledgeBase:
        return self._snapshot.kb

    @property
    def matcher(self) -> Matcher:
        return self._snapshot.matcher

    @property
    def revision(self) -> int:
        return self._snapshot.revision

    def entry(self, entry_id: str) -> Entry | None:
        return self._snapshot.kb.entries.get(entry_id)

    def rank(self, text: str, k: int = 3) -> list[Candidate]:
        return self._snapshot.matcher.rank(text, k=k)

    def decide(self, text: str) -> Decision:
        return decide(self.rank(text, k=self.limits.choices), self.limits)

    async def decide_async(self, text: str) -> Decision:
        """Matching is CPU work: run it in a worker thread, off the event loop."""
        return await asyncio.to_thread(self.decide, text)

    def apply(self, changes: Iterable[tuple[str, Entry | None]], revision: int) -> int:
        """Put changed entries live (``None`` removes one); return how many changed.

        The index is updated entry by entry (:meth:`Matcher.replace_documents`); the new
        snapshot replaces the old one in a single assignment. Runs in a worker thread.
        """
        with self._write:  # two updates at once would each drop the other's change
            current = self._snapshot
            if revision <= current.revision:
                return 0
            entries = dict(current.kb.entries)
            files = dict(current.kb.files)
            touched: dict[str, Entry | None] = {}
            for entry_id, entry in changes:
                if entries.get(entry_id) != entry:
                    touched[entry_id] = entry
                if entry is None:
                    entries.pop(entry_id, None)
                else:
                    entries[entry_id] = entry
                    files.setdefault(entry_id, self.shipped.files.get(entry_id, NEW_ENTRY_FILE))
            matcher = current.matcher
            if len(touched) == 1:
                [(entry_id, entry)] = touched.items()
                documents = [entry_document(entry)] if entry is not None else []
                matcher = matcher.replace_documents(entry_id, documents)
            elif touched:  # many at once (start-up): one assembly, known texts not re-analysed
                matcher = Matcher.build(
                    entry_documents(entries.values()),
                    matcher.analyzer.synonyms,
                    matcher.weights,
                    vocabulary=matcher.vocabulary,
                    calibration=matcher.calibration,
                    analyses=matcher.analyses,
                )
            changed = len(touched)
            kb = KnowledgeBase(entries=entries, categories=current.kb.categories, files=files)
            self._snapshot = Snapshot(kb, matcher, revision)
        return changed
