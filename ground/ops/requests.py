"""One request id per request, one log line per request, request metrics.

``RequestContextMiddleware`` is a plain ASGI middleware (not ``BaseHTTPMiddleware``, which
would run the endpoint in another task and lose context variables). For each HTTP request it:

- takes the client's ``X-Request-ID`` when it has the shape of a request id — a UUID, or 16
  to 64 hex digits with at least one letter (nginx's ``$request_id``, Envoy's, Heroku's) — or
  makes one (32 hex digits). Nothing else is kept: not because of header splitting alone,
  but because a client's "correlation id" is often a business key (a resident ID number, a
  phone, a card number: digits only), which would then sit in every log line. Binds it to every
  log line written while the request is handled; stores it in ``request.state.request_id``
  for the error handlers (every error body carries it); and returns it as ``X-Request-ID``;
- logs one line when the request ends: method, route template, status, duration, and the
  class of the error the handlers rendered (never the path's values, the query string, the
  headers or the body);
- observes the latency histogram by route template and status.

An exception no handler took is logged here (class and frames, no message), reported to
Sentry when configured, and re-raised for Starlette's last-resort handler, which renders
``{"error": "InternalError", …, "request_id"}``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ground.ops import metrics, sentry
from ground.ops.logs import bind_context, get_logger, unbind_context
from ground.ops.scope import REQUEST_ID_HEADER

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Hex with a letter: an all-digit string could be an identity, phone or card number.
_HEX_ID = re.compile(r"(?=.*[a-fA-F])[0-9a-fA-F]{16,64}")
# Probes and scrapes come every few seconds: their lines are DEBUG, not INFO.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

log = get_logger("sluice.request")


def request_id_from(value: str | None) -> str:
    """The client's id if it has a request id's shape (see above), else a new random one."""
    if value is not None and (_UUID.fullmatch(value) or _HEX_ID.fullmatch(value)):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's full template (``/api/v1/data/{dataset_id}/rows``); ``unmatched``
    when no route matched, so a path's own text (an id, a value a client typed) never becomes
    a label or a log field.

    A route included under a router's prefix knows only its own part (``/data/{dataset_id}/
    rows``); the prefix is the part of the path before the suffix the route's pattern
    matches, and prefixes are static, so the result is always a template of ours."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    path = scope.get("path")
    if not isinstance(template, str) or pattern is None or not isinstance(path, str):
        return metrics.UNMATCHED_ROUTE
    for cut in (i for i, char in enumerate(path) if char == "/"):
        if pattern.match(path[cut:]):
            return path[:cut] + template
    return metrics.UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        tokens = bind_context(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            status = 500
            log.error("request failed", **_fields(scope, status, started), exc_info=exc)
            sentry.capture(exc, request_id=request_id)
            raise
        else:
            fields = _fields(scope, status, started)
            if state.get("error"):
                fields["error"] = state["error"]
            _log_answer(fields)
        finally:
            metrics.request_answered(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )
            unbind_context(tokens)


def _fields(scope: Scope, status: int, started: float) -> dict[str, Any]:
    return {
        "method": scope["method"],
        "route": route_template(scope),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _log_answer(fields: dict[str, Any]) -> None:
    status = fields["status"]
    if fields["route"] in _QUIET_ROUTES:
        # A failed probe has logged its cause already; one warning per probe is enough.
        (log.debug if status < 500 else log.warning)("request", **fields)
    elif status >= 500:
        log.error("request", **fields)
    else:
        log.info("request", **fields)
