"""A fake Telegram Bot API: records every call and answers like Telegram does.

    fake = FakeTelegram()
    async with serve(fake.app) as fake.base_url:  # the bot's base_url is f"{url}/bot"
        fake.fail("sendMessage", times=1, status=500)
        ...
        [call] = await fake.wait_for("sendMessage")
        call.params["text"], call.params["reply_markup"]
        fake.put_file("AgACphoto", PNG)          # getFile + GET /file/bot<token>/<path> serve it
        fake.block(7000000001)                   # that user blocked the bot: 403
        FakeTelegram(rate_limit=30)              # 429 beyond 30 messages a second, 1/s per chat

python-telegram-bot posts form-encoded parameters; nested objects (``reply_markup``,
``allowed_updates``) arrive as JSON strings and are decoded here. JSON bodies are accepted too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Asahikawa City",
    "username": "asahikawa_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_JSON_PARAMS = ("reply_markup", "allowed_updates")
_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after 1",
    500: "Internal Server Error",
}


class _Refused(Exception):
    """Raised by an API method to answer an error (``ok: false``)."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    ok: bool = True  # False when the fake answered with an error


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    """The Bot API for one token; ``app`` is the ASGI app to serve."""

    token: str = TOKEN
    base_url: str = ""  # where it is served, once it is
    calls: list[Call] = field(default_factory=list)
    poll_wait: float = 0.2  # how long an empty getUpdates waits before answering []
    rate_limit: float | None = None  # sendMessage calls per second overall before 429
    keep_calls: bool = True  # False: count sendMessage only (load tests)
    sent_count: int = 0  # sendMessage calls answered ok
    throttled: int = 0  # sendMessage calls answered 429 by the rate limit

    def __post_init__(self) -> None:
        self._failures: dict[str, _Failure] = {}
        self._updates: list[dict[str, Any]] = []
        self._called = asyncio.Condition()
        self._queued = asyncio.Event()
        self._message_id = 0
        self._webhook_url = ""
        self._files: dict[str, bytes] = {}  # file_id -> bytes
        self._blocked: set[int] = set()
        self._recent: deque[float] = deque()
        self._per_chat: dict[int, float] = {}
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    # --- knobs ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, failures and queued updates (one server, many tests)."""
        self.calls.clear()
        self._failures.clear()
        self._updates.clear()
        self._webhook_url = ""
        self._files.clear()

    def put_file(self, file_id: str, data: bytes) -> None:
        """Keep a file for getFile and the file download (unknown ids: 400 from getFile)."""
        self._files[file_id] = data

    def fail(
        self, method: str, times: int = 1, status: int = 500, retry_after: int | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status`` (ok: false)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures[method] = _Failure(status, times, retry_after)

    def block(self, chat_id: int) -> None:
        """That user blocked the bot: sendMessage to them answers 403."""
        self._blocked.add(chat_id)

    def put_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        self._updates.append(update)
        self._queued.set()

    # --- what was received ---------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        """The calls of one method, in order (failed ones too)."""
        return [c for c in self.calls if c.method == method]

    def delivered(self) -> list[Call]:
        """The sendMessage calls that succeeded: what the citizen's phone shows."""
        return [c for c in self.of("sendMessage") if c.ok]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; return those calls."""

        async def enough() -> None:
            async with self._called:
                await self._called.wait_for(lambda: len(self.of(method)) >= count)

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            got = [(c.method, c.params.get("text", "")[:30]) for c in self.calls]
            msg = f"expected {count} {method} call(s) within {within} s; got {got}"
            raise AssertionError(msg) from None
        return self.of(method)

    # --- the API -------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        failure = self._failures.get(method)
        handler = getattr(self, f"_api_{method}", None)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            extra = {"retry_after": failure.retry_after} if failure.retry_after else None
            response = _error(failure.status, _DESCRIPTIONS.get(failure.status, "Error"), extra)
        elif handler is None:
            response = _error(404, "Not Found: method not found")
        else:
            try:
                response = JSONResponse({"ok": True, "result": await handler(params)})
            except _Refused as refused:
                response = _error(refused.status, refused.description, refused.parameters)
        if method == "sendMessage" and response.status_code == 200:
            self.sent_count += 1
        if not self.keep_calls and method == "sendMessage":
            return response
        async with self._called:
            self.calls.append(Call(method, params, ok=response.status_code == 200))
            self._called.notify_all()
        return response

    async def _file(self, request: Request) -> Response:
        """``GET /file/bot<token>/<file_path>``: the bytes of a file (the path from getFile)."""
        path = str(request.path_params["path"])
        file_id = path.removeprefix("photos/")
        ok = request.path_params["token"] == self.token and file_id in self._files
        async with self._called:
            self.calls.append(Call("file", {"path": path}, ok=ok))
            self._called.notify_all()
        if not ok:
            return Response(status_code=404)
        return Response(self._files[file_id], media_type="application/octet-stream")

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise _Refused(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self._files[file_id]),
            "file_path": f"photos/{file_id}",
        }

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    def _throttle(self, chat_id: int) -> None:
        if not self.rate_limit:
            return
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        last = self._per_chat.get(chat_id)
        if len(self._recent) >= self.rate_limit or (last is not None and now - last < 1.0):
            self.throttled += 1
            raise _Refused(429, _DESCRIPTIONS[429], {"retry_after": 1})
        self._recent.append(now)
        self._per_chat[chat_id] = now

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self._blocked:
            raise _Refused(403, _DESCRIPTIONS[403])
        self._throttle(chat_id)
        self._message_id += 1
        return {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params.get("text", ""),
        }

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook_url = str(params.get("url", ""))
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self._webhook_url = ""
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        # Telegram forgets updates below the offset: they are confirmed.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._queued.clear()
            wait = min(float(params.get("timeout") or 0), self.poll_wait)
            try:
                await asyncio.wait_for(self._queued.wait(), wait)
            except TimeoutError:
                return []
        return self._updates[:limit]


async def _params(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        decoded: dict[str, Any] = json.loads(body)
        return decoded
    params: dict[str, Any] = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _error(
    status: int, description: str, parameters: dict[str, Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)
