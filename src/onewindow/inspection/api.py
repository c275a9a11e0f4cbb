"""HTTP API of the inspection results register (查验结果): recorded once, seen by every agency.

Agency officers record their own agency's results; an accredited third-party inspection body
(role ``inspector``) records its own. Officers of every agency and the port office read them all,
which is what mutual recognition rests on; a third party reads what it recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from stdnum import imo as stdnum_imo
from stdnum import iso6346

from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Role
from onewindow.kernel.errors import FieldError, InvalidInput

from .handlers import RecordResult
from .tables import inspection_results

__all__ = ["router"]

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
