"""Engines: the embedded default is a SQLite file in WAL mode with ``synchronous=FULL`` (a commit
is on disk before it is acknowledged); PostgreSQL is chosen by URL with its default ``fsync=on``
and ``synchronous_commit=on``. Nothing here runs at import time.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

try:
    import fcntl
except ImportError:  # not a POSIX system: SQLite's own locking alone orders the writers
    fcntl = None  # type: ignore[assignment]

__all__ = ["Engines", "RawJSON", "WalCheckpointer", "WriterLock", "create_engines", "writer_lock"]


class RawJSON(bytes):
    """JSON that is already serialised and validated: written to a JSON column as it is."""


def _json(obj: Any) -> str:
    if isinstance(obj, RawJSON):
        return obj.decode()
    return orjson.dumps(obj).decode()


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file every ``interval`` seconds from its
    own connection (PASSIVE: it never blocks the writer), keeping the log short and commits fast.

    Under writes that never pause (a bulk import) a passive checkpoint never catches up with the
    writer, and SQLite starts the log over only when one has: the log grew by gigabytes in a
    million-declaration import, and with it the shared index every process maps. So once the log
    is larger than ``restart_bytes``, the checkpointer takes the writers' turn (``WriterLock``),
    copies the little that is left and has the next writer start the log over (RESTART: the file
    keeps its size, and rewriting it costs less than growing it again): writers wait for that copy
    only, and a reader still on the old log makes it give up within ``RESTART_WAIT_MS``."""

    RESTART_WAIT_MS = 200

    def __init__(self, engine: sa.Engine, interval: float = 0.5, restart_bytes: int = 256 << 20) -> None:
        self._engine = engine
        self._interval = interval
        self._restart_bytes = restart_bytes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._writers: sa.Engine | None = None
        self.restarts = 0

    def start(self, writers: sa.Engine | None = None) -> None:
        """``writers``: the write engine whose ``WriterLock`` a restart takes."""
        self._writers = writers
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
            page = int(conn.exec_driver_sql("PRAGMA page_size").scalar() or 4096)
            while not self._stop.wait(self._interval):
                try:
                    _, frames, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
                    if frames * page > self._restart_bytes:
                        self._restart(conn)
                except sa.exc.OperationalError:
                    continue

    def _restart(self, conn: sa.Connection) -> None:
        turn = writer_lock(self._writers) if self._writers is not None else WriterLock(None)
        conn.exec_driver_sql(f"PRAGMA busy_timeout={self.RESTART_WAIT_MS}")
        try:
            with turn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)").scalar()
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout=30000")
            turn.close()
        self.restarts += 0 if busy else 1


class WriterLock:
    """Takes turns between the writers of one SQLite file: the committers of every process (an
    import's workers, a server, the CLI) hold it around each write transaction.

    SQLite lets one connection write at a time, and one that finds the file locked sleeps and
    retries (1, 2, 5, 10 … ms): two importing processes then mostly wait for each other, and a
    second worker added nothing. A kernel file lock (``flock``) wakes the next writer the moment the
    last one commits, so processes that prepare their batches in parallel write back to back. The
    kernel drops it when its holder dies. It only orders writers; SQLite's own lock still guards
    the file, so a writer that does not take it (a migration) is as safe as before.

    Without a ``path`` (PostgreSQL, whose writers do not exclude each other) it orders nothing."""

    def __init__(self, path: Path | None) -> None:
        self._fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600) if path is not None else None

    @property
    def exclusive(self) -> bool:
        """Whether holding it keeps the other writers out (a SQLite file's lock)."""
        return self._fd is not None

    def __enter__(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks without holding the interpreter lock

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# The lock file of each SQLite write engine; every committer opens its own WriterLock on it (a
# flock held through one open file does not exclude another holder of the same open file).
_LOCK_FILES: weakref.WeakKeyDictionary[sa.Engine, Path] = weakref.WeakKeyDictionary()


def writer_lock(engine: sa.Engine) -> WriterLock:
    """A new hold on ``engine``'s writer lock: a SQLite file's, or one that orders nothing for
    PostgreSQL (whose writers do not exclude each other). Close it when done."""
    path = _LOCK_FILES.get(engine)
    return WriterLock(path if fcntl is not None else None)


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
            self.checkpointer.start(self.write)

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

    database = engine.url.database
    if writer and database and database != ":memory:":
        _LOCK_FILES[engine] = Path(f"{database}-writer.lock")
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
