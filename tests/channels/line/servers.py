"""``citybot serve`` in processes of its own, for crash and several-process tests.

async with served_bot(env, log) as server:  # started, /healthz answers
    server.kill()                            # SIGKILL, as a crash
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.channels.line.conftest import SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, api_base: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBOT_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "CITYBOT_DATABASE_URL": database_url,
            "CITYBOT_LINE_CHANNEL_SECRET": SECRET,
            "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "CITYBOT_LINE_API_BASE": api_base,
            "CITYBOT_VAR_DIR": str(var_dir),
            "CITYBOT_SECRET_KEY": "a-secret-key-for-tests-only-0123",
        }
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            for _ in range(150):  # the fake LINE API shares this loop: keep it running
                if self.process.poll() is not None:
                    return
                await asyncio.sleep(0.1)
            self.kill()


def _citybot() -> str:
    beside = Path(sys.executable).parent / "citybot"
    found = str(beside) if beside.exists() else shutil.which("citybot")
    assert found is not None, "the citybot command is not installed (pip install -e .)"
    return found


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def start_server(env: dict[str, str], log: Path, *args: str) -> Server:
    port = free_port()
    process = _spawn([_citybot(), "serve", "--port", str(port), *args], env, log)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                msg = f"citybot serve exited: {_tail(log)}"
                raise RuntimeError(msg)
            try:
                if (await client.get(f"{server.url}/healthz")).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    server.kill()
    msg = f"citybot serve did not start: {_tail(log)}"
    raise RuntimeError(msg)


@asynccontextmanager
async def served_bot(env: dict[str, str], log: Path, *args: str) -> AsyncIterator[Server]:
    server = await start_server(env, log, *args)
    try:
        yield server
    finally:
        await server.stop()
