"""Organizations, users, authentication and API keys."""
