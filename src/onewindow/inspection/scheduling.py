"""The one appointment of a joint inspection, booked in the shared facilities register.

A consignment's inspection is booked at an inspection site of its port of entry that every
attending agency shares (with a scanner there when an agency ordered a scan); a vessel's joint
boarding is booked against the port itself. The slot is the earliest in which the site (and
scanner) is open and has room and one officer of every attending agency is on duty. When a later
order brings another agency, the appointment is kept if that agency can come at the same time,
else moved to the earliest slot all can make. Nothing registered (or no free slot within the
horizon) leaves the task waiting for an appointment: booking never blocks the order.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from onewindow.facilities.handlers import BookExact, BookSlot, CancelBooking
from onewindow.facilities.model import Booking, FacilityKind
from onewindow.facilities.tables import facilities
from onewindow.kernel.errors import OneWindowError
from onewindow.persistence.committer import Transaction

from .model import Task

__all__ = ["book_appointment"]

SYSTEM = "system:joint-inspection"


def book_appointment(tx: Transaction, task: Task) -> tuple[str, str, datetime] | None:
    place = site_for(tx.conn, task)
    if place is None:
        return None
    scanner = scanner_at(tx.conn, place) if any(o.kind == "scan" for o in task.orders) else None
    with tx.conn.begin_nested() as attempt:
        try:
            booking = _book(tx, task, place, scanner)
        except OneWindowError:
            attempt.rollback()
            return None
    return place, booking.id, booking.starts_at


def _book(tx: Transaction, task: Task, place: str, scanner: str | None) -> Booking:
    purpose = "boarding" if task.subject_kind == "conveyance" else "joint_inspection"
    if task.booking_id is not None and task.scheduled_at is not None:
        CancelBooking(task.booking_id, "another agency joined the inspection", SYSTEM).run(tx)
        try:
            return BookExact(place, task.scheduled_at, task.agencies, purpose, task.id, SYSTEM, scanner).run(
                tx
            )
        except OneWindowError:
            pass  # the newcomer cannot make that time: the earliest slot all can make
    return BookSlot(place, task.agencies, purpose, task.id, SYSTEM, scanner).run(tx)


def site_for(conn: sa.Connection, task: Task) -> str | None:
    f = facilities.c
    kind = FacilityKind.PORT if task.subject_kind == "conveyance" else FacilityKind.INSPECTION_SITE
    rows = conn.execute(
        sa.select(f.id, f.owner, f.shared_with)
        .where(f.kind == kind.value, f.port == task.port, f.active.is_(True))
        .order_by(f.id)
    ).all()
    for row in rows:
        users = {row.owner, *row.shared_with}
        if all(a in users for a in task.agencies):
            return str(row.id)
    return None


def scanner_at(conn: sa.Connection, site: str) -> str | None:
    f = facilities.c
    found = conn.execute(
        sa.select(f.id)
        .where(f.kind == FacilityKind.SCANNER.value, f.site == site, f.active.is_(True))
        .order_by(f.id)
        .limit(1)
    ).scalar()
    return str(found) if found else None
