"""Sign in and sign out of the console.

The login form carries a one-off token that must match a cookie set with the form (a
double-submit CSRF token: there is no session yet to hold one). Wrong credentials always get
the same answer, whether the username exists or not.
"""

from __future__ import annotations

import logging
import math
import secrets

from starlette.requests import Request
from starlette.responses import Response

from bot.staff import auth
from bot.staff.http import (
    csrf_ok,
    current_staff,
    forbidden,
    now,
    redirect,
    render,
    services,
)

logger = logging.getLogger(__name__)

MAX_FIELD = 256


def _next(value: object) -> str:
    """Only a console path: never an open redirect."""
    text = value if isinstance(value, str) else ""
    if text.startswith("/staff/") and not text.startswith("//") and "\\" not in text:
        return text
    return "/staff/"


def _form(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> Response:
    token = secrets.token_urlsafe(24)
    context = {"csrf": token, "error": error, "next": _next(request.query_params.get("next"))}
    response = render(request, "login.html", {**context, **extra}, status, headers)
    response.set_cookie(
        auth.LOGIN_COOKIE,
        token,
        path=auth.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=services(request).settings.https,
    )
    return response


async def login_page(request: Request) -> Response:
    if await current_staff(request) is not None:
        return redirect(_next(request.query_params.get("next")))
    return _form(request)


async def login_submit(request: Request) -> Response:
    if not await csrf_ok(request, request.cookies.get(auth.LOGIN_COOKIE)):
        return forbidden(request)
    form = await request.form()
    username = str(form.get("username") or "")[:MAX_FIELD]
    password = str(form.get("password") or "")[:MAX_FIELD]
    rt = services(request)
    result = await auth.login(
        rt.store,
        rt.settings,
        username,
        password,
        auth.client_ip(request),
        now(request),
    )
    if result.wait is not None:
        minutes = max(1, math.ceil(result.wait.total_seconds() / 60))
        return _form(
            request,
            error="throttled",
            wait_minutes=minutes,
            status=429,
            headers={"Retry-After": str(math.ceil(result.wait.total_seconds()))},
            username=username,
        )
    if result.token is None:
        return _form(request, error="wrong", status=401, username=username)
    response = redirect(_next(form.get("next")))
    response.set_cookie(
        auth.COOKIE,
        result.token,
        path=auth.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=rt.settings.https,
        max_age=int(rt.settings.staff_session_lifetime.total_seconds()),
    )
    response.delete_cookie(auth.LOGIN_COOKIE, path=auth.COOKIE_PATH)
    return response


async def logout(request: Request, staff: auth.StaffUser) -> Response:
    await auth.logout(services(request).store, staff, auth.client_ip(request))
    response = redirect("/staff/login")
    response.delete_cookie(auth.COOKIE, path=auth.COOKIE_PATH)
    return response
