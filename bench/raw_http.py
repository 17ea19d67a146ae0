"""A lean HTTP/1.1 client for load generation: pooled keep-alive connections, no models.

httpx spends about a millisecond of client CPU per request (headers, URL and response models,
its connection pool); at a few hundred requests per second the load client then falls behind its
own schedule and measures itself. This client writes the request bytes and reads back only the
status line, the headers it needs and the body, on connections kept open between requests. It
speaks to our own test servers (uvicorn) and nothing else: no TLS, no redirects, no proxies.

    client = RawClient(max_connections=1000, timeout=15.0)
    status = await client.post("http://127.0.0.1:8000/webhooks/line", body, headers)
    await client.aclose()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["RawClient", "RawHttpError"]

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class RawHttpError(OSError):
    """The server closed the connection or answered something that is not HTTP/1.1."""


class RawClient:
    """POST requests over pooled keep-alive HTTP/1.1 connections, at most ``max_connections``."""

    def __init__(self, *, max_connections: int = 1000, timeout: float = 15.0) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._timeout = timeout
        self._idle: dict[tuple[str, int], list[_Connection]] = defaultdict(list)
        self._targets: dict[str, tuple[str, int, str]] = {}

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """Send ``body`` to ``url``; return the response's status code (its body is dropped)."""
        host, port, path = self._target(url)
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with self._slots, asyncio.timeout(self._timeout):
            idle = self._idle[(host, port)]
            while idle:  # a kept connection the server may have closed meanwhile (keep-alive
                # timeout): when it answers nothing at all, the request was not read; try anew
                with contextlib.suppress(_Stale):
                    return await self._exchange(idle.pop(), request, idle, reused=True)
            connection = await asyncio.open_connection(host, port)
            return await self._exchange(connection, request, idle, reused=False)

    async def _exchange(
        self, connection: _Connection, request: bytes, idle: list[_Connection], *, reused: bool
    ) -> int:
        reader, writer = connection
        try:
            writer.write(request)
            try:
                first = await reader.readline()
            except (ConnectionResetError, BrokenPipeError):
                if reused:
                    raise _Stale from None
                raise
            if reused and not first:
                raise _Stale
            status, keep = await _read_response(first, reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            idle.append(connection)
        else:
            writer.close()
        return status

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._idle.clear()

    def _target(self, url: str) -> tuple[str, int, str]:
        target = self._targets.get(url)
        if target is None:
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                msg = f"only plain http:// URLs: {url}"
                raise ValueError(msg)
            path = parts.path or "/"
            if parts.query:
                path += f"?{parts.query}"
            target = self._targets[url] = (parts.hostname, parts.port or 80, path)
        return target


class _Stale(Exception):
    """A kept-alive connection closed by the server before it read the request."""


async def _read_response(status_line: bytes, reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read the rest of one response; return its status and whether the connection stays open."""
    fields = status_line.split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/1."):
        msg = f"not an HTTP/1.1 response: {status_line[:80]!r}"
        raise RawHttpError(msg)
    status = int(fields[1])
    keep = fields[0] == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep = value != b"close"
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()  # the empty line after the last chunk (no trailers expected)
    elif length is not None:
        await reader.readexactly(length)
    else:  # the body runs to the end of the connection
        await reader.read()
        keep = False
    return status, keep
