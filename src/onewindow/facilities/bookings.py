"""Booking the register's facilities. Each operation runs in one transaction and holds the rows
of the facilities it books (``repository.lock``), so two bookings never both take the last place in
a slot, even from two API processes.

The joint-inspection and boarding code books through ``BookSlot`` (the earliest slot that fits)
or ``BookExact`` (this slot, or refused with the next free ones), and releases through
``CancelBooking``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.persistence.committer import Transaction

from . import repository
from .hours import PORT_TIME, Period
from .model import BOOKABLE, LIVE, Booking, BookingStatus, Closure, Facility, FacilityKind
from .schedule import HORIZON, Refusal, Resource, ResourceKind, find_slot, free_starts, refusals
from .tables import facility_bookings

__all__ = [
    "MAX_DURATION",
    "NEXT_FREE",
    "BookExact",
    "BookSlot",
    "CancelBooking",
    "NoFreeSlot",
    "SlotUnavailable",
    "resources_for",
]

NEXT_FREE = 3  # how many free start times a refusal offers
MAX_DURATION = timedelta(hours=24)
_PURPOSE = re.compile(r"^[a-z][a-z_]{0,31}$")


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
            yield FieldError(
                "facility_id", "not_bookable", f"A {place.kind.value} is not booked.", "此类设施不接受预约。"
            )
        yield from _scanner_problems(self.scanner_id, scanner, place)
        for i, agency in enumerate(agencies):
            if not place.admits(agency):
                yield FieldError(
                    f"agencies[{i}]",
                    "not_sharing",
                    f"{agency} neither owns nor shares {place.id}.",
                    f"{agency} 不是 {place.id} 的所有或共享单位。",
                )
        if not timedelta(minutes=1) <= duration <= MAX_DURATION:
            yield FieldError(
                "duration_minutes",
                "out_of_range",
                "A booking lasts 1 to 1440 minutes.",
                "预约时长为 1 至 1440 分钟。",
            )
        if not _PURPOSE.match(self.purpose):
            yield FieldError(
                "purpose",
                "bad_format",
                "A purpose is a lower-case code like joint_inspection.",
                "用途应为小写代码。",
            )
        if not 1 <= len(self.reference) <= 64:
            yield FieldError(
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
        yield FieldError(
            "scanner_id", "scanner_unknown", f"No scanner '{asked}' in service.", f"无在用扫描设备“{asked}”。"
        )
    elif scanner.site != place.id:
        yield FieldError(
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
        resources = resources_for(
            tx.conn, place, scanner, agencies, Period(after, after + HORIZON + duration)
        )
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
                    FieldError(
                        "starts_at",
                        "in_past",
                        "A booking cannot start in the past.",
                        "预约开始时间不能早于当前时间。",
                    )
                ]
            )
        period = Period(self.starts_at, self.starts_at + duration)
        resources = resources_for(tx.conn, place, scanner, agencies, Period(tx.now, period.end + HORIZON))
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


def resources_for(
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
