"""Filling a goods declaration in the browser: the new-declaration form, the amendment form (an
answer to a document or correction request), the check that runs while typing, and documents.

Every check is the API's own (``POST /v1/declarations/validate``): the form is turned into the
data set, parsed, checked against the code tables, check digits and arithmetic, against the
signed-in enterprise's credit code and its uploaded documents. Submitting goes through the same
``SubmitDeclaration`` with the idempotency key the form carries in a hidden field, so a double
post stores one declaration; amending through the same ``AmendDeclaration``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, cast

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi import UploadFile as FastAPIUploadFile
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from onewindow import reference
from onewindow.bootstrap import OneWindow
from onewindow.declarations import queries
from onewindow.declarations.api import unknown_documents
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.declarations.handlers import CHINA, AmendDeclaration, Receipt, SubmitDeclaration
from onewindow.declarations.validation import check, check_declarant, parse
from onewindow.documents.api import get_document_content, upload_document
from onewindow.documents.store import DOCUMENT_TYPES, find_document
from onewindow.identity.model import Principal, Role
from onewindow.identity.tables import organisations
from onewindow.kernel.errors import FieldError, IdempotencyKeyReused, InvalidInput

from ..web import Form, Page, SignedIn, form_field, page, redirect, safe_next
from .declarant_fields import DeclarationForm

__all__ = ["DOCUMENT_ORDER", "router", "validate"]

router = APIRouter()
DOCUMENT_ORDER = ("invoice", "packing_list", "contract", "bill_of_lading", "certificate", "licence", "other")
Data = GoodsDeclaration | ConveyanceReport


def declarant(user: Principal) -> None:
    """The declarant pages are for enterprises' users (the API refuses others their writes)."""
    user.require(Role.DECLARANT)


async def validate(
    ow: OneWindow, user: Principal, raw: dict[str, Any]
) -> tuple[bytes, Data | None, list[FieldError]]:
    """The API's checks of a submission, in its order: the shape, then the substance (codes,
    check digits, arithmetic, dates), the declaring enterprise and the attached documents."""
    body = orjson.dumps(raw)
    try:
        data = parse(body)
    except InvalidInput as exc:
        return body, None, exc.fields
    today = ow.clock.now().astimezone(CHINA).date()
    errors = check(data, today) + check_declarant(data, user.uscc)
    errors += await unknown_documents(ow, user.org_id, data, prefix="")
    return body, data, errors


def _rows(form: DeclarationForm, action: str) -> bool:
    """Add or remove a container or item row; True when ``action`` was one of those."""
    verb, _sep, arg = action.partition(":")
    if verb == "add":
        form.add_row(arg)
    elif verb == "remove" and "." in arg:
        name, _dot, index = arg.partition(".")
        if index.isdigit():
            form.remove_row(name, int(index))
    else:
        return False
    return True


def _choices(ow: OneWindow, user: Principal, form: DeclarationForm) -> list[dict[str, Any]]:
    """The organisation's recent documents, and any chosen one older than those."""
    with ow.engines.read.connect() as conn:
        docs = queries.recent_documents(conn, user, limit=20)
        known = {d["sha256"] for d in docs}
        for _type, sha in form.documents:
            if sha not in known and (found := find_document(conn, sha, user.org_id)) is not None:
                docs.append(found)
                known.add(sha)
    return docs


def _tables() -> dict[str, list[tuple[str, str]]]:
    names = (
        "customs_offices",
        "supervision_modes",
        "levy_natures",
        "transport_modes",
        "transaction_terms",
        "package_kinds",
        "units",
        "levy_modes",
    )
    return {name: sorted(reference.table(name).items()) for name in names}


def render(
    request: Request,
    user: Principal,
    form: DeclarationForm,
    *,
    number: str | None = None,
    status: int = 200,
    checked: bool = False,
) -> Response:
    ow: OneWindow = request.app.state.onewindow
    return page(
        request,
        "declarant/form.html",
        status=status,
        form=form,
        number=number,
        action=f"/my/declarations/{number}/amend" if number else "/my/declarations/new",
        tables=_tables(),
        documents=_choices(ow, user, form),
        document_types=DOCUMENT_ORDER,
        checked=checked,
        valid=checked and not form.error_count,
    )


def _defaults(ow: OneWindow, user: Principal) -> tuple[str, str]:
    """The office of the organisation's latest declaration (else Wuhu), and its name."""
    with ow.engines.read.connect() as conn:
        latest = queries.list_declarations(conn, user, queries.DeclarationFilter(limit=1))["items"]
        name = conn.execute(sa.select(organisations.c.name).where(organisations.c.id == user.org_id)).scalar()
    return (latest[0]["office"] if latest else "3301"), str(name or "")


@router.get("/my/declarations/new")
def new_declaration(request: Request, visitor: Page, user: SignedIn, kind: str = "import") -> Response:
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    office, name = _defaults(ow, user)
    today = ow.clock.now().astimezone(CHINA).date()
    form = DeclarationForm.initial(kind, today, office, (name, user.uscc or ""), uuid.uuid4().hex)
    return render(request, user, form)


@router.post("/my/declarations/new")
async def submit_declaration(request: Request, visitor: Page, user: SignedIn, posted: Form) -> Response:
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    form = DeclarationForm.from_post(posted)
    action = form_field(posted, "action") or "submit"
    if _rows(form, action):
        return render(request, user, form)
    body, data, errors = await validate(ow, user, form.data())
    form.place(errors)
    if errors or action == "check" or data is None:
        return render(request, user, form, status=422 if errors else 200, checked=True)
    if not form.key:
        form.key = uuid.uuid4().hex
    op = SubmitDeclaration(
        org_id=user.org_id,
        actor=user.actor,
        data=data,
        agencies=ow.agencies.route(data),
        idempotency_key=form.key,
        body_hash=hashlib.sha256(body).hexdigest(),
        risk=ow.risk,
    )
    try:
        receipt: Receipt = await ow.committer.run(op)
    except IdempotencyKeyReused as reused:
        form.key = uuid.uuid4().hex  # submitting again now is a deliberate new declaration
        form.problems = [FieldError("$", reused.code, reused.message, reused.message_zh)]
        return render(request, user, form, status=409)
    return redirect(f"/my/declarations/{receipt.number}")


@router.post("/my/declarations/check")
async def check_declaration(request: Request, visitor: Page, user: SignedIn, posted: Form) -> Response:
    """What the form shows while it is typed: each touched input's errors, the computed totals."""
    declarant(user)
    form = DeclarationForm.from_post(posted)
    touched_field = form_field(posted, "_touched")
    touched = None if touched_field == "*" else {t for t in touched_field.split(",") if t}
    _body, data, errors = await validate(request.app.state.onewindow, user, form.data())
    if form.amending and not form.reason:
        errors.append(_reason_missing())
    form.place(errors, touched)
    return page(request, "declarant/_check.html", form=form, valid=data is not None and not errors)


def _reason_missing() -> FieldError:
    return FieldError(
        "reason",
        "required",
        "Say why you amend the declaration (e.g. the invoice asked for is attached).",
        "请说明修改理由（例如已补充所要求的发票）。",
    )


# -- amending (answering a request) ------------------------------------------------------------


def _stored(ow: OneWindow, user: Principal, number: str) -> dict[str, Any]:
    with ow.engines.read.connect() as conn:
        view = queries.declaration_view(conn, number, user)
    if view["kind"] not in ("import", "export"):
        raise InvalidInput(
            [
                FieldError(
                    "kind",
                    "not_allowed",
                    "Only goods declarations are amended here; amend a vessel report through the API.",
                    "此处只能修改货物报关单；船舶申报请通过接口修改。",
                )
            ]
        )
    return view


@router.get("/my/declarations/{number}/amend")
def amend_form(request: Request, visitor: Page, user: SignedIn, number: str) -> Response:
    declarant(user)
    view = _stored(request.app.state.onewindow, user, number)
    return render(request, user, DeclarationForm.from_data(view["data"]), number=number)


@router.post("/my/declarations/{number}/amend")
async def amend(request: Request, visitor: Page, user: SignedIn, posted: Form, number: str) -> Response:
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    view = _stored(ow, user, number)
    form = DeclarationForm.from_post(posted)
    form.amending = True
    # The kind and the office of declaration stay as declared (the form shows them read-only).
    form.values.update(kind=view["data"]["kind"], declaration_office=view["data"]["declaration_office"])
    action = form_field(posted, "action") or "submit"
    if _rows(form, action):
        return render(request, user, form, number=number)
    _body, data, errors = await validate(ow, user, form.data())
    if not form.reason:
        errors.append(_reason_missing())
    form.place(errors)
    if errors or action == "check":
        return render(request, user, form, number=number, status=422 if errors else 200, checked=True)
    assert isinstance(data, GoodsDeclaration)
    op = AmendDeclaration(
        number, user.org_id, user.actor, data, ow.agencies.route(data), form.reason, risk=ow.risk
    )
    await ow.committer.run(op)
    return redirect(f"/my/declarations/{number}?done=amended")


# -- documents ---------------------------------------------------------------------------------


async def store_document(ow: OneWindow, user: Principal, posted: FormData) -> dict[str, Any]:
    """Upload a document exactly as ``POST /v1/documents`` does (types, size limit, registration);
    the posted files are closed afterwards (the API's own form parsing would close them)."""
    try:
        file = posted.get("file")
        doc_type = form_field(posted, "type")
        problems = []
        if not isinstance(file, UploadFile) or not file.filename:
            problems.append(
                FieldError("file", "required", "Choose a file to upload.", "请选择要上传的文件。")
            )
        if doc_type not in DOCUMENT_TYPES:
            problems.append(
                FieldError("type", "not_allowed", "Choose the kind of document.", "请选择单证类型。")
            )
        if problems:
            raise InvalidInput(problems)
        # The parsed form holds Starlette's UploadFile; FastAPI's is the same class with a docstring.
        described: dict[str, Any] = await upload_document(ow, user, cast(FastAPIUploadFile, file), doc_type)
        return described
    finally:
        await posted.close()


@router.post("/my/documents")
async def upload(request: Request, visitor: Page, user: SignedIn, posted: Form) -> Response:
    """From the form's document list: the new document is added to it, ticked."""
    declarant(user)
    doc = await store_document(request.app.state.onewindow, user, posted)
    if request.headers.get("hx-request") == "true":
        return page(request, "declarant/_uploaded.html", doc=doc)
    return redirect(safe_next(form_field(posted, "next"), "/my/declarations/new"))


@router.get("/my/documents/{sha256}")
def download(request: Request, visitor: Page, user: SignedIn, sha256: str) -> Response:
    """A document of the organisation's (``GET /v1/documents/{sha256}/content``)."""
    declarant(user)
    return get_document_content(request.app.state.onewindow, user, sha256)
