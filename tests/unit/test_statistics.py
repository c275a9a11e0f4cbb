"""The port office's figures: what a clearance time and its stages are, what is late, the filters
every figure takes, and the CSV they are exported as."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from onewindow.kernel.errors import InvalidInput
from onewindow.statistics.export import csv_filename, to_csv
from onewindow.statistics.filters import PORT_TIME, Filters, Granularity, parse_filters
from onewindow.statistics.measures import (
    Change,
    Situation,
    clearance,
    expected_hours,
    mean,
    quantile,
    rate,
)
from onewindow.statistics.queries import Figure

T0 = datetime(2026, 11, 18, 9, 0, tzinfo=PORT_TIME)  # a Wednesday morning at the port


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class TestQuantiles:
    def test_the_median_of_an_even_count_is_halfway_between_the_middle_two(self) -> None:
        assert quantile([5, 1, 3, 2], 0.5) == 2.5

    def test_the_90th_percentile_interpolates_between_order_statistics(self) -> None:
        assert quantile([2.0, 5.0], 0.9) == pytest.approx(4.7)
        assert quantile(list(range(11)), 0.9) == pytest.approx(9.0)

    def test_no_values_have_no_quantile_mean_or_rate(self) -> None:
        assert quantile([], 0.5) is None
        assert mean([]) is None
        assert rate(3, 0) is None

    def test_a_quantile_outside_zero_to_one_is_a_mistake(self) -> None:
        with pytest.raises(ValueError):
            quantile([1.0], 1.5)


class TestClearanceTime:
    def test_a_declaration_released_at_once_spent_all_its_time_in_review(self) -> None:
        c = clearance(
            at(0), at(2), [Change(at(0), "customs", "open"), Change(at(2), "customs", "released", True)]
        )
        assert (c.total, c.review, c.trader, c.inspection, c.decided) == (2.0, 2.0, 0.0, 0.0, 2.0)

    def test_inspection_time_runs_from_the_order_to_the_decision_after_it(self) -> None:
        c = clearance(
            at(0),
            at(5),
            [
                Change(at(0), "customs", "open"),
                Change(at(1), "customs", "inspection", True),
                Change(at(5), "customs", "released", True),
            ],
        )
        assert (c.review, c.inspection, c.trader) == (1.0, 4.0, 0.0)
        assert c.decided == 1.0  # customs' first decision (the order) came after an hour

    def test_an_inspection_counts_while_another_agency_waits_for_the_declarant(self) -> None:
        changes = [
            Change(at(0), "customs", "open"),
            Change(at(0), "quarantine", "open"),
            Change(at(1), "customs", "action_required", True),
            Change(at(2), "quarantine", "inspection", True),
            Change(at(4), "quarantine", "released", True),
            Change(at(6), "customs", "open"),  # the declarant amended
            Change(at(7), "customs", "released", True),
        ]
        c = clearance(at(0), at(7), changes)
        assert (c.review, c.trader, c.inspection) == (2.0, 3.0, 2.0)  # 0-1 + 6-7; 1-2 + 4-6; 2-4
        assert c.review + c.trader + c.inspection == c.total == 7.0
        assert c.decided == 2.0  # quarantine decided last, after two hours

    def test_changes_at_the_same_instant_are_applied_together(self) -> None:
        changes = [
            Change(at(0), "customs", "open"),
            Change(at(0), "customs", "inspection", True),
            Change(at(3), "customs", "released", True),
        ]
        assert clearance(at(0), at(3), changes).inspection == 3.0

    def test_an_agency_that_never_decided_leaves_the_first_decision_unknown(self) -> None:
        changes = [Change(at(0), "customs", "open"), Change(at(0), "border", "open")]
        assert clearance(at(0), at(1), changes).decided is None


class TestLateness:
    def test_each_agency_has_its_expected_time_and_others_the_default(self) -> None:
        assert expected_hours("customs", Situation.REVIEW) == 4.0
        assert expected_hours("quarantine", Situation.INSPECTION) == 72.0
        assert expected_hours("tax", Situation.REVIEW) == 8.0
        assert expected_hours("customs", Situation.WITHDRAWAL) == 24.0


class TestFilters:
    def test_by_default_every_port_this_week_and_the_seven_before_it_by_week(self) -> None:
        f = parse_filters(date(2026, 11, 18))
        assert (f.port, f.first, f.last, f.granularity) == (
            None,
            date(2026, 9, 28),
            date(2026, 11, 18),
            "week",
        )
        assert len(f.buckets()) == 8 and f.buckets()[0] == date(2026, 9, 28)

    def test_the_period_is_whole_days_at_the_port(self) -> None:
        f = parse_filters(date(2026, 11, 18), "3301", "2026-11-02", "2026-11-08", "day")
        assert f.start == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
        assert f.end == datetime(2026, 11, 8, 16, 0, tzinfo=UTC)
        assert len(f.buckets()) == 7
        assert f.covers(datetime(2026, 11, 8, 15, 59, tzinfo=UTC)) and not f.covers(f.end)

    def test_an_instant_is_bucketed_by_its_day_at_the_port(self) -> None:
        f = Filters(None, date(2026, 11, 2), date(2026, 11, 22), Granularity.WEEK)
        sunday_night_utc = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)  # Monday 01:00 in Anhui
        assert f.bucket(sunday_night_utc) == date(2026, 11, 16)

    def test_the_previous_period_has_the_same_length_just_before(self) -> None:
        f = parse_filters(date(2026, 11, 18), None, "2026-11-09", "2026-11-15")
        before = f.previous()
        assert (before.first, before.last) == (date(2026, 11, 2), date(2026, 11, 8))

    def test_every_bad_filter_is_named(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            parse_filters(date(2026, 11, 18), "wuhu", "2026-13-01", "yesterday", "month")
        assert {f.path for f in refused.value.fields} == {"port", "from", "to", "granularity"}

    def test_a_period_ends_after_it_starts_and_day_by_day_lasts_at_most_92_days(self) -> None:
        with pytest.raises(InvalidInput) as backwards:
            parse_filters(date(2026, 11, 18), None, "2026-11-10", "2026-11-01")
        assert [f.code for f in backwards.value.fields] == ["before_from"]
        with pytest.raises(InvalidInput) as daily:
            parse_filters(date(2026, 11, 18), None, "2026-01-01", "2026-11-01", "day")
        assert [f.code for f in daily.value.fields] == ["too_many_days"]
        with pytest.raises(InvalidInput) as long:
            parse_filters(date(2026, 11, 18), None, "2024-01-01", "2026-11-01")
        assert [f.code for f in long.value.fields] == ["too_long"]

    def test_the_filters_travel_as_query_parameters(self) -> None:
        f = parse_filters(date(2026, 11, 18), "3302", "2026-11-01", "2026-11-18", "day")
        assert f.query() == {"from": "2026-11-01", "to": "2026-11-18", "granularity": "day", "port": "3302"}


class TestCsv:
    def test_the_csv_has_the_columns_and_rows_of_the_figure(self) -> None:
        fig = Figure(
            "ports",
            ("port", "name_zh", "import", "median_h"),
            [
                {"port": "3301", "name_zh": "芜湖海关", "import": 3, "median_h": 1.25},
                {"port": "3302", "name_zh": "安庆海关", "import": 0, "median_h": None},
            ],
        )
        text = to_csv(fig)
        assert text.startswith("\ufeff") and "\r\n" in text  # spreadsheets read it as UTF-8
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert rows == [
            ["port", "name_zh", "import", "median_h"],
            ["3301", "芜湖海关", "3", "1.25"],
            ["3302", "安庆海关", "0", ""],
        ]

    def test_the_file_is_named_for_the_figure_port_and_period(self) -> None:
        f = parse_filters(date(2026, 11, 18), "3301", "2026-11-01", "2026-11-18")
        assert csv_filename(Figure("late", (), []), f) == "onewindow-late-3301-2026-11-01-2026-11-18.csv"
