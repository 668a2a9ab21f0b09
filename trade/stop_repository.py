"""Queries on emergency stops, and the scope lock that orders a stop against new access.

The race a stop must win: a payment (or a free order, or a sandbox grant) that checks for a
stop, finds none, and creates an entitlement while a stop is being placed. Under READ
COMMITTED each would miss the other's uncommitted row (the stop's revocation would not see the
new entitlement, the payment would not see the new stop), leaving an active entitlement under
a standing stop. So both take a transaction-scoped lock on their scope first: a stop takes it
exclusively on the buyer organization and/or dataset it names, a door that grants access
takes it shared on the buyer and the dataset it grants. Whichever comes second waits for the
first to commit and then sees its row: the stop revokes the new entitlement, or the door finds
the stop and refuses.

On PostgreSQL the lock is an advisory lock keyed by the id (``pg_advisory_xact_lock``): it
touches no table, so it cannot block foreign-key checks or updates of the organization and
dataset rows, and it is released at commit or rollback. Keys are taken in ascending order, so
two stops, or a stop and a door, never wait for each other in a cycle. In the lock order of
``TradeRepository`` it comes after an order's row lock and before entitlements and sandbox
grants. SQLite needs none: every write transaction there begins with ``BEGIN IMMEDIATE``,
which already serializes them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, text
from sqlmodel import Session, col, func, select

from trade.models import EmergencyStop, StopStatus

_LOCK_NAMESPACE = b"sluice.emergency_stop:"


def scope_lock_key(scope_id: uuid.UUID) -> int:
    """The advisory lock key of a buyer organization's or a dataset's scope: a signed 64-bit
    integer derived from the id (a collision only makes two scopes queue together)."""
    digest = hashlib.sha256(_LOCK_NAMESPACE + scope_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def covering(buyer_org_id: uuid.UUID, dataset_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """The conditions of a standing stop that covers the buyer on the dataset (``dataset_id``
    None: a stop on the buyer as a whole), for ``standing_over`` and for queries that ask
    it as a part (the data API's check, ``TradeRepository.usable_entitlements``)."""
    on_dataset = (
        col(EmergencyStop.dataset_id).is_(None)
        if dataset_id is None
        else (col(EmergencyStop.dataset_id) == dataset_id) | col(EmergencyStop.dataset_id).is_(None)
    )
    return [
        col(EmergencyStop.lifted_at).is_(None),
        (col(EmergencyStop.buyer_org_id) == buyer_org_id)
        | col(EmergencyStop.buyer_org_id).is_(None),
        on_dataset,
    ]


class StopRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, stop: EmergencyStop) -> None:
        self.session.add(stop)
        self.session.flush()

    def lock_scope(self, scope_ids: Iterable[uuid.UUID | None], *, exclusive: bool) -> None:
        """Hold the scope lock of these ids until the unit of work ends (see the module)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        for key in sorted({scope_lock_key(i) for i in scope_ids if i is not None}):
            self.session.execute(text(f"SELECT {function}(:key)"), {"key": key})

    def standing_over(
        self, buyer_org_id: uuid.UUID, dataset_id: uuid.UUID | None
    ) -> EmergencyStop | None:
        """The oldest standing stop covering the buyer on the dataset (``dataset_id`` None: a
        stop on the buyer as a whole, whatever the dataset). One query on the partial index of
        standing stops."""
        stmt = (
            select(EmergencyStop)
            .where(*covering(buyer_org_id, dataset_id))
            .order_by(col(EmergencyStop.created_at), col(EmergencyStop.id))
            .limit(1)
        )
        return self.session.exec(stmt).first()

    def standing_exactly(
        self, buyer_org_id: uuid.UUID | None, dataset_id: uuid.UUID | None
    ) -> EmergencyStop | None:
        """A standing stop on exactly this scope (a second one would add nothing)."""
        stmt = select(EmergencyStop).where(
            col(EmergencyStop.lifted_at).is_(None),
            col(EmergencyStop.buyer_org_id).is_(None)
            if buyer_org_id is None
            else col(EmergencyStop.buyer_org_id) == buyer_org_id,
            col(EmergencyStop.dataset_id).is_(None)
            if dataset_id is None
            else col(EmergencyStop.dataset_id) == dataset_id,
        )
        return self.session.exec(stmt).first()

    def get(self, stop_id: uuid.UUID, *, for_update: bool = False) -> EmergencyStop | None:
        stmt = select(EmergencyStop).where(EmergencyStop.id == stop_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.exec(stmt).first()

    def search(
        self,
        *,
        status: StopStatus | None,
        buyer_org_id: uuid.UUID | None,
        dataset_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[list[EmergencyStop], int]:
        where: list[ColumnElement[bool]] = []
        if status is StopStatus.active:
            where.append(col(EmergencyStop.lifted_at).is_(None))
        elif status is StopStatus.lifted:
            where.append(col(EmergencyStop.lifted_at).is_not(None))
        if buyer_org_id is not None:
            where.append(col(EmergencyStop.buyer_org_id) == buyer_org_id)
        if dataset_id is not None:
            where.append(col(EmergencyStop.dataset_id) == dataset_id)
        total = self.session.exec(
            select(func.count()).select_from(EmergencyStop).where(*where)
        ).one()
        rows = self.session.exec(
            select(EmergencyStop)
            .where(*where)
            .order_by(col(EmergencyStop.created_at).desc(), col(EmergencyStop.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total
