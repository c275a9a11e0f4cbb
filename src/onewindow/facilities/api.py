"""HTTP API of the shared facilities register (共享查验设施): the port office keeps the register,
closes sites at short notice and sees how busy each is; officers book joint inspections and
boardings; the public reads the ports' opening hours without signing in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, NotFound, NotPermitted

from . import queries, repository
from .handlers import BookExact, BookSlot, CancelBooking, PostClosure, SaveFacility, SetHours, SetRoster
from .hours import PORT_TIME, Period
from .model import FacilityKind

__all__ = ["public", "router"]

router = APIRouter(prefix="/v1/facilities", tags=["facilities"])
public = APIRouter(prefix="/v1/public", tags=["public"])

FacilityId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$", description="e.g. WHI-SITE-1")]
Locode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z2-9]{3}$", description="UN/LOCODE, e.g. CNWHI")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
AgencyCode = Annotated[str, Field(min_length=1, max_length=32)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
KindName = Literal["port", "inspection_site", "scanner", "cctv", "gate"]
HOURS_EXAMPLE = {"weekly": {"mon": [["08:00", "12:00"], ["13:00", "20:00"]]}, "dates": {"2027-01-01": []}}
MAX_SPAN = timedelta(days=366)


class FacilityFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: KindName
    name: Name
    name_zh: Name
    port: Locode
    site: FacilityId | None = Field(None, description="the inspection site a scanner, camera or gate is at")
    owner: Annotated[str, Field(min_length=1, max_length=64)]
    shared_with: list[AgencyCode] = Field(default_factory=list, max_length=20)
    capacity: Annotated[int, Field(ge=1, le=1000, description="concurrent uses per slot")]
    slot_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    hours: dict[str, Any] = Field(
        description='{"always": true} or a weekly calendar', examples=[HOURS_EXAMPLE]
    )
    active: bool = True


class FacilityIn(FacilityFields):
    id: FacilityId


class HoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: dict[str, Any] = Field(examples=[HOURS_EXAMPLE])


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Text


class RosterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officers: Annotated[int, Field(ge=0, le=1000, description="on duty at once")]
    hours: dict[str, Any] | None = Field(None, description="when they are on duty; null: whenever open")


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    purpose: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,31}$", examples=["joint_inspection"])]
    reference: Annotated[str, Field(min_length=1, max_length=64, description="inspection task, declaration…")]
    agencies: list[AgencyCode] = Field(default_factory=list, max_length=12, description="who must attend")
    scanner_id: FacilityId | None = None
    starts_at: AwareDatetime | None = Field(None, description="this slot exactly, or refused with next_free")
    not_before: AwareDatetime | None = Field(
        None, description="without starts_at: the earliest free slot from here"
    )
    duration_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Text


From = Annotated[AwareDatetime | None, Query(alias="from", description="default: today 00:00 (China time)")]
To = Annotated[AwareDatetime | None, Query(alias="to", description="default: seven days after from")]


def _keeper(caller: Principal) -> None:
    """The port office keeps the register (the administrator may stand in)."""
    caller.require(Role.PORT_OFFICE, Role.ADMIN)


def _reader(caller: Principal) -> None:
    caller.require(Role.OFFICER, Role.PORT_OFFICE, Role.ADMIN)


def _period(app: Any, start: datetime | None, end: datetime | None) -> Period:
    if start is None:
        today = app.clock.now().astimezone(PORT_TIME).date()
        start = datetime(today.year, today.month, today.day, tzinfo=PORT_TIME)
    end = end or start + timedelta(days=7)
    if not start < end <= start + MAX_SPAN:
        raise InvalidInput(
            [
                FieldError(
                    "to",
                    "out_of_range",
                    "'to' is after 'from', by at most 366 days.",
                    "“to”须晚于“from”，且相隔不超过 366 天。",
                )
            ]
        )
    return Period(start, end)


@router.post("", status_code=201, summary="Register a facility (the port office)")
async def create(body: FacilityIn, caller: Caller, app: App) -> Response:
    _keeper(caller)
    op = SaveFacility(body.model_dump(), _agencies(app), caller.actor, create=True)
    return json_response(await app.committer.run(op), 201)


@router.get("", summary="The register: ports, sites, scanners, cameras and gates")
def list_facilities(
    caller: Caller, app: App, port: str | None = None, kind: KindName | None = None
) -> Response:
    _reader(caller)
    with app.engines.read.connect() as conn:
        found = queries.register(conn, port, None if kind is None else FacilityKind(kind))
    return json_response({"facilities": found})


@router.get("/utilisation", summary="How busy each site and scanner is (booked / open capacity-hours)")
def utilisation(
    caller: Caller, app: App, start: From = None, end: To = None, port: str | None = None
) -> Response:
    _reader(caller)
    period = _period(app, start, end)
    with app.engines.read.connect() as conn:
        found = queries.utilisation(conn, port, period)
    return json_response({"port": port, **period.as_dict(), "facilities": found})


@router.get("/{facility_id}", summary="A facility: its calendar, closures ahead and officer rosters")
def read(facility_id: str, caller: Caller, app: App) -> Response:
    _reader(caller)
    with app.engines.read.connect() as conn:
        return json_response(queries.facility(conn, facility_id, app.clock.now()))


@router.put("/{facility_id}", summary="Replace a facility's fields (bookings new hours displace move)")
async def update(facility_id: str, body: FacilityFields, caller: Caller, app: App) -> Response:
    _keeper(caller)
    op = SaveFacility({"id": facility_id, **body.model_dump()}, _agencies(app), caller.actor, create=False)
    return json_response(await app.committer.run(op))


@router.put("/{facility_id}/hours", summary="Change the opening hours at short notice")
async def set_hours(facility_id: str, body: HoursIn, caller: Caller, app: App) -> Response:
    _keeper(caller)
    return json_response(await app.committer.run(SetHours(facility_id, body.hours, caller.actor)))


@router.post("/{facility_id}/closures", status_code=201, summary="Close a facility; displaced bookings move")
async def close(facility_id: str, body: ClosureIn, caller: Caller, app: App) -> Response:
    _keeper(caller)
    op = PostClosure(facility_id, body.starts_at, body.ends_at, body.reason, caller.actor)
    return json_response(await app.committer.run(op), 201)


@router.get("/{facility_id}/closures", summary="Closures overlapping a period")
def list_closures(facility_id: str, caller: Caller, app: App, start: From = None, end: To = None) -> Response:
    _reader(caller)
    period = _period(app, start, end)
    with app.engines.read.connect() as conn:
        return json_response({"closures": queries.closures(conn, facility_id, period)})


@router.put("/{facility_id}/rosters/{agency}", summary="Officers an agency has on duty at the facility")
async def set_roster(facility_id: str, agency: str, body: RosterIn, caller: Caller, app: App) -> Response:
    app.agencies.get(agency)  # unknown agency: 404
    if caller.role is not Role.PORT_OFFICE:
        caller.require_agency(agency)
    op = SetRoster(facility_id, agency, body.officers, body.hours, caller.actor)
    return json_response(await app.committer.run(op))


@router.post("/{facility_id}/bookings", status_code=201, summary="Book a slot (refused with next_free)")
async def book(facility_id: str, body: BookingIn, caller: Caller, app: App) -> Response:
    agencies = _attending(caller, body, app)
    duration = None if body.duration_minutes is None else timedelta(minutes=body.duration_minutes)
    op: BookExact | BookSlot
    if body.starts_at is not None:
        op = BookExact(
            facility_id,
            body.starts_at,
            agencies,
            body.purpose,
            body.reference,
            caller.actor,
            body.scanner_id,
            duration,
        )
    else:
        op = BookSlot(
            facility_id,
            agencies,
            body.purpose,
            body.reference,
            caller.actor,
            body.scanner_id,
            duration,
            body.not_before,
        )
    booking = await app.committer.run(op)
    return json_response(booking.as_dict(), 201)


@router.get("/{facility_id}/bookings", summary="Bookings of the facility (or of its use as a scanner)")
def list_bookings(facility_id: str, caller: Caller, app: App, start: From = None, end: To = None) -> Response:
    _reader(caller)
    period = _period(app, start, end)
    with app.engines.read.connect() as conn:
        return json_response({**period.as_dict(), "bookings": queries.bookings(conn, facility_id, period)})


@router.post("/{facility_id}/bookings/{booking_id}/cancel", summary="Give a booked slot back")
async def cancel(facility_id: str, booking_id: str, body: CancelIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER, Role.PORT_OFFICE)
    with app.engines.read.connect() as conn:
        found = repository.load_booking(conn, booking_id)
    if not found.uses(facility_id):
        raise NotFound("booking", "预约", booking_id)
    if caller.role is Role.OFFICER and caller.agency not in found.agencies:
        raise NotPermitted("Only an attending agency cancels a booking.", "只有参与的机构可以取消预约。")
    booking = await app.committer.run(CancelBooking(booking_id, body.reason, caller.actor))
    return json_response(booking.as_dict())


@public.get("/opening-hours", summary="Opening hours of the ports and inspection sites (no sign-in)")
def opening_hours(app: App, port: str | None = None) -> Response:
    with app.engines.read.connect() as conn:
        found = queries.opening_hours(conn, port, app.clock.now())
    return json_response({"timezone": "Asia/Shanghai (UTC+08:00)", "facilities": found})


def _agencies(app: Any) -> frozenset[str]:
    return frozenset(a.code for a in app.agencies)


def _attending(caller: Principal, body: BookingIn, app: Any) -> list[str]:
    """The agencies whose officers attend; an officer books only what their own agency attends."""
    caller.require(Role.OFFICER, Role.PORT_OFFICE)
    problems = []
    if body.starts_at is not None and body.not_before is not None:
        problems.append(
            FieldError(
                "not_before",
                "not_allowed",
                "Give starts_at or not_before, not both.",
                "starts_at 与 not_before 只能给出其一。",
            )
        )
    problems += [
        FieldError(f"agencies[{i}]", "agency_unknown", f"No agency '{a}'.", f"无此机构“{a}”。")
        for i, a in enumerate(body.agencies)
        if a not in app.agencies
    ]
    if problems:
        raise InvalidInput(problems)
    if caller.role is Role.OFFICER:
        if not body.agencies:
            return [str(caller.agency)]
        if caller.agency not in body.agencies:
            raise NotPermitted(
                f"An officer books only what {caller.agency} attends; add it to agencies.",
                f"工作人员只能预约本机构（{caller.agency}）参加的作业。",
            )
    return list(body.agencies)
