"""Orders, entitlements and quota: no trade without a usage scenario, no call beyond the quota
paid for, and no order that skips a state (see ``trade.states``)."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from billing import overage as overage_accounts
from billing import service as billing
from billing.models import OverageAccount, Plan, PlanKind, QuotaUnit
from ground.config import get_settings
from ground.db import utcnow
from ground.errors import Conflict, Forbidden, NotFound, QuotaExhausted
from ground.events import publish
from listings import service as listings
from listings.grading import requires_trade_review
from trade import events, quota_overage, states, stops
from trade.models import (
    Entitlement,
    EntitlementStatus,
    Order,
    OrderKind,
    OrderStatus,
    OrderTransition,
)
from trade.repository import TradeRepository

S = OrderStatus


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, clamped to the month's last day (Jan 31 + 1 =
    Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def place_order(
    session: Session,
    buyer: Principal,
    *,
    dataset_id: uuid.UUID,
    plan_id: uuid.UUID,
    usage_scenario: str,
) -> tuple[Order, Entitlement | None]:
    """Order a plan on a listed dataset.

    Orders on datasets graded "important" or above wait in ``pending_review`` for compliance;
    others await payment. A free plan needs no payment: it is active at once (after review
    where review is required), and each organization may take it once.
    """
    dataset = listings.get_listed(session, dataset_id)
    stops.enforce(
        session,
        buyer_org_id=buyer.org_id,
        dataset_id=dataset.id,
        door=stops.Door.order,
        actor=buyer,
    )
    plan = billing.get_plan(session, dataset.id, plan_id)
    billing.check_orderable(dataset, plan)
    repo = TradeRepository(session)
    if plan.is_free and repo.has_live_order_for_plan(buyer.org_id, plan.id):
        raise Conflict(
            "Your organization has already taken this free plan.",
            "贵机构已领取过该免费套餐。",
        )
    order = Order(
        buyer_org_id=buyer.org_id,
        buyer_user_id=buyer.user_id,
        dataset_id=dataset.id,
        plan_id=plan.id,
        usage_scenario=usage_scenario.strip(),
        status=S.pending_review if requires_trade_review(dataset) else S.awaiting_payment,
        price_minor=plan.price_minor,
        currency=plan.currency,
    )
    repo.add(order)
    states.record_creation(session, order, buyer.user_id)
    entitlement = None
    if order.status is S.awaiting_payment and plan.is_free:
        entitlement = settle_free(session, order, plan, actor_id=buyer.user_id)
    return order, entitlement


def settle_free(
    session: Session, order: Order, plan: Plan, *, actor_id: uuid.UUID | None
) -> Entitlement:
    """A free order goes through ``paid`` (nothing to pay) to ``active`` like any other."""
    states.transition(session, order, S.paid, actor_id=actor_id, reason="free plan")
    return activate(session, order, actor_id=actor_id)


def granted_quota(plan: Plan, order: Order) -> int:
    """The quota an order grants: the plan's, lowered by compliance's condition if any."""
    return plan.calls if order.max_quota is None else min(plan.calls, order.max_quota)


def activate(session: Session, order: Order, *, actor_id: uuid.UUID | None) -> Entitlement:
    """``paid -> active``: grant the entitlement the plan describes, from now. Refused
    (``stops.EmergencyStopped``) under a standing emergency stop: every way to an entitlement
    passes here, under the stop's scope lock."""
    states.check(order, S.active)
    stops.enforce_for_order(
        session, order, door=stops.Door.activation, actor_user_id=actor_id, lock=True
    )
    plan = billing.plan_by_id(session, order.plan_id)
    now = utcnow()
    # The usage scenario is approved for a limited time; the plan and compliance's conditions
    # may shorten it further.
    valid_until = now + timedelta(days=get_settings().scenario_valid_days)
    period_ends_at: datetime | None = None
    if plan.kind is PlanKind.subscription:
        valid_until = min(valid_until, add_months(now, plan.term_months or 1))
        period_ends_at = min(add_months(now, 1), valid_until)
    elif plan.valid_days:
        valid_until = min(valid_until, now + timedelta(days=plan.valid_days))
    if order.max_valid_days is not None:
        valid_until = min(valid_until, now + timedelta(days=order.max_valid_days))
        if period_ends_at is not None:
            period_ends_at = min(period_ends_at, valid_until)
    quota = granted_quota(plan, order)
    entitlement = Entitlement(
        order_id=order.id,
        buyer_org_id=order.buyer_org_id,
        dataset_id=order.dataset_id,
        usage_scenario=order.usage_scenario,
        quota_unit=plan.quota_unit,
        quota_total=quota,
        quota_remaining=quota,
        epsilon_total=plan.epsilon,
        delta_total=plan.delta,
        valid_until=valid_until,
        period_ends_at=period_ends_at,
    )
    TradeRepository(session).add(entitlement)
    # Compliance's quota condition is a ceiling on what the buyer may use: no overage past it.
    if plan.overage_price_minor is not None and order.max_quota is None:
        overage_accounts.open_account(
            session,
            entitlement_id=entitlement.id,
            buyer_org_id=order.buyer_org_id,
            dataset_id=order.dataset_id,
            provider_org_id=listings.get_dataset(session, order.dataset_id).provider_org_id,
            quota_unit=plan.quota_unit,
            currency=order.currency,
            unit_price_minor=plan.overage_price_minor,
            limit_units=plan.overage_limit_units or 0,
        )
    states.transition(session, order, S.active, actor_id=actor_id, reason="entitlement granted")
    if plan.kind is PlanKind.sandbox_pack:
        publish(
            session,
            events.SandboxPackActivated(
                order_id=order.id,
                entitlement_id=entitlement.id,
                buyer_org_id=order.buyer_org_id,
                dataset_id=order.dataset_id,
                epsilon=float(plan.epsilon or 0.0),
                delta=float(plan.delta or 0.0),
                queries=quota,
                valid_until=valid_until,
            ),
        )
    return entitlement


def get_order(session: Session, buyer: Principal, order_id: uuid.UUID) -> Order:
    order = TradeRepository(session).order(order_id)
    if order is None or order.buyer_org_id != buyer.org_id:
        raise NotFound("Order not found.", "订单不存在。")
    return order


def order_history(session: Session, buyer: Principal, order_id: uuid.UUID) -> list[OrderTransition]:
    """The order's states, oldest first, with the reasons given (a reviewer's note, a payment
    reference): what the buyer is shown to explain where the order stands."""
    order = get_order(session, buyer, order_id)
    return TradeRepository(session).transitions(order.id)


def get_any_order(session: Session, order_id: uuid.UUID, *, for_update: bool = False) -> Order:
    """For staff and webhooks; ``for_update`` locks the row until the unit of work ends."""
    order = TradeRepository(session).order(order_id, for_update=for_update)
    if order is None:
        raise NotFound("Order not found.", "订单不存在。")
    return order


def list_orders(
    session: Session, buyer: Principal, *, limit: int, offset: int
) -> tuple[list[Order], int]:
    return TradeRepository(session).orders(org_id=buyer.org_id, limit=limit, offset=offset)


def review_queue(session: Session, *, limit: int, offset: int) -> tuple[list[Order], int]:
    return TradeRepository(session).orders(statuses=[S.pending_review], limit=limit, offset=offset)


def entitlements(
    session: Session,
    *,
    buyer_org_id: uuid.UUID | None = None,
    dataset_id: uuid.UUID | None = None,
    status: EntitlementStatus | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Entitlement], int]:
    """Entitlements of any buyer, newest first, for staff: what a revocation or an emergency
    stop would end (filter by buyer organization, dataset and status)."""
    return TradeRepository(session).entitlements(
        buyer_org_id=buyer_org_id, dataset_id=dataset_id, status=status, limit=limit, offset=offset
    )


def approve_order(
    session: Session,
    reviewer: Principal,
    order_id: uuid.UUID,
    note: str,
    *,
    max_quota: int | None = None,
    max_valid_days: int | None = None,
) -> tuple[Order, Entitlement | None]:
    """Compliance lets an order on a graded dataset proceed to payment (or, if free, activate),
    optionally with conditions: a lower quota or a shorter duration than the plan's."""
    order = get_any_order(session, order_id, for_update=True)
    stops.enforce_for_order(session, order, door=stops.Door.order_approval, actor=reviewer)
    order.max_quota, order.max_valid_days = max_quota, max_valid_days
    if max_quota is not None or max_valid_days is not None:
        audit.record(
            session,
            "order.conditions",
            actor=reviewer,
            dataset_id=order.dataset_id,
            subject_id=order.id,
            details={"max_quota": max_quota, "max_valid_days": max_valid_days, "note": note},
        )
    states.transition(
        session, order, S.awaiting_payment, actor_id=reviewer.user_id, reason=note or "approved"
    )
    entitlement = None
    if order.price_minor == 0:
        plan = billing.plan_by_id(session, order.plan_id)
        entitlement = settle_free(session, order, plan, actor_id=reviewer.user_id)
    return order, entitlement


def reject_order(session: Session, reviewer: Principal, order_id: uuid.UUID, note: str) -> Order:
    order = get_any_order(session, order_id, for_update=True)
    if order.status is not S.pending_review:
        states.check(order, S.awaiting_payment)  # raises: only orders under review are rejected
    return states.transition(
        session, order, S.cancelled, actor_id=reviewer.user_id, reason=f"rejected: {note}"
    )


def cancel_order(session: Session, buyer: Principal, order_id: uuid.UUID) -> Order:
    """The buyer withdraws an order that has not been paid (an overage invoice bills use
    already made: it cannot be withdrawn)."""
    order = get_order(session, buyer, order_id)
    order = get_any_order(session, order.id, for_update=True)
    if order.kind is OrderKind.overage:
        raise Conflict(
            "An overage invoice bills calls already made; it cannot be cancelled.",
            "超额账单对应已发生的调用，不能取消。",
        )
    return states.transition(
        session, order, S.cancelled, actor_id=buyer.user_id, reason="cancelled by the buyer"
    )


def entitlement_of(session: Session, order: Order) -> Entitlement | None:
    return TradeRepository(session).entitlement_of_order(order.id)


def end_entitlement(session: Session, order: Order, status: EntitlementStatus) -> None:
    """End the order's entitlement if it is still active; the caller holds the order's lock
    (orders before entitlements, see ``TradeRepository``)."""
    entitlement = entitlement_of(session, order)
    if entitlement is not None and TradeRepository(session).end_if_active(entitlement.id, status):
        session.refresh(entitlement)


@dataclass(frozen=True)
class Charge:
    entitlement_id: uuid.UUID
    units: int
    remaining: int
    usage_scenario: str
    # Of ``units``, those past the included quota, their price and its currency.
    overage_units: int = 0
    overage_minor: int = 0
    currency: str | None = None


DATA_API_UNITS = (QuotaUnit.calls.value, QuotaUnit.rows.value)

_QUOTA_EXHAUSTED = (
    "Your API quota on this dataset is used up; order more to continue.",
    "该数据集的调用额度已用完，请续购后继续使用。",
)


@dataclass(frozen=True)
class Usable:
    """An entitlement that may pay for a data API call, as read before the call (no lock)."""

    entitlement_id: uuid.UUID
    quota_unit: str
    quota_remaining: int

    def units(self, rows: int) -> int:
        """What a call returning ``rows`` rows costs on it."""
        return 1 if self.quota_unit == QuotaUnit.calls else rows


def check_access(
    session: Session, buyer: Principal, dataset_id: uuid.UUID, *, rows: int = 0
) -> list[Usable]:
    """Whether the buyer may be served a call returning ``rows`` rows, by plain SELECTs (no
    lock, no write): the entitlements that could pay for it, oldest first. ``charge`` then
    takes the units, after the rows are read, and may still refuse (the quota ran out
    meanwhile).

    Raises ``stops.EmergencyStopped`` (403) under a standing emergency stop, whatever
    entitlements exist; ``Forbidden`` without a usable entitlement and ``QuotaExhausted`` (429)
    when none has enough left and none may charge overage, ``OverageLimitReached`` (429) when
    overage was possible but is at its limit.
    """
    found = TradeRepository(session).usable_entitlements(
        buyer.org_id, dataset_id, utcnow(), DATA_API_UNITS
    )
    if not found or any(stopped for *_, stopped in found):
        # A stop revokes the entitlements it covers: without any, ask about stops on their own.
        stops.enforce(
            session,
            buyer_org_id=buyer.org_id,
            dataset_id=dataset_id,
            door=stops.Door.data_rows,
            actor=buyer,
            details={"api_key_id": str(buyer.api_key_id) if buyer.api_key_id else None},
        )
    candidates = [Usable(i, u, r) for i, u, r, _ in found]
    if not candidates:
        raise Forbidden(
            "Your organization has no active entitlement on this dataset; order a plan first.",
            "贵机构对该数据集没有有效授权，请先订购套餐。",
        )
    if any(c.quota_remaining >= c.units(rows) for c in candidates):
        return candidates
    at_limit: OverageAccount | None = None
    for c in candidates:
        outcome = quota_overage.room(session, c.entitlement_id, c.units(rows), c.quota_remaining)
        if outcome is True:
            return candidates
        at_limit = at_limit or (outcome or None)
    if at_limit is not None:
        raise quota_overage.limit_reached(at_limit)
    raise QuotaExhausted(*_QUOTA_EXHAUSTED)


def charge(session: Session, candidates: list[Usable], *, rows: int = 0) -> Charge:
    """Charge one data API call returning ``rows`` rows to the first of ``candidates`` (from
    ``check_access``) that can pay: one unit on a per-call entitlement, ``rows`` units on a
    per-row one.

    First the included quotas, each attempt one conditional UPDATE evaluated by the database on
    the current row, so concurrent calls never oversell and the row is locked only from the
    UPDATE to the commit. When none can cover the call, the oldest entitlement with an overage
    price and room under its overage limit takes it (what is left of its quota first, the rest
    as overage; see ``trade.quota_overage``). ``QuotaExhausted`` or ``OverageLimitReached``
    (429) when none can pay any more: the caller serves nothing then.
    """
    repo = TradeRepository(session)
    now = utcnow()
    for c in candidates:
        taken = repo.take_quota(c.entitlement_id, c.units(rows), now)
        if taken is not None:
            remaining, scenario = taken
            return Charge(
                entitlement_id=c.entitlement_id,
                units=c.units(rows),
                remaining=remaining,
                usage_scenario=scenario,
            )
    at_limit: OverageAccount | None = None
    for c in candidates:
        outcome = quota_overage.charge(session, c.entitlement_id, c.units(rows), now)
        if isinstance(outcome, quota_overage.OverageCharge):
            return Charge(
                entitlement_id=c.entitlement_id,
                units=c.units(rows),
                remaining=outcome.remaining,
                usage_scenario=outcome.usage_scenario,
                overage_units=outcome.overage,
                overage_minor=outcome.overage_minor,
                currency=outcome.currency if outcome.overage else None,
            )
        at_limit = at_limit or outcome
    if at_limit is not None:
        raise quota_overage.limit_reached(at_limit)
    raise QuotaExhausted(*_QUOTA_EXHAUSTED)


def consume(session: Session, buyer: Principal, dataset_id: uuid.UUID, *, rows: int = 0) -> Charge:
    """``check_access`` then ``charge`` at once: a call charged before anything is read."""
    return charge(session, check_access(session, buyer, dataset_id, rows=rows), rows=rows)


@dataclass(frozen=True)
class Housekeeping:
    expired: int
    reset: int
    invoiced: int = 0


def expire_and_reset(
    session: Session, now: datetime | None = None, batch: int = 500
) -> Housekeeping:
    """End access past validity (entitlement expired, order ``active -> expired``), refill
    subscriptions whose period ended (billing the period's overage first), and bill the overage
    of entitlements that ended. Safe to run concurrently and repeatedly."""
    now = now or utcnow()
    repo = TradeRepository(session)
    expired = 0
    for entitlement in repo.past_validity(now, batch):
        # The order's lock first, then the entitlement (the lock order of TradeRepository): a
        # refund of the same order does the same, so the two queue instead of deadlocking.
        order = get_any_order(session, entitlement.order_id, for_update=True)
        if not repo.end_if_active(entitlement.id, EntitlementStatus.expired, valid_until_by=now):
            continue  # ended meanwhile (refunded, revoked, or by a concurrent run)
        if order.status is S.active:
            states.transition(session, order, S.expired, reason="validity ended")
        expired += 1
    reset = invoiced = 0
    for entitlement in repo.due_for_reset(now, batch):
        assert entitlement.period_ends_at is not None
        nxt = _next_period_end(entitlement, now)
        invoiced += quota_overage.close_period(session, entitlement)
        if repo.reset_period(entitlement.id, entitlement.period_ends_at, nxt):
            reset += 1
    invoiced += quota_overage.invoice_ended(session, now)
    session.flush()
    return Housekeeping(expired=expired, reset=reset, invoiced=invoiced)


def _next_period_end(entitlement: Entitlement, now: datetime) -> datetime:
    # Periods are anchored on the activation time, so a late run does not shift later periods.
    months = 1
    while (end := add_months(entitlement.created_at, months)) <= now:
        months += 1
    if entitlement.valid_until is not None:
        end = min(end, entitlement.valid_until)
    return end


def order_counts_by_status(session: Session) -> dict[str, int]:
    return TradeRepository(session).order_counts_by_status()


def quota_left(entitlement: Entitlement, units_used: int) -> int:
    """What is left of an entitlement's quota, given the units metered on it.

    Data API quotas are decremented as calls are charged (``quota_remaining``). A sandbox
    pack's queries are counted by the sandbox's privacy ledger instead (where its ε is
    reserved, under the grant's lock), so its queries left are those paid for (less refunds)
    minus those metered.
    """
    if entitlement.quota_unit == QuotaUnit.queries:
        return max(entitlement.quota_total - units_used, 0)
    return entitlement.quota_remaining


def entitlements_on(session: Session, dataset_ids: list[uuid.UUID]) -> list[Entitlement]:
    """Every entitlement granted on these datasets, newest first (the provider's report)."""
    return TradeRepository(session).entitlements_on(dataset_ids)


def scenario_of(session: Session, entitlement_id: uuid.UUID) -> str | None:
    """The usage scenario an entitlement was granted for (named in the audit record of each
    sandbox query charged to it)."""
    entitlement = TradeRepository(session).entitlement(entitlement_id)
    return None if entitlement is None else entitlement.usage_scenario


def current_scenario(
    session: Session, buyer_org_id: uuid.UUID, dataset_id: uuid.UUID
) -> str | None:
    """The usage scenario of the buyer's newest active entitlement on the dataset, named in
    the audit record of each sandbox query it runs."""
    return TradeRepository(session).current_scenario(buyer_org_id, dataset_id, utcnow())
