"""Queries on the ledger: what a payment was charged and refunded, an order's totals,
balances, and the month sums of a provider's statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from billing.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    TransactionKind,
)


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def refunded_total(self, payment_id: uuid.UUID) -> int:
        stmt = select(func.coalesce(func.sum(LedgerTransaction.amount_minor), 0)).where(
            LedgerTransaction.payment_id == payment_id,
            LedgerTransaction.kind == TransactionKind.refund,
        )
        return int(self.session.exec(stmt).one())

    def payment_transaction(self, payment: Payment) -> LedgerTransaction:
        stmt = select(LedgerTransaction).where(
            LedgerTransaction.payment_id == payment.id,
            LedgerTransaction.kind == TransactionKind.payment,
        )
        return self.session.exec(stmt).one()

    def fee_entry(self, payment: Payment) -> int:
        """The platform fee entry of the payment's own transaction (a credit: negative)."""
        stmt = (
            select(LedgerEntry.amount_minor)
            .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
            .where(
                LedgerTransaction.payment_id == payment.id,
                LedgerTransaction.kind == TransactionKind.payment,
                LedgerEntry.account == LedgerAccount.platform_fee_revenue,
            )
        )
        return int(self.session.exec(stmt).one())

    def order_totals(self, order_id: uuid.UUID) -> dict[TransactionKind, int]:
        rows = self.session.exec(
            select(LedgerTransaction.kind, func.sum(LedgerTransaction.amount_minor))
            .where(LedgerTransaction.order_id == order_id)
            .group_by(col(LedgerTransaction.kind))
        ).all()
        return {TransactionKind(kind): int(total) for kind, total in rows}

    def balances(
        self, *, org_id: uuid.UUID | None = None, until: datetime | None = None
    ) -> list[tuple[LedgerAccount, uuid.UUID | None, str, int]]:
        stmt = select(
            LedgerEntry.account,
            LedgerEntry.org_id,
            LedgerEntry.currency,
            func.sum(LedgerEntry.amount_minor),
        ).join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
        if org_id is not None:
            stmt = stmt.where(LedgerEntry.org_id == org_id)
        if until is not None:
            stmt = stmt.where(col(LedgerTransaction.created_at) < until)
        stmt = stmt.group_by(
            col(LedgerEntry.account), col(LedgerEntry.org_id), col(LedgerEntry.currency)
        ).order_by(col(LedgerEntry.account), col(LedgerEntry.currency))
        return [
            (LedgerAccount(account), org, currency, int(total))
            for account, org, currency, total in self.session.exec(stmt).all()
        ]

    def unbalanced_transactions(self) -> list[uuid.UUID]:
        stmt = (
            select(LedgerEntry.transaction_id)
            .group_by(col(LedgerEntry.transaction_id))
            .having(func.sum(LedgerEntry.amount_minor) != 0)
        )
        return list(self.session.exec(stmt).all())

    # --- a provider's month ---

    @staticmethod
    def _in_month(provider_org_id: uuid.UUID, start: datetime, end: datetime) -> tuple[Any, ...]:
        return (
            col(LedgerTransaction.provider_org_id) == provider_org_id,
            col(LedgerTransaction.created_at) >= start,
            col(LedgerTransaction.created_at) < end,
        )

    def month_sales(
        self, provider_org_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Any]:
        """``(dataset, currency, kind, category, count, amount)`` of the provider's
        transactions in ``[start, end)``."""
        return self.session.execute(
            sa_select(
                col(LedgerTransaction.dataset_id),
                col(LedgerTransaction.currency),
                col(LedgerTransaction.kind),
                col(LedgerTransaction.category),
                func.count(),
                func.sum(LedgerTransaction.amount_minor),
            )
            .where(*self._in_month(provider_org_id, start, end))
            .group_by(
                col(LedgerTransaction.dataset_id),
                col(LedgerTransaction.currency),
                col(LedgerTransaction.kind),
                col(LedgerTransaction.category),
            )
        ).all()

    def month_earnings(
        self, provider_org_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Any]:
        """``(dataset, currency, account, category, amount)``: the fee and provider-payable
        entries of the provider's transactions in ``[start, end)`` (credits, negative)."""
        return self.session.execute(
            sa_select(
                col(LedgerTransaction.dataset_id),
                col(LedgerEntry.currency),
                col(LedgerEntry.account),
                col(LedgerTransaction.category),
                func.sum(LedgerEntry.amount_minor),
            )
            .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
            .where(
                *self._in_month(provider_org_id, start, end),
                col(LedgerEntry.account).in_(
                    [LedgerAccount.platform_fee_revenue, LedgerAccount.provider_payable]
                ),
            )
            .group_by(
                col(LedgerTransaction.dataset_id),
                col(LedgerEntry.currency),
                col(LedgerEntry.account),
                col(LedgerTransaction.category),
            )
        ).all()
