"""HTTP API of the gates (卡口): a gate reader asks whether a truck may pass and is answered in
milliseconds; it confirms when the truck has passed; the port office watches the passages.

A hold is a normal answer (200 with ``"decision": "hold"`` and its reasons), never an error: the
reader sends what it read, misreadings included. Only a request that is not a reading at all (not
JSON, wrong types, unknown fields, more than four containers) is refused with 422 and logs nothing.

Who may ask: the port office, an administrator, or an agency officer (a terminal's gate reader is
issued a token of one of these until gates get a role of their own). The same roles read the log.

``POST /v1/gates/{gate_id}/ping`` answers a constant and is the benchmarks' baseline.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.routing import Route

from onewindow.declarations.api import json_response
from onewindow.declarations.validation import from_pydantic
from onewindow.entrypoints.deps import App, get_app, get_principal
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput

from . import queries
from .desk import GateDesk
from .facts import MAX_CONTAINERS
from .handlers import Confirmation
from .rules import Direction, Reading
from .view import GateView

__all__ = ["GATE_ROLES", "HOT_ROUTES", "PassageIn", "router"]

router = APIRouter(prefix="/v1/gates", tags=["gates"])

GATE_ROLES = (Role.PORT_OFFICE, Role.ADMIN, Role.OFFICER, Role.GATE_OPERATOR)
_GATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_PONG = b'{"pong":true}'

Text = Annotated[str, Field(min_length=1, max_length=32)]


class PassageIn(BaseModel):
    """What a gate reader sends: the truck's plate, the containers and seals it read."""

    model_config = ConfigDict(extra="forbid")
    direction: Literal["exit", "entry"] = Field(
        description="exit: out of the controlled area; entry: into it"
    )
    plate: Annotated[str, Field(max_length=16)] = Field(
        description="The vehicle plate as read, e.g. 皖B12345"
    )
    containers: Annotated[list[Text], Field(max_length=MAX_CONTAINERS)] = Field(
        default_factory=list,
        description="ISO 6346 numbers as read (0 to 4); a misreading is held, not refused",
    )
    seals: Annotated[list[Text], Field(max_length=16)] = Field(
        default_factory=list, description="Every seal number read on the truck's containers"
    )
    read_at: AwareDatetime | None = Field(None, description="When the reader read the truck, with its offset")


_DECIDE = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PassageIn.model_json_schema()}},
    }
}


async def get_desk(request: Request) -> GateDesk:
    """The app's gate desk, made and started on first use from the running OneWindow's parts."""
    state = request.app.state
    desk: GateDesk | None = getattr(state, "gate_desk", None)
    if desk is None:
        ow = get_app(request)
        desk = GateDesk(GateView(ow.engines.read), ow.committer, ow.clock)
        state.gate_desk = desk
        ow.stoppers.append(desk.stop)  # its last log lines go to the committer before it stops
    if not desk.started:
        await desk.start()
    return desk


def _gate_keeper(request: Request) -> Principal:
    caller = get_principal(request)
    caller.require(*GATE_ROLES)
    return caller


GateKeeper = Annotated[Principal, Depends(_gate_keeper)]


def _reading(gate_id: str, body: bytes) -> tuple[PassageIn, Reading]:
    errors: list[FieldError] = []
    if not _GATE_ID.match(gate_id):
        errors.append(
            FieldError(
                "gate_id",
                "bad_format",
                "A gate id is 1 to 32 letters, digits, dots, dashes or underscores.",
                "卡口编号为 1 至 32 位字母、数字、点、连字符或下划线。",
            )
        )
    try:
        data = PassageIn.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(errors + from_pydantic(exc)) from None
    if errors:
        raise InvalidInput(errors)
    return data, Reading.of(gate_id, Direction(data.direction), data.plate, data.containers, data.seals)


@router.get("/passages", summary="Passages at every gate, newest first; or those that moved some goods")
def list_all_passages(
    _: GateKeeper,
    app: App,
    number: str | None = None,
    container: str | None = None,
    decision: Literal["open", "hold"] | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> Response:
    """With ``number`` (a declaration) or ``container``: the confirmed passages that moved those
    goods out or in. Holds are listed per gate, with their reasons."""
    f = queries.PassageFilter(
        number=number, container=container, decision=decision, limit=limit, cursor=cursor
    )
    with app.engines.read.connect() as conn:
        return json_response(queries.list_passages(conn, f))


async def decide_request(request: Request) -> Response:
    caller = _gate_keeper(request)
    data, reading = _reading(request.path_params["gate_id"], await request.body())
    passage = (await get_desk(request)).decide(reading, data.read_at, caller.actor)
    return json_response(passage.as_dict())


async def confirm_passage(request: Request, gate_id: str, passage_id: str, actor: str) -> Confirmation:
    """Confirm through the process's desk (the portal's gate page uses it too)."""
    return await (await get_desk(request)).confirm(gate_id, passage_id, actor)


async def confirm_request(request: Request) -> Response:
    caller = _gate_keeper(request)
    gate_id, passage_id = request.path_params["gate_id"], request.path_params["passage_id"]
    done = await confirm_passage(request, gate_id, passage_id, caller.actor)
    return json_response(done.as_dict())


async def ping_request(request: Request) -> Response:
    await request.body()
    return Response(_PONG, media_type="application/json")


# The two hot endpoints: answered ahead of the framework by entrypoints.hot (FastAPI's per-request
# dependency solving cost about as much as a decision); the FastAPI routes below document them.
HOT_ROUTES = (
    Route("/v1/gates/{gate_id}/passages", decide_request, methods=["POST"]),
    Route("/v1/gates/{gate_id}/ping", ping_request, methods=["POST"]),
)


@router.post(
    "/{gate_id}/passages", openapi_extra=_DECIDE, summary="A truck at the gate: open or hold, in milliseconds"
)
async def decide(gate_id: str, request: Request) -> Response:
    """Answers from the release state as committed now, without waiting for any write; the
    passage is logged by the group committer within milliseconds (see ``gate.desk``)."""
    return await decide_request(request)


@router.post("/{gate_id}/passages/{passage_id}/confirm", summary="The truck passed (exit or arrival, 运抵)")
async def confirm(gate_id: str, passage_id: str, request: Request) -> Response:
    """Records that the goods left the controlled area (``GoodsExited``) or arrived in it
    (``GoodsArrived``) on each declaration's timeline; durable before it answers. Confirming
    again returns the first confirmation; a held passage cannot be confirmed (409)."""
    return await confirm_request(request)


@router.get("/{gate_id}/passages", summary="The gate's passages, newest first (the live view)")
def list_gate_passages(
    gate_id: str,
    _: GateKeeper,
    app: App,
    decision: Literal["open", "hold"] | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> Response:
    f = queries.PassageFilter(gate_id=gate_id, decision=decision, limit=limit, cursor=cursor)
    with app.engines.read.connect() as conn:
        return json_response(queries.list_passages(conn, f))


@router.get("/{gate_id}/passages/{passage_id}", summary="One passage with its decision and reasons")
def read_passage(gate_id: str, passage_id: str, _: GateKeeper, app: App) -> Response:
    with app.engines.read.connect() as conn:
        return json_response(queries.passage(conn, gate_id, passage_id))


@router.post("/{gate_id}/ping", summary="The benchmarks' baseline: a constant answer")
async def ping(gate_id: str, request: Request) -> Response:
    """Answers a constant without authenticating, reading or writing anything: the bare endpoint
    of the same app that ``benchmarks/gate.py`` measures decisions against."""
    return await ping_request(request)
