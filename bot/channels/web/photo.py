"""The web chat's photo upload: one image, kept as an attachment, answered by the engine.

    POST /api/chat/photo     multipart/form-data, one file in the field "photo" (at most 10 MB)
                             -> 200 {"replies", "language", "outcome"}
                             -> 400 / 413 {"error", "reason", "replies", ...} when refused

Like ``POST /api/chat`` it needs no CSRF token: the visitor is known by the signed, SameSite
cookie, and the upload only adds a photo to that visitor's own conversation. The file is
checked by its bytes (:class:`bot.procedures.attachments.AttachmentStore`), never by its name or
declared type. A refused photo still reaches the engine as ``{"rejected": reason}``, so the
reply is the same re-ask a LINE or Telegram citizen gets; the status code tells the page what went
wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.web.api import (
    BadInput,
    WebChat,
    bind,
    error_response,
    json_response,
    outcome_json,
    visitor_of,
)
from bot.procedures.photos import keep_photo, rejected

logger = logging.getLogger(__name__)

FIELD = "photo"
_STATUS = {None: 200, "field_photo_type": 400, "field_photo_size": 413}
_REFUSALS = {
    "field_photo_type": "the file is not an image (JPEG, PNG, GIF, WebP or HEIC)",
    "field_photo_size": "the image is too large",
}


async def _read_photo(request: Request, limit: int) -> tuple[bytes | None, str | None]:
    """The uploaded bytes (``None`` when over ``limit``) and their declared type."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "multipart/form-data":
        msg = f'send the photo as multipart/form-data with one file in the field "{FIELD}"'
        raise BadInput(msg)
    async with request.form(max_files=1, max_fields=0) as form:
        uploads = form.getlist(FIELD)
        if len(uploads) != 1 or not isinstance(uploads[0], UploadFile):
            msg = f'expected one file in the field "{FIELD}"'
            raise BadInput(msg)
        upload = uploads[0]
        if upload.size is not None and upload.size > limit:
            return None, upload.content_type
        data = await upload.read(limit + 1)
    return (None if len(data) > limit else data), upload.content_type


async def photo(web: WebChat, request: Request) -> Response:
    """Keep the visitor's photo and answer it as the engine does for any channel's photo."""
    files = web.attachments
    try:
        data, declared = await _read_photo(request, files.max_bytes)
    except BadInput as error:
        return error_response(error)
    visitor = visitor_of(web, request)
    if data is None:
        payload = rejected("field_photo_size")
    else:
        payload = await keep_photo(web.store, files, "web", visitor.id, data, declared)
    [(incoming, _recipient)] = web.channel.parse_event({"visitor": visitor.id, "photo": payload})
    outcome = await web.engine.handle(incoming)
    reason = payload.get("rejected")
    body: dict[str, Any] = outcome_json(outcome)
    if reason is not None:
        body.update(error=_REFUSALS[reason], reason=reason, limit=files.max_bytes)
    response = json_response(web, body, visitor)
    response.status_code = _STATUS[reason]
    return response


def routes(web: WebChat) -> list[BaseRoute]:
    """``POST /api/chat/photo``."""
    return [Route("/api/chat/photo", bind(web, photo), methods=["POST"])]
