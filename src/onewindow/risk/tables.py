"""Tables of the risk area: profiles, alerts, IP rights, learned models, and every assessment."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["ip_rights", "risk_alerts", "risk_assessments", "risk_models", "risk_overrules", "risk_profiles"]

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

risk_profiles = sa.Table(
    "risk_profiles",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("owner_agency", sa.String(32), nullable=False),
    sa.Column("shared_with", JSONDoc, nullable=False),  # agency codes that use it too
    sa.Column("expression", sa.Text, nullable=False),
    sa.Column("channel", sa.String(24), nullable=False),
    sa.Column("hit_rate", sa.Float, nullable=False),  # share of matching declarations selected
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("valid_from", Timestamp, nullable=False),
    sa.Column("valid_to", Timestamp, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(96), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

risk_alerts = sa.Table(
    "risk_alerts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column(
        "subject_kind", sa.String(16), nullable=False
    ),  # enterprise, vessel, container, commodity, origin
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(24), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(96), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
)

ip_rights = sa.Table(
    "ip_rights",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("holder_name", sa.String(255), nullable=False),
    sa.Column("holder_org_id", sa.String(64), nullable=True),  # told of every hold when registered
    sa.Column("mark", sa.String(200), nullable=False),
    sa.Column("hs_prefixes", JSONDoc, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("recorded_by", sa.String(96), nullable=False),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

risk_models = sa.Table(
    "risk_models",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("trained_at", Timestamp, nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("metrics", JSONDoc, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

risk_assessments = sa.Table(
    "risk_assessments",
    metadata,
    sa.Column("number", sa.String(18), primary_key=True),
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(24), nullable=False),
    sa.Column("selected", sa.Boolean, nullable=False),
    sa.Column("grade", sa.String(32), nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("model_id", sa.String(32), nullable=True),
    sa.Column("explanation", JSONDoc, nullable=False),
    sa.Column("assessed_at", Timestamp, nullable=False),
    sa.Index("ix_risk_assessments_agency_at", "agency", "assessed_at"),
)

risk_overrules = sa.Table(
    "risk_overrules",
    metadata,
    sa.Column("id", Serial, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(18), nullable=False),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column("from_channel", sa.String(24), nullable=False),
    sa.Column("to_channel", sa.String(24), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("overruled_by", sa.String(96), nullable=False),
    sa.Column("overruled_at", Timestamp, nullable=False),
    sa.Index("ix_risk_overrules_number", "number"),
)
