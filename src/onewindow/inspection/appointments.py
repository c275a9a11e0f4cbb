"""The declarant's side of a joint inspection's appointment (预约查验): the free slots the shared
facilities register offers for the task, and moving the booking to the one that suits.

The scheduler books the earliest slot when the first order is placed (``scheduling``); the
declarant may then pick another free one. The new slot meets the same constraints as any booking
(the site's capacity and opening hours, the scanner's, one officer of every attending agency on
duty), checked by ``BookExact`` in the transaction that gives the old slot back, so a refused move
(``SlotUnavailable``, with the next free slots) keeps the old appointment. Only the declaring
organisation moves its own inspection, and only before the inspection has started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from onewindow.facilities import repository as register
from onewindow.facilities.bookings import BookExact, CancelBooking, resources_for
from onewindow.facilities.hours import PORT_TIME, Period
from onewindow.facilities.model import Booking, Facility
from onewindow.facilities.schedule import HORIZON, Resource, ResourceKind, free_starts
from onewindow.kernel.errors import Conflict, NotFound
from onewindow.persistence.committer import Transaction

from .model import JOINABLE, Task
from .scheduling import scanner_at, site_for
from .tasks import load_task, save_task, task_view

__all__ = ["MAX_OFFERED", "MoveAppointment", "Offer", "free_slots", "own_task"]

MAX_OFFERED = 50


@dataclass(frozen=True)
class Offer:
    """Free start times for a task's appointment, each as long as one of the site's slots."""

    task_id: str
    facility_id: str
    scanner_id: str | None
    duration: timedelta
    current: datetime | None
    starts: list[datetime]

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "facility_id": self.facility_id,
            "scanner_id": self.scanner_id,
            "duration_minutes": int(self.duration.total_seconds() // 60),
            "current": self.current.astimezone(PORT_TIME).isoformat() if self.current else None,
            "free": [s.astimezone(PORT_TIME).isoformat() for s in self.starts],
        }


def own_task(conn: sa.Connection, task_id: str, org_id: str) -> Task:
    """The task if it inspects the organisation's own declaration; NotFound otherwise."""
    task = load_task(conn, task_id)
    if task.org_id != org_id:
        raise NotFound("inspection", "查验任务", task_id)
    return task


def _movable(task: Task) -> None:
    if task.status not in JOINABLE:
        raise Conflict(
            "inspection_started",
            f"Inspection {task.id} is {task.status.value}; its appointment can no longer move.",
            f"查验任务 {task.id} 已开始或结束，不能再改约。",
            status=task.status.value,
        )


def _where(conn: sa.Connection, task: Task) -> tuple[Facility, Facility | None, Booking | None]:
    """The site (kept when booked, else the one the scheduler would choose), its scanner when an
    agency ordered a scan, and the task's current booking."""
    booking = register.load_booking(conn, task.booking_id) if task.booking_id else None
    site_id = booking.facility_id if booking else site_for(conn, task)
    if site_id is None:
        raise Conflict(
            "no_inspection_site",
            f"No inspection site at {task.port} is shared by every agency on this inspection "
            f"({', '.join(task.agencies)}); the port office must register one.",
            f"{task.port} 没有各参与机构（{'、'.join(task.agencies)}）共用的查验场地，须由口岸办登记。",
        )
    place = register.load_facility(conn, site_id)
    if booking is not None:
        scanner_id = booking.scanner_id
    else:
        scanner_id = scanner_at(conn, site_id) if any(o.kind == "scan" for o in task.orders) else None
    scanner = register.find_facility(conn, scanner_id) if scanner_id else None
    return place, scanner, booking


def _holds(res: Resource, booking: Booking) -> bool:
    if res.kind is ResourceKind.FACILITY:
        return booking.uses(res.facility_id)
    return res.facility_id == booking.facility_id and res.agency in booking.agencies


def _without(resources: Sequence[Resource], booking: Booking | None) -> list[Resource]:
    """The resources as if the task's own booking were given back (its slot is the declarant's)."""
    if booking is None:
        return list(resources)
    out = []
    for res in resources:
        if _holds(res, booking) and booking.period in res.taken:
            taken = list(res.taken)
            taken.remove(booking.period)
            res = replace(res, taken=tuple(taken))
        out.append(res)
    return out


def free_slots(
    conn: sa.Connection, task: Task, now: datetime, not_before: datetime | None = None, count: int = 8
) -> Offer:
    """The earliest ``count`` start times, from ``not_before`` (default: now), that the task's
    appointment could move to."""
    _movable(task)
    place, scanner, booking = _where(conn, task)
    duration = timedelta(minutes=place.slot_minutes)
    after = max(not_before or now, now)
    resources = resources_for(conn, place, scanner, task.agencies, Period(now, after + HORIZON + duration))
    wanted = max(1, min(count, MAX_OFFERED))
    step = timedelta(minutes=place.slot_minutes)
    starts = free_starts(_without(resources, booking), duration, after, step, wanted + 1)
    other = [s for s in starts if s != task.scheduled_at][:wanted]  # the slot it has is no offer
    return Offer(task.id, place.id, scanner.id if scanner else None, duration, task.scheduled_at, other)


@dataclass
class MoveAppointment:
    """The declarant moves its inspection to ``starts_at`` (one of the free slots), or is refused
    with the next free ones and keeps its appointment."""

    task_id: str
    org_id: str
    starts_at: datetime
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = own_task(tx.conn, self.task_id, self.org_id)
        _movable(task)
        place, scanner, booking = _where(tx.conn, task)
        if booking is not None:
            CancelBooking(booking.id, "the declarant chose another slot", self.actor).run(tx)
        purpose = "boarding" if task.subject_kind == "conveyance" else "joint_inspection"
        new = BookExact(
            place.id,
            self.starts_at,
            task.agencies,
            purpose,
            task.id,
            self.actor,
            scanner.id if scanner else None,
        ).run(tx)
        task.schedule(place.id, new.id, new.starts_at, tx.now)
        save_task(tx, task)
        return task_view(task)
