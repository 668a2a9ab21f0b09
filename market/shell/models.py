"""Every table of every domain, imported in one place for Alembic and the test database."""

from accounts.models import ApiKey, Organization, User
from audit.models import AuditHead, AuditRecord
from billing.models import (
    LedgerEntry,
    LedgerTransaction,
    OverageAccount,
    OverageInvoice,
    Payment,
    PaymentAnomaly,
    Plan,
    UsageEvent,
    WebhookEvent,
)
from ground.idempotency.models import IdempotencyRecord
from listings.models import Dataset, ListingReview, PolicyVersion
from market.console.flash import ConsoleFlash
from sandbox.models import (
    PrivacyLedgerEntry,
    SandboxAllotment,
    SandboxGrant,
    SandboxProfile,
    SandboxQuery,
)
from trade.models import Entitlement, Order, OrderTransition

__all__ = [
    "ApiKey",
    "AuditHead",
    "AuditRecord",
    "ConsoleFlash",
    "Dataset",
    "Entitlement",
    "IdempotencyRecord",
    "LedgerEntry",
    "LedgerTransaction",
    "ListingReview",
    "Order",
    "OrderTransition",
    "Organization",
    "OverageAccount",
    "OverageInvoice",
    "Payment",
    "PaymentAnomaly",
    "Plan",
    "UsageEvent",
    "PrivacyLedgerEntry",
    "SandboxAllotment",
    "SandboxGrant",
    "SandboxProfile",
    "SandboxQuery",
    "PolicyVersion",
    "User",
    "WebhookEvent",
]
