"""The register's objects: facilities, closures, officer rosters and bookings, and the checks a
facility's fields must pass before the register takes them."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from onewindow import reference
from onewindow.kernel.errors import FieldError

from .hours import ALWAYS_OPEN, PORT_TIME, OpeningHours, Period, check_hours, parse_hours

__all__ = [
    "BOOKABLE",
    "LIVE",
    "Booking",
    "BookingStatus",
    "Closure",
    "Facility",
    "FacilityKind",
    "Roster",
    "check_facility",
]


class FacilityKind(StrEnum):
    PORT = "port"  # 口岸: a boarding is booked against the port itself
    INSPECTION_SITE = "inspection_site"  # 查验场地
    SCANNER = "scanner"  # X-ray or CT container scanner (H986), at a site
    CCTV = "cctv"
    GATE = "gate"  # 卡口: read by gate automation, never booked


BOOKABLE = frozenset({FacilityKind.PORT, FacilityKind.INSPECTION_SITE, FacilityKind.SCANNER})


class BookingStatus(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"  # still happening, at the time it was moved to
    TO_MOVE = "to_move"  # a closure or new hours displaced it and no free slot was found
    CANCELLED = "cancelled"


LIVE = frozenset({BookingStatus.BOOKED, BookingStatus.MOVED})  # the bookings that take a slot


@dataclass(frozen=True)
class Facility:
    id: str
    kind: FacilityKind
    name: str
    name_zh: str
    port: str
    site: str | None
    owner: str
    shared_with: tuple[str, ...]
    capacity: int
    slot_minutes: int
    hours_doc: Mapping[str, Any]
    active: bool
    updated_at: datetime

    @property
    def hours(self) -> OpeningHours:
        return parse_hours(self.hours_doc)

    def admits(self, agency: str) -> bool:
        """An agency may hold inspections here if it owns the facility or shares it."""
        return agency == self.owner or agency in self.shared_with

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "name_zh": self.name_zh,
            "port": self.port,
            "site": self.site,
            "owner": self.owner,
            "shared_with": list(self.shared_with),
            "capacity": self.capacity,
            "slot_minutes": self.slot_minutes,
            "hours": dict(self.hours_doc),
            "active": self.active,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Closure:
    """A facility shut at short notice (typhoon, breakdown, works): cut out of its opening hours."""

    id: str
    facility_id: str
    period: Period
    reason: str
    created_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "facility_id": self.facility_id,
            **self.period.as_dict(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Roster:
    """How many officers of an agency are on duty at a facility at once, and when (None: whenever
    it is open). Each booking an agency attends takes one of them for its length."""

    facility_id: str
    agency: str
    officers: int
    hours_doc: Mapping[str, Any] | None

    @property
    def hours(self) -> OpeningHours:
        return ALWAYS_OPEN if self.hours_doc is None else parse_hours(self.hours_doc)

    def as_dict(self) -> dict[str, Any]:
        hours = None if self.hours_doc is None else dict(self.hours_doc)
        return {"agency": self.agency, "officers": self.officers, "hours": hours}


@dataclass(frozen=True)
class Booking:
    id: str
    facility_id: str
    scanner_id: str | None
    period: Period
    purpose: str
    reference: str
    agencies: tuple[str, ...]
    status: BookingStatus
    created_by: str
    created_at: datetime
    moved_from: datetime | None = None
    moved_reason: str | None = None
    cancelled_reason: str | None = None

    @property
    def starts_at(self) -> datetime:
        return self.period.start

    @property
    def ends_at(self) -> datetime:
        return self.period.end

    def uses(self, facility_id: str) -> bool:
        return facility_id in (self.facility_id, self.scanner_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "facility_id": self.facility_id,
            "scanner_id": self.scanner_id,
            **self.period.as_dict(),
            "purpose": self.purpose,
            "reference": self.reference,
            "agencies": list(self.agencies),
            "status": self.status.value,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "moved_from": _local(self.moved_from),
            "moved_reason": self.moved_reason,
            "cancelled_reason": self.cancelled_reason,
        }


def _local(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(PORT_TIME).isoformat()


# -- checking a facility's fields ---------------------------------------------------------------


def _error(path: str, code: str, message: str, message_zh: str) -> FieldError:
    return FieldError(path, code, message, message_zh)


def check_facility(fields: Mapping[str, Any], agencies: Collection[str]) -> list[FieldError]:
    """What the register refuses in a facility's fields, beyond their types: an unknown country
    in the port code, agencies that do not exist, bad opening hours, a scanner nowhere."""
    return list(_facility_problems(fields, agencies))


def _facility_problems(fields: Mapping[str, Any], agencies: Collection[str]) -> Iterator[FieldError]:
    port = fields["port"]
    if reference.country_alpha2(port[:2]) != port[:2]:
        yield _error(
            "port",
            "locode_invalid",
            f"'{port}' is not a UN/LOCODE (country code + 3 characters).",
            f"“{port}”不是联合国贸易地点代码。",
        )
    for i, agency in enumerate(fields["shared_with"]):
        if agency not in agencies:
            yield _error(
                f"shared_with[{i}]", "agency_unknown", f"No agency '{agency}'.", f"无此机构“{agency}”。"
            )
    yield from check_hours(fields["hours"])
    yield from _site_problems(fields)


def _site_problems(fields: Mapping[str, Any]) -> Iterator[FieldError]:
    kind, site = FacilityKind(fields["kind"]), fields.get("site")
    if kind is FacilityKind.SCANNER and site is None:
        yield _error(
            "site", "required", "A scanner is at an inspection site; name it.", "扫描设备须注明所在查验场地。"
        )
    elif kind in (FacilityKind.PORT, FacilityKind.INSPECTION_SITE) and site is not None:
        yield _error(
            "site",
            "not_allowed",
            f"A {kind.value} is not at a site; leave 'site' out.",
            "口岸或查验场地本身不隶属于场地，请勿填写 site。",
        )
    if site is not None and site == fields.get("id"):
        yield _error("site", "is_itself", "A facility cannot be at itself.", "设施不能位于其自身。")
