"""One declaration as its declarant follows it: every agency's dossier and the timeline (refreshed
in place while anything can still change), the attached documents, and what the declarant can do
next: attach a document, answer a request, withdraw, move the inspection appointment, download
the receipt (回执). Every read and write is the API's: ``declaration_view``, ``timeline``,
``AmendDeclaration``, ``WithdrawDeclaration``, ``MoveAppointment``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onewindow.bootstrap import OneWindow
from onewindow.declarations import queries
from onewindow.declarations.handlers import AmendDeclaration, WithdrawDeclaration
from onewindow.declarations.receipt import receipt_facts, render_receipt
from onewindow.documents.store import find_document
from onewindow.facilities.handlers import SlotUnavailable
from onewindow.identity.model import Principal
from onewindow.inspection.appointments import MoveAppointment, Offer, free_slots
from onewindow.inspection.queries import visible_task
from onewindow.inspection.tasks import task_view, tasks_of
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, OneWindowError

from ..web import Form, Page, SignedIn, form_field, page, redirect
from .declarant_form import DOCUMENT_ORDER, declarant, store_document, validate

__all__ = ["router"]

router = APIRouter()
FINAL = ("released", "refused", "withdrawn")
NOTICES = ("amended", "attached", "withdrawn", "booked")


def when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _events(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline with its times as datetimes (the page formats them for the reader)."""
    out = []
    for e in raw:
        item = {**e, "at": when(e["occurred_at"])}
        if e["type"] == "InspectionScheduled":
            item["when"] = when(e.get("starts_at"))
        out.append(item)
    return out


def _live(ow: OneWindow, user: Principal, number: str) -> dict[str, Any]:
    with ow.engines.read.connect() as conn:
        view = queries.declaration_view(conn, number, user)
        events = queries.timeline(conn, number, user)
    for d in view["dossiers"]:
        d["updated_at"] = when(d["updated_at"])
    view["submitted_at"] = when(view["submitted_at"])
    return {
        "decl": view,
        "events": _events(events),
        "final": view["status"] in FINAL,
        "waiting_for_you": [d for d in view["dossiers"] if d["category"] == "action_required"],
    }


def _inspections(ow: OneWindow, user: Principal, number: str) -> list[dict[str, Any]]:
    """The declaration's joint inspections as ``GET /v1/inspections?number=`` shows them, each with
    the free slots its appointment may move to while it has not started."""
    now = ow.clock.now()
    found = []
    with ow.engines.read.connect() as conn:
        for task_id in tasks_of(conn, number):
            task = visible_task(conn, task_id, user)
            view = task_view(task)
            offer: Offer | None = None
            problem: OneWindowError | None = None
            if task.status.value in ("open", "scheduled"):
                try:
                    offer = free_slots(conn, task, now)
                except OneWindowError as exc:  # no site shared by all, or it left the register
                    problem = exc
            found.append({"task": view, "offer": offer, "problem": problem})
    return found


def _documents(ow: OneWindow, user: Principal, data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    with ow.engines.read.connect() as conn:
        for ref in data.get("documents") or []:
            stored = find_document(conn, ref["sha256"], user.org_id) or {}
            out.append({**stored, **ref})
    return out


def _render(
    request: Request,
    user: Principal,
    number: str,
    *,
    status: int = 200,
    error: OneWindowError | None = None,
    refused: SlotUnavailable | None = None,
    refused_task: str | None = None,
) -> Response:
    ow: OneWindow = request.app.state.onewindow
    live = _live(ow, user, number)
    done = request.query_params.get("done")
    return page(
        request,
        "declarant/declaration.html",
        status=status,
        **live,
        inspections=_inspections(ow, user, number),
        documents=_documents(ow, user, live["decl"]["data"]),
        document_types=DOCUMENT_ORDER,
        done=done if done in NOTICES else None,
        error=error,
        refused=refused,
        refused_task=refused_task,
        refused_slots=[when(t) for t in refused.next_free] if refused else [],
    )


@router.get("/my/declarations/{number}")
def declaration(request: Request, visitor: Page, user: SignedIn, number: str) -> Response:
    declarant(user)
    return _render(request, user, number)


@router.get("/my/declarations/{number}/live")
def live(request: Request, visitor: Page, user: SignedIn, number: str) -> Response:
    """The part of the page that changes as agencies act (polled by the page while not final)."""
    declarant(user)
    return page(request, "declarant/_live.html", **_live(request.app.state.onewindow, user, number))


@router.post("/my/declarations/{number}/documents")
async def attach(request: Request, visitor: Page, user: SignedIn, posted: Form, number: str) -> Response:
    """Upload a document and attach it: an amendment that adds it to the data set."""
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    with ow.engines.read.connect() as conn:
        view = queries.declaration_view(conn, number, user)
    if view["status"] in FINAL:
        raise Conflict(
            "declaration_closed",
            f"Declaration {number} is {view['status']}; nothing can be attached any more.",
            f"报关单 {number} 已办结，不能再补充单证。",
        )
    doc = await store_document(ow, user, posted)
    data = dict(view["data"])
    refs = [r for r in data.get("documents") or [] if r["sha256"] != doc["sha256"]]
    data["documents"] = [*refs, {"type": doc["type"], "sha256": doc["sha256"]}]
    _body, parsed, errors = await validate(ow, user, data)
    if errors or parsed is None:
        raise InvalidInput(errors)
    reason = f"Attached {doc['type']}: {doc['filename'] or doc['sha256'][:12]} / 补充随附单证"
    op = AmendDeclaration(
        number, user.org_id, user.actor, parsed, ow.agencies.route(parsed), reason, risk=ow.risk
    )
    await ow.committer.run(op)
    return redirect(f"/my/declarations/{number}?done=attached")


@router.post("/my/declarations/{number}/withdrawal")
async def withdraw(request: Request, visitor: Page, user: SignedIn, posted: Form, number: str) -> Response:
    declarant(user)
    reason = form_field(posted, "reason")
    if not reason:
        error = InvalidInput(
            [FieldError("reason", "required", "Say why you withdraw the declaration.", "请说明撤单理由。")]
        )
        return _render(request, user, number, status=422, error=error)
    ow: OneWindow = request.app.state.onewindow
    await ow.committer.run(WithdrawDeclaration(number, user.org_id, user.actor, reason))
    return redirect(f"/my/declarations/{number}?done=withdrawn")


@router.post("/my/declarations/{number}/appointment")
async def book(request: Request, visitor: Page, user: SignedIn, posted: Form, number: str) -> Response:
    """Move the inspection to the free slot picked; refused with the next free ones when taken."""
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    task_id, chosen = form_field(posted, "task_id"), form_field(posted, "starts_at")
    with ow.engines.read.connect() as conn:
        queries.declaration_view(conn, number, user)  # 404 unless it is the user's declaration
        if task_id not in tasks_of(conn, number):
            return _render(request, user, number, status=422, error=_pick_a_slot())
    try:
        starts_at = datetime.fromisoformat(chosen)
    except ValueError:
        starts_at = None
    if starts_at is None or starts_at.tzinfo is None:
        return _render(request, user, number, status=422, error=_pick_a_slot())
    try:
        await ow.committer.run(MoveAppointment(task_id, user.org_id, starts_at, user.actor))
    except SlotUnavailable as full:
        return _render(request, user, number, status=409, refused=full, refused_task=task_id)
    except OneWindowError as exc:  # started meanwhile, in the past, no site…
        return _render(request, user, number, status=exc.status, error=exc)
    return redirect(f"/my/declarations/{number}?done=booked")


def _pick_a_slot() -> InvalidInput:
    return InvalidInput(
        [FieldError("starts_at", "required", "Pick one of the free slots.", "请选择一个空闲时段。")]
    )


@router.get("/my/declarations/{number}/receipt.pdf")
def receipt(request: Request, visitor: Page, user: SignedIn, number: str) -> Response:
    """The receipt (回执) in Chinese and English, with the SHA-256 of the stored declaration."""
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    with ow.engines.read.connect() as conn:
        view = queries.declaration_view(conn, number, user)
        events = queries.timeline(conn, number, user)
    names = {a.code: (a.name_zh, a.name) for a in ow.agencies}
    pdf = render_receipt(receipt_facts(view, events, names, ow.clock.now()))
    headers = {"Content-Disposition": f'attachment; filename="receipt-{number}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
