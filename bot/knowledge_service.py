"""The loaded knowledge: entries, system texts and the matcher built over them, read-only."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.index_cache import IndexCache, index_key
from intents.analyzer import Synonyms
from intents.decide import Decision, Limits, decide
from intents.matcher import Candidate, Matcher, MatchWeights
from knowledge.documents import entry_documents
from knowledge.loader import DATA_DIR, KnowledgeBase, load_knowledge
from knowledge.schema import Entry
from knowledge.system import SYSTEM_DIR, SystemTexts, load_system

logger = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
#: The code whose change must invalidate a cached index: the matcher, the knowledge schema and
#: loaders, and this module.
CODE = (_ROOT / "intents", _ROOT / "knowledge", Path(__file__).resolve())


@dataclass(frozen=True)
class Knowledge:
    """Everything the engine reads: built once at start-up, shared by all conversations."""

    kb: KnowledgeBase
    system: SystemTexts
    matcher: Matcher
    limits: Limits

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
            loaded = IndexCache(cache_dir).load_or_build(key, build, Knowledge)
        logger.info(
            "knowledge loaded: %d entries, ready in %.2f s",
            len(loaded.kb),
            time.perf_counter() - started,
        )
        return loaded

    @classmethod
    def _build(
        cls, data_dir: Path | str | None = None, system_dir: Path | str | None = None
    ) -> Knowledge:
        kb = load_knowledge(data_dir)
        system = load_system(system_dir)
        synonyms = Synonyms(system.synonym_groups)
        matcher = Matcher.build(entry_documents(kb), synonyms, MatchWeights())
        return cls(kb=kb, system=system, matcher=matcher, limits=Limits())

    def entry(self, entry_id: str) -> Entry | None:
        return self.kb.entries.get(entry_id)

    def rank(self, text: str, k: int = 3) -> list[Candidate]:
        return self.matcher.rank(text, k=k)

    def decide(self, text: str) -> Decision:
        return decide(self.rank(text, k=self.limits.choices), self.limits)

    async def decide_async(self, text: str) -> Decision:
        """Matching is CPU work: run it in a worker thread, off the event loop."""
        return await asyncio.to_thread(self.decide, text)
