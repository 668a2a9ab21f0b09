"""Overage: use past an entitlement's included quota, accrued, then invoiced and paid.

Why overage is invoiced rather than booked to the ledger call by call:

- The ledger books money that moved (a payment, a refund). An overage call moves no money: it
  creates a debt the buyer may pay by card or by bank transfer days later. Booking it per call
  would need receivable accounts and write-offs for the debts never paid, while the invoice
  path reuses the one road money already takes (order -> Stripe Checkout or bank transfer ->
  ``ledger.post_payment``), with its idempotent webhooks, refunds and audit records.
- The platform fee is split once on the invoice total (``money.split``), exact to the fen. Per
  call, a 3-fen price at 5% would round a 0.15-fen fee to 0 on every call and the platform
  would never collect it.
- A data API call stays one conditional UPDATE plus one usage row, not a journal transaction.

What a call accrues is exact all the same: each usage event carries the overage units and
their price (``usage_event.overage_minor``) at the account's price, so statements show accrued
overage per day and dataset before it is billed; the account's counters say what is billed and
what is paid.

Refunding a paid overage invoice gives the money back as a credit: its units stay settled, the
debt is not reopened (an operator who refunds it has decided the buyer owes nothing).

Invariants, enforced by the database: ``settled <= invoiced <= accrued`` and
``accrued - settled <= limit``: at most ``limit`` units are ever owed (billed or not), so a buyer
cannot run up unbounded debt, and paying an invoice makes room again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from billing import ledger
from billing.models import OverageAccount, OverageInvoice
from billing.repository import OverageRepository
from billing.schemas import OverageOwed
from ground.db import utcnow


def open_account(
    session: Session,
    *,
    entitlement_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID,
    provider_org_id: uuid.UUID,
    quota_unit: str,
    currency: str,
    unit_price_minor: int,
    limit_units: int,
) -> OverageAccount:
    """The overage account of a new entitlement, with the price and limit it was sold with."""
    account = OverageAccount(
        entitlement_id=entitlement_id,
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        provider_org_id=provider_org_id,
        quota_unit=quota_unit,
        currency=currency,
        unit_price_minor=unit_price_minor,
        limit_units=limit_units,
    )
    session.add(account)
    session.flush()
    return account


def account_of(session: Session, entitlement_id: uuid.UUID) -> OverageAccount | None:
    """The entitlement's account as stored now (not as this session last saw it)."""
    return OverageRepository(session).account_of(entitlement_id)


def accounts_of(
    session: Session, entitlement_ids: list[uuid.UUID]
) -> dict[uuid.UUID, OverageAccount]:
    if not entitlement_ids:
        return {}
    accounts = OverageRepository(session).accounts_of(entitlement_ids)
    return {a.entitlement_id: a for a in accounts}


def accrue(session: Session, account_id: uuid.UUID, units: int) -> bool:
    """Charge ``units`` of overage if the limit allows it: one conditional UPDATE.

    The database evaluates the limit on the current row (PostgreSQL re-checks it after waiting
    on a concurrent writer), so concurrent calls can never owe more than the limit; ``False``
    when the limit would be passed, and nothing is charged.
    """
    if units <= 0:
        raise ValueError("overage units must be positive")
    return OverageRepository(session).accrue_within_limit(account_id, units)


def claim_unbilled(session: Session, account: OverageAccount) -> int:
    """Mark everything accrued as invoiced, as of ``account`` (read fresh by the caller); how
    many units that is.

    A compare-and-set on the ``invoiced`` counter seen: two invoicers racing (the beat and a
    buyer's request) cannot bill the same units twice, the loser claims 0. Calls accruing
    meanwhile stay unbilled for the next invoice.
    """
    unbilled = account.accrued_units - account.invoiced_units
    if unbilled <= 0:
        return 0
    claimed = OverageRepository(session).invoice_up_to(
        account.id, seen_invoiced=account.invoiced_units, accrued=account.accrued_units
    )
    return unbilled if claimed else 0


def record_invoice(
    session: Session, account: OverageAccount, order_id: uuid.UUID, units: int
) -> OverageInvoice:
    invoice = OverageInvoice(
        account_id=account.id,
        order_id=order_id,
        units=units,
        unit_price_minor=account.unit_price_minor,
        amount_minor=units * account.unit_price_minor,
        currency=account.currency,
    )
    session.add(invoice)
    session.flush()
    return invoice


def invoice_of_order(session: Session, order_id: uuid.UUID) -> OverageInvoice | None:
    return OverageRepository(session).invoice_of_order(order_id)


@dataclass(frozen=True)
class InvoiceLine:
    """An overage invoice as its order shows it."""

    entitlement_id: uuid.UUID
    units: int
    unit_price_minor: int
    settled: bool


def invoice_line(session: Session, order_id: uuid.UUID) -> InvoiceLine | None:
    row = OverageRepository(session).invoice_with_entitlement(order_id)
    if row is None:
        return None
    invoice, entitlement_id = row
    return InvoiceLine(
        entitlement_id=entitlement_id,
        units=invoice.units,
        unit_price_minor=invoice.unit_price_minor,
        settled=invoice.settled_at is not None,
    )


def settle(session: Session, order_id: uuid.UUID) -> OverageInvoice | None:
    """The invoice's order was paid: its units are settled, which makes room under the limit.

    Idempotent (an invoice settles once); ``None`` if the order is not an overage invoice.
    """
    invoice = invoice_of_order(session, order_id)
    if invoice is None or invoice.settled_at is not None:
        return invoice
    if not OverageRepository(session).settle_units(invoice.account_id, invoice.units):
        raise AssertionError("settling more overage than was invoiced")  # never input
    invoice.settled_at = utcnow()
    session.add(invoice)
    session.flush()
    return invoice


def entitlements_with_unbilled(session: Session) -> list[uuid.UUID]:
    """Entitlements with overage accrued but not invoiced yet (the beat decides which are due)."""
    return OverageRepository(session).entitlements_with_unbilled()


def paid_minor(session: Session, account_id: uuid.UUID) -> int:
    """What the buyer paid for this account's invoices, less refunds (from the ledger)."""
    orders = OverageRepository(session).invoice_orders(account_id)
    return sum(ledger.paid_net(session, order_id) for order_id in orders)


def owed_of(account: OverageAccount) -> OverageOwed:
    """What one entitlement owes for overage now: billed or not, until it is paid."""
    return OverageOwed(
        entitlement_id=account.entitlement_id,
        dataset_id=account.dataset_id,
        buyer_org_id=account.buyer_org_id,
        quota_unit=account.quota_unit,
        currency=account.currency,
        unit_price_minor=account.unit_price_minor,
        limit_units=account.limit_units,
        accrued_units=account.accrued_units,
        unbilled_units=account.accrued_units - account.invoiced_units,
        unpaid_units=account.invoiced_units - account.settled_units,
        owed_minor=(account.accrued_units - account.settled_units) * account.unit_price_minor,
    )


def owed(
    session: Session,
    *,
    buyer_org_id: uuid.UUID | None = None,
    provider_org_id: uuid.UUID | None = None,
    dataset_id: uuid.UUID | None = None,
) -> list[OverageOwed]:
    """Every account with overage owed (accrued and not paid), in the given scope."""
    accounts = OverageRepository(session).owing(
        buyer_org_id=buyer_org_id, provider_org_id=provider_org_id, dataset_id=dataset_id
    )
    return [owed_of(a) for a in accounts]
