"""The composition root: the only place that builds engines, the committer, the broker and the
agency registry. The embedded default and the tests build the same graph with in-memory parts.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from onewindow import reference
from onewindow.agencies.automation import CONSUMER as AUTOMATION
from onewindow.agencies.automation import automation_handler
from onewindow.agencies.registry import AgencyRegistry, discover
from onewindow.documents.index import DocumentIndex
from onewindow.documents.store import BlobStore
from onewindow.identity.service import TokenCache
from onewindow.inspection.scheduling import book_appointment
from onewindow.inspection.tasks import CONSUMER as INSPECTIONS
from onewindow.inspection.tasks import order_handler
from onewindow.kernel.clock import Clock, SystemClock
from onewindow.kernel.tasks import cancel_and_wait
from onewindow.messaging.brokers.base import Broker
from onewindow.messaging.brokers.memory import InMemoryBroker
from onewindow.messaging.relay import Relay
from onewindow.persistence.committer import Committer
from onewindow.persistence.engine import Engines, create_engines
from onewindow.risk.engine import RiskEngine
from onewindow.risk.repository import build_engine
from onewindow.settings import Settings
from onewindow.webhooks.delivery import CONSUMER as WEBHOOKS
from onewindow.webhooks.delivery import Deliverer, fanout_handler

__all__ = ["OneWindow", "bootstrap", "quiet_garbage_collector"]

log = logging.getLogger(__name__)


@dataclass
class OneWindow:
    """Everything a running OneWindow process holds."""

    settings: Settings
    clock: Clock
    engines: Engines
    committer: Committer
    agencies: AgencyRegistry
    tokens: TokenCache
    blobs: BlobStore
    documents: DocumentIndex
    risk: RiskEngine | None = None
    broker: Broker | None = None
    relay: Relay | None = None
    deliverer: Deliverer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Parts started on first use (the gate desk) register how to stop; they stop first.
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        """Start the writer and, where this process is a worker, the relay and the consumers."""
        quiet_garbage_collector()
        self.engines.start()
        self.committer.start()
        if not self.settings.runs_worker:
            return
        self.broker = self.broker or _broker(self.settings)
        await self.broker.start()
        self.relay = Relay(self.engines.read, self.committer, self.broker, poll=0.02)
        self.committer.add_listener(self.relay.wake)
        await self.broker.subscribe(AUTOMATION, automation_handler(self.agencies, self.committer, self.risk))
        await self.broker.subscribe(
            INSPECTIONS, order_handler(self.agencies, self.committer, book_appointment)
        )
        fanout = fanout_handler(
            self.engines.read, self.committer, cache_seconds=self.settings.webhook_subscription_cache_seconds
        )
        await self.broker.subscribe(WEBHOOKS, fanout)
        self.deliverer = Deliverer(
            self.engines.read, self.committer, self.clock, self.settings.webhook_max_attempts
        )
        self._tasks = [
            asyncio.create_task(self.relay.run(), name="relay"),
            asyncio.create_task(self.deliverer.run(), name="webhook-deliverer"),
        ]

    async def stop(self) -> None:
        for stop in reversed(self.stoppers):
            await stop()
        self.stoppers.clear()
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        if self.broker is not None:
            await self.broker.close()
        await asyncio.to_thread(self.committer.stop)
        self.engines.dispose()


def quiet_garbage_collector() -> None:
    """Keep the collector's full passes short: the code tables and models loaded at start-up live
    as long as the process, so they are moved out of its sight. (Full passes over them took tens
    of milliseconds and were the slowest acknowledgements; see the README's benchmarks.)"""
    reference.hs_subheadings()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _broker(settings: Settings) -> Broker:
    if settings.nats_url:
        from onewindow.messaging.brokers.nats import NatsBroker

        return NatsBroker(
            settings.nats_url, stream=settings.nats_stream, subjects_prefix=settings.nats_subjects
        )
    return InMemoryBroker()


def bootstrap(
    settings: Settings | None = None, *, clock: Clock | None = None, broker: Broker | None = None
) -> OneWindow:
    settings = settings or Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    engines = create_engines(settings.database_url, synchronous=settings.sqlite_synchronous)
    return OneWindow(
        settings=settings,
        clock=clock,
        engines=engines,
        committer=Committer(engines.write, clock),
        agencies=discover(settings.agency_config),
        tokens=TokenCache(engines.read, settings.token_cache_seconds),
        blobs=BlobStore(settings.data_dir / "documents"),
        documents=DocumentIndex(engines.read),
        # The gate desk decides from the release state alone: it loads no risk model.
        risk=build_engine(settings.risk_seed) if settings.risk == "on" and settings.role != "gate" else None,
        broker=broker,
    )
