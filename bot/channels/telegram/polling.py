"""Telegram without a public URL: long polling, and registering the webhook.

citybot telegram poll                        # long polling, no public URL needed
citybot telegram set-webhook https://city.example/webhooks/telegram
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import (
    Bot,
)
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.errors import SettingsError

if TYPE_CHECKING:
    from bot.delivery.inbox import Inbox
    from bot.settings import Settings

from bot.channels.jsonbody import BadJSON, clean
from bot.channels.telegram.channel import (
    _FIRST_PAUSE,
    ALLOWED_UPDATES,
    POLL_TIMEOUT,
    channel_error,
    make_bot,
)
from bot.channels.telegram.updates import NAME

logger = logging.getLogger(__name__)


if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel


async def poll(channel: TelegramChannel | None, inbox: Inbox) -> int:
    """Long-poll Telegram until Ctrl-C (or SIGTERM), processing updates through ``inbox``."""
    if channel is None:
        return _fail("CITYBOT_TELEGRAM_TOKEN is not set: there is no bot to poll for")
    bot = await channel.ready()
    try:
        await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
    except TelegramError as exc:
        return _fail(f"deleteWebhook failed: {channel_error('deleteWebhook', exc)}")
    print("citybot: polling Telegram; press Ctrl-C to stop", file=sys.stderr)
    polling = asyncio.create_task(_poll_forever(bot, inbox), name="telegram-poll")
    restore = _cancel_on_signals(polling)
    try:
        await polling
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # cancelled from outside: let it propagate
        print("citybot: polling stopped", file=sys.stderr)
    finally:
        restore()
        polling.cancel()
    return 0


async def _poll_forever(bot: Bot, inbox: Inbox) -> None:
    """Fetch updates and process them one after the other, in order."""
    offset: int | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
            )
        except InvalidToken:
            msg = "CITYBOT_TELEGRAM_TOKEN was refused by Telegram (getUpdates)"
            raise SettingsError(msg) from None
        except RetryAfter as exc:
            await asyncio.sleep(_retry_seconds(exc))
            continue
        except TelegramError as exc:
            logger.warning("telegram polling: %s; trying again in %.0f s", exc.message, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)
            continue
        pause = _FIRST_PAUSE
        for update in updates:
            key = str(update.update_id)
            offset = update.update_id + 1
            try:
                payload = clean(update.to_dict())  # as the webhook's body: safe to store
            except BadJSON as exc:
                logger.warning("telegram update %s refused: %s", key, exc)
                continue
            if await inbox.accept(NAME, key, payload):
                inbox.schedule(NAME, key, payload)


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the type becomes timedelta (PTB_TIMEDELTA)
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def _cancel_on_signals(task: asyncio.Task[None]) -> Callable[[], None]:
    """Ctrl-C and SIGTERM end ``task`` quietly; returns what undoes this."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    added: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, task.cancel)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform
            continue
        added.append(sig)

    def restore() -> None:
        for sig in added:
            loop.remove_signal_handler(sig)

    return restore


async def set_webhook(settings: Settings, url: str) -> int:
    """Register ``url`` with Telegram, with our secret token; returns the exit status."""
    if not settings.telegram_token:
        return _fail("CITYBOT_TELEGRAM_TOKEN is not set")
    if not settings.telegram_webhook_secret:
        return _fail(
            "CITYBOT_TELEGRAM_WEBHOOK_SECRET is not set: the webhook would refuse every call"
        )
    if not url.startswith("https://"):
        return _fail(f"{url!r}: Telegram only delivers updates to https:// URLs")
    bot = make_bot(settings)
    try:
        async with bot:
            await bot.set_webhook(
                url,
                secret_token=settings.telegram_webhook_secret.get(),
                allowed_updates=ALLOWED_UPDATES,
            )
            info = await bot.get_webhook_info()
    except InvalidToken:
        return _fail("CITYBOT_TELEGRAM_TOKEN was refused by Telegram")
    except TelegramError as exc:
        return _fail(f"setWebhook failed: {channel_error('setWebhook', exc)}")
    print(f"citybot: Telegram webhook set to {info.url} ({info.pending_update_count} waiting)")
    return 0


def _fail(message: str) -> int:
    print(f"citybot: {message}", file=sys.stderr)
    return 2
