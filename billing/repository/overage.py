"""Queries on overage accounts and their invoices; the counters move only by conditional
UPDATEs, so the database enforces ``settled <= invoiced <= accrued`` and the limit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from billing.models import OverageAccount, OverageInvoice


class OverageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def account_of(self, entitlement_id: uuid.UUID) -> OverageAccount | None:
        """The entitlement's account as stored now (not as this session last saw it)."""
        stmt = (
            select(OverageAccount)
            .where(OverageAccount.entitlement_id == entitlement_id)
            .execution_options(populate_existing=True)
        )
        return self.session.exec(stmt).first()

    def accounts_of(self, entitlement_ids: list[uuid.UUID]) -> list[OverageAccount]:
        stmt = (
            select(OverageAccount)
            .where(col(OverageAccount.entitlement_id).in_(entitlement_ids))
            .execution_options(populate_existing=True)
        )
        return list(self.session.exec(stmt).all())

    def _update(self, account_id: uuid.UUID, *where: Any, **values: Any) -> bool:
        result = self.session.execute(
            update(OverageAccount)
            .where(col(OverageAccount.id) == account_id, *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def accrue_within_limit(self, account_id: uuid.UUID, units: int) -> bool:
        """Add ``units`` to accrued unless more than the limit would then be owed."""
        return self._update(
            account_id,
            col(OverageAccount.accrued_units) + units - col(OverageAccount.settled_units)
            <= col(OverageAccount.limit_units),
            accrued_units=OverageAccount.accrued_units + units,
        )

    def invoice_up_to(self, account_id: uuid.UUID, *, seen_invoiced: int, accrued: int) -> bool:
        """Set invoiced to ``accrued`` if it is still ``seen_invoiced`` (compare-and-set)."""
        return self._update(
            account_id,
            col(OverageAccount.invoiced_units) == seen_invoiced,
            invoiced_units=accrued,
        )

    def settle_units(self, account_id: uuid.UUID, units: int) -> bool:
        """Add ``units`` to settled unless that would settle more than was invoiced."""
        return self._update(
            account_id,
            col(OverageAccount.settled_units) + units <= col(OverageAccount.invoiced_units),
            settled_units=OverageAccount.settled_units + units,
        )

    def invoice_of_order(self, order_id: uuid.UUID) -> OverageInvoice | None:
        stmt = select(OverageInvoice).where(OverageInvoice.order_id == order_id)
        return self.session.exec(stmt).first()

    def invoice_with_entitlement(
        self, order_id: uuid.UUID
    ) -> tuple[OverageInvoice, uuid.UUID] | None:
        """The order's invoice and the entitlement its account belongs to."""
        row = self.session.exec(
            select(OverageInvoice, OverageAccount.entitlement_id)
            .join(OverageAccount, col(OverageAccount.id) == col(OverageInvoice.account_id))
            .where(OverageInvoice.order_id == order_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def entitlements_with_unbilled(self) -> list[uuid.UUID]:
        stmt = select(OverageAccount.entitlement_id).where(
            col(OverageAccount.accrued_units) > col(OverageAccount.invoiced_units)
        )
        return list(self.session.exec(stmt).all())

    def invoice_orders(self, account_id: uuid.UUID) -> list[uuid.UUID]:
        """The orders that billed this account's overage."""
        stmt = select(OverageInvoice.order_id).where(OverageInvoice.account_id == account_id)
        return list(self.session.exec(stmt).all())

    def owing(
        self,
        *,
        buyer_org_id: uuid.UUID | None = None,
        provider_org_id: uuid.UUID | None = None,
        dataset_id: uuid.UUID | None = None,
    ) -> list[OverageAccount]:
        """Accounts with overage owed (accrued and not settled) in the scope, oldest first."""
        where: list[ColumnElement[bool]] = [
            col(OverageAccount.accrued_units) > col(OverageAccount.settled_units)
        ]
        if buyer_org_id is not None:
            where.append(col(OverageAccount.buyer_org_id) == buyer_org_id)
        if provider_org_id is not None:
            where.append(col(OverageAccount.provider_org_id) == provider_org_id)
        if dataset_id is not None:
            where.append(col(OverageAccount.dataset_id) == dataset_id)
        stmt = (
            select(OverageAccount)
            .where(*where)
            .order_by(col(OverageAccount.created_at), col(OverageAccount.id))
            .execution_options(populate_existing=True)
        )
        return list(self.session.exec(stmt).all())
