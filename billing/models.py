"""Price plans. Money is always an integer amount of minor units (fen) plus a currency."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel

from market.db import StrEnumType, UTCDateTime, utcnow


class PlanKind(StrEnum):
    api_quota = "api_quota"


class Plan(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("calls > 0", name="calls_positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    name: str = Field(max_length=200)
    kind: PlanKind = Field(default=PlanKind.api_quota, sa_type=StrEnumType(PlanKind))
    calls: int = Field(description="API calls the plan grants")
    price_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(default="CNY", max_length=3)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0
