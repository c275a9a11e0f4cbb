"""How the dashboard's charts are drawn: pygal (imported here only) with the portal's colours and
fonts, a value axis of a few round ticks, labels that fit, and an SVG inlined in the page with no
script and named for assistive technology; a ``Chart`` is that SVG with its words and its table."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from onewindow.statistics.filters import Filters, Granularity

from ..i18n import gettext as _
from .office_labels import bucket_label

# pygal adds a finder to ``sys.meta_path`` for its map plug-ins (``pygal.maps.*``, not used here)
# that only has the interface Python deprecated: every later import then warns. Take it out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "pygal"]

__all__ = [
    "AMBER",
    "BLUE",
    "CHANNEL_COLOURS",
    "GREEN",
    "GREY",
    "HORIZONTAL_BAR",
    "HORIZONTAL_STACKED_BAR",
    "KIND_COLOURS",
    "LEGEND_IN_TWO_COLUMNS",
    "LINE",
    "OUTCOME_COLOURS",
    "STACKED_BAR",
    "STAGE_COLOURS",
    "TEAL",
    "Chart",
    "colours_of",
    "count_points",
    "draw",
    "extremes",
    "left_labels",
    "plot",
    "quiet_small",
    "reversed_values",
    "svg",
    "ticks",
    "trends",
    "value_axis",
    "x_labels",
]

# The kinds of chart the dashboard draws.
LINE, STACKED_BAR = pygal.Line, pygal.StackedBar
HORIZONTAL_BAR, HORIZONTAL_STACKED_BAR = pygal.HorizontalBar, pygal.HorizontalStackedBar

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
# pygal leaves room for two rows of legend only
LEGEND_IN_TWO_COLUMNS = {"legend_at_bottom_columns": 2, "margin_bottom": 40}
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


# -- the canvas --------------------------------------------------------------------------------


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


def draw(kind: Any, colours: Sequence[str], **config: Any) -> Any:
    """An empty chart of ``kind`` (``LINE``, ``STACKED_BAR``...) in the dashboard's style."""
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


def colours_of(codes: Sequence[str], palette: dict[str, str]) -> list[str]:
    """The colour of each code's series, grey for a code the palette does not know."""
    return [palette.get(code, GREY) for code in codes]


def svg(chart: Any, label: str) -> Markup:
    """The rendered SVG without pygal's configuration script, named for assistive technology."""
    drawn = _LEGEND_ID.sub("", _SCRIPT.sub("", chart.render(is_unicode=True)))
    drawn = drawn.replace(
        "<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" focusable="false" ', 1
    )
    return Markup(drawn)  # pygal escapes what it draws; the label is escaped above


# -- axes and labels ---------------------------------------------------------------------------


def x_labels(chart: Any, buckets: list[str], f: Filters) -> None:
    chart.x_labels = [bucket_label(b) for b in buckets]
    if f.granularity is Granularity.DAY and len(buckets) > 16:
        chart.x_labels_major_every = 7
        chart.show_minor_x_labels = False
    chart.x_label_rotation = 0 if len(buckets) <= 10 else -30


def left_labels(chart: Any, labels: list[str]) -> None:
    """Category labels of a horizontal chart, the first on top; pygal measures text as if every
    character were narrow, so wide (Chinese) characters get the room they need."""
    chart.x_labels = list(reversed(labels))
    wide = max((sum(1 for ch in label if ord(ch) > 0x2E80) for label in labels), default=0)
    if wide:
        chart.margin_left = 12 + int(wide * 15 * 0.45)


def reversed_values(values: list[Any]) -> list[Any]:
    """The values of a horizontal chart in the order of ``left_labels`` (pygal draws bottom up)."""
    return list(reversed(values))


def plot(chart: Any, names: Sequence[str], series: list[list[Any]], *, horizontal: bool = False) -> None:
    """Each series under its name, those of a horizontal chart in the order of ``left_labels``."""
    for name, values in zip(names, series, strict=True):
        chart.add(name, reversed_values(values) if horizontal else values)


def ticks(top: float, most: int = 6) -> list[float]:
    """Round values for a value axis from 0 to at least ``top``, at most ``most`` + 1 of them."""
    steps = [m * 10**e for e in range(-4, 7) for m in (1, 2, 2.5, 5)]
    step = next((x for x in steps if top / x <= most), steps[-1])
    count = max(1, math.ceil(top / step - 1e-9)) if top > 0 else 1
    return [round(i * step, 6) for i in range(count + 1)]


def value_axis(chart: Any, series: list[list[Any]], stacked: bool) -> None:
    """A few round ticks up to the tallest bar (or point) of the chart."""
    columns = list(zip(*series, strict=True)) if series else []
    tops = [sum(v or 0 for v in col) if stacked else max((v or 0 for v in col), default=0) for col in columns]
    top = max(tops, default=0)
    if top > 0:
        chart.y_labels = ticks(top)


def quiet_small(values: list[float | None], below: float) -> list[Any]:
    """The values, those under ``below`` without a printed label (they would sit on the axis)."""
    return [v if v is None or v >= below else {"value": v, "formatter": lambda _x: ""} for v in values]


# -- what a chart says in words ----------------------------------------------------------------


def count_points(values: list[list[float | None]]) -> int:
    return sum(1 for series in values for v in series if v)


def trends(names: Sequence[str], series: list[list[Any]], show: Callable[[float | None], str]) -> str:
    return "; ".join(extremes(name, values, show) for name, values in zip(names, series, strict=True))


def extremes(name: str, values: Sequence[float | None], show: Callable[[float | None], str]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return _("{series}: no data").format(series=name)
    return _("{series}: latest {last}, lowest {low}, highest {high}").format(
        series=name, last=show(known[-1]), low=show(min(known)), high=show(max(known))
    )
