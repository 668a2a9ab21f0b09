"""Plans offered on a dataset."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from billing import service
from billing.schemas import PlanRead
from listings import service as listings
from market.accounts.dependencies import CurrentPrincipal
from market.dependencies import SessionDep

router = APIRouter(tags=["billing"])


@router.get("/datasets/{dataset_id}/plans", response_model=list[PlanRead])
def list_plans(
    dataset_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[PlanRead]:
    """The plans a buyer can order on a dataset, cheapest first."""
    dataset = listings.get_visible(session, principal, dataset_id)
    return [PlanRead.model_validate(p.model_dump()) for p in service.plans_for(session, dataset.id)]
