"""Events other domains subscribe to, so ``trade`` never imports them.

``sandbox_pack_activated`` fires inside the transaction that activates a sandbox-pack order:
the sandbox domain grants the buyer's privacy budget from it (a handler that raises rolls the
activation back, so an order is never active without its budget). ``sandbox_pack_refunded``
fires inside the transaction that books a refund of one: the sandbox takes back the refunded
share of the budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session


@dataclass(frozen=True)
class SandboxPackActivated:
    order_id: uuid.UUID
    entitlement_id: uuid.UUID
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    epsilon: float
    delta: float
    queries: int
    valid_until: datetime | None


SandboxPackHandler = Callable[[Session, SandboxPackActivated], None]
_on_sandbox_pack: list[SandboxPackHandler] = []


def on_sandbox_pack_activated(handler: SandboxPackHandler) -> SandboxPackHandler:
    if handler not in _on_sandbox_pack:
        _on_sandbox_pack.append(handler)
    return handler


def sandbox_pack_activated(session: Session, event: SandboxPackActivated) -> None:
    for handler in _on_sandbox_pack:
        handler(session, event)


@dataclass(frozen=True)
class SandboxPackRefunded:
    """A refund took back this share of a pack's budget (units of ``anonymize.accountant``)."""

    order_id: uuid.UUID
    entitlement_id: uuid.UUID
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    epsilon_units: int
    delta_units: int
    queries: int


SandboxRefundHandler = Callable[[Session, SandboxPackRefunded], None]
_on_sandbox_refund: list[SandboxRefundHandler] = []


def on_sandbox_pack_refunded(handler: SandboxRefundHandler) -> SandboxRefundHandler:
    if handler not in _on_sandbox_refund:
        _on_sandbox_refund.append(handler)
    return handler


def sandbox_pack_refunded(session: Session, event: SandboxPackRefunded) -> None:
    for handler in _on_sandbox_refund:
        handler(session, event)
