"""The in-process broker of the embedded deployment: one queue and one task per consumer."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from onewindow.kernel.messages import Envelope
from onewindow.kernel.tasks import cancel_and_wait

from .base import Handler

__all__ = ["InMemoryBroker"]

log = logging.getLogger(__name__)


class InMemoryBroker:
    def __init__(
        self, retry_delay: float = 0.2, dedup_window: int = 100_000, max_in_flight: int = 256
    ) -> None:
        self._queues: dict[str, asyncio.Queue[Envelope]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._window = dedup_window
        self._retry_delay = retry_delay
        self._max_in_flight = max_in_flight

    async def start(self) -> None:
        return None

    async def publish(self, envelope: Envelope) -> None:
        if envelope.event_id in self._seen:
            return
        self._seen[envelope.event_id] = None
        if len(self._seen) > self._window:
            self._seen.popitem(last=False)
        for q in self._queues.values():
            q.put_nowait(envelope)

    async def subscribe(self, consumer: str, handler: Handler) -> None:
        """Up to ``max_in_flight`` events of a consumer are handled at once: each handler waits for
        a durable commit, and the committer makes one commit of everything waiting."""
        q: asyncio.Queue[Envelope] = asyncio.Queue()
        self._queues[consumer] = q
        for i in range(self._max_in_flight):
            self._tasks.append(
                asyncio.create_task(self._consume(consumer, q, handler), name=f"consumer:{consumer}:{i}")
            )

    async def _consume(self, consumer: str, q: asyncio.Queue[Envelope], handler: Handler) -> None:
        while True:
            await self._handle(consumer, await q.get(), handler)

    async def _handle(self, consumer: str, env: Envelope, handler: Handler) -> None:
        while True:
            try:
                await handler(env)
                return
            except Exception:
                log.exception("consumer %s failed on %s %s; retrying", consumer, env.type, env.event_id)
                await asyncio.sleep(self._retry_delay)

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
