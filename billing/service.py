"""Plans: what a buyer can order on a listed dataset, priced by its provider.

Prices are integer minor units with a supported ISO 4217 currency. A free sample costs 0; every
other kind must cost more than 0 (a free pack would bypass the once-per-buyer free sample).

Plans follow the dataset's delivery mode (``listings.models.DeliveryMode``): a sandbox-only
dataset offers no plan that serves real rows (API quota packs, subscriptions; its free sample
serves synthetic rows), a rows-only dataset no sandbox pack. A provider who tries gets a
bilingual 400; a mode change that a plan still offered would contradict is refused (409).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlmodel import Session

from accounts.principal import Principal
from billing.models import Plan, PlanKind, QuotaUnit
from billing.money import validate_currency
from billing.repository import PlanRepository
from ground.config import get_settings
from ground.db import utcnow
from ground.errors import BadRequest, Conflict, NotFound
from listings import events
from listings import service as listings
from listings.models import Dataset, DeliveryMode

MAX_PRICE_MINOR = 10**13  # 100 billion yuan: anything above is a typo, not a price
MAX_UNITS = 10**12
ROW_PLANS = frozenset({PlanKind.api_quota, PlanKind.subscription})  # they serve real rows


def offered(mode: DeliveryMode, kind: PlanKind) -> bool:
    """Whether a dataset of delivery mode ``mode`` may offer plans of ``kind``. A free sample
    fits every mode: on a sandbox-only dataset it serves synthetic rows."""
    if kind in ROW_PLANS:
        return mode.offers_rows
    if kind is PlanKind.sandbox_pack:
        return mode.offers_sandbox
    return True


def _not_offered(mode: DeliveryMode, kind: PlanKind) -> tuple[str, str]:
    if kind is PlanKind.sandbox_pack:
        return (
            "This dataset is offered as masked rows only (delivery mode 'rows'): it has no "
            "sandbox, so it cannot offer a sandbox pack.",
            "该数据集的交付方式为“rows”（仅脱敏明细），不提供沙箱，不能设置沙箱套餐。",
        )
    return (
        f"This dataset is offered through the privacy sandbox only (delivery mode "
        f"'{mode}'): no plan may serve its rows. Offer sandbox packs, or a free sample "
        f"(synthetic rows).",
        f"该数据集仅通过隐私沙箱提供（交付方式“{mode}”），不能设置提供明细数据的套餐。"
        f"请设置沙箱套餐，或免费样例（合成数据）。",
    )


def check_offered(dataset: Dataset, kind: PlanKind) -> None:
    """The provider's plan must fit the dataset's delivery mode (bilingual 400)."""
    if not offered(dataset.delivery_mode, kind):
        raise BadRequest(*_not_offered(dataset.delivery_mode, kind))


def check_orderable(dataset: Dataset, plan: Plan) -> None:
    """An order's plan must fit the dataset's delivery mode (409): plans are checked when
    created and modes cannot change under a plan, so this only guards against old data."""
    if not offered(dataset.delivery_mode, plan.kind):
        raise Conflict(*_not_offered(dataset.delivery_mode, plan.kind))


def plans_for(
    session: Session, dataset_id: uuid.UUID, *, include_inactive: bool = False
) -> list[Plan]:
    return PlanRepository(session).of_dataset(dataset_id, include_inactive=include_inactive)


def get_plan(session: Session, dataset_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    plan = PlanRepository(session).get(plan_id)
    if plan is None or plan.dataset_id != dataset_id or not plan.is_active:
        raise NotFound("That plan is not offered on this dataset.", "该数据集没有提供此套餐。")
    return plan


def plan_by_id(session: Session, plan_id: uuid.UUID) -> Plan:
    plan = PlanRepository(session).get(plan_id)
    if plan is None:
        raise NotFound("Plan not found.", "套餐不存在。")
    return plan


def _bad(detail: str, detail_zh: str) -> BadRequest:
    return BadRequest(detail, detail_zh)


def _check_price(kind: PlanKind, price_minor: int, overage_minor: int | None) -> None:
    if price_minor < 0:
        raise _bad("A price cannot be negative.", "价格不能为负数。")
    if price_minor > MAX_PRICE_MINOR:
        raise _bad("That price is too large.", "价格过大。")
    if kind is PlanKind.free_sample and price_minor != 0:
        raise _bad("A free sample must cost 0.", "免费试用套餐的价格必须为 0。")
    if kind is not PlanKind.free_sample and price_minor == 0:
        raise _bad(
            "A paid plan must cost more than 0 (use a free sample for free access).",
            "付费套餐的价格必须大于 0（免费使用请设置免费试用套餐）。",
        )
    if overage_minor is not None:
        if overage_minor <= 0:
            raise _bad("An overage price must be more than 0.", "超额单价必须大于 0。")
        if kind not in (PlanKind.api_quota, PlanKind.subscription):
            raise _bad(
                "Only API quota packs and subscriptions can have an overage price.",
                "只有接口额度包和订阅套餐可以设置超额单价。",
            )


def _overage_limit(values: dict[str, Any]) -> int | None:
    """The plan's overage limit: given by the provider, or by default a share of the included
    quota (``SLUICE_OVERAGE_DEFAULT_LIMIT_PERCENT``); ``None`` without an overage price.

    The limit bounds what a buyer can owe at once (limit x price), so that product must stay a
    sane price too.
    """
    price, limit = values.get("overage_price_minor"), values.get("overage_limit_units")
    if price is None:
        if limit is not None:
            raise _bad(
                "An overage limit needs an overage price.", "设置超额上限前需先设置超额单价。"
            )
        return None
    if limit is None:
        limit = max(1, values["calls"] * get_settings().overage_default_limit_percent // 100)
    if not 0 < limit <= MAX_UNITS:
        raise _bad("An overage limit must be at least one unit.", "超额上限至少为一个单位。")
    if limit * price > MAX_PRICE_MINOR:
        raise _bad(
            "The overage limit times the overage price is too large.",
            "超额上限与超额单价之积过大。",
        )
    return int(limit)


def _check_shape(values: dict[str, Any]) -> None:
    """The plan's units, durations and privacy budget fit its kind (a bilingual 400 if not).
    Normalizes ``values`` in place: a sandbox pack counts queries, a subscription has a term
    (one month unless given) and no validity in days."""
    kind: PlanKind = values["kind"]
    units = values["calls"]
    if not 0 < units <= MAX_UNITS:
        raise _bad("A plan must grant at least one unit.", "套餐至少要包含一个单位的额度。")
    for name in ("valid_days", "term_months"):
        if values.get(name) is not None and not 0 < values[name] <= 3650:
            raise _bad(f"{name} must be between 1 and 3650.", f"{name} 必须在 1 到 3650 之间。")
    unit: QuotaUnit = values["quota_unit"]
    if kind is PlanKind.sandbox_pack:
        _check_privacy_budget(values)
    else:
        _check_no_privacy_budget(values, unit)
    _check_duration(kind, values)


def _check_privacy_budget(values: dict[str, Any]) -> None:
    """A sandbox pack carries a total ε in (0, 100] and δ in [0, 1), and counts queries."""
    eps, delta = values.get("epsilon"), values.get("delta")
    if eps is None or not math.isfinite(eps) or not 0 < eps <= 100:
        raise _bad(
            "A sandbox pack needs a total epsilon between 0 and 100.",
            "沙箱套餐需要 0 到 100 之间的总 ε。",
        )
    if delta is None or not math.isfinite(delta) or not 0 <= delta < 1:
        raise _bad(
            "A sandbox pack needs a total delta in [0, 1).", "沙箱套餐需要 [0, 1) 之间的总 δ。"
        )
    values["quota_unit"] = QuotaUnit.queries


def _check_no_privacy_budget(values: dict[str, Any], unit: QuotaUnit) -> None:
    """Other plans carry no privacy budget and do not sell sandbox queries."""
    if values.get("epsilon") is not None or values.get("delta") is not None:
        raise _bad("Only sandbox packs carry a privacy budget.", "只有沙箱套餐可以包含隐私预算。")
    if unit is QuotaUnit.queries:
        raise _bad(
            "Sandbox queries are sold in sandbox packs only.", "沙箱查询只能以沙箱套餐出售。"
        )


def _check_duration(kind: PlanKind, values: dict[str, Any]) -> None:
    """API quota packs expire after valid_days; only subscriptions have a term in months."""
    if kind is PlanKind.api_quota and values.get("valid_days") is None:
        raise _bad("An API quota pack needs valid_days.", "接口额度包需要设置有效天数。")
    if kind is PlanKind.subscription:
        values["term_months"] = values.get("term_months") or 1
        values["valid_days"] = None
    elif values.get("term_months") is not None:
        raise _bad("Only subscriptions have a term in months.", "只有订阅套餐才有按月的期限。")


def create_plan(
    session: Session, principal: Principal, dataset_id: uuid.UUID, values: dict[str, Any]
) -> Plan:
    """A new plan on one of the provider's datasets (listed or not yet)."""
    dataset = listings.get_owned(session, principal, dataset_id)
    values = dict(values)
    values["kind"] = PlanKind(values["kind"])
    values["quota_unit"] = QuotaUnit(values.get("quota_unit") or QuotaUnit.calls)
    values["currency"] = validate_currency(values.get("currency") or "CNY")
    check_offered(dataset, values["kind"])
    _check_shape(values)
    _check_price(values["kind"], values["price_minor"], values.get("overage_price_minor"))
    values["overage_limit_units"] = _overage_limit(values)
    plan = Plan(dataset_id=dataset.id, **values)
    session.add(plan)
    session.flush()
    return plan


def update_plan(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    plan_id: uuid.UUID,
    changes: dict[str, Any],
) -> Plan:
    """Change a plan's name, price or availability; placed orders keep their own price."""
    dataset = listings.get_owned(session, principal, dataset_id)
    plan = PlanRepository(session).get(plan_id)
    if plan is None or plan.dataset_id != dataset.id:
        raise NotFound("Plan not found.", "套餐不存在。")
    if changes.get("is_active") and not plan.is_active:
        check_offered(dataset, plan.kind)  # re-offering a plan the mode no longer allows
    if "currency" in changes and changes["currency"] is not None:
        changes["currency"] = validate_currency(changes["currency"])
    merged = {**plan.model_dump(), **{k: v for k, v in changes.items() if v is not None}}
    # Overage fields may be cleared with an explicit null; removing the price removes the limit,
    # and a new price without a limit gets the default one.
    overage_changed = {"overage_price_minor", "overage_limit_units"} & changes.keys()
    if "overage_price_minor" in changes:
        merged["overage_price_minor"] = changes["overage_price_minor"]
        if changes["overage_price_minor"] is None:
            merged["overage_limit_units"] = None
    if "overage_limit_units" in changes:
        merged["overage_limit_units"] = changes["overage_limit_units"]
    _check_price(plan.kind, merged["price_minor"], merged["overage_price_minor"])
    limit = _overage_limit(merged)
    for name in ("name", "description", "price_minor", "currency", "is_active"):
        if changes.get(name) is not None:
            setattr(plan, name, merged[name])
    if overage_changed:
        plan.overage_price_minor = merged["overage_price_minor"]
        plan.overage_limit_units = limit
    plan.updated_at = utcnow()
    session.add(plan)
    session.flush()
    return plan


def withdraw_plan(
    session: Session, principal: Principal, dataset_id: uuid.UUID, plan_id: uuid.UUID
) -> Plan:
    """Stop offering a plan. It is kept (orders refer to it) but can no longer be ordered."""
    return update_plan(session, principal, dataset_id, plan_id, {"is_active": False})


def create_free_plan(session: Session, event: events.DatasetListed) -> None:
    """Every listed dataset offers a free API-call sample unless the provider already priced it.

    On a sandbox-only dataset the sample is synthetic (the data API serves rows made from
    public metadata alone, ``listings.samples``), and its name says so.
    """
    dataset = event.dataset
    if plans_for(session, dataset.id, include_inactive=True):
        return
    calls = get_settings().free_plan_calls
    synthetic = dataset.delivery_mode is DeliveryMode.sandbox
    session.add(
        Plan(
            dataset_id=dataset.id,
            name=(
                f"Free synthetic sample: {calls:,} API calls / 免费合成样例 {calls:,} 次调用"
                if synthetic
                else f"Free sample: {calls:,} API calls / 免费试用 {calls:,} 次调用"
            ),
            description=(
                "Synthetic rows made from public metadata alone (schema, released form, "
                "declared public domains and bounds): no stored value. / "
                "由公开元数据（结构、发布形式、声明的公开取值域与取值范围）生成的合成数据，"
                "不含任何存储值。"
                if synthetic
                else ""
            ),
            kind=PlanKind.free_sample,
            calls=calls,
            quota_unit=QuotaUnit.calls,
            price_minor=0,
        )
    )
    session.flush()


def refuse_contradicted_plans(session: Session, event: events.DeliveryModeChanging) -> None:
    """A draft's plans are checked against a new delivery mode: a plan still offered that the
    new mode does not allow (an API quota pack on a dataset becoming sandbox-only) makes the
    change 409, naming the plans to withdraw first."""
    dataset, mode = event.dataset, event.mode
    contradicted = [p for p in plans_for(session, dataset.id) if not offered(mode, p.kind)]
    if contradicted:
        names = [p.name for p in contradicted]
        raise Conflict(
            f"Withdraw these plans first: the delivery mode '{mode}' does not allow them: "
            f"{', '.join(names)}.",
            f"请先下架以下套餐，交付方式“{mode}”不允许：{'、'.join(names)}。",
        )


def delete_plans(session: Session, event: events.DatasetDeleting) -> None:
    """A deleted dataset's plans go with it. Only datasets never listed are deleted, so no
    order names these plans; should one, the deletion fails on its foreign key (409)."""
    dataset = event.dataset
    for plan in plans_for(session, dataset.id, include_inactive=True):
        PlanRepository(session).delete(plan)
    session.flush()
