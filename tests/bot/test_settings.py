"""Settings: a bad value stops start-up with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def settings(tmp_path: Path, **env: str) -> Settings:
    base = {"CITYBOT_VAR_DIR": str(tmp_path / "var"), "CITYBOT_SECRET_KEY": "x" * 32}
    return Settings.from_env({**base, **env}, dotenv=tmp_path / "none.env")


def test_defaults_run_the_web_chat_alone_and_say_why(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.log_format == "text"
    assert settings(tmp_path, CITYBOT_LOG_FORMAT="JSON").log_format == "json"
    assert s.index_cache_dir == tmp_path / "var" / "cache"
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert not s.line_enabled
    assert not s.telegram_enabled
    report = "\n".join(s.channel_report())
    assert "web chat: on" in report
    assert "LINE: off (set CITYBOT_LINE_CHANNEL_SECRET" in report
    assert "Telegram: off (set CITYBOT_TELEGRAM_TOKEN)" in report


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CITYBOT_DATABASE_URL": "mysql://x"}, "CITYBOT_DATABASE_URL"),
        ({"CITYBOT_PORT": "eighty"}, "CITYBOT_PORT"),
        ({"CITYBOT_LINE_CHANNEL_SECRET": "s"}, "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN"),
        ({"CITYBOT_LINE_CHANNEL_ACCESS_TOKEN": "t"}, "CITYBOT_LINE_CHANNEL_SECRET"),
        ({"CITYBOT_TELEGRAM_TOKEN": "nocolon"}, "CITYBOT_TELEGRAM_TOKEN"),
        ({"CITYBOT_TELEGRAM_WEBHOOK_SECRET": "has space"}, "CITYBOT_TELEGRAM_WEBHOOK_SECRET"),
        ({"CITYBOT_LINE_API_BASE": "ftp://x"}, "CITYBOT_LINE_API_BASE"),
        ({"CITYBOT_SECRET_KEY": "short"}, "CITYBOT_SECRET_KEY"),
        ({"CITYBOT_KNOWLEDGE_DIR": "/nonexistent/dir"}, "CITYBOT_KNOWLEDGE_DIR"),
        ({"CITYBOT_LOG_FORMAT": "xml"}, "CITYBOT_LOG_FORMAT"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        settings(tmp_path, **env)


def test_channels_switch_on_when_configured(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        CITYBOT_LINE_CHANNEL_SECRET="secret",
        CITYBOT_LINE_CHANNEL_ACCESS_TOKEN="line-access-value",
        CITYBOT_TELEGRAM_TOKEN="123:abc",
        CITYBOT_TELEGRAM_WEBHOOK_SECRET="hook-secret",
    )
    assert s.line_enabled
    assert s.telegram_enabled
    assert "line-access-value" not in repr(s)  # secrets never print
    assert "hook-secret" not in repr(s)


def test_generated_secret_key_is_persisted(tmp_path: Path) -> None:
    env = {"CITYBOT_VAR_DIR": str(tmp_path / "var")}
    first = Settings.from_env(env, dotenv=tmp_path / "none.env")
    second = Settings.from_env(env, dotenv=tmp_path / "none.env")
    assert first.secret_key == second.secret_key
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("CITYBOT_PORT=9001\nCITYBOT_HOST=0.0.0.0\n", encoding="utf-8")
    s = Settings.from_env(
        {"CITYBOT_HOST": "127.0.0.2", "CITYBOT_VAR_DIR": str(tmp_path)}, dotenv=dotenv
    )
    assert s.port == 9001
    assert s.host == "127.0.0.2"
