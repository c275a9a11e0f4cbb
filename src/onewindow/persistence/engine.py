"""Engines: the embedded default is a SQLite file in WAL mode with ``synchronous=FULL`` (a commit
is on disk before it is acknowledged); PostgreSQL is chosen by URL with its default ``fsync=on``
and ``synchronous_commit=on``. Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

__all__ = ["Engines", "RawJSON", "WalCheckpointer", "create_engines"]


class RawJSON(bytes):
    """JSON that is already serialised and validated: written to a JSON column as it is."""


def _json(obj: Any) -> str:
    if isinstance(obj, RawJSON):
        return obj.decode()
    return orjson.dumps(obj).decode()


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file every ``interval`` seconds from its
    own connection (PASSIVE: it never blocks the writer), keeping the log short and commits fast."""

    def __init__(self, engine: sa.Engine, interval: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        with self._engine.connect() as conn:
            while not self._stop.wait(self._interval):
                try:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                except sa.exc.OperationalError:
                    continue


@dataclass(frozen=True)
class Engines:
    """``write`` is used by the single writer (the group committer); ``read`` by queries.
    ``start()`` begins background maintenance (SQLite's WAL checkpoints); ``dispose()`` ends it."""

    write: sa.Engine
    read: sa.Engine
    url: str
    checkpointer: WalCheckpointer | None = None

    def start(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.start()

    @property
    def dialect(self) -> str:
        return self.write.dialect.name

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
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
        cur.execute("PRAGMA cache_size=-16384")  # 16 MiB a connection: bounded memory
        cur.execute("PRAGMA temp_store=MEMORY")
        if writer:
            # The writer never checkpoints on commit (that would stall an acknowledgement behind
            # copying the WAL into the database); the WalCheckpointer does it in the background.
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def create_engines(url: str, *, synchronous: str = "FULL") -> Engines:
    """Build the engines for ``url``. ``synchronous`` applies to SQLite only (FULL is durable)."""
    if url.startswith("sqlite"):
        read = _sqlite(url, writer=False, synchronous=synchronous)
        return Engines(_sqlite(url, writer=True, synchronous=synchronous), read, url, WalCheckpointer(read))
    engine = sa.create_engine(
        url,
        json_serializer=_json,
        json_deserializer=orjson.loads,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
    )
    return Engines(engine, engine, url)
