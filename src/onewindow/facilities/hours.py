"""Opening hours (开放时间) of a port, a site or a scanner, read in China Standard Time.

24-hour clearance is the plan's aim, but a port's hours follow its traffic, so the port office
changes them at short notice. The document stored in ``facilities.hours`` says one of:

    {"always": true}
    {"weekly": {"mon": [["08:00", "12:00"], ["13:00", "20:00"]], "tue": [...], ...}}

and either may carry dated exceptions that replace that day's ranges (an empty list closes it):

    "dates": {"2026-12-31": [["08:00", "12:00"]], "2027-01-01": []}

A day missing from ``weekly`` is closed. Ranges are half-open and may end at "24:00"; a range
ending at midnight joins one starting at 00:00 the next day, so a night shift needs no special
case. Closures (``facility_closures``) are cut out of whatever the calendar says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from onewindow.kernel.errors import FieldError, InvalidInput

__all__ = [
    "ALWAYS_OPEN",
    "DAYS",
    "PORT_TIME",
    "OpeningHours",
    "Period",
    "check_hours",
    "intersect",
    "is_open",
    "next_open_windows",
    "open_periods",
    "parse_hours",
]

PORT_TIME = timezone(timedelta(hours=8), "CST")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RANGES = 24
MAX_DATES = 800

Range = tuple[int, int]  # minutes after local midnight, end exclusive (1440 = "24:00")

_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A half-open stretch of time ``[start, end)`` between two aware instants."""

    start: datetime
    end: datetime

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def clip(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def as_dict(self) -> dict[str, str]:
        return {
            "starts_at": self.start.astimezone(PORT_TIME).isoformat(),
            "ends_at": self.end.astimezone(PORT_TIME).isoformat(),
        }


@dataclass(frozen=True)
class OpeningHours:
    """A checked opening-hours document: 24 hours or a weekly calendar, plus dated exceptions."""

    always: bool = False
    weekly: Mapping[int, tuple[Range, ...]] = field(default_factory=dict)  # 0 = Monday
    dates: Mapping[date, tuple[Range, ...]] = field(default_factory=dict)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The day's ranges: a dated exception wins over the week, the week over nothing."""
        if day in self.dates:
            return self.dates[day]
        if self.always:
            return ((0, 1440),)
        return self.weekly.get(day.weekday(), ())


ALWAYS_OPEN = OpeningHours(always=True)

# -- checking the document -------------------------------------------------------------------

_MESSAGES = {
    "not_object": ("Give an object here.", "此处应为对象。"),
    "not_list": ("Give a list of [start, end] ranges.", "此处应为 [开始, 结束] 时段列表。"),
    "unknown_field": ("'{x}' is not an opening-hours field.", "“{x}”不是开放时间的字段。"),
    "wrong_type": ("'always' is true or absent.", "“always”只能为 true 或省略。"),
    "no_hours": (
        'Say {{"always": true}} or give a weekly calendar.',
        '请给出 {{"always": true}} 或每周时间表。',
    ),
    "conflicts_with_always": (
        "A 24-hour facility has no weekly calendar; use dates for exceptions.",
        "24 小时开放的设施不设每周时间表；例外日期请用 dates。",
    ),
    "unknown_day": ("'{x}' is not a day; use mon, tue, wed, thu, fri, sat, sun.", "“{x}”不是星期代码。"),
    "bad_date": ("'{x}' is not a date (YYYY-MM-DD).", "“{x}”不是日期（YYYY-MM-DD）。"),
    "bad_range": ('A range is ["HH:MM", "HH:MM"].', '时段格式应为 ["HH:MM", "HH:MM"]。'),
    "bad_time": ("'{x}' is not a time of day (00:00 to 24:00).", "“{x}”不是有效时刻（00:00 至 24:00）。"),
    "end_before_start": ("The range ends at or before it starts ({x}).", "时段结束不晚于开始（{x}）。"),
    "overlapping": ("The range overlaps {x}.", "该时段与 {x} 重叠。"),
    "too_many": ("At most {x} entries here.", "此处最多 {x} 项。"),
}


def _problem(path: str, code: str, x: object = "") -> FieldError:
    en, zh = _MESSAGES[code]
    return FieldError(path, code, en.format(x=x), zh.format(x=x))


def check_hours(doc: Any, path: str = "hours") -> list[FieldError]:
    """Every problem of an opening-hours document, each naming its path (``hours.weekly.mon[1]``)."""
    return list(_check(doc, path))


def _check(doc: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(doc, dict):
        yield _problem(path, "not_object")
        return
    for key in doc:
        if key not in ("always", "weekly", "dates"):
            yield _problem(f"{path}.{key}", "unknown_field", key)
    always = doc.get("always", False)
    if always is not True and always is not False:
        yield _problem(f"{path}.always", "wrong_type")
    if always is True and "weekly" in doc:
        yield _problem(f"{path}.weekly", "conflicts_with_always")
    elif always is not True and "weekly" not in doc:
        yield _problem(path, "no_hours")
    if "weekly" in doc:
        yield from _check_days(doc["weekly"], f"{path}.weekly", _day_key)
    if "dates" in doc:
        yield from _check_days(doc["dates"], f"{path}.dates", _date_key)


def _day_key(path: str, key: str) -> FieldError | None:
    return None if key in DAYS else _problem(path, "unknown_day", key)


def _date_key(path: str, key: str) -> FieldError | None:
    try:
        date.fromisoformat(key)
    except ValueError:
        return _problem(path, "bad_date", key)
    return None if len(key) == 10 else _problem(path, "bad_date", key)


def _check_days(days: Any, path: str, key_problem: Any) -> Iterator[FieldError]:
    if not isinstance(days, dict):
        yield _problem(path, "not_object")
        return
    if len(days) > MAX_DATES:
        yield _problem(path, "too_many", MAX_DATES)
        return
    for key, ranges in days.items():
        bad_key = key_problem(f"{path}.{key}", key)
        if bad_key is not None:
            yield bad_key
            continue
        yield from _check_ranges(ranges, f"{path}.{key}")


def _check_ranges(ranges: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(ranges, list):
        yield _problem(path, "not_list")
        return
    if len(ranges) > MAX_RANGES:
        yield _problem(path, "too_many", MAX_RANGES)
        return
    good: list[tuple[Range, int]] = []
    for i, item in enumerate(ranges):
        found = _range(item)
        if isinstance(found, FieldError):
            yield FieldError(f"{path}[{i}]", found.code, found.message, found.message_zh)
        else:
            good.append((found, i))
    yield from _overlaps(sorted(good), path)


def _overlaps(ranges: list[tuple[Range, int]], path: str) -> Iterator[FieldError]:
    """Each range that starts before an earlier-starting one ends; named by the later index."""
    reach: tuple[int, int] | None = None  # the furthest end so far, and whose it is
    for (start, end), i in ranges:
        if reach is not None and start < reach[0]:
            first, second = sorted((i, reach[1]))
            yield _problem(f"{path}[{second}]", "overlapping", f"{path}[{first}]")
        if reach is None or end > reach[0]:
            reach = (end, i)


def _range(item: Any) -> Range | FieldError:
    """A ["HH:MM", "HH:MM"] pair as minutes, or the problem with it (its path filled in later)."""
    if not (isinstance(item, list) and len(item) == 2 and all(isinstance(t, str) for t in item)):
        return _problem("", "bad_range")
    start, end = _minutes(item[0]), _minutes(item[1])
    for text, value in ((item[0], start), (item[1], end)):
        if value is None:
            return _problem("", "bad_time", text)
    assert start is not None and end is not None
    if end <= start:
        return _problem("", "end_before_start", f"{item[0]}–{item[1]}")
    return start, end


def _minutes(text: str) -> int | None:
    m = _TIME.match(text)
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if mi >= 60 or h > 24 or (h == 24 and mi):
        return None
    return h * 60 + mi


def parse_hours(doc: Any, path: str = "hours") -> OpeningHours:
    """The document as ``OpeningHours``; ``InvalidInput`` naming every problem if it is not valid."""
    problems = check_hours(doc, path)
    if problems:
        raise InvalidInput(problems)
    weekly = {DAYS.index(k): _ranges(v) for k, v in doc.get("weekly", {}).items()}
    dates = {date.fromisoformat(k): _ranges(v) for k, v in doc.get("dates", {}).items()}
    return OpeningHours(always=doc.get("always", False) is True, weekly=weekly, dates=dates)


def _ranges(items: list[list[str]]) -> tuple[Range, ...]:
    out = []
    for item in items:
        found = _range(item)
        assert not isinstance(found, FieldError)
        out.append(found)
    return tuple(sorted(out))


# -- reading the calendar --------------------------------------------------------------------


def open_periods(hours: OpeningHours, closures: Iterable[Period], within: Period) -> list[Period]:
    """The stretches of ``within`` when the facility is open, merged, closures cut out."""
    first = within.start.astimezone(PORT_TIME).date() - _DAY  # a range may reach past midnight
    last = within.end.astimezone(PORT_TIME).date()
    spans: list[Period] = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=PORT_TIME)
        spans.extend(
            Period(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b))
            for a, b in hours.ranges_on(day)
        )
        day += _DAY
    clipped = [p for p in (s.clip(within) for s in _merge(spans)) if p is not None]
    return _subtract(clipped, sorted(closures))


def _merge(periods: Iterable[Period]) -> list[Period]:
    """Sorted, with touching or overlapping periods joined."""
    out: list[Period] = []
    for p in sorted(periods):
        if out and p.start <= out[-1].end:
            out[-1] = Period(out[-1].start, max(out[-1].end, p.end))
        else:
            out.append(p)
    return out


def _subtract(periods: Sequence[Period], holes: Sequence[Period]) -> list[Period]:
    out = []
    for p in periods:
        pieces = [p]
        for hole in holes:
            if hole.start >= p.end:
                break
            pieces = [piece for cut in pieces for piece in _cut(cut, hole)]
        out.extend(pieces)
    return out


def _cut(p: Period, hole: Period) -> list[Period]:
    if not p.overlaps(hole):
        return [p]
    return [q for q in (Period(p.start, hole.start), Period(hole.end, p.end)) if q.start < q.end]


def intersect(a: Sequence[Period], b: Sequence[Period]) -> list[Period]:
    """The stretches in both of two sorted, merged lists of periods."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        both = a[i].clip(b[j])
        if both is not None:
            out.append(both)
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return out


def is_open(hours: OpeningHours, closures: Iterable[Period], start: datetime, end: datetime) -> bool:
    """Whether the facility is open for the whole of ``[start, end)``."""
    want = Period(start, end)
    return any(p.contains(want) for p in open_periods(hours, closures, want))


def next_open_windows(
    hours: OpeningHours,
    closures: Iterable[Period],
    after: datetime,
    count: int = 3,
    horizon: timedelta = timedelta(days=14),
) -> list[Period]:
    """The next ``count`` stretches of opening from ``after`` (the current one, clipped, first);
    what the public reads before driving to a port."""
    return open_periods(hours, closures, Period(after, after + horizon))[:count]
