"""HTTP API of the declarations area: thin — parse, authorise, hand to a handler, answer."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import Route

from onewindow.entrypoints.deps import App, Caller, get_app, get_principal
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, MalformedRequest

from . import queries
from .dataset import ConveyanceReport, GoodsDeclaration, declaration_adapter
from .handlers import CHINA, AmendDeclaration, Receipt, SubmitDeclaration, WithdrawDeclaration
from .validation import check, check_declarant, parse, parse_object, problem

__all__ = ["HOT_ROUTES", "router"]

router = APIRouter(prefix="/v1/declarations", tags=["declarations"])
Data = GoodsDeclaration | ConveyanceReport

_SCHEMA = declaration_adapter.json_schema(ref_template="#/components/schemas/{model}")
SCHEMAS: dict[str, Any] = {
    **_SCHEMA["$defs"],
    "DeclarationData": {k: v for k, v in _SCHEMA.items() if k != "$defs"},
    "Amendment": {
        "type": "object",
        "required": ["reason", "data"],
        "additionalProperties": False,
        "properties": {
            "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1000,
                "description": "Why the declaration is amended",
            },
            "data": {"$ref": "#/components/schemas/DeclarationData"},
        },
    },
}
"""Schemas the hand-documented bodies refer to; the app adds them to its OpenAPI components."""


def _body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


_BODY = _body("DeclarationData")
# The two hot endpoints take the bare Request (FastAPI's dependency solving costs more than the
# validation itself at a thousand requests a second), so their header is documented by hand.
_SUBMIT = {
    **_BODY,
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 128},
            "description": "Retrying with the same key returns the first result; "
            "another body with it is refused.",
        },
        {
            "name": "Authorization",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Bearer <API token>",
        },
    ],
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    try:
        raw = orjson.dumps(body)
    except TypeError:  # keys that are str subclasses (SQLAlchemy's column names): the slower path
        raw = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return Response(raw, status_code=status, media_type="application/json", headers=headers)


def _today(app: Any) -> Any:
    return app.clock.now().astimezone(CHINA).date()


async def _parse_checked(request: Request, app: Any, caller: Principal) -> tuple[bytes, Data]:
    if "json" not in request.headers.get("content-type", "application/json"):
        raise MalformedRequest(
            "Send the declaration as application/json.", "请以 application/json 格式提交报关数据。"
        )
    body = await request.body()
    data = parse(body)
    errors = check(data, _today(app)) + check_declarant(data, caller.uscc)
    errors += await unknown_documents(app, caller.org_id, data, prefix="")
    if errors:
        raise InvalidInput(errors)
    return body, data


async def unknown_documents(app: Any, org_id: str, data: Data, prefix: str) -> list[FieldError]:
    if not data.documents:
        return []
    hashes = {d.sha256 for d in data.documents}
    index = app.documents
    missing = (
        set() if index.cached(org_id, hashes) else await asyncio.to_thread(index.missing, org_id, hashes)
    )
    return [
        problem(f"{prefix}documents[{i}].sha256", "document_unknown", x=d.sha256)
        for i, d in enumerate(data.documents)
        if d.sha256 in missing
    ]


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= 128 and key.isprintable()):
        raise InvalidInput(
            [
                FieldError(
                    "Idempotency-Key",
                    "bad_format",
                    "Use 1 to 128 printable characters.",
                    "请使用 1 至 128 个可打印字符。",
                )
            ]
        )
    return key


def _receipt(r: Receipt, status: int) -> Response:
    headers = {"Location": f"/v1/declarations/{r.number}"}
    if r.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(r.as_dict(), status, headers)


async def validate_request(request: Request) -> Response:
    app, caller = get_app(request), get_principal(request)
    _, data = await _parse_checked(request, app, caller)
    return json_response(
        {"valid": True, "kind": data.kind, "agencies": [a.code for a in app.agencies.route(data)]}
    )


async def submit_request(request: Request) -> Response:
    app, caller = get_app(request), get_principal(request)
    caller.require(Role.DECLARANT)
    idempotency_key = _idempotency_key(request)
    body, data = await _parse_checked(request, app, caller)
    op = SubmitDeclaration(
        org_id=caller.org_id,
        actor=caller.actor,
        data=data,
        agencies=app.agencies.route(data),
        idempotency_key=idempotency_key,
        body_hash=hashlib.sha256(body).hexdigest(),
        source_json=body,
        risk=app.risk,
    )
    receipt: Receipt = await app.committer.run(op)
    return _receipt(receipt, 200 if receipt.replayed else 201)


# The busiest endpoints: answered ahead of the framework by entrypoints.hot (FastAPI's per-request
# handling cost about a quarter of a validation); the FastAPI routes below document them.
HOT_ROUTES = (
    Route("/v1/declarations", submit_request, methods=["POST"]),
    Route("/v1/declarations/validate", validate_request, methods=["POST"]),
)


@router.post("/validate", openapi_extra=_SUBMIT, summary="Check a declaration without submitting it")
async def validate(request: Request) -> Response:
    """Runs every check a submission runs and stores nothing (also the benchmarks' bare endpoint)."""
    return await validate_request(request)


@router.post(
    "", openapi_extra=_SUBMIT, status_code=201, summary="Submit a declaration (once, to every agency)"
)
async def submit(request: Request) -> Response:
    """Validates, numbers and stores the declaration durably, opens a dossier for every concerned
    agency, and answers with its number. Retrying with the same ``Idempotency-Key`` returns the
    first result; the same key with a different body is refused (409)."""
    return await submit_request(request)


@router.get("", summary="List declarations you may see, newest first")
def list_declarations(
    caller: Caller,
    app: App,
    status: str | None = None,
    kind: str | None = None,
    office: str | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> Response:
    f = queries.DeclarationFilter(
        status=status,
        kind=kind,
        office=office,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        limit=limit,
        cursor=cursor,
    )
    with app.engines.read.connect() as conn:
        return json_response(queries.list_declarations(conn, caller, f))


@router.get("/{number}", summary="One declaration with every agency's dossier")
def read(number: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        return json_response(queries.declaration_view(conn, number, caller))


@router.get("/{number}/timeline", summary="Every event of the declaration, oldest first")
def read_timeline(number: str, caller: Caller, app: App) -> Response:
    with app.engines.read.connect() as conn:
        return json_response({"number": number, "events": queries.timeline(conn, number, caller)})


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.put(
    "/{number}",
    openapi_extra=_body("Amendment"),
    summary="Amend a declaration (e.g. answer a document request)",
)
async def amend(number: str, request: Request, caller: Caller, app: App) -> Response:
    """Body: ``{"reason": "...", "data": <the whole amended data set>}``."""
    caller.require(Role.DECLARANT)
    reason, data = await _amendment(request, app, caller)
    op = AmendDeclaration(
        number, caller.org_id, caller.actor, data, app.agencies.route(data), reason, risk=app.risk
    )
    return _receipt(await app.committer.run(op), 200)


async def _amendment(request: Request, app: Any, caller: Principal) -> tuple[str, Data]:
    try:
        raw = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}.", "请求体不是有效的 JSON。") from None
    if not isinstance(raw, dict):
        raise MalformedRequest(
            "Send an object with 'reason' and 'data'.", "请提交包含 reason 和 data 的对象。"
        )
    errors: list[FieldError] = []
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors.append(
            FieldError("reason", "required", "Say why you amend the declaration.", "请说明修改理由。")
        )
    extra = set(raw) - {"reason", "data"}
    errors += [
        FieldError(
            k,
            "unknown_field",
            "This field is not part of an amendment; remove it.",
            "修改申报不含此字段，请删除。",
        )
        for k in sorted(extra)
    ]
    try:
        data = parse_object(raw.get("data"))
    except InvalidInput as exc:
        raise InvalidInput(
            errors
            + [
                FieldError(f"data.{f.path}" if f.path != "$" else "data", f.code, f.message, f.message_zh)
                for f in exc.fields
            ]
        ) from None
    errors += [
        FieldError(f"data.{f.path}", f.code, f.message, f.message_zh)
        for f in check(data, _today(app)) + check_declarant(data, caller.uscc)
    ]
    errors += await unknown_documents(app, caller.org_id, data, prefix="data.")
    if errors:
        raise InvalidInput(errors)
    return str(reason), data


@router.post("/{number}/withdrawal", summary="Withdraw a declaration (撤单)")
async def withdraw(number: str, body: Reason, caller: Caller, app: App) -> Response:
    """Withdrawn at once while no agency has acted; otherwise a request the agencies decide."""
    caller.require(Role.DECLARANT)
    op = WithdrawDeclaration(number, caller.org_id, caller.actor, body.reason)
    return _receipt(await app.committer.run(op), 200)


feed = APIRouter(prefix="/v1/events", tags=["declarations"])


@feed.get("", summary="Pull the events you may see, after a sequence number")
def pull_events(
    caller: Caller,
    app: App,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The pull twin of webhooks: poll with ``after`` set to the last ``seq`` you received."""
    with app.engines.read.connect() as conn:
        items = queries.event_feed(conn, caller, after, limit)
    return json_response({"events": items, "last_seq": items[-1]["seq"] if items else after})
