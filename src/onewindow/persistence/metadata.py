"""The one SQLAlchemy MetaData every area's tables attach to, and column types shared by them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["JSONDoc", "Timestamp", "insert_ignore", "metadata"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Timestamp(sa.TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back timezone-aware.

    On SQLite it is text, ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (the layout SQLAlchemy's own
    DATETIME uses, so text order is time order), formatted and parsed by the C ``isoformat`` and
    ``fromisoformat`` rather than SQLAlchemy's per-value Python formatting, which cost more than
    the insert itself on the bulk path. On PostgreSQL it is ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    # The last value bound and its stored form: a transaction stamps most of its rows with the same
    # ``now``, so the same (immutable) datetime object comes back row after row. Kept as one tuple,
    # replaced whole, so threads sharing the type never see half of an entry.
    _last: tuple[datetime | None, str, Any] = (None, "", None)

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        last = self._last
        if last[0] is value and last[1] == dialect.name:
            return last[2]
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware one")
        utc = value.astimezone(UTC)
        stored = utc if dialect.name != "sqlite" else utc.replace(tzinfo=None).isoformat(" ", "microseconds")
        self._last = (value, dialect.name, stored)
        return stored

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_ignore(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
