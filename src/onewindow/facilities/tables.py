"""Tables of the facilities area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["facilities", "facility_closures"]

facilities = sa.Table(
    "facilities",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # e.g. "WHI-GATE-1", "WHI-SCAN-1"
    sa.Column("kind", sa.String(24), nullable=False),  # port, inspection_site, scanner, cctv, gate
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("port", sa.String(5), nullable=False),  # UN/LOCODE of the port it belongs to
    sa.Column("site", sa.String(32), nullable=True),  # the inspection site a scanner or camera is at
    sa.Column("owner", sa.String(64), nullable=False),  # owning body (an agency code or organisation)
    sa.Column("shared_with", JSONDoc, nullable=False),  # agency codes that use it
    sa.Column("capacity", sa.Integer, nullable=False),  # concurrent uses (inspections, trucks) per slot
    sa.Column("hours", JSONDoc, nullable=False),  # opening hours: see facilities.hours
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_facilities_kind_port", "kind", "port"),
)

facility_closures = sa.Table(
    "facility_closures",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("facility_id", sa.String(32), nullable=False),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(96), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_facility_closures_facility", "facility_id", "starts_at"),
)
