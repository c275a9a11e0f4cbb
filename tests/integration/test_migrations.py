"""The shipped migrations build exactly the schema the code describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from onewindow.persistence.engine import create_engines
from onewindow.persistence.migrate import upgrade
from onewindow.persistence.schema import metadata


def test_migrations_build_the_schema_the_code_describes(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # a second run is a no-op
    engines = create_engines(db_url)
    try:
        with engines.write.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engines.dispose()
    assert diff == []
