"""The broker Protocol: publish envelopes, subscribe durable consumers.

Delivery is at least once; a publisher may send the same event twice (after a crash between
publishing and marking it published) and a broker may redeliver. Brokers drop duplicates they can
see (by event id), and consumers make their effects idempotent through ``processed_events``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from onewindow.kernel.messages import Envelope

__all__ = ["Broker", "Handler"]

Handler = Callable[[Envelope], Awaitable[None]]


class Broker(Protocol):
    async def start(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None:
        """Return only once the broker holds the event durably (for a durable broker)."""

    async def subscribe(self, consumer: str, handler: Handler) -> None:
        """Deliver every event published from now on (and, for a durable consumer, every one not
        yet acknowledged) to ``handler``; an event whose handler raises is delivered again."""

    async def close(self) -> None: ...
