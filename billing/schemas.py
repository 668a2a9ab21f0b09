"""API shapes for plans."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from billing.models import PlanKind


class PlanRead(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    name: str
    kind: PlanKind
    calls: int
    price_minor: int
    currency: str
    is_active: bool
    created_at: datetime
