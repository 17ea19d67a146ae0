"""The loaded knowledge: entries, system texts and the matcher built over them, read-only."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from intents.analyzer import Synonyms
from intents.decide import Decision, Limits, decide
from intents.matcher import Candidate, Matcher
from knowledge.documents import entry_documents
from knowledge.loader import KnowledgeBase, load_knowledge
from knowledge.schema import Entry
from knowledge.system import SystemTexts, load_system

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Knowledge:
    """Everything the engine reads: built once at start-up, shared by all conversations."""

    kb: KnowledgeBase
    system: SystemTexts
    matcher: Matcher
    limits: Limits

    @classmethod
    def load(
        cls, data_dir: Path | str | None = None, system_dir: Path | str | None = None
    ) -> Knowledge:
        started = time.perf_counter()
        kb = load_knowledge(data_dir)
        system = load_system(system_dir)
        matcher = Matcher.build(entry_documents(kb), Synonyms(system.synonym_groups))
        logger.info(
            "knowledge loaded: %d entries, index built in %.2f s",
            len(kb),
            time.perf_counter() - started,
        )
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
