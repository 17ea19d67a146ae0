"""Telegram inbound: the webhook with its secret-token check."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from bot.delivery.inbox import Inbox

from bot.channels.jsonbody import BadJSON, read_json
from bot.channels.telegram.channel import SECRET_HEADER
from bot.channels.telegram.updates import NAME

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.settings import Secret


def routes(
    channel: TelegramChannel | None, inbox: Inbox, secret: Secret | None
) -> list[BaseRoute]:
    """``POST /webhooks/telegram``: check the secret token, store the update, answer at once."""

    async def webhook(request: Request) -> Response:
        if channel is None:
            return JSONResponse({"error": "Telegram is not configured"}, status_code=404)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not secret or not hmac.compare_digest(given, secret.get().encode("utf-8")):
            logger.warning("telegram webhook: refused a call without the right secret token")
            return JSONResponse({"error": "forbidden"}, status_code=403)
        try:
            update = read_json(await request.body())
        except BadJSON as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if type(update_id) is not int:
            return JSONResponse({"error": "not a Telegram update (no update_id)"}, status_code=400)
        key = str(update_id)
        if await inbox.accept(NAME, key, update):
            inbox.schedule(NAME, key, update)
        else:
            logger.info("telegram update %s: delivered again; already stored", key)
        return JSONResponse({"ok": True})

    return [Route("/webhooks/telegram", webhook, methods=["POST"])]
