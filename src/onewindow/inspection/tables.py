"""Tables of the inspection area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import Timestamp, metadata

__all__ = ["inspection_results"]

inspection_results = sa.Table(
    "inspection_results",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # What was inspected: a declaration, and/or one of its containers, or a vessel (IMO).
    sa.Column("number", sa.String(18), nullable=True),
    sa.Column("container", sa.String(11), nullable=True),
    sa.Column("vessel_imo", sa.String(16), nullable=True),
    # Who inspected: an agency's officers, or an accredited third party (an organisation).
    sa.Column("inspector_kind", sa.String(16), nullable=False),  # agency | third_party
    sa.Column("agency", sa.String(32), nullable=True),
    sa.Column("inspector_org", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),  # scan, manual, sampling, lab_test, document
    sa.Column("checked", sa.Text, nullable=False),
    sa.Column("findings", sa.Text, nullable=False),
    sa.Column("fraud", sa.Boolean, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("inspected_at", Timestamp, nullable=False),
    sa.Column("recorded_by", sa.String(96), nullable=False),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Index("ix_inspection_results_number", "number"),
    sa.Index("ix_inspection_results_container", "container", "inspected_at"),
    sa.Index("ix_inspection_results_vessel", "vessel_imo", "inspected_at"),
)
