"""The OpenAPI document describes the error bodies and statuses the app really sends.

FastAPI documents a list-shaped 422 (``HTTPValidationError``) that this app never sends: every
error, validation included, is rendered by ``ground.errors`` as ``ErrorBody``. So the document
is post-processed once: each API operation gets the error statuses every operation of its kind
can answer (400, 404, 409 and 422; 401 and 403 when it needs credentials; 413 when it takes a
body, since every body is bounded: ``ground.ops.bodylimit``), each described by ``ErrorBody``;
operations that take an ``Idempotency-Key`` say what its 409s mean and mark replays with the
``Idempotent-Replayed`` header; and routes add what only they send (402 for the privacy
budget, 415 for uploads, 429 for quotas, 502 for the payment gateway…) with
``error_responses(...)`` on their decorator. Clients generated from the document therefore
parse every error the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

_REF = "#/components/schemas/ErrorBody"
_DESCRIPTIONS = {
    400: "Bad request: the input is understood but refused (the message says why).",
    401: "Not signed in, or the credentials are invalid or expired.",
    402: "Not enough privacy budget (ε/δ) left.",
    403: "Signed in, but this role or organization may not do this.",
    404: "No such resource, or not visible to the caller.",
    408: "Stopped at the time limit.",
    409: "Conflicts with the resource's current state.",
    413: "The request body, an upload's file or one of its form fields is larger than its "
    "limit, or the form has too many parts (nothing is stored).",
    415: "The file type is not accepted.",
    422: "The request's parameters or body do not validate (`errors` lists each problem).",
    429: "A quota or rate limit is reached (see `Retry-After` where sent).",
    502: "The payment gateway did not answer as expected.",
    503: "A service the request needs is unavailable.",
}


class ValidationProblem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is: location, then field names")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error response: the error's class name and a message in English and Chinese."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="The error's name, e.g. QuotaExhausted or ValidationError")
    detail: str = Field(description="What went wrong and what to do, in English")
    detail_zh: str = Field(description="The same message in Chinese")
    request_id: str | None = Field(
        default=None, description="The request's id (also in X-Request-ID): quote it to support"
    )
    errors: list[ValidationProblem] | None = Field(
        default=None, description="Each invalid field (validation errors only)"
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can also answer these statuses."""
    return {
        status: {"description": _DESCRIPTIONS[status], "model": ErrorBody} for status in statuses
    }


def _common_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [400, 404, 422]
    if method in ("post", "put", "patch", "delete"):
        statuses.append(409)
    if method in ("post", "put", "patch"):
        # Every body is bounded (SLUICE_MAX_REQUEST_BODY_BYTES, uploads by their own limits).
        statuses.append(413)
    if operation.get("security"):
        statuses += [401, 403]
    return statuses


def _describe(operation: dict[str, Any], method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in _common_statuses(method, operation):
        responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
    for code, response in responses.items():
        if not code.isdigit() or int(code) < 400:
            continue
        response["description"] = _DESCRIPTIONS.get(int(code), response.get("description", ""))
        response["content"] = {"application/json": {"schema": {"$ref": _REF}}}
    if _takes_idempotency_key(operation):
        _describe_idempotency(responses)


_IDEMPOTENT_409 = (
    "Conflicts with the resource's current state; or the `Idempotency-Key` was already used "
    "for another request (`IdempotencyKeyReused`), or a request with it is still running "
    "(`IdempotencyKeyInFlight`, with `Retry-After`)."
)
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with the "
        "same `Idempotency-Key` (the write was not repeated)",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def _takes_idempotency_key(operation: dict[str, Any]) -> bool:
    return any(
        p.get("in") == "header" and p.get("name") == "Idempotency-Key"
        for p in operation.get("parameters", [])
    )


def _describe_idempotency(responses: dict[str, Any]) -> None:
    """The key's 409s, and the header that marks a replay on every success."""
    responses["409"]["description"] = _IDEMPOTENT_409
    for code, response in responses.items():
        if code.isdigit() and 200 <= int(code) < 300:
            response.setdefault("headers", {}).update(_REPLAYED)


def install_openapi(app: FastAPI, *, api_prefix: str) -> None:
    """Replace ``app.openapi`` with one that documents ``ErrorBody`` on every API operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["ErrorBody"].pop("$defs", {}))
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(api_prefix):
                continue
            for method, operation in operations.items():
                _describe(operation, method)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
