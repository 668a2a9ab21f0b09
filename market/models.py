"""Every table of every domain, imported in one place for Alembic and the test database."""

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
from listings.models import Dataset, ListingReview, PolicyVersion
from market.accounts.models import ApiKey, Organization, User
from market.audit.models import AuditHead, AuditRecord
from market.console.flash import ConsoleFlash
from market.idempotency.models import IdempotencyRecord
from market.trade.models import Entitlement, Order, OrderTransition
from sandbox.models import (
    PrivacyLedgerEntry,
    SandboxAllotment,
    SandboxGrant,
    SandboxProfile,
    SandboxQuery,
)

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
