"""Emergency stops that stand until compliance lifts them, and the one check every door makes.

An emergency stop (``revocation.emergency_stop``) revokes every active entitlement in its
scope (a buyer organization, a dataset, or a buyer on a dataset) and stays in force as an
``EmergencyStop`` row. While it stands, ``enforce`` refuses every way back into the scope with
a bilingual 403 (``EmergencyStopped``) and an audit record naming the stop and the door:

- new orders (``service.place_order``) and compliance's approval of one under review;
- checkout of an order placed before the stop, and its payment: a bank transfer is refused,
  a card payment Stripe captured anyway is not credited and is listed as a payment anomaly
  for an admin to refund (``payments``); the order stays unpaid;
- activation of any order (``service.activate``: the gate no entitlement can skip);
- new API keys for a stopped buyer (a gate on ``accounts.create_api_key``: its
  ``ApiKeyRequested`` event);
- data API calls with any key, even if an entitlement somehow were active
  (``service.check_access``);
- sandbox queries and dry runs, and sandbox budget grants and top-ups (a paid pack's too).

An overage invoice is not held back: it bills use made before the stop and grants nothing.

The check is one query on the partial index of standing stops (``StopRepository``), cheap
enough for every data API call. Doors that grant access take the scope lock first (shared; a
stop takes it exclusively), so a stop and a payment that interleave end either with the
entitlement revoked by the stop or with the payment refused, never with access under a
standing stop.

Lifting (``lift``, with a reason) ends the refusals only: entitlements the stop revoked and
sandbox budgets it ended stay ended, and access comes back through a new order.

The buyer's message names the stop (its id, scope and date) but not compliance's reason: that
is an internal note, and a stop on a dataset is shown to every buyer of the dataset.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from accounts import events as account_events
from accounts import service as accounts
from accounts.principal import Principal
from audit import service as audit
from ground.db import utcnow
from ground.errors import BadRequest, Conflict, Forbidden, NotFound
from listings import service as listings
from trade.models import EmergencyStop, Order, OrderKind, StopStatus
from trade.stop_repository import StopRepository

REFUSED = "entitlement.emergency_stop_refused"
LIFTED = "entitlement.emergency_stop_lifted"


class Door(StrEnum):
    """The ways into a scope a stop closes, as named in the refusal's audit record."""

    order = "order.place"
    order_approval = "order.approve"
    checkout = "order.checkout"
    activation = "order.activate"
    card_payment = "payment.stripe"
    bank_transfer = "payment.bank_transfer"
    api_key = "api_key.create"
    data_rows = "data.rows"
    sandbox_query = "sandbox.query"
    sandbox_grant = "sandbox.grant"


def _scope(stop: EmergencyStop) -> tuple[str, str]:
    if stop.buyer_org_id is not None and stop.dataset_id is not None:
        return "this buyer organization on this dataset", "该买方机构在该数据集上的访问"
    if stop.buyer_org_id is not None:
        return "this buyer organization", "该买方机构"
    return "this dataset", "该数据集"


class EmergencyStopped(Forbidden):
    """403: a standing emergency stop covers what was asked for."""

    def __init__(self, stop: EmergencyStop) -> None:
        scope, scope_zh = _scope(stop)
        since = f"{stop.created_at:%Y-%m-%d %H:%M} UTC"
        super().__init__(
            f"Refused: compliance placed emergency stop {stop.id} on {scope} on {since}; it "
            "stands until compliance lifts it. No order, payment, API key, data call or "
            "sandbox query is accepted in its scope meanwhile. This refusal is recorded in the "
            "audit log; quote the stop's id when you contact the platform.",
            f"已拒绝：合规人员已于 {since} 对{scope_zh}实施紧急停止（编号 {stop.id}），"
            "在合规人员解除之前持续有效；期间不受理该范围内的任何订单、付款、API 密钥、"
            "数据调用或沙箱查询。本次拒绝已记入审计日志，联系平台时请提供该编号。",
        )
        self.stop_id = stop.id


def enforce(
    session: Session,
    *,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID | None,
    door: Door,
    actor: Principal | None = None,
    actor_user_id: uuid.UUID | None = None,
    lock: bool = False,
    details: dict[str, Any] | None = None,
) -> None:
    """Refuse (``EmergencyStopped``, 403) if a standing stop covers the buyer on the dataset;
    ``dataset_id`` None asks about the buyer as a whole (a stop on one of its datasets does
    not count). The refusal is audited with the stop's id and the door, and the record
    survives the rollback of the refused request.

    ``lock``: take the scope lock (shared) first; doors that go on to create an entitlement or
    a sandbox budget pass it, so a stop placed meanwhile is either seen here or sees them.
    """
    repo = StopRepository(session)
    if lock:
        repo.lock_scope((buyer_org_id, dataset_id), exclusive=False)
    stop = repo.standing_over(buyer_org_id, dataset_id)
    if stop is None:
        return
    audit.record_refusal(
        session,
        REFUSED,
        actor=actor,
        actor_user_id=actor_user_id,
        dataset_id=dataset_id,
        subject_id=stop.id,
        details={
            "stop_id": str(stop.id),
            "door": door.value,
            "buyer_org_id": str(buyer_org_id),
            **(details or {}),
        },
    )
    raise EmergencyStopped(stop)


def enforce_for_order(
    session: Session,
    order: Order,
    *,
    door: Door,
    actor: Principal | None = None,
    actor_user_id: uuid.UUID | None = None,
    lock: bool = False,
) -> None:
    """``enforce`` for an order on its way to being paid or activated. An overage invoice
    passes: it bills use made before the stop and grants nothing."""
    if order.kind is OrderKind.overage:
        return
    enforce(
        session,
        buyer_org_id=order.buyer_org_id,
        dataset_id=order.dataset_id,
        door=door,
        actor=actor,
        actor_user_id=actor_user_id,
        lock=lock,
        details={"order_id": str(order.id)},
    )


def refuse_api_keys_while_stopped(session: Session, event: account_events.ApiKeyRequested) -> None:
    """No new API key for a buyer organization under a stop on the whole organization (a stop
    on one of its datasets leaves its keys useful for the others)."""
    principal = event.actor
    enforce(
        session, buyer_org_id=principal.org_id, dataset_id=None, door=Door.api_key, actor=principal
    )


def place(
    session: Session,
    reviewer: Principal,
    *,
    buyer_org_id: uuid.UUID | None,
    dataset_id: uuid.UUID | None,
    reason: str,
) -> EmergencyStop:
    """The standing record of a new stop, under the scope lock (held exclusively until the
    unit of work ends, so no door grants access in the scope meanwhile); the caller revokes
    what the scope holds. 409 if a stop on exactly this scope already stands."""
    if buyer_org_id is None and dataset_id is None:
        raise BadRequest(
            "Name a buyer organization, a dataset, or both.", "请指定买方机构、数据集或两者。"
        )
    if buyer_org_id is not None:
        accounts.get_organization(session, buyer_org_id)
    if dataset_id is not None:
        listings.get_dataset(session, dataset_id)
    repo = StopRepository(session)
    repo.lock_scope((buyer_org_id, dataset_id), exclusive=True)
    standing = repo.standing_exactly(buyer_org_id, dataset_id)
    if standing is not None:
        raise Conflict(
            f"Emergency stop {standing.id} already stands on this scope.",
            f"该范围已有生效中的紧急停止（编号 {standing.id}）。",
        )
    stop = EmergencyStop(
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        reason=reason,
        created_by_id=reviewer.user_id,
    )
    repo.add(stop)
    return stop


def lift(session: Session, reviewer: Principal, stop_id: uuid.UUID, reason: str) -> EmergencyStop:
    """Lift a standing stop: the doors open again. What it revoked stays revoked (a revoked
    entitlement or an ended sandbox budget never comes back); the buyer orders anew. 409 if it
    was lifted already; the reason is required and audited."""
    reason = reason.strip()
    if not reason:
        raise BadRequest("Give the reason for lifting the stop.", "请填写解除紧急停止的理由。")
    stop = StopRepository(session).get(stop_id, for_update=True)
    if stop is None:
        raise NotFound("Emergency stop not found.", "紧急停止记录不存在。")
    if stop.lifted_at is not None:
        raise Conflict(
            f"This emergency stop was lifted on {stop.lifted_at:%Y-%m-%d %H:%M} UTC.",
            f"该紧急停止已于 {stop.lifted_at:%Y-%m-%d %H:%M} (UTC) 解除。",
        )
    stop.lifted_at = utcnow()
    stop.lifted_by_id = reviewer.user_id
    stop.lift_reason = reason
    StopRepository(session).add(stop)
    audit.record(
        session,
        LIFTED,
        actor=reviewer,
        dataset_id=stop.dataset_id,
        subject_id=stop.id,
        details={
            "stop_id": str(stop.id),
            "buyer_org_id": str(stop.buyer_org_id) if stop.buyer_org_id else None,
            "reason": reason,
        },
    )
    return stop


def get_stop(session: Session, stop_id: uuid.UUID) -> EmergencyStop:
    stop = StopRepository(session).get(stop_id)
    if stop is None:
        raise NotFound("Emergency stop not found.", "紧急停止记录不存在。")
    return stop


def list_stops(
    session: Session,
    *,
    status: StopStatus | None = None,
    buyer_org_id: uuid.UUID | None = None,
    dataset_id: uuid.UUID | None = None,
    limit: int,
    offset: int,
) -> tuple[list[EmergencyStop], int]:
    """Stops, newest first, filtered by status (standing or lifted), buyer and dataset."""
    return StopRepository(session).search(
        status=status, buyer_org_id=buyer_org_id, dataset_id=dataset_id, limit=limit, offset=offset
    )
