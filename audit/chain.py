"""The hashes of audit records, as anyone can recompute them from an export.

Each record has a *content hash* (SHA-256 over a canonical JSON of its fields, computed when it
is written, in the transaction of the action) and, once the sealer has chained it, a *link
hash* over its place in the chain: its ``seq``, the previous record's hash and its content
hash. Canonical means sorted keys, no whitespace, UTF-8, UUIDs and timestamps as strings, so the
same record always hashes the same on SQLite and PostgreSQL.

Records chained before sealing existed (``seq`` up to the head's ``legacy_through``) keep their
original hash, ``legacy_record_hash``, over the fields and the previous hash in one: rewriting
them would invalidate every head hash already handed to a regulator.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _sha256(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _fields(
    at: datetime,
    action: str,
    actor_user_id: uuid.UUID | None,
    actor_org_id: uuid.UUID | None,
    actor_role: str | None,
    dataset_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "at": canonical_at(at),
        "action": action,
        "actor_user_id": _text(actor_user_id),
        "actor_org_id": _text(actor_org_id),
        "actor_role": actor_role,
        "dataset_id": _text(dataset_id),
        "subject_id": _text(subject_id),
        "details": details,
    }


def content_hash(
    *,
    at: datetime,
    action: str,
    actor_user_id: uuid.UUID | None,
    actor_org_id: uuid.UUID | None,
    actor_role: str | None,
    dataset_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    details: dict[str, Any],
) -> str:
    """What the record says, independent of its place in the chain (it has none yet when the
    action commits)."""
    return _sha256(
        _fields(
            at, action, actor_user_id, actor_org_id, actor_role, dataset_id, subject_id, details
        )
    )


def link_hash(*, seq: int, prev_hash: str, content_hash: str | None) -> str:
    """The record's link in the chain: its place, its predecessor and its content."""
    return _sha256({"seq": seq, "prev_hash": prev_hash, "content_hash": content_hash})


def legacy_record_hash(
    *,
    seq: int,
    at: datetime,
    action: str,
    actor_user_id: uuid.UUID | None,
    actor_org_id: uuid.UUID | None,
    actor_role: str | None,
    dataset_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """The hash of a record chained before sealing existed (fields, ``seq`` and ``prev_hash``
    in one payload), kept so those records verify as they were exported."""
    fields = _fields(
        at, action, actor_user_id, actor_org_id, actor_role, dataset_id, subject_id, details
    )
    return _sha256({**fields, "seq": seq, "prev_hash": prev_hash})
