"""Identity: organisations, users, roles and API tokens (stored hashed)."""
