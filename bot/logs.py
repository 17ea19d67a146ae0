"""Log set-up (plain text or one JSON object per line) and the citizen reference used in logs.

    configure("json")                            # CITYBOT_LOG_FORMAT=json
    logger.info("citizen %s: ...", citizen_ref("line", user_id))

Log lines never carry a citizen's platform id or what they wrote: a citizen appears as
:func:`citizen_ref`, a short SHA-256 prefix that matches the same citizen across lines and
processes but does not lead back to the account; message text stays in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

__all__ = ["FORMATS", "JsonFormatter", "citizen_ref", "configure"]

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log request URLs at INFO: the Telegram Bot API puts the token in every URL.
QUIET = ("httpx", "httpcore", "telegram", "aiohttp.access")


def citizen_ref(channel: str, user_id: str) -> str:
    """``line:3f2a9c1b7d0e``: the citizen's id hashed, for log lines."""
    digest = hashlib.sha256(f"{channel}:{user_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{channel}:{digest[:12]}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message`` (+ ``error``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Set the root logger's handler and format, replacing any earlier set-up."""
    if log_format not in FORMATS:
        msg = f"unknown log format {log_format!r} (expected one of {', '.join(FORMATS)})"
        raise ValueError(msg)
    handler = logging.StreamHandler()
    text = logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(JsonFormatter() if log_format == "json" else text)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
