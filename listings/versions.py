"""Saving policy versions and releasing rows through one: the core both the upload
pipeline (`service`) and the policy API (`policies`) build on.

Keys (`listings.keys`): each dataset has a random secret, sealed at rest, that never leaves
the server. Pseudonyms use the audience's key — HMAC(secret, "buyer" | buyer organization id),
or a fixed "preview" audience for previews — so two buyers cannot link their tokens. Noise and
date shifts use the dataset's one cell key, so every release of a cell, to whoever, carries
the same draw: the buyers, the preview, the console and the k-anonymity measurement can never
be averaged against each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from anonymize import KAnonymityReport, Policy, apply_policy
from ground.db import utcnow
from ground.errors import Conflict
from ground.ops.logs import get_logger
from ground.storage import StorageUnavailable
from listings import storage
from listings.keys import PREVIEW_AUDIENCE, cell_key, release_key
from listings.models import Dataset, DatasetStatus, PolicyVersion
from listings.repository import DatasetRepository
from listings.row_cache import row_cache

log = get_logger(__name__)

Which = Literal["draft", "approved"]
__all__ = [
    "PREVIEW_AUDIENCE",
    "Which",
    "apply_for",
    "release",
    "release_batches",
    "release_key",
    "release_with",
]


def has_pending_change(dataset: Dataset) -> bool:
    """A listed dataset whose draft policy differs from the approved one awaits review."""
    return (
        dataset.status == DatasetStatus.listed
        and dataset.policy_version != dataset.approved_policy_version
    )


def column_names(dataset: Dataset) -> list[str]:
    return [str(column["name"]) for column in dataset.columns]


def record_version(
    session: Session,
    dataset: Dataset,
    policy: Policy,
    *,
    created_by: uuid.UUID | None,
    k_report: KAnonymityReport | None,
) -> PolicyVersion:
    """Save `policy` as the dataset's next version and make it the current draft."""
    repo = DatasetRepository(session)
    number = repo.latest_policy_version(dataset.id) + 1
    version = PolicyVersion(
        dataset_id=dataset.id,
        version=number,
        policy=policy.model_dump(mode="json"),
        k_anonymity=report_json(k_report) if k_report else None,
        created_by_id=created_by,
    )
    repo.add(version)
    dataset.policy = version.policy
    dataset.policy_version = number
    dataset.updated_at = utcnow()
    repo.add(dataset)
    return version


def report_json(report: KAnonymityReport) -> dict[str, Any]:
    return {
        "quasi_identifiers": list(report.quasi_identifiers),
        "rows": report.rows,
        "k": report.k,
        "equivalence_classes": report.equivalence_classes,
        "rows_at_risk": report.rows_at_risk,
        "classes_at_risk": report.classes_at_risk,
        "threshold": report.threshold,
        "dropped_quasi_identifiers": list(report.dropped_quasi_identifiers),
    }


def policy_of(dataset: Dataset, which: Which) -> Policy:
    body = dataset.approved_policy if which == "approved" else dataset.policy
    if body is None:
        if which == "approved":
            raise Conflict(
                "No policy of this dataset has been approved yet.", "该数据集尚无获批的脱敏策略。"
            )
        raise Conflict(
            "The dataset has no policy yet: it is still being profiled.",
            "该数据集尚无脱敏策略：仍在分析中。",
        )
    return Policy.model_validate(body)


def release(
    dataset: Dataset,
    *,
    which: Which,
    buyer_org_id: uuid.UUID | None,
    limit: int,
    offset: int,
    data_dir: Path,
) -> pa.Table:
    """Rows `offset` .. `offset + limit` passed through the draft or approved policy, with
    the key of `buyer_org_id` (None: the generic preview audience)."""
    return release_with(
        dataset,
        policy_of(dataset, which),
        buyer_org_id=buyer_org_id,
        limit=limit,
        offset=offset,
        data_dir=data_dir,
    )


def release_with(
    dataset: Dataset,
    policy: Policy,
    *,
    buyer_org_id: uuid.UUID | None,
    limit: int,
    offset: int,
    data_dir: Path,
) -> pa.Table:
    """Rows `offset` .. `offset + limit` passed through `policy` (fails closed like every
    release: a column the policy does not name is dropped — here it is not even read).

    The rows come from the process's row cache (`listings.row_cache`): only the row groups
    the page overlaps are decoded, once, and only the released columns; only the page's rows
    are masked, at their absolute positions, so noise, date shifts and pseudonyms are the
    very values a read of the whole file would give. A stored file that is missing (removed
    meanwhile) is a 503, never an empty page."""
    path = storage.ensure_local(data_dir, dataset.file_path)
    try:
        raw = row_cache().read(path, offset=offset, limit=limit, columns=policy.releases)
    except FileNotFoundError:
        log.error("dataset file missing", dataset_id=str(dataset.id))
        raise StorageUnavailable() from None
    if raw.num_columns == 0:
        return raw  # nothing released, only how many rows (apply_policy needs a column for it)
    return apply_for(dataset, raw, policy, buyer_org_id=buyer_org_id, row_offset=offset)


def release_batches(
    dataset: Dataset,
    policy: Policy,
    *,
    buyer_org_id: uuid.UUID | None,
    data_dir: Path,
    batch_rows: int,
    columns: list[str] | None = None,
) -> Iterator[pa.Table]:
    """The whole dataset through `policy`, `batch_rows` rows at a time, in file order: what a
    bulk file, a shared table or a filtered scan streams, in memory bounded by one batch.

    Same guarantee as a page (`release_with`): only columns the policy releases are read
    (`columns`, when given, narrows them further and never widens them: a name the policy does
    not release is simply not read), and every batch is masked at its absolute row positions,
    so its values are exactly those the data API serves for the same rows and audience."""
    path = storage.ensure_local(data_dir, dataset.file_path)
    try:
        reader = pq.ParquetFile(path)
    except FileNotFoundError:
        log.error("dataset file missing", dataset_id=str(dataset.id))
        raise StorageUnavailable() from None
    with reader:
        wanted = [
            name
            for name in reader.schema_arrow.names
            if policy.releases(name) and (columns is None or name in columns)
        ]
        offset = 0
        for batch in reader.iter_batches(batch_size=batch_rows, columns=wanted):
            raw = pa.Table.from_batches([batch])
            if raw.num_columns:
                yield apply_for(dataset, raw, policy, buyer_org_id=buyer_org_id, row_offset=offset)
            else:
                yield raw
            offset += batch.num_rows


def apply_for(
    dataset: Dataset,
    table: pa.Table,
    policy: Policy,
    *,
    buyer_org_id: uuid.UUID | None,
    row_offset: int,
) -> pa.Table:
    """`table` (rows of `dataset` from `row_offset` on) through `policy` for one audience:
    pseudonyms under the audience's key, noise and date shifts under the dataset's cell key.
    Every release of rows goes through here, so no caller can key a cell per viewer. Keys are
    opened only when the policy needs them (a keyless policy serves even without them)."""
    return apply_policy(
        table,
        policy,
        key=release_key(dataset, buyer_org_id) if policy.audience_keyed else None,
        cell_key=cell_key(dataset) if policy.cell_keyed else None,
        row_offset=row_offset,
    )
