"""NatsBroker against a real JetStream: de-duplication, redelivery, durable resume, shared work.

Each test has its own stream and subject prefix, deleted at the end, so tests never see each
other's events.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest

from onewindow.kernel.messages import Envelope, new_event_id
from onewindow.messaging.brokers.nats import NatsBroker

pytestmark = pytest.mark.nats

WAIT = 5.0
"""Upper bound for anything the test waits for, so a failure cannot hang."""
SHORT_ACK_WAIT = 1.0
"""For tests that must see an unacked event come back while they still listen."""
SETTLE = 2.0
"""How long to keep listening after the expected events, to catch any extra delivery (> SHORT_ACK_WAIT)."""

BrokerFactory = Callable[..., Awaitable[NatsBroker]]


def an_envelope(seq: int) -> Envelope:
    return Envelope(
        seq=seq,
        event_id=new_event_id(),
        type="DeclarationSubmitted",
        number=f"D{seq}",
        org_id="ORG1",
        agency="customs",
        occurred_at="2024-05-01T08:00:00+00:00",
        body={"seq": seq},
    )


class Recorder:
    """A handler that records every delivery and lets a test wait for a number of them."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list[str] = []
        self._delay = delay
        self._changed = asyncio.Event()

    async def __call__(self, env: Envelope) -> None:
        await asyncio.sleep(self._delay)
        self.received.append(env.event_id)
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        await asyncio.wait_for(self._until(lambda: len(self.received) >= count), WAIT)

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._changed.clear()
            await self._changed.wait()


async def wait_until(done: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not done():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), WAIT)


@pytest.fixture
async def make_broker(nats_url: str) -> AsyncIterator[BrokerFactory]:
    """Started brokers on a stream and prefix of this test's own; all closed, stream deleted after."""
    tag = uuid.uuid4().hex[:12]
    stream, prefix = f"TEST_{tag}", f"test.{tag}"
    brokers: list[NatsBroker] = []

    async def make(ack_wait: float = 30.0) -> NatsBroker:
        broker = NatsBroker(nats_url, stream=stream, subjects_prefix=prefix, ack_wait=ack_wait)
        await broker.start()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        await asyncio.wait_for(broker.close(), WAIT)
    await asyncio.wait_for(delete_stream(nats_url, stream), WAIT)


async def delete_stream(nats_url: str, stream: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


async def test_a_republished_event_reaches_the_subscriber_once(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    recorder = Recorder()
    await broker.subscribe("dedup", recorder)
    envelopes = [an_envelope(i) for i in range(3)]

    for env in [*envelopes, envelopes[0], envelopes[1]]:
        await broker.publish(env)
    await recorder.wait_for(3)
    await asyncio.sleep(SETTLE)

    assert Counter(recorder.received) == Counter(env.event_id for env in envelopes)


async def test_an_event_whose_handler_raises_is_redelivered_until_handled_then_never_again(
    make_broker: BrokerFactory,
) -> None:
    broker = await make_broker(ack_wait=SHORT_ACK_WAIT)
    attempts: list[str] = []
    handled: list[str] = []

    async def fails_first_time(env: Envelope) -> None:
        attempts.append(env.event_id)
        if len(attempts) == 1:
            raise RuntimeError("the database blinked")
        handled.append(env.event_id)

    await broker.subscribe("retry", fails_first_time)
    env = an_envelope(1)
    await broker.publish(env)
    await wait_until(lambda: len(handled) == 1)
    await asyncio.sleep(SETTLE)

    assert attempts == [env.event_id, env.event_id]
    assert handled == [env.event_id]


async def test_a_durable_consumer_that_comes_back_gets_what_it_missed_and_nothing_it_acked(
    make_broker: BrokerFactory,
) -> None:
    publisher = await make_broker()
    before, during = [an_envelope(i) for i in range(2)], [an_envelope(i) for i in range(2, 5)]

    first = await make_broker(ack_wait=SHORT_ACK_WAIT)
    first_run = Recorder()
    await first.subscribe("worker", first_run)
    for env in before:
        await publisher.publish(env)
    await first_run.wait_for(len(before))
    await first.close()

    for env in during:
        await publisher.publish(env)
    second = await make_broker(ack_wait=SHORT_ACK_WAIT)
    second_run = Recorder()
    await second.subscribe("worker", second_run)
    await second_run.wait_for(len(during))
    await asyncio.sleep(SETTLE)

    assert Counter(first_run.received) == Counter(env.event_id for env in before)
    assert Counter(second_run.received) == Counter(env.event_id for env in during)


async def test_two_workers_on_one_durable_name_share_the_events_without_overlap(
    make_broker: BrokerFactory,
) -> None:
    publisher, worker_a, worker_b = await make_broker(), await make_broker(), await make_broker()
    a, b = Recorder(delay=0.02), Recorder(delay=0.02)
    await worker_a.subscribe("workers", a)
    await worker_b.subscribe("workers", b)
    envelopes = [an_envelope(i) for i in range(40)]

    for env in envelopes:
        await publisher.publish(env)
    await wait_until(lambda: len(a.received) + len(b.received) >= len(envelopes))
    await asyncio.sleep(SETTLE)

    assert Counter(a.received + b.received) == Counter(env.event_id for env in envelopes)
    assert not set(a.received) & set(b.received)
    assert a.received and b.received
