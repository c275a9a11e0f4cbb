"""The scheduler's rules (预约): when a booking fits, why it does not, and the next slots that do.

A booking takes one unit of every resource it needs for its whole length: a place in the site's
capacity, a place at the scanner if it asks for one, and one officer of each attending agency on
duty there. A resource is free for a period when it is open for all of it (its hours minus its
closures) and, at the busiest moment of the period, fewer bookings hold it than its capacity. So
customs and quarantine get one appointment in a slot that the site, the scanner and both
agencies' officers have free, within the port's opening hours.

Start times are tried on a grid of the site's slot length from midnight China Standard Time, and
at the moment a site reopens (after a closure ending at 10:20, 10:20 is offered).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .hours import PORT_TIME, OpeningHours, Period, intersect, open_periods
from .model import Closure

__all__ = [
    "HORIZON",
    "Refusal",
    "Resource",
    "ResourceKind",
    "Usage",
    "find_slot",
    "free_starts",
    "peak",
    "refusals",
    "usage",
]

HORIZON = timedelta(days=28)  # how far ahead the scheduler looks for a free slot
_MAX_TRIES = 5000  # start times tried in one search; bounds a request's cost whatever the data


class ResourceKind(StrEnum):
    FACILITY = "facility"
    OFFICERS = "officers"


@dataclass(frozen=True)
class Resource:
    """One thing a booking needs a unit of while it lasts, with what already holds it."""

    kind: ResourceKind
    facility_id: str
    agency: str | None  # for officers: whose
    hours: OpeningHours
    closures: tuple[Closure, ...]
    capacity: int
    taken: tuple[Period, ...]  # the periods of live bookings that hold a unit of it

    @property
    def label(self) -> str:
        return self.facility_id if self.agency is None else f"{self.agency}@{self.facility_id}"

    def open_within(self, within: Period) -> list[Period]:
        return open_periods(self.hours, [c.period for c in self.closures], within)


@dataclass(frozen=True)
class Refusal:
    """Why one resource cannot take a booking in a period: ``closed``, ``outside_hours``, ``full``,
    ``off_duty`` or ``no_officer_free``."""

    resource: str
    code: str
    message: str
    message_zh: str

    def as_dict(self) -> dict[str, str]:
        return {
            "resource": self.resource,
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
        }


def peak(taken: Sequence[Period], period: Period) -> int:
    """The most of ``taken`` that overlap one another at any moment of ``period``."""
    marks = sorted(
        (edge, step)
        for p in taken
        if (part := p.clip(period)) is not None
        for edge, step in ((part.start, 1), (part.end, -1))
    )  # at the same instant an end (-1) sorts before a start (+1): back-to-back is not overlap
    most = now = 0
    for _, step in marks:
        now += step
        most = max(most, now)
    return most


def refusals(resources: Sequence[Resource], period: Period) -> list[Refusal]:
    """Every resource that cannot take a booking for ``period``, and why."""
    return [r for r in (_refusal(res, period) for res in resources) if r is not None]


def _refusal(res: Resource, period: Period) -> Refusal | None:
    closure = next((c for c in res.closures if c.period.overlaps(period)), None)
    if closure is not None:
        start, end = _at(closure.period.start), _at(closure.period.end)
        return Refusal(
            res.label,
            "closed",
            f"{res.facility_id} is closed from {start} to {end}: {closure.reason}",
            f"{res.facility_id} 于 {start} 至 {end} 关闭：{closure.reason}",
        )
    if not any(p.contains(period) for p in res.open_within(period)):
        return _closed_by_calendar(res)
    held = peak(res.taken, period)
    if held >= res.capacity:
        return _full(res, held)
    return None


def _closed_by_calendar(res: Resource) -> Refusal:
    if res.kind is ResourceKind.OFFICERS:
        return Refusal(
            res.label,
            "off_duty",
            f"No {res.agency} officer is on duty at {res.facility_id} for the whole period.",
            f"{res.agency} 在 {res.facility_id} 该时段无值班人员。",
        )
    return Refusal(
        res.label,
        "outside_hours",
        f"{res.facility_id} is not open for the whole period.",
        f"{res.facility_id} 在该时段未全程开放。",
    )


def _full(res: Resource, held: int) -> Refusal:
    if res.kind is ResourceKind.OFFICERS:
        return Refusal(
            res.label,
            "no_officer_free",
            f"No {res.agency} officer is free at {res.facility_id} ({res.capacity} on duty, {held} booked).",
            f"{res.agency} 在 {res.facility_id} 无空闲人员（值班 {res.capacity} 人，已预约 {held} 人次）。",
        )
    return Refusal(
        res.label,
        "full",
        f"{res.facility_id} is fully booked then ({held} of {res.capacity}).",
        f"{res.facility_id} 该时段已约满（{held}/{res.capacity}）。",
    )


def _at(moment: datetime) -> str:
    return moment.astimezone(PORT_TIME).strftime("%Y-%m-%d %H:%M")


# -- searching -----------------------------------------------------------------------------------


def free_starts(
    resources: Sequence[Resource],
    duration: timedelta,
    not_before: datetime,
    step: timedelta,
    count: int = 3,
    horizon: timedelta = HORIZON,
) -> list[datetime]:
    """The earliest ``count`` start times, from ``not_before`` on, when every resource is free."""
    window = Period(not_before, not_before + horizon + duration)
    opens = [window]
    for res in resources:
        opens = intersect(opens, res.open_within(window))
    held = [(_Held(r.taken), r.capacity) for r in resources]
    found: list[datetime] = []
    for start in _candidates(opens, not_before, not_before + horizon, duration, step):
        if not _any_full(held, Period(start, start + duration)):
            found.append(start)
            if len(found) == count:
                break
    return found


def find_slot(
    resources: Sequence[Resource],
    duration: timedelta,
    not_before: datetime,
    step: timedelta,
    horizon: timedelta = HORIZON,
) -> datetime | None:
    """The earliest start when every resource is free, or None within the horizon."""
    found = free_starts(resources, duration, not_before, step, 1, horizon)
    return found[0] if found else None


class _Held:
    """A resource's bookings sorted by start, so that a search over thousands of candidate
    slots looks only at the bookings near each one."""

    def __init__(self, taken: Sequence[Period]) -> None:
        self.periods = sorted(taken)
        self.starts = [p.start for p in self.periods]
        self.longest = max((p.end - p.start for p in self.periods), default=timedelta(0))

    def near(self, period: Period) -> list[Period]:
        lo = bisect_left(self.starts, period.start - self.longest)
        hi = bisect_left(self.starts, period.end)
        return [p for p in self.periods[lo:hi] if p.end > period.start]


def _any_full(held: Sequence[tuple[_Held, int]], period: Period) -> bool:
    return any(peak(h.near(period), period) >= capacity for h, capacity in held)


def _candidates(
    opens: Sequence[Period], not_before: datetime, last: datetime, duration: timedelta, step: timedelta
) -> Iterator[datetime]:
    """Grid points (and reopening moments) inside a stretch when all are open and long enough."""
    tried = 0
    for p in opens:
        first = max(p.start, not_before)
        starts = _grid_from(first, step)
        if p.start > not_before and _grid_point(p.start, step) != p.start:
            starts = _prepend(p.start, starts)
        for start in starts:
            tried += 1
            if start + duration > p.end or start > last or tried > _MAX_TRIES:
                break
            yield start
        if tried > _MAX_TRIES:
            return


def _prepend(first: datetime, rest: Iterator[datetime]) -> Iterator[datetime]:
    yield first
    yield from rest


def _grid_point(at: datetime, step: timedelta) -> datetime:
    """The first grid point at or after ``at`` on its local day (may be the next midnight)."""
    local = at.astimezone(PORT_TIME)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    k = math.ceil((local - midnight) / step)
    return min(midnight + k * step, midnight + timedelta(days=1))


def _grid_from(at: datetime, step: timedelta) -> Iterator[datetime]:
    """Grid points from ``at`` on; the grid starts again at each local midnight."""
    point = _grid_point(at, step)
    while True:
        yield point
        local = point.astimezone(PORT_TIME)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        point = min(local + step, midnight)


# -- utilisation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How busy a facility was in a period: capacity-hours offered and taken."""

    open_hours: float
    available_capacity_hours: float
    booked_hours: float
    bookings: int

    @property
    def utilisation(self) -> float | None:
        if self.available_capacity_hours == 0:
            return None
        return self.booked_hours / self.available_capacity_hours

    def as_dict(self) -> dict[str, float | int | None]:
        u = self.utilisation
        return {
            "open_hours": round(self.open_hours, 2),
            "available_capacity_hours": round(self.available_capacity_hours, 2),
            "booked_hours": round(self.booked_hours, 2),
            "bookings": self.bookings,
            "utilisation": None if u is None else round(u, 4),
        }


def usage(
    hours: OpeningHours, closures: Sequence[Closure], capacity: int, taken: Sequence[Period], period: Period
) -> Usage:
    """Booked capacity-hours over open capacity-hours: each booking holds one unit for its length."""
    open_hours = sum(p.hours for p in open_periods(hours, [c.period for c in closures], period))
    parts = [part for p in taken if (part := p.clip(period)) is not None]
    return Usage(open_hours, open_hours * capacity, sum(p.hours for p in parts), len(parts))
