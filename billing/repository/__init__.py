"""Every query billing makes, by concept: plans, payments (with anomalies and stored webhook
events), the ledger, overage accounts, and metered usage.

Services call these and never build a statement themselves; none of them commits (the
request's or task's unit of work does), and writes that must be atomic are one conditional
UPDATE here, whose row count says whether it happened.
"""

from billing.repository.ledger import LedgerRepository
from billing.repository.overage import OverageRepository
from billing.repository.payments import PaymentRepository
from billing.repository.plans import PlanRepository
from billing.repository.usage import UsageRepository

__all__ = [
    "LedgerRepository",
    "OverageRepository",
    "PaymentRepository",
    "PlanRepository",
    "UsageRepository",
]
