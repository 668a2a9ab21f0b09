"""How the sandbox reacts to other domains' events (subscribed by ``market.shell.wiring``).

- A paid sandbox pack grants its privacy budget as an allotment of its own, valid as long as
  the entitlement; a handler that raises rolls the activation back, so an order is never
  active without its budget. Queries charged to that allotment are metered on the entitlement.
- A refunded sandbox pack (in part or in full) takes back its share of its own allotment,
  keeping what was already spent on it (``service.withdraw_budget``).
- An emergency stop ends the matching grants and their allotments at once (their validity is
  set to now), so the next query is refused like an expired one, and a pack bought later does
  not revive the budget of those stopped.
- Revoking one entitlement ends only its pack's allotment: the buyer's other packs and
  compliance grants on the dataset keep serving.
"""

from __future__ import annotations

from sqlmodel import Session

from ground.config import get_settings
from ground.db import utcnow
from sandbox import service
from sandbox.repository import SandboxRepository
from trade import events as trade_events


def grant_from_order(session: Session, event: trade_events.SandboxPackActivated) -> None:
    service.grant_budget(
        session,
        event.buyer_org_id,
        event.dataset_id,
        event.epsilon,
        event.delta,
        get_settings(),
        max_queries=event.queries,
        valid_until=event.valid_until,
        source="billing",
        note=f"order {event.order_id}",
        entitlement_id=event.entitlement_id,
    )


def withdraw_refunded(session: Session, event: trade_events.SandboxPackRefunded) -> None:
    service.withdraw_budget(
        session,
        event.buyer_org_id,
        event.dataset_id,
        entitlement_id=event.entitlement_id,
        epsilon_units=event.epsilon_units,
        delta_units=event.delta_units,
        queries=event.queries,
        note=f"refund of order {event.order_id}",
    )


def end_grants(session: Session, event: trade_events.EntitlementsRevoked) -> None:
    buyer_org_id, dataset_id = event.buyer_org_id, event.dataset_id
    # The grants' row locks first, as every reservation, top-up and withdrawal takes them
    # before touching an allotment: the stop queues behind those instead of deadlocking.
    repo = SandboxRepository(session)
    stopped = repo.lock_grants(buyer_org_id=buyer_org_id, dataset_id=dataset_id)
    if stopped:
        repo.end_grants(stopped, utcnow())


def end_allotment(session: Session, event: trade_events.EntitlementRevoked) -> None:
    entitlement = event.entitlement
    # The grant's row lock first, as every reservation and withdrawal takes it before touching
    # an allotment; a query already reserved against this allotment keeps its reservation.
    repo = SandboxRepository(session)
    if repo.lock_grant_of_pack(entitlement.id) is None:
        return  # not a sandbox pack
    repo.end_allotment_of(entitlement.id, utcnow())
