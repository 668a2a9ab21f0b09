"""How the audit log records what the domains below it publish (subscribed by
``market.shell.wiring``).

``accounts`` sits below ``audit`` and cannot call it: it publishes ``accounts.events`` instead,
and each handler here queues the record that the change was, in the same transaction (written
when, and only if, that transaction commits; see ``audit.service``).
"""

from __future__ import annotations

from sqlmodel import Session

from accounts import events
from audit.service import record


def record_sign_in(session: Session, event: events.SignedIn) -> None:
    record(session, "auth.login", actor=event.actor)


def record_organization_created(session: Session, event: events.OrganizationCreated) -> None:
    record(
        session,
        "organization.create",
        actor=event.actor,
        subject_id=event.organization_id,
        details={"name": event.name, "kind": str(event.kind)},
    )


def record_user_created(session: Session, event: events.UserCreated) -> None:
    record(
        session,
        "user.create",
        actor=event.actor,
        subject_id=event.user_id,
        details={
            "email": event.email,
            "role": str(event.role),
            "organization_id": str(event.organization_id),
        },
    )


def record_user_activation(session: Session, event: events.UserActivationChanged) -> None:
    record(
        session,
        "user.reactivate" if event.active else "user.deactivate",
        actor=event.actor,
        subject_id=event.user_id,
        details={"email": event.email, "reason": event.reason},
    )


def record_api_key_created(session: Session, event: events.ApiKeyCreated) -> None:
    record(
        session,
        "api_key.create",
        actor=event.actor,
        subject_id=event.api_key_id,
        details={"name": event.name, "prefix": event.prefix},
    )


def record_api_key_revoked(session: Session, event: events.ApiKeyRevoked) -> None:
    record(session, "api_key.revoke", actor=event.actor, subject_id=event.api_key_id)
