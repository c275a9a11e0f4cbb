"""Tables of the inspection area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import JSONDoc, Timestamp, metadata

__all__ = ["inspection_orders", "inspection_results", "inspection_tasks", "scan_annotations", "scan_records"]

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
    sa.Column("task_id", sa.String(32), nullable=True),  # the joint inspection it was found at
    sa.Index("ix_inspection_results_number", "number"),
    sa.Index("ix_inspection_results_container", "container", "inspected_at"),
    sa.Index("ix_inspection_results_vessel", "vessel_imo", "inspected_at"),
)

inspection_tasks = sa.Table(
    "inspection_tasks",
    metadata,
    # One joint inspection (联合查验) of a consignment or a vessel: every agency's order while it
    # is open joins it; the container is opened (the vessel boarded) once.
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("subject_kind", sa.String(16), nullable=False),  # consignment | conveyance
    sa.Column("subject", sa.String(64), nullable=False),  # a declaration number, or IMO/voyage
    sa.Column("port", sa.String(5), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open, scheduled, in_progress, closed
    sa.Column("containers", JSONDoc, nullable=False),
    sa.Column("site_id", sa.String(32), nullable=True),
    sa.Column("booking_id", sa.String(32), nullable=True),
    sa.Column("scheduled_at", Timestamp, nullable=True),
    sa.Column("attendees", JSONDoc, nullable=False),  # [{agency, officer, at}]
    sa.Column("opened_at", Timestamp, nullable=True),
    sa.Column("closed_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_inspection_tasks_subject", "subject", "status"),
)

inspection_orders = sa.Table(
    "inspection_orders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("task_id", sa.String(32), nullable=True),  # None when settled by mutual recognition
    sa.Column("number", sa.String(18), nullable=False),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),  # scan, manual, sampling, treatment, boarding
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # joined, recognised
    sa.Column("result_id", sa.String(32), nullable=True),  # the result accepted, when recognised
    sa.Column("ordered_at", Timestamp, nullable=False),
    sa.Index("ix_inspection_orders_task", "task_id"),
    sa.Index("ix_inspection_orders_number", "number"),
)

scan_records = sa.Table(
    "scan_records",
    metadata,
    # 一机两屏: one scan image, shown to every agency on the task.
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("task_id", sa.String(32), nullable=False),
    sa.Column("container", sa.String(11), nullable=True),
    sa.Column("scanner_id", sa.String(32), nullable=False),
    sa.Column("image_sha256", sa.String(64), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("taken_at", Timestamp, nullable=False),
    sa.Column("recorded_by", sa.String(96), nullable=False),
    sa.Index("ix_scan_records_task", "task_id"),
)

scan_annotations = sa.Table(
    "scan_annotations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("scan_id", sa.String(32), nullable=False),
    sa.Column("agency", sa.String(32), nullable=False),
    sa.Column("author", sa.String(96), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("region", JSONDoc, nullable=True),  # {x, y, width, height} in image pixels
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_scan_annotations_scan", "scan_id"),
)
