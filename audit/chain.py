"""The hash of an audit record: SHA-256 over a canonical JSON of its fields and the previous hash.

Canonical means sorted keys, no whitespace, UTF-8, UUIDs and timestamps as strings, so the same
record always hashes the same on SQLite and PostgreSQL, and anyone can recompute it from an
export.
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


def record_hash(
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
    payload = {
        "seq": seq,
        "at": canonical_at(at),
        "action": action,
        "actor_user_id": _text(actor_user_id),
        "actor_org_id": _text(actor_org_id),
        "actor_role": actor_role,
        "dataset_id": _text(dataset_id),
        "subject_id": _text(subject_id),
        "details": details,
        "prev_hash": prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
