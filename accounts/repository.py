"""Queries on organizations, users and API keys."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, func, select

from accounts.models import ApiKey, Organization, User


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
