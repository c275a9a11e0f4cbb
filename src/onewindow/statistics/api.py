"""HTTP API of the port office's statistics: each figure of the dashboard as JSON, or as CSV with
``?format=csv``; the port office only. Every figure takes the same filters: ``port`` (a customs
office code such as 3301), ``from`` and ``to`` (days at the port, both included; default: this
week and the seven before it) and ``granularity`` (``week`` or ``day``) for the time series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role

from .export import csv_filename, to_csv
from .filters import PORT_TIME, Filters, parse_filters
from .queries import FIGURES, Figure, Snapshot, offices

__all__ = ["figure_response", "read_figure", "read_figures", "router"]

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

Port = Annotated[str | None, Query(description="customs office code of declaration, e.g. 3301 (Wuhu)")]
From = Annotated[
    str | None, Query(alias="from", description="first day, YYYY-MM-DD (default: Monday 7 weeks ago)")
]
To = Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD, included (default: today)")]
Grain = Annotated[str | None, Query(description="week (default) or day")]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]

DESCRIPTIONS = {
    "summary": "Declarations lodged, released and inspected; median and p90 clearance time; late dossiers",
    "clearance-time": "Overall clearance time (整体通关时间) per week or day and kind: median, p90, mean",
    "stages": "Where the clearance time of goods went: agencies' review, waiting for the trader, inspection",
    "volumes": "Declarations lodged per week or day, by kind",
    "ports": "Declarations lodged per port, by kind",
    "agencies": "Each agency's dossiers by where they stand now",
    "channels": "The risk engine's channels per agency",
    "credit-grades": "Inspection rate by credit grade against the credit policy",
    "facilities": "Use of the inspection sites, scanners and ports: booked over open capacity-hours",
    "late": "Dossiers waiting longer than their agency's expected time",
}


def read_figures(app: App, caller: Principal, names: Sequence[str], filters: Filters) -> dict[str, Figure]:
    """The figures for the port office (the one reader of the statistics), from one reading of
    the data: what the API and the portal's dashboard both show."""
    caller.require(Role.PORT_OFFICE)
    with app.engines.read.connect() as conn:
        snapshot = Snapshot(conn, filters, app.clock.now())
        return {name: snapshot.figure(name) for name in names}


def read_figure(app: App, caller: Principal, name: str, filters: Filters) -> Figure:
    return read_figures(app, caller, [name], filters)[name]


def figure_response(figure: Figure, filters: Filters, format: str) -> Response:
    if format == "csv":
        disposition = f'attachment; filename="{csv_filename(figure, filters)}"'
        return Response(
            to_csv(figure), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
        )
    return json_response(figure.as_dict(filters))


@router.get("", summary="The figures there are, and the ports that have declarations")
def index(caller: Caller, app: App) -> Response:
    caller.require(Role.PORT_OFFICE)
    with app.engines.read.connect() as conn:
        ports = offices(conn)
    return json_response(
        {
            "figures": [{"id": name, "description": DESCRIPTIONS.get(name, "")} for name in FIGURES],
            "ports": ports,
        }
    )


@router.get("/{figure}", summary="One figure of the dashboard, as JSON or CSV")
def read(
    figure: str,
    caller: Caller,
    app: App,
    port: Port = None,
    start: From = None,
    end: To = None,
    granularity: Grain = None,
    format: Format = "json",
) -> Response:
    caller.require(Role.PORT_OFFICE)
    today = app.clock.now().astimezone(PORT_TIME).date()
    filters = parse_filters(today, port, start, end, granularity)
    return figure_response(read_figure(app, caller, figure, filters), filters, format)
