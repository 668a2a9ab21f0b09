"""One error base that carries its HTTP status and a message in English and Chinese.

Services raise ``SluiceError`` subclasses and never ``HTTPException``; one handler renders
``{"error": "QuotaExhausted", "detail": "...", "detail_zh": "...", "request_id": "..."}`` so
every client sees the same shape, users of the console can read the message in their language,
and an operator finds the request's log lines by the id a client quotes. An exception no
handler expected becomes a 500 of the same shape (``InternalError``) whose text says nothing
about the exception; it is logged by the request middleware (``ground.ops.requests``).
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ground.ops.scope import REQUEST_ID_HEADER, note_error, request_id_of


class SluiceError(Exception):
    status_code: ClassVar[int] = 400
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, detail_zh: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh or detail

    def body(self) -> dict[str, str]:
        return {"error": type(self).__name__, "detail": self.detail, "detail_zh": self.detail_zh}

    def response_headers(self) -> dict[str, str] | None:
        """Headers the response carries (``WWW-Authenticate``, ``Retry-After``…)."""
        return self.headers


class BadRequest(SluiceError):
    status_code = 400


class NotAuthenticated(SluiceError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(SluiceError):
    status_code = 403


class NotFound(SluiceError):
    status_code = 404


class Conflict(SluiceError):
    status_code = 409


class PayloadTooLarge(SluiceError):
    status_code = 413


class UnsupportedFile(SluiceError):
    status_code = 415


class InvalidFile(SluiceError):
    status_code = 422


class QuotaExhausted(SluiceError):
    status_code = 429


def _sluice_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SluiceError)
    note_error(request, exc)
    return JSONResponse(
        {**exc.body(), "request_id": request_id_of(request)},
        status_code=exc.status_code,
        headers=exc.response_headers(),
    )


def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    note_error(request, exc)
    problems = validation_summary(exc)
    return JSONResponse(
        {
            "error": "ValidationError",
            "detail": f"Invalid request: {problems}",
            "detail_zh": f"请求参数无效：{problems}",
            "errors": jsonable_errors(exc),
            "request_id": request_id_of(request),
        },
        status_code=422,
    )


def validation_summary(exc: RequestValidationError) -> str:
    """One line naming each invalid field, for the JSON body and the console's error page."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [
        {"loc": list(err["loc"]), "msg": str(err["msg"]), "type": str(err["type"])}
        for err in exc.errors()
    ]


HTTP_ZH = {401: "未登录或凭证无效", 403: "无权访问", 404: "资源不存在", 405: "不支持该请求方法"}


def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    note_error(request, exc)
    detail = str(exc.detail)
    return JSONResponse(
        {
            "error": "HTTPError",
            "detail": detail,
            "detail_zh": HTTP_ZH.get(exc.status_code, detail),
            "request_id": request_id_of(request),
        },
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _unexpected_handler(request: Request, _exc: Exception) -> JSONResponse:
    """The last resort (Starlette's server-error middleware, outside the request middleware,
    which has already logged the exception): a fixed text, and the id to quote."""
    request_id = request_id_of(request)
    return JSONResponse(
        {
            "error": "InternalError",
            "detail": "An unexpected error occurred; quote the request id to the operator.",
            "detail_zh": "服务器发生意外错误，请向平台运营方提供请求编号。",
            "request_id": request_id,
        },
        status_code=500,
        headers={REQUEST_ID_HEADER: request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SluiceError, _sluice_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
