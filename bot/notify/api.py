"""``POST /api/notices``: another system (a snow-plough dispatch) sends a notice with its token.

    Authorization: Bearer cbn_…          (citybot notify token create NAME)
    {"topic": "snow", "areas": ["toko"], "text": "…", "text_en": "…", "link": "…",
     "urgent": false, "schedule": "2026-12-07T18:00:00+09:00"}

201 ``{"id", "status", "recipients"}``; the console's approval rules apply (a token of
``dept.disaster`` may send urgent 防災 notices without a second person).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.notify.service import Author, NoticeError, NoticeService, notify_repo
from bot.notify.tokens import token_hash
from bot.storage.base_notify import NoticeDraft

logger = logging.getLogger(__name__)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"{name} must be a string"
        raise NoticeError(msg)
    return value.strip() or None


def _draft(body: dict[str, Any]) -> tuple[NoticeDraft, dt.datetime | None]:
    areas = body.get("areas") or []
    if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
        msg = "areas must be a list of district ids"
        raise NoticeError(msg)
    schedule = _text(body, "schedule")
    at = None
    if schedule:
        try:
            at = dt.datetime.fromisoformat(schedule)
        except ValueError as exc:
            msg = "schedule must be an ISO 8601 date and time with its offset"
            raise NoticeError(msg) from exc
        if at.tzinfo is None:
            msg = "schedule must include its offset (e.g. +09:00)"
            raise NoticeError(msg)
    draft = NoticeDraft(
        topic=_text(body, "topic") or "",
        areas=tuple(areas),
        text_ja=_text(body, "text") or "",
        text_en=_text(body, "text_en"),
        link=_text(body, "link"),
        urgent=body.get("urgent") is True,
    )
    return draft, at


def routes(service: NoticeService | None) -> list[BaseRoute]:
    """The endpoint, when notifications are composed (else nothing is served)."""
    if service is None:
        return []

    async def send(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return JSONResponse({"error": "a bearer token is required"}, 401)
        async with service.store.unit() as unit:
            record = await notify_repo(unit).token_by_hash(
                token_hash(token.strip()), service.clock()
            )
        if record is None:
            return JSONResponse({"error": "unknown or revoked token"}, 401)
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                msg = "the body must be a JSON object"
                raise NoticeError(msg)
            draft, at = _draft(body)
            departments = (record.department,) if record.department else ()
            author = Author(f"token:{record.name}", "api", departments=departments)
            notice = await service.create(draft, author, scheduled_at=at)
        except (NoticeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, 422)
        assert notice is not None
        logger.info("notice %s created through the API by token %s", notice.id, record.name)
        return JSONResponse(
            {"id": notice.id, "status": notice.status, "recipients": notice.recipients}, 201
        )

    return [Route("/api/notices", send, methods=["POST"])]
