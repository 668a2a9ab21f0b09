"""Queries on organizations, users and API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from accounts.models import ApiKey, Organization, User


@dataclass(frozen=True)
class KeyHolder:
    """An API key and its owner, as one read of both rows."""

    key_id: uuid.UUID
    org_id: uuid.UUID
    revoked: bool
    last_used_at: datetime | None
    user_id: uuid.UUID
    role: str
    user_active: bool


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def user_by_email(self, email: str) -> User | None:
        return self.session.exec(select(User).where(User.email == email.lower())).first()

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def organization(self, org_id: uuid.UUID) -> Organization | None:
        return self.session.get(Organization, org_id)

    def organization_by_name(self, name: str) -> Organization | None:
        return self.session.exec(select(Organization).where(Organization.name == name)).first()

    def organizations(self, *, limit: int, offset: int) -> tuple[list[Organization], int]:
        total = self.session.exec(select(func.count()).select_from(Organization)).one()
        rows = self.session.exec(
            select(Organization).order_by(col(Organization.name)).limit(limit).offset(offset)
        ).all()
        return list(rows), total

    def users(
        self,
        *,
        organization_id: uuid.UUID | None,
        role: str | None,
        is_active: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[list[User], int]:
        stmt = select(User)
        if organization_id is not None:
            stmt = stmt.where(User.organization_id == organization_id)
        if role is not None:
            stmt = stmt.where(User.role == role)
        if is_active is not None:
            stmt = stmt.where(User.is_active == is_active)
        total = self.session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = self.session.exec(stmt.order_by(col(User.email)).limit(limit).offset(offset)).all()
        return list(rows), total

    def user_for_update(self, user_id: uuid.UUID) -> User | None:
        return self.session.exec(select(User).where(User.id == user_id).with_for_update()).first()

    def api_key_by_digest(self, digest: str) -> ApiKey | None:
        return self.session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()

    def key_holder(self, digest: str) -> KeyHolder | None:
        """The key with this digest joined with its owner: one plain SELECT (no ORM objects,
        no lock), the whole of the data API's authentication."""
        stmt = (
            core_select(
                col(ApiKey.id),
                col(ApiKey.organization_id),
                col(ApiKey.revoked_at),
                col(ApiKey.last_used_at),
                col(User.id),
                col(User.role),
                col(User.is_active),
            )
            .join(User, col(User.id) == col(ApiKey.user_id))
            .where(col(ApiKey.key_hash) == digest)
        )
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        key_id, org_id, revoked_at, last_used_at, user_id, role, active = row
        return KeyHolder(
            key_id, org_id, revoked_at is not None, last_used_at, user_id, str(role), active
        )

    def mark_key_used(self, key_id: uuid.UUID, now: datetime, *, unless_since: datetime) -> None:
        """``last_used_at = now`` unless it is already at or after ``unless_since`` (another
        process wrote it within the interval): one conditional UPDATE."""
        self.session.execute(
            update(ApiKey)
            .where(
                col(ApiKey.id) == key_id,
                or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < unless_since),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )

    def api_key(self, key_id: uuid.UUID) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def api_keys_of(self, org_id: uuid.UUID) -> list[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.organization_id == org_id)
            .order_by(col(ApiKey.created_at).desc())
        )
        return list(self.session.exec(stmt).all())

    def add(self, obj: Organization | User | ApiKey) -> None:
        self.session.add(obj)
        self.session.flush()

    def organization_names(self, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not org_ids:
            return {}
        stmt = select(Organization.id, Organization.name).where(col(Organization.id).in_(org_ids))
        return {org_id: name for org_id, name in self.session.exec(stmt).all()}
