"""Stripe's idempotency semantics, independent of HTTP.

A key belongs to one principal (``owner``). The first request under a key claims it inside its
own unit of work; its response is stored in that same unit of work, so the write and its key
commit together or not at all. Later requests with the key and the same fingerprint get the
stored response; with another fingerprint, a 409. While the first is still running, a 409 that
says to retry: in-process through a set of held keys, across processes and nodes through a
PostgreSQL advisory lock (SQLite serializes writers, so a second process waits, then replays).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import inspect
from sqlmodel import Session

from ground.config import get_settings
from ground.db import on_commit, on_rollback, unit_of_work, utcnow
from ground.errors import BadRequest, Conflict
from ground.idempotency import repository
from ground.idempotency.models import IdempotencyRecord
from ground.ops.logs import get_logger

MAX_KEY_LENGTH = 255
log = get_logger(__name__)


class InvalidIdempotencyKey(BadRequest):
    """The header is empty, too long or not printable ASCII."""


class IdempotencyKeyReused(Conflict):
    """The key was already used for another request (another body, path or method)."""


class IdempotencyKeyInFlight(Conflict):
    """A request with the same key is still being processed."""

    headers = {"Retry-After": "1"}


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


def check_key(key: str) -> str:
    """The key as given, if it is 1–255 printable ASCII characters; a 400 otherwise."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise InvalidIdempotencyKey(
            f"The Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters "
            "(a UUID is a good choice).",
            f"Idempotency-Key 须为 1 至 {MAX_KEY_LENGTH} 个可打印 ASCII 字符（建议使用 UUID）。",
        )
    return key


def fingerprint(method: str, path: str, owner: str, body_digest: str) -> str:
    """What makes two requests "the same": method, path, principal and body (its digest)."""
    parts = "\0".join((method.upper(), path, owner, body_digest))
    return hashlib.sha256(parts.encode()).hexdigest()


# Keys claimed by units of work of this process that have not ended yet.
_held: set[tuple[str, str]] = set()
_held_guard = threading.Lock()


def _hold(session: Session, owner: str, key: str) -> None:
    with _held_guard:
        if (owner, key) in _held:
            raise _in_flight()
        _held.add((owner, key))

    def release() -> None:
        with _held_guard:
            _held.discard((owner, key))

    on_commit(session, release)
    on_rollback(session, release)


def _in_flight() -> IdempotencyKeyInFlight:
    return IdempotencyKeyInFlight(
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
    )


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "This Idempotency-Key was already used for a different request; use a new key for a "
        "new request.",
        "该 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的键。",
    )


def begin(
    session: Session,
    *,
    owner: str,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    ttl: timedelta,
) -> IdempotencyRecord | StoredResponse:
    """Claim ``key`` for this unit of work (a record to ``complete``), or the stored response
    of the request that used it first. Raises 409 if that request is still running or was a
    different request."""
    _hold(session, owner, key)
    if not repository.try_lock(session, owner, key):
        raise _in_flight()
    # A savepoint is a write: on SQLite it takes the write lock before the lookup, so a key
    # another process is committing is seen, not claimed twice.
    with session.begin_nested():
        found = repository.find(session, owner, key)
        if found is not None and found.expires_at <= utcnow():
            repository.remove(session, found)
            found = None
        if found is None:
            record = IdempotencyRecord(
                owner=owner,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path[:500],
                expires_at=utcnow() + ttl,
            )
            return repository.add(session, record)
    if found.fingerprint != fingerprint:
        raise _reused()
    if found.status_code is None or found.response_body is None:
        raise _in_flight()
    log.info("idempotent replay", owner=owner, path=path, status=found.status_code)
    body = get_settings().secrets_keyring.open(found.response_body, context=_context(found))
    return StoredResponse(found.status_code, body, json.loads(found.response_headers))


def _context(record: IdempotencyRecord) -> str:
    return f"idempotency_record:{record.id}:response_body"


def complete(session: Session, record: IdempotencyRecord, response: StoredResponse) -> None:
    """Store the response in the unit of work that made it (committed with the write)."""
    record.status_code = response.status_code
    record.response_body = get_settings().secrets_keyring.seal(
        response.body, context=_context(record)
    )
    record.response_headers = json.dumps(response.headers)
    session.add(record)
    session.flush()


def store_refusal(record: IdempotencyRecord, response: StoredResponse) -> None:
    """Store a deterministic refusal (4xx) after its unit of work rolled back.

    The refused request wrote nothing (4xx leaves state unchanged), so the key has no write to
    commit with; it is stored on its own so a retry gets the same answer. If another request
    claimed the key in between, that one's outcome stands."""
    try:
        with unit_of_work() as session:
            if repository.find(session, record.owner, record.key) is not None:
                return
            stored = IdempotencyRecord(
                owner=record.owner,
                key=record.key,
                fingerprint=record.fingerprint,
                method=record.method,
                path=record.path,
                expires_at=record.expires_at,
            )
            repository.add(session, stored)
            complete(session, stored, response)
    except Exception:
        # The refusal reached the client; the key is simply not kept, so a retry is re-run.
        log.exception("idempotency: storing a refusal failed", owner=record.owner)


def sweep_expired(session: Session) -> int:
    """Delete the keys past their expiry; returns how many."""
    return repository.delete_expired(session, utcnow())


def release(session: Session, record: IdempotencyRecord) -> None:
    """Give the key up within the unit of work (an answer that is not kept, e.g. a 5xx).

    An endpoint that rolled its session back (to answer a refusal with a page) already
    dropped the claim with everything else: nothing is left to remove."""
    if inspect(record).persistent:
        repository.remove(session, record)
