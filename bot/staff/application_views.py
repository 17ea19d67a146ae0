"""What the console shows of applications, shaped as plain dicts for the templates and the CSV.

Answers are shown under their step's Japanese ``summary_label`` and rendered as text (the
templates autoescape); a location becomes an OpenStreetMap link, photos are listed apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.procedures.applications import STATUSES, TRANSITIONS, notice_key
from bot.staff.auth import StaffUser
from bot.staff.views import CHANNEL_LABELS, TOKYO, local_time
from bot.storage.records import (
    ApplicationEventRecord,
    ApplicationRecord,
    AttachmentRecord,
)

if TYPE_CHECKING:
    from knowledge.flow_schema import Flow, Step
    from knowledge.flows import FlowCatalog

TABS: dict[str, tuple[str, str]] = {  # tab (= status) -> (Japanese, English)
    "new": ("新規", "New"),
    "in_progress": ("対応中", "In progress"),
    "done": ("完了", "Done"),
    "rejected": ("却下", "Rejected"),
}
STATUS_LABELS = {status: f"{ja} {en}" for status, (ja, en) in TABS.items()}
ACTION_LABELS: dict[str, tuple[str, str]] = {  # notice key -> what the button says
    "application_status_in_progress": ("対応中にする", "Start"),
    "application_status_reopened": ("再開する", "Reopen"),
    "application_status_done": ("完了にする", "Done"),
    "application_status_rejected": ("却下する", "Reject"),
}
MAP_URL = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ApplicationQuery:
    """The list's tab and filters (flow, a period of Asia/Tokyo days), as given in the URL."""

    tab: str = "new"
    flow: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Any], default_tab: str = "new") -> ApplicationQuery:
        tab = str(params.get("tab") or default_tab)
        start, end = _date(params.get("from")), _date(params.get("to"))
        if start and end and end < start:
            start, end = end, start
        return cls(
            tab=tab if tab in TABS else default_tab,
            flow=str(params.get("flow") or "")[:64],
            date_from=start,
            date_to=end,
        )

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """``created_from <= created_at < created_to`` in UTC for the chosen days."""
        start, end = self.date_from, self.date_to
        lower = _midnight(start) if start else None
        upper = _midnight(end + dt.timedelta(days=1)) if end else None
        return lower, upper

    def search(self, **changes: str) -> str:
        params = {
            "tab": self.tab,
            "flow": self.flow,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            **changes,
        }
        return "&".join(f"{k}={v}" for k, v in params.items() if v)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TOKYO).astimezone(dt.UTC)


def today(now: dt.datetime) -> dt.date:
    return now.astimezone(TOKYO).date()


def flow_title(flows: FlowCatalog, flow_id: str) -> str:
    flow = flows.flows.get(flow_id)
    return flow.title.ja if flow is not None else flow_id


def row(
    record: ApplicationRecord, flows: FlowCatalog, departments: Mapping[str, str]
) -> dict[str, Any]:
    status = str(record.status)
    return {
        "id": record.id,
        "url": f"/staff/applications/{record.id}",
        "reference": record.reference,
        "created": local_time(record.created_at),
        "flow": flow_title(flows, record.flow_id),
        "summary": record.summary,
        "department": record.department,
        "department_name": departments.get(record.department, record.department),
        "channel": record.channel,
        "channel_label": CHANNEL_LABELS.get(record.channel, record.channel),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
    }


def _coordinates(value: object) -> tuple[float, float] | None:
    if not isinstance(value, Mapping):
        return None
    try:
        lat, lon = float(value["latitude"]), float(value["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def map_url(lat: float, lon: float) -> str:
    return MAP_URL.format(lat=f"{lat:.6f}", lon=f"{lon:.6f}")


def _option_label(step: Step, value: object) -> str:
    for option in step.options:
        if option.value == value:
            return option.label.ja
    return str(value)


def display(step: Step | None, value: object) -> str:
    """One answer as the clerk reads it (always plain text)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if step is not None and step.type == "photo":
        count = len(value) if isinstance(value, list) else 1
        return f"写真 {count}枚（下に表示）"
    if isinstance(value, Mapping):
        coordinates = _coordinates(value)
        address = str(value.get("address") or "")
        if coordinates is not None:
            where = f"緯度 {coordinates[0]:.6f}、経度 {coordinates[1]:.6f}"
            return f"{address}（{where}）" if address else where
        return address or ", ".join(f"{k}: {v}" for k, v in value.items())
    if step is not None and step.options:
        values = value if isinstance(value, list) else [value]
        return "、".join(_option_label(step, v) for v in values)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def answers(flow: Flow | None, stored: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every answer in the flow's order (then any the flow no longer knows), with map links."""
    steps = {s.id: s for s in flow.steps} if flow is not None else {}
    order = [s for s in steps if s in stored] + [k for k in stored if k not in steps]
    shown = []
    for key in order:
        step = steps.get(key)
        value = stored[key]
        coordinates = _coordinates(value)
        shown.append(
            {
                "id": key,
                "label": step.summary_label.ja if step is not None else key,
                "value": display(step, value),
                "map": map_url(*coordinates) if coordinates else None,
            }
        )
    return shown


def photos(attachments: Sequence[AttachmentRecord]) -> list[dict[str, Any]]:
    return [
        {
            "url": f"/staff/attachments/{a.token}",
            "type": a.content_type,
            "size": f"{max(1, round(a.size / 1024))} KB",
            "time": local_time(a.created_at),
        }
        for a in attachments
    ]


def history(
    events: Sequence[ApplicationEventRecord], people: Mapping[int, str]
) -> list[dict[str, Any]]:
    kinds = {"status": "状態変更 Status", "note": "内部メモ Note", "message": "送信 Message"}
    return [
        {
            "kind": e.kind,
            "kind_label": kinds.get(e.kind, e.kind),
            "status_label": STATUS_LABELS.get(str(e.status), "") if e.status else "",
            "author": people.get(e.staff_id, "") if e.staff_id else "システム System",
            "text": e.text,
            "time": local_time(e.created_at),
        }
        for e in events
    ]


def status_forms(record: ApplicationRecord, templates: Mapping[str, str]) -> list[dict[str, str]]:
    """One form per allowed move, its notice prefilled (``templates``: status -> text)."""
    current = str(record.status)
    forms = []
    for target in TRANSITIONS.get(current, ()):
        ja, en = ACTION_LABELS[notice_key(current, target)]
        forms.append({"status": target, "ja": ja, "en": en, "message": templates[target]})
    return forms


def flow_choices(flows: FlowCatalog, staff: StaffUser) -> list[tuple[str, str]]:
    """The flows that store applications, limited to the clerk's departments."""
    return sorted(
        (f.id, f.title.ja)
        for f in flows.flows.values()
        if f.kind in ("application", "report") and staff.may_see(f.department)
    )


def counts(raw: Mapping[Any, int]) -> dict[str, int]:
    return {status: int(raw.get(status, 0)) for status in STATUSES}
