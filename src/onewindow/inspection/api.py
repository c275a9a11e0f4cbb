"""HTTP API of the inspection results register (查验结果): recorded once, seen by every agency.

Agency officers record their own agency's results; an accredited third-party inspection body
(role ``inspector``) records its own. Officers of every agency and the port office read them all,
which is what mutual recognition rests on; a third party reads what it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from stdnum import imo as stdnum_imo
from stdnum import iso6346

from onewindow.declarations.api import json_response
from onewindow.declarations.queries import declaration_view
from onewindow.documents.store import sniff_media_type
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, NotFound

from . import queries as inspection_queries
from .appointments import MAX_OFFERED, MoveAppointment, free_slots
from .handlers import Annotate, AttendTask, CloseTask, OpenTask, RecordFindings, RecordResult, RecordScan
from .model import Task
from .tables import inspection_results, scan_annotations, scan_records
from .tasks import task_view, tasks_of

__all__ = ["router", "tasks_router"]

router = APIRouter(prefix="/v1/inspection-results", tags=["inspection"])

KINDS = ("scan", "manual", "sampling", "lab_test", "document")


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    number: Annotated[str, Field(pattern=r"^\d{18}$")] | None = None
    container: Annotated[str, Field(min_length=11, max_length=11)] | None = None
    vessel_imo: Annotated[str, Field(min_length=7, max_length=10)] | None = None
    kind: Literal["scan", "manual", "sampling", "lab_test", "document"]
    checked: Annotated[str, Field(min_length=1, max_length=2000)] = Field(description="What was checked")
    findings: Annotated[str, Field(max_length=4000)] = ""
    fraud: bool = Field(
        description="Whether the declaration was found wrong (false declaration, smuggling, pests...)"
    )
    critical: bool = Field(False, description="A threat to public safety or health")
    inspected_at: datetime

    @model_validator(mode="after")
    def _names_something(self) -> ResultIn:
        if not (self.number or self.container or self.vessel_imo):
            raise ValueError("name the declaration (number), a container or a vessel (vessel_imo)")
        return self


def _checked(body: ResultIn) -> dict[str, object]:
    errors = []
    container = body.container.upper() if body.container else None
    if container and not iso6346.is_valid(container):
        errors.append(
            FieldError(
                "container",
                "check_digit",
                f"{container} is not an ISO 6346 container number.",
                f"{container} 不是有效的集装箱号（ISO 6346）。",
            )
        )
    if body.vessel_imo and not stdnum_imo.is_valid(body.vessel_imo):
        errors.append(FieldError("vessel_imo", "check_digit", "Not a valid IMO number.", "IMO 编号无效。"))
    if body.inspected_at.tzinfo is None:
        errors.append(
            FieldError(
                "inspected_at",
                "timezone_missing",
                "Give the time with its offset, e.g. +08:00.",
                "请注明时区，例如 +08:00。",
            )
        )
    if errors:
        raise InvalidInput(errors)
    imo = stdnum_imo.compact(body.vessel_imo) if body.vessel_imo else None
    return {**body.model_dump(exclude={"container", "vessel_imo"}), "container": container, "vessel_imo": imo}


@router.post("", status_code=201, summary="Record an inspection's outcome")
async def record(body: ResultIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER, Role.INSPECTOR)
    op = RecordResult(
        caller.agency if caller.role is Role.OFFICER else None, caller.org_id, caller.actor, _checked(body)
    )
    return json_response(await app.committer.run(op), 201)


@router.get("", summary="Inspection results, newest first")
def list_results(
    caller: Caller,
    app: App,
    number: str | None = None,
    container: str | None = None,
    vessel_imo: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    caller.require(Role.OFFICER, Role.PORT_OFFICE, Role.INSPECTOR, Role.ADMIN)
    r = inspection_results.c
    q = sa.select(inspection_results).order_by(r.inspected_at.desc()).limit(limit)
    if number:
        q = q.where(r.number == number)
    if container:
        q = q.where(r.container == container.upper())
    if vessel_imo:
        q = q.where(r.vessel_imo == vessel_imo)
    if caller.role is Role.INSPECTOR:
        q = q.where(r.inspector_org == caller.org_id)
    with app.engines.read.connect() as conn:
        return json_response({"results": [dict(x._mapping) for x in conn.execute(q)]})


# -- joint inspection tasks -------------------------------------------------------------------------

tasks_router = APIRouter(prefix="/v1/inspections", tags=["inspection"])
SCAN_TYPES = ("image/png", "image/jpeg", "image/tiff")
MAX_SCAN_BYTES = 50 * 1024 * 1024


class FindingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["scan", "manual", "sampling", "lab_test", "document", "boarding", "treatment"]
    checked: Annotated[str, Field(min_length=1, max_length=2000)]
    findings: Annotated[str, Field(max_length=4000)] = ""
    fraud: bool
    critical: bool = False


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]


class AnnotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: Annotated[str, Field(min_length=1, max_length=2000)]
    region: Region | None = None


def _visible_task(
    conn: sa.Connection, task_id: str, caller: Principal, *, officers_only: bool = False
) -> Task:
    return inspection_queries.visible_task(conn, task_id, caller, officers_only=officers_only)


def _officer(caller: Principal) -> str:
    caller.require(Role.OFFICER)
    assert caller.agency is not None
    return caller.agency


@tasks_router.get("", summary="The joint inspections of a declaration")
def list_tasks(number: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        declaration_view(conn, number, caller)  # 404 unless the caller may see the declaration
        tasks = []
        for task_id in tasks_of(conn, number):
            with contextlib.suppress(NotFound):  # another agency's own inspection of the same goods
                tasks.append(_visible_task(conn, task_id, caller))
    return json_response({"inspections": [task_view(t) for t in tasks]})


@tasks_router.get("/{task_id}", summary="A joint inspection: orders, appointment, who was there")
def read_task(task_id: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        task = _visible_task(conn, task_id, caller)
        view = task_view(task)
        if caller.role is not Role.DECLARANT:
            view["results"] = _rows(
                conn, sa.select(inspection_results).where(inspection_results.c.task_id == task_id)
            )
    return json_response(view)


def _rows(conn: sa.Connection, q: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(q)]


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime = Field(description="one of the free slots (GET …/free-slots)")


@tasks_router.get("/{task_id}/free-slots", summary="Free slots the inspection's appointment can move to")
def list_free_slots(
    task_id: str,
    caller: Caller,
    app: App,
    not_before: Annotated[AwareDatetime | None, Query(alias="from", description="default: now")] = None,
    count: Annotated[int, Query(ge=1, le=MAX_OFFERED)] = 8,
) -> Response:
    """The earliest start times at which the site (and scanner) has room, is open, and one officer
    of every agency on the inspection is on duty, other than the slot the inspection has now."""
    with app.engines.read.connect() as conn:
        task = _visible_task(conn, task_id, caller)
        offer = free_slots(conn, task, app.clock.now(), not_before, count)
    return json_response(offer.as_dict())


@tasks_router.put("/{task_id}/appointment", summary="Move the inspection to another free slot (declarant)")
async def move_appointment(task_id: str, body: AppointmentIn, caller: Caller, app: App) -> Response:
    """The declarant of the inspected declaration picks another slot; refused (409
    ``slot_unavailable``, with ``details.next_free``) when it is taken, closed or nobody is on
    duty, and then the old appointment stands."""
    caller.require(Role.DECLARANT)
    op = MoveAppointment(task_id, caller.org_id, body.starts_at, caller.actor)
    return json_response(await app.committer.run(op))


@tasks_router.post("/{task_id}/open", summary="Open the container (board the vessel), once for all")
async def open_task(task_id: str, caller: Caller, app: App) -> Response:
    return json_response(await app.committer.run(OpenTask(task_id, _officer(caller), caller.actor)))


@tasks_router.post("/{task_id}/attend", summary="Record that you are at the inspection")
async def attend(task_id: str, caller: Caller, app: App) -> Response:
    return json_response(await app.committer.run(AttendTask(task_id, _officer(caller), caller.actor)))


@tasks_router.post("/{task_id}/findings", status_code=201, summary="Your agency's own findings")
async def findings(task_id: str, body: FindingsIn, caller: Caller, app: App) -> Response:
    agency = _officer(caller)
    op = RecordFindings(
        task_id,
        agency,
        caller.org_id,
        caller.actor,
        body.kind,
        body.checked,
        body.findings,
        body.fraud,
        body.critical,
    )
    return json_response(await app.committer.run(op), 201)


@tasks_router.post("/{task_id}/close", summary="Close the inspection (every agency has its findings)")
async def close(task_id: str, caller: Caller, app: App) -> Response:
    return json_response(await app.committer.run(CloseTask(task_id, _officer(caller))))


@tasks_router.post("/{task_id}/scans", status_code=201, summary="Attach a scan image (一机两屏)")
async def scan(
    task_id: str,
    caller: Caller,
    app: App,
    file: Annotated[UploadFile, File(description="The scanner's image: PNG, JPEG or TIFF")],
    scanner_id: Annotated[str, Form(min_length=1, max_length=32)],
    container: Annotated[str | None, Form(min_length=11, max_length=11)] = None,
    taken_at: Annotated[datetime | None, Form()] = None,
) -> Response:
    agency = _officer(caller)
    data = await file.read(MAX_SCAN_BYTES + 1)
    media_type = sniff_media_type(data)
    errors = []
    if len(data) > MAX_SCAN_BYTES:
        errors.append(
            FieldError("file", "too_large", "A scan image is at most 50 MiB.", "机检图像不超过 50 MiB。")
        )
    elif media_type not in SCAN_TYPES:
        errors.append(
            FieldError(
                "file", "media_type", "Send a PNG, JPEG or TIFF image.", "请上传 PNG、JPEG 或 TIFF 图像。"
            )
        )
    if taken_at is not None and taken_at.tzinfo is None:
        errors.append(
            FieldError("taken_at", "timezone_missing", "Give the time with its offset.", "请注明时区。")
        )
    if errors:
        raise InvalidInput(errors)
    assert media_type is not None
    sha = await asyncio.to_thread(app.blobs.put, data)
    op = RecordScan(
        task_id,
        agency,
        caller.actor,
        scanner_id,
        container.upper() if container else None,
        sha,
        media_type,
        taken_at or app.clock.now(),
    )
    return json_response(await app.committer.run(op), 201)


@tasks_router.get("/{task_id}/scans", summary="The task's scans with every agency's annotations")
def list_scans(task_id: str, caller: Caller, app: App) -> Response:
    s, a = scan_records.c, scan_annotations.c
    with app.engines.read.connect() as conn:
        _visible_task(conn, task_id, caller, officers_only=True)
        scans = _rows(conn, sa.select(scan_records).where(s.task_id == task_id).order_by(s.taken_at))
        notes = _rows(
            conn,
            sa.select(scan_annotations).where(a.scan_id.in_([x["id"] for x in scans])).order_by(a.created_at),
        )
    for x in scans:
        x["annotations"] = [n for n in notes if n["scan_id"] == x["id"]]
        x["image_url"] = f"/v1/inspections/{task_id}/scans/{x['id']}/image"
    return json_response({"scans": scans})


@tasks_router.get("/{task_id}/scans/{scan_id}/image", summary="The scan image itself")
async def scan_image(task_id: str, scan_id: str, caller: Caller, app: App) -> Response:
    s = scan_records.c
    with app.engines.read.connect() as conn:
        _visible_task(conn, task_id, caller, officers_only=True)
        row = conn.execute(sa.select(scan_records).where(s.id == scan_id, s.task_id == task_id)).first()
    if row is None:
        raise NotFound("scan", "机检图像", scan_id)
    data = await asyncio.to_thread(app.blobs.open, row.image_sha256)
    return Response(data, media_type=row.media_type)


@tasks_router.post("/{task_id}/scans/{scan_id}/annotations", status_code=201, summary="Annotate a scan")
async def annotate(task_id: str, scan_id: str, body: AnnotationIn, caller: Caller, app: App) -> Response:
    agency = _officer(caller)
    region = body.region.model_dump() if body.region else None
    return json_response(
        await app.committer.run(Annotate(scan_id, agency, caller.actor, body.note, region)), 201
    )
