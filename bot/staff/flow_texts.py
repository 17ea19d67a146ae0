"""The guided procedures' and life events' texts in the console: browsed and searched.

    GET /staff/knowledge/flows?q=連絡先     every flow text containing the words, with its place

Read-only: flows are data under ``knowledge/flows/`` and ``knowledge/life_events/``; a clerk
finds what a step asks and where the city-specific details awaiting review are, and a
maintainer changes the YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from bot.staff.auth import StaffUser
from bot.staff.http import render, services
from intents.normalize import normalize
from knowledge.flow_schema import Flow, LifeEvent
from knowledge.schema import Text

MAX_QUERY = 100


@dataclass(frozen=True)
class FlowText:
    """One citizen-facing text of a flow, and where it is used."""

    flow_id: str
    flow_title: str
    place: str  # e.g. "steps.name.prompt"
    ja: str
    en: str


def _texts(value: object, place: str) -> Iterator[tuple[str, Text]]:
    """Every :class:`Text` inside a flow model, with its dotted place."""
    if isinstance(value, Text):
        yield place, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), f"{place}.{name}" if place else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            key = getattr(item, "id", None) or str(index)
            yield from _texts(item, f"{place}.{key}")


def flow_texts(flows: dict[str, Flow], life_events: dict[str, LifeEvent]) -> list[FlowText]:
    """The texts of every flow and life event, in file order."""
    found: list[FlowText] = []
    models: list[Flow | LifeEvent] = [*flows.values(), *life_events.values()]
    for model in models:
        title = model.title.ja
        for place, text in _texts(model, ""):
            found.append(FlowText(model.id, title, place, text.ja, text.en))
    return found


def search(texts: list[FlowText], query: str) -> list[FlowText]:
    """The texts containing every word of ``query`` (kana and width folded), or all."""
    words = [normalize(word) for word in query.split() if word.strip()]
    words = [word for word in words if word]
    if not words:
        return texts
    return [
        t
        for t in texts
        if all(w in normalize(t.ja) or w.lower() in t.en.lower() for w in words)
    ]


async def flows_page(request: Request, staff: StaffUser) -> Response:
    """``GET /staff/knowledge/flows``: the guided procedures' texts, searchable."""
    catalog = services(request).engine.flows
    query = str(request.query_params.get("q", ""))[:MAX_QUERY]
    texts = flow_texts(catalog.flows, catalog.life_events)
    shown = search(texts, query)
    models: list[Flow | LifeEvent] = [*catalog.flows.values(), *catalog.life_events.values()]
    listed = {t.flow_id for t in shown}
    reviews = {model.id: list(model.review) for model in models if model.id in listed}
    context = {
        "staff": staff,
        "query": query,
        "texts": shown,
        "total": len(texts),
        "reviews": {k: v for k, v in reviews.items() if v},
    }
    return render(request, "knowledge_flows.html", context)
