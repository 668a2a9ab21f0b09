"""Errors on console pages: HTML in the reader's language instead of the API's JSON.

The app keeps one set of exception handlers; ``install`` wraps them so that requests under
``/console`` get a page (or, for htmx, an alert fragment swapped into ``#flash``) while the
API's answers are unchanged. The unit of work has already rolled back when these run, so an
error page never follows a half-applied change. A missing or expired session on a page
becomes a redirect to the sign-in form, which returns to the page afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ground.errors import HTTP_ZH, NotAuthenticated, SluiceError, validation_summary
from ground.ops.scope import note_error
from market.console.i18n import lang_of
from market.console.templating import finish, render

PREFIX = "/console"
Handler = Callable[[Request, Exception], Any]


def login_url(next_path: str) -> str:
    return f"{PREFIX}/login?next={quote(next_path, safe='/')}"


def _is_console(request: Request) -> bool:
    path = request.url.path
    return (path == PREFIX or path.startswith(PREFIX + "/")) and not path.startswith(
        PREFIX + "/static/"
    )


def _describe(exc: Exception) -> tuple[int, str, str]:
    """(status, English, Chinese) of any error the app's handlers receive."""
    if isinstance(exc, SluiceError):
        return exc.status_code, exc.detail, exc.detail_zh
    if isinstance(exc, RequestValidationError):
        problems = validation_summary(exc)
        return 422, f"Invalid form: {problems}", f"表单内容无效：{problems}"
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    return exc.status_code, detail, HTTP_ZH.get(exc.status_code, detail)


def error_response(request: Request, exc: Exception) -> Response:
    note_error(request, exc)
    htmx = request.headers.get("HX-Request") == "true"
    if isinstance(exc, NotAuthenticated):
        target = login_url(request.url.path)
        if htmx:
            return finish(request, Response(status_code=204, headers={"HX-Redirect": target}))
        return finish(request, RedirectResponse(target, status_code=303))
    status, english, chinese = _describe(exc)
    context = {"message": chinese if lang_of(request) == "zh" else english, "status": status}
    if htmx:
        # Swapped into the page's alert region; the form the user filled in stays as it was.
        return render(
            request,
            "_alert.html",
            None,
            context,
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return render(request, "error.html", None, context, status_code=status)


def install(app: FastAPI) -> None:
    for exc_class in (SluiceError, RequestValidationError, StarletteHTTPException):
        api_handler: Handler = app.exception_handlers[exc_class]

        def handler(request: Request, exc: Exception, _api: Handler = api_handler) -> Any:
            if _is_console(request):
                return error_response(request, exc)
            return _api(request, exc)

        app.add_exception_handler(exc_class, handler)
