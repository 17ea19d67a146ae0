"""What every console route shares: the sign-in guard, CSRF check, templates and headers.

Route("/staff/", console(queue_page))              # HTML: anonymous -> login page
Route("/staff/api/queue", console(queue_api, api=True))   # JSON: anonymous -> 401
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.staff.auth import COOKIE, StaffUser, authenticate, same_origin, tokens_match
from bot.staff.context import Console

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PAGE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}

Handler = Callable[[Request, StaffUser], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def services(request: Request) -> Console:
    """The console's services, set on the app when it was composed."""
    value: Console = request.app.state.console
    return value


def now(request: Request) -> dt.datetime:
    """The time by the bot's one clock."""
    return services(request).clock()


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True)
    env.globals["asset"] = asset_url
    return env


@cache
def _asset_bytes(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def asset_url(name: str) -> str:
    version = hashlib.sha256(_asset_bytes(name)).hexdigest()[:12]
    return f"/staff/static/{name}?v={version}"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    html = _env().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def not_found(request: Request, api: bool = False) -> Response:
    if api:
        return json({"error": "not found"}, 404)
    return render(request, "error.html", {"status": 404, "staff": None}, status=404)


async def current_staff(request: Request) -> StaffUser | None:
    rt = services(request)
    return await authenticate(rt.store, rt.settings, request.cookies.get(COOKIE), now(request))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/staff/api/", "/staff/events"))


async def csrf_ok(request: Request, expected: str | None) -> bool:
    """The request's token (form field ``csrf`` or header ``X-CSRF-Token``) and origin."""
    if not same_origin(request):
        return False
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf")
        given = value if isinstance(value, str) else None
    return tokens_match(expected, given)


def forbidden(request: Request) -> Response:
    if _is_api(request):
        return json({"error": "CSRF token missing or wrong"}, 403)
    return render(request, "error.html", {"status": 403, "staff": None}, status=403)


def console(handler: Handler, *, admin: bool = False) -> Endpoint:
    """Wrap a route: signed-in staff only, CSRF on POST, admin-only pages 404 for others."""

    async def endpoint(request: Request) -> Response:
        staff = await current_staff(request)
        if staff is None:
            if _is_api(request):
                return json({"error": "sign in first"}, 401)
            target = quote(request.url.path, safe="/")
            return redirect(f"/staff/login?next={target}")
        if admin and not staff.is_admin:
            return not_found(request, _is_api(request))
        if request.method == "POST" and not await csrf_ok(request, staff.csrf):
            return forbidden(request)
        return await handler(request, staff)

    endpoint.__name__ = handler.__name__
    return endpoint


async def static(request: Request) -> Response:
    """The console's script and stylesheet (served to anyone: they hold no data)."""
    name = str(request.path_params["name"])
    if name not in ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
    return Response(_asset_bytes(name), media_type=ASSETS[name], headers=headers)
