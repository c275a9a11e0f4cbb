"""Tables of the declarations area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["declaration_containers", "declarations", "dossiers", "idempotency_keys", "number_sequences"]

declarations = sa.Table(
    "declarations",
    metadata,
    sa.Column("number", sa.String(18), primary_key=True),
    sa.Column("org_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("office", sa.String(8), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("withdrawal", sa.String(16), nullable=False),
    sa.Column("data", JSONDoc, nullable=False),
    sa.Column("submitted_by", sa.String(64), nullable=False),
    sa.Column("submitted_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_declarations_org_submitted", "org_id", "submitted_at", "number"),
    sa.Index("ix_declarations_status_submitted", "status", "submitted_at"),
)

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("number", sa.String(18), primary_key=True),
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("category", sa.String(24), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(96), nullable=True),
    sa.Column("acted", sa.Boolean, nullable=False),
    sa.Column("withdrawal", sa.String(16), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_dossiers_queue", "agency", "category", "updated_at"),
)

declaration_containers = sa.Table(
    "declaration_containers",
    metadata,
    # The containers of goods declarations, by container number: what gates and inspections look
    # up. Rewritten with an amendment; the seals as declared.
    sa.Column("container", sa.String(11), primary_key=True),
    sa.Column("number", sa.String(18), primary_key=True, index=True),  # rewritten by number on amendment
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("seals", JSONDoc, nullable=False),
)

number_sequences = sa.Table(
    "number_sequences",
    metadata,
    sa.Column("office", sa.String(8), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("next_serial", sa.BigInteger, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    # SHA-256 of organisation and key: one short unique column, so a batch of look-ups is a plain
    # index probe per key on both databases whatever their statistics say.
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("org_id", sa.String(64), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("number", sa.String(18), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)
