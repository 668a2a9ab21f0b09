"""Queries on sandbox tables, including the locked read of a grant and its ledger balance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from sandbox.models import (
    LedgerKind,
    PrivacyLedgerEntry,
    QueryStatus,
    SandboxAllotment,
    SandboxGrant,
    SandboxProfile,
    SandboxQuery,
)


@dataclass(frozen=True)
class Balance:
    """Sums over a grant's (or one allotment's) ledger (units of ``anonymize.accountant``)."""

    epsilon_used: int  # reserved or committed, i.e. no longer available
    delta_used: int
    queries: int  # reservations made, less those released (a query that never ran costs none)


NOTHING_SPENT = Balance(0, 0, 0)


def _sums() -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """ε, δ and queries spent, as aggregates over privacy ledger rows."""
    queries = case(
        (col(PrivacyLedgerEntry.kind) == LedgerKind.reserve, 1),
        (col(PrivacyLedgerEntry.kind) == LedgerKind.release, -1),
        else_=0,
    )
    return (
        func.coalesce(func.sum(PrivacyLedgerEntry.epsilon_units), 0),
        func.coalesce(func.sum(PrivacyLedgerEntry.delta_units), 0),
        func.coalesce(func.sum(queries), 0),
    )


def _still_valid(
    table: type[SandboxGrant] | type[SandboxAllotment], now: datetime
) -> ColumnElement[bool]:
    """Rows without an end, or ending after ``now``."""
    return or_(col(table.valid_until).is_(None), col(table.valid_until) > now)


class SandboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        obj: SandboxProfile | SandboxGrant | SandboxAllotment | SandboxQuery | PrivacyLedgerEntry,
    ) -> None:
        self.session.add(obj)
        self.session.flush()

    def profile(self, dataset_id: uuid.UUID, *, for_update: bool = False) -> SandboxProfile | None:
        stmt = select(SandboxProfile).where(SandboxProfile.dataset_id == dataset_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.exec(stmt).first()

    def grant_of(
        self, org_id: uuid.UUID, dataset_id: uuid.UUID, *, for_update: bool = False
    ) -> SandboxGrant | None:
        stmt = select(SandboxGrant).where(
            SandboxGrant.buyer_org_id == org_id, SandboxGrant.dataset_id == dataset_id
        )
        if for_update:
            # The row lock serializes reservations on one grant (PostgreSQL); SQLite's
            # BEGIN IMMEDIATE already serializes writers. Reading the ledger after the lock is
            # granted sees every reservation committed before it (READ COMMITTED).
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.exec(stmt).first()

    def grant(self, grant_id: uuid.UUID) -> SandboxGrant | None:
        return self.session.get(SandboxGrant, grant_id)

    def grants(
        self, *, org_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[SandboxGrant], int]:
        where = [] if org_id is None else [SandboxGrant.buyer_org_id == org_id]
        total = self.session.exec(
            select(func.count()).select_from(SandboxGrant).where(*where)
        ).one()
        rows = self.session.exec(
            select(SandboxGrant)
            .where(*where)
            .order_by(col(SandboxGrant.created_at).desc(), col(SandboxGrant.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def balance(self, grant_id: uuid.UUID) -> Balance:
        eps, delta, count = self.session.execute(
            sa_select(*_sums()).where(col(PrivacyLedgerEntry.grant_id) == grant_id)
        ).one()
        return Balance(int(eps), int(delta), int(count))

    def allotments(self, grant_id: uuid.UUID) -> list[SandboxAllotment]:
        """A grant's allotments, oldest first (the order queries are charged to them)."""
        stmt = (
            select(SandboxAllotment)
            .where(SandboxAllotment.grant_id == grant_id)
            .order_by(col(SandboxAllotment.created_at), col(SandboxAllotment.id))
            .execution_options(populate_existing=True)
        )
        return list(self.session.exec(stmt).all())

    def allotment(self, allotment_id: uuid.UUID) -> SandboxAllotment | None:
        return self.session.get(SandboxAllotment, allotment_id)

    def allotment_of(self, entitlement_id: uuid.UUID) -> SandboxAllotment | None:
        stmt = select(SandboxAllotment).where(SandboxAllotment.entitlement_id == entitlement_id)
        return self.session.exec(stmt.execution_options(populate_existing=True)).first()

    def lock_grants(
        self, *, buyer_org_id: uuid.UUID | None, dataset_id: uuid.UUID | None
    ) -> list[uuid.UUID]:
        """Lock the grants of a buyer, on a dataset, or both, in ascending id; their ids."""
        scope = []
        if buyer_org_id is not None:
            scope.append(col(SandboxGrant.buyer_org_id) == buyer_org_id)
        if dataset_id is not None:
            scope.append(col(SandboxGrant.dataset_id) == dataset_id)
        stmt = select(SandboxGrant.id).where(*scope).order_by(col(SandboxGrant.id))
        return list(self.session.exec(stmt.with_for_update()).all())

    def end_grants(self, grant_ids: list[uuid.UUID], now: datetime) -> None:
        """End these grants and all their allotments at ``now`` (validity set to it); those
        already ended keep their end."""
        self.session.execute(
            update(SandboxGrant)
            .where(col(SandboxGrant.id).in_(grant_ids), _still_valid(SandboxGrant, now))
            .values(valid_until=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(SandboxAllotment)
            .where(
                col(SandboxAllotment.grant_id).in_(grant_ids), _still_valid(SandboxAllotment, now)
            )
            .values(valid_until=now)
            .execution_options(synchronize_session=False)
        )

    def lock_grant_of_pack(self, entitlement_id: uuid.UUID) -> SandboxGrant | None:
        """Lock the grant holding the allotment an entitlement (a sandbox pack) brought;
        ``None`` when it brought none."""
        stmt = (
            select(SandboxGrant)
            .join(SandboxAllotment, col(SandboxAllotment.grant_id) == col(SandboxGrant.id))
            .where(col(SandboxAllotment.entitlement_id) == entitlement_id)
            .with_for_update(of=SandboxGrant)
        )
        return self.session.exec(stmt).first()

    def end_allotment_of(self, entitlement_id: uuid.UUID, now: datetime) -> None:
        """End the allotment an entitlement brought at ``now``, unless it already ended."""
        self.session.execute(
            update(SandboxAllotment)
            .where(
                col(SandboxAllotment.entitlement_id) == entitlement_id,
                _still_valid(SandboxAllotment, now),
            )
            .values(valid_until=now)
            .execution_options(synchronize_session=False)
        )

    def reserved_allotment(self, query_id: uuid.UUID) -> uuid.UUID:
        """The allotment a query was charged to: the one its reservation names."""
        stmt = select(PrivacyLedgerEntry.allotment_id).where(
            PrivacyLedgerEntry.query_id == query_id,
            PrivacyLedgerEntry.kind == LedgerKind.reserve,
        )
        return self.session.exec(stmt).one()

    def spent_by_allotment(self, grant_id: uuid.UUID) -> dict[uuid.UUID, Balance]:
        """What each allotment of a grant has spent, in one grouped query (absent: nothing)."""
        stmt = (
            sa_select(col(PrivacyLedgerEntry.allotment_id), *_sums())
            .where(col(PrivacyLedgerEntry.grant_id) == grant_id)
            .group_by(col(PrivacyLedgerEntry.allotment_id))
        )
        return {
            allotment: Balance(int(eps), int(delta), int(count))
            for allotment, eps, delta, count in self.session.execute(stmt).all()
        }

    def stored_answer(self, grant_id: uuid.UUID, fingerprint: str) -> SandboxQuery | None:
        stmt = (
            select(SandboxQuery)
            .where(
                SandboxQuery.grant_id == grant_id,
                SandboxQuery.fingerprint == fingerprint,
                SandboxQuery.status == QueryStatus.succeeded,
            )
            .order_by(col(SandboxQuery.created_at))
        )
        return self.session.exec(stmt).first()

    def query(self, query_id: uuid.UUID, *, for_update: bool = False) -> SandboxQuery | None:
        stmt = select(SandboxQuery).where(SandboxQuery.id == query_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.exec(stmt).first()

    def queries(
        self, *, org_id: uuid.UUID | None, dataset_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[SandboxQuery], int]:
        where = []
        if org_id is not None:
            where.append(SandboxQuery.buyer_org_id == org_id)
        if dataset_id is not None:
            where.append(SandboxQuery.dataset_id == dataset_id)
        total = self.session.exec(
            select(func.count()).select_from(SandboxQuery).where(*where)
        ).one()
        rows = self.session.exec(
            select(SandboxQuery)
            .where(*where)
            .order_by(col(SandboxQuery.created_at).desc(), col(SandboxQuery.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def ledger(
        self, *, org_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[PrivacyLedgerEntry], int]:
        base = select(PrivacyLedgerEntry)
        count = select(func.count()).select_from(PrivacyLedgerEntry)
        if org_id is not None:
            join = col(SandboxGrant.id) == col(PrivacyLedgerEntry.grant_id)
            base = base.join(SandboxGrant, join).where(SandboxGrant.buyer_org_id == org_id)
            count = count.join(SandboxGrant, join).where(SandboxGrant.buyer_org_id == org_id)
        total = self.session.exec(count).one()
        rows = self.session.exec(
            base.order_by(col(PrivacyLedgerEntry.created_at).desc(), col(PrivacyLedgerEntry.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total
