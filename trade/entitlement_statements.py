"""The buyer's statement per entitlement: money, quota, privacy budget and overage as one
model.

Use comes from the usage events metered on the entitlement: data API calls, and sandbox
queries charged to a sandbox pack's budget (``sandbox.allotments``). For a sandbox pack the
quota is its number of queries and ε is summed in the accountant's exact units, so "used" and
"left" add up to what was paid for (less refunds). A query still running is not in it yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from accounts.principal import Principal
from anonymize import accountant
from billing import ledger, metering
from billing import overage as overage_accounts
from billing.models import OverageAccount
from ground.errors import NotFound
from trade import service
from trade.models import Entitlement
from trade.repository import TradeRepository
from trade.schemas import EntitlementStatement


def _statement(
    session: Session, entitlement: Entitlement, account: OverageAccount | None
) -> EntitlementStatement:
    order = TradeRepository(session).order(entitlement.order_id)
    assert order is not None
    used = metering.usage_of_entitlement(session, entitlement.id)
    eps_used = accountant.epsilon_to_units(used.epsilon)
    eps_left = (
        None
        if entitlement.epsilon_total is None
        else accountant.epsilon_from_units(
            max(accountant.epsilon_to_units(entitlement.epsilon_total) - eps_used, 0)
        )
    )
    return EntitlementStatement(
        entitlement_id=entitlement.id,
        order_id=order.id,
        dataset_id=entitlement.dataset_id,
        status=entitlement.status,
        currency=order.currency,
        paid_minor=ledger.paid_net(session, order.id),
        quota_unit=entitlement.quota_unit,
        quota_total=entitlement.quota_total,
        quota_remaining=service.quota_left(entitlement, used.units),
        calls_used=used.calls,
        units_used=used.units,
        rows_used=used.rows,
        epsilon_total=entitlement.epsilon_total,
        epsilon_used=accountant.epsilon_from_units(eps_used),
        epsilon_left=eps_left,
        delta_total=entitlement.delta_total,
        delta_used=used.delta,
        valid_until=entitlement.valid_until,
        period_ends_at=entitlement.period_ends_at,
        **_overage(session, account),
    )


def _overage(session: Session, account: OverageAccount | None) -> dict[str, Any]:
    if account is None:
        return {}
    owed = overage_accounts.owed_of(account)
    return {
        "overage_price_minor": account.unit_price_minor,
        "overage_limit_units": account.limit_units,
        "overage_units": account.accrued_units,
        "overage_unbilled_units": owed.unbilled_units,
        "overage_unpaid_units": owed.unpaid_units,
        "overage_owed_minor": owed.owed_minor,
        "overage_paid_minor": overage_accounts.paid_minor(session, account.id),
    }


def entitlement_statements(
    session: Session, buyer: Principal, *, limit: int, offset: int
) -> tuple[list[EntitlementStatement], int]:
    rows, total = TradeRepository(session).entitlements_of(buyer.org_id, limit=limit, offset=offset)
    accounts = overage_accounts.accounts_of(session, [e.id for e in rows])
    return [_statement(session, e, accounts.get(e.id)) for e in rows], total


def entitlement_statement(
    session: Session, buyer: Principal, entitlement_id: uuid.UUID
) -> EntitlementStatement:
    entitlement = TradeRepository(session).entitlement(entitlement_id)
    if entitlement is None or entitlement.buyer_org_id != buyer.org_id:
        raise NotFound("Entitlement not found.", "授权不存在。")
    return _statement(session, entitlement, overage_accounts.account_of(session, entitlement.id))
