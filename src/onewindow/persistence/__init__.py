"""Persistence: engines (SQLite by default, PostgreSQL by URL), the group-commit writer, migrations."""
