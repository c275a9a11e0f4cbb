"""Reading and writing the register's rows as the model's objects (no rules here)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import NotFound

from .hours import Period
from .model import Booking, BookingStatus, Closure, Facility, FacilityKind, Roster
from .tables import facilities, facility_bookings, facility_closures, officer_rosters

__all__ = [
    "bookings_using",
    "closures_of",
    "find_facility",
    "insert_booking",
    "list_facilities",
    "load_booking",
    "load_facility",
    "lock",
    "rosters_of",
]


def _facility(row: Any) -> Facility:
    return Facility(
        id=row.id,
        kind=FacilityKind(row.kind),
        name=row.name,
        name_zh=row.name_zh,
        port=row.port,
        site=row.site,
        owner=row.owner,
        shared_with=tuple(row.shared_with),
        capacity=row.capacity,
        slot_minutes=row.slot_minutes,
        hours_doc=row.hours,
        active=row.active,
        updated_at=row.updated_at,
    )


def find_facility(conn: sa.Connection, facility_id: str) -> Facility | None:
    row = conn.execute(sa.select(facilities).where(facilities.c.id == facility_id)).first()
    return None if row is None else _facility(row)


def load_facility(conn: sa.Connection, facility_id: str) -> Facility:
    found = find_facility(conn, facility_id)
    if found is None:
        raise NotFound("facility", "设施", facility_id)
    return found


def lock(conn: sa.Connection, *chain: Facility | None) -> None:
    """Hold the facilities' rows (PostgreSQL) until the transaction ends, so that writers in
    other processes book, close or re-plan them one at a time. Every writer locks a site before
    a scanner at it, so two writers never wait for each other in a circle."""
    ids = [x for f in chain if f is not None for x in (f.site, f.id) if x is not None]
    for facility_id in dict.fromkeys(ids):
        conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id).with_for_update())


def list_facilities(
    conn: sa.Connection,
    *,
    port: str | None = None,
    kinds: Collection[FacilityKind] | None = None,
    active_only: bool = False,
) -> list[Facility]:
    f = facilities.c
    q = sa.select(facilities).order_by(f.port, f.kind, f.id)
    if port is not None:
        q = q.where(f.port == port)
    if kinds is not None:
        q = q.where(f.kind.in_([k.value for k in kinds]))
    if active_only:
        q = q.where(f.active.is_(True))
    return [_facility(r) for r in conn.execute(q)]


def closures_of(conn: sa.Connection, facility_ids: Iterable[str], within: Period) -> dict[str, list[Closure]]:
    """The closures of each facility that overlap ``within``, in time order."""
    c = facility_closures.c
    q = (
        sa.select(facility_closures)
        .where(c.facility_id.in_(list(facility_ids)), c.starts_at < within.end, c.ends_at > within.start)
        .order_by(c.starts_at)
    )
    out: dict[str, list[Closure]] = {}
    for r in conn.execute(q):
        closure = Closure(r.id, r.facility_id, Period(r.starts_at, r.ends_at), r.reason, r.created_by)
        out.setdefault(r.facility_id, []).append(closure)
    return out


def rosters_of(conn: sa.Connection, facility_id: str) -> dict[str, Roster]:
    r = officer_rosters.c
    rows = conn.execute(sa.select(officer_rosters).where(r.facility_id == facility_id).order_by(r.agency))
    return {x.agency: Roster(x.facility_id, x.agency, x.officers, x.hours) for x in rows}


def _booking(r: Any) -> Booking:
    return Booking(
        id=r.id,
        facility_id=r.facility_id,
        scanner_id=r.scanner_id,
        period=Period(r.starts_at, r.ends_at),
        purpose=r.purpose,
        reference=r.reference,
        agencies=tuple(r.agencies),
        status=BookingStatus(r.status),
        created_by=r.created_by,
        created_at=r.created_at,
        moved_from=r.moved_from,
        moved_reason=r.moved_reason,
        cancelled_reason=r.cancelled_reason,
    )


def bookings_using(
    conn: sa.Connection,
    facility_id: str,
    within: Period,
    statuses: Collection[BookingStatus] | None = None,
) -> list[Booking]:
    """Bookings of the facility, or of a site using it as the scanner, that overlap ``within``."""
    b = facility_bookings.c
    q = (
        sa.select(facility_bookings)
        .where(
            sa.or_(b.facility_id == facility_id, b.scanner_id == facility_id),
            b.starts_at < within.end,
            b.ends_at > within.start,
        )
        .order_by(b.starts_at, b.id)
    )
    if statuses is not None:
        q = q.where(b.status.in_([s.value for s in statuses]))
    return [_booking(r) for r in conn.execute(q)]


def load_booking(conn: sa.Connection, booking_id: str) -> Booking:
    row = conn.execute(sa.select(facility_bookings).where(facility_bookings.c.id == booking_id)).first()
    if row is None:
        raise NotFound("booking", "预约", booking_id)
    return _booking(row)


def insert_booking(conn: sa.Connection, booking: Booking) -> None:
    conn.execute(
        facility_bookings.insert().values(
            id=booking.id,
            facility_id=booking.facility_id,
            scanner_id=booking.scanner_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            purpose=booking.purpose,
            reference=booking.reference,
            agencies=list(booking.agencies),
            status=booking.status.value,
            created_by=booking.created_by,
            created_at=booking.created_at,
        )
    )
