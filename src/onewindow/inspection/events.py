"""What a joint inspection announces, on each declaration's timeline (the declarant sees them)."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.kernel.messages import Event

__all__ = [
    "InspectionClosed",
    "InspectionOrderJoined",
    "InspectionScheduled",
    "InspectionSettledByRecognition",
    "InspectionStarted",
]


@dataclass(frozen=True, kw_only=True)
class InspectionOrderJoined(Event):
    task_id: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class InspectionScheduled(Event):
    """The one appointment: where and when, and which agencies will be there."""

    task_id: str
    site: str
    starts_at: str
    agencies: list[str]


@dataclass(frozen=True, kw_only=True)
class InspectionStarted(Event):
    task_id: str
    agencies: list[str]


@dataclass(frozen=True, kw_only=True)
class InspectionClosed(Event):
    task_id: str
    agencies: list[str]


@dataclass(frozen=True, kw_only=True)
class InspectionSettledByRecognition(Event):
    """An agency's order was settled by another's recent result (mutual recognition)."""

    task_id: str | None
    result_id: str
    inspector: str
    kind: str
