"""HTTP API of identity: who am I, and the administrator's organisations, users and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller

from .model import Role
from .service import CreateOrganisation, CreateUser, IssueToken

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["identity"])
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: str
    uscc: str | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    org_id: Id
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    agency: str | None = None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, Field(min_length=1, max_length=100)] = "api"


@router.get("/me", summary="Who the token belongs to")
def me(caller: Caller) -> Response:
    return json_response(
        {
            "user_id": caller.user_id,
            "org_id": caller.org_id,
            "role": caller.role.value,
            "agency": caller.agency,
            "uscc": caller.uscc,
        }
    )


@router.post("/admin/organisations", status_code=201, summary="Register an organisation")
async def create_organisation(body: OrganisationIn, caller: Caller, app: App) -> Response:
    caller.require(Role.ADMIN)
    return json_response(
        await app.committer.run(CreateOrganisation(body.id, body.name, body.kind, body.uscc)), 201
    )


@router.post("/admin/users", status_code=201, summary="Create a user in an organisation")
async def create_user(body: UserIn, caller: Caller, app: App) -> Response:
    caller.require(Role.ADMIN)
    if body.agency is not None:
        app.agencies.get(body.agency)
    return json_response(
        await app.committer.run(CreateUser(body.id, body.org_id, body.name, body.role, body.agency)), 201
    )


@router.post("/admin/users/{user_id}/tokens", status_code=201, summary="Issue an API token (shown once)")
async def issue_token(user_id: str, body: TokenIn, caller: Caller, app: App) -> Response:
    caller.require(Role.ADMIN)
    token = await app.committer.run(IssueToken(user_id, body.label))
    return json_response({"user_id": user_id, "token": token}, 201)
