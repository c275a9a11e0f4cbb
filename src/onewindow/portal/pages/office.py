"""The port office's pages (口岸办): the dashboard of clearance figures, their CSV exports, and a
read-only view of any declaration the late list points to. The port office only; the figures
come from the statistics area (``onewindow.statistics.api.read_figures``), as the API's do."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from onewindow.bootstrap import OneWindow
from onewindow.declarations import queries as declarations
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import InvalidInput
from onewindow.statistics.api import figure_response, read_figure, read_figures
from onewindow.statistics.filters import DEFAULT_WEEKS, PORT_TIME, Filters, Granularity, parse_filters
from onewindow.statistics.queries import Figure, offices

from .. import i18n, labels
from ..i18n import gettext as _
from ..web import Page, SignedIn, page
from .office_charts import chart
from .office_labels import (
    agency_label,
    duration,
    hours,
    kind_label,
    port_label,
    situation_label,
    state_label,
)

__all__ = ["router"]

router = APIRouter()

CHARTS = (
    "clearance-time",
    "stages",
    "volumes",
    "ports",
    "agencies",
    "channels",
    "credit-grades",
    "facilities",
)
LATE_SHOWN = 30  # the most overdue; the CSV export holds them all

PortParam = Annotated[str | None, Query()]
FromParam = Annotated[str | None, Query(alias="from")]
ToParam = Annotated[str | None, Query(alias="to")]
GrainParam = Annotated[str | None, Query()]


def _port_office(user: Principal) -> None:
    user.require(Role.PORT_OFFICE)


def _today(request: Request) -> date:
    ow: OneWindow = request.app.state.onewindow
    return ow.clock.now().astimezone(PORT_TIME).date()


@router.get("/office")
def dashboard(
    request: Request,
    visitor: Page,
    user: SignedIn,
    port: PortParam = None,
    start: FromParam = None,
    end: ToParam = None,
    granularity: GrainParam = None,
) -> Response:
    _port_office(user)
    i18n.current.set(visitor.language)  # this thread's texts (the page sets it again to render)
    ow = request.app.state.onewindow
    today = _today(request)
    with ow.engines.read.connect() as conn:
        choices = [(office, f"{port_label(office)} ({office})") for office in offices(conn)]
    sent = {"port": port or "", "from": start or "", "to": end or "", "granularity": granularity or "week"}
    try:
        filters = parse_filters(today, port, start, end, granularity)
    except InvalidInput as bad:
        errors = {f.path: i18n.pick(f.message, f.message_zh) for f in bad.fields}
        return page(
            request,
            "office/dashboard.html",
            status=422,
            errors=errors,
            values=sent,
            ports=choices,
            quick=_quick(today),
            filters=None,
            charts=[],
            kpis=[],
            late=[],
            late_total=0,
            query="",
            scope="",
        )
    figures = read_figures(ow, user, ["summary", "late", *CHARTS], filters)
    values = {
        **sent,
        "from": filters.first.isoformat(),
        "to": filters.last.isoformat(),
        "granularity": filters.granularity.value,
    }
    late = figures["late"].rows
    return page(
        request,
        "office/dashboard.html",
        errors={},
        values=values,
        ports=choices,
        quick=_quick(today),
        filters=filters,
        scope=_scope(filters),
        query=urlencode(filters.query()),
        kpis=_kpis(figures["summary"], filters),
        charts=[chart(figures[name], filters) for name in CHARTS],
        late=[_late_row(r) for r in late[:LATE_SHOWN]],
        late_total=len(late),
    )


@router.get("/office/export/{figure}.csv")
def export(
    request: Request,
    visitor: Page,
    user: SignedIn,
    figure: str,
    port: PortParam = None,
    start: FromParam = None,
    end: ToParam = None,
    granularity: GrainParam = None,
) -> Response:
    """The figure as CSV, for the filters of the dashboard: the API's own export."""
    _port_office(user)
    filters = parse_filters(_today(request), port, start, end, granularity)
    found = read_figure(request.app.state.onewindow, user, figure, filters)
    return figure_response(found, filters, "csv")


@router.get("/office/declarations/{number}")
def declaration(request: Request, visitor: Page, user: SignedIn, number: str) -> Response:
    """One declaration as the port office sees it: every agency's dossier and the timeline."""
    _port_office(user)
    i18n.current.set(visitor.language)
    with request.app.state.onewindow.engines.read.connect() as conn:
        found = declarations.declaration_view(conn, number, user)
        events = declarations.timeline(conn, number, user)
    return page(
        request,
        "office/declaration.html",
        decl=found,
        port=port_label(found["office"]),
        kind=kind_label(found["kind"]),
        status_label=labels.status(found["status"]),
        submitted_at=_when(found["submitted_at"]),
        updated_at=_when(found["updated_at"]),
        dossiers=[
            {
                **d,
                "agency_label": agency_label(d["agency"]),
                "state_label": state_label(d["state"]),
                "since": _when(d["updated_at"]),
            }
            for d in found["dossiers"]
        ],
        events=[
            {
                "label": _event_label(e),
                "agency": agency_label(e["agency"]) if e["agency"] else "",
                "state": state_label(str(e["state"]))
                if e.get("state")
                else labels.status(str(e["status"]))
                if e.get("status")
                else "",
                "reason": str(e.get("reason") or ""),
                "at": _when(e["occurred_at"]),
            }
            for e in events
        ],
    )


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


# -- what the template shows ---------------------------------------------------------------------


def _quick(today: date) -> list[tuple[str, str]]:
    """Links to the usual periods: this week and the seven before, four weeks, the last week by day."""
    monday = today - timedelta(days=today.weekday())
    choices = [
        (_("Last 8 weeks"), monday - timedelta(weeks=DEFAULT_WEEKS - 1), Granularity.WEEK),
        (_("Last 4 weeks"), monday - timedelta(weeks=3), Granularity.WEEK),
        (_("Last 14 days, by day"), today - timedelta(days=13), Granularity.DAY),
    ]
    return [
        (
            label,
            "/office?"
            + urlencode({"from": first.isoformat(), "to": today.isoformat(), "granularity": g.value}),
        )
        for label, first, g in choices
    ]


def _scope(f: Filters) -> str:
    where = port_label(f.port) if f.port else _("All ports")
    grain = _("by week") if f.granularity is Granularity.WEEK else _("by day")
    return f"{where} · {i18n.fmt_date(f.first, 'long')} – {i18n.fmt_date(f.last, 'long')} · {grain}"


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return (now - before) / before


def _kpis(fig: Figure, f: Filters) -> list[dict[str, Any]]:
    s = fig.rows[0]
    # The previous period is a fair comparison only where it had traffic of a similar order
    # (not, for instance, the weeks before OneWindow or the demo's history started).
    comparable = s["previous_declarations"] * 5 >= s["declarations"] > 0
    lodged = _change(s["declarations"], s["previous_declarations"]) if comparable else None
    faster = _change(s["median_h"], s["previous_median_h"]) if comparable else None
    weeks = ((f.last - f.first).days + 1) / 7
    released = _("of {n} released").format(n=i18n.fmt_number(s["cleared"]))
    return [
        {
            "id": "declarations",
            "label": _("Declarations lodged"),
            "value": i18n.fmt_number(s["declarations"]),
            "detail": _("{change} on the previous period").format(change=_signed(lodged))
            if lodged is not None
            else _("{n} a week on average").format(n=i18n.fmt_number(s["declarations"] / weeks, 0)),
            "trend": "",
        },
        {
            "id": "median",
            "label": _("Median clearance time"),
            "value": hours(s["median_h"]),
            "detail": _("{change} on the previous period").format(change=_signed(faster))
            if faster is not None
            else released,
            "trend": "good" if (faster or 0) < 0 else "bad" if (faster or 0) > 0 else "",
        },
        {
            "id": "p90",
            "label": _("90% cleared within"),
            "value": hours(s["p90_h"]),
            "detail": released,
            "trend": "",
        },
        {
            "id": "release-rate",
            "label": _("Release rate"),
            "value": i18n.fmt_percent(s["release_rate"]),
            "detail": _("{n} released so far").format(n=i18n.fmt_number(s["released"])),
            "trend": "",
        },
        {
            "id": "inspection-rate",
            "label": _("Inspection rate"),
            "value": i18n.fmt_percent(s["inspection_rate"]),
            "detail": _("{n} declarations inspected").format(n=i18n.fmt_number(s["inspected"])),
            "trend": "",
        },
        {
            "id": "late",
            "label": _("Late dossiers"),
            "value": i18n.fmt_number(s["late"]),
            "detail": _("waiting longer than expected"),
            "trend": "bad" if s["late"] else "good",
        },
    ]


def _signed(x: float) -> str:
    sign = "+" if x > 0 else "−" if x < 0 else "±"
    return sign + i18n.fmt_percent(abs(x), 0)


def _late_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": r["number"],
        "port": port_label(r["port"]),
        "kind": kind_label(r["kind"]),
        "agency": agency_label(r["agency"]),
        "situation": situation_label(r["situation"]),
        "state": state_label(r["state"]),
        "since": i18n.fmt_datetime(datetime.fromisoformat(r["since"]), "short"),
        "waited": duration(r["waited_h"]),
        "expected": hours(r["expected_h"]),
        "overdue": duration(r["overdue_h"]),
    }


def _event_label(e: dict[str, Any]) -> str:
    return {
        "DeclarationSubmitted": _("Declaration submitted"),
        "DossierOpened": _("Dossier opened"),
        "DossierDecided": _("Decision"),
        "DossierResubmitted": _("Dossier resubmitted"),
        "DeclarationAmended": _("Declaration amended"),
        "DeclarationStatusChanged": _("Status changed"),
        "DeclarationReleased": _("Released"),
        "DeclarationRefused": _("Refused"),
        "DeclarationWithdrawn": _("Withdrawn"),
        "WithdrawalRequested": _("Withdrawal requested"),
        "WithdrawalDecided": _("Withdrawal decided"),
        "InspectionOrderJoined": _("Inspection ordered"),
        "InspectionScheduled": _("Inspection booked"),
        "InspectionStarted": _("Inspection started"),
        "InspectionClosed": _("Inspection closed"),
    }.get(str(e["type"]), str(e["type"]))
