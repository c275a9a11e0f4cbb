"""The declarant's pages (申报人): the organisation's declarations, the goods declaration form,
one declaration followed agency by agency, and bulk uploads. The list is
``GET /v1/declarations``'s query with every agency's state as a badge; the other pages are in
``declarant_form``, ``declarant_view`` and ``declarant_uploads``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onewindow.bootstrap import OneWindow
from onewindow.declarations import queries
from onewindow.declarations.handlers import CHINA
from onewindow.kernel.errors import FieldError, InvalidInput

from ..web import Page, SignedIn, page
from . import declarant_form, declarant_uploads, declarant_view
from .declarant_form import declarant

__all__ = ["router"]

router = APIRouter()
STATUSES = (
    "submitted",
    "under_review",
    "action_required",
    "inspection",
    "withdrawal_requested",
    "released",
    "refused",
    "withdrawn",
)
KINDS = ("import", "export", "vessel_arrival", "vessel_departure")
PAGE = 25


def _day(name: str, text: str, errors: list[FieldError]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(
            FieldError(name, "bad_date", "Give a date like 2026-01-31.", "请填写日期，如 2026-01-31。")
        )
        return None


def _filter(params: dict[str, str]) -> tuple[queries.DeclarationFilter, list[FieldError]]:
    errors: list[FieldError] = []
    start, end = _day("from", params["from"], errors), _day("to", params["to"], errors)
    midnight = time(0, 0, tzinfo=CHINA)
    f = queries.DeclarationFilter(
        status=params["status"] if params["status"] in STATUSES else None,
        kind=params["kind"] if params["kind"] in KINDS else None,
        submitted_from=datetime.combine(start, midnight) if start else None,
        submitted_to=datetime.combine(end + timedelta(days=1), midnight) if end else None,
        limit=PAGE,
        cursor=params["cursor"] or None,
    )
    return f, errors


@router.get("/my/declarations")
def declarations(request: Request, visitor: Page, user: SignedIn) -> Response:
    """The organisation's declarations, newest first, a page at a time."""
    declarant(user)
    ow: OneWindow = request.app.state.onewindow
    q = request.query_params
    params = {k: q.get(k, "").strip() for k in ("status", "kind", "from", "to", "cursor")}
    f, errors = _filter(params)
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    badges: dict[str, list[dict[str, Any]]] = {}
    if not errors:
        try:
            with ow.engines.read.connect() as conn:
                found = queries.list_declarations(conn, user, f)
                badges = queries.dossier_states(conn, user, [i["number"] for i in found["items"]])
        except InvalidInput as bad:  # a cursor that was not handed out
            errors = bad.fields
    for item in found["items"]:
        item["submitted_at"] = declarant_view.when(item["submitted_at"])
        item["dossiers"] = badges.get(item["number"], [])
    return page(
        request,
        "declarant/list.html",
        status=422 if errors else 200,
        items=found["items"],
        next_cursor=found["next_cursor"],
        params=params,
        filters=urlencode({k: v for k, v in params.items() if v and k != "cursor"}),
        errors={e.path: e for e in errors},
        statuses=STATUSES,
        kinds=KINDS,
    )


# The form's routes first: /my/declarations/new must not be read as a declaration's number.
router.include_router(declarant_form.router)
router.include_router(declarant_view.router)
router.include_router(declarant_uploads.router)
