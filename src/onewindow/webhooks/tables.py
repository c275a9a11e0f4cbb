"""Tables of the webhooks area: who wants which events, and each event's delivery to each of them."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata
from onewindow.persistence.outbox import events

__all__ = ["webhook_deliveries", "webhook_subscriptions"]

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("org_id", sa.String(64), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("event_types", JSONDoc, nullable=False),  # a list of event type names; empty: every event
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_webhook_subscriptions_org_active", "org_id", "active"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", Serial, primary_key=True, autoincrement=True),
    sa.Column("subscription_id", sa.String(32), sa.ForeignKey(webhook_subscriptions.c.id), nullable=False),
    sa.Column("event_seq", sa.BigInteger, sa.ForeignKey(events.c.seq), nullable=False),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("delivered_at", Timestamp, nullable=True),
    sa.UniqueConstraint("subscription_id", "event_id"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)
