"""The broker of the scaled-out deployment: NATS JetStream, shared by every process.

Use it when web processes and workers run apart: the outbox relay publishes here and each durable
consumer is a JetStream pull consumer whose messages are shared among the processes that subscribe
under the same name, so adding workers spreads the load. Delivery is at least once: an event is
acked only after its handler returns, a handler that raises gets the event again (nak with a short
delay), and an event whose ack is lost comes back after ``ack_wait``. A republished event (same
``event_id``, sent as ``Nats-Msg-Id``) is dropped by the stream's own de-duplication within its
window; beyond that, consumers make their effects idempotent through ``processed_events``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from onewindow.kernel.messages import Envelope
from onewindow.kernel.tasks import cancel_and_wait

from .base import Handler

__all__ = ["NatsBroker"]

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "onewindow.events"
"""The prefix ``Envelope.subject`` uses; a broker with another prefix moves subjects under its own."""
DUPLICATE_WINDOW = 120.0
FETCH_BATCH = 256
FETCH_TIMEOUT = 0.5
RETRY_DELAY = 1.0
"""Seconds before an event whose handler raised is delivered again."""
ERROR_PAUSE = 1.0
CLOSE_GRACE = 5.0
"""Seconds ``close`` lets a handler finish its event before cancelling it."""


class NatsBroker:
    def __init__(
        self,
        url: str,
        stream: str = "ONEWINDOW",
        subjects_prefix: str = "onewindow.events",
        ack_wait: float = 30.0,
    ) -> None:
        self._url = url
        self._stream = stream
        self._prefix = subjects_prefix
        self._ack_wait = ack_wait
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._subs: list[JetStreamContext.PullSubscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        """Connect and make sure the stream exists with this broker's settings."""
        self._nc = await nats.connect(self._url)
        self._js = self._nc.jetstream()
        await self._ensure_stream(self._js)

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self._stream,
            subjects=[f"{self._prefix}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW,
        )
        try:
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)

    async def publish(self, envelope: Envelope) -> None:
        """Return after the server's PubAck, i.e. once the event is stored (or known as a duplicate)."""
        headers = {"Nats-Msg-Id": envelope.event_id}
        await self._jetstream().publish(self._subject(envelope), envelope.to_json(), headers=headers)

    def _subject(self, envelope: Envelope) -> str:
        """Move the envelope's subject under this broker's prefix, so deployments (or tests) can
        share one server without sharing events."""
        return self._prefix + envelope.subject.removeprefix(DEFAULT_PREFIX)

    async def subscribe(self, consumer: str, handler: Handler) -> None:
        """Bind (creating if needed) the durable pull consumer ``consumer`` and start handling it."""
        sub = await self._jetstream().pull_subscribe(
            f"{self._prefix}.>", durable=consumer, stream=self._stream, config=self._consumer_config(consumer)
        )
        self._subs.append(sub)
        task = asyncio.create_task(self._consume(consumer, sub, handler), name=f"consumer:{consumer}")
        self._tasks.append(task)

    def _consumer_config(self, consumer: str) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=consumer,
            filter_subject=f"{self._prefix}.>",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_deliver=-1,
        )

    async def _consume(self, consumer: str, sub: JetStreamContext.PullSubscription, handler: Handler) -> None:
        """Loop until ``close`` raises the flag; a fetch is never cut short, so no pull request is left
        on the server to hand events to a connection that is going away."""
        while not self._stopping:
            msgs = await self._fetch(consumer, sub)
            await self._handle_batch(consumer, msgs, handler)

    async def _fetch(self, consumer: str, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """Return the next batch, or nothing when the consumer is idle or the server hiccups."""
        try:
            msgs: list[Msg] = await sub.fetch(FETCH_BATCH, timeout=FETCH_TIMEOUT)
            return msgs
        except TimeoutError:  # nats' own timeouts subclass it, and fetch also raises it bare
            return []
        except nats.errors.Error:
            log.exception("consumer %s could not fetch; retrying in %ss", consumer, ERROR_PAUSE)
            await asyncio.sleep(ERROR_PAUSE)
            return []

    async def _handle_batch(self, consumer: str, msgs: list[Msg], handler: Handler) -> None:
        """Handle a batch concurrently: each handler waits for a durable commit, and the committer
        makes one commit of all that wait, so a batch costs about one commit. Consumers are
        idempotent and do not depend on order. On close the batch is handed back at once."""
        if self._stopping:
            await _release(msgs)
            return
        pending = {asyncio.ensure_future(self._handle(consumer, msg, handler)): msg for msg in msgs}
        try:
            await asyncio.gather(*pending)
        except asyncio.CancelledError:
            for task in pending:
                task.cancel()
            await _release([msg for task, msg in pending.items() if not task.done() or task.cancelled()])
            raise

    async def _handle(self, consumer: str, msg: Msg, handler: Handler) -> None:
        try:
            env = Envelope.from_json(msg.data)
        except Exception:
            log.exception("consumer %s got an undecodable message on %s; dropping it", consumer, msg.subject)
            await msg.term()
            return
        try:
            await handler(env)
        except Exception:
            log.exception("consumer %s failed on %s %s; redelivering", consumer, env.type, env.event_id)
            await msg.nak(delay=RETRY_DELAY)
            return
        await msg.ack()

    def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NatsBroker.start() was not called")
        return self._js

    async def close(self) -> None:
        """Stop consuming, make sure the server has every ack, and disconnect; safe to call twice."""
        self._stopping = True
        await self._stop_tasks()
        nc, self._nc, self._js = self._nc, None, None
        if nc is None or nc.is_closed:
            return
        for sub in self._subs:
            await _quietly(sub.unsubscribe())
        self._subs.clear()
        await _quietly(nc.flush())
        await nc.close()

    async def _stop_tasks(self) -> None:
        """Let each loop finish its fetch and current event, then cancel any that are still stuck.

        Cancelling alone would not do: nats-py's fetch can swallow a cancellation that lands as its
        own timeout fires, and a cancelled fetch leaves its pull request open on the server.
        """
        if not self._tasks:
            return
        _, stuck = await asyncio.wait(self._tasks, timeout=CLOSE_GRACE)
        await cancel_and_wait(stuck)
        self._tasks.clear()


async def _release(msgs: list[Msg]) -> None:
    for msg in msgs:
        await _quietly(msg.nak())


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Await a best-effort step of shutting down; the server redelivers whatever it missed."""
    try:
        await awaitable
    except (nats.errors.Error, TimeoutError):
        log.debug("ignored an error while closing", exc_info=True)
