"""Plans: what a buyer can order on a listed dataset."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from billing.models import Plan, PlanKind
from listings import events
from listings.models import Dataset
from market.config import get_settings
from market.errors import NotFound


def plans_for(session: Session, dataset_id: uuid.UUID) -> list[Plan]:
    stmt = (
        select(Plan)
        .where(Plan.dataset_id == dataset_id, col(Plan.is_active))
        .order_by(col(Plan.price_minor), col(Plan.created_at))
    )
    return list(session.exec(stmt).all())


def get_plan(session: Session, dataset_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None or plan.dataset_id != dataset_id or not plan.is_active:
        raise NotFound("That plan is not offered on this dataset.", "该数据集没有提供此套餐。")
    return plan


@events.on_dataset_listed
def create_free_plan(session: Session, dataset: Dataset) -> None:
    """Every listed dataset offers a free API-quota sample plan (priced plans come later)."""
    if plans_for(session, dataset.id):
        return
    calls = get_settings().free_plan_calls
    session.add(
        Plan(
            dataset_id=dataset.id,
            name=f"Free sample: {calls:,} API calls / 免费试用 {calls:,} 次调用",
            kind=PlanKind.api_quota,
            calls=calls,
            price_minor=0,
        )
    )
    session.flush()
