"""The data API: masked rows for buyers holding an API key and an entitlement."""
