"""``Idempotency-Key`` on HTTP writes: a dependency that claims the key, a route class that
stores the response in the same unit of work, and replays.

An endpoint opts in by declaring ``_: IdempotentWrite`` *after* its principal (the key is
scoped to the authenticated caller, which the authentication dependency notes on the request),
on a router whose ``route_class`` is ``IdempotentRoute`` (API) or ``ConsoleIdempotentRoute``
(console pages). Without the header (or, for console forms, the ``idempotency_key`` field) the
request runs as before.

The route class wraps FastAPI's handler, which runs inside the request's function-scoped
dependencies: the response is fully built before the session dependency commits, so the stored
response commits with the write. A response of 5xx (or an unexpected exception) releases the
key: the unit of work rolls back the claim with the rest.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from starlette.datastructures import UploadFile

from ground.db import on_rollback
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from ground.errors import SluiceError
from ground.idempotency import service
from ground.idempotency.models import IdempotencyRecord
from ground.ops.scope import principal_of

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
FORM_FIELD = "idempotency_key"
_CLAIM = "sluice.idempotency_claim"
_KEPT_HEADERS = ("content-type", "location", "cache-control", "hx-redirect")
_CHUNK = 1024 * 1024
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass
class _Claim:
    session: Session
    record: IdempotencyRecord


class _Replay(Exception):
    """Raised by the dependency to skip the endpoint and answer the stored response."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(_FORM_TYPES)


async def _form_key(request: Request) -> str | None:
    if not _is_form(request):
        return None
    value = (await request.form()).get(FORM_FIELD)
    return value if isinstance(value, str) and value else None


async def _file_digest(upload: UploadFile) -> str:
    """SHA-256 of an uploaded file, read from its spooled copy in chunks (never whole in
    memory), then rewound for the endpoint."""
    digest = hashlib.sha256()
    await upload.seek(0)
    while chunk := await upload.read(_CHUNK):
        digest.update(chunk)
    await upload.seek(0)
    return digest.hexdigest()


async def body_digest(request: Request) -> str:
    """A digest of what the request sends: the raw body, or for a form its fields (the
    idempotency field aside) and each file's name and content digest."""
    if not _is_form(request):
        return hashlib.sha256(await request.body()).hexdigest()
    digest = hashlib.sha256()
    items = sorted((await request.form()).multi_items(), key=lambda item: item[0])
    for name, value in items:
        if name == FORM_FIELD:
            continue
        if isinstance(value, UploadFile):
            part = f"file:{value.filename}:{await _file_digest(value)}"
        else:
            part = f"field:{value}"
        digest.update(f"{name}\0{part}\0".encode())
    return digest.hexdigest()


def _replay_response(stored: service.StoredResponse) -> Response:
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    return Response(content=stored.body, status_code=stored.status_code, headers=headers)


async def idempotent_write(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="Up to 255 printable ASCII characters (a UUID). The same key with the "
            "same request within the TTL answers the first response again (with "
            "`Idempotent-Replayed: true`) instead of repeating the write; with another "
            "request, 409.",
        ),
    ] = None,
) -> None:
    key = idempotency_key if idempotency_key is not None else await _form_key(request)
    if key is None:
        return
    service.check_key(key)
    owner = principal_of(request)
    if owner is None:
        raise RuntimeError("IdempotentWrite must be declared after the route's principal")
    fingerprint = service.fingerprint(
        request.method, request.url.path, owner, await body_digest(request)
    )
    outcome = await run_in_threadpool(
        service.begin,
        session,
        owner=owner,
        key=key,
        fingerprint=fingerprint,
        method=request.method,
        path=request.url.path,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    if isinstance(outcome, service.StoredResponse):
        raise _Replay(_replay_response(outcome))
    request.scope[_CLAIM] = _Claim(session, outcome)


# Declare as ``_: IdempotentWrite`` after the principal parameter.
IdempotentWrite = Annotated[None, Depends(idempotent_write)]


def _stored(response: Response) -> service.StoredResponse | None:
    """What a replay repeats; ``None`` for a streamed answer (no body to keep)."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes | memoryview):
        return None
    headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
    return service.StoredResponse(response.status_code, bytes(body), headers)


async def _rendered(request: Request, exc: SluiceError) -> Response:
    """The response the app's handler gives ``exc`` (the one the client will get)."""
    handler: Callable[..., Any] | None = None
    for cls in type(exc).__mro__:
        handler = request.app.exception_handlers.get(cls)
        if handler is not None:
            break
    assert handler is not None
    response = handler(request, exc)
    if inspect.isawaitable(response):
        response = await response
    assert isinstance(response, Response)
    return response


class IdempotentRoute(UnitOfWorkRoute):
    """A route whose ``IdempotentWrite`` claims are completed with the response.

    API semantics (Stripe's): 2xx and deterministic 4xx are stored; 429 and answers that say
    ``Retry-After`` are not (retrying later may succeed), nor is any 5xx.

    A request that holds a claim is committed by the session dependency's exit, after the
    response is stored with it (so the two commit together); any other request commits on
    the endpoint's thread (``UnitOfWorkRoute``)."""

    def commits_in_endpoint(self, request: Request) -> bool:
        return _CLAIM not in request.scope

    def keeps(self, status_code: int, headers: dict[str, str]) -> bool:
        if status_code >= 500 or status_code == 429:
            return False
        return "retry-after" not in {k.lower() for k in headers}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def idempotent_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                return replay.response
            except SluiceError as exc:
                claim = request.scope.pop(_CLAIM, None)
                if claim is not None:
                    await self._keep_refusal(request, claim, exc)
                raise
            claim = request.scope.pop(_CLAIM, None)
            if claim is not None:
                await run_in_threadpool(self._finish, claim, response)
            return response

        return idempotent_handler

    async def _keep_refusal(self, request: Request, claim: _Claim, exc: SluiceError) -> None:
        """The unit of work rolls back (the claim with it); a deterministic refusal is then
        stored on its own (it wrote nothing to commit with)."""
        if not self.keeps(exc.status_code, exc.response_headers() or {}):
            return
        stored = _stored(await _rendered(request, exc))
        if stored is None:
            return
        on_rollback(claim.session, lambda: service.store_refusal(claim.record, stored))

    def _finish(self, claim: _Claim, response: Response) -> None:
        stored = _stored(response)
        if stored is not None and self.keeps(response.status_code, dict(response.headers)):
            service.complete(claim.session, claim.record, stored)
        else:
            service.release(claim.session, claim.record)


class ConsoleIdempotentRoute(IdempotentRoute):
    """Console forms keep only successes and redirects: a refused form is corrected and sent
    again from the same page, under the key it was rendered with."""

    def keeps(self, status_code: int, headers: dict[str, str]) -> bool:
        return status_code < 400
