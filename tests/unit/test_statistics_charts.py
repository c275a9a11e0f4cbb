"""The dashboard's charts: server-drawn SVG with no script, named for assistive technology, showing
exactly the rows of their figure, in the visitor's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest

from onewindow.portal import i18n
from onewindow.portal.pages.office_chart_drawing import ticks as _ticks
from onewindow.portal.pages.office_charts import chart
from onewindow.portal.pages.office_labels import hours
from onewindow.statistics.filters import parse_filters
from onewindow.statistics.queries import Figure

FILTERS = parse_filters(date(2026, 11, 18), None, "2026-11-02", "2026-11-18")
VOLUMES = Figure(
    "volumes",
    ("bucket", "import", "export", "total"),
    [
        {"bucket": "2026-11-02", "import": 4, "export": 1, "total": 5},
        {"bucket": "2026-11-09", "import": 7, "export": 2, "total": 9},
        {"bucket": "2026-11-16", "import": 3, "export": 0, "total": 3},
    ],
)
CLEARANCE = Figure(
    "clearance-time",
    ("bucket", "kind", "released", "median_h", "p90_h", "mean_h", "decided_median_h"),
    [
        dict(
            bucket="2026-11-02",
            kind="import",
            released=2,
            median_h=3.5,
            p90_h=4.7,
            mean_h=3.5,
            decided_median_h=1.5,
        ),
        dict(
            bucket="2026-11-09",
            kind="import",
            released=0,
            median_h=None,
            p90_h=None,
            mean_h=None,
            decided_median_h=None,
        ),
    ],
)


@pytest.fixture
def english() -> Iterator[None]:
    token = i18n.current.set("en")
    yield
    i18n.current.reset(token)


@pytest.fixture
def chinese() -> Iterator[None]:
    token = i18n.current.set("zh")
    yield
    i18n.current.reset(token)


def values(svg: str) -> list[str]:
    return re.findall(r'<desc class="value">([^<]*)</desc>', svg)


def test_a_chart_is_an_svg_without_script_named_by_its_title_and_summary(english: None) -> None:
    c = chart(VOLUMES, FILTERS)
    assert c.svg.startswith("<svg") and "<script" not in c.svg
    assert not re.search(r'(href|src)="(https?:)?//', c.svg)  # nothing to fetch
    assert 'role="img"' in c.svg and 'aria-label="Declarations lodged. 17 declarations in the period' in c.svg
    assert 'id="activate-serie-' not in c.svg  # ids stay unique in a page of several charts


def test_the_chart_draws_the_rows_of_its_figure(english: None) -> None:
    c = chart(VOLUMES, FILTERS)
    assert values(c.svg) == ["4", "7", "3", "1", "2", "0"]  # imports, then exports, bucket by bucket
    assert c.points == 5  # the non-zero values
    assert [row[0] for row in c.rows] == ["2 Nov", "9 Nov", "16 Nov"]
    assert c.rows[1][1:] == ["7", "2", "9"]


def test_a_period_without_releases_leaves_a_gap_not_a_zero(english: None) -> None:
    c = chart(CLEARANCE, FILTERS)
    assert values(c.svg) == ["3.5 h"]
    assert c.rows[1][3] == "—"


def test_labels_follow_the_visitors_language(chinese: None) -> None:
    c = chart(VOLUMES, FILTERS)
    assert c.title == "申报票数" and "进口" in c.svg and "11月9日" in c.svg


def test_durations_read_as_minutes_under_an_hour_and_hours_above(english: None) -> None:
    assert (hours(0.25), hours(3.456), hours(0), hours(None)) == ("15 min", "3.5 h", "0", "—")


def test_value_axes_have_a_few_round_ticks() -> None:
    assert _ticks(0.031) == [0.0, 0.01, 0.02, 0.03, 0.04]
    assert _ticks(1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert _ticks(230) == [0, 50, 100, 150, 200, 250]
