"""Alembic environment: the URL comes from the caller (``onewindow migrate``), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from onewindow.persistence.engine import create_engines
from onewindow.persistence.schema import metadata

config = context.config


def run() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "onewindow.persistence.migrate sets sqlalchemy.url"
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engines = create_engines(url)
    try:
        with engines.write.connect() as conn:
            _migrate(conn)
    finally:
        engines.dispose()


def _migrate(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
