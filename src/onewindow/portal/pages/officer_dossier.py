"""One dossier as its agency's officer works it: the declaration and its documents, the risk
explanation, the credit register, the other agencies' results, the joint inspection, and the
decision (with the overrule of the risk channel and the approval of a withdrawal)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from onewindow.agencies.queries import agency_dossier
from onewindow.credit.policy import port_date
from onewindow.credit.queries import enterprise_record, grade_names
from onewindow.declarations import queries as declaration_queries
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration, Party, declaration_adapter
from onewindow.declarations.handlers import DecideDossier, DecideWithdrawal
from onewindow.documents.store import find_document, is_sha256
from onewindow.identity.model import Principal
from onewindow.inspection import queries as inspection_queries
from onewindow.kernel.errors import Conflict, InvalidInput, NotFound
from onewindow.risk import queries as risk_queries
from onewindow.risk.handlers import Overrule
from onewindow.risk.selection import Channel

from ..web import Form, Page, SignedIn, form_field, page, redirect
from .officer_common import Errors, at_fields, check, choose, officer_agency, onewindow, required_text

__all__ = ["back", "dossier_page", "router", "sent_back"]

router = APIRouter()
Data = GoodsDeclaration | ConveyanceReport
REASON_LIMIT = 2000
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")  # shown in the browser; others downloaded
DONE = {
    "decided": ("The decision is recorded.", "决定已记录。"),
    "overruled": ("The channel is overruled.", "通道已变更。"),
    "withdrawal": ("Your agency's answer to the withdrawal is recorded.", "撤单审批意见已记录。"),
    "annotated": ("Your annotation is on the scan.", "标注已添加到图像上。"),
    "findings": ("Your agency's findings are recorded.", "查验结果已记录。"),
    "opened": ("The inspection is in progress.", "查验已开始。"),
    "closed": ("The inspection is closed.", "查验已结束。"),
}


def _parties(data: Data) -> list[tuple[str, Party]]:
    """(role, party) of the declaration's domestic enterprises, the goods' owner first."""
    if isinstance(data, ConveyanceReport):
        return [("shipping_agent", data.shipping_agent)]
    found = [("consignee", data.consignee), ("production_sales_unit", data.production_sales_unit)]
    return [(role, p) for role, p in [*found, ("declarant", data.declarant)] if p is not None]


def _credit(conn: sa.Connection, data: Data, today: date) -> list[dict[str, Any]]:
    out = []
    for role, party in _parties(data):
        try:
            record: dict[str, Any] | None = enterprise_record(conn, party.uscc, today)
        except NotFound:
            record = None  # not on the register: routine measures
        out.append({"role": role, "name": party.name, "uscc": party.uscc, "record": record})
    return out


def _documents(conn: sa.Connection, data: Data) -> list[dict[str, Any]]:
    return [
        {"type": ref.type, "sha256": ref.sha256, "found": find_document(conn, ref.sha256, None)}
        for ref in data.documents
    ]


# What the learned model's features are about, longest names first (``risk.learned.encoding``).
_SUBJECTS = (
    "country_of_dispatch",
    "origin_country",
    "overseas_party",
    "levy_mode",
    "consignee",
    "declarant",
    "carrier",
    "hs6",
    "hs4",
)


def feature(name: str) -> dict[str, Any]:
    """A score driver's feature as a measure (a past irregularity rate, how often seen) of one or
    more subjects, so the page can name it in words; any other feature is its own subject."""
    for measure in ("fraud_rate", "seen"):
        if not name.endswith("_" + measure):
            continue
        rest, parts = name[: -len(measure) - 1], []
        while rest:
            token = next((s for s in _SUBJECTS if rest == s or rest.startswith(s + "_")), None)
            if token is None:
                break
            parts.append(token)
            rest = rest[len(token) + 1 :]
        if not rest:
            return {"name": name, "measure": measure, "parts": parts}
    return {"name": name, "measure": None, "parts": [name]}


def _times(view: dict[str, Any]) -> None:
    """The view's times as the API writes them (ISO text) back into times, to be formatted."""
    for row in (view, *view["dossiers"]):
        for key in ("submitted_at", "updated_at"):
            if isinstance(row.get(key), str):
                row[key] = datetime.fromisoformat(row[key])


def dossier_context(request: Request, user: Principal, number: str) -> dict[str, Any]:
    """Everything the dossier page shows, read with the API's permissions for ``user``."""
    agency = officer_agency(user)
    ow = onewindow(request)
    today = port_date(ow.clock.now())
    with ow.engines.read.connect() as conn:
        view = agency_dossier(conn, ow.agencies, agency, number, user)
        _times(view)
        data = declaration_adapter.validate_python(view["data"])
        events = declaration_queries.timeline(conn, number, user)
        containers = [c.number for c in data.containers] if isinstance(data, GoodsDeclaration) else []
        context = {
            "agency": agency,
            "view": view,
            "data": data,
            "own": next(d for d in view["dossiers"] if d["agency"] == agency),
            "others": [d for d in view["dossiers"] if d["agency"] != agency],
            "decisions": [
                {**e, "at": datetime.fromisoformat(e["occurred_at"])}
                for e in events
                if e["type"] in ("DossierDecided", "WithdrawalDecided")
            ],
            "assessment": risk_queries.explained_assessment(conn, ow.risk, view, agency),
            "credit": _credit(conn, data, today),
            "grades": grade_names(conn),
            "documents": _documents(conn, data),
            "tasks": inspection_queries.declaration_tasks(conn, number, user),
            "results": inspection_queries.results(conn, user, number, containers),
        }
    context["channels"] = [c.value for c in Channel]
    context["feature"] = feature
    return context


def dossier_page(
    request: Request,
    user: Principal,
    number: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    done: str = "",
    status: int = 422,
) -> Response:
    """The dossier page; with ``errors`` it is a form sent back for correction (``status``: 422,
    or 409 when the action does not fit the dossier's state)."""
    context = dossier_context(request, user, number)
    notice = DONE.get(done)
    return page(
        request,
        "officer/dossier.html",
        status=status if errors else 200,
        errors=errors or {},
        values=values or {},
        done=notice,
        **context,
    )


async def sent_back(
    request: Request, user: Principal, number: str, errors: Errors, values: dict[str, str], status: int
) -> Response:
    """The dossier page again with a form's errors at its fields (read off the event loop)."""
    return await asyncio.to_thread(
        dossier_page, request, user, number, errors=errors, values=values, status=status
    )


def back(number: str, done: str, anchor: str) -> Response:
    return redirect(f"/officer/dossiers/{number}?done={done}#{anchor}")


@router.get("/officer/dossiers/{number}")
def dossier(request: Request, visitor: Page, user: SignedIn, number: str, done: str = "") -> Response:
    return dossier_page(request, user, number, done=done)


@router.post("/officer/dossiers/{number}/decision")
async def decide(request: Request, visitor: Page, user: SignedIn, form: Form, number: str) -> Response:
    agency = officer_agency(user)
    ow = onewindow(request)
    decision, reason = form_field(form, "decision"), form_field(form, "reason")
    values = {"decide.decision": decision, "decide.reason": reason}
    try:
        check([required_text("decision", decision, 64), required_text("reason", reason, REASON_LIMIT)])
        op = DecideDossier(number, ow.agencies.get(agency), decision, reason, user.actor)
        await ow.committer.run(op)
    except (InvalidInput, Conflict) as e:
        errors = at_fields("decide", e, ("decision", "reason"))
        if isinstance(e, Conflict) and e.code == "decision_not_allowed":
            errors = {"decide.decision": errors.pop("decide.")}
        return await sent_back(request, user, number, errors, values, e.status)
    return back(number, "decided", "decide")


@router.post("/officer/dossiers/{number}/overrule")
async def overrule(request: Request, visitor: Page, user: SignedIn, form: Form, number: str) -> Response:
    """Replace the risk engine's channel, with a reason (``POST /v1/risk/assessments/…/overrule``)."""
    agency = officer_agency(user)
    ow = onewindow(request)
    channel, reason = form_field(form, "channel"), form_field(form, "reason")
    values = {"overrule.channel": channel, "overrule.reason": reason}
    try:
        check([required_text("reason", reason, REASON_LIMIT)])
        if channel not in {c.value for c in Channel}:
            raise InvalidInput([choose("channel")])
        with ow.engines.read.connect() as conn:
            agency_dossier(conn, ow.agencies, agency, number, user)  # 404 unless routed to the agency
        await ow.committer.run(
            Overrule(number, ow.agencies.get(agency), Channel(channel), reason, user.actor)
        )
    except (InvalidInput, Conflict) as e:
        errors = at_fields("overrule", e, ("channel", "reason"))
        return await sent_back(request, user, number, errors, values, e.status)
    return back(number, "overruled", "risk")


@router.post("/officer/dossiers/{number}/withdrawal")
async def decide_withdrawal(
    request: Request, visitor: Page, user: SignedIn, form: Form, number: str
) -> Response:
    agency = officer_agency(user)
    ow = onewindow(request)
    answer, reason = form_field(form, "approve"), form_field(form, "reason")
    values = {"withdrawal.approve": answer, "withdrawal.reason": reason}
    try:
        check([required_text("reason", reason, REASON_LIMIT)])
        if answer not in ("yes", "no"):
            raise InvalidInput([choose("approve")])
        op = DecideWithdrawal(number, ow.agencies.get(agency), answer == "yes", reason, user.actor)
        await ow.committer.run(op)
    except (InvalidInput, Conflict) as e:
        errors = at_fields("withdrawal", e, ("approve", "reason"))
        return await sent_back(request, user, number, errors, values, e.status)
    return back(number, "withdrawal", "decide")


@router.get("/officer/dossiers/{number}/documents/{sha256}")
async def document(
    request: Request, visitor: Page, user: SignedIn, number: str, sha256: str, download: bool = False
) -> Response:
    """An attached document of the dossier: officers see the attachments of the dossiers routed to
    their agency (the API's rule for officers, narrowed to this dossier's own documents)."""
    agency = officer_agency(user)
    ow = onewindow(request)
    with ow.engines.read.connect() as conn:
        view = agency_dossier(conn, ow.agencies, agency, number, user)
        listed = {d["sha256"] for d in view["data"].get("documents", [])}
        doc = find_document(conn, sha256, None) if is_sha256(sha256) and sha256 in listed else None
    if doc is None:
        raise NotFound("document", "单证", sha256)
    data = await asyncio.to_thread(ow.blobs.open, sha256)
    inline = not download and doc["media_type"] in INLINE_TYPES
    disposition = "inline" if inline else "attachment"
    if doc["filename"]:
        disposition += f"; filename*=UTF-8''{quote(doc['filename'], safe='')}"
    headers = {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(content=data, media_type=doc["media_type"], headers=headers)
