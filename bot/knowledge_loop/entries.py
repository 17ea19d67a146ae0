"""Entries as data: validation like the YAML loader's, hashes, YAML rendering and diffs.

The shipped YAML is the seed; the city's changes are versions in the database. Each version
remembers the hash of the shipped entry it was based on, so a newer shipped YAML shows up as a
conflict instead of silently replacing (or being hidden by) a staff edit.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.loader import KnowledgeBase
from knowledge.schema import Entry

EDITABLE = ("answer", "questions", "keywords", "department", "related", "title", "category")


class EntryInvalid(ValueError):
    """An edited entry that the schema or the cross-checks refuse; ``problems`` say why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def entry_data(entry: Entry) -> dict[str, Any]:
    """The entry as plain data, in the shipped files' field order (``None`` left out)."""
    return entry.model_dump(mode="json", exclude_none=True)


def entry_hash(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    canonical = json.dumps(entry_data(entry), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_yaml(entry: Entry | None) -> str:
    if entry is None:
        return ""
    return yaml.safe_dump(entry_data(entry), allow_unicode=True, sort_keys=False, width=1000)


def diff(before: Entry | None, after: Entry | None, entry_id: str) -> str:
    """A unified diff of the two YAML renderings."""
    lines = difflib.unified_diff(
        entry_yaml(before).splitlines(keepends=True),
        entry_yaml(after).splitlines(keepends=True),
        fromfile=f"{entry_id} (before)",
        tofile=f"{entry_id} (after)",
    )
    return "".join(lines)


def validate(data: dict[str, Any], kb: KnowledgeBase) -> Entry:
    """The schema's validation plus the loader's cross-checks against the live knowledge.

    Raises:
        EntryInvalid: naming each field that is wrong.
    """
    try:
        entry = Entry.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise EntryInvalid(problems) from exc
    problems = []
    if entry.category not in kb.categories:
        problems.append(f"category: unknown category {entry.category!r}")
    department = kb.entries.get(entry.department)
    own = entry.department == entry.id and entry.kind == "department"
    if not own and (department is None or department.kind != "department"):
        problems.append(f"department: unknown department {entry.department!r}")
    problems.extend(
        f"related: unknown entry {other!r}" for other in entry.related if other not in kb.entries
    )
    if problems:
        raise EntryInvalid(problems)
    return entry


def load_version(data: dict[str, Any] | None) -> Entry | None:
    """A stored version's entry (validated by the schema when it was published)."""
    return Entry.model_validate(data) if data is not None else None
