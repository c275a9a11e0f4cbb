"""What the credit register announces.

Credit events concern every agency (MISSION.md §3, 信息共享), hence agency=None; dates and amounts
travel as strings so that every body is plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.kernel.messages import Event

__all__ = ["CreditGradeChanged", "CreditRepairRefused", "VesselViolationRecorded", "ViolationRecorded"]


@dataclass(frozen=True, kw_only=True)
class CreditGradeChanged(Event):
    uscc: str
    previous: str | None
    grade: str
    rule: str
    reason: str
    reason_zh: str
    decided_by: str
    effective_on: str
    policy: str
    violations: list[str]


@dataclass(frozen=True, kw_only=True)
class CreditRepairRefused(Event):
    uscc: str
    grade: str
    reasons: list[str]
    reasons_zh: list[str]
    earliest_on: str | None
    policy: str


@dataclass(frozen=True, kw_only=True)
class ViolationRecorded(Event):
    uscc: str
    violation_id: str
    type: str
    occurred_on: str
    amount_cny: str
    source_agency: str
    description: str


@dataclass(frozen=True, kw_only=True)
class VesselViolationRecorded(Event):
    imo: str
    violation_id: str
    type: str
    occurred_on: str
    source_agency: str
    description: str
