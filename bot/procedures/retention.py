"""Retention: what ``citybot purge`` deletes, and deleting it.

Applications created before the retention period (``CITYBOT_RETENTION_DAYS``) go, with their
history, their attachment rows and the photo files; so do attachments never attached to an
application (abandoned flows) once they are a day old. A dry run only counts::

    plan = await purge_plan(store, now, dt.timedelta(days=365))
    report = await purge(store, files, plan)         # deletes; audit-logged

Rows go first, each application in its own transaction, then the files (no file I/O inside a
transaction). Nothing personal is logged: counts, ids and dates only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from bot.procedures.attachments import AttachmentStore
from bot.storage.base import Store
from bot.storage.records import ApplicationRecord, AttachmentRecord

logger = logging.getLogger(__name__)

ORPHAN_AGE = dt.timedelta(days=1)  # a flow expires long before; its photos are abandoned


@dataclass(frozen=True)
class PurgePlan:
    """What a purge at ``now`` would delete."""

    now: dt.datetime
    cutoff: dt.datetime  # applications created before this go
    orphan_cutoff: dt.datetime  # unattached attachments created before this go
    applications: list[ApplicationRecord]
    attachments: int  # attachments of those applications
    orphans: list[AttachmentRecord]

    def by_flow(self) -> list[tuple[str, int]]:
        return sorted(Counter(a.flow_id for a in self.applications).items())


@dataclass
class PurgeReport:
    """What a purge deleted (``missing_files``: rows whose file was already gone)."""

    applications: int = 0
    attachments: int = 0
    orphans: int = 0
    files: int = 0
    missing_files: int = 0
    failed_files: list[str] = field(default_factory=list)


async def purge_plan(store: Store, now: dt.datetime, older_than: dt.timedelta) -> PurgePlan:
    cutoff = now - older_than
    orphan_cutoff = now - ORPHAN_AGE
    async with store.unit() as unit:
        applications = await unit.applications.older_than(cutoff)
        attachments = 0
        for application in applications:
            attachments += len(await unit.attachments.for_application(application.id))
        orphans = await unit.attachments.orphans(orphan_cutoff)
    return PurgePlan(now, cutoff, orphan_cutoff, applications, attachments, orphans)


async def _delete_files(files: AttachmentStore, keys: list[str], report: PurgeReport) -> None:
    for key in keys:
        try:
            present = await asyncio.to_thread(files.exists, key)
            await asyncio.to_thread(files.delete, key)
        except (OSError, ValueError) as exc:
            report.failed_files.append(key)
            logger.error("purge: could not delete attachment file %s: %s", key, exc)
            continue
        if present:
            report.files += 1
        else:
            report.missing_files += 1


async def purge(store: Store, files: AttachmentStore, plan: PurgePlan) -> PurgeReport:
    """Delete what ``plan`` lists and record one audit entry."""
    report = PurgeReport()
    for application in plan.applications:
        async with store.unit() as unit:
            attached = await unit.attachments.for_application(application.id)
            await unit.applications.delete(application.id)
        report.applications += 1
        report.attachments += len(attached)
        await _delete_files(files, [a.storage_key for a in attached], report)
    for orphan in plan.orphans:
        async with store.unit() as unit:
            await unit.attachments.delete(orphan.id)
        report.orphans += 1
        await _delete_files(files, [orphan.storage_key], report)
    async with store.unit() as unit:
        await unit.audit.add(
            None,
            "purge",
            target="applications",
            detail={
                "cutoff": plan.cutoff.isoformat(),
                "applications": report.applications,
                "attachments": report.attachments,
                "orphans": report.orphans,
                "files": report.files,
                "failed_files": len(report.failed_files),
            },
        )
    logger.warning(
        "purge: deleted %d applications, %d of their attachments, %d orphan attachments "
        "(%d files; %d failed)",
        report.applications,
        report.attachments,
        report.orphans,
        report.files,
        len(report.failed_files),
    )
    return report
