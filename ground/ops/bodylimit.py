"""A hard bound on every request body, counted as it arrives.

Without it a client can send a JSON route (or a form post) a body of any size: Starlette reads
``request.body()`` whole into memory before the route looks at it. ``RequestBodyLimitMiddleware``
wraps ``receive`` with a counter:

- a ``Content-Length`` above the limit is refused (413) at the route's first read, before a
  byte of the body is read;
- a chunked body, or one longer than its ``Content-Length`` claims, is refused as soon as the
  count passes the limit: ``receive`` raises ``RequestBodyTooLarge`` and no further byte is read.

Routes that bound their own body (the streamed uploads of ``ground.upload_route``) lift the
limit for their request with ``lift_body_limit`` before they read; the counter stays in force
at their higher limit. The answer is always a 413 ``ErrorBody``: whatever the route made of the
exception (FastAPI turns an error while reading a JSON body into a 400), a response started
after the limit was passed is replaced by the 413, with ``Connection: close`` so the server does
not read the rest of the body to keep the connection alive.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ground.errors import BadRequest, PayloadTooLarge, SluiceError
from ground.ops.scope import note_error, request_id_of

_SCOPE_KEY = "sluice.body_limit"
_CLOSE_KEY = "sluice.close_connection"


class RequestBodyTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than the limit of {limit:,} bytes.",
            f"请求体超过大小上限 {limit:,} 字节。",
        )


class BadContentLength(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            "The Content-Length header is not a number of bytes.",
            "Content-Length 请求头不是有效的字节数。",
        )


class _Counter:
    """One request's budget: the limit in force and what has been read so far."""

    def __init__(self, limit: int, content_length: int | None) -> None:
        self.limit = limit
        self.content_length = content_length
        self.received = 0
        self.refused: SluiceError | None = None

    def check_declared(self) -> None:
        if self.content_length is not None and self.content_length > self.limit:
            self.refuse(RequestBodyTooLarge(self.limit))

    def count(self, size: int) -> None:
        self.received += size
        if self.received > self.limit:
            self.refuse(RequestBodyTooLarge(self.limit))

    def refuse(self, error: SluiceError) -> None:
        self.refused = error
        raise error


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``; ``BadContentLength`` when it is not a number."""
    text = Headers(scope=scope).get("content-length")
    if text is None:
        return None
    if not text.isdigit():
        raise BadContentLength()
    return int(text)


def lift_body_limit(scope: Scope, limit: int) -> None:
    """Let this request's body reach ``limit`` bytes (a route that bounds its own body)."""
    counter = scope.get(_SCOPE_KEY)
    if isinstance(counter, _Counter):
        counter.limit = limit


def close_after_response(scope: Scope) -> None:
    """Answer this request with ``Connection: close``: it is answered with its body unread (or
    read in part), and the server would otherwise read the rest to keep the connection."""
    scope[_CLOSE_KEY] = True


def error_response(scope: Scope, error: SluiceError) -> JSONResponse:
    """The ``ErrorBody`` of ``error``, closing the connection: the unread rest of the body is
    never read."""
    request = Request(scope)
    note_error(request, error)
    return JSONResponse(
        {**error.body(), "request_id": request_id_of(request)},
        status_code=error.status_code,
        headers={**(error.response_headers() or {}), "Connection": "close"},
    )


class RequestBodyLimitMiddleware:
    """``max_body_bytes`` is asked per request, so the limit follows the settings in force."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            counter = _Counter(self.max_body_bytes(), declared_length(scope))
        except BadContentLength as error:
            await error_response(scope, error)(scope, receive, send)
            return
        scope[_SCOPE_KEY] = counter
        started = False
        replaced = False

        async def counted_receive() -> Message:
            counter.check_declared()
            message = await receive()
            if message["type"] == "http.request":
                counter.count(len(message.get("body", b"")))
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                if counter.refused is not None and message["status"] != counter.refused.status_code:
                    # The route turned the refusal into another answer: the 413 stands.
                    replaced = True
                    await error_response(scope, counter.refused)(scope, receive, send)
                    return
                if counter.refused is not None or scope.get(_CLOSE_KEY):
                    MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        try:
            await self.app(scope, counted_receive, checked_send)
        except SluiceError as error:
            if started or error is not counter.refused:
                raise
            await error_response(scope, error)(scope, receive, send)
