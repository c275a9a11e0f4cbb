"""HTTP API of the credit register (信用管理): enterprises, violations, repair, policy, vessels,
and the public list of dishonest enterprises (失信企业名单), readable without signing in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import NotPermitted

from . import queries, repository
from .grades import current_policies
from .handlers import (
    CureViolation,
    Reassess,
    RecordVesselViolation,
    RecordViolation,
    RegisterEnterprise,
    RepairCredit,
    SavePolicy,
    SetGrade,
)
from .policy import ViolationType, port_date
from .public import dishonest_enterprises as published_dishonest
from .tables import enterprises

__all__ = ["public", "router"]

router = APIRouter(prefix="/v1/credit", tags=["credit"])
public = APIRouter(prefix="/v1/public", tags=["public"])

Text = Annotated[str, Field(min_length=1, max_length=2000)]
USCC = Annotated[str, Field(min_length=18, max_length=18)]


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    uscc: USCC
    name: Annotated[str, Field(min_length=1, max_length=255)]
    org_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    customs_broker: bool = False
    declarations_last_year: Annotated[int, Field(ge=0, le=100_000_000)] = 0


class ViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    uscc: USCC
    type: ViolationType
    occurred_on: date
    amount_cny: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] = Decimal(0)
    description: Text


class CureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cured_on: date


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: Annotated[str, Field(min_length=1, max_length=32)]
    reason: Text


class VesselViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=255)]
    flag: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    type: ViolationType
    occurred_on: date
    description: Text


def _officer(caller: Principal) -> str:
    caller.require(Role.OFFICER)
    assert caller.agency is not None
    return caller.agency


def _reader(caller: Principal, uscc: str | None = None) -> None:
    """Officers, the port office and administrators read the register; an enterprise its own entry."""
    if caller.role in (Role.OFFICER, Role.PORT_OFFICE, Role.ADMIN):
        return
    if uscc is not None and caller.uscc == uscc:
        return
    raise NotPermitted("Only your own enterprise's credit record.", "只能查看本企业的信用记录。")


@router.post("/enterprises", status_code=201, summary="Register an enterprise (routine measures)")
async def register(body: EnterpriseIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER, Role.PORT_OFFICE, Role.ADMIN)
    op = RegisterEnterprise(
        body.uscc, body.name, caller.actor, body.org_id, body.customs_broker, body.declarations_last_year
    )
    return json_response(await app.committer.run(op), 201)


@router.get("/enterprises", summary="The register, by grade")
def list_enterprises(caller: Caller, app: App, grade: str | None = None) -> Response:
    _reader(caller)
    e = enterprises.c
    q = sa.select(e.uscc, e.name, e.grade, e.since, e.customs_broker).order_by(e.uscc).limit(1000)
    if grade:
        q = q.where(e.grade == grade)
    with app.engines.read.connect() as conn:
        return json_response({"enterprises": [dict(r._mapping) for r in conn.execute(q)]})


@router.get("/enterprises/{uscc}", summary="An enterprise's grade, its history and its violations")
def read_enterprise(uscc: str, caller: Caller, app: App) -> Response:
    _reader(caller, uscc)
    with app.engines.read.connect() as conn:
        return json_response(queries.enterprise_record(conn, uscc, port_date(app.clock.now())))


@router.post("/violations", status_code=201, summary="Record a violation (shared by every agency)")
async def record_violation(body: ViolationIn, caller: Caller, app: App) -> Response:
    agency = _officer(caller)
    op = RecordViolation(
        body.uscc, body.type, body.occurred_on, body.amount_cny, agency, body.description, caller.actor
    )
    return json_response(await app.committer.run(op), 201)


@router.post("/violations/{violation_id}/cure", summary="Taxes paid, or the enterprise reachable again")
async def cure(violation_id: str, body: CureIn, caller: Caller, app: App) -> Response:
    _officer(caller)
    return json_response(await app.committer.run(CureViolation(violation_id, body.cured_on)))


@router.post("/enterprises/{uscc}/repair", summary="Request credit repair (信用修复)")
async def repair(uscc: str, caller: Caller, app: App) -> Response:
    if not (caller.role is Role.OFFICER and caller.agency == "customs") and caller.uscc != uscc:
        raise NotPermitted(
            "Repair is asked for by the enterprise itself or decided by customs.",
            "信用修复须由企业本身申请或由海关办理。",
        )
    return json_response(await app.committer.run(RepairCredit(uscc, caller.actor)))


@router.post("/enterprises/{uscc}/grade", summary="Grade an enterprise by decision (e.g. AEO after audit)")
async def set_grade(uscc: str, body: GradeIn, caller: Caller, app: App) -> Response:
    caller.require_agency("customs")
    return json_response(await app.committer.run(SetGrade(uscc, body.grade, body.reason, caller.actor)))


@router.post("/reassess", summary="Run the downgrade rules over the whole register now")
async def reassess(caller: Caller, app: App) -> Response:
    caller.require(Role.PORT_OFFICE, Role.ADMIN)
    return json_response({"changed": await app.committer.run(Reassess())})


@router.get("/policy", summary="The credit policy: grades and inspection rates by date")
def read_policy(caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        policies = current_policies(conn)
    today = port_date(app.clock.now())
    return json_response(
        {
            "in_force": policies.on(today).version,
            "versions": [
                {
                    "version": p.version,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                    "source": p.source,
                    "routine_rate": p.routine_rate,
                    "assumptions": list(p.assumptions),
                    "grades": [
                        {
                            "code": g.code.value,
                            "name_zh": g.name_zh,
                            "name_en": g.name_en,
                            "is_aeo": g.is_aeo,
                            "inspection_rate": g.selection_rate(p.routine_rate),
                            "multiplier": g.multiplier,
                            "min_rate": g.min_rate,
                            "assumption": g.assumption,
                            "note": g.note,
                        }
                        for g in p.grades
                    ],
                }
                for p in policies.versions
            ],
        }
    )


@router.put("/policy", summary="Replace the credit policy (the port office; checked whole)")
async def save_policy(document: dict[str, Any], caller: Caller, app: App) -> Response:
    caller.require(Role.PORT_OFFICE)
    return json_response(await app.committer.run(SavePolicy(document, caller.actor)))


@router.post("/vessels/{imo}/violations", status_code=201, summary="Record a vessel's violation (诚信船舶)")
async def vessel_violation(imo: str, body: VesselViolationIn, caller: Caller, app: App) -> Response:
    agency = _officer(caller)
    op = RecordVesselViolation(
        imo, body.name, body.flag, body.type, body.occurred_on, agency, body.description, caller.actor
    )
    return json_response(await app.committer.run(op), 201)


@router.get("/vessels/{imo}", summary="A vessel's compliance status")
def vessel_status(imo: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        vessel = repository.load_vessel(conn, imo)
        policy = current_policies(conn).on(port_date(app.clock.now()))
    if vessel is None:
        return json_response({"imo": imo, "status": "compliant", "violations": [], "reason": "No record."})
    status = vessel.compliance(port_date(app.clock.now()), policy)
    return json_response(
        {
            "imo": vessel.imo,
            "name": vessel.name,
            "status": status.status.value,
            "violations": list(status.violations),
            "reason": status.reason,
            "reason_zh": status.reason_zh,
        }
    )


@public.get("/dishonest-enterprises", summary="The public list of dishonest enterprises (no sign-in)")
def dishonest_enterprises(app: App) -> Response:
    with app.engines.read.connect() as conn:
        version, entries = published_dishonest(conn, port_date(app.clock.now()))
    return json_response(
        {
            "policy": version,
            "enterprises": [
                {
                    "uscc": x.uscc,
                    "name": x.name,
                    "grade": x.grade.value,
                    "grade_zh": x.grade_zh,
                    "grade_en": x.grade_en,
                    "since": x.since,
                    "reason": x.reason,
                    "reason_zh": x.reason_zh,
                }
                for x in entries
            ],
        }
    )
