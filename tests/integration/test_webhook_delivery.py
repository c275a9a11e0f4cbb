"""Webhooks end to end on a SQLite file and a real HTTP receiver on 127.0.0.1: fan-out, signing,
retries with backoff, and giving up. The deliverer's clock is a FixedClock, moved on to make a
retry due instead of sleeping."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from onewindow.declarations.events import DeclarationSubmitted, DossierOpened
from onewindow.kernel.clock import FixedClock, SystemClock
from onewindow.kernel.messages import Envelope, Event
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.engine import Engines
from onewindow.persistence.outbox import envelopes, events
from onewindow.webhooks.api import Subscribe, Unsubscribe
from onewindow.webhooks.delivery import Deliverer, EnqueueDeliveries, fanout_handler, verify
from onewindow.webhooks.tables import webhook_deliveries
from tests.fixtures.database import make_engines

WAIT = 10.0  # seconds: the most any step of these tests may take


# -- a receiver -------------------------------------------------------------------------------


@dataclass
class Received:
    request_line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP endpoint that records each request and answers with the next scripted status (the
    last one repeats); ``silent`` holds every request open without an answer."""

    answers: list[int] = field(default_factory=lambda: [200])
    silent: bool = False
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(head[0], headers, body))
            if self.silent:
                await self._release.wait()
                return
            status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            writer.write(
                f"HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def close(self) -> None:
        self._release.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=WAIT)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    r.url = f"http://127.0.0.1:{port}/hooks/onewindow"
    yield r
    server.close()
    await r.close()
    await asyncio.wait_for(server.wait_closed(), WAIT)


def refusing_url() -> str:
    """A URL on a port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


# -- a store ----------------------------------------------------------------------------------


@dataclass
class Emit:
    event: Event

    def run(self, tx: Transaction) -> None:
        tx.emit([self.event])


@dataclass
class Store:
    engines: Engines
    committer: Committer
    clock: FixedClock

    async def subscribe(self, org_id: str, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
        created: dict[str, Any] = await self.committer.run(Subscribe(org_id, url, event_types or []))
        return created

    async def event(self, org_id: str | None, number: str = "310120250000000001") -> Envelope:
        e = DossierOpened(
            number=number, org_id=org_id, occurred_at=datetime.now(UTC), agency="customs", state="open"
        )
        await self.committer.run(Emit(e))
        with self.engines.read.connect() as conn:
            return envelopes(conn.execute(sa.select(events).where(events.c.event_id == e.event_id)))[0]

    def deliveries(self) -> list[Any]:
        with self.engines.read.connect() as conn:
            return list(conn.execute(sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id)))

    def deliverer(self, max_attempts: int = 5, timeout: float = 2.0) -> Deliverer:
        return Deliverer(self.engines.read, self.committer, self.clock, max_attempts, timeout=timeout)

    def later(self, seconds: float) -> datetime:
        """The deliverer's time plus ``seconds``."""
        return self.clock.now() + timedelta(seconds=seconds)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engines = make_engines(f"sqlite:///{tmp_path}/t.db")
    committer = Committer(engines.write, SystemClock())
    committer.start()
    # A minute ahead of the committer's clock, so whatever the committer makes due is due.
    yield Store(
        engines, committer, FixedClock(datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1))
    )
    committer.stop()
    engines.dispose()


async def fan_out(store: Store, *envs: Envelope) -> None:
    handle = fanout_handler(store.engines.read, store.committer, cache_seconds=0)
    for env in envs:
        await asyncio.wait_for(handle(env), WAIT)


async def one_pass(deliverer: Deliverer) -> int:
    return await asyncio.wait_for(deliverer.deliver_due(), WAIT)


# -- the tests --------------------------------------------------------------------------------


async def test_an_event_arrives_signed_with_the_subscription_secret(store: Store, receiver: Receiver) -> None:
    sub = await store.subscribe("acme", receiver.url)
    env = await store.event("acme")
    await fan_out(store, env)

    assert await one_pass(store.deliverer()) == 1

    [got] = receiver.received
    [delivery] = store.deliveries()
    assert got.request_line == "POST /hooks/onewindow HTTP/1.1"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-onewindow-event"] == "DossierOpened"
    assert got.headers["x-onewindow-delivery"] == str(delivery.id)
    assert verify(
        sub["secret"], got.headers["x-onewindow-signature"], got.body, now=store.clock.now().timestamp()
    )
    assert not verify(
        "whsec_guess", got.headers["x-onewindow-signature"], got.body, now=store.clock.now().timestamp()
    )
    assert orjson.loads(got.body) == {
        "event_id": env.event_id,
        "type": "DossierOpened",
        "number": env.number,
        "agency": "customs",
        "occurred_at": env.occurred_at,
        "body": {"state": "open"},
        "seq": env.seq,
    }
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, None)
    assert delivery.delivered_at == store.later(0)


async def test_a_receiver_failing_twice_gets_three_attempts_further_and_further_apart(
    store: Store, receiver: Receiver
) -> None:
    receiver.answers = [500, 500, 200]
    await store.subscribe("acme", receiver.url)
    await fan_out(store, await store.event("acme"))
    deliverer = store.deliverer()

    await one_pass(deliverer)
    [first] = store.deliveries()
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 500")
    assert first.next_attempt_at == store.later(2)

    store.clock.advance(seconds=1)
    assert await one_pass(deliverer) == 0, "not due before its backoff has passed"
    store.clock.advance(seconds=1)
    await one_pass(deliverer)
    [second] = store.deliveries()
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.next_attempt_at == store.later(4)

    store.clock.advance(seconds=4)
    await one_pass(deliverer)
    [last] = store.deliveries()
    assert (last.status, last.attempts) == ("delivered", 3)
    assert len(receiver.received) == 3
    assert {r.headers["x-onewindow-delivery"] for r in receiver.received} == {str(last.id)}


@pytest.mark.parametrize("way", ["silent", "refusing"])
async def test_a_receiver_that_never_takes_the_event_leaves_the_delivery_failed_after_max_attempts(
    store: Store, receiver: Receiver, way: str
) -> None:
    receiver.silent = True
    await store.subscribe("acme", receiver.url if way == "silent" else refusing_url())
    await fan_out(store, await store.event("acme"))
    deliverer = store.deliverer(max_attempts=3, timeout=0.3)

    for wait in (2, 4):
        await one_pass(deliverer)
        [d] = store.deliveries()
        assert d.status == "pending"
        store.clock.advance(seconds=wait)
    await one_pass(deliverer)

    [d] = store.deliveries()
    assert (d.status, d.attempts) == ("failed", 3)
    assert d.last_error.startswith("no answer within 0.3 s" if way == "silent" else "ConnectError")
    store.clock.advance(hours=2)
    assert await one_pass(deliverer) == 0, "a failed delivery is not tried again"
    assert len(receiver.received) == (3 if way == "silent" else 0)


async def test_an_event_handed_twice_to_the_fanout_makes_one_delivery(
    store: Store, receiver: Receiver
) -> None:
    await store.subscribe("acme", receiver.url)
    env = await store.event("acme")

    await fan_out(store, env, env)

    assert len(store.deliveries()) == 1
    assert await store.committer.run(EnqueueDeliveries(env)) == 0


async def test_an_organisation_without_webhooks_gets_no_deliveries(store: Store, receiver: Receiver) -> None:
    await store.subscribe("acme", receiver.url)

    await fan_out(store, await store.event("globex"), await store.event(None))

    assert store.deliveries() == []
    assert await one_pass(store.deliverer()) == 0


async def test_a_webhook_gets_only_the_event_types_it_asked_for(store: Store, receiver: Receiver) -> None:
    await store.subscribe("acme", receiver.url, ["DeclarationSubmitted"])
    submitted = DeclarationSubmitted(
        number="310120250000000001", org_id="acme", occurred_at=datetime.now(UTC),
        kind="import", office="3101", agencies=["customs"], submitted_by="user:u1",
    )  # fmt: skip
    await store.committer.run(Emit(submitted))
    with store.engines.read.connect() as conn:
        envs = envelopes(conn.execute(sa.select(events).order_by(events.c.seq)))

    await fan_out(store, *envs, await store.event("acme"))

    assert [d.event_id for d in store.deliveries()] == [submitted.event_id]


async def test_a_deleted_webhook_is_sent_nothing_more(store: Store, receiver: Receiver) -> None:
    sub = await store.subscribe("acme", receiver.url)
    await fan_out(store, await store.event("acme"))

    await store.committer.run(Unsubscribe("acme", sub["id"]))
    await fan_out(store, await store.event("acme", number="310120250000000002"))

    [d] = store.deliveries()
    assert (d.status, d.last_error) == ("failed", "subscription deleted")
    assert await one_pass(store.deliverer()) == 0
    assert receiver.received == []
