"""Load and validate the knowledge base from YAML files.

Usage::

    kb = load_knowledge()            # the shipped knowledge/data
    entry = kb.entries["faq.garbage.bulky"]

A broken file raises :class:`KnowledgeError` whose problems name the file, the entry and the field.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import KnowledgeError
from knowledge.schema import Category, CategoryFile, Entry, EntryFile

DATA_DIR = Path(__file__).resolve().parent / "data"
CATEGORIES_FILE = "categories.yaml"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge base, located precisely."""

    file: str
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f" entry {self.entry}"
        if self.field:
            where += f" field {self.field}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated, read-only knowledge base."""

    entries: dict[str, Entry]
    categories: dict[str, Category]
    files: dict[str, str] = field(default_factory=dict)  # entry id -> file it came from

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def department_for(self, category: str) -> Entry | None:
        """The department a category is routed to (the first that handles it)."""
        for entry in self.entries.values():
            if entry.kind == "department" and category in entry.handles:
                return entry
        return None

    def needing_review(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.review]

    @functools.cached_property
    def linking(self) -> dict[str, tuple[str, ...]]:
        """Entry id -> the ids of the entries that list it as related, in knowledge order
        (asked after every answer: built once per knowledge base, which is never changed)."""
        found: dict[str, list[str]] = {}
        for entry in self.entries.values():
            for other in dict.fromkeys(entry.related):
                found.setdefault(other, []).append(entry.id)
        return {entry_id: tuple(ids) for entry_id, ids in found.items()}


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, None, None, f"not valid YAML: {exc}"))
        return None


def _locate(data: Any, loc: tuple[int | str, ...], list_key: str) -> tuple[str | None, str]:
    """Turn a pydantic error location into (entry id, dotted field path)."""
    entry_id: str | None = None
    rest: tuple[int | str, ...] = loc
    if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
        index = loc[1]
        items = data.get(list_key) if isinstance(data, dict) else None
        item = items[index] if isinstance(items, list) and index < len(items) else None
        raw_id = item.get("id") if isinstance(item, dict) else None
        entry_id = str(raw_id) if raw_id else f"#{index + 1}"
        rest = loc[2:]
    return entry_id, ".".join(str(part) for part in rest) or "(entry)"


def _validate_file(
    data: Any, rel: str, model: type[EntryFile] | type[CategoryFile], problems: list[Problem]
) -> EntryFile | CategoryFile | None:
    list_key = "categories" if model is CategoryFile else "entries"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            entry_id, field_path = _locate(data, tuple(err["loc"]), list_key)
            problems.append(Problem(rel, entry_id, field_path, err["msg"]))
        return None


def _valid_entries(data: Any, rel: str, problems: list[Problem], broken: set[str]) -> list[Entry]:
    """Validate entry by entry, so that one bad entry does not hide the rest of its file."""
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or set(data) != {"entries"}:
        _validate_file(data, rel, EntryFile, problems)  # reports the shape problem
        return []
    valid: list[Entry] = []
    for index, item in enumerate(items):
        try:
            valid.append(Entry.model_validate(item))
        except ValidationError as exc:
            raw_id = item.get("id") if isinstance(item, dict) else None
            name = str(raw_id) if raw_id else f"#{index + 1}"
            if raw_id:
                broken.add(str(raw_id))
            for err in exc.errors():
                path = ".".join(str(part) for part in err["loc"]) or "(entry)"
                problems.append(Problem(rel, name, path, err["msg"]))
    return valid


def _refers_to(problem: Problem, ids: set[str]) -> bool:
    return any(f"'{i}'" in problem.message for i in ids)


def _yaml_files(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_knowledge(root: Path | str | None = None) -> KnowledgeBase:
    """Load every YAML file under ``root`` (default: the shipped data) and cross-check them.

    Raises:
        KnowledgeError: listing every problem found, each with file, entry and field.
    """
    base = Path(root) if root is not None else DATA_DIR
    problems: list[Problem] = []
    categories: dict[str, Category] = {}
    entries: dict[str, Entry] = {}
    files: dict[str, str] = {}
    broken: set[str] = set()  # ids of entries that failed validation
    if not base.is_dir():
        raise KnowledgeError([Problem(str(base), None, None, "knowledge directory not found")])
    for path in _yaml_files(base):
        rel = str(path.relative_to(base))
        data = _read_yaml(path, rel, problems)
        if data is None:
            if not problems or problems[-1].file != rel:
                problems.append(Problem(rel, None, None, "file is empty"))
            continue
        if path.name == CATEGORIES_FILE:
            parsed_c = _validate_file(data, rel, CategoryFile, problems)
            if isinstance(parsed_c, CategoryFile):
                for cat in parsed_c.categories:
                    if cat.id in categories:
                        problems.append(Problem(rel, cat.id, "id", "duplicate category id"))
                    categories[cat.id] = cat
            continue
        for entry in _valid_entries(data, rel, problems, broken):
            if entry.id in entries:
                problems.append(
                    Problem(rel, entry.id, "id", f"duplicate id (also in {files[entry.id]})")
                )
                continue
            entries[entry.id] = entry
            files[entry.id] = rel
    # References to an entry that exists but is invalid were reported once, at that entry.
    problems.extend(
        p for p in _cross_check(entries, categories, files) if not _refers_to(p, broken)
    )
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(entries=entries, categories=categories, files=files)


def _cross_check(
    entries: dict[str, Entry], categories: dict[str, Category], files: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    if not categories:
        problems.append(Problem(CATEGORIES_FILE, None, None, "no categories defined"))
        return problems
    for entry in entries.values():
        rel = files[entry.id]
        if entry.category not in categories:
            problems.append(
                Problem(rel, entry.id, "category", f"unknown category {entry.category!r}")
            )
        dept = entries.get(entry.department)
        if dept is None or dept.kind != "department":
            problems.append(
                Problem(rel, entry.id, "department", f"unknown department {entry.department!r}")
            )
        for other in entry.related:
            if other not in entries:
                problems.append(Problem(rel, entry.id, "related", f"unknown entry {other!r}"))
        for handled in entry.handles:
            if handled not in categories:
                problems.append(Problem(rel, entry.id, "handles", f"unknown category {handled!r}"))
    return problems
