"""Tables of the facilities area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["facilities", "facility_bookings", "facility_closures", "officer_rosters"]

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
    # the length of one bookable slot (a booking takes one slot unless it asks for longer)
    sa.Column("slot_minutes", sa.Integer, nullable=False, server_default=sa.text("60")),
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

facility_bookings = sa.Table(
    "facility_bookings",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("facility_id", sa.String(32), nullable=False),  # the place: a site, a port (boarding), ...
    sa.Column("scanner_id", sa.String(32), nullable=True),  # a scanner at that site, used at the same time
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),  # joint_inspection, boarding, scan, sampling...
    sa.Column("reference", sa.String(64), nullable=False),  # inspection task, declaration or vessel
    sa.Column("agencies", JSONDoc, nullable=False),  # agency codes whose officers must attend
    sa.Column("status", sa.String(16), nullable=False),  # booked, moved, to_move, cancelled
    sa.Column("created_by", sa.String(96), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # the last move: where it was, why, when (the outbox keeps every move as a BookingMoved event)
    sa.Column("moved_from", Timestamp, nullable=True),
    sa.Column("moved_reason", sa.Text, nullable=True),
    sa.Column("moved_at", Timestamp, nullable=True),
    sa.Column("cancelled_reason", sa.Text, nullable=True),
    sa.Index("ix_facility_bookings_facility", "facility_id", "starts_at"),
    sa.Index("ix_facility_bookings_scanner", "scanner_id", "starts_at"),
    sa.Index("ix_facility_bookings_reference", "reference"),
)

officer_rosters = sa.Table(
    "officer_rosters",
    metadata,
    sa.Column("facility_id", sa.String(32), primary_key=True),
    sa.Column("agency", sa.String(32), primary_key=True),
    sa.Column("officers", sa.Integer, nullable=False),  # on duty at once, for inspections held there
    sa.Column("hours", JSONDoc, nullable=True),  # when they are on duty; null: whenever the site is open
    sa.Column("updated_by", sa.String(96), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
