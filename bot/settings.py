"""Settings, read once from the environment (and an optional ``.env`` file), typed.

A bad setting stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import SettingsError
from bot.storage.db import default_database_url

_SUPPORTED_DB = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            msg = f"{path}:{number}: expected KEY=VALUE"
            raise SettingsError(msg)
        values[key.strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    database_url: str
    knowledge_dir: Path | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        merged = _read_dotenv(dotenv or Path(".env"))
        merged.update(env if env is not None else os.environ)
        url = merged.get("CITYBOT_DATABASE_URL") or default_database_url()
        if not url.startswith(_SUPPORTED_DB):
            msg = (
                f"CITYBOT_DATABASE_URL={url!r} is not supported: use a URL starting with "
                + " or ".join(_SUPPORTED_DB)
            )
            raise SettingsError(msg)
        knowledge = merged.get("CITYBOT_KNOWLEDGE_DIR")
        if knowledge and not Path(knowledge).is_dir():
            msg = f"CITYBOT_KNOWLEDGE_DIR={knowledge!r} is not a directory"
            raise SettingsError(msg)
        return cls(database_url=url, knowledge_dir=Path(knowledge) if knowledge else None)
