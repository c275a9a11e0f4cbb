"""The joint inspection on the officer's dossier page (联合查验, 一机两屏): open it, see the scan
image with every agency's annotations, annotate it, record this agency's findings, close it."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from onewindow.agencies.queries import agency_dossier
from onewindow.identity.model import Principal
from onewindow.inspection import queries as inspection_queries
from onewindow.inspection.handlers import Annotate, CloseTask, OpenTask, RecordFindings
from onewindow.inspection.model import Task
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from onewindow.persistence.committer import Operation

from ..web import Form, Page, SignedIn, form_field, page
from .officer_common import at_fields, at_most, check, choose, officer_agency, onewindow, required_text
from .officer_dossier import back, sent_back

__all__ = ["router"]

router = APIRouter()
FINDING_KINDS = ("scan", "manual", "sampling", "lab_test", "document", "boarding", "treatment")
REGION = ("x", "y", "width", "height")
BASE = "/officer/dossiers/{number}/inspections/{task_id}"


def _task(conn: sa.Connection, request: Request, user: Principal, number: str, task_id: str) -> Task:
    """The task, when it inspects this dossier of the officer's agency and the agency is on it."""
    ow = onewindow(request)
    agency_dossier(conn, ow.agencies, officer_agency(user), number, user)
    task = inspection_queries.visible_task(conn, task_id, user, officers_only=True)
    if number not in task.numbers:
        raise NotFound("inspection", "查验任务", task_id)
    return task


async def _run(
    request: Request, user: Principal, number: str, task_id: str, form_id: str, op: Operation, done: str
) -> Response:
    ow = onewindow(request)
    with ow.engines.read.connect() as conn:
        _task(conn, request, user, number, task_id)
    try:
        await ow.committer.run(op)
    except (Conflict, NotPermitted) as e:
        return await sent_back(request, user, number, at_fields(form_id, e), {}, e.status)
    return back(number, done, f"task-{task_id}")


@router.post(BASE + "/open")
async def open_task(
    request: Request, visitor: Page, user: SignedIn, form: Form, number: str, task_id: str
) -> Response:
    """The container is opened once, for every agency on the task; this officer attends."""
    op = OpenTask(task_id, officer_agency(user), user.actor)
    return await _run(request, user, number, task_id, f"task-{task_id}", op, "opened")


@router.post(BASE + "/close")
async def close_task(
    request: Request, visitor: Page, user: SignedIn, form: Form, number: str, task_id: str
) -> Response:
    op = CloseTask(task_id, officer_agency(user))
    return await _run(request, user, number, task_id, f"task-{task_id}", op, "closed")


@router.post(BASE + "/findings")
async def findings(
    request: Request, visitor: Page, user: SignedIn, form: Form, number: str, task_id: str
) -> Response:
    agency = officer_agency(user)
    form_id = f"findings-{task_id}"
    fields = ("kind", "checked", "findings", "fraud", "critical")
    values = {f"{form_id}.{k}": form_field(form, k) for k in fields}
    kind, fraud = form_field(form, "kind"), form_field(form, "fraud")
    try:
        check(
            [
                None if kind in FINDING_KINDS else choose("kind"),
                required_text("checked", form_field(form, "checked"), 2000),
                at_most("findings", form_field(form, "findings"), 4000),
                None if fraud in ("yes", "no") else choose("fraud"),
            ]
        )
        op = RecordFindings(
            task_id,
            agency,
            user.org_id,
            user.actor,
            kind,
            form_field(form, "checked"),
            form_field(form, "findings"),
            fraud == "yes",
            form_field(form, "critical") == "yes",
        )
    except InvalidInput as e:
        errors = at_fields(form_id, e, fields)
        return await sent_back(request, user, number, errors, values, e.status)
    return await _run(request, user, number, task_id, form_id, op, "findings")


def _region(form: FormData) -> tuple[dict[str, int] | None, list[FieldError | None]]:
    """The annotated rectangle in image pixels, all four numbers or none."""
    raw = {k: form_field(form, k) for k in REGION}
    if not any(raw.values()):
        return None, []
    errors: list[FieldError | None] = []
    region: dict[str, int] = {}
    for k, text in raw.items():
        least = 1 if k in ("width", "height") else 0
        if not text.isdigit() or int(text) < least:
            errors.append(
                FieldError(
                    k,
                    "bad_number",
                    f"A whole number of pixels, at least {least}; give all four or none.",
                    f"请填写不小于 {least} 的整数像素值；四项须全部填写或全部留空。",
                )
            )
        else:
            region[k] = int(text)
    return region, errors


@router.post(BASE + "/scans/{scan_id}/annotations")
async def annotate(
    request: Request, visitor: Page, user: SignedIn, form: Form, number: str, task_id: str, scan_id: str
) -> Response:
    agency = officer_agency(user)
    form_id = f"annotate-{scan_id}"
    known = ("note", *REGION)
    values = {f"{form_id}.{k}": form_field(form, k) for k in known}
    region, errors = _region(form)
    note = form_field(form, "note")
    try:
        check([required_text("note", note, 2000), *errors])
    except InvalidInput as e:
        return await sent_back(request, user, number, at_fields(form_id, e, known), values, e.status)
    ow = onewindow(request)
    with ow.engines.read.connect() as conn:
        _task(conn, request, user, number, task_id)
        inspection_queries.scan(conn, task_id, scan_id, user)
    await ow.committer.run(Annotate(scan_id, agency, user.actor, note, region))
    return back(number, "annotated", f"scan-{scan_id}")


@router.get(BASE + "/scans/{scan_id}/annotations")
def annotation_list(
    request: Request, visitor: Page, user: SignedIn, number: str, task_id: str, scan_id: str
) -> Response:
    """Every agency's annotations on the scan, refreshed in place while the officer looks."""
    ow = onewindow(request)
    with ow.engines.read.connect() as conn:
        _task(conn, request, user, number, task_id)
        found = inspection_queries.scan(conn, task_id, scan_id, user)
    return page(
        request,
        "officer/_annotations.html",
        scan=found,
        agency=officer_agency(user),
        number=number,
        task={"id": task_id},
    )


@router.get("/officer/inspections/{task_id}/scans/{scan_id}/image")
async def scan_image(request: Request, visitor: Page, user: SignedIn, task_id: str, scan_id: str) -> Response:
    """The scan image, to the officers of the agencies on the task (as the API serves it)."""
    officer_agency(user)
    ow = onewindow(request)
    with ow.engines.read.connect() as conn:
        found = inspection_queries.scan(conn, task_id, scan_id, user)
    data = await asyncio.to_thread(ow.blobs.open, found["image_sha256"])
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    return Response(data, media_type=found["media_type"], headers=headers)
