"""Serving rows: check, read and mask, then charge the quota and meter the call.

The order is what keeps concurrent calls from queueing on one row (or on SQLite's write lock)
for the length of a read: everything up to the masked rows is plain reads, and the writes (the
quota's conditional decrement, the usage event, the key's last use, the audit record) come
last, just before the endpoint's thread commits (``ground.dependencies.UnitOfWorkRoute``). The
entitlement's row lock, and SQLite's write lock, are held only from the charge to that commit.

A dataset offered through the sandbox only never has its file read here: whatever entitlement
the caller holds (only free samples can exist on such a dataset: row plans are refused when
created and the mode cannot change once listed), the call is served the dataset's synthetic
sample (``listings.samples``), made from public metadata alone and labelled
``synthetic: true``; ``total_rows`` is then the sample's size, not the dataset's.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from accounts.principal import Principal
from audit import service as audit
from billing import metering
from billing.models import UsageKind
from ground.config import get_settings
from ground.errors import Forbidden
from ground.ops import metrics
from listings import samples
from listings import service as listings
from listings.models import Dataset, DeliveryMode
from listings.rows import json_rows
from trade import service as trade


def read_rows(
    session: Session,
    buyer: Principal,
    dataset_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    data_dir: Path,
    key_use_interval_seconds: int | None = None,
) -> dict[str, Any]:
    """One call: one unit of a per-call quota (or one unit per row of a per-row quota), at most
    ``limit`` masked rows, and one usage event. Past the quota, an entitlement with an overage
    price charges the units as overage (within its limit), and the usage event says so.

    Order: read-only checks (the dataset is listed, an entitlement could pay: 403/404/429 as
    before), then the rows are read and masked with no lock held, then the charge. If the
    quota ran out meanwhile the charge answers 429 and nothing is served; if reading fails
    nothing is charged. The charge, the usage event and the audit record share one
    transaction, so a charged call is always metered and audited, and never otherwise.
    """
    if buyer.role is not Role.buyer:
        raise Forbidden("Only buyers' API keys can read data.", "只有买方的 API 密钥可以读取数据。")
    dataset = listings.get_listed(session, dataset_id)
    synthetic = dataset.delivery_mode is DeliveryMode.sandbox
    total = samples.SAMPLE_ROWS if synthetic else dataset.row_count
    rows = max(0, min(limit, total - offset))
    candidates = trade.check_access(session, buyer, dataset.id, rows=rows)
    table = _read(session, dataset, buyer, limit=limit, offset=offset, data_dir=data_dir)
    served = json_rows(table)
    # The writes, last: from here to the commit the entitlement's row is locked.
    charge = trade.charge(session, candidates, rows=rows)
    metering.record_usage(
        session,
        buyer_org_id=buyer.org_id,
        dataset_id=dataset.id,
        provider_org_id=dataset.provider_org_id,
        kind=UsageKind.api_call,
        units=charge.units,
        rows=table.num_rows,
        entitlement_id=charge.entitlement_id,
        user_id=buyer.user_id,
        api_key_id=buyer.api_key_id,
        overage_units=charge.overage_units,
        overage_minor=charge.overage_minor,
        currency=charge.currency,
    )
    if key_use_interval_seconds is None:
        key_use_interval_seconds = get_settings().api_key_last_used_interval_seconds
    accounts.note_api_key_use(session, buyer, interval_seconds=key_use_interval_seconds)
    audit.record(
        session,
        "data.rows",
        actor=buyer,
        dataset_id=dataset.id,
        subject_id=charge.entitlement_id,
        details={
            "api_key_id": str(buyer.api_key_id) if buyer.api_key_id else None,
            "rows_returned": table.num_rows,
            "limit": limit,
            "offset": offset,
            "units": charge.units,
            "quota_remaining": charge.remaining,
            "overage_units": charge.overage_units,
            "overage_minor": charge.overage_minor,
            "currency": charge.currency,
            "usage_scenario": charge.usage_scenario,
            "synthetic": synthetic,
        },
    )
    metrics.rows_served(table.num_rows)
    return {
        "dataset_id": dataset.id,
        "columns": table.column_names,
        "rows": served,
        "limit": limit,
        "offset": offset,
        "total_rows": total,
        "synthetic": synthetic,
        "quota_remaining": charge.remaining,
        "overage_units": charge.overage_units,
        "overage_minor": charge.overage_minor,
    }


def _read(
    session: Session,
    dataset: Dataset,
    buyer: Principal,
    *,
    limit: int,
    offset: int,
    data_dir: Path,
) -> pa.Table:
    """Masked rows of a dataset that offers rows; the synthetic sample of a sandbox-only one
    (its file is never opened)."""
    if dataset.delivery_mode is DeliveryMode.sandbox:
        return samples.synthetic_rows(session, dataset, limit=limit, offset=offset)
    return listings.read_masked_rows(
        dataset, limit=limit, offset=offset, data_dir=data_dir, buyer_org_id=buyer.org_id
    )
