"""The published results' routes, and the staff dashboard with the same figures.

GET /stats                 the page (no sign-in): charts and tables, Japanese and English
GET /stats.json            open data, CC BY 4.0, small numbers withheld
GET /stats.csv             the same as CSV (UTF-8 with BOM)
GET /stats/stats.css       the page's stylesheet
GET /staff/dashboard       staff only: per department, nothing withheld, weekly trend

routes(Published(store, knowledge, flows, office_hours, clock))
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.clock import Clock
from bot.handoff.office_hours import OfficeHours
from bot.knowledge_service import Knowledge
from bot.staff.auth import StaffUser
from bot.staff.http import console, render
from bot.stats.charts import bar_chart, display
from bot.stats.figures import Figures, collect
from bot.stats.labels import load_labels
from bot.stats.opendata import LICENCE, csv_bytes, document
from bot.stats.tables import Table, public_tables, staff_tables
from bot.storage.base import Store
from knowledge.flows import FlowCatalog

HERE = Path(__file__).resolve().parent
CACHE_SECONDS = 60.0  # the public figures are recomputed at most this often
_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_PAGE_HEADERS = {
    **_SECURITY,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "public, max-age=60",
}
_DATA_HEADERS = {
    **_SECURITY,
    "Cache-Control": "public, max-age=60",
    "Access-Control-Allow-Origin": "*",
}


@dataclass
class Published:
    """What the routes need, handed over when the app is composed."""

    store: Store
    knowledge: Knowledge
    flows: FlowCatalog
    hours: OfficeHours
    clock: Clock
    cache_seconds: float = CACHE_SECONDS
    _cached: tuple[float, Figures] | None = field(default=None, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def public(self) -> tuple[Figures, list[Table]]:
        """The public figures, computed at most once per :attr:`cache_seconds`."""
        async with self._lock:  # one computation at a time, whoever asks
            cached = self._cached
            if cached is None or time.monotonic() - cached[0] >= self.cache_seconds:
                figures = await collect(self.store, self.knowledge, self.hours, self.clock())
                cached = self._cached = (time.monotonic(), figures)
        figures = cached[1]
        return figures, public_tables(figures, self.knowledge, self.flows)

    async def staff(self, department: str | None) -> tuple[Figures, list[Table]]:
        """The staff's figures, fresh and unsuppressed, optionally for one department."""
        figures = await collect(
            self.store, self.knowledge, self.hours, self.clock(), department=department
        )
        return figures, staff_tables(figures, self.knowledge, self.flows)

    def departments(self) -> list[tuple[str, str]]:
        return [(e.id, e.title.ja) for e in self.knowledge.kb if e.kind == "department"]


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE)), autoescape=True)
    env.globals["display"] = display
    return env


def _charts(tables: list[Table]) -> dict[str, Any]:
    note = load_labels().page["chart_note"].ja
    return {t.key: bar_chart(t, "ja", f"chart-{t.key}", note) for t in tables if t.rows}


def routes(published: Published) -> list[BaseRoute]:
    """The public routes and the staff dashboard."""

    async def page(request: Request) -> Response:
        figures, tables = await published.public()
        html = (
            _env()
            .get_template("stats.html")
            .render(
                figures=figures,
                tables=tables,
                charts=_charts(tables),
                text=load_labels().page,
                licence=LICENCE,
                tz=published.hours.tz,
            )
        )
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    async def as_json(request: Request) -> Response:
        figures, tables = await published.public()
        body = json.dumps(document(figures, tables), ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json", headers=_DATA_HEADERS)

    async def as_csv(request: Request) -> Response:
        figures, tables = await published.public()
        name = f"asahikawa-stats-{figures.months[-1]}.csv"
        headers = {**_DATA_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(csv_bytes(tables), media_type="text/csv; charset=utf-8", headers=headers)

    async def stylesheet(request: Request) -> Response:
        headers = {**_SECURITY, "Cache-Control": "public, max-age=86400"}
        return Response(
            (HERE / "stats.css").read_bytes(),
            media_type="text/css; charset=utf-8",
            headers=headers,
        )

    async def dashboard(request: Request, staff: StaffUser) -> Response:
        departments = published.departments()
        chosen = request.query_params.get("department") or None
        if chosen not in dict(departments):
            chosen = None
        figures, tables = await published.staff(chosen)
        context = {
            "staff": staff,
            "figures": figures,
            "tables": tables,
            "charts": _charts(tables),
            "text": load_labels().page,
            "departments": departments,
            "chosen": chosen,
            "display": display,
        }
        return render(request, "dashboard.html", context)

    return [
        Route("/stats", page, methods=["GET"]),
        Route("/stats.json", as_json, methods=["GET"]),
        Route("/stats.csv", as_csv, methods=["GET"]),
        Route("/stats/stats.css", stylesheet, methods=["GET"]),
        Route("/staff/dashboard", console(dashboard), methods=["GET"]),
    ]
