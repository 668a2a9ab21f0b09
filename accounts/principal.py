"""Who is calling: the identity every service receives instead of a raw user row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from accounts.models import Role


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    via: Literal["token", "api_key"] = "token"
    api_key_id: uuid.UUID | None = None
