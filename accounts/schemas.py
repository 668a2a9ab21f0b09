"""API shapes for accounts; tables are never returned as they are."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from accounts.models import OrgKind, Role


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str


class RefreshRequest(BaseModel):
    refresh_token: str


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind


class OrganizationRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrgKind
    created_at: datetime


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    full_name: str = Field(default="", max_length=200)
    role: Role
    organization_id: uuid.UUID


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    organization_id: uuid.UUID
    is_active: bool
    created_at: datetime


class UserStatusChange(BaseModel):
    reason: str = Field(default="", max_length=2000, description="Why; kept in the audit log")


class MeRead(UserRead):
    organization: OrganizationRead


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself. Shown once: only its digest is stored.")
