"""What a request carries for its error bodies and its log line: the request id and the class of
the error it answered. A leaf module (it imports nothing of ours), so ``ground.errors`` — the
bottom of the ground — can use it without importing the middleware and its metrics."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

REQUEST_ID_HEADER = "X-Request-ID"


def request_id_of(request: Request) -> str | None:
    """The id the middleware gave this request (``None`` outside the middleware)."""
    state: dict[str, Any] = request.scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def note_error(request: Request, exc: Exception) -> None:
    """Remember the error class the handlers rendered, for the request's log line."""
    request.scope.setdefault("state", {})["error"] = type(exc).__name__


def note_principal(request: Request, user_id: object) -> None:
    """Remember who the request is authenticated as (set by the authentication dependencies),
    so ground code that must scope something to the caller (idempotency keys) can, without
    importing accounts."""
    request.scope.setdefault("state", {})["principal"] = f"user:{user_id}"


def principal_of(request: Request) -> str | None:
    """``user:<id>`` of the authenticated caller, or ``None`` before authentication."""
    state: dict[str, Any] = request.scope.get("state") or {}
    value = state.get("principal")
    return value if isinstance(value, str) else None
