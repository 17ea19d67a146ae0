"""A fake LINE Messaging API that records what it receives (serve it with tests.fakes.server).

    fake = FakeLineApi(token="test-token")
    async with serve(fake.app) as base:          # Settings(line_api_base=base, ...)
        ...
        fake.fail("push", 500, times=1)          # the next push answers 500
        assert fake.texts("reply") == [...]
        fake.put_content("5001", PNG)             # what GET /v2/bot/message/5001/content serves
        fake.hold("message_content")              # downloads wait until fake.release()
        fake.fail("multicast", 429, times=2)      # LINE's rate limit, twice
        fake.recipients()                         # user ids of accepted multicasts, in order
        FakeLineApi(rate_limit=200)               # 429 beyond 200 calls a second
        fake.outage(2.0)                          # every reply and push answers 500 for 2 s
        fake.slow(5.0)                            # every reply and push takes 5 s

Like LINE it refuses a wrong bearer token (401), a reply token used twice (400) and a push
or multicast whose ``X-Line-Retry-Key`` was accepted before (409). A multicast's key counts
as accepted when the request arrives, so a sender that dies while waiting for the answer and
repeats the batch under the same key is answered 409, as LINE does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Call:
    """One request the fake received (accepted or not) and the status it answered."""

    endpoint: str  # "reply", "push", "info", "richmenu", "content", "default", "delete",
    # "message_content" (a photo's bytes)
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw bytes of an upload
    status: int = 200

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def retry_key(self) -> str | None:
        return self.headers.get("x-line-retry-key")


@dataclass
class _Failure:
    status: int
    message: str
    times: int


@dataclass
class FakeLineApi:
    token: str = "test-token"
    base_url: str = ""  # set by whoever serves it
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _used_tokens: set[str] = field(default_factory=set)
    _retry_keys: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _held: dict[str, tuple[asyncio.Event, asyncio.Event]] = field(default_factory=dict)
    rate_limit: float | None = None  # multicast calls per second before 429; None: no limit
    keep_calls: bool = True  # False: count multicast recipients only (load tests)
    multicast_recipients: int = 0  # user ids in accepted multicasts
    throttled: int = 0  # multicasts answered 429 by the rate limit
    _recent: deque[float] = field(default_factory=deque)
    _outage_until: float = 0.0  # monotonic time until which every send is refused
    _send_delay: float = 0.0  # seconds every send takes

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route(
                    "/v2/bot/message/{message_id}/content",
                    self._message_content,
                    methods=["GET"],
                ),
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/message/multicast", self._multicast, methods=["POST"]),
                Route("/v2/bot/info", self._info, methods=["GET"]),
                Route("/v2/bot/richmenu", self._richmenu, methods=["POST"]),
                Route("/v2/bot/richmenu/{menu_id}", self._delete, methods=["DELETE"]),
                Route("/v2/bot/richmenu/{menu_id}/content", self._content, methods=["POST"]),
                Route("/v2/bot/user/all/richmenu/{menu_id}", self._default, methods=["POST"]),
            ]
        )

    # --- knobs and views ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every call, pending failure, used reply token and retry key."""
        self.calls.clear()
        self._failures.clear()
        self._used_tokens.clear()
        self._retry_keys.clear()
        self._contents.clear()
        self._outage_until = 0.0
        self._send_delay = 0.0
        self.release()

    def outage(self, seconds: float) -> None:
        """Refuse every reply and push (500) for the next ``seconds``, as in a platform outage."""
        self._outage_until = time.monotonic() + seconds

    def slow(self, seconds: float) -> None:
        """Make every reply and push take ``seconds`` before it is answered (0: at once)."""
        self._send_delay = seconds

    def put_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Serve ``data`` as the content of message ``message_id`` (unknown ids answer 404)."""
        self._contents[message_id] = (data, content_type)

    def hold(self, endpoint: str) -> None:
        """Make calls to ``endpoint`` wait (a slow platform) until :meth:`release`."""
        self._held[endpoint] = (asyncio.Event(), asyncio.Event())

    async def arrived(self, endpoint: str) -> None:
        """Wait until a call to the held ``endpoint`` is waiting."""
        await self._held[endpoint][0].wait()

    def release(self) -> None:
        """Let every held call go on."""
        for _arrived, released in self._held.values():
            released.set()
        self._held.clear()

    def fail(self, endpoint: str, status: int, message: str = "error", times: int = 1) -> None:
        """Make the next ``times`` calls to ``endpoint`` answer ``status``."""
        self._failures[endpoint] = _Failure(status, message, times)

    def accepted(self, endpoint: str | None = None) -> list[Call]:
        """Calls answered with success, optionally of one endpoint."""
        return [
            c
            for c in self.calls
            if c.status < 300 and (endpoint is None or c.endpoint == endpoint)
        ]

    def recipients(self) -> list[str]:
        """Every user id of every accepted multicast, in order (repeats show duplicates)."""
        return [str(u) for c in self.accepted("multicast") for u in c.body.get("to", [])]

    def texts(self, endpoint: str | None = None) -> list[str]:
        """The texts of all messages accepted (by reply and push, or by one of them)."""
        return [str(m.get("text", "")) for c in self.accepted(endpoint) for m in c.messages]

    # --- endpoints ------------------------------------------------------------------------

    async def _record(self, request: Request, endpoint: str) -> Call:
        raw = await request.body()
        body: Any = raw
        if request.headers.get("content-type", "").startswith("application/json") and raw:
            body = json.loads(raw)
        call = Call(endpoint, request.method, request.url.path, dict(request.headers), body)
        self.calls.append(call)
        return call

    def _refuse(self, call: Call) -> Response | None:
        if call.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(call, 401, "Authentication failed. Confirm that the access token")
        if call.endpoint in ("reply", "push") and time.monotonic() < self._outage_until:
            return self._error(call, 500, "The service is temporarily unavailable")
        failure = self._failures.get(call.endpoint)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            return self._error(call, failure.status, failure.message)
        return None

    @staticmethod
    def _error(call: Call, status: int, message: str) -> Response:
        call.status = status
        return JSONResponse({"message": message}, status_code=status)

    def _sent(self, call: Call) -> Response:
        count = max(1, len(call.messages))
        sent = [{"id": str(1000 + next(self._ids)), "quoteToken": "qt0"} for _ in range(count)]
        return JSONResponse({"sentMessages": sent})

    async def _reply(self, request: Request) -> Response:
        call = await self._record(request, "reply")
        if self._send_delay:
            await asyncio.sleep(self._send_delay)
        refused = self._refuse(call)
        if refused is not None:
            return refused
        token = str(call.body.get("replyToken", ""))
        if not token or token in self._used_tokens:
            return self._error(call, 400, "Invalid reply token")
        self._used_tokens.add(token)
        return self._sent(call)

    async def _push(self, request: Request) -> Response:
        call = await self._record(request, "push")
        if self._send_delay:
            await asyncio.sleep(self._send_delay)
        refused = self._refuse(call)
        if refused is not None:
            return refused
        key = call.retry_key
        if key is not None and key in self._retry_keys:
            return self._error(call, 409, "The retry key is already accepted")
        if key is not None:
            self._retry_keys.add(key)
        return self._sent(call)

    def _over_rate(self) -> bool:
        if not self.rate_limit:
            return False
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit:
            return True
        self._recent.append(now)
        return False

    async def _multicast(self, request: Request) -> Response:
        call = await self._record(request, "multicast")
        if not self.keep_calls:
            self.calls.pop()
        refused = self._refuse(call)
        if refused is not None:
            return refused
        if self._over_rate():
            self.throttled += 1
            return self._error(call, 429, "The API rate limit has been exceeded.")
        key = call.retry_key
        if key is not None and key in self._retry_keys:
            return self._error(call, 409, "The retry key is already accepted")
        if key is not None:
            self._retry_keys.add(key)
        held = self._held.get("multicast")
        if held is not None:
            arrived, released = held
            arrived.set()
            await released.wait()
        self.multicast_recipients += len(call.body.get("to", []))
        return JSONResponse({})

    async def _message_content(self, request: Request) -> Response:
        call = await self._record(request, "message_content")
        held = self._held.get("message_content")
        if held is not None:
            arrived, released = held
            arrived.set()
            await released.wait()
        refused = self._refuse(call)
        if refused is not None:
            return refused
        content = self._contents.get(str(request.path_params["message_id"]))
        if content is None:
            return self._error(call, 404, "Not found")
        data, content_type = content
        return Response(data, media_type=content_type)

    async def _info(self, request: Request) -> Response:
        call = await self._record(request, "info")
        return self._refuse(call) or JSONResponse(
            {
                "userId": "Ubot0000000000000000000000000000",
                "basicId": "@000citybot",
                "displayName": "旭川市役所 案内",
                "chatMode": "bot",
                "markAsReadMode": "auto",
            }
        )

    async def _richmenu(self, request: Request) -> Response:
        call = await self._record(request, "richmenu")
        return self._refuse(call) or JSONResponse({"richMenuId": f"richmenu-{next(self._ids)}"})

    async def _content(self, request: Request) -> Response:
        call = await self._record(request, "content")
        return self._refuse(call) or JSONResponse({})

    async def _default(self, request: Request) -> Response:
        call = await self._record(request, "default")
        return self._refuse(call) or JSONResponse({})

    async def _delete(self, request: Request) -> Response:
        call = await self._record(request, "delete")
        return self._refuse(call) or JSONResponse({})
