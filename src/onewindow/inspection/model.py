"""A joint inspection task (联合查验): the rules, pure.

Orders from different agencies for the same consignment (one declaration's goods) or the same
vessel's call join one task while it is open, so the trader gets one appointment and the container
is opened once. The task records who was there and when it was opened and closed; each agency
records its own findings and then decides on its own dossier. A closed task is never reopened: a
later order starts a new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from onewindow.kernel.errors import Conflict
from onewindow.kernel.messages import Event

from . import events as ev

__all__ = ["Order", "Task", "TaskStatus"]


class TaskStatus(StrEnum):
    OPEN = "open"  # waiting for an appointment
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


JOINABLE = frozenset({TaskStatus.OPEN, TaskStatus.SCHEDULED})


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    agency: str
    kind: str  # scan, manual, sampling, treatment, boarding
    reason: str
    at: datetime


@dataclass
class Task:
    id: str
    subject_kind: str  # consignment | conveyance
    subject: str
    port: str
    org_id: str  # the declarant told of the appointment
    containers: list[str]
    status: TaskStatus = TaskStatus.OPEN
    orders: list[Order] = field(default_factory=list)
    attendees: list[dict[str, Any]] = field(default_factory=list)
    site_id: str | None = None
    booking_id: str | None = None
    scheduled_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list, compare=False)

    @classmethod
    def start(
        cls, order: Order, subject_kind: str, subject: str, port: str, org_id: str, containers: list[str]
    ) -> Task:
        task = cls(uuid.uuid4().hex, subject_kind, subject, port, org_id, containers)
        task.join(order)
        return task

    @property
    def agencies(self) -> list[str]:
        return sorted({o.agency for o in self.orders})

    @property
    def joinable(self) -> bool:
        return self.status in JOINABLE

    def join(self, order: Order) -> None:
        if not self.joinable:
            raise Conflict(
                "inspection_closed",
                f"Inspection {self.id} is {self.status.value}; a new order starts a new inspection.",
                f"查验任务 {self.id} 已{_ZH[self.status]}，新的查验指令另立任务。",
            )
        self.orders.append(order)
        self._record(ev.InspectionOrderJoined, order.at, order.number, agency=order.agency, kind=order.kind)

    def schedule(self, site_id: str, booking_id: str, starts_at: datetime, now: datetime) -> None:
        self.site_id, self.booking_id, self.scheduled_at = site_id, booking_id, starts_at
        if self.status is TaskStatus.OPEN:
            self.status = TaskStatus.SCHEDULED
        for number in self.numbers:
            self._record(
                ev.InspectionScheduled,
                now,
                number,
                site=site_id,
                starts_at=starts_at.isoformat(),
                agencies=self.agencies,
            )

    def open(self, agency: str, officer: str, now: datetime) -> None:
        """The container is opened (the vessel boarded) once, by the officers present."""
        if self.status is TaskStatus.CLOSED:
            raise Conflict("inspection_closed", "This inspection is closed.", "该查验任务已结束。")
        self.attend(agency, officer, now)
        if self.status is not TaskStatus.IN_PROGRESS:
            self.status, self.opened_at = TaskStatus.IN_PROGRESS, now
            for number in self.numbers:
                self._record(ev.InspectionStarted, now, number, agencies=self.agencies)

    def attend(self, agency: str, officer: str, now: datetime) -> None:
        if agency not in self.agencies:
            raise Conflict(
                "not_on_inspection",
                f"'{agency}' ordered nothing on this inspection.",
                f"“{agency}”未参与该查验任务。",
            )
        if not any(a["officer"] == officer for a in self.attendees):
            self.attendees.append({"agency": agency, "officer": officer, "at": now.isoformat()})

    def close(self, agencies_with_findings: set[str], now: datetime) -> None:
        """Closed once every agency on it has recorded its findings; each then decides."""
        if self.status is not TaskStatus.IN_PROGRESS:
            raise Conflict(
                "inspection_not_started",
                "Only an inspection in progress can be closed.",
                "只有进行中的查验任务可以结束。",
            )
        missing = [a for a in self.agencies if a not in agencies_with_findings]
        if missing:
            raise Conflict(
                "findings_missing",
                f"Findings still missing from: {', '.join(missing)}.",
                f"尚缺以下机构的查验结果：{'、'.join(missing)}。",
                missing=missing,
            )
        self.status, self.closed_at = TaskStatus.CLOSED, now
        for number in self.numbers:
            self._record(ev.InspectionClosed, now, number, agencies=self.agencies)

    @property
    def numbers(self) -> list[str]:
        return sorted({o.number for o in self.orders})

    def _record(self, cls: Callable[..., Event], now: datetime, number: str, **fields: Any) -> None:
        self.events.append(cls(number=number, org_id=self.org_id, occurred_at=now, task_id=self.id, **fields))


_ZH = {
    TaskStatus.OPEN: "待预约",
    TaskStatus.SCHEDULED: "已预约",
    TaskStatus.IN_PROGRESS: "进行中",
    TaskStatus.CLOSED: "结束",
}
