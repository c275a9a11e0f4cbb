"""What every figure is filtered by: a port (the customs office of declaration), a period of
whole days at the port (China Standard Time), and the buckets of its time series (weeks starting
on Monday, or days)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from onewindow.kernel.errors import FieldError, InvalidInput

__all__ = ["DEFAULT_WEEKS", "PORT_TIME", "Filters", "Granularity", "parse_filters"]

PORT_TIME = timezone(timedelta(hours=8), "CST")
DEFAULT_WEEKS = 8  # the default period: this week and the seven before it
MAX_DAYS = 366  # the longest period
MAX_DAILY = 92  # the longest period shown day by day
_OFFICE = re.compile(r"^\d{4}$")


class Granularity(StrEnum):
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True)
class Filters:
    """``port``: a customs office code (None: every port); ``first`` to ``last``: days at the
    port, both included."""

    port: str | None
    first: date
    last: date
    granularity: Granularity = Granularity.WEEK

    @property
    def start(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=PORT_TIME)

    @property
    def end(self) -> datetime:
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=PORT_TIME)

    def covers(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end

    def bucket(self, at: datetime) -> date:
        """The first day of the bucket holding ``at`` (a Monday for weeks)."""
        day = at.astimezone(PORT_TIME).date()
        return day - timedelta(days=day.weekday()) if self.granularity is Granularity.WEEK else day

    def buckets(self) -> list[date]:
        first = self.bucket(self.start)
        step = timedelta(weeks=1) if self.granularity is Granularity.WEEK else timedelta(days=1)
        out = []
        while first <= self.last:
            out.append(first)
            first += step
        return out

    def previous(self) -> Filters:
        """The period of the same length just before this one (for comparisons)."""
        length = self.last - self.first + timedelta(days=1)
        return replace(self, first=self.first - length, last=self.first - timedelta(days=1))

    def query(self) -> dict[str, str]:
        """The filters as query parameters (what links and exports carry)."""
        out = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "granularity": self.granularity.value,
        }
        if self.port:
            out["port"] = self.port
        return out

    def as_dict(self) -> dict[str, str | None]:
        return {"port": self.port, **self.query()}


def parse_filters(
    today: date,
    port: str | None = None,
    first: str | None = None,
    last: str | None = None,
    granularity: str | None = None,
) -> Filters:
    """The filters from query parameters (empty ones take their defaults: every port, this week
    and the seven before it, by week); InvalidInput names every bad one."""
    problems: list[FieldError] = []
    port = (port or "").strip() or None
    if port is not None and not _OFFICE.match(port):
        problems.append(
            FieldError(
                "port",
                "invalid",
                "The port is a customs office code of four digits, e.g. 3301.",
                "口岸须为四位关区代码，例如 3301。",
            )
        )
    start = _day(first, "from", problems)
    end = _day(last, "to", problems)
    try:
        grain = Granularity((granularity or "").strip() or Granularity.WEEK)
    except ValueError:
        grain = Granularity.WEEK
        problems.append(FieldError("granularity", "invalid", "Choose week or day.", "请选择按周或按日。"))
    end = end or today
    start = start or end - timedelta(days=end.weekday()) - timedelta(weeks=DEFAULT_WEEKS - 1)
    if start > end:
        problems.append(FieldError("to", "before_from", "'to' is before 'from'.", "结束日期早于开始日期。"))
    elif (end - start).days + 1 > MAX_DAYS:
        problems.append(
            FieldError(
                "from", "too_long", f"A period is at most {MAX_DAYS} days.", f"统计期间最长 {MAX_DAYS} 天。"
            )
        )
    elif grain is Granularity.DAY and (end - start).days + 1 > MAX_DAILY:
        problems.append(
            FieldError(
                "granularity",
                "too_many_days",
                f"Day by day, a period is at most {MAX_DAILY} days: choose weeks.",
                f"按日统计时期间最长 {MAX_DAILY} 天，请改为按周。",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return Filters(port, start, end, grain)


def _day(text: str | None, field: str, problems: list[FieldError]) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(
            FieldError(field, "invalid", "A date is written YYYY-MM-DD.", "日期格式为 YYYY-MM-DD。")
        )
        return None
