"""Tables of the gate area: the passage log and the movements confirmed passages recorded."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["gate_movements", "gate_passages"]

gate_passages = sa.Table(
    "gate_passages",
    metadata,
    # Every decision a gate reader asked for, open or hold, with its reasons: written by the group
    # committer within milliseconds after the answer (see gate.desk); confirmed_at once the truck
    # actually passed (written before the confirmation is acknowledged).
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("gate_id", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),  # exit | entry
    sa.Column("plate", sa.String(16), nullable=False),
    sa.Column("containers", JSONDoc, nullable=False),  # [{container, passes, declarations}]
    sa.Column("seals", JSONDoc, nullable=False),  # the seals read
    sa.Column("decision", sa.String(8), nullable=False),  # open | hold
    sa.Column("reasons", JSONDoc, nullable=False),  # [{code, message, message_zh, container?...}]
    sa.Column("notes", JSONDoc, nullable=False),
    sa.Column("read_at", Timestamp, nullable=True),  # when the reader says it read the truck
    sa.Column("decided_at", Timestamp, nullable=False),
    sa.Column("asked_by", sa.String(96), nullable=False),
    sa.Column("confirmed_at", Timestamp, nullable=True),
    sa.Column("confirmed_by", sa.String(96), nullable=True),
    sa.Index("ix_gate_passages_gate_decided", "gate_id", "decided_at"),
    sa.Index("ix_gate_passages_decided", "decided_at"),
)

gate_movements = sa.Table(
    "gate_movements",
    metadata,
    # The goods of one declaration in one container went out (exit) or arrived (entry, 运抵) through
    # a gate: at most once each, which is what makes a second exit a hold and never a second event.
    sa.Column("number", sa.String(18), primary_key=True),
    sa.Column("container", sa.String(11), primary_key=True),
    sa.Column("direction", sa.String(8), primary_key=True),
    sa.Column("passage_id", sa.String(32), nullable=False),
    sa.Column("gate_id", sa.String(32), nullable=False),
    sa.Column("moved_at", Timestamp, nullable=False),
    sa.Index("ix_gate_movements_container", "container"),
    sa.Index("ix_gate_movements_passage", "passage_id"),
)
