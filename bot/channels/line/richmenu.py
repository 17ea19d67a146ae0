"""The LINE rich menu: ``knowledge/system/richmenu.yaml`` validated and set up on the channel.

citybot line setup-richmenu --image menu.png
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import aiohttp
import yaml
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.channels.line.channel import (
    REQUEST_TIMEOUT,
    configuration,
    failure,
    short_label,
)
from bot.choices import SAY, decode
from bot.settings import Settings
from knowledge.system import SYSTEM_DIR, load_system

logger = logging.getLogger(__name__)

RICHMENU_FILE = SYSTEM_DIR / "richmenu.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Bounds(_Strict):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class _Size(_Strict):
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class _Area(_Strict):
    label: str = Field(min_length=1)
    bounds: _Bounds
    data: str = Field(min_length=1, max_length=300)
    display_text: str = Field(min_length=1, max_length=300)


class RichMenuFile(_Strict):
    """``knowledge/system/richmenu.yaml``: the buttons under the chat and what they send."""

    name: str = Field(min_length=1, max_length=300)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: _Size
    areas: list[_Area] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _check(self) -> RichMenuFile:
        for area in self.areas:
            b = area.bounds
            if b.x + b.width > self.size.width or b.y + b.height > self.size.height:
                size = f"{self.size.width}x{self.size.height}"
                msg = f"area {area.label!r} reaches outside the {size} menu"
                raise ValueError(msg)
            if decode(area.data) is None:
                msg = f"area {area.label!r}: data {area.data!r} is not a choice value"
                raise ValueError(msg)
        return self

    def request(self) -> RichMenuRequest:
        return RichMenuRequest(
            size=RichMenuSize(width=self.size.width, height=self.size.height),
            selected=False,
            name=self.name,
            chat_bar_text=self.chat_bar_text,
            areas=[
                RichMenuArea(
                    bounds=RichMenuBounds(**area.bounds.model_dump()),
                    action=PostbackAction(
                        label=short_label(area.label),
                        data=area.data,
                        display_text=area.display_text,
                    ),
                )
                for area in self.areas
            ],
        )


def load_richmenu(path: Path = RICHMENU_FILE, menu_items: int | None = None) -> RichMenuFile:
    """Read and check the rich-menu file; ``s:<n>`` must name one of ``menu_items`` topics."""
    menu = RichMenuFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for area in menu.areas:
        value = decode(area.data)
        if (
            menu_items is not None
            and value is not None
            and value.action == SAY
            and (not value.argument.isdigit() or int(value.argument) >= menu_items)
        ):
            msg = f"area {area.label!r}: {area.data!r} names no topic of the menu"
            raise ValueError(msg)
    return menu


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "image/jpeg" if data.startswith(b"\xff\xd8") else None


async def setup_richmenu(settings: Settings, image: Path | None) -> int:
    """Create the rich menu from ``richmenu.yaml``, upload ``image`` and make it the default."""
    if not settings.line_enabled:
        print(
            "LINE is not configured: set CITYBOT_LINE_CHANNEL_SECRET and "
            "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN",
            file=sys.stderr,
        )
        return 2
    try:
        menu = load_richmenu(menu_items=len(load_system().menu))
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        print(f"{RICHMENU_FILE}: {exc}", file=sys.stderr)
        return 2
    if image is None:
        print(
            f"a menu image is needed: --image PATH (PNG or JPEG, {menu.size.width}x"
            f"{menu.size.height}, at most 1 MB, labels placed as in {RICHMENU_FILE.name})",
            file=sys.stderr,
        )
        return 2
    try:
        data = await asyncio.to_thread(image.read_bytes)
    except OSError as exc:
        print(f"cannot read the menu image {image}: {exc}", file=sys.stderr)
        return 2
    content_type = _image_type(data)
    if content_type is None or len(data) > 1024 * 1024:
        print(f"{image}: the menu image must be a PNG or JPEG of at most 1 MB", file=sys.stderr)
        return 2
    async with (
        AsyncApiClient(configuration(settings)) as client,
        AsyncApiClient(configuration(settings, data=True)) as data_client,
    ):
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(data_client)
        step = "create the rich menu"
        menu_id: str | None = None
        try:
            created = await api.create_rich_menu(menu.request(), _request_timeout=REQUEST_TIMEOUT)
            menu_id = str(created.rich_menu_id)
            step = "upload the menu image"
            await blob.set_rich_menu_image(
                menu_id,
                data,
                _headers={"Content-Type": content_type},
                _request_timeout=REQUEST_TIMEOUT,
            )
            step = "set the default rich menu"
            await api.set_default_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            print(f"could not {step}: {failure('API call', exc)}", file=sys.stderr)
            if menu_id is not None:  # do not leave a half-made menu behind
                try:
                    await api.delete_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)
                except (ApiException, aiohttp.ClientError, TimeoutError):
                    logger.warning("could not delete the unfinished rich menu %s", menu_id)
            return 1
    print(menu_id)
    return 0
