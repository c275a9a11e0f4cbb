"""A consumer claims an event once: a redelivered event is recognised on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from onewindow.persistence.engine import Engines
from onewindow.persistence.outbox import claim_processed


def test_an_event_is_claimed_once_per_consumer(engines: Engines) -> None:
    now = datetime.now(UTC)
    with engines.write.begin() as conn:
        assert claim_processed(conn, "inspection-orders", "e1", now) is True
        assert claim_processed(conn, "inspection-orders", "e1", now) is False
        assert claim_processed(conn, "webhooks", "e1", now) is True
