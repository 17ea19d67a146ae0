"""``citybot notify``: a notice sent from the command line, delivered by it or by the server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.notify.service import notify_repo
from bot.notify.tokens import token_hash
from bot.notify.worker import build_notifications
from tests.notify.conftest import World
from tests.notify.helpers import platforms, subscribe

ROOT = Path(__file__).resolve().parents[2]


async def citybot(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CITYBOT_SECRET_KEY": "x" * 32, **env},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


def _env(world: World, line_base: str) -> dict[str, str]:
    return {
        "CITYBOT_DATABASE_URL": world.url,
        "CITYBOT_LINE_CHANNEL_SECRET": "line-secret",
        "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN": "test-token",
        "CITYBOT_LINE_API_BASE": line_base,
        "CITYBOT_NOTIFY_QUIET_HOURS": "",
    }


async def test_send_with_deliver_reaches_the_subscribers(world: World, tmp_path: Path) -> None:
    await subscribe(world.store, "line", "U-toko", "snow", "toko")
    await subscribe(world.store, "line", "U-chuo", "snow", "chuo")
    async with platforms(world.url) as p:
        env = _env(world, p.settings.line_api_base)
        code, out = await citybot(
            env,
            "notify",
            "send",
            "--topic",
            "snow",
            "--area",
            "toko",
            "--text",
            "今夜、除雪車が入ります",
            "--deliver",
            cwd=tmp_path,
        )
        assert code == 0, out
        assert json.loads(out.splitlines()[0])["status"] == "queued"
        assert p.line.recipients() == ["U-toko"]


async def test_a_queued_notice_is_delivered_by_the_running_server(
    world: World, tmp_path: Path
) -> None:
    await subscribe(world.store, "line", "U-toko", "snow", "toko")
    async with platforms(world.url) as p:
        server = build_notifications(p.settings, world.store, SystemClock())
        server.transports.line = p.transports.line
        server.sender.transports = p.transports
        server.settings = p.settings
        task = asyncio.create_task(server.sender.run_forever(0.2))
        try:
            code, out = await citybot(
                _env(world, p.settings.line_api_base),
                "notify",
                "send",
                "--topic",
                "snow",
                "--text",
                "排雪作業のお知らせ",
                cwd=tmp_path,
            )
            assert code == 0, out
            for _ in range(100):
                if p.line.recipients():
                    break
                await asyncio.sleep(0.1)
            assert p.line.recipients() == ["U-toko"]
        finally:
            task.cancel()


async def test_token_create_prints_it_once_and_keeps_only_its_hash(
    world: World, tmp_path: Path
) -> None:
    code, out = await citybot(
        {"CITYBOT_DATABASE_URL": world.url},
        "notify",
        "token",
        "create",
        "plough",
        "--department",
        "dept.roads",
        cwd=tmp_path,
    )
    assert code == 0
    token = out.splitlines()[0]
    async with world.store.unit() as unit:
        repo = notify_repo(unit)
        found = await repo.token_by_hash(token_hash(token), SystemClock()())
        [listed] = await repo.list_tokens()
    assert found is not None
    assert found.name == "plough"
    assert token not in repr(listed)
