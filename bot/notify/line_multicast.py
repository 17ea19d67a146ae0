"""LINE's multicast endpoint for notices (line-bot-sdk: loaded only when LINE is on).

    line = LineMulticast(settings); await line.start()
    await line.multicast(["U1", "U2"], "明日は燃やせるごみの日です", retry_key)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    MulticastRequest,
    TextMessage,
)

from bot.channels.line.channel import configuration, split_text
from bot.errors import ChannelError
from bot.notify.transports import (
    MAX_MULTICAST,
    REQUEST_TIMEOUT,
    SendFailure,
    retry_after_seconds,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)


class LineMulticast:
    """LINE's multicast endpoint, with its own client (opened inside the running loop)."""

    def __init__(self, settings: Settings) -> None:
        self._configuration = configuration(settings)
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)
        self._api = AsyncMessagingApi(self._client)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = self._api = None

    async def multicast(self, user_ids: Sequence[str], text: str, retry_key: str) -> None:
        """Send ``text`` to up to 500 users; a repeated ``retry_key`` is delivered once."""
        if self._api is None:
            msg = "LINE multicast is not started"
            raise ChannelError(msg)
        if not 0 < len(user_ids) <= MAX_MULTICAST:
            msg = f"a multicast takes 1 to {MAX_MULTICAST} users, not {len(user_ids)}"
            raise ValueError(msg)
        messages = [TextMessage(text=piece) for piece in split_text(text)][:5]
        request = MulticastRequest(to=list(user_ids), messages=messages)
        try:
            await self._api.multicast(
                request, x_line_retry_key=retry_key, _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as exc:
            if exc.status == 409:  # accepted before under this key: already delivered
                logger.info("LINE multicast %s already accepted (retry key repeated)", retry_key)
                return
            reason = f"LINE HTTP {exc.status}"
            if exc.status == 429:
                raise SendFailure(reason, retry_after=retry_after_seconds(exc.headers)) from exc
            raise SendFailure(reason, permanent=400 <= (exc.status or 0) < 500) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendFailure(f"LINE {type(exc).__name__}") from exc
