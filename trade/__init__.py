"""Orders, entitlements and quota consumption."""
