"""Start-up cost: a server with LINE off does not import line-bot-sdk (seconds of imports)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from bot.app import create_app
from bot.settings import Settings
create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith("linebot")}))
"""


def test_the_app_without_line_does_not_load_the_line_sdk() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_line_channel_is_still_importable_from_its_package() -> None:
    from bot.channels import line

    assert line.LineChannel.name == "line"
    assert line.split_text("a" * 6000, 5000) == ["a" * 5000, "a" * 1000]
