"""Turn knowledge entries, or a plain JSONL FAQ file, into the matcher's documents."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

from bot.errors import KnowledgeError
from intents.matcher import Document
from knowledge.loader import Problem
from knowledge.schema import Entry

# Department entries answer "which office handles X?"; they should not outrank the entry that
# answers X itself.
DEPARTMENT_PRIOR = 0.85


def entry_document(entry: Entry) -> Document:
    """An entry's questions, title and keywords are what people ask; its answer is the body."""
    body = [entry.answer.ja, entry.answer.en]
    if entry.guide is not None:
        body.append(entry.guide.who.ja)
    return Document(
        id=entry.id,
        questions=(entry.title.ja, entry.title.en, *entry.questions),
        keywords=tuple(entry.keywords),
        body="\n".join(body),
        prior=DEPARTMENT_PRIOR if entry.kind == "department" else 1.0,
        related=tuple(entry.related),
    )


def entry_documents(entries: Iterable[Entry]) -> list[Document]:
    """Documents of all entries; a department is related to the entries of the categories it
    handles (so 住民票 and the 市民課 entry are one topic, not two answers competing)."""
    items = list(entries)
    by_category: dict[str, list[str]] = {}
    for e in items:
        if e.kind != "department":
            by_category.setdefault(e.category, []).append(e.id)
    documents = []
    for e in items:
        doc = entry_document(e)
        if e.kind == "department":
            handled = tuple(i for c in e.handles for i in by_category.get(c, ()))
            doc = dataclasses.replace(doc, related=(*doc.related, *handled))
        documents.append(doc)
    return documents


def jsonl_documents(path: Path | str) -> list[Document]:
    """Read a FAQ collection: one ``{"id", "question", "answer"}`` object per line."""
    source = Path(path)
    documents: list[Document] = []
    problems: list[Problem] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source.name}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, None, None, f"not JSON: {exc}"))
            continue
        if not isinstance(item, dict) or not item.get("id") or not item.get("question"):
            problems.append(Problem(where, None, "id/question", "needs non-empty id and question"))
            continue
        documents.append(
            Document(
                id=str(item["id"]),
                questions=(str(item["question"]),),
                body=str(item.get("answer") or ""),
            )
        )
    if problems:
        raise KnowledgeError(problems)
    return documents
