"""The scheduler's rules on their own: a booking fits when the site, the scanner and one officer
of each attending agency are free for its whole length, inside opening hours and outside
closures; otherwise the next free slots are offered; and utilisation is booked over open
capacity-hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from onewindow.facilities.hours import ALWAYS_OPEN, PORT_TIME, OpeningHours, Period, parse_hours
from onewindow.facilities.model import Closure
from onewindow.facilities.schedule import (
    Resource,
    ResourceKind,
    find_slot,
    free_starts,
    peak,
    refusals,
    usage,
)

HOUR = timedelta(hours=1)
DAY_SHIFT = parse_hours({"weekly": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue")}})


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=PORT_TIME)


MONDAY = "2026-12-28"
TUESDAY = "2026-12-29"


def slot(day: str, hm: str, length: timedelta = HOUR) -> Period:
    start = at(day, hm)
    return Period(start, start + length)


def site(
    hours: OpeningHours = DAY_SHIFT,
    capacity: int = 1,
    taken: tuple[Period, ...] = (),
    closures: tuple[Closure, ...] = (),
    name: str = "WHI-SITE-1",
) -> Resource:
    return Resource(ResourceKind.FACILITY, name, None, hours, closures, capacity, taken)


def officers(
    agency: str, on_duty: int, taken: tuple[Period, ...] = (), hours: OpeningHours = ALWAYS_OPEN
) -> Resource:
    return Resource(ResourceKind.OFFICERS, "WHI-SITE-1", agency, hours, (), on_duty, taken)


def codes(resources: list[Resource], period: Period) -> list[tuple[str, str]]:
    return [(r.resource, r.code) for r in refusals(resources, period)]


def test_a_free_slot_inside_opening_hours_fits() -> None:
    assert codes([site()], slot(MONDAY, "09:00")) == []


def test_a_slot_outside_opening_hours_or_across_lunch_is_refused() -> None:
    assert codes([site()], slot(MONDAY, "19:00")) == [("WHI-SITE-1", "outside_hours")]
    assert codes([site()], slot(MONDAY, "11:30")) == [("WHI-SITE-1", "outside_hours")]


def test_a_slot_in_a_closure_is_refused_with_the_reason() -> None:
    typhoon = Closure("c1", "WHI-SITE-1", Period(at(MONDAY, "08:00"), at(MONDAY, "12:00")), "typhoon", "port")
    refused = refusals([site(closures=(typhoon,))], slot(MONDAY, "10:00"))
    assert [r.code for r in refused] == ["closed"]
    assert "typhoon" in refused[0].message


def test_capacity_counts_the_bookings_held_at_the_same_moment() -> None:
    busy = (slot(MONDAY, "09:00"), slot(MONDAY, "09:30"))
    assert codes([site(capacity=2, taken=busy)], slot(MONDAY, "09:00")) == [("WHI-SITE-1", "full")]
    assert codes([site(capacity=2, taken=busy)], slot(MONDAY, "10:00")) == []  # back-to-back is free
    assert codes([site(capacity=3, taken=busy)], slot(MONDAY, "09:00")) == []


def test_peak_is_the_busiest_moment_not_the_number_of_overlaps() -> None:
    taken = [slot(MONDAY, "09:00"), slot(MONDAY, "10:00"), slot(MONDAY, "11:00")]
    assert peak(taken, Period(at(MONDAY, "09:00"), at(MONDAY, "12:00"))) == 1
    assert (
        peak([*taken, slot(MONDAY, "09:30", 2 * HOUR)], Period(at(MONDAY, "09:00"), at(MONDAY, "12:00"))) == 2
    )


def test_a_busy_scanner_refuses_a_joint_inspection_at_a_free_site() -> None:
    scanner = site(name="WHI-SCAN-1", taken=(slot(MONDAY, "09:00"),))
    assert codes([site(capacity=4), scanner], slot(MONDAY, "09:00")) == [("WHI-SCAN-1", "full")]


def test_no_quarantine_officer_free_refuses_the_slot() -> None:
    resources = [
        site(capacity=4),
        officers("customs", 2),
        officers("quarantine", 1, (slot(MONDAY, "09:00"),)),
    ]
    assert codes(resources, slot(MONDAY, "09:00")) == [("quarantine@WHI-SITE-1", "no_officer_free")]


def test_officers_off_duty_refuse_the_slot() -> None:
    mornings = parse_hours({"weekly": {"mon": [["08:00", "12:00"]]}})
    assert codes([site(), officers("quarantine", 3, hours=mornings)], slot(MONDAY, "14:00")) == [
        ("quarantine@WHI-SITE-1", "off_duty")
    ]


def test_the_earliest_slot_is_the_first_grid_point_everyone_has_free() -> None:
    resources = [
        site(capacity=1, taken=(slot(MONDAY, "08:00"),)),
        site(name="WHI-SCAN-1", hours=ALWAYS_OPEN, taken=(slot(MONDAY, "09:00"),)),
        officers("quarantine", 1, (slot(MONDAY, "10:00"),)),
    ]
    assert find_slot(resources, HOUR, at(MONDAY, "07:12"), HOUR) == at(MONDAY, "11:00")


def test_a_slot_that_does_not_fit_before_lunch_goes_after_it() -> None:
    assert find_slot([site()], 2 * HOUR, at(MONDAY, "11:00"), HOUR) == at(MONDAY, "13:00")


def test_the_next_free_slots_skip_full_ones_and_closed_days() -> None:
    taken = tuple(slot(MONDAY, h) for h in ("13:00", "14:00", "15:00", "16:00"))
    found = free_starts([site(taken=taken)], HOUR, at(MONDAY, "13:00"), HOUR, count=3)
    assert found == [at(MONDAY, "17:00"), at(TUESDAY, "08:00"), at(TUESDAY, "09:00")]


def test_a_24_hour_site_offers_night_slots() -> None:
    found = free_starts([site(hours=ALWAYS_OPEN)], HOUR, at(MONDAY, "22:30"), HOUR, count=3)
    assert found == [at(MONDAY, "23:00"), at(TUESDAY, "00:00"), at(TUESDAY, "01:00")]


def test_a_dated_exception_is_respected_by_the_search() -> None:
    hours = parse_hours({"always": True, "dates": {TUESDAY: []}})
    assert find_slot([site(hours=hours)], HOUR, at(MONDAY, "23:30"), HOUR) == at("2026-12-30", "00:00")


def test_the_moment_a_closure_ends_is_offered_even_off_the_grid() -> None:
    works = Closure("c1", "WHI-SITE-1", Period(at(MONDAY, "08:00"), at(MONDAY, "10:20")), "works", "port")
    assert find_slot([site(closures=(works,))], HOUR, at(MONDAY, "08:00"), HOUR) == at(MONDAY, "10:20")


def test_nothing_is_found_when_a_resource_never_opens() -> None:
    never = parse_hours({"weekly": {}})
    assert find_slot([site(hours=never)], HOUR, at(MONDAY, "08:00"), HOUR) is None


def test_utilisation_is_booked_over_open_capacity_hours() -> None:
    monday = Period(at(MONDAY, "00:00"), at(TUESDAY, "00:00"))
    taken = [slot(MONDAY, "09:00"), slot(MONDAY, "09:00"), slot(MONDAY, "14:00", 2 * HOUR)]
    used = usage(DAY_SHIFT, [], 2, taken, monday)
    assert (used.open_hours, used.available_capacity_hours, used.booked_hours, used.bookings) == (9, 18, 4, 3)
    assert used.utilisation == 4 / 18
    assert usage(parse_hours({"weekly": {}}), [], 2, [], monday).utilisation is None
