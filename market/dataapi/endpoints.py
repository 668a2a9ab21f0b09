"""``GET /api/v1/data/{dataset_id}/rows``: masked rows, one quota unit per call."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, JsonValue

from accounts.dependencies import ApiKeyPrincipal
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from ground.openapi import error_responses
from ground.pagination import MAX_OFFSET
from market.dataapi import service

# The endpoint's thread commits (UnitOfWorkRoute): the charge's row lock is never held while
# the request waits for a worker thread.
router = APIRouter(tags=["data"], route_class=UnitOfWorkRoute)


class RowsPage(BaseModel):
    dataset_id: uuid.UUID
    columns: list[str]
    rows: list[dict[str, JsonValue]] = Field(
        description="Masked rows; integers beyond ±(2^53 − 1) and non-integral decimals are "
        "strings, so no JSON client rounds them (see listings.rows)"
    )
    limit: int
    offset: int
    total_rows: int = Field(
        description="Rows in the dataset; for a synthetic sample, rows in the sample"
    )
    synthetic: bool = Field(
        description="True: synthetic rows made from public metadata alone (the free sample of "
        "a dataset offered through the sandbox only), never stored values"
    )
    quota_remaining: int
    overage_units: int = Field(description="Units of this call charged past the quota")
    overage_minor: int = Field(description="What those units cost (the plan's currency)")


@router.get("/data/{dataset_id}/rows", response_model=RowsPage, responses=error_responses(429))
def read_rows(
    dataset_id: uuid.UUID,
    buyer: ApiKeyPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """Rows masked by the dataset's approved policy. Send the key as `X-API-Key`. A dataset
    offered through the sandbox only serves synthetic rows (`synthetic: true`), never its own.

    Each call uses one unit of quota (one per row on a per-row plan): 429 when it is used up,
    403 without an entitlement. A plan with an overage price serves calls past the quota and
    bills them afterwards, up to its overage limit (then 429)."""
    return service.read_rows(
        session,
        buyer,
        dataset_id,
        limit=limit,
        offset=offset,
        data_dir=settings.data_dir,
        key_use_interval_seconds=settings.api_key_last_used_interval_seconds,
    )
