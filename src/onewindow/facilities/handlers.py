"""Changing the register and its bookings. Each operation runs in one transaction and holds the
rows of the facilities it books or closes (``repository.lock``), so two bookings never both take
the last place in a slot, even from two API processes.

The joint-inspection and boarding code books through ``BookSlot`` (the earliest slot that fits)
or ``BookExact`` (this slot, or refused with the next free ones), and releases through
``CancelBooking``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.persistence.committer import Transaction

from . import repository
from .events import BookingMoved, FacilityClosed
from .hours import PORT_TIME, Period, check_hours
from .model import BOOKABLE, LIVE, Booking, BookingStatus, Closure, Facility, FacilityKind, check_facility
from .schedule import HORIZON, Refusal, Resource, ResourceKind, find_slot, free_starts, refusals
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

NEXT_FREE = 3  # how many free start times a refusal offers
MAX_DURATION = timedelta(hours=24)
REPLAN_AHEAD = timedelta(days=366)  # how far ahead new opening hours are checked against bookings
_PURPOSE = re.compile(r"^[a-z][a-z_]{0,31}$")
_DISPLACED = frozenset({"closed", "outside_hours"})  # refusals that move a booking elsewhere


class SlotUnavailable(Conflict):
    """The slot asked for does not fit; ``next_free`` holds the earliest ones that do."""

    def __init__(self, reasons: Sequence[Refusal], next_free: Sequence[datetime]) -> None:
        super().__init__(
            "slot_unavailable",
            "The slot cannot be booked: " + " ".join(r.message for r in reasons),
            "该时段无法预约：" + "；".join(r.message_zh for r in reasons),
            reasons=[r.as_dict() for r in reasons],
            next_free=[t.astimezone(PORT_TIME).isoformat() for t in next_free],
        )
        self.reasons = list(reasons)
        self.next_free = list(next_free)


class NoFreeSlot(Conflict):
    def __init__(self, facility_id: str, horizon: timedelta) -> None:
        days = horizon.days
        super().__init__(
            "no_free_slot",
            f"No slot within {days} days has {facility_id} and everyone needed free.",
            f"{days} 天内 {facility_id} 及所需各方均无共同空闲时段。",
        )


def _problem(path: str, code: str, message: str, message_zh: str) -> FieldError:
    return FieldError(path, code, message, message_zh)


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
        yield _problem(
            "site", "site_unknown", f"No inspection site '{site_id}'.", f"无此查验场地“{site_id}”。"
        )
    elif site.port != fields["port"]:
        yield _problem(
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
                _problem(
                    "ends_at", "before_start", "ends_at must be after starts_at.", "结束时间须晚于开始时间。"
                )
            )
        elif self.ends_at <= now:
            problems.append(
                _problem("ends_at", "in_past", "The closure is already over.", "该关闭时段已经结束。")
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


# -- bookings ------------------------------------------------------------------------------------


@dataclass
class _Request:
    """What every booking operation asks for, checked against the register."""

    facility_id: str
    agencies: Sequence[str]
    purpose: str
    reference: str
    actor: str
    scanner_id: str | None
    duration: timedelta | None

    def resolve(self, conn: sa.Connection) -> tuple[Facility, Facility | None, timedelta, tuple[str, ...]]:
        place = repository.load_facility(conn, self.facility_id)
        if not place.active:
            raise Conflict("facility_inactive", f"{place.id} is not in service.", f"{place.id} 已停用。")
        scanner = repository.find_facility(conn, self.scanner_id) if self.scanner_id else None
        agencies = tuple(dict.fromkeys(self.agencies))
        duration = self.duration or timedelta(minutes=place.slot_minutes)
        problems = list(self._problems(place, scanner, agencies, duration))
        if problems:
            raise InvalidInput(problems)
        repository.lock(conn, place, scanner)
        return place, scanner, duration, agencies

    def _problems(
        self, place: Facility, scanner: Facility | None, agencies: Sequence[str], duration: timedelta
    ) -> Iterator[FieldError]:
        if place.kind not in BOOKABLE:
            yield _problem(
                "facility_id", "not_bookable", f"A {place.kind.value} is not booked.", "此类设施不接受预约。"
            )
        yield from _scanner_problems(self.scanner_id, scanner, place)
        for i, agency in enumerate(agencies):
            if not place.admits(agency):
                yield _problem(
                    f"agencies[{i}]",
                    "not_sharing",
                    f"{agency} neither owns nor shares {place.id}.",
                    f"{agency} 不是 {place.id} 的所有或共享单位。",
                )
        if not timedelta(minutes=1) <= duration <= MAX_DURATION:
            yield _problem(
                "duration_minutes",
                "out_of_range",
                "A booking lasts 1 to 1440 minutes.",
                "预约时长为 1 至 1440 分钟。",
            )
        if not _PURPOSE.match(self.purpose):
            yield _problem(
                "purpose",
                "bad_format",
                "A purpose is a lower-case code like joint_inspection.",
                "用途应为小写代码。",
            )
        if not 1 <= len(self.reference) <= 64:
            yield _problem(
                "reference",
                "bad_format",
                "A reference has 1 to 64 characters.",
                "关联编号为 1 至 64 个字符。",
            )

    def booking(
        self,
        place: Facility,
        scanner: Facility | None,
        agencies: tuple[str, ...],
        period: Period,
        now: datetime,
    ) -> Booking:
        return Booking(
            id=uuid.uuid4().hex,
            facility_id=place.id,
            scanner_id=scanner.id if scanner else None,
            period=period,
            purpose=self.purpose,
            reference=self.reference,
            agencies=agencies,
            status=BookingStatus.BOOKED,
            created_by=self.actor,
            created_at=now,
        )


def _scanner_problems(asked: str | None, scanner: Facility | None, place: Facility) -> Iterator[FieldError]:
    if asked is None:
        return
    if scanner is None or scanner.kind is not FacilityKind.SCANNER or not scanner.active:
        yield _problem(
            "scanner_id", "scanner_unknown", f"No scanner '{asked}' in service.", f"无在用扫描设备“{asked}”。"
        )
    elif scanner.site != place.id:
        yield _problem(
            "scanner_id",
            "elsewhere",
            f"{asked} is at {scanner.site}, not at {place.id}.",
            f"{asked} 位于 {scanner.site}，不在 {place.id}。",
        )


@dataclass
class BookSlot:
    """Book the earliest slot, from ``not_before`` (default: now), in which the facility, the
    scanner (if named) and one officer of every attending agency are all free."""

    facility_id: str
    agencies: Sequence[str]
    purpose: str
    reference: str
    actor: str
    scanner_id: str | None = None
    duration: timedelta | None = None  # default: one of the facility's slots
    not_before: datetime | None = None

    def run(self, tx: Transaction) -> Booking:
        request = _Request(
            self.facility_id,
            self.agencies,
            self.purpose,
            self.reference,
            self.actor,
            self.scanner_id,
            self.duration,
        )
        place, scanner, duration, agencies = request.resolve(tx.conn)
        after = max(self.not_before or tx.now, tx.now)
        resources = _resources(tx.conn, place, scanner, agencies, Period(after, after + HORIZON + duration))
        start = find_slot(resources, duration, after, timedelta(minutes=place.slot_minutes))
        if start is None:
            raise NoFreeSlot(place.id, HORIZON)
        booking = request.booking(place, scanner, agencies, Period(start, start + duration), tx.now)
        repository.insert_booking(tx.conn, booking)
        return booking


@dataclass
class BookExact:
    """Book exactly ``starts_at``, or be refused (``SlotUnavailable``) with why and the next free
    start times after it."""

    facility_id: str
    starts_at: datetime
    agencies: Sequence[str]
    purpose: str
    reference: str
    actor: str
    scanner_id: str | None = None
    duration: timedelta | None = None

    def run(self, tx: Transaction) -> Booking:
        request = _Request(
            self.facility_id,
            self.agencies,
            self.purpose,
            self.reference,
            self.actor,
            self.scanner_id,
            self.duration,
        )
        place, scanner, duration, agencies = request.resolve(tx.conn)
        if self.starts_at < tx.now:
            raise InvalidInput(
                [
                    _problem(
                        "starts_at",
                        "in_past",
                        "A booking cannot start in the past.",
                        "预约开始时间不能早于当前时间。",
                    )
                ]
            )
        period = Period(self.starts_at, self.starts_at + duration)
        resources = _resources(tx.conn, place, scanner, agencies, Period(tx.now, period.end + HORIZON))
        refused = refusals(resources, period)
        if refused:
            step = timedelta(minutes=place.slot_minutes)
            raise SlotUnavailable(refused, free_starts(resources, duration, self.starts_at, step, NEXT_FREE))
        booking = request.booking(place, scanner, agencies, period, tx.now)
        repository.insert_booking(tx.conn, booking)
        return booking


@dataclass
class CancelBooking:
    """Give a booking's slot back (an inspection settled by mutual recognition, a vessel gone)."""

    booking_id: str
    reason: str
    actor: str

    def run(self, tx: Transaction) -> Booking:
        booking = repository.load_booking(tx.conn, self.booking_id)
        if booking.status is BookingStatus.CANCELLED:
            return booking
        tx.conn.execute(
            facility_bookings.update()
            .where(facility_bookings.c.id == booking.id)
            .values(status=BookingStatus.CANCELLED.value, cancelled_reason=f"{self.reason} ({self.actor})")
        )
        return repository.load_booking(tx.conn, booking.id)


# -- what a booking needs ------------------------------------------------------------------------


def _resources(
    conn: sa.Connection, place: Facility, scanner: Facility | None, agencies: Collection[str], window: Period
) -> list[Resource]:
    """The facility, the scanner, and each attending agency's officers on duty at the facility."""
    ids = [place.id] if scanner is None else [place.id, scanner.id]
    closures = repository.closures_of(conn, ids, window)
    at_place = repository.bookings_using(conn, place.id, window, LIVE)
    found = [_facility_resource(place, closures.get(place.id, []), at_place)]
    if scanner is not None:
        at_scanner = repository.bookings_using(conn, scanner.id, window, LIVE)
        found.append(_facility_resource(scanner, closures.get(scanner.id, []), at_scanner))
    rosters = repository.rosters_of(conn, place.id)
    for agency in agencies:
        roster = rosters.get(agency)
        if roster is None:
            continue  # the agency has not said how many officers it has there: not limited
        taken = tuple(b.period for b in at_place if b.facility_id == place.id and agency in b.agencies)
        found.append(
            Resource(ResourceKind.OFFICERS, place.id, agency, roster.hours, (), roster.officers, taken)
        )
    return found


def _facility_resource(f: Facility, closures: Sequence[Closure], bookings: Sequence[Booking]) -> Resource:
    taken = tuple(b.period for b in bookings)
    return Resource(ResourceKind.FACILITY, f.id, None, f.hours, tuple(closures), f.capacity, taken)


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
    resources = _resources(
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
