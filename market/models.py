"""Every table of every domain, imported in one place for Alembic and the test database."""

from billing.models import Plan
from listings.models import Dataset, ListingReview
from market.accounts.models import ApiKey, Organization, User
from market.audit.models import AuditHead, AuditRecord
from market.trade.models import Entitlement, Order

__all__ = [
    "ApiKey",
    "AuditHead",
    "AuditRecord",
    "Dataset",
    "Entitlement",
    "ListingReview",
    "Order",
    "Organization",
    "Plan",
    "User",
]
