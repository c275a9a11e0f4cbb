"""Changing the register: facilities, their opening hours, officer rosters and closures. Each
operation runs in one transaction and holds the rows of the facilities it changes
(``repository.lock``); the bookings that new hours or a closure leave without a place move to the
next free slot.

Booking itself (``BookSlot``, ``BookExact``, ``CancelBooking``) is in ``bookings.py``; its
operations are importable from here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.persistence.committer import Transaction

from . import repository
from .bookings import BookExact, BookSlot, CancelBooking, NoFreeSlot, SlotUnavailable, resources_for
from .events import BookingMoved, FacilityClosed
from .hours import Period, check_hours
from .model import LIVE, Booking, BookingStatus, Closure, Facility, FacilityKind, check_facility
from .schedule import HORIZON, find_slot, refusals
from .tables import facilities, facility_bookings, facility_closures, officer_rosters

__all__ = [
    "BookExact",
    "BookSlot",
    "CancelBooking",
    "NoFreeSlot",
    "PostClosure",
    "SaveFacility",
    "SetHours",
    "SetRoster",
    "SlotUnavailable",
]

REPLAN_AHEAD = timedelta(days=366)  # how far ahead new opening hours are checked against bookings
_DISPLACED = frozenset({"closed", "outside_hours"})  # refusals that move a booking elsewhere


# -- the register --------------------------------------------------------------------------------


@dataclass
class SaveFacility:
    """Register a facility (``create``) or replace one's fields; bookings that new opening hours
    leave outside are moved to the next free slot."""

    fields: dict[str, Any]
    known_agencies: frozenset[str]
    actor: str
    create: bool

    def run(self, tx: Transaction) -> dict[str, Any]:
        existing = repository.find_facility(tx.conn, self.fields["id"])
        repository.lock(tx.conn, existing)
        self._check(tx.conn, existing)
        values = {**self.fields, "shared_with": sorted(set(self.fields["shared_with"])), "updated_at": tx.now}
        if existing is None:
            tx.conn.execute(facilities.insert().values(**values))
        else:
            tx.conn.execute(facilities.update().where(facilities.c.id == existing.id).values(**values))
        moved: list[dict[str, Any]] = []
        if existing is not None and existing.hours_doc != self.fields["hours"]:
            moved = _replan(tx, existing.id, "opening hours changed", Period(tx.now, tx.now + REPLAN_AHEAD))
        return {**repository.load_facility(tx.conn, self.fields["id"]).as_dict(), "moved": moved}

    def _check(self, conn: sa.Connection, existing: Facility | None) -> None:
        facility_id = self.fields["id"]
        if self.create and existing is not None:
            raise Conflict(
                "facility_exists", f"{facility_id} is already registered.", f"{facility_id} 已登记。"
            )
        if not self.create and existing is None:
            repository.load_facility(conn, facility_id)  # raises NotFound
        problems = check_facility(self.fields, self.known_agencies) + list(_site_problems(conn, self.fields))
        if problems:
            raise InvalidInput(problems)


@dataclass
class SetHours:
    """Replace only a facility's opening hours (the port office's short-notice change), moving
    the bookings the new hours leave outside."""

    facility_id: str
    hours_doc: dict[str, Any]
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        f = repository.load_facility(tx.conn, self.facility_id)
        fields = {**f.as_dict(), "hours": self.hours_doc}
        del fields["updated_at"]
        return SaveFacility(fields, frozenset(f.shared_with) | {f.owner}, self.actor, create=False).run(tx)


def _site_problems(conn: sa.Connection, fields: Mapping[str, Any]) -> Iterator[FieldError]:
    """The site a scanner, camera or gate is at must be a registered inspection site of its port."""
    site_id = fields.get("site")
    if site_id is None or site_id == fields["id"]:
        return
    site = repository.find_facility(conn, site_id)
    if site is None or site.kind is not FacilityKind.INSPECTION_SITE:
        yield FieldError(
            "site", "site_unknown", f"No inspection site '{site_id}'.", f"无此查验场地“{site_id}”。"
        )
    elif site.port != fields["port"]:
        yield FieldError(
            "site",
            "other_port",
            f"{site_id} is at port {site.port}, not {fields['port']}.",
            f"{site_id} 属于口岸 {site.port}，而非 {fields['port']}。",
        )


@dataclass
class SetRoster:
    """How many officers an agency has on duty at a facility (and when); bookings it attends there
    take one each. A facility without an agency's roster does not limit that agency."""

    facility_id: str
    agency: str
    officers: int
    hours_doc: dict[str, Any] | None
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        repository.lock(tx.conn, repository.load_facility(tx.conn, self.facility_id))
        if self.hours_doc is not None and (problems := check_hours(self.hours_doc)):
            raise InvalidInput(problems)
        r = officer_rosters.c
        key = (r.facility_id == self.facility_id) & (r.agency == self.agency)
        tx.conn.execute(officer_rosters.delete().where(key))
        tx.conn.execute(
            officer_rosters.insert().values(
                facility_id=self.facility_id,
                agency=self.agency,
                officers=self.officers,
                hours=self.hours_doc,
                updated_by=self.actor,
                updated_at=tx.now,
            )
        )
        return repository.rosters_of(tx.conn, self.facility_id)[self.agency].as_dict()


@dataclass
class PostClosure:
    """A facility closed at short notice; every booking it displaces moves to the next free slot
    (or is marked ``to_move`` when none is free), and the answer says what moved."""

    facility_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        facility = repository.load_facility(tx.conn, self.facility_id)
        repository.lock(tx.conn, facility)
        self._check(tx.now)
        closure = Closure(
            uuid.uuid4().hex, facility.id, Period(self.starts_at, self.ends_at), self.reason, self.actor
        )
        tx.conn.execute(
            facility_closures.insert().values(
                id=closure.id,
                facility_id=facility.id,
                starts_at=self.starts_at,
                ends_at=self.ends_at,
                reason=self.reason,
                created_by=self.actor,
                created_at=tx.now,
            )
        )
        tx.emit([_closed_event(closure, tx.now)])
        moved = _replan(tx, facility.id, f"{facility.id} closed: {self.reason}", closure.period)
        return {"closure": closure.as_dict(), "moved": moved}

    def _check(self, now: datetime) -> None:
        problems = []
        if self.ends_at <= self.starts_at:
            problems.append(
                FieldError(
                    "ends_at", "before_start", "ends_at must be after starts_at.", "结束时间须晚于开始时间。"
                )
            )
        elif self.ends_at <= now:
            problems.append(
                FieldError("ends_at", "in_past", "The closure is already over.", "该关闭时段已经结束。")
            )
        if problems:
            raise InvalidInput(problems)


def _closed_event(closure: Closure, now: datetime) -> FacilityClosed:
    return FacilityClosed(
        number=None,
        org_id=None,
        occurred_at=now,
        facility_id=closure.facility_id,
        closure_id=closure.id,
        reason=closure.reason,
        **closure.period.as_dict(),
    )


# -- moving what a closure or new hours displaced --------------------------------------------------


def _replan(tx: Transaction, facility_id: str, reason: str, within: Period) -> list[dict[str, Any]]:
    """Move every live booking using the facility in ``within`` that it can no longer hold, in
    start order, each to the earliest free slot from its old start (or from now)."""
    moved = []
    for booking in repository.bookings_using(tx.conn, facility_id, within, LIVE):
        if booking.ends_at <= tx.now:
            continue
        outcome = _move_if_displaced(tx, booking, reason)
        if outcome is not None:
            moved.append(outcome)
    return moved


def _move_if_displaced(tx: Transaction, booking: Booking, reason: str) -> dict[str, Any] | None:
    _set_status(tx.conn, booking.id, BookingStatus.TO_MOVE)  # it no longer holds its own slot
    place = repository.load_facility(tx.conn, booking.facility_id)
    scanner = repository.find_facility(tx.conn, booking.scanner_id) if booking.scanner_id else None
    repository.lock(tx.conn, place, scanner)
    duration = booking.ends_at - booking.starts_at
    after = max(booking.starts_at, tx.now)
    resources = resources_for(
        tx.conn, place, scanner, booking.agencies, Period(tx.now, after + HORIZON + duration)
    )
    if not any(r.code in _DISPLACED for r in refusals(resources, booking.period)):
        _set_status(tx.conn, booking.id, booking.status)
        return None
    start = find_slot(resources, duration, after, timedelta(minutes=place.slot_minutes))
    to = None if start is None else Period(start, start + duration)
    _record_move(tx, booking, to, reason)
    return _move_view(booking, to, reason)


def _set_status(conn: sa.Connection, booking_id: str, status: BookingStatus) -> None:
    b = facility_bookings.c
    conn.execute(facility_bookings.update().where(b.id == booking_id).values(status=status.value))


def _record_move(tx: Transaction, booking: Booking, to: Period | None, reason: str) -> None:
    values: dict[str, Any] = {"moved_from": booking.starts_at, "moved_reason": reason, "moved_at": tx.now}
    if to is not None:
        values |= {"status": BookingStatus.MOVED.value, "starts_at": to.start, "ends_at": to.end}
    b = facility_bookings.c
    tx.conn.execute(facility_bookings.update().where(b.id == booking.id).values(**values))
    tx.emit([_moved_event(booking, to, reason, tx.now)])


def _moved_event(booking: Booking, to: Period | None, reason: str, now: datetime) -> BookingMoved:
    new = to.as_dict() if to is not None else {"starts_at": None, "ends_at": None}
    return BookingMoved(
        number=None,
        org_id=None,
        occurred_at=now,
        booking_id=booking.id,
        facility_id=booking.facility_id,
        reference=booking.reference,
        purpose=booking.purpose,
        agencies=list(booking.agencies),
        previous_starts_at=booking.period.as_dict()["starts_at"],
        starts_at=new["starts_at"],
        ends_at=new["ends_at"],
        reason=reason,
    )


def _move_view(booking: Booking, to: Period | None, reason: str) -> dict[str, Any]:
    status = BookingStatus.TO_MOVE if to is None else BookingStatus.MOVED
    after = replace(
        booking, period=to or booking.period, status=status, moved_from=booking.starts_at, moved_reason=reason
    )
    return {**after.as_dict(), "from": booking.period.as_dict(), "to": None if to is None else to.as_dict()}
