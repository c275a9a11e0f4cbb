"""What the register shows: a facility with its rosters and closures, its bookings, the public
opening hours of the ports, and how busy each site and scanner is (设施使用率)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from . import repository
from .hours import Period, is_open, next_open_windows
from .model import LIVE, Closure, Facility, FacilityKind
from .schedule import usage

__all__ = ["PUBLIC_KINDS", "bookings", "closures", "facility", "opening_hours", "register", "utilisation"]

PUBLIC_KINDS = (FacilityKind.PORT, FacilityKind.INSPECTION_SITE)  # what the public may drive to
AHEAD = timedelta(days=90)  # how far ahead closures are listed


def _calendar(f: Facility, shut: Sequence[Closure], now: datetime) -> dict[str, Any]:
    """Whether it is open now and its next openings, closures taken into account."""
    periods = [c.period for c in shut]
    return {
        "open_now": is_open(f.hours, periods, now, now + timedelta(seconds=1)),
        "next_open": [p.as_dict() for p in next_open_windows(f.hours, periods, now)],
    }


def register(conn: sa.Connection, port: str | None, kind: FacilityKind | None) -> list[dict[str, Any]]:
    found = repository.list_facilities(conn, port=port, kinds=None if kind is None else [kind])
    return [f.as_dict() for f in found]


def facility(conn: sa.Connection, facility_id: str, now: datetime) -> dict[str, Any]:
    f = repository.load_facility(conn, facility_id)
    shut = repository.closures_of(conn, [f.id], Period(now, now + AHEAD)).get(f.id, [])
    return {
        **f.as_dict(),
        **_calendar(f, shut, now),
        "closures": [c.as_dict() for c in shut],
        "rosters": [r.as_dict() for r in repository.rosters_of(conn, f.id).values()],
    }


def closures(conn: sa.Connection, facility_id: str, period: Period) -> list[dict[str, Any]]:
    repository.load_facility(conn, facility_id)
    return [c.as_dict() for c in repository.closures_of(conn, [facility_id], period).get(facility_id, [])]


def bookings(conn: sa.Connection, facility_id: str, period: Period) -> list[dict[str, Any]]:
    repository.load_facility(conn, facility_id)
    return [b.as_dict() for b in repository.bookings_using(conn, facility_id, period)]


def opening_hours(conn: sa.Connection, port: str | None, now: datetime) -> list[dict[str, Any]]:
    """The public view: each port's and site's calendar, whether it is open now, its next
    openings and the closures announced (without their internal reasons)."""
    found = repository.list_facilities(conn, port=port, kinds=PUBLIC_KINDS, active_only=True)
    shut = repository.closures_of(conn, [f.id for f in found], Period(now, now + AHEAD))
    return [
        {
            "id": f.id,
            "kind": f.kind.value,
            "name": f.name,
            "name_zh": f.name_zh,
            "port": f.port,
            "hours": dict(f.hours_doc),
            **_calendar(f, shut.get(f.id, []), now),
            "closures": [c.period.as_dict() for c in shut.get(f.id, [])],
        }
        for f in found
    ]


def utilisation(conn: sa.Connection, port: str | None, period: Period) -> list[dict[str, Any]]:
    """Per bookable facility: hours open in the period, booked hours, and booked capacity-hours
    over open capacity-hours."""
    kinds = (FacilityKind.PORT, FacilityKind.INSPECTION_SITE, FacilityKind.SCANNER)
    found = repository.list_facilities(conn, port=port, kinds=kinds, active_only=True)
    shut = repository.closures_of(conn, [f.id for f in found], period)
    out = []
    for f in found:
        taken = [b.period for b in repository.bookings_using(conn, f.id, period, LIVE)]
        used = usage(f.hours, shut.get(f.id, []), f.capacity, taken, period)
        out.append(
            {
                "id": f.id,
                "kind": f.kind.value,
                "name": f.name,
                "port": f.port,
                "site": f.site,
                "capacity": f.capacity,
                **used.as_dict(),
            }
        )
    return out
