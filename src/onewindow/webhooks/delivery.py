"""From an organisation's events to signed POSTs at its webhooks, retried until received.

The fan-out consumer turns an event into one pending delivery per matching subscription, in the
transaction that claims the event, so a redelivered event never doubles a delivery. The deliverer
POSTs the due deliveries and records each outcome; a failed attempt is retried after 2, 4, 8 …
seconds (at most an hour) until ``max_attempts``, after which the delivery is ``failed``. Both run
in the worker, after the commit: a slow or absent receiver never holds up a submission.

A receiver checks ``X-OneWindow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, computed with
the subscription's secret over ``b"<t>." + body``, with ``verify``. Delivery is at least once: a
receiver drops repeats by ``event_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from onewindow.kernel.clock import Clock
from onewindow.kernel.messages import Envelope
from onewindow.messaging.brokers.base import Handler
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.outbox import claim_processed, envelopes, events

from .tables import webhook_deliveries as deliveries
from .tables import webhook_subscriptions as subscriptions

__all__ = [
    "CONSUMER",
    "Deliverer",
    "DeliveryStatus",
    "EnqueueDeliveries",
    "backoff",
    "fanout_handler",
    "payload",
    "sign",
    "verify",
]

log = logging.getLogger(__name__)

CONSUMER = "webhooks"
MAX_BACKOFF_S = 3600
ERROR_CHARS = 500


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# -- signing ----------------------------------------------------------------------------------


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance_s: float = 300, now: float | None = None) -> bool:
    """For receivers: does ``header`` sign ``body`` with ``secret``, made within ``tolerance_s`` of
    ``now`` (unix seconds; the current time by default)? Any of several ``v1`` values may match."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = _mac(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, c.encode()) for c in candidates)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 2, 4, 8 … seconds, at most an hour."""
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_S))


def payload(env: Envelope) -> dict[str, Any]:
    """What a receiver gets: the event, without the organisation (it is the receiver's own)."""
    return {
        "event_id": env.event_id,
        "type": env.type,
        "number": env.number,
        "agency": env.agency,
        "occurred_at": env.occurred_at,
        "body": env.body,
        "seq": env.seq,
    }


# -- fan-out ----------------------------------------------------------------------------------


def _matches(event_types: Sequence[str], type_: str) -> bool:
    return not event_types or type_ in event_types


@dataclass
class EnqueueDeliveries:
    """One pending delivery of the event for each active subscription of its organisation that
    wants it; nothing if the event was already handled."""

    envelope: Envelope

    def run(self, tx: Transaction) -> int:
        env = self.envelope
        q = sa.select(subscriptions.c.id, subscriptions.c.event_types).where(
            subscriptions.c.org_id == env.org_id, subscriptions.c.active == sa.true()
        )
        wanted = [r.id for r in tx.conn.execute(q) if _matches(r.event_types, env.type)]
        if not wanted or not claim_processed(tx.conn, CONSUMER, env.event_id, tx.now):
            return 0
        rows = [
            {
                "subscription_id": sub_id,
                "event_seq": env.seq,
                "event_id": env.event_id,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": tx.now,
            }
            for sub_id in wanted
        ]
        tx.conn.execute(deliveries.insert(), rows)
        return len(rows)


class _SubscribedOrgs:
    """The event types each organisation's active subscriptions want, re-read every few seconds:
    most organisations have none, and most events then cost no write at all."""

    def __init__(self, engine: sa.Engine, ttl: float) -> None:
        self._engine = engine
        self._ttl = ttl
        self._wanted: dict[str, list[list[str]]] = {}
        self._expires = float("-inf")
        self._lock = asyncio.Lock()

    async def want(self, org_id: str, type_: str) -> bool:
        if time.monotonic() >= self._expires:
            async with self._lock:
                if time.monotonic() >= self._expires:
                    self._wanted = await asyncio.to_thread(self._load)
                    self._expires = time.monotonic() + self._ttl
        return any(_matches(types, type_) for types in self._wanted.get(org_id, ()))

    def _load(self) -> dict[str, list[list[str]]]:
        q = sa.select(subscriptions.c.org_id, subscriptions.c.event_types).where(
            subscriptions.c.active == sa.true()
        )
        wanted: dict[str, list[list[str]]] = {}
        with self._engine.connect() as conn:
            for r in conn.execute(q):
                wanted.setdefault(r.org_id, []).append(list(r.event_types))
        return wanted


def fanout_handler(read_engine: sa.Engine, committer: Committer, *, cache_seconds: float = 5.0) -> Handler:
    """The ``webhooks`` consumer. A subscription is seen at most ``cache_seconds`` after it is made."""
    orgs = _SubscribedOrgs(read_engine, cache_seconds)

    async def handle(env: Envelope) -> None:
        if env.org_id and await orgs.want(env.org_id, env.type):
            await committer.run(EnqueueDeliveries(env))

    return handle


# -- delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    id: int
    attempts: int
    url: str
    secret: str
    envelope: Envelope


@dataclass
class LeaseDue:
    """Move the given due deliveries' next attempt to ``until``, so no other deliverer sends them
    meanwhile; returns the ids this deliverer now holds (those still pending and due)."""

    ids: Sequence[int]
    now: datetime
    until: datetime

    def run(self, tx: Transaction) -> set[int]:
        q = (
            deliveries.update()
            .where(
                deliveries.c.id.in_(self.ids),
                deliveries.c.status == DeliveryStatus.PENDING.value,
                deliveries.c.next_attempt_at <= self.now,
            )
            .values(next_attempt_at=self.until)
            .returning(deliveries.c.id)
        )
        return set(tx.conn.execute(q).scalars())


@dataclass
class RecordAttempts:
    """Store the outcome of each delivery's latest attempt (the new values of its row, by id)."""

    outcomes: Sequence[tuple[int, dict[str, Any]]]

    def run(self, tx: Transaction) -> None:
        for delivery_id, values in self.outcomes:
            tx.conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id, deliveries.c.status == DeliveryStatus.PENDING.value)
                .values(**values)
            )


class Deliverer:
    """Sends due deliveries: up to ``batch`` per pass, ``concurrency`` at once, each within
    ``timeout`` seconds. Several deliverers (one per worker process) may run: a lease keeps each
    delivery with one of them while it is being sent."""

    def __init__(
        self,
        read_engine: sa.Engine,
        committer: Committer,
        clock: Clock,
        max_attempts: int,
        *,
        poll: float = 0.2,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
        batch: int = 100,
        concurrency: int = 16,
    ) -> None:
        self._engine = read_engine
        self._committer = committer
        self._clock = clock
        self._max_attempts = max_attempts
        self._poll = poll
        self._timeout = timeout
        self._client = client
        self._batch = batch
        self._concurrency = concurrency
        rounds = -(-batch // concurrency)
        self._lease = timedelta(seconds=timeout * (rounds + 2))
        self.delivered = 0
        self.failed_attempts = 0

    async def run(self) -> None:
        """Deliver until cancelled."""
        async with self._http() as client:
            while True:
                try:
                    sent = await self._pass(client)
                except Exception:
                    log.exception("webhook delivery pass failed; retrying")
                    await asyncio.sleep(max(self._poll, 1.0))
                    continue
                if sent < self._batch:
                    await asyncio.sleep(self._poll)

    async def deliver_due(self) -> int:
        """One pass over the due deliveries; returns how many were attempted."""
        async with self._http() as client:
            return await self._pass(client)

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client is not None:
            yield self._client
            return
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            yield client

    async def _pass(self, client: httpx.AsyncClient) -> int:
        now = self._clock.now()
        due = await asyncio.to_thread(self._fetch_due, now)
        if not due:
            return 0
        held = await self._committer.run(LeaseDue([d.id for d in due], now, now + self._lease))
        due = [d for d in due if d.id in held]
        limit = asyncio.Semaphore(self._concurrency)

        async def attempt(d: _Due) -> str | None:
            async with limit:
                return await self._post(client, d)

        errors = await asyncio.gather(*(attempt(d) for d in due))
        done = self._clock.now()
        outcomes = [(d.id, self._outcome(d, error, done)) for d, error in zip(due, errors, strict=True)]
        await self._committer.run(RecordAttempts(outcomes))
        return len(due)

    def _fetch_due(self, now: datetime) -> list[_Due]:
        q = (
            sa.select(
                deliveries.c.id.label("delivery_id"),
                deliveries.c.attempts,
                subscriptions.c.url,
                subscriptions.c.secret,
                *events.c,
            )
            .select_from(
                deliveries.join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id).join(
                    events, events.c.seq == deliveries.c.event_seq
                )
            )
            .where(
                deliveries.c.status == DeliveryStatus.PENDING.value,
                deliveries.c.next_attempt_at <= now,
                subscriptions.c.active == sa.true(),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(self._batch)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            _Due(r.delivery_id, r.attempts, r.url, r.secret, env)
            for r, env in zip(rows, envelopes(rows), strict=True)
        ]

    async def _post(self, client: httpx.AsyncClient, d: _Due) -> str | None:
        """Send one delivery; None if the receiver took it (2xx), else what went wrong."""
        body = orjson.dumps(payload(d.envelope))
        headers = {
            "Content-Type": "application/json",
            "X-OneWindow-Event": d.envelope.type,
            "X-OneWindow-Delivery": str(d.id),
            "X-OneWindow-Signature": sign(d.secret, int(self._clock.now().timestamp()), body),
        }
        try:
            async with asyncio.timeout(self._timeout):
                # Streamed and never read: only the status matters, whatever the receiver sends back.
                async with client.stream("POST", d.url, content=body, headers=headers) as response:
                    status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return f"no answer within {self._timeout:g} s"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        except Exception as exc:  # e.g. a URL httpx cannot parse: this delivery fails, not the pass
            log.warning("webhook delivery %s to %s failed", d.id, d.url, exc_info=True)
            return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        return None if 200 <= status < 300 else f"HTTP {status}"

    def _outcome(self, d: _Due, error: str | None, now: datetime) -> dict[str, Any]:
        attempts = d.attempts + 1
        if error is None:
            self.delivered += 1
            return {"status": DeliveryStatus.DELIVERED.value, "attempts": attempts, "delivered_at": now}
        self.failed_attempts += 1
        if attempts >= self._max_attempts:
            return {"status": DeliveryStatus.FAILED.value, "attempts": attempts, "last_error": error}
        return {"attempts": attempts, "last_error": error, "next_attempt_at": now + backoff(attempts)}
