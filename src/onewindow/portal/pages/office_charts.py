"""The dashboard's charts: each statistics figure drawn as an SVG by pygal on the server and
inlined in the page (no script, nothing fetched), with its text alternative and its data table.

A chart shows exactly the rows of its figure (what its CSV export holds); rates are drawn as
percentages. Labels are translated here; the statistics themselves are language-neutral codes.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from onewindow.statistics.filters import Filters, Granularity
from onewindow.statistics.ports import port
from onewindow.statistics.queries import Figure

from .. import i18n
from ..i18n import gettext as _

# pygal adds a finder to ``sys.meta_path`` for its map plug-ins (``pygal.maps.*``, not used here)
# that only has the interface Python deprecated: every later import then warns. Take it out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

__all__ = [
    "Chart",
    "agency_label",
    "chart",
    "duration",
    "hours",
    "kind_label",
    "situation_label",
    "state_label",
]

FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif'
BLUE, TEAL, AMBER, PURPLE, RED = "#0a5cad", "#1b8a7a", "#d98a04", "#7b4fa0", "#c0392b"
GREEN, GREY, YELLOW, ORANGE, SKY = "#2e8b57", "#8795a5", "#d4a800", "#e06c1a", "#4a90d9"
KIND_COLOURS = {"import": BLUE, "export": TEAL, "vessel_arrival": AMBER, "vessel_departure": PURPLE}
STAGE_COLOURS = {"review": BLUE, "trader": YELLOW, "inspection": RED}
OUTCOME_COLOURS = {
    "released": GREEN,
    "refused": RED,
    "withdrawn": GREY,
    "inspection": ORANGE,
    "action_required": YELLOW,
    "open": SKY,
}
CHANNEL_COLOURS = {"release": GREEN, "audit": SKY, "document_check": YELLOW, "scan": ORANGE, "manual": RED}
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_LEGEND_ID = re.compile(r' id="activate-serie-\d+"')  # the same in every chart: ids must be unique


@dataclass(frozen=True)
class Chart:
    """One chart of the dashboard: its title, what it measures, the SVG, a one-paragraph text
    alternative, and its data as a table (headers, rows of display texts)."""

    id: str
    title: str
    note: str
    svg: Markup
    summary: str
    headers: list[str]
    rows: list[list[str]]
    points: int


# -- labels ------------------------------------------------------------------------------------


def kind_label(code: str) -> str:
    return {
        "import": _("Imports"),
        "export": _("Exports"),
        "vessel_arrival": _("Vessel arrivals"),
        "vessel_departure": _("Vessel departures"),
    }.get(code, code)


def agency_label(code: str) -> str:
    return {
        "customs": _("Customs"),
        "quarantine": _("Inspection & quarantine"),
        "border": _("Border inspection"),
        "maritime": _("Maritime safety"),
    }.get(code, code)


def stage_label(code: str) -> str:
    return {
        "review": _("Agencies reviewing"),
        "trader": _("Waiting for the declarant"),
        "inspection": _("Inspection"),
    }.get(code, code)


def outcome_label(code: str) -> str:
    return {
        "released": _("Released"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
        "inspection": _("Being inspected"),
        "action_required": _("Waiting for the declarant"),
        "open": _("Under review"),
    }.get(code, code)


def channel_label(code: str) -> str:
    return {
        "release": _("Release (green)"),
        "audit": _("Release, then audit (blue)"),
        "document_check": _("Document check (yellow)"),
        "scan": _("Machine scan (red)"),
        "manual": _("Manual inspection (red)"),
    }.get(code, code)


def grade_label(code: str) -> str:
    return {
        "advanced_certified": _("Advanced certified (AEO)"),
        "certified": _("Certified (AEO)"),
        "routine": _("Routine"),
        "dishonest": _("Dishonest"),
        "seriously_dishonest": _("Seriously dishonest"),
    }.get(code, code)


def situation_label(code: str) -> str:
    return {
        "review": _("Decision"),
        "inspection": _("Inspection"),
        "withdrawal": _("Withdrawal request"),
    }.get(code, code)


def state_label(code: str) -> str:
    return {
        "received": _("Received"),
        "under_review": _("Under review"),
        "documents_requested": _("Documents requested"),
        "correction_requested": _("Correction requested"),
        "inspection_ordered": _("Inspection ordered"),
        "sampling": _("Sampling"),
        "treatment": _("Treatment"),
        "crew_check": _("Crew check"),
        "psc_inspection": _("Port state control"),
        "released": _("Released"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
    }.get(code, code)


def port_label(office: str) -> str:
    p = port(office)
    return i18n.pick(p.name, p.name_zh)


def facility_label(row: dict[str, Any]) -> str:
    return i18n.pick(str(row["name"]), str(row["name_zh"]))


def bucket_label(bucket: str) -> str:
    day = date.fromisoformat(bucket)
    return i18n.fmt_date(day, "M月d日" if i18n.current.get() == "zh" else "d MMM")


def hours(value: float | None) -> str:
    """A duration for people: minutes under an hour, else hours with one decimal."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if value < 1:
        return _("{n} min").format(n=i18n.fmt_number(round(value * 60)))
    return _("{n} h").format(n=i18n.fmt_number(value, 1))


def duration(value: float | None) -> str:
    """A wait for people: as ``hours`` up to two days, then in days."""
    if value is None or value < 48:
        return hours(value)
    return _("{n} days").format(n=i18n.fmt_number(value / 24, 1))


def percent(value: float | None) -> str:
    return i18n.fmt_percent(value, 1)


# -- drawing ---------------------------------------------------------------------------------


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#1b2430",
        foreground_strong="#1b2430",
        foreground_subtle="#e3e8ee",
        guide_stroke_color="#e3e8ee",
        major_guide_stroke_color="#cfd6de",
        font_family=FONT,
        label_font_family=FONT,
        major_label_font_family=FONT,
        legend_font_family=FONT,
        value_font_family=FONT,
        tooltip_font_family=FONT,
        no_data_font_family=FONT,
        label_font_size=15,
        major_label_font_size=15,
        legend_font_size=16,
        value_font_size=14,
        no_data_font_size=24,
        stroke_width="3",
        stroke_width_hover="4",
        opacity="0.92",
        opacity_hover="1",
        transition="0ms",
        colors=tuple(colours) or (BLUE,),
    )


def _draw(kind: Any, colours: Sequence[str], **config: Any) -> Any:
    return kind(
        style=_style(colours),
        js=[],  # nothing fetched: the page inlines the SVG and brings its own (optional) script
        disable_xml_declaration=True,
        width=700,
        height=config.pop("height", 400),
        legend_at_bottom=True,
        legend_box_size=15,
        truncate_legend=-1,
        truncate_label=-1,
        margin=12,
        spacing=14,
        no_data_text=_("No data for these filters"),
        print_zeroes=False,
        **config,
    )


def _svg(chart: Any, label: str) -> Markup:
    """The rendered SVG without pygal's configuration script, named for assistive technology."""
    svg = _LEGEND_ID.sub("", _SCRIPT.sub("", chart.render(is_unicode=True)))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" focusable="false" ', 1)
    return Markup(svg)  # pygal escapes what it draws; the label is escaped above


def _x_labels(chart: Any, buckets: list[str], f: Filters) -> None:
    chart.x_labels = [bucket_label(b) for b in buckets]
    if f.granularity is Granularity.DAY and len(buckets) > 16:
        chart.x_labels_major_every = 7
        chart.show_minor_x_labels = False
    chart.x_label_rotation = 0 if len(buckets) <= 10 else -30


def _left_labels(chart: Any, labels: list[str]) -> None:
    """Category labels of a horizontal chart, the first on top; pygal measures text as if every
    character were narrow, so wide (Chinese) characters get the room they need."""
    chart.x_labels = list(reversed(labels))
    wide = max((sum(1 for ch in label if ord(ch) > 0x2E80) for label in labels), default=0)
    if wide:
        chart.margin_left = 12 + int(wide * 15 * 0.45)


def _reversed(values: list[Any]) -> list[Any]:
    return list(reversed(values))


def _ticks(top: float, most: int = 6) -> list[float]:
    """Round values for a value axis from 0 to at least ``top``, at most ``most`` + 1 of them."""
    steps = [m * 10**e for e in range(-4, 7) for m in (1, 2, 2.5, 5)]
    step = next((x for x in steps if top / x <= most), steps[-1])
    count = max(1, math.ceil(top / step - 1e-9)) if top > 0 else 1
    return [round(i * step, 6) for i in range(count + 1)]


def _value_axis(chart: Any, series: list[list[Any]], stacked: bool) -> None:
    """A few round ticks up to the tallest bar (or point) of the chart."""
    columns = list(zip(*series, strict=True)) if series else []
    tops = [sum(v or 0 for v in col) if stacked else max((v or 0 for v in col), default=0) for col in columns]
    top = max(tops, default=0)
    if top > 0:
        chart.y_labels = _ticks(top)


def _quiet_small(values: list[float | None], below: float) -> list[Any]:
    """The values, those under ``below`` without a printed label (they would sit on the axis)."""
    return [v if v is None or v >= below else {"value": v, "formatter": lambda _x: ""} for v in values]


def _count_points(values: list[list[float | None]]) -> int:
    return sum(1 for series in values for v in series if v)


def _extremes(name: str, values: Sequence[float | None], show: Callable[[float | None], str]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return _("{series}: no data").format(series=name)
    return _("{series}: latest {last}, lowest {low}, highest {high}").format(
        series=name, last=show(known[-1]), low=show(min(known)), high=show(max(known))
    )


# -- one function per figure ---------------------------------------------------------------------


def clearance_chart(fig: Figure, f: Filters) -> Chart:
    buckets = sorted({r["bucket"] for r in fig.rows})
    kinds = list(dict.fromkeys(r["kind"] for r in fig.rows))
    by = {(r["bucket"], r["kind"]): r for r in fig.rows}
    chart = _draw(
        pygal.Line,
        [KIND_COLOURS.get(k, GREY) for k in kinds],
        dots_size=4,
        stroke_style={"width": 3},
        y_title=_("hours (median)"),
        value_formatter=hours,
        allow_interruptions=True,
    )
    _x_labels(chart, buckets, f)
    series = []
    for k in kinds:
        values = [by[(b, k)]["median_h"] for b in buckets]
        series.append(values)
        chart.add(kind_label(k), values)
    _value_axis(chart, series, stacked=False)
    title = _("Overall clearance time")
    summary = "; ".join(_extremes(kind_label(k), v, hours) for k, v in zip(kinds, series, strict=True))
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
        _svg(chart, f"{title}. {summary}"),
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
        _count_points(series),
    )


def stages_chart(fig: Figure, f: Filters) -> Chart:
    stages = ("review", "trader", "inspection")
    buckets = [r["bucket"] for r in fig.rows]
    chart = _draw(
        pygal.StackedBar, [STAGE_COLOURS[s] for s in stages], y_title=_("hours (mean)"), value_formatter=hours
    )
    _x_labels(chart, buckets, f)
    series = []
    for s in stages:
        values = [r[f"{s}_h"] for r in fig.rows]
        series.append(values)
        chart.add(stage_label(s), values)
    _value_axis(chart, series, stacked=True)
    title = _("Stages of clearance (goods)")
    summary = "; ".join(_extremes(stage_label(s), v, hours) for s, v in zip(stages, series, strict=True))
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
        _svg(chart, f"{title}. {summary}"),
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
        _count_points(series),
    )


def volumes_chart(fig: Figure, f: Filters) -> Chart:
    kinds = [c for c in fig.columns if c not in ("bucket", "total")]
    buckets = [r["bucket"] for r in fig.rows]
    chart = _draw(pygal.StackedBar, [KIND_COLOURS.get(k, GREY) for k in kinds], y_title=_("declarations"))
    _x_labels(chart, buckets, f)
    series = []
    for k in kinds:
        values = [r[k] for r in fig.rows]
        series.append(values)
        chart.add(kind_label(k), values)
    _value_axis(chart, series, stacked=True)
    title = _("Declarations lodged")
    summary = _("{n} declarations in the period").format(n=i18n.fmt_number(sum(r["total"] for r in fig.rows)))
    summary += "; " + "; ".join(_extremes(kind_label(k), v, _num) for k, v in zip(kinds, series, strict=True))
    rows = [
        [bucket_label(r["bucket"]), *[i18n.fmt_number(r[k]) for k in kinds], i18n.fmt_number(r["total"])]
        for r in fig.rows
    ]
    return Chart(
        fig.id,
        title,
        _("Declarations submitted each period, by kind."),
        _svg(chart, f"{title}. {summary}"),
        summary,
        [_("Period from"), *[kind_label(k) for k in kinds], _("All declarations")],
        rows,
        _count_points(series),
    )


def ports_chart(fig: Figure, f: Filters) -> Chart:
    kinds = [c for c in fig.columns if c not in ("port", "name", "name_zh", "total")]
    chart = _draw(
        pygal.HorizontalStackedBar,
        [KIND_COLOURS.get(k, GREY) for k in kinds],
        height=max(240, 90 + 46 * len(fig.rows)),
    )
    _left_labels(chart, [port_label(r["port"]) for r in fig.rows])
    series = []
    for k in kinds:
        values = [r[k] for r in fig.rows]
        series.append(values)
        chart.add(kind_label(k), _reversed(values))
    _value_axis(chart, series, stacked=True)
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
        _svg(chart, f"{title}. {summary}"),
        summary,
        [_("Port"), *[kind_label(k) for k in kinds], _("All declarations")],
        rows,
        _count_points(series),
    )


def agencies_chart(fig: Figure, f: Filters) -> Chart:
    outcomes = [c for c in fig.columns if c not in ("agency", "dossiers")]
    chart = _draw(
        pygal.HorizontalStackedBar,
        [OUTCOME_COLOURS.get(o, GREY) for o in outcomes],
        height=max(240, 150 + 46 * len(fig.rows)),
        legend_at_bottom_columns=2,
        margin_bottom=40,
    )
    _left_labels(chart, [agency_label(r["agency"]) for r in fig.rows])
    series = []
    for o in outcomes:
        values = [r[o] for r in fig.rows]
        series.append(values)
        chart.add(outcome_label(o), _reversed(values))
    _value_axis(chart, series, stacked=True)
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
        _svg(chart, f"{title}. {summary}"),
        summary,
        [_("Agency"), _("Dossiers"), *[outcome_label(o) for o in outcomes]],
        rows,
        _count_points(series),
    )


def channels_chart(fig: Figure, f: Filters) -> Chart:
    channels = [c for c in fig.columns if c not in ("agency", "assessed")]
    chart = _draw(
        pygal.HorizontalStackedBar,
        [CHANNEL_COLOURS.get(c, GREY) for c in channels],
        height=max(240, 170 + 46 * len(fig.rows)),
        legend_at_bottom_columns=2,
        margin_bottom=40,  # pygal leaves room for two rows of legend only
    )
    _left_labels(chart, [agency_label(r["agency"]) for r in fig.rows])
    series = []
    for c in channels:
        values = [r[c] for r in fig.rows]
        series.append(values)
        chart.add(channel_label(c), _reversed(values))
    _value_axis(chart, series, stacked=True)
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
        _svg(chart, f"{title}. {summary}"),
        summary,
        [_("Agency"), _("Dossiers assessed"), *[channel_label(c) for c in channels]],
        rows,
        _count_points(series),
    )


def credit_chart(fig: Figure, f: Filters) -> Chart:
    grades = list(dict.fromkeys(r["grade"] for r in fig.rows))
    by = {(r["grade"], r["agency"]): r for r in fig.rows}
    chart = _draw(
        pygal.HorizontalBar,
        [BLUE, TEAL, GREY],
        value_formatter=percent,
        legend_at_bottom_columns=2,
        margin_right=30,
        margin_bottom=40,
        height=max(300, 170 + 66 * len(grades)),
    )
    _left_labels(chart, [grade_label(g) for g in grades])
    chart.y_labels = _ticks(1.0, 5)
    series = []
    for agency in ("customs", "quarantine"):
        values = [by[(g, agency)]["rate"] if (g, agency) in by else None for g in grades]
        series.append(values)
        chart.add(agency_label(agency), _reversed(values))
    policy = [next((r["policy_rate"] for r in fig.rows if r["grade"] == g), None) for g in grades]
    chart.add(_("Credit policy"), _reversed(policy))
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
        _svg(chart, f"{title}. {summary}"),
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
        _count_points([*series, policy]),
    )


def facilities_chart(fig: Figure, f: Filters) -> Chart:
    shown = [r for r in fig.rows if r["utilisation"] is not None]
    chart = _draw(
        pygal.HorizontalBar,
        [BLUE],
        value_formatter=percent,
        show_legend=False,
        print_values=True,
        height=max(240, 70 + 34 * len(shown)),
    )
    _left_labels(chart, [facility_label(r) for r in shown])
    values = [r["utilisation"] for r in shown]
    top = max((v for v in values if v is not None), default=0.0)
    chart.y_labels = _ticks(top or 0.01)
    chart.add(_("Booked share of open capacity"), _reversed(_quiet_small(values, top / 12)))
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
        _svg(chart, f"{title}. {summary}"),
        summary,
        [_("Facility"), _("Hours open"), _("Hours booked"), _("Bookings"), _("Use")],
        rows,
        _count_points([values]),
    )


def _num(value: float | None) -> str:
    return i18n.fmt_number(value)


def chart(fig: Figure, f: Filters) -> Chart:
    """The chart of a figure (every figure but the summary and the late list)."""
    draw: dict[str, Callable[[Figure, Filters], Chart]] = {
        "clearance-time": clearance_chart,
        "stages": stages_chart,
        "volumes": volumes_chart,
        "ports": ports_chart,
        "agencies": agencies_chart,
        "channels": channels_chart,
        "credit-grades": credit_chart,
        "facilities": facilities_chart,
    }
    return draw[fig.id](fig, f)
