"""listings package."""
