"""What ``accounts`` tells the domains above it, so it imports none of them.

Each event is published with ``ground.events.publish`` inside the transaction of the change, and
its subscribers (listed in ``market.shell.wiring``) run there. The audit log records every one
of them but ``ApiKeyRequested`` (``audit.subscriptions``), in the same transaction as the change,
so a change never commits without its record. ``ApiKeyRequested`` is a gate: it is published
before a new API key is made, and a subscriber refuses the key by raising (trade: a buyer under
an emergency stop gets none).

``actor`` is the signed-in principal who acted, ``None`` for the platform itself (the CLI, the
demo, a test's set-up).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from accounts.models import OrgKind, Role
from accounts.principal import Principal


@dataclass(frozen=True)
class SignedIn:
    """A user signed in with a password."""

    actor: Principal


@dataclass(frozen=True)
class OrganizationCreated:
    actor: Principal | None
    organization_id: uuid.UUID
    name: str
    kind: OrgKind


@dataclass(frozen=True)
class UserCreated:
    actor: Principal | None
    user_id: uuid.UUID
    email: str
    role: Role
    organization_id: uuid.UUID


@dataclass(frozen=True)
class UserActivationChanged:
    """An administrator deactivated (``active`` False) or reactivated a user."""

    actor: Principal
    user_id: uuid.UUID
    email: str
    active: bool
    reason: str


@dataclass(frozen=True)
class ApiKeyRequested:
    """``actor`` asked for a new API key for its organization: a subscriber refuses by raising."""

    actor: Principal


@dataclass(frozen=True)
class ApiKeyCreated:
    actor: Principal
    api_key_id: uuid.UUID
    name: str
    prefix: str


@dataclass(frozen=True)
class ApiKeyRevoked:
    actor: Principal
    api_key_id: uuid.UUID
