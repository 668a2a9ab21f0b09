"""CSRF protection for the console's form posts: a double-submit token.

The session cookies are SameSite=Lax, which already keeps other sites from sending them with
a POST; the token is the second lock (and covers sign-in itself, where there is no session
yet). A random token lives in an HttpOnly cookie and is rendered into every form (hidden field
``csrf_token``) and into the ``X-CSRF-Token`` header htmx sends (``hx-headers`` on <body>). A
POST whose field or header does not match the cookie is refused with 403 before the page's
code runs. Another site can neither read the cookie nor set it, so it cannot forge the pair.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from ground.config import Environment, Settings
from ground.errors import Forbidden

CSRF_COOKIE = "sluice_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_NEW_TOKEN = "console_new_csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "The form is out of date or was not sent by this site; reload the page and try again.",
            "表单已过期或并非由本站提交，请刷新页面后重试。",
        )


def csrf_token(request: Request) -> str:
    """The request's token: the cookie's, or a new one that ``render`` will set."""
    existing = request.cookies.get(CSRF_COOKIE) or getattr(request.state, _NEW_TOKEN, None)
    if existing:
        return str(existing)
    token = secrets.token_urlsafe(32)
    setattr(request.state, _NEW_TOKEN, token)
    return token


def apply_new_token(request: Request, response: Response, settings: Settings) -> None:
    token = getattr(request.state, _NEW_TOKEN, None)
    if token is not None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path="/console",
            httponly=True,
            samesite="lax",
            secure=settings.environment is Environment.production,
        )


async def verify_csrf(request: Request) -> None:
    """Router dependency: every unsafe request must echo the cookie's token."""
    if request.method in _SAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # Starlette caches the parsed form, so the page's Form() parameters reuse it.
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    check_csrf(expected, sent)


def check_csrf(expected: str | None, sent: str | None) -> None:
    """``CsrfRefused`` unless ``sent`` is the cookie's token ``expected``."""
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfRefused()
