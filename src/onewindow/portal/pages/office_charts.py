"""The dashboard's charts: each statistics figure drawn as an SVG by pygal on the server and
inlined in the page (no script, nothing fetched), with its text alternative and its data table.

A chart shows exactly the rows of its figure (what its CSV export holds); rates are drawn as
percentages. This module says what each figure's chart shows; ``office_chart_drawing`` how a
chart is drawn, ``office_labels`` how codes and numbers read in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from onewindow.statistics.filters import Filters
from onewindow.statistics.queries import Figure

from .. import i18n
from ..i18n import gettext as _
from .office_chart_drawing import (
    BLUE,
    CHANNEL_COLOURS,
    GREY,
    HORIZONTAL_BAR,
    HORIZONTAL_STACKED_BAR,
    KIND_COLOURS,
    LEGEND_IN_TWO_COLUMNS,
    LINE,
    OUTCOME_COLOURS,
    STACKED_BAR,
    STAGE_COLOURS,
    TEAL,
    Chart,
    colours_of,
    count_points,
    draw,
    left_labels,
    plot,
    quiet_small,
    reversed_values,
    svg,
    ticks,
    trends,
    value_axis,
    x_labels,
)
from .office_labels import (
    agency_label,
    bucket_label,
    channel_label,
    facility_label,
    grade_label,
    hours,
    kind_label,
    number,
    outcome_label,
    percent,
    port_label,
    stage_label,
)

__all__ = ["Chart", "chart"]

Row = dict[str, Any]


def clearance_chart(fig: Figure, f: Filters) -> Chart:
    buckets = sorted({r["bucket"] for r in fig.rows})
    kinds = list(dict.fromkeys(r["kind"] for r in fig.rows))
    by = {(r["bucket"], r["kind"]): r for r in fig.rows}
    series = [[by[(b, k)]["median_h"] for b in buckets] for k in kinds]
    drawn = draw(
        LINE,
        colours_of(kinds, KIND_COLOURS),
        dots_size=4,
        stroke_style={"width": 3},
        y_title=_("hours (median)"),
        value_formatter=hours,
        allow_interruptions=True,
    )
    names = [kind_label(k) for k in kinds]
    _over_time(drawn, f, buckets, names, series, stacked=False)
    return _chart_of(
        fig,
        drawn,
        series,
        title=_("Overall clearance time"),
        note=_("Median hours from submission to the one release, of the declarations released each period."),
        summary=trends(names, series, hours),
        headers=[
            _("Period from"),
            _("Kind of declaration"),
            _("Released"),
            _("Median"),
            _("90th percentile"),
            _("Mean"),
            _("Every agency decided (median)"),
        ],
        rows=[
            [
                bucket_label(r["bucket"]),
                kind_label(r["kind"]),
                number(r["released"]),
                *_cells(r, ("median_h", "p90_h", "mean_h", "decided_median_h"), hours),
            ]
            for r in fig.rows
        ],
    )


def stages_chart(fig: Figure, f: Filters) -> Chart:
    stages = ("review", "trader", "inspection")
    series = _columns(fig.rows, [f"{s}_h" for s in stages])
    drawn = draw(
        STACKED_BAR, colours_of(stages, STAGE_COLOURS), y_title=_("hours (mean)"), value_formatter=hours
    )
    names = [stage_label(s) for s in stages]
    _over_time(drawn, f, [r["bucket"] for r in fig.rows], names, series, stacked=True)
    return _chart_of(
        fig,
        drawn,
        series,
        title=_("Stages of clearance (goods)"),
        note=_(
            "Mean hours per released goods declaration: agencies reviewing, waiting for the declarant's "
            "documents, and inspection. The parts add up to the mean clearance time."
        ),
        summary=trends(names, series, hours),
        headers=[
            _("Period from"),
            _("Released"),
            *names,
            _("Mean in all"),
            _("Inspected"),
            _("Inspection, when inspected"),
        ],
        rows=[
            [
                bucket_label(r["bucket"]),
                number(r["released"]),
                *_cells(r, ("review_h", "trader_h", "inspection_h", "total_h"), hours),
                number(r["inspected"]),
                hours(r["inspection_when_inspected_h"]),
            ]
            for r in fig.rows
        ],
    )


def volumes_chart(fig: Figure, f: Filters) -> Chart:
    kinds = _columns_but(fig, "bucket", "total")
    series = _columns(fig.rows, kinds)
    drawn = draw(STACKED_BAR, colours_of(kinds, KIND_COLOURS), y_title=_("declarations"))
    names = [kind_label(k) for k in kinds]
    _over_time(drawn, f, [r["bucket"] for r in fig.rows], names, series, stacked=True)
    summary = _("{n} declarations in the period").format(n=number(sum(r["total"] for r in fig.rows)))
    return _chart_of(
        fig,
        drawn,
        series,
        title=_("Declarations lodged"),
        note=_("Declarations submitted each period, by kind."),
        summary=f"{summary}; {trends(names, series, number)}",
        headers=[_("Period from"), *names, _("All declarations")],
        rows=[[bucket_label(r["bucket"]), *_cells(r, [*kinds, "total"], number)] for r in fig.rows],
    )


def ports_chart(fig: Figure, f: Filters) -> Chart:
    kinds = _columns_but(fig, "port", "name", "name_zh", "total")
    names = [kind_label(k) for k in kinds]
    drawn, series = _bars_per_row(
        fig, [port_label(r["port"]) for r in fig.rows], kinds, names, KIND_COLOURS, 90
    )
    return _chart_of(
        fig,
        drawn,
        series,
        title=_("Declarations by port"),
        note=_("Declarations submitted in the period at each customs office of declaration, by kind."),
        summary="; ".join(
            _("{port}: {n}").format(port=port_label(r["port"]), n=number(r["total"])) for r in fig.rows
        ),
        headers=[_("Port"), *names, _("All declarations")],
        rows=[
            [f"{port_label(r['port'])} ({r['port']})", *_cells(r, [*kinds, "total"], number)]
            for r in fig.rows
        ],
    )


def agencies_chart(fig: Figure, f: Filters) -> Chart:
    return _agency_breakdown(
        fig,
        total="dossiers",
        total_header=_("Dossiers"),
        palette=OUTCOME_COLOURS,
        name=outcome_label,
        room=150,
        title=_("Dossiers by agency"),
        note=_("Each agency's dossiers of the declarations lodged in the period, by where they stand now."),
        said=lambda agency, r: _("{agency}: {n} dossiers, {released} released").format(
            agency=agency, n=number(r["dossiers"]), released=number(r["released"])
        ),
    )


def channels_chart(fig: Figure, f: Filters) -> Chart:
    return _agency_breakdown(
        fig,
        total="assessed",
        total_header=_("Dossiers assessed"),
        palette=CHANNEL_COLOURS,
        name=channel_label,
        room=170,
        title=_("Channels chosen"),
        note=_(
            "The channel the risk engine chose for each agency's dossier (the latest assessment of each)."
        ),
        said=lambda agency, r: _("{agency}: {green} of {n} released at once").format(
            agency=agency, green=number(r["release"]), n=number(r["assessed"])
        ),
    )


def credit_chart(fig: Figure, f: Filters) -> Chart:
    grades = list(dict.fromkeys(r["grade"] for r in fig.rows))
    by = {(r["grade"], r["agency"]): r for r in fig.rows}
    agencies = ("customs", "quarantine")
    rates = [[by[(g, a)]["rate"] if (g, a) in by else None for g in grades] for a in agencies]
    policy = [next((r["policy_rate"] for r in fig.rows if r["grade"] == g), None) for g in grades]
    drawn = draw(
        HORIZONTAL_BAR,
        [BLUE, TEAL, GREY],
        value_formatter=percent,
        margin_right=30,
        height=max(300, 170 + 66 * len(grades)),
        **LEGEND_IN_TWO_COLUMNS,
    )
    left_labels(drawn, [grade_label(g) for g in grades])
    drawn.y_labels = ticks(1.0, 5)
    plot(drawn, [*map(agency_label, agencies), _("Credit policy")], [*rates, policy], horizontal=True)
    note = _(
        "Share of dossiers the risk engine sent to a scan or manual inspection, by the enterprise's "
        "credit grade, against the rate credit policy {version} sets for the grade (a floor for "
        "dishonest enterprises; profiles and the learned score select more)."
    )
    return _chart_of(
        fig,
        drawn,
        [*rates, policy],
        title=_("Inspection rate by credit grade"),
        note=note.format(version=fig.meta.get("policy", "")),
        summary="; ".join(
            _("{grade}: customs {customs}, policy {policy}").format(
                grade=grade_label(g), customs=percent(c), policy=percent(p)
            )
            for g, c, p in zip(grades, rates[0], policy, strict=True)
        ),
        headers=[
            _("Credit grade"),
            _("Agency"),
            _("Dossiers assessed"),
            _("Inspected"),
            _("Rate"),
            _("Credit policy"),
        ],
        rows=[
            [
                grade_label(r["grade"]),
                agency_label(r["agency"]),
                *_cells(r, ("assessed", "inspected"), number),
                *_cells(r, ("rate", "policy_rate"), percent),
            ]
            for r in fig.rows
        ],
    )


def facilities_chart(fig: Figure, f: Filters) -> Chart:
    shown = [r for r in fig.rows if r["utilisation"] is not None]
    values = [r["utilisation"] for r in shown]
    top = max((v for v in values if v is not None), default=0.0)
    drawn = draw(
        HORIZONTAL_BAR,
        [BLUE],
        value_formatter=percent,
        show_legend=False,
        print_values=True,
        height=max(240, 70 + 34 * len(shown)),
    )
    left_labels(drawn, [facility_label(r) for r in shown])
    drawn.y_labels = ticks(top or 0.01)
    drawn.add(_("Booked share of open capacity"), reversed_values(quiet_small(values, top / 12)))
    return _chart_of(
        fig,
        drawn,
        [values],
        title=_("Facility use"),
        note=_(
            "Booked capacity-hours over the capacity-hours each inspection site, scanner and port (for "
            "boardings) was open in the period."
        ),
        summary="; ".join(
            _("{facility}: {share}").format(facility=facility_label(r), share=percent(r["utilisation"]))
            for r in shown[:6]
        ),
        headers=[_("Facility"), _("Hours open"), _("Hours booked"), _("Bookings"), _("Use")],
        rows=[
            [
                facility_label(r),
                *_cells(r, ("open_hours", "booked_hours"), _whole_number),
                number(r["bookings"]),
                percent(r["utilisation"]),
            ]
            for r in fig.rows
        ],
    )


def chart(fig: Figure, f: Filters) -> Chart:
    """The chart of a figure (every figure but the summary and the late list)."""
    builders: dict[str, Callable[[Figure, Filters], Chart]] = {
        "clearance-time": clearance_chart,
        "stages": stages_chart,
        "volumes": volumes_chart,
        "ports": ports_chart,
        "agencies": agencies_chart,
        "channels": channels_chart,
        "credit-grades": credit_chart,
        "facilities": facilities_chart,
    }
    return builders[fig.id](fig, f)


# -- the shapes the charts share ---------------------------------------------------------------


def _over_time(
    drawn: Any, f: Filters, buckets: list[str], names: Sequence[str], series: list[list[Any]], stacked: bool
) -> None:
    """A chart of periods: the buckets along the bottom, each series under its name."""
    x_labels(drawn, buckets, f)
    plot(drawn, names, series)
    value_axis(drawn, series, stacked=stacked)


def _bars_per_row(
    fig: Figure,
    labels: list[str],
    parts: list[str],
    names: Sequence[str],
    palette: dict[str, str],
    room: int,
    **config: Any,
) -> tuple[Any, list[list[Any]]]:
    """A horizontal bar for each row of the figure, stacked from the columns ``parts``; ``room``
    is the height the legend and the axis take."""
    drawn = draw(
        HORIZONTAL_STACKED_BAR,
        colours_of(parts, palette),
        height=max(240, room + 46 * len(fig.rows)),
        **config,
    )
    left_labels(drawn, labels)
    series = _columns(fig.rows, parts)
    plot(drawn, names, series, horizontal=True)
    value_axis(drawn, series, stacked=True)
    return drawn, series


def _agency_breakdown(
    fig: Figure,
    *,
    total: str,
    total_header: str,
    palette: dict[str, str],
    name: Callable[[str], str],
    room: int,
    title: str,
    note: str,
    said: Callable[[str, Row], str],
) -> Chart:
    """Each agency's dossiers (the column ``total``) split into parts, one bar per agency; ``said``
    sums up an agency's row in words."""
    parts = _columns_but(fig, "agency", total)
    names = [name(p) for p in parts]
    agencies = [agency_label(r["agency"]) for r in fig.rows]
    drawn, series = _bars_per_row(fig, agencies, parts, names, palette, room, **LEGEND_IN_TWO_COLUMNS)
    return _chart_of(
        fig,
        drawn,
        series,
        title=title,
        note=note,
        summary="; ".join(said(a, r) for a, r in zip(agencies, fig.rows, strict=True)),
        headers=[_("Agency"), total_header, *names],
        rows=[[a, *_cells(r, [total, *parts], number)] for a, r in zip(agencies, fig.rows, strict=True)],
    )


def _chart_of(
    fig: Figure,
    drawn: Any,
    series: list[list[Any]],
    *,
    title: str,
    note: str,
    summary: str,
    headers: list[str],
    rows: list[list[str]],
) -> Chart:
    """The figure's chart: the drawing, named by its title and summary, with its words and table."""
    return Chart(
        fig.id, title, note, svg(drawn, f"{title}. {summary}"), summary, headers, rows, count_points(series)
    )


def _columns_but(fig: Figure, *known: str) -> list[str]:
    """The figure's columns other than ``known``: the codes its series are drawn for."""
    return [c for c in fig.columns if c not in known]


def _columns(rows: list[Row], columns: Sequence[str]) -> list[list[Any]]:
    """A series of each column's values, row by row."""
    return [[r[c] for r in rows] for c in columns]


def _cells(row: Row, columns: Sequence[str], show: Callable[[Any], str]) -> list[str]:
    return [show(row[c]) for c in columns]


def _whole_number(value: float | None) -> str:
    return i18n.fmt_number(value, 0)
