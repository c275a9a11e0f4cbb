"""The outbox: every event is written in the transaction that made it, and kept.

The same table is the event store behind each declaration's timeline and the audit trail. The
relay publishes rows whose ``published`` flag is false and then sets it; consumers record the
event ids they have handled in ``processed_events`` in the same transaction as their effect, so
an event redelivered after a crash has no second effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.messages import Envelope, Event, event_type

from .metadata import JSONDoc, Timestamp, insert_ignore, metadata

__all__ = [
    "claim_processed",
    "envelopes",
    "events",
    "mark_published",
    "processed_events",
    "unclaimed",
    "unpublished",
    "write_events",
]

events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("event_id", sa.String(32), nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("number", sa.String(32), nullable=True, index=True),
    sa.Column("org_id", sa.String(64), nullable=True),
    sa.Column("agency", sa.String(32), nullable=True),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("body", JSONDoc, nullable=False),
    sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(
        "ix_events_unpublished",
        "seq",
        sqlite_where=sa.text("published = 0"),
        postgresql_where=sa.text("published = false"),
    ),
    sa.Index("ix_events_org_seq", "org_id", "seq"),
)

processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("processed_at", Timestamp, nullable=False),
)


def _row(e: Event) -> dict[str, object]:
    return {
        "event_id": e.event_id,
        "type": event_type(e),
        "number": e.number,
        "org_id": e.org_id,
        "agency": e.agency,
        "occurred_at": e.occurred_at,
        "body": e.body(),
        "published": False,
    }


def write_events(conn: sa.Connection, batch: Sequence[Event]) -> None:
    if batch:
        conn.execute(events.insert(), [_row(e) for e in batch])


def envelopes(rows: Iterable[sa.Row[tuple[object, ...]]]) -> list[Envelope]:
    out = []
    for r in rows:
        at = r.occurred_at
        out.append(
            Envelope(
                seq=r.seq,
                event_id=r.event_id,
                type=r.type,
                number=r.number,
                org_id=r.org_id,
                agency=r.agency,
                occurred_at=at.isoformat() if isinstance(at, datetime) else str(at),
                body=r.body,
            )
        )
    return out


def unpublished(conn: sa.Connection, limit: int) -> list[Envelope]:
    q = sa.select(events).where(events.c.published == sa.false()).order_by(events.c.seq).limit(limit)
    return envelopes(conn.execute(q))


def mark_published(conn: sa.Connection, seqs: Sequence[int]) -> None:
    conn.execute(events.update().where(events.c.seq.in_(seqs)).values(published=True))


def unclaimed(tx: Any, consumer: str, ops: Sequence[Any]) -> list[Any]:
    """Of ``ops`` (each with an ``event_id``), those whose event ``consumer`` has not handled yet,
    claimed now (in the caller's transaction) so that a redelivery finds them handled."""
    ids = list({op.event_id for op in ops})
    done = set(
        tx.conn.execute(
            sa.select(processed_events.c.event_id).where(
                processed_events.c.consumer == consumer, processed_events.c.event_id.in_(ids)
            )
        ).scalars()
    )
    todo, seen = [], set(done)
    for op in ops:
        if op.event_id not in seen:
            seen.add(op.event_id)
            todo.append(op)
    if todo:
        tx.conn.execute(
            processed_events.insert(),
            [{"consumer": consumer, "event_id": op.event_id, "processed_at": tx.now} for op in todo],
        )
    return todo


def claim_processed(conn: sa.Connection, consumer: str, event_id: str, now: datetime) -> bool:
    """Record that ``consumer`` handled ``event_id``; False if it already had (do nothing then)."""
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT … ON CONFLICT DO NOTHING.
    claimed = conn.execute(
        insert_ignore(conn, processed_events)
        .values(consumer=consumer, event_id=event_id, processed_at=now)
        .returning(processed_events.c.event_id)
    ).first()
    return claimed is not None
