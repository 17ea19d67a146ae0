"""The platform calls a notice needs: LINE multicast and Telegram sendMessage, errors sorted.

    line = LineMulticast(settings); await line.start()
    await line.multicast(["U1", "U2"], "明日は燃やせるごみの日です", retry_key)

Every failure becomes a :class:`SendFailure` saying whether to wait and retry (429, 5xx,
network), give up on this recipient (400), or mark them blocked (Telegram 403).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.errors import ChannelError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.notify.line_multicast import LineMulticast

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


def retry_after_seconds(headers: object) -> float | None:
    value = None
    if headers is not None and hasattr(headers, "get"):
        value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
