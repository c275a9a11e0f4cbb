"""The outbox relay: publishes committed events to the broker, in commit order, then marks them.

It wakes as soon as the committer commits (same process) and otherwise polls, so events written
by other processes are published too. In the scaled-out deployment only one relay is active at a
time (a PostgreSQL advisory lock elects it); the others stand by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from onewindow.kernel.messages import Envelope
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.outbox import mark_published, unpublished

from .brokers.base import Broker

__all__ = ["Relay"]

log = logging.getLogger(__name__)
RELAY_LOCK_KEY = 0x0E_1D_0F_01


@dataclass
class MarkPublished:
    seqs: Sequence[int]

    def run(self, tx: Transaction) -> None:
        mark_published(tx.conn, self.seqs)


class Relay:
    def __init__(
        self,
        read_engine: sa.Engine,
        committer: Committer,
        broker: Broker,
        *,
        batch: int = 1000,
        poll: float = 0.05,
    ) -> None:
        self._engine = read_engine
        self._committer = committer
        self._broker = broker
        self._batch = batch
        self._poll = poll
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.published = 0

    def wake(self) -> None:
        """Called from the committer thread after each commit."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        lock = await asyncio.to_thread(self._acquire_lock)
        try:
            while True:
                if lock is None and self._engine.dialect.name == "postgresql":
                    await asyncio.sleep(1.0)
                    lock = await asyncio.to_thread(self._acquire_lock)
                    continue
                try:
                    sent = await self.publish_pending()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("relay failed; retrying")
                    await asyncio.sleep(1.0)
                    continue
                if sent < self._batch:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll)
        finally:
            if lock is not None:
                await asyncio.to_thread(lock.close)

    async def publish_pending(self) -> int:
        batch = await asyncio.to_thread(self._fetch)
        if not batch:
            return 0
        for env in batch:
            await self._broker.publish(env)
        await self._committer.run(MarkPublished([e.seq for e in batch]))
        self.published += len(batch)
        return len(batch)

    def _fetch(self) -> list[Envelope]:
        with self._engine.connect() as conn:
            return list(unpublished(conn, self._batch))

    def _acquire_lock(self) -> sa.Connection | None:
        """Hold a PostgreSQL advisory lock on a dedicated connection while relaying."""
        if self._engine.dialect.name != "postgresql":
            return None
        conn = self._engine.connect()
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": RELAY_LOCK_KEY}).scalar()
        conn.commit()
        if got:
            return conn
        conn.close()
        return None
