"""Reports for providers and compliance staff, composed from the domains services."""
