"""Every table of every domain, imported in one place for Alembic and the test database."""

from billing.models import Plan
from listings.models import Dataset, ListingReview, PolicyVersion
from market.accounts.models import ApiKey, Organization, User
from market.trade.models import Entitlement, Order

__all__ = [
    "ApiKey",
    "Dataset",
    "Entitlement",
    "ListingReview",
    "Order",
    "Organization",
    "Plan",
    "PolicyVersion",
    "User",
]
