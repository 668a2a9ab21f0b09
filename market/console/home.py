"""Sign-in, sign-out, the language switch and the landing page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, Response

from accounts import service as accounts
from accounts.throttle import TooManyAttempts
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute, client_address
from ground.errors import NotAuthenticated
from ground.ops.logs import get_logger
from market.console.i18n import LANG_COOKIE, LANGS, Lang, error_text, lang_of
from market.console.session import (
    CurrentUser,
    OptionalUser,
    clear_session_cookies,
    set_session_cookies,
)
from market.console.templating import redirect, render

log = get_logger(__name__)

router = APIRouter(route_class=UnitOfWorkRoute)
NAV = ()
HOME = "/console"


def safe_next(value: str | None) -> str:
    """Only paths inside the console: ``next`` must never send a user to another site."""
    if not value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME) or "\\" in value:
        return HOME
    return value


@router.get("")
def home(request: Request, user: CurrentUser) -> Response:
    """The landing page: the areas this user's role may open."""
    return render(request, "home.html", user)


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", None, {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Check the password like ``POST /auth/token`` (and audit the login the same way), then
    keep the issued tokens in HttpOnly cookies."""
    try:
        user = accounts.authenticate(
            session, email.strip(), password, client=client_address(request), settings=settings
        )
    except (NotAuthenticated, TooManyAttempts) as exc:
        log.info("console sign-in refused", error=type(exc).__name__)
        context = {"next": safe_next(next), "error": error_text(exc, lang_of(request))}
        return render(
            request,
            "login.html",
            None,
            context,
            status_code=exc.status_code,
            headers=exc.response_headers(),
        )
    response = redirect(request, safe_next(next))
    set_session_cookies(response, accounts.issue_tokens(user, settings), settings)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = redirect(request, f"{HOME}/login")
    clear_session_cookies(response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: Lang, next: str | None = None) -> Response:
    """Remember the reader's language and return to the page they were on."""
    response = redirect(request, safe_next(next))
    if code in LANGS:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 86_400, path="/", samesite="lax", httponly=False
        )
    return response
