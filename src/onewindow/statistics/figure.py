"""A figure of the dashboard as a table (``Figure``), and what every figure is made of: the
declarations as the figures see them (``Life``), the kinds and agencies in the order they are
shown, and hours and rates rounded in the rows themselves (two decimals and four)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .filters import Filters
from .measures import Clearance

__all__ = [
    "AGENCIES",
    "GOODS",
    "KINDS",
    "Figure",
    "Life",
    "kinds_of",
    "ordered",
    "round_hours",
    "round_rate",
]

KINDS = ("import", "export", "vessel_arrival", "vessel_departure")
AGENCIES = ("customs", "quarantine", "border", "maritime")  # the order they are shown in
GOODS = ("import", "export")


@dataclass(frozen=True)
class Figure:
    """One figure as a table: ``rows`` hold a value for each of ``columns``; ``meta`` says what
    else a reader needs (the policy in force, the period...)."""

    id: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, filters: Filters) -> dict[str, Any]:
        return {
            "figure": self.id,
            "filters": filters.as_dict(),
            "columns": list(self.columns),
            "rows": self.rows,
            **({"meta": self.meta} if self.meta else {}),
        }


@dataclass(frozen=True)
class Life:
    """One declaration as the figures see it."""

    number: str
    kind: str
    office: str
    status: str
    submitted_at: datetime
    released_at: datetime | None
    inspected: bool
    clearance: Clearance | None


def round_hours(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def round_rate(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def kinds_of(lives: Iterable[Life], always: Iterable[str]) -> list[str]:
    found = {x.kind for x in lives} | set(always)
    return [k for k in KINDS if k in found] + sorted(found - set(KINDS))


def ordered(found: Iterable[str], order: Iterable[str]) -> list[str]:
    known = list(order)
    present = set(found)
    return [a for a in known if a in present] + sorted(present - set(known))
