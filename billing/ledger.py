"""The double-entry ledger: every money movement is one transaction whose entries sum to zero.

Accounts (positive = debit, negative = credit):
- ``payments_clearing``: cash the platform received from buyers (an asset, debit balance);
- ``platform_fee_revenue``: the platform's fee (credit balance);
- ``provider_payable``: what the platform owes each provider organization (credit balance).

A payment of P with fee F posts ``clearing +P, fee -F, payable(provider) -(P-F)``; a refund
posts the mirror image for the refunded part, with the fee returned computed on the cumulative
refunded amount (``money.refund_split``) so partial refunds never lose or invent a fen. Balances
are never stored: they are ``SUM(amount_minor)`` over entries.

Each transaction also says what the money paid for (``SaleCategory``: a plan, or an overage
invoice, see ``billing.overage``); a refund takes the category of the payment it reverses.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from billing import money
from billing.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    SaleCategory,
    TransactionKind,
)
from billing.repository import LedgerRepository


def _post(
    session: Session,
    *,
    kind: TransactionKind,
    category: SaleCategory,
    payment: Payment,
    dataset_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    provider_org_id: uuid.UUID,
    amount_minor: int,
    legs: list[tuple[LedgerAccount, uuid.UUID | None, int]],
    memo: str,
) -> LedgerTransaction:
    if sum(amount for _, _, amount in legs) != 0:
        raise AssertionError("unbalanced ledger transaction")  # a programming error, never input
    txn = LedgerTransaction(
        kind=kind,
        category=category,
        order_id=payment.order_id,
        payment_id=payment.id,
        dataset_id=dataset_id,
        buyer_org_id=buyer_org_id,
        provider_org_id=provider_org_id,
        currency=payment.currency,
        amount_minor=amount_minor,
        memo=memo[:500],
    )
    session.add(txn)
    session.flush()
    for account, org_id, amount in legs:
        session.add(
            LedgerEntry(
                transaction_id=txn.id,
                account=account,
                org_id=org_id,
                amount_minor=amount,
                currency=payment.currency,
            )
        )
    session.flush()
    return txn


def post_payment(
    session: Session,
    payment: Payment,
    *,
    dataset_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    provider_org_id: uuid.UUID,
    fee_bps: int,
    category: SaleCategory = SaleCategory.plan,
) -> LedgerTransaction:
    fee, provider_share = money.split(payment.amount_minor, fee_bps)
    return _post(
        session,
        kind=TransactionKind.payment,
        category=category,
        payment=payment,
        dataset_id=dataset_id,
        buyer_org_id=buyer_org_id,
        provider_org_id=provider_org_id,
        amount_minor=payment.amount_minor,
        legs=[
            (LedgerAccount.payments_clearing, buyer_org_id, payment.amount_minor),
            (LedgerAccount.platform_fee_revenue, None, -fee),
            (LedgerAccount.provider_payable, provider_org_id, -provider_share),
        ],
        memo=f"payment {payment.method} {payment.external_ref}",
    )


def refunded_total(session: Session, payment_id: uuid.UUID) -> int:
    return LedgerRepository(session).refunded_total(payment_id)


def payment_transaction(session: Session, payment: Payment) -> LedgerTransaction:
    """The payment's own transaction: what it paid for, and for whom."""
    return LedgerRepository(session).payment_transaction(payment)


def fee_taken(session: Session, payment: Payment) -> int:
    """The fee the payment was charged, read from its own entries.

    A later change of the platform fee setting must not change what a refund gives back, so the
    fee is not recomputed from settings: the refund reverses the fee actually taken.
    """
    return -LedgerRepository(session).fee_entry(payment)


def post_refund(
    session: Session,
    payment: Payment,
    refund_minor: int,
    *,
    dataset_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    provider_org_id: uuid.UUID,
    memo: str,
) -> LedgerTransaction:
    """Reverse ``refund_minor`` of a payment. The caller holds a lock on the order row and has
    checked ``refund_minor <= payment.amount_minor - refunded_total``."""
    before = refunded_total(session, payment.id)
    fee_back, provider_back = money.refund_split(
        payment.amount_minor, fee_taken(session, payment), before, refund_minor
    )
    return _post(
        session,
        kind=TransactionKind.refund,
        category=payment_transaction(session, payment).category,
        payment=payment,
        dataset_id=dataset_id,
        buyer_org_id=buyer_org_id,
        provider_org_id=provider_org_id,
        amount_minor=refund_minor,
        legs=[
            (LedgerAccount.payments_clearing, buyer_org_id, -refund_minor),
            (LedgerAccount.platform_fee_revenue, None, fee_back),
            (LedgerAccount.provider_payable, provider_org_id, provider_back),
        ],
        memo=memo,
    )


def _order_totals(session: Session, order_id: uuid.UUID) -> dict[TransactionKind, int]:
    return LedgerRepository(session).order_totals(order_id)


def paid_net(session: Session, order_id: uuid.UUID) -> int:
    """What the buyer paid for an order, less refunds."""
    totals = _order_totals(session, order_id)
    return totals.get(TransactionKind.payment, 0) - totals.get(TransactionKind.refund, 0)


def refunded_of_order(session: Session, order_id: uuid.UUID) -> int:
    """Everything refunded on an order so far (all its payments)."""
    return _order_totals(session, order_id).get(TransactionKind.refund, 0)


def balances(
    session: Session, *, org_id: uuid.UUID | None = None, until: datetime | None = None
) -> list[tuple[LedgerAccount, uuid.UUID | None, str, int]]:
    """Account balances derived from entries: ``(account, org, currency, balance)``."""
    return LedgerRepository(session).balances(org_id=org_id, until=until)


def unbalanced_transactions(session: Session) -> list[uuid.UUID]:
    """Transactions whose entries do not sum to zero: always empty, checked by the tests."""
    return LedgerRepository(session).unbalanced_transactions()
