"""HTTP API of the risk area (风险防控): profiles, alerts, IP rights, assessments and overrules.

Risk information is for the agencies and the port office only: a declarant never sees why (or
whether) a declaration was selected beyond the decision on its dossier.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from onewindow.declarations import queries as declaration_queries
from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, NotPermitted

from . import queries
from .fields import FIELDS
from .handlers import DeactivateRow, Overrule, PostAlert, RecordIpRight, SaveProfile, check_expression
from .profiles.language import describe
from .repository import SCHEMA
from .selection import Channel
from .tables import ip_rights, risk_alerts, risk_profiles

__all__ = ["router"]

router = APIRouter(prefix="/v1/risk", tags=["risk"])

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ChannelName = Literal["release", "audit", "document_check", "scan", "manual"]


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    expression: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description='e.g. startswith(hs_code, "0201", "0202") and origin_country == "BR" '
        "and unit_price_cny_per_kg < 30"
    )
    channel: ChannelName
    reason: Text
    hit_rate: Annotated[float, Field(gt=0, le=1)] = 1.0
    shared_with: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20
    )
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_kind: Literal["enterprise", "vessel", "container", "commodity", "origin"]
    subject: Annotated[str, Field(min_length=1, max_length=64)]
    channel: ChannelName = "manual"
    reason: Text
    valid_days: Annotated[int, Field(ge=1, le=366)] = 30


class IpRightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holder_name: Annotated[str, Field(min_length=1, max_length=255)]
    holder_org_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    mark: Annotated[str, Field(min_length=2, max_length=200)]
    hs_prefixes: list[Annotated[str, Field(pattern=r"^\d{2,10}$")]] = Field(
        default_factory=list, max_length=50
    )
    valid_until: date


class OverruleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ChannelName
    reason: Text


def _officer_or_port_office(caller: Principal) -> str | None:
    """The agency whose view the caller has (None: the port office's, which is everything)."""
    if caller.role in (Role.PORT_OFFICE, Role.ADMIN):
        return None
    caller.require(Role.OFFICER)
    return caller.agency


def _profile_fields(body: ProfileIn, app: Any) -> dict[str, Any]:
    check_expression(body.expression)
    errors = [
        FieldError(f"shared_with[{i}]", "agency_unknown", f"No agency '{a}'.", f"无此机构“{a}”。")
        for i, a in enumerate(body.shared_with)
        if a not in app.agencies
    ]
    if body.valid_from and body.valid_to and body.valid_to <= body.valid_from:
        errors.append(
            FieldError(
                "valid_to", "before_start", "valid_to must be after valid_from.", "失效时间须晚于生效时间。"
            )
        )
    if errors:
        raise InvalidInput(errors)
    values = body.model_dump(exclude_none=True)
    values["shared_with"] = sorted(set(body.shared_with))
    return values


@router.get("/fields", summary="The fields, operators and functions risk profiles are written with")
def language(caller: Caller) -> Response:
    return json_response({"fields": FIELDS, "language": describe(SCHEMA)})


@router.get("/profiles", summary="Profiles your agency owns or is shared")
def list_profiles(caller: Caller, app: App) -> Response:
    agency = _officer_or_port_office(caller)
    with app.engines.read.connect() as conn:
        return json_response({"profiles": queries.profiles(conn, agency)})


@router.post("/profiles", status_code=201, summary="Write a risk profile (used by the next declaration)")
async def create_profile(body: ProfileIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER)
    assert caller.agency is not None
    op = SaveProfile(caller.agency, caller.actor, _profile_fields(body, app))
    return json_response(await app.committer.run(op), 201)


@router.put("/profiles/{profile_id}", summary="Revise a profile your agency owns")
async def revise_profile(profile_id: str, body: ProfileIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER)
    assert caller.agency is not None
    op = SaveProfile(caller.agency, caller.actor, _profile_fields(body, app), profile_id)
    return json_response(await app.committer.run(op))


@router.delete("/profiles/{profile_id}", status_code=204, summary="Withdraw a profile your agency owns")
async def withdraw_profile(profile_id: str, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER)
    await app.committer.run(DeactivateRow(risk_profiles, profile_id, caller.agency))
    return Response(status_code=204)


@router.get("/alerts", summary="Alerts in force, from every agency")
def list_alerts(caller: Caller, app: App) -> Response:
    _officer_or_port_office(caller)
    with app.engines.read.connect() as conn:
        return json_response({"alerts": queries.alerts(conn, app.clock.now())})


@router.post("/alerts", status_code=201, summary="Post an alert every agency's risk engine sees at once")
async def post_alert(body: AlertIn, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER)
    assert caller.agency is not None
    op = PostAlert(
        caller.agency,
        caller.actor,
        body.subject_kind,
        body.subject.strip().upper() if body.subject_kind != "commodity" else body.subject.strip(),
        Channel(body.channel),
        body.reason,
        app.clock.now() + timedelta(days=body.valid_days),
    )
    return json_response(await app.committer.run(op), 201)


@router.delete("/alerts/{alert_id}", status_code=204, summary="Revoke an alert your agency posted")
async def revoke_alert(alert_id: str, caller: Caller, app: App) -> Response:
    caller.require(Role.OFFICER)
    await app.committer.run(DeactivateRow(risk_alerts, alert_id, caller.agency))
    return Response(status_code=204)


@router.get("/ip-rights", summary="Recorded intellectual property rights (知识产权海关保护备案)")
def list_ip_rights(caller: Caller, app: App) -> Response:
    _officer_or_port_office(caller)
    with app.engines.read.connect() as conn:
        return json_response({"ip_rights": queries.ip_rights_list(conn)})


@router.post("/ip-rights", status_code=201, summary="Record a right; matching goods are held")
async def record_ip_right(body: IpRightIn, caller: Caller, app: App) -> Response:
    caller.require_agency("customs")
    op = RecordIpRight(
        caller.actor, body.holder_name, body.holder_org_id, body.mark, body.hs_prefixes, body.valid_until
    )
    return json_response(await app.committer.run(op), 201)


@router.delete("/ip-rights/{right_id}", status_code=204, summary="End a recording")
async def end_ip_right(right_id: str, caller: Caller, app: App) -> Response:
    caller.require_agency("customs")
    await app.committer.run(DeactivateRow(ip_rights, right_id, None))
    return Response(status_code=204)


@router.get("/assessments/{number}", summary="Why a declaration was (or was not) selected")
def read_assessments(number: str, caller: Caller, app: App) -> Response:
    """Which profiles and alerts hit, the learned score against its threshold (with its main
    drivers), the credit grade and the policy's rate, the random draw, and any result accepted by
    mutual recognition; and every officer's overrule."""
    agency = _officer_or_port_office(caller)
    with app.engines.read.connect() as conn:
        view = declaration_queries.declaration_view(conn, number, caller)  # 404 unless visible
        rows = queries.assessments(conn, number, None if agency is None else [agency])
        drivers = queries.drivers(conn, app.risk, view)
    for row in rows:
        score = row["explanation"].get("score", {})
        if row["model_id"] and drivers and drivers["model_id"] == row["model_id"]:
            score["drivers"] = drivers["drivers"]
    return json_response({"number": number, "assessments": rows})


@router.post("/assessments/{number}/{agency}/overrule", summary="Overrule the channel, with a reason")
async def overrule(number: str, agency: str, body: OverruleIn, caller: Caller, app: App) -> Response:
    target = app.agencies.get(agency)
    caller.require_agency(agency)
    op = Overrule(number, target, Channel(body.channel), body.reason, caller.actor)
    return json_response(await app.committer.run(op))


@router.get("/selection-rates", summary="Inspection rates by credit grade against the policy")
def selection_rates(
    caller: Caller,
    app: App,
    agency: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    own = _officer_or_port_office(caller)
    if own is not None and agency not in (None, own):
        raise NotPermitted("Officers see their own agency's rates.", "工作人员只能查看本机构的布控率。")
    with app.engines.read.connect() as conn:
        return json_response(queries.selection_rates(conn, own or agency, since, until, app.clock.now()))


@router.get("/models", summary="Learned models and their quality on held-back data")
def list_models(caller: Caller, app: App) -> Response:
    _officer_or_port_office(caller)
    with app.engines.read.connect() as conn:
        return json_response({"models": queries.models(conn)})
