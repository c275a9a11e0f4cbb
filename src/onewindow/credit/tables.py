"""Tables of the credit area: the register every agency reads and writes to."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = [
    "credit_grade_changes",
    "credit_policies",
    "credit_violations",
    "enterprises",
    "vessel_violations",
    "vessels",
]

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

enterprises = sa.Table(
    "enterprises",
    metadata,
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("grade", sa.String(32), nullable=False),
    sa.Column("since", sa.Date, nullable=False),
    sa.Column("org_id", sa.String(64), nullable=True),
    sa.Column("customs_broker", sa.Boolean, nullable=False),
    sa.Column("declarations_last_year", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_enterprises_grade", "grade"),
)

credit_grade_changes = sa.Table(
    "credit_grade_changes",
    metadata,
    sa.Column("id", Serial, primary_key=True, autoincrement=True),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("grade", sa.String(32), nullable=False),
    sa.Column("previous", sa.String(32), nullable=True),
    sa.Column("effective_on", sa.Date, nullable=False),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("policy", sa.String(32), nullable=False),
    sa.Column("violations", JSONDoc, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reason_zh", sa.Text, nullable=False),
    sa.Column("changed_by", sa.String(96), nullable=False),
    sa.Column("changed_at", Timestamp, nullable=False),
    sa.Index("ix_credit_grade_changes_uscc", "uscc", "changed_at"),
)

credit_violations = sa.Table(
    "credit_violations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("cured_on", sa.Date, nullable=True),  # taxes paid, reachable again
    sa.Column("recorded_by", sa.String(96), nullable=False),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Index("ix_credit_violations_uscc", "uscc", "occurred_on"),
)

vessels = sa.Table(
    "vessels",
    metadata,
    sa.Column("imo", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("flag", sa.String(2), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
)

vessel_violations = sa.Table(
    "vessel_violations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("imo", sa.String(10), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(96), nullable=False),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Index("ix_vessel_violations_imo", "imo", "occurred_on"),
)

credit_policies = sa.Table(
    "credit_policies",
    metadata,
    # The port office's edition of the packaged policy (the newest row is in force).
    sa.Column("revision", Serial, primary_key=True, autoincrement=True),
    sa.Column("document", JSONDoc, nullable=False),
    sa.Column("saved_by", sa.String(96), nullable=False),
    sa.Column("saved_at", Timestamp, nullable=False),
)
