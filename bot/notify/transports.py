"""The platform calls a notice needs: LINE multicast and Telegram sendMessage, errors sorted.

    line = LineMulticast(settings); await line.start()
    await line.multicast(["U1", "U2"], "明日は燃やせるごみの日です", retry_key)

Every failure becomes a :class:`SendFailure` saying whether to wait and retry (429, 5xx,
network), give up on this recipient (400), or mark them blocked (Telegram 403).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    MulticastRequest,
    TextMessage,
)
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.line.channel import configuration, split_text
from bot.errors import ChannelError
from bot.settings import Settings

logger = logging.getLogger(__name__)

MAX_MULTICAST = 500  # user ids per multicast call (LINE's limit)
REQUEST_TIMEOUT = 15.0


class SendFailure(ChannelError):
    """A send did not go through; the flags say what to do about it."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        blocked: bool = False,
        permanent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.blocked = blocked
        self.permanent = permanent or blocked


def _retry_after(headers: object) -> float | None:
    value = None
    if headers is not None and hasattr(headers, "get"):
        value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
                raise SendFailure(reason, retry_after=_retry_after(exc.headers)) from exc
            raise SendFailure(reason, permanent=400 <= (exc.status or 0) < 500) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendFailure(f"LINE {type(exc).__name__}") from exc


def notice_bot(settings: Settings, pool: int = 8) -> Bot:
    """A Bot client of its own for notices, with ``pool`` connections.

    PTB's default client keeps one connection; sharing the chat's would queue every reply
    behind a large notice.
    """
    token = settings.telegram_token.get() if settings.telegram_token else ""
    base = settings.telegram_api_base
    head, sep, tail = base.rpartition("/bot")
    files = f"{head}/file/bot{tail}" if sep else f"{base}/file"
    request = HTTPXRequest(connection_pool_size=pool, pool_timeout=30.0)
    return Bot(token, base_url=base, base_file_url=files, request=request)


@dataclass
class TelegramSend:
    """``sendMessage`` to one chat, with a bot client returned (started) by ``bot``."""

    bot: Callable[[], Awaitable[Bot]]

    async def send(self, chat_id: str, text: str) -> None:
        bot = await self.bot()
        try:
            await bot.send_message(chat_id=int(chat_id), text=text[:4096])
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            raise SendFailure("Telegram 429", retry_after=seconds) from exc
        except Forbidden as exc:
            raise SendFailure("Telegram 403: blocked by the user", blocked=True) from exc
        except BadRequest as exc:
            raise SendFailure(f"Telegram 400: {exc.message}", permanent=True) from exc
        except NetworkError as exc:
            raise SendFailure(f"Telegram {type(exc).__name__}") from exc
        except TelegramError as exc:
            raise SendFailure(f"Telegram {type(exc).__name__}", permanent=True) from exc


@dataclass
class Transports:
    """The platforms notices can reach; ``None`` where a channel is not configured."""

    line: LineMulticast | None = None
    telegram: TelegramSend | None = None
