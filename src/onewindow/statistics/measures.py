"""The arithmetic of the port office's figures: pure functions of timestamps and numbers.

整体通关时间 (overall clearance time) of a declaration is measured from its submission to its one
release. (The glossary's "from arrival" needs the goods' arrival at the port, which OneWindow
knows only as a declared date, or for exports from a gate's 运抵 message: the time from the
declaration on is the part the single window and the agencies answer for.) It is cut into what
the declaration was waiting for at each moment, so the parts add up to the whole (a stacked bar
shows the whole and its parts at once):

- **inspection** (查验): some agency's dossier is in an inspection state (ordered, sampling,
  treatment, crew check...), from the decision that ordered it to the decision after it;
- **trader** (企业补正): no inspection, but some dossier waits for the declarant (documents or a
  correction requested) until the declarant amends;
- **review** (审单): the rest, while one or more agencies still had the dossier open.

``decided`` is the time until every concerned agency had taken its first decision (its first
answer: release, a channel, a request), the agencies' share of the first hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "EXPECTED_HOURS",
    "Change",
    "Clearance",
    "Situation",
    "Stage",
    "clearance",
    "expected_hours",
    "hours_between",
    "mean",
    "quantile",
    "rate",
]


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def quantile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (0 ≤ q ≤ 1), interpolating linearly between order statistics (as
    NumPy's default does); None when there are no values."""
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, not {q}")
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float]) -> float | None:
    xs = list(values)
    return sum(xs) / len(xs) if xs else None


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Stage(StrEnum):
    REVIEW = "review"
    TRADER = "trader"
    INSPECTION = "inspection"


@dataclass(frozen=True)
class Change:
    """A dossier entering a category (``open``, ``action_required``, ``inspection``, ``released``,
    ``refused``, ``withdrawn``); ``decided`` when an agency's decision put it there."""

    at: datetime
    agency: str
    category: str
    decided: bool = False


@dataclass(frozen=True)
class Clearance:
    """One released declaration's overall clearance time and its parts, in hours."""

    total: float
    review: float
    trader: float
    inspection: float
    decided: float | None

    def stage(self, stage: Stage) -> float:
        return {Stage.REVIEW: self.review, Stage.TRADER: self.trader, Stage.INSPECTION: self.inspection}[
            stage
        ]


def _waiting_for(categories: Iterable[str]) -> Stage:
    found = set(categories)
    if "inspection" in found:
        return Stage.INSPECTION
    if "action_required" in found:
        return Stage.TRADER
    return Stage.REVIEW


def clearance(submitted: datetime, released: datetime, changes: Sequence[Change]) -> Clearance:
    """Cut ``submitted``→``released`` into the stages by sweeping the dossiers' changes in time
    order (changes at the same instant are applied together, before the time after them counts)."""
    spent = dict.fromkeys(Stage, 0.0)
    state: dict[str, str] = {}
    first_decision: dict[str, datetime] = {}
    ordered = sorted(changes, key=lambda c: c.at)
    cursor = submitted
    i = 0
    while i < len(ordered):
        at = ordered[i].at
        if at > cursor:
            upto = min(at, released)
            if upto > cursor:
                spent[_waiting_for(state.values())] += hours_between(cursor, upto)
            cursor = max(cursor, upto)
        while i < len(ordered) and ordered[i].at == at:
            c = ordered[i]
            state[c.agency] = c.category
            if c.decided:
                first_decision.setdefault(c.agency, c.at)
            i += 1
    if released > cursor:
        spent[_waiting_for(state.values())] += hours_between(cursor, released)
    decided = None
    if state and all(a in first_decision for a in state):
        decided = max(hours_between(submitted, first_decision[a]) for a in state)
    return Clearance(
        total=hours_between(submitted, released),
        review=spent[Stage.REVIEW],
        trader=spent[Stage.TRADER],
        inspection=spent[Stage.INSPECTION],
        decided=decided,
    )


# -- what is late ------------------------------------------------------------------------------


class Situation(StrEnum):
    """What a dossier is waiting for its agency to do."""

    REVIEW = "review"  # decide on it (it is open: received, under review, a document check)
    INSPECTION = "inspection"  # inspect and decide (ordered, sampling, treatment, crew check...)
    WITHDRAWAL = "withdrawal"  # answer the declarant's request to withdraw


# The time the port office expects an agency to take, in hours, before a waiting dossier counts
# as late (a working assumption of the dashboard, for the port office to confirm or change):
# goods are reviewed within half a working day (quarantine's certificate checks within a day);
# vessels are cleared before they berth; an inspection is done within two days of its order
# (quarantine's laboratory tests within three, a vessel's boarding within a day); a withdrawal
# is answered within a day. Waiting for the declarant (documents requested) is never the
# agency's lateness and is not listed.
EXPECTED_HOURS: Mapping[tuple[str, Situation], float] = {
    ("customs", Situation.REVIEW): 4.0,
    ("customs", Situation.INSPECTION): 48.0,
    ("quarantine", Situation.REVIEW): 8.0,
    ("quarantine", Situation.INSPECTION): 72.0,
    ("border", Situation.REVIEW): 4.0,
    ("border", Situation.INSPECTION): 12.0,
    ("maritime", Situation.REVIEW): 6.0,
    ("maritime", Situation.INSPECTION): 24.0,
}
DEFAULT_EXPECTED_HOURS: Mapping[Situation, float] = {
    Situation.REVIEW: 8.0,
    Situation.INSPECTION: 72.0,
    Situation.WITHDRAWAL: 24.0,
}


def expected_hours(agency: str, situation: Situation) -> float:
    return EXPECTED_HOURS.get((agency, situation), DEFAULT_EXPECTED_HOURS[situation])
