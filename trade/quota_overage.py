"""Overage on entitlements: calls past the included quota, charged within a limit and billed
as orders the buyer pays like any other (see ``billing.overage`` for why it is invoiced).

- Charging: when the quota cannot cover a call, the entitlement's row is locked, what is left
  of the quota is used first and the rest is accrued as overage by a conditional UPDATE that
  the database checks against the limit. Past the limit the call gets 429.
- Billing: unbilled overage becomes an order of kind ``overage`` (``awaiting_payment``, no
  review: the usage scenario was approved with the entitlement) when a subscription's month
  ends, when an entitlement ends (both by the ``trade.reset_quotas`` beat), or when the buyer
  asks for it (``POST /entitlements/{id}/overage-invoice``), e.g. to make room under the limit.
- Settling: paying that order (Stripe or bank transfer) posts it to the ledger as overage and
  settles its units; the order stays ``paid`` (there is nothing to activate).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from billing import money
from billing import overage as accounts
from billing.models import OverageAccount
from ground.errors import Conflict, NotFound, QuotaExhausted
from trade import states
from trade.models import Entitlement, Order, OrderKind, OrderStatus
from trade.repository import TradeRepository

INVOICE_BATCH = 500


class OverageLimitReached(QuotaExhausted):
    """The quota is used up and the entitlement owes as much overage as its limit allows."""


@dataclass(frozen=True)
class OverageCharge:
    included: int  # units taken from the quota
    overage: int  # units charged past it
    overage_minor: int
    currency: str
    remaining: int
    usage_scenario: str


def charge(
    session: Session, entitlement_id: uuid.UUID, units: int, now: datetime
) -> OverageCharge | OverageAccount | None:
    """Charge ``units`` partly to the quota left and the rest as overage.

    ``None`` if the entitlement has no overage (or is no longer usable); its account if the
    overage limit would be passed (nothing is charged then).
    """
    account = accounts.account_of(session, entitlement_id)
    if account is None or account.limit_units == 0:
        return None
    repo = TradeRepository(session)
    # The lock makes "what is left" and the split one decision; the limit itself is checked by
    # the database in the accrual's conditional UPDATE.
    locked = repo.lock_usable(entitlement_id, now)
    if locked is None:
        return None
    remaining, scenario = locked
    included = min(remaining, units)
    over = units - included
    if over and not accounts.accrue(session, account.id, over):
        return accounts.account_of(session, entitlement_id) or account  # as it is now
    left = remaining - included
    if included and not repo.set_remaining(entitlement_id, seen=remaining, new=left):
        raise AssertionError("the quota changed under a row lock")  # never input
    return OverageCharge(
        included=included,
        overage=over,
        overage_minor=over * account.unit_price_minor,
        currency=account.currency,
        remaining=left,
        usage_scenario=scenario,
    )


def room(
    session: Session, entitlement_id: uuid.UUID, units: int, remaining: int
) -> OverageAccount | bool:
    """Read-only: whether overage could pay for ``units`` with ``remaining`` of the quota left
    (``True``), the account if it is at its limit, ``False`` if the entitlement has no
    overage. An answer as of now: ``charge`` decides under the row lock."""
    account = accounts.account_of(session, entitlement_id)
    if account is None or account.limit_units == 0:
        return False
    over = units - min(max(remaining, 0), units)
    owed = account.accrued_units - account.settled_units
    return True if owed + over <= account.limit_units else account


def limit_reached(account: OverageAccount) -> OverageLimitReached:
    units = account.accrued_units - account.settled_units
    amount = money.format_minor(accounts.owed_of(account).owed_minor, account.currency)
    return OverageLimitReached(
        f"Your quota on this dataset is used up and its overage limit is reached: {units} "
        f"{account.quota_unit} ({amount}) are owed, the limit is {account.limit_units}. Pay the "
        f"overage invoice (POST /api/v1/entitlements/{account.entitlement_id}/overage-invoice, "
        "then pay that order) or order more.",
        f"该数据集的额度已用完，超额使用也已达上限：已欠 {units} 个单位（{amount}），上限为 "
        f"{account.limit_units}。请支付超额账单或续购后继续使用。",
    )


# --- invoicing -------------------------------------------------------------------------------


def invoice(
    session: Session, entitlement_id: uuid.UUID, *, actor_id: uuid.UUID | None, reason: str
) -> Order | None:
    """Bill the entitlement's unbilled overage as an order awaiting payment (``None`` if there
    is nothing to bill). The entitlement's row is locked first, so no call accrues between the
    count and the bill: a period closes exactly."""
    if accounts.account_of(session, entitlement_id) is None:
        return None  # no overage on this entitlement: nothing to lock
    repo = TradeRepository(session)
    entitlement = repo.lock(entitlement_id)
    account = accounts.account_of(session, entitlement_id)  # as it is once the lock is held
    if entitlement is None or account is None:
        return None
    units = accounts.claim_unbilled(session, account)
    if units == 0:
        return None
    purchase = repo.order(entitlement.order_id)
    assert purchase is not None
    order = Order(
        kind=OrderKind.overage,
        buyer_org_id=entitlement.buyer_org_id,
        buyer_user_id=purchase.buyer_user_id,
        dataset_id=entitlement.dataset_id,
        plan_id=purchase.plan_id,
        usage_scenario=entitlement.usage_scenario,
        status=OrderStatus.awaiting_payment,
        price_minor=units * account.unit_price_minor,
        currency=account.currency,
    )
    repo.add(order)
    states.record_creation(session, order, actor_id)
    line = accounts.record_invoice(session, account, order.id, units)
    audit.record(
        session,
        "overage.invoiced",
        actor=None,
        actor_user_id=actor_id,
        dataset_id=order.dataset_id,
        subject_id=order.id,
        details={
            "entitlement_id": str(entitlement_id),
            "units": units,
            "unit_price_minor": line.unit_price_minor,
            "amount_minor": line.amount_minor,
            "currency": line.currency,
            "reason": reason,
        },
    )
    return order


def request_invoice(session: Session, buyer: Principal, entitlement_id: uuid.UUID) -> Order:
    """The buyer asks to be billed now for the overage not billed yet."""
    entitlement = TradeRepository(session).entitlement(entitlement_id)
    if entitlement is None or entitlement.buyer_org_id != buyer.org_id:
        raise NotFound("Entitlement not found.", "授权不存在。")
    if accounts.account_of(session, entitlement_id) is None:
        raise Conflict(
            "This entitlement's plan has no overage price: there is nothing to invoice.",
            "该授权的套餐没有超额单价，无需开具超额账单。",
        )
    order = invoice(session, entitlement_id, actor_id=buyer.user_id, reason="requested by buyer")
    if order is None:
        raise Conflict(
            "There is no unbilled overage on this entitlement.",
            "该授权没有未开账单的超额使用。",
        )
    return order


def invoice_ended(session: Session, now: datetime) -> int:
    """Bill the unbilled overage of entitlements that ended (expired, revoked, refunded)."""
    repo = TradeRepository(session)
    pending: Sequence[uuid.UUID] = accounts.entitlements_with_unbilled(session)
    billed = 0
    for start in range(0, len(pending), INVOICE_BATCH):
        for entitlement in repo.ended_among(pending[start : start + INVOICE_BATCH], now):
            if invoice(session, entitlement.id, actor_id=None, reason="entitlement ended"):
                billed += 1
    return billed


def close_period(session: Session, entitlement: Entitlement) -> bool:
    """A subscription's month ended: bill its overage before the quota is refilled."""
    return invoice(session, entitlement.id, actor_id=None, reason="period ended") is not None


# --- settling --------------------------------------------------------------------------------


def settle(session: Session, order: Order, *, actor_id: uuid.UUID | None) -> None:
    """The overage order was paid: its units no longer count against the limit."""
    line = accounts.settle(session, order.id)
    if line is None:
        raise AssertionError("an overage order without its invoice")  # never input
    audit.record(
        session,
        "overage.settled",
        actor=None,
        actor_user_id=actor_id,
        dataset_id=order.dataset_id,
        subject_id=order.id,
        details={
            "units": line.units,
            "amount_minor": line.amount_minor,
            "currency": line.currency,
        },
    )
