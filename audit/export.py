"""Regulator exports of the audit log: CSV or JSON lines, with the hashes to re-verify.

A sealed record's ``hash`` is ``audit.chain.link_hash`` over its ``seq``, ``prev_hash`` and
``content_hash``, and ``content_hash`` is ``audit.chain.content_hash`` over the other fields
(records chained before sealing existed have no ``content_hash`` and keep their original hash,
``audit.chain.legacy_record_hash``)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from enum import StrEnum

from audit.chain import canonical_at
from audit.models import AuditRecord
from ground.spreadsheets import SafeDictWriter

COLUMNS = (
    "seq",
    "at",
    "action",
    "actor_user_id",
    "actor_org_id",
    "actor_role",
    "dataset_id",
    "subject_id",
    "details",
    "content_hash",
    "prev_hash",
    "hash",
)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _row(entry: AuditRecord) -> dict[str, object]:
    return {
        "seq": entry.seq,
        "at": canonical_at(entry.at),
        "action": entry.action,
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_org_id": str(entry.actor_org_id) if entry.actor_org_id else None,
        "actor_role": entry.actor_role,
        "dataset_id": str(entry.dataset_id) if entry.dataset_id else None,
        "subject_id": str(entry.subject_id) if entry.subject_id else None,
        "details": entry.details,
        "content_hash": entry.content_hash,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def render(records: Iterable[AuditRecord], fmt: ExportFormat) -> Iterator[str]:
    """Yield the export chunk by chunk, so a long log never sits in memory whole."""
    if fmt is ExportFormat.jsonl:
        for entry in records:
            yield json.dumps(_row(entry), ensure_ascii=False, sort_keys=True) + "\n"
        return
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for entry in records:
        row = _row(entry)
        row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
