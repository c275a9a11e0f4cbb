"""The booking operations the joint-inspection and boarding code calls, each run in a transaction
at a chosen time, on SQLite and on PostgreSQL: the earliest fit, an exact slot refused with the
next free ones, a closure that moves what it displaces, and new hours that do the same."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from onewindow.facilities.events import BookingMoved, FacilityClosed
from onewindow.facilities.handlers import (
    BookExact,
    BookSlot,
    CancelBooking,
    PostClosure,
    SaveFacility,
    SetHours,
    SetRoster,
    SlotUnavailable,
)
from onewindow.facilities.hours import PORT_TIME
from onewindow.facilities.model import Booking, BookingStatus
from onewindow.kernel.errors import InvalidInput, NotFound
from onewindow.persistence.committer import Operation, Transaction
from onewindow.persistence.engine import Engines
from onewindow.persistence.outbox import events

AGENCIES = frozenset({"customs", "quarantine", "border", "maritime"})
MONDAY, TUESDAY = "2026-12-28", "2026-12-29"
DAY_SHIFT = {"weekly": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed")}}


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=PORT_TIME)


class Register:
    """A register in a SQLite file, its clock set by the test."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.now = at(MONDAY, "07:00")

    def run(self, op: Operation) -> Any:
        with self.engine.connect() as conn, conn.begin():
            return op.run(Transaction(conn, self.now))

    def facility(self, facility_id: str, kind: str = "inspection_site", **fields: Any) -> dict[str, Any]:
        values = {
            "id": facility_id,
            "kind": kind,
            "name": facility_id,
            "name_zh": facility_id,
            "port": "CNWHI",
            "site": None,
            "owner": "wuhu-port",
            "shared_with": ["customs", "quarantine", "border", "maritime"],
            "capacity": 1,
            "slot_minutes": 60,
            "hours": DAY_SHIFT,
            "active": True,
            **fields,
        }
        result: dict[str, Any] = self.run(SaveFacility(values, AGENCIES, "user:port-office", create=True))
        return result

    def book(self, start: str | None = None, **kwargs: Any) -> Booking:
        args: dict[str, Any] = {
            "facility_id": "WHI-SITE-1",
            "agencies": ["customs", "quarantine"],
            "purpose": "joint_inspection",
            "reference": "task-1",
            "actor": "user:customs-officer",
            **kwargs,
        }
        if start is None:
            booking: Booking = self.run(BookSlot(**args))
        else:
            booking = self.run(BookExact(starts_at=at(MONDAY, start), **args))
        return booking

    def event_types(self) -> list[str]:
        with self.engine.connect() as conn:
            return [t for (t,) in conn.execute(sa.select(events.c.type).order_by(events.c.seq))]


@pytest.fixture
def register(engines: Engines) -> Register:
    """A site that takes two inspections at once, its scanner, on SQLite and on PostgreSQL."""
    reg = Register(engines.write)
    reg.facility("WHI-SITE-1", capacity=2)
    reg.facility("WHI-SCAN-1", kind="scanner", site="WHI-SITE-1", hours={"always": True})
    return reg


def test_the_earliest_fit_is_the_first_slot_after_opening(register: Register) -> None:
    booking = register.book()
    assert (booking.starts_at, booking.ends_at) == (at(MONDAY, "08:00"), at(MONDAY, "09:00"))
    assert booking.status is BookingStatus.BOOKED


def test_the_site_takes_as_many_inspections_as_its_capacity(register: Register) -> None:
    starts = [register.book(reference=f"task-{i}").starts_at for i in range(3)]
    assert starts == [at(MONDAY, "08:00"), at(MONDAY, "08:00"), at(MONDAY, "09:00")]


def test_a_booking_beyond_capacity_is_refused_with_three_next_free_slots(register: Register) -> None:
    register.book("10:00", reference="a")
    register.book("10:00", reference="b")
    with pytest.raises(SlotUnavailable) as refused:
        register.book("10:00", reference="c")
    assert refused.value.status == 409
    assert [r.code for r in refused.value.reasons] == ["full"]
    assert refused.value.next_free == [at(MONDAY, "11:00"), at(MONDAY, "13:00"), at(MONDAY, "14:00")]
    assert refused.value.details["next_free"][0] == "2026-12-28T11:00:00+08:00"


def test_a_booking_outside_opening_hours_is_refused_with_the_next_free_slots(register: Register) -> None:
    with pytest.raises(SlotUnavailable) as refused:
        register.book("12:00")
    assert [r.code for r in refused.value.reasons] == ["outside_hours"]
    assert refused.value.next_free[0] == at(MONDAY, "13:00")


def test_the_scanner_must_be_free_too(register: Register) -> None:
    register.book("08:00", reference="scan-a", scanner_id="WHI-SCAN-1")
    with pytest.raises(SlotUnavailable) as refused:
        register.book("08:00", reference="scan-b", scanner_id="WHI-SCAN-1")
    assert [r.resource for r in refused.value.reasons] == ["WHI-SCAN-1"]
    assert register.book(reference="scan-b", scanner_id="WHI-SCAN-1").starts_at == at(MONDAY, "09:00")


def test_no_quarantine_officer_free_refuses_and_the_next_fit_waits_for_one(register: Register) -> None:
    register.run(SetRoster("WHI-SITE-1", "quarantine", 1, None, "user:ciq"))
    register.book("08:00", reference="first")
    with pytest.raises(SlotUnavailable) as refused:
        register.book("08:00", reference="second")
    assert [(r.resource, r.code) for r in refused.value.reasons] == [
        ("quarantine@WHI-SITE-1", "no_officer_free")
    ]
    # customs alone still has the site's second place at 08:00
    assert register.book(reference="customs-only", agencies=["customs"]).starts_at == at(MONDAY, "08:00")
    assert register.book(reference="second").starts_at == at(MONDAY, "09:00")


def test_a_scanner_at_another_site_or_an_agency_not_sharing_the_site_is_bad_input(register: Register) -> None:
    register.facility("WHI-SITE-2")
    register.facility("WHI-SITE-3", shared_with=["customs"])
    with pytest.raises(InvalidInput) as refused:
        register.book(facility_id="WHI-SITE-2", scanner_id="WHI-SCAN-1")
    assert [f.path for f in refused.value.fields] == ["scanner_id"]
    with pytest.raises(InvalidInput) as refused:
        register.book(facility_id="WHI-SITE-3")
    assert [(f.path, f.code) for f in refused.value.fields] == [("agencies[1]", "not_sharing")]
    with pytest.raises(NotFound):
        register.book(facility_id="WHI-NOWHERE")


def test_a_closure_moves_the_bookings_it_displaces_and_says_why(register: Register) -> None:
    kept = register.book("08:00", reference="before")
    hit = register.book("10:00", reference="task-7")
    out = register.run(
        PostClosure(
            "WHI-SITE-1", at(MONDAY, "09:00"), at(MONDAY, "13:00"), "flooded yard", "user:port-office"
        )
    )
    assert [m["id"] for m in out["moved"]] == [hit.id]
    moved = out["moved"][0]
    assert moved["status"] == "moved"
    assert moved["from"]["starts_at"] == "2026-12-28T10:00:00+08:00"
    assert moved["to"]["starts_at"] == "2026-12-28T13:00:00+08:00"
    assert "flooded yard" in moved["moved_reason"]
    assert register.event_types() == [FacilityClosed.__name__, BookingMoved.__name__]
    # the moved booking keeps its id and now holds the new slot; the one before the closure stays
    assert register.book("13:00", reference="x").starts_at == at(MONDAY, "13:00")
    with pytest.raises(SlotUnavailable):
        register.book("13:00", reference="y")
    assert kept.id not in {m["id"] for m in out["moved"]}


def test_a_closure_of_the_scanner_moves_the_inspections_that_use_it(register: Register) -> None:
    scan = register.book("08:00", scanner_id="WHI-SCAN-1")
    plain = register.book("08:00", reference="no-scan")
    out = register.run(
        PostClosure(
            "WHI-SCAN-1", at(MONDAY, "07:30"), at(MONDAY, "09:30"), "tube replaced", "user:port-office"
        )
    )
    assert [(m["id"], m["to"]["starts_at"]) for m in out["moved"]] == [(scan.id, "2026-12-28T09:30:00+08:00")]
    assert plain.id not in {m["id"] for m in out["moved"]}


def test_a_booking_with_no_free_slot_left_is_marked_to_be_moved(register: Register) -> None:
    booking = register.book("10:00")
    out = register.run(
        PostClosure(
            "WHI-SITE-1", at(MONDAY, "00:00"), at("2027-03-01", "00:00"), "rebuilt", "user:port-office"
        )
    )
    assert [(m["id"], m["status"], m["to"]) for m in out["moved"]] == [(booking.id, "to_move", None)]


def test_new_hours_that_close_a_day_move_its_bookings(register: Register) -> None:
    booking = register.book("09:00")
    out = register.run(SetHours("WHI-SITE-1", {**DAY_SHIFT, "dates": {MONDAY: []}}, "user:port-office"))
    assert [(m["id"], m["to"]["starts_at"]) for m in out["moved"]] == [
        (booking.id, "2026-12-29T08:00:00+08:00")
    ]


def test_a_cancelled_booking_gives_its_slot_back(register: Register) -> None:
    register.book("10:00", reference="a")
    b = register.book("10:00", reference="b")
    assert (
        register.run(CancelBooking(b.id, "settled by mutual recognition", "user:customs")).status
        is BookingStatus.CANCELLED
    )
    assert register.book("10:00", reference="c").starts_at == at(MONDAY, "10:00")


def test_a_booking_cannot_start_in_the_past(register: Register) -> None:
    register.now = at(MONDAY, "11:00")
    with pytest.raises(InvalidInput) as refused:
        register.book("10:00")
    assert [f.path for f in refused.value.fields] == ["starts_at"]
    assert register.book(not_before=at(MONDAY, "08:00")).starts_at == at(MONDAY, "11:00")  # not before now


def test_a_24_hour_port_books_a_boarding_at_night(register: Register) -> None:
    register.facility("CNWHI-PORT", kind="port", hours={"always": True}, capacity=3)
    register.now = at(MONDAY, "22:10")
    boarding = register.book(facility_id="CNWHI-PORT", purpose="boarding", agencies=["maritime", "border"])
    assert boarding.starts_at == at(MONDAY, "23:00")


def test_two_writers_at_once_never_both_take_the_last_place(register: Register, engines: Engines) -> None:
    if engines.dialect == "sqlite":
        pytest.skip("SQLite has one writer connection (BEGIN IMMEDIATE): writers cannot overlap")
    register.book("10:00", reference="first")  # the site takes two: one place is left
    both_started = threading.Barrier(2, timeout=10)

    def attempt(reference: str) -> object:
        with engines.write.connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT 1"))
            both_started.wait()
            op = BookExact("WHI-SITE-1", at(MONDAY, "10:00"), ["customs"], "scan", reference, "user:customs")
            try:
                return op.run(Transaction(conn, register.now))
            except SlotUnavailable as refused:
                return refused

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, ["second", "third"]))
    assert sorted(type(o).__name__ for o in outcomes) == ["Booking", "SlotUnavailable"]
