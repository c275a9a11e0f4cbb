"""The group committer: one writer that commits many operations per transaction.

Durable writes cost one fsync each; a busy port sends hundreds of declarations a second. The
committer takes every operation waiting in its queue, runs each inside its own savepoint (so one
failing operation changes nothing and does not disturb the others), commits once, and only then
resolves each caller's future. An operation is acknowledged only after its commit is on disk.

Operations of a ``Batchable`` class are handed over together to the class's ``run_batch``, so a
burst of submissions costs a few statements rather than a few per declaration.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

import sqlalchemy as sa

from onewindow.kernel.clock import Clock
from onewindow.kernel.errors import OneWindowError
from onewindow.kernel.messages import Event

from .engine import WriterLock, writer_lock
from .outbox import write_events

__all__ = ["Batchable", "Committer", "Operation", "Transaction"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Transaction:
    """What an operation sees: the connection inside its savepoint, the time, and the outbox."""

    conn: sa.Connection
    now: datetime
    memo: dict[str, Any] = field(default_factory=dict)
    emitted: bool = False  # whether anything was written to the outbox

    def emit(self, batch: Sequence[Event]) -> None:
        if batch:
            write_events(self.conn, batch)
            self.emitted = True


class Operation(Protocol):
    def run(self, tx: Transaction) -> Any: ...


class Batchable:
    """Base for operations that are cheaper run together; ``run_batch`` returns one result (or
    exception) per operation, in order."""

    batch_key: ClassVar[str]

    def run(self, tx: Transaction) -> Any:
        result = type(self).run_batch(tx, [self])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    @classmethod
    def run_batch(cls, tx: Transaction, ops: Sequence[Any]) -> list[Any]:
        raise NotImplementedError


class Unavailable(OneWindowError):
    def __init__(self) -> None:
        super().__init__(
            "store_unavailable",
            "The store could not commit; nothing was saved. Retry with the same Idempotency-Key.",
            "存储暂不可用，未保存任何数据；请使用同一幂等键重试。",
            status=503,
        )


_STOP = object()


class Committer:
    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        *,
        max_batch: int = 512,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._turn = WriterLock(None)  # the writer lock: the thread's own, opened when it starts
        self._listeners: list[Callable[[], None]] = [on_commit] if on_commit else []
        self.commits = 0
        # Values derived from immutable rows (e.g. a declaration's parsed data of one version),
        # kept across this writer's transactions so that operations need not read them again.
        self.memo: dict[str, Any] = {}

    @property
    def clock(self) -> Clock:
        """What stamps each transaction's ``tx.now`` (the demo loader replays weeks of history on a
        clock of its own)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock

    def add_listener(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (in the writer's thread) after each commit that wrote events to the outbox."""
        self._listeners.append(fn)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="committer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def submit(self, op: Operation) -> Future[Any]:
        fut: Future[Any] = Future()
        self._queue.put([(op, fut)])
        return fut

    def submit_all(self, ops: Sequence[Operation]) -> list[Future[Any]]:
        """Queue ``ops`` to be committed in one transaction (bulk imports choose their batch size)."""
        items: list[tuple[Operation, Future[Any]]] = [(op, Future()) for op in ops]
        self._queue.put(items)
        return [fut for _, fut in items]

    def run_sync(self, op: Operation, timeout: float = 60.0) -> Any:
        return self.submit(op).result(timeout)

    async def run(self, op: Operation) -> Any:
        return await asyncio.wrap_future(self.submit(op))

    # -- the writer thread --------------------------------------------------------------------

    def _loop(self) -> None:
        conn = self._engine.connect()
        self._turn = writer_lock(self._engine)
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = list(first)
                stop = False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.extend(item)
                conn = self._commit(conn, batch)
                if stop:
                    return
        finally:
            conn.close()
            self._turn.close()

    def _commit(self, conn: sa.Connection, batch: list[tuple[Operation, Future[Any]]]) -> sa.Connection:
        # A caller that gave up before its operation started (a client that hung up) is dropped:
        # nothing of it is stored, and from here on its future can no longer be cancelled.
        batch = [(op, fut) for op, fut in batch if fut.set_running_or_notify_cancel()]
        if not batch:
            return conn
        now = self._clock.now()
        results: list[Any] = [None] * len(batch)
        tx = Transaction(conn, now, self.memo)
        try:
            with self._turn, conn.begin():
                self._run_all(tx, batch, results)
        except Exception as exc:  # the commit itself failed: nothing of this batch is stored
            log.exception("commit failed; %d operations refused", len(batch))
            err = exc if isinstance(exc, OneWindowError) else Unavailable()
            for _, fut in batch:
                fut.set_exception(err)
            conn.invalidate()
            return self._engine.connect()
        self.commits += 1
        for (_, fut), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                fut.set_exception(result)
            else:
                fut.set_result(result)
        if tx.emitted:  # the listeners follow the outbox: a commit that wrote no event is not news
            for listener in self._listeners:
                listener()
        return conn

    def _run_all(
        self, tx: Transaction, batch: list[tuple[Operation, Future[Any]]], results: list[Any]
    ) -> None:
        groups: dict[type[Batchable], list[int]] = {}
        for i, (op, _) in enumerate(batch):
            if isinstance(op, Batchable):
                groups.setdefault(type(op), []).append(i)
            else:
                results[i] = self._one(tx, op)
        for cls, idx in groups.items():
            ops = [batch[i][0] for i in idx]
            try:
                with tx.conn.begin_nested():
                    out = cls.run_batch(tx, ops)
            except Exception:
                log.warning(
                    "batch of %d %s failed; retrying one by one", len(ops), cls.__name__, exc_info=True
                )
                out = [self._one(tx, op) for op in ops]
            for i, r in zip(idx, out, strict=True):
                results[i] = r

    @staticmethod
    def _one(tx: Transaction, op: Operation) -> Any:
        try:
            with tx.conn.begin_nested():
                return op.run(tx)
        except OneWindowError as exc:
            return exc
        except Exception as exc:
            log.exception("operation %s failed", type(op).__name__)
            return exc
