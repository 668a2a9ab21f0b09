"""Report shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class BuyerUse(BaseModel):
    entitlement_id: uuid.UUID
    buyer_org_id: uuid.UUID
    buyer_name: str
    usage_scenario: str
    status: str
    granted_at: datetime
    valid_until: datetime | None
    quota_total: int
    quota_remaining: int
    calls: int
    rows: int
    epsilon: float


class DatasetUse(BaseModel):
    dataset_id: uuid.UUID
    title: str
    status: str
    buyers: list[BuyerUse]


class ProviderReport(BaseModel):
    provider_org_id: uuid.UUID
    datasets: list[DatasetUse]


class GradeStatusCount(BaseModel):
    grade: str | None
    status: str
    count: int


class Consumer(BaseModel):
    buyer_org_id: uuid.UUID
    buyer_name: str
    events: int
    units: int
    rows: int
    epsilon: float
    delta: float


class Anomaly(BaseModel):
    buyer_org_id: uuid.UUID
    buyer_name: str
    kind: str
    detail: str
    detail_zh: str


class ComplianceReport(BaseModel):
    since: datetime
    until: datetime
    listings: list[GradeStatusCount]
    trades: dict[str, int]
    top_consumers: list[Consumer]
    budget_spent: list[Consumer]
    anomalies: list[Anomaly]
