"""Queries on the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from audit.models import AuditHead, AuditRecord

HEAD_ID = 1


@dataclass(frozen=True)
class AuditFilter:
    actor_user_id: uuid.UUID | None = None
    actor_org_id: uuid.UUID | None = None
    dataset_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[object]:
        found: list[object] = []
        if self.actor_user_id is not None:
            found.append(AuditRecord.actor_user_id == self.actor_user_id)
        if self.actor_org_id is not None:
            found.append(AuditRecord.actor_org_id == self.actor_org_id)
        if self.dataset_id is not None:
            found.append(AuditRecord.dataset_id == self.dataset_id)
        if self.action:
            # "listing" matches listing.approve and listing.reject; "listing.approve" only itself.
            found.append(
                (col(AuditRecord.action) == self.action)
                | col(AuditRecord.action).startswith(self.action.rstrip(".") + ".")
            )
        if self.since is not None:
            found.append(col(AuditRecord.at) >= self.since)
        if self.until is not None:
            found.append(col(AuditRecord.at) < self.until)
        return found


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> AuditHead:
        stmt = (
            select(AuditHead)
            .where(AuditHead.id == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        head = self.session.exec(stmt).first()
        if head is None:  # the migration creates it; a missing head means a broken install
            raise RuntimeError("audit_head row is missing: run `sluice db upgrade`")
        return head

    def head(self) -> AuditHead | None:
        return self.session.get(AuditHead, HEAD_ID, populate_existing=True)

    def append(self, records: list[AuditRecord]) -> None:
        """INSERT only: appending touches no shared row, so appends never wait on each other."""
        self.session.add_all(records)
        self.session.flush()

    def unsealed(self, *, limit: int, until: datetime | None = None) -> list[AuditRecord]:
        """The oldest committed records not chained yet (written at ``until`` or before, if
        given), in the order the sealer chains them."""
        stmt = select(AuditRecord).where(col(AuditRecord.seq).is_(None))
        if until is not None:
            stmt = stmt.where(col(AuditRecord.at) <= until)
        stmt = stmt.order_by(col(AuditRecord.at), col(AuditRecord.id)).limit(limit)
        return list(self.session.exec(stmt).all())

    def iter_unsealed(self, *, batch: int = 1000) -> Iterator[AuditRecord]:
        """Every record not chained yet, in sealing order, read in keyset batches."""
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            stmt = select(AuditRecord).where(col(AuditRecord.seq).is_(None))
            if after is not None:
                at, rid = after
                stmt = stmt.where(
                    (col(AuditRecord.at) > at)
                    | ((col(AuditRecord.at) == at) & (col(AuditRecord.id) > rid))
                )
            rows = self.session.exec(
                stmt.order_by(col(AuditRecord.at), col(AuditRecord.id))
                .limit(batch)
                .execution_options(populate_existing=True)
            ).all()
            if not rows:
                return
            yield from rows
            after = (rows[-1].at, rows[-1].id)

    def save_sealed(self, records: list[AuditRecord], head: AuditHead) -> None:
        self.session.add_all(records)
        self.session.add(head)
        self.session.flush()

    def by_seq(self, seq: int) -> AuditRecord | None:
        return self.session.exec(select(AuditRecord).where(AuditRecord.seq == seq)).first()

    def search(
        self, where: AuditFilter, *, limit: int, offset: int
    ) -> tuple[list[AuditRecord], int]:
        """Sealed records only: a record is shown once it has its place in the chain."""
        conditions = [col(AuditRecord.seq).is_not(None), *where.conditions()]
        total = self.session.exec(
            select(func.count()).select_from(AuditRecord).where(*conditions)  # type: ignore[arg-type]
        ).one()
        rows = self.session.exec(
            select(AuditRecord)
            .where(*conditions)  # type: ignore[arg-type]
            .order_by(col(AuditRecord.seq).desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def in_order(
        self, where: AuditFilter | None = None, *, batch: int = 1000
    ) -> Iterator[AuditRecord]:
        """Every record in chain order, read in keyset batches to bound memory."""
        conditions = where.conditions() if where else []
        after = 0
        while True:
            rows = self.session.exec(
                select(AuditRecord)
                .where(col(AuditRecord.seq) > after, *conditions)  # type: ignore[arg-type]
                .order_by(col(AuditRecord.seq))
                .limit(batch)
                # What is stored, never what this session remembers: verification reads these.
                .execution_options(populate_existing=True)
            ).all()
            if not rows:
                return
            yield from rows
            after = rows[-1].seq or after

    def counts_by_actor_org(self, action: str, since: datetime) -> dict[uuid.UUID, int]:
        stmt = (
            select(AuditRecord.actor_org_id, func.count())
            .where(
                AuditRecord.action == action,
                col(AuditRecord.at) >= since,
                col(AuditRecord.actor_org_id).is_not(None),
            )
            .group_by(col(AuditRecord.actor_org_id))
        )
        return {org: int(n) for org, n in self.session.exec(stmt) if org is not None}
