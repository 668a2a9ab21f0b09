"""What ``trade`` tells other domains, so it never imports them.

Each event is published with ``ground.events.publish`` inside the transaction of the change;
its subscribers (listed in ``market.shell.wiring``) run there. ``SandboxPackActivated``: a
sandbox-pack order is being activated, and the sandbox grants the buyer's privacy budget from it
(a subscriber that raises rolls the activation back, so an order is never active without its
budget). ``SandboxPackRefunded``: a refund of one is booked, and the sandbox takes back the
refunded share of the budget. ``EntitlementRevoked`` and ``EntitlementsRevoked``
(``trade.revocation``): access ended, one entitlement or a whole emergency stop's scope, and the
sandbox ends what it granted for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from trade.models import Entitlement


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


@dataclass(frozen=True)
class EntitlementRevoked:
    """One entitlement was revoked; published after its row lock is taken (entitlements before
    sandbox grants, the lock order everywhere)."""

    entitlement: Entitlement


@dataclass(frozen=True)
class EntitlementsRevoked:
    """An emergency stop revoked every active entitlement of a buyer (``buyer_org_id``), on a
    dataset (``dataset_id``), or of a buyer on a dataset (both)."""

    buyer_org_id: uuid.UUID | None
    dataset_id: uuid.UUID | None
