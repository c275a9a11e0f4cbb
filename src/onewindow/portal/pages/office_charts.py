"""The dashboard's charts: each statistics figure drawn as an SVG by pygal on the server and
inlined in the page (no script, nothing fetched), with its text alternative and its data table.

A chart shows exactly the rows of its figure (what its CSV export holds); rates are drawn as
percentages. This module says what each figure's chart shows; ``office_chart_drawing`` how a
chart is drawn, ``office_labels`` how codes and numbers read in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Callable

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
    LINE,
    OUTCOME_COLOURS,
    STACKED_BAR,
    STAGE_COLOURS,
    TEAL,
    Chart,
    count_points,
    draw,
    extremes,
    left_labels,
    quiet_small,
    reversed_values,
    svg,
    ticks,
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


def clearance_chart(fig: Figure, f: Filters) -> Chart:
    buckets = sorted({r["bucket"] for r in fig.rows})
    kinds = list(dict.fromkeys(r["kind"] for r in fig.rows))
    by = {(r["bucket"], r["kind"]): r for r in fig.rows}
    chart = draw(
        LINE,
        [KIND_COLOURS.get(k, GREY) for k in kinds],
        dots_size=4,
        stroke_style={"width": 3},
        y_title=_("hours (median)"),
        value_formatter=hours,
        allow_interruptions=True,
    )
    x_labels(chart, buckets, f)
    series = []
    for k in kinds:
        values = [by[(b, k)]["median_h"] for b in buckets]
        series.append(values)
        chart.add(kind_label(k), values)
    value_axis(chart, series, stacked=False)
    title = _("Overall clearance time")
    summary = "; ".join(extremes(kind_label(k), v, hours) for k, v in zip(kinds, series, strict=True))
    rows = [
        [
            bucket_label(r["bucket"]),
            kind_label(r["kind"]),
            i18n.fmt_number(r["released"]),
            hours(r["median_h"]),
            hours(r["p90_h"]),
            hours(r["mean_h"]),
            hours(r["decided_median_h"]),
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("Median hours from submission to the one release, of the declarations released each period."),
        svg(chart, f"{title}. {summary}"),
        summary,
        [
            _("Period from"),
            _("Kind of declaration"),
            _("Released"),
            _("Median"),
            _("90th percentile"),
            _("Mean"),
            _("Every agency decided (median)"),
        ],
        rows,
        count_points(series),
    )


def stages_chart(fig: Figure, f: Filters) -> Chart:
    stages = ("review", "trader", "inspection")
    buckets = [r["bucket"] for r in fig.rows]
    chart = draw(
        STACKED_BAR, [STAGE_COLOURS[s] for s in stages], y_title=_("hours (mean)"), value_formatter=hours
    )
    x_labels(chart, buckets, f)
    series = []
    for s in stages:
        values = [r[f"{s}_h"] for r in fig.rows]
        series.append(values)
        chart.add(stage_label(s), values)
    value_axis(chart, series, stacked=True)
    title = _("Stages of clearance (goods)")
    summary = "; ".join(extremes(stage_label(s), v, hours) for s, v in zip(stages, series, strict=True))
    rows = [
        [
            bucket_label(r["bucket"]),
            i18n.fmt_number(r["released"]),
            hours(r["review_h"]),
            hours(r["trader_h"]),
            hours(r["inspection_h"]),
            hours(r["total_h"]),
            i18n.fmt_number(r["inspected"]),
            hours(r["inspection_when_inspected_h"]),
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _(
            "Mean hours per released goods declaration: agencies reviewing, waiting for the declarant's "
            "documents, and inspection. The parts add up to the mean clearance time."
        ),
        svg(chart, f"{title}. {summary}"),
        summary,
        [
            _("Period from"),
            _("Released"),
            stage_label("review"),
            stage_label("trader"),
            stage_label("inspection"),
            _("Mean in all"),
            _("Inspected"),
            _("Inspection, when inspected"),
        ],
        rows,
        count_points(series),
    )


def volumes_chart(fig: Figure, f: Filters) -> Chart:
    kinds = [c for c in fig.columns if c not in ("bucket", "total")]
    buckets = [r["bucket"] for r in fig.rows]
    chart = draw(STACKED_BAR, [KIND_COLOURS.get(k, GREY) for k in kinds], y_title=_("declarations"))
    x_labels(chart, buckets, f)
    series = []
    for k in kinds:
        values = [r[k] for r in fig.rows]
        series.append(values)
        chart.add(kind_label(k), values)
    value_axis(chart, series, stacked=True)
    title = _("Declarations lodged")
    summary = _("{n} declarations in the period").format(n=i18n.fmt_number(sum(r["total"] for r in fig.rows)))
    summary += "; " + "; ".join(
        extremes(kind_label(k), v, number) for k, v in zip(kinds, series, strict=True)
    )
    rows = [
        [bucket_label(r["bucket"]), *[i18n.fmt_number(r[k]) for k in kinds], i18n.fmt_number(r["total"])]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("Declarations submitted each period, by kind."),
        svg(chart, f"{title}. {summary}"),
        summary,
        [_("Period from"), *[kind_label(k) for k in kinds], _("All declarations")],
        rows,
        count_points(series),
    )


def ports_chart(fig: Figure, f: Filters) -> Chart:
    kinds = [c for c in fig.columns if c not in ("port", "name", "name_zh", "total")]
    chart = draw(
        HORIZONTAL_STACKED_BAR,
        [KIND_COLOURS.get(k, GREY) for k in kinds],
        height=max(240, 90 + 46 * len(fig.rows)),
    )
    left_labels(chart, [port_label(r["port"]) for r in fig.rows])
    series = []
    for k in kinds:
        values = [r[k] for r in fig.rows]
        series.append(values)
        chart.add(kind_label(k), reversed_values(values))
    value_axis(chart, series, stacked=True)
    title = _("Declarations by port")
    summary = "; ".join(
        _("{port}: {n}").format(port=port_label(r["port"]), n=i18n.fmt_number(r["total"])) for r in fig.rows
    )
    rows = [
        [
            f"{port_label(r['port'])} ({r['port']})",
            *[i18n.fmt_number(r[k]) for k in kinds],
            i18n.fmt_number(r["total"]),
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("Declarations submitted in the period at each customs office of declaration, by kind."),
        svg(chart, f"{title}. {summary}"),
        summary,
        [_("Port"), *[kind_label(k) for k in kinds], _("All declarations")],
        rows,
        count_points(series),
    )


def agencies_chart(fig: Figure, f: Filters) -> Chart:
    outcomes = [c for c in fig.columns if c not in ("agency", "dossiers")]
    chart = draw(
        HORIZONTAL_STACKED_BAR,
        [OUTCOME_COLOURS.get(o, GREY) for o in outcomes],
        height=max(240, 150 + 46 * len(fig.rows)),
        legend_at_bottom_columns=2,
        margin_bottom=40,
    )
    left_labels(chart, [agency_label(r["agency"]) for r in fig.rows])
    series = []
    for o in outcomes:
        values = [r[o] for r in fig.rows]
        series.append(values)
        chart.add(outcome_label(o), reversed_values(values))
    value_axis(chart, series, stacked=True)
    title = _("Dossiers by agency")
    summary = "; ".join(
        _("{agency}: {n} dossiers, {released} released").format(
            agency=agency_label(r["agency"]),
            n=i18n.fmt_number(r["dossiers"]),
            released=i18n.fmt_number(r["released"]),
        )
        for r in fig.rows
    )
    rows = [
        [
            agency_label(r["agency"]),
            i18n.fmt_number(r["dossiers"]),
            *[i18n.fmt_number(r[o]) for o in outcomes],
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("Each agency's dossiers of the declarations lodged in the period, by where they stand now."),
        svg(chart, f"{title}. {summary}"),
        summary,
        [_("Agency"), _("Dossiers"), *[outcome_label(o) for o in outcomes]],
        rows,
        count_points(series),
    )


def channels_chart(fig: Figure, f: Filters) -> Chart:
    channels = [c for c in fig.columns if c not in ("agency", "assessed")]
    chart = draw(
        HORIZONTAL_STACKED_BAR,
        [CHANNEL_COLOURS.get(c, GREY) for c in channels],
        height=max(240, 170 + 46 * len(fig.rows)),
        legend_at_bottom_columns=2,
        margin_bottom=40,  # pygal leaves room for two rows of legend only
    )
    left_labels(chart, [agency_label(r["agency"]) for r in fig.rows])
    series = []
    for c in channels:
        values = [r[c] for r in fig.rows]
        series.append(values)
        chart.add(channel_label(c), reversed_values(values))
    value_axis(chart, series, stacked=True)
    title = _("Channels chosen")
    summary = "; ".join(
        _("{agency}: {green} of {n} released at once").format(
            agency=agency_label(r["agency"]),
            green=i18n.fmt_number(r["release"]),
            n=i18n.fmt_number(r["assessed"]),
        )
        for r in fig.rows
    )
    rows = [
        [
            agency_label(r["agency"]),
            i18n.fmt_number(r["assessed"]),
            *[i18n.fmt_number(r[c]) for c in channels],
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("The channel the risk engine chose for each agency's dossier (the latest assessment of each)."),
        svg(chart, f"{title}. {summary}"),
        summary,
        [_("Agency"), _("Dossiers assessed"), *[channel_label(c) for c in channels]],
        rows,
        count_points(series),
    )


def credit_chart(fig: Figure, f: Filters) -> Chart:
    grades = list(dict.fromkeys(r["grade"] for r in fig.rows))
    by = {(r["grade"], r["agency"]): r for r in fig.rows}
    chart = draw(
        HORIZONTAL_BAR,
        [BLUE, TEAL, GREY],
        value_formatter=percent,
        legend_at_bottom_columns=2,
        margin_right=30,
        margin_bottom=40,
        height=max(300, 170 + 66 * len(grades)),
    )
    left_labels(chart, [grade_label(g) for g in grades])
    chart.y_labels = ticks(1.0, 5)
    series = []
    for agency in ("customs", "quarantine"):
        values = [by[(g, agency)]["rate"] if (g, agency) in by else None for g in grades]
        series.append(values)
        chart.add(agency_label(agency), reversed_values(values))
    policy = [next((r["policy_rate"] for r in fig.rows if r["grade"] == g), None) for g in grades]
    chart.add(_("Credit policy"), reversed_values(policy))
    title = _("Inspection rate by credit grade")
    summary = "; ".join(
        _("{grade}: customs {customs}, policy {policy}").format(
            grade=grade_label(g), customs=percent(c), policy=percent(p)
        )
        for g, c, p in zip(grades, series[0], policy, strict=True)
    )
    rows = [
        [
            grade_label(r["grade"]),
            agency_label(r["agency"]),
            i18n.fmt_number(r["assessed"]),
            i18n.fmt_number(r["inspected"]),
            percent(r["rate"]),
            percent(r["policy_rate"]),
        ]
        for r in fig.rows
    ]
    version = fig.meta.get("policy", "")
    return Chart(
        fig.id,
        title,
        _(
            "Share of dossiers the risk engine sent to a scan or manual inspection, by the enterprise's "
            "credit grade, against the rate credit policy {version} sets for the grade (a floor for "
            "dishonest enterprises; profiles and the learned score select more)."
        ).format(version=version),
        svg(chart, f"{title}. {summary}"),
        summary,
        [
            _("Credit grade"),
            _("Agency"),
            _("Dossiers assessed"),
            _("Inspected"),
            _("Rate"),
            _("Credit policy"),
        ],
        rows,
        count_points([*series, policy]),
    )


def facilities_chart(fig: Figure, f: Filters) -> Chart:
    shown = [r for r in fig.rows if r["utilisation"] is not None]
    chart = draw(
        HORIZONTAL_BAR,
        [BLUE],
        value_formatter=percent,
        show_legend=False,
        print_values=True,
        height=max(240, 70 + 34 * len(shown)),
    )
    left_labels(chart, [facility_label(r) for r in shown])
    values = [r["utilisation"] for r in shown]
    top = max((v for v in values if v is not None), default=0.0)
    chart.y_labels = ticks(top or 0.01)
    chart.add(_("Booked share of open capacity"), reversed_values(quiet_small(values, top / 12)))
    title = _("Facility use")
    summary = "; ".join(
        _("{facility}: {share}").format(facility=facility_label(r), share=percent(r["utilisation"]))
        for r in shown[:6]
    )
    rows = [
        [
            facility_label(r),
            i18n.fmt_number(r["open_hours"], 0),
            i18n.fmt_number(r["booked_hours"], 0),
            i18n.fmt_number(r["bookings"]),
            percent(r["utilisation"]),
        ]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _(
            "Booked capacity-hours over the capacity-hours each inspection site, scanner and port (for "
            "boardings) was open in the period."
        ),
        svg(chart, f"{title}. {summary}"),
        summary,
        [_("Facility"), _("Hours open"), _("Hours booked"), _("Bookings"), _("Use")],
        rows,
        count_points([values]),
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
