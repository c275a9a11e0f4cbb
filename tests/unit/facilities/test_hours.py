"""Opening hours: the document's checks name each bad path; a day's hours come from a dated
exception, else the week, else 24 hours; closures are cut out; night shifts span midnight."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from onewindow.facilities.hours import (
    PORT_TIME,
    Period,
    check_hours,
    is_open,
    next_open_windows,
    open_periods,
    parse_hours,
)
from onewindow.kernel.errors import InvalidInput

WEEKDAYS = {"mon": [["08:00", "12:00"], ["13:00", "20:00"]], "tue": [["08:00", "20:00"]]}


def at(day: str, hm: str) -> datetime:
    """A moment at the port (China Standard Time)."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=PORT_TIME)


def problems(doc: object) -> dict[str, str]:
    return {p.path: p.code for p in check_hours(doc)}


# -- checking -----------------------------------------------------------------------------------


def test_a_24_hour_facility_and_a_weekly_calendar_are_both_valid() -> None:
    assert problems({"always": True}) == {}
    assert problems({"weekly": WEEKDAYS, "dates": {"2027-01-01": []}}) == {}


def test_a_range_that_ends_before_it_starts_is_named_by_its_path() -> None:
    assert problems({"weekly": {"mon": [["08:00", "12:00"], ["20:00", "13:00"]]}}) == {
        "hours.weekly.mon[1]": "end_before_start"
    }


def test_overlapping_ranges_name_the_later_one_and_the_one_it_overlaps() -> None:
    found = check_hours({"weekly": {"mon": [["08:00", "20:00"], ["09:00", "10:00"], ["11:00", "12:00"]]}})
    assert [(p.path, p.code) for p in found] == [
        ("hours.weekly.mon[1]", "overlapping"),
        ("hours.weekly.mon[2]", "overlapping"),
    ]
    assert "hours.weekly.mon[0]" in found[0].message


def test_touching_ranges_do_not_overlap() -> None:
    assert problems({"weekly": {"mon": [["08:00", "12:00"], ["12:00", "13:00"]]}}) == {}


def test_unknown_days_bad_times_bad_dates_and_unknown_keys_are_each_reported() -> None:
    doc = {
        "weekly": {"monday": [], "tue": [["8:00", "12:00"]], "wed": [["08:00", "24:30"]], "thu": "all day"},
        "dates": {"2027-02-30": [], "2027-01-01": [["09:00"]]},
        "timezone": "UTC",
    }
    assert problems(doc) == {
        "hours.timezone": "unknown_field",
        "hours.weekly.monday": "unknown_day",
        "hours.weekly.tue[0]": "bad_time",
        "hours.weekly.wed[0]": "bad_time",
        "hours.weekly.thu": "not_list",
        "hours.dates.2027-02-30": "bad_date",
        "hours.dates.2027-01-01[0]": "bad_range",
    }


def test_a_document_must_say_when_the_facility_is_open() -> None:
    assert problems({}) == {"hours": "no_hours"}
    assert problems([]) == {"hours": "not_object"}
    assert problems({"always": True, "weekly": WEEKDAYS}) == {"hours.weekly": "conflicts_with_always"}
    assert problems({"always": "yes", "weekly": WEEKDAYS}) == {"hours.always": "wrong_type"}


def test_parse_refuses_a_bad_document_with_every_problem() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_hours({"weekly": {"mon": [["12:00", "08:00"]], "sun": [["25:00", "26:00"]]}})
    assert [f.path for f in refused.value.fields] == ["hours.weekly.mon[0]", "hours.weekly.sun[0]"]


# -- reading ------------------------------------------------------------------------------------


def test_a_weekly_calendar_is_read_in_china_standard_time() -> None:
    hours = parse_hours({"weekly": WEEKDAYS})  # 2026-12-28 is a Monday
    assert is_open(hours, [], at("2026-12-28", "08:00"), at("2026-12-28", "09:00"))
    assert not is_open(hours, [], at("2026-12-28", "11:30"), at("2026-12-28", "12:30"))  # lunch
    assert not is_open(hours, [], at("2026-12-27", "10:00"), at("2026-12-27", "11:00"))  # Sunday
    utc_8am = datetime.fromisoformat("2026-12-28T00:00+00:00")  # 08:00 in Wuhu
    assert is_open(hours, [], utc_8am, utc_8am + timedelta(hours=1))


def test_a_dated_exception_replaces_the_week_and_an_empty_day_closes_it() -> None:
    hours = parse_hours({"always": True, "dates": {"2026-12-31": [["08:00", "12:00"]], "2027-01-01": []}})
    assert is_open(hours, [], at("2026-12-30", "02:00"), at("2026-12-30", "03:00"))
    assert is_open(hours, [], at("2026-12-31", "09:00"), at("2026-12-31", "10:00"))
    assert not is_open(hours, [], at("2026-12-31", "13:00"), at("2026-12-31", "14:00"))
    assert not is_open(hours, [], at("2027-01-01", "09:00"), at("2027-01-01", "10:00"))
    assert is_open(hours, [], at("2027-01-02", "00:00"), at("2027-01-02", "23:00"))


def test_a_24_hour_facility_is_one_opening_across_days() -> None:
    hours = parse_hours({"always": True})
    week = Period(at("2026-12-28", "00:00"), at("2027-01-04", "00:00"))
    assert open_periods(hours, [], week) == [week]


def test_a_night_shift_spans_midnight() -> None:
    hours = parse_hours({"weekly": {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]}})
    assert is_open(hours, [], at("2026-12-28", "23:00"), at("2026-12-29", "01:00"))


def test_a_closure_is_cut_out_of_the_opening() -> None:
    hours = parse_hours({"always": True})
    closed = Period(at("2026-12-28", "10:00"), at("2026-12-28", "14:00"))
    assert not is_open(hours, [closed], at("2026-12-28", "13:00"), at("2026-12-28", "15:00"))
    day = Period(at("2026-12-28", "00:00"), at("2026-12-29", "00:00"))
    assert open_periods(hours, [closed], day) == [
        Period(at("2026-12-28", "00:00"), at("2026-12-28", "10:00")),
        Period(at("2026-12-28", "14:00"), at("2026-12-29", "00:00")),
    ]


def test_the_next_openings_start_with_the_current_one() -> None:
    hours = parse_hours({"weekly": WEEKDAYS})
    found = next_open_windows(hours, [], at("2026-12-28", "10:30"))
    assert found == [
        Period(at("2026-12-28", "10:30"), at("2026-12-28", "12:00")),
        Period(at("2026-12-28", "13:00"), at("2026-12-28", "20:00")),
        Period(at("2026-12-29", "08:00"), at("2026-12-29", "20:00")),
    ]
