"""HTTP API of the agencies: the registry, each agency's work queue, and officers' decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from onewindow.declarations import queries
from onewindow.declarations.api import json_response
from onewindow.declarations.handlers import DecideDossier, DecideWithdrawal, Receipt
from onewindow.entrypoints.deps import App, Caller

from . import queries as agency_queries

__all__ = ["router"]

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="e.g. release, request_documents, order_inspection, refuse",
        ),
    ]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class WithdrawalDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


@router.get("", summary="The agencies of this single window, their states and decisions")
def list_agencies(caller: Caller, app: App) -> Response:
    return json_response({"agencies": [a.describe() for a in app.agencies]})


@router.get("/{agency}/dossiers", summary="An agency's work queue")
def work_queue(
    agency: str,
    caller: Caller,
    app: App,
    category: str | None = Query(
        None, description="open, action_required, inspection, released, refused, withdrawn"
    ),
    status: str | None = None,
    submitted_from: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> Response:
    app.agencies.get(agency)
    agency_queries.may_read_queue(caller, agency)
    f = queries.DeclarationFilter(
        status=status,
        agency=agency,
        category=category,
        submitted_from=submitted_from,
        limit=limit,
        cursor=cursor,
    )
    with app.engines.read.connect() as conn:
        return json_response(queries.list_declarations(conn, caller, f))


@router.get("/{agency}/dossiers/{number}", summary="A dossier with its declaration")
def read_dossier(agency: str, number: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        return json_response(agency_queries.agency_dossier(conn, app.agencies, agency, number, caller))


@router.post("/{agency}/dossiers/{number}/decisions", summary="Decide on your agency's dossier")
async def decide(agency: str, number: str, body: DecisionIn, caller: Caller, app: App) -> Response:
    """Release, request documents or a correction, order an inspection, refuse (or an agency's own
    decision), always with a reason. The declaration is released once every agency has released."""
    target = app.agencies.get(agency)
    caller.require_agency(agency)
    receipt: Receipt = await app.committer.run(
        DecideDossier(number, target, body.decision, body.reason, caller.actor)
    )
    return json_response(receipt.as_dict())


@router.post(
    "/{agency}/dossiers/{number}/withdrawal-decision", summary="Approve or reject a withdrawal request"
)
async def decide_withdrawal(
    agency: str, number: str, body: WithdrawalDecisionIn, caller: Caller, app: App
) -> Response:
    target = app.agencies.get(agency)
    caller.require_agency(agency)
    op = DecideWithdrawal(number, target, body.approve, body.reason, caller.actor)
    return json_response((await app.committer.run(op)).as_dict())
