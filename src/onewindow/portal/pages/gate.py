"""The gate operator's live view (卡口): every passage newest first, refreshed every two seconds,
holds highlighted with each reason in the visitor's language, and the button that confirms a truck
let through has passed. The same reads, the same confirmation and the same roles as the gates' API
(``gate.api``): the port office, administrators, officers and gate operators."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onewindow.gate import queries
from onewindow.gate.api import GATE_ROLES, confirm_passage
from onewindow.identity.model import Principal
from onewindow.kernel.errors import FieldError, InvalidInput, OneWindowError

from ..i18n import CHINA
from ..i18n import gettext as _
from ..web import Form, Page, SignedIn, form_field, page, redirect

__all__ = ["PAGE_SIZE", "Filters", "reason_label", "router"]

router = APIRouter()
PAGE_SIZE = 50
DECISIONS = ("open", "hold")


def reason_label(code: str) -> str:
    """A hold reason's (or a note's) short name, by its stable code, in the visitor's language."""
    labels = {
        "gate_unknown": _("Gate not registered"),
        "gate_closed": _("Gate closed now"),
        "container_invalid": _("Bad container number"),
        "container_unknown": _("Container on no declaration"),
        "not_import": _("Declared for export"),
        "not_released": _("Not released"),
        "held_for_inspection": _("Held for inspection"),
        "declaration_refused": _("Declaration refused"),
        "declaration_withdrawn": _("Declaration withdrawn"),
        "seal_mismatch": _("Seal mismatch"),
        "already_exited": _("Already exited"),
        "already_arrived": _("Arrival already recorded"),
        "state_unavailable": _("Release state unavailable"),
        "no_export_declaration": _("No export declaration"),
    }
    return labels.get(code, code)


@dataclass(frozen=True)
class Filters:
    """What the operator chose to watch: one gate or all, open or hold or both, a page of the past."""

    gate: str = ""
    decision: str = ""
    cursor: str = ""

    @classmethod
    def of(cls, gate: str, decision: str, cursor: str = "") -> Filters:
        if decision not in ("", *DECISIONS):
            raise InvalidInput(
                [
                    FieldError(
                        "decision",
                        "not_allowed",
                        "Show open passages, holds, or both.",
                        "请选择放行、不放行或全部。",
                    )
                ]
            )
        return cls(gate.strip(), decision, cursor)

    def query(self, **more: str) -> str:
        values = {"gate": self.gate, "decision": self.decision, "cursor": self.cursor, **more}
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def live(self) -> bool:
        """The newest passages are watched live; an older page stands still."""
        return not self.cursor


def _allowed(user: Principal) -> None:
    user.require(*GATE_ROLES)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """A passage as the API lists it, with its times as datetimes for the locale's formats."""
    decided = _when(item["decided_at"])
    assert decided is not None
    return {
        **item,
        "decided_at": decided,
        "day": decided.astimezone(CHINA).date(),
        "read_at": _when(item["read_at"]),
        "confirmed_at": _when(item["confirmed_at"]),
    }


def _fingerprint(items: list[dict[str, Any]], next_cursor: str | None) -> str:
    """Changes when a passage comes, goes out of the page or is confirmed: the poll's version."""
    parts = [f"{p['passage_id']}:{p['confirmed_at']}" for p in items] + [next_cursor or ""]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _context(request: Request, f: Filters) -> dict[str, Any]:
    ow = request.app.state.onewindow
    wanted = queries.PassageFilter(
        gate_id=f.gate or None, decision=f.decision or None, limit=PAGE_SIZE, cursor=f.cursor or None
    )
    with ow.engines.read.connect() as conn:
        found = queries.list_passages(conn, wanted)
        gates = queries.gates_seen(conn)
    if f.gate and f.gate not in gates:
        gates = sorted([*gates, f.gate])
    items = found["items"]
    passages = [_shown(p) for p in items]
    return {
        "filters": f,
        "gates": gates,
        "passages": passages,
        "holds": sum(p["decision"] == "hold" for p in passages),
        "next_cursor": found["next_cursor"],
        "fingerprint": _fingerprint(items, found["next_cursor"]),
        "today": ow.clock.now().astimezone(CHINA).date(),
        "reason_label": reason_label,
        "notice": None,
        "error": None,
    }


@router.get("/gates")
def live_view(
    request: Request,
    visitor: Page,
    user: SignedIn,
    gate: str = "",
    decision: str = "",
    cursor: str = "",
    confirmed: str = "",
) -> Response:
    _allowed(user)
    ctx = _context(request, Filters.of(gate, decision, cursor))
    if confirmed:
        ctx["notice"] = _("Confirmed: the truck has passed.")
    return page(request, "gate/live.html", **ctx)


@router.get("/gates/live")
def live_fragment(
    request: Request,
    visitor: Page,
    user: SignedIn,
    gate: str = "",
    decision: str = "",
    cursor: str = "",
    seen: str = "",
) -> Response:
    """The passages part of the page, polled every two seconds; 204 (nothing to swap) when it has
    not changed since the version the page shows."""
    _allowed(user)
    ctx = _context(request, Filters.of(gate, decision, cursor))
    if seen and seen == ctx["fingerprint"]:
        return Response(status_code=204)
    return page(request, "gate/_live.html", **ctx)


@router.post("/gates/{gate_id}/passages/{passage_id}/confirm")
async def confirm(
    request: Request, visitor: Page, user: SignedIn, form: Form, gate_id: str, passage_id: str
) -> Response:
    """The truck passed: the same confirmation as ``POST /v1/gates/{gate_id}/passages/{id}/confirm``
    (durable, with the goods' exit or arrival on each declaration's timeline)."""
    _allowed(user)
    f = Filters.of(form_field(form, "gate"), form_field(form, "decision"))
    htmx = request.headers.get("hx-request") == "true"
    try:
        await confirm_passage(request, gate_id, passage_id, user.actor)
    except OneWindowError as refused:
        if not htmx:
            raise
        return page(request, "gate/_live.html", **{**_context(request, f), "error": refused})
    if not htmx:
        return redirect(f"/gates?{f.query(confirmed='1')}")
    notice = _("Confirmed: the truck has passed.")
    return page(request, "gate/_live.html", **{**_context(request, f), "notice": notice})
