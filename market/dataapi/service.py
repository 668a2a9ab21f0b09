"""Serving rows: charge the quota, then read through the approved masking policy."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlmodel import Session

from listings import service as listings
from market.accounts.models import Role
from market.accounts.principal import Principal
from market.errors import Forbidden
from market.trade import service as trade


def read_rows(
    session: Session,
    buyer: Principal,
    dataset_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    data_dir: Path,
) -> dict[str, Any]:
    """One call: one unit of quota, at most ``limit`` masked rows.

    The decrement and the read share the request's transaction: if reading fails the unit is
    given back by the rollback, and the buyer is never charged for rows they did not get.
    """
    if buyer.role is not Role.buyer:
        raise Forbidden("Only buyers' API keys can read data.", "只有买方的 API 密钥可以读取数据。")
    dataset = listings.get_listed(session, dataset_id)
    remaining = trade.consume_calls(session, buyer, dataset.id)
    table = listings.read_masked_rows(
        dataset, limit=limit, offset=offset, data_dir=data_dir, buyer_org_id=buyer.org_id
    )
    return {
        "dataset_id": dataset.id,
        "columns": table.column_names,
        "rows": table.to_pylist(),
        "limit": limit,
        "offset": offset,
        "total_rows": dataset.row_count,
        "quota_remaining": remaining,
    }
