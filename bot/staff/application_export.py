"""``GET /staff/applications.csv?from=YYYY-MM-DD&to=YYYY-MM-DD``: applications of a period.

UTF-8 with a byte-order mark, so that Excel opens the Japanese correctly. One row per
application created in the period (Asia/Tokyo days; only ``from`` or only ``to`` means that one
day, neither means today), oldest first, limited to the clerk's departments like the list.
Exports carry personal data, so each one is written to the audit log (the period and the number
of rows, never the data).
"""

from __future__ import annotations

import csv
import io
import json
import logging

from starlette.requests import Request
from starlette.responses import Response

from bot.staff import application_views as views
from bot.staff.applications import service
from bot.staff.auth import StaffUser, client_ip
from bot.staff.http import SECURITY_HEADERS, now, services
from bot.staff.views import department_names, local_time
from bot.storage.records import ApplicationRecord
from knowledge.flows import FlowCatalog

logger = logging.getLogger(__name__)

COLUMNS = (
    "reference",
    "created",
    "flow",
    "status",
    "department",
    "channel",
    "summary",
    "answers",
)
MAX_ROWS = 50_000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def cell(value: str) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA) else value


def rows(
    records: list[ApplicationRecord], flows: FlowCatalog, departments: dict[str, str]
) -> list[list[str]]:
    return [
        [
            cell(r.reference),
            local_time(r.created_at),
            cell(views.flow_title(flows, r.flow_id)),
            views.STATUS_LABELS.get(str(r.status), str(r.status)),
            cell(departments.get(r.department, r.department)),
            r.channel,
            cell(r.summary),
            cell(json.dumps(r.answers, ensure_ascii=False, sort_keys=True)),
        ]
        for r in records
    ]


def encode(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def export(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    query = views.ApplicationQuery.parse(request.query_params)
    first = query.date_from or query.date_to or views.today(now(request))
    last = query.date_to or first
    period = views.ApplicationQuery(date_from=first, date_to=last)
    lower, upper = period.bounds()
    async with rt.store.unit() as unit:
        records = await unit.applications.list(
            departments=staff.visible_departments,
            created_from=lower,
            created_to=upper,
            limit=MAX_ROWS,
        )
        if query.flow:
            records = [r for r in records if r.flow_id == query.flow]
        records.reverse()  # oldest first reads like a ledger
        await unit.audit.add(
            staff.id,
            "application.export",
            target="applications",
            detail={
                "from": first.isoformat(),
                "to": last.isoformat(),
                "flow": query.flow or None,
                "rows": len(records),
            },
            ip=client_ip(request),
        )
    logger.info("staff %s exported %d applications", staff.id, len(records))
    body = encode(rows(records, service(request).flows, department_names(rt.knowledge)))
    name = f"applications-{first.isoformat()}" + (f"_{last.isoformat()}" if last != first else "")
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{name}.csv"',
        "Cache-Control": "private, no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
