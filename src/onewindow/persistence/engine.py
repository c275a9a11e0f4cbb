"""Engines: the embedded default is a SQLite file in WAL mode with ``synchronous=FULL`` (a commit
is on disk before it is acknowledged); PostgreSQL is chosen by URL with its default ``fsync=on``
and ``synchronous_commit=on``. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

__all__ = ["Engines", "create_engines"]


def _json(obj: Any) -> str:
    return orjson.dumps(obj).decode()


@dataclass(frozen=True)
class Engines:
    """``write`` is used by the single writer (the group committer); ``read`` by queries."""

    write: sa.Engine
    read: sa.Engine
    url: str

    @property
    def dialect(self) -> str:
        return self.write.dialect.name

    def dispose(self) -> None:
        self.write.dispose()
        if self.read is not self.write:
            self.read.dispose()


def _sqlite(url: str, *, writer: bool, synchronous: str) -> sa.Engine:
    engine = sa.create_engine(
        url,
        json_serializer=_json,
        json_deserializer=orjson.loads,
        pool_size=1 if writer else 8,
        max_overflow=0 if writer else 16,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's recipe: we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def create_engines(url: str, *, synchronous: str = "FULL") -> Engines:
    """Build the engines for ``url``. ``synchronous`` applies to SQLite only (FULL is durable)."""
    if url.startswith("sqlite"):
        return Engines(
            _sqlite(url, writer=True, synchronous=synchronous),
            _sqlite(url, writer=False, synchronous=synchronous),
            url,
        )
    engine = sa.create_engine(
        url, json_serializer=_json, json_deserializer=orjson.loads, pool_size=10, max_overflow=20,
        pool_pre_ping=True,
    )
    return Engines(engine, engine, url)
