"""The merged knowledge (shipped YAML + the city's edits) written back as YAML, and review counts.

    citybot kb export DIR          # same file layout as knowledge/data; commit it to ship edits
    citybot kb check --review      # with a database: confirmed review items are left out

Files without an edited entry are copied byte for byte; a file with one is rendered again (its
leading comment kept), entries in their shipped order. Entries created in the console go to
``faq/staff_entries.yaml``. Staff notes are internal and stay in the database.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from bot.knowledge_loop.entries import entry_data, load_version
from bot.knowledge_service import NEW_ENTRY_FILE
from bot.storage.base import Store
from bot.storage.db import create_store, default_database_url, migrate
from knowledge.loader import DATA_DIR, KnowledgeBase, load_knowledge
from knowledge.schema import Entry

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class Exported:
    files_written: int
    files_copied: int
    entries_changed: int
    entries_created: int


async def city_entries(store: Store) -> dict[str, Entry | None]:
    """The live version of every entry the city changed (``None``: back to shipped)."""
    async with store.unit() as unit:
        versions = await unit.knowledge_edits.latest()
    return {v.entry_id: load_version(v.data) for v in versions}


async def confirmed_items(store: Store) -> dict[str, set[str]]:
    """Review items confirmed by staff, by entry."""
    async with store.unit() as unit:
        checks = await unit.knowledge_edits.checks()
    found: dict[str, set[str]] = {}
    for check in checks:
        if check.confirmed:
            found.setdefault(check.entry_id, set()).add(check.item)
    return found


def _dump(entries: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=1000)


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def write(
    shipped: KnowledgeBase, city: dict[str, Entry | None], source: Path, target: Path
) -> Exported:
    """Write the merged knowledge under ``target`` and check that it loads."""
    changed = {i: e for i, e in city.items() if e is not None and i in shipped.entries}
    created = [e for i, e in city.items() if e is not None and i not in shipped.entries]
    by_file: dict[str, list[str]] = {}
    for entry_id, rel in shipped.files.items():
        by_file.setdefault(rel, []).append(entry_id)
    written = copied = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = str(path.relative_to(source))
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        ids = by_file.get(rel, [])
        if not any(i in changed for i in ids):
            shutil.copyfile(path, out)
            copied += 1
            continue
        text = path.read_text(encoding="utf-8")
        items = yaml.safe_load(text)["entries"]
        merged = [
            entry_data(changed[item["id"]]) if item.get("id") in changed else item
            for item in items
        ]
        out.write_text(_header(text) + _dump(merged), encoding="utf-8")
        written += 1
    if created:
        out = target / NEW_ENTRY_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        header = "# FAQ entries created by city staff in the console.\n"
        out.write_text(header + _dump([entry_data(e) for e in created]), encoding="utf-8")
        written += 1
    load_knowledge(target)  # the export must load like the shipped data (raises if not)
    return Exported(written, copied, len(changed), len(created))


async def export(store: Store, target: Path, source: Path | None = None) -> Exported:
    source = source or DATA_DIR
    shipped = load_knowledge(source)
    return write(shipped, await city_entries(store), source, target)


def configured_database() -> str | None:
    """The database URL if one is configured: set, or the default file exists."""
    url = os.environ.get("CITYBOT_DATABASE_URL")
    if url:
        return url
    default = default_database_url()
    return default if Path(default.split("///", 1)[1]).exists() else None


async def confirmed_in_database() -> dict[str, set[str]] | None:
    """Review items staff confirmed in the console; ``None`` without a database."""
    url = configured_database()
    if url is None:
        return None
    await migrate(url)
    store = create_store(url)
    try:
        return await confirmed_items(store)
    finally:
        await store.close()


async def run_export(settings: Settings, directory: Path, out: TextIO) -> int:
    """``citybot kb export DIR``."""
    await migrate(settings.database_url)
    store = create_store(settings.database_url)
    try:
        done = await export(store, directory, settings.knowledge_dir)
    finally:
        await store.close()
    out.write(
        f"wrote {directory}: {done.entries_changed} entries edited, "
        f"{done.entries_created} created; {done.files_written} files rendered, "
        f"{done.files_copied} copied as shipped\n"
    )
    return 0
