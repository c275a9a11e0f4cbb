"""Recording an inspection's outcome, once, for every agency entitled to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.declarations.tables import declarations, dossiers
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from onewindow.persistence.committer import Transaction

from .model import Task, TaskStatus
from .tables import inspection_results, scan_annotations, scan_records
from .tasks import agencies_with_findings, load_task, save_task, task_view

__all__ = ["Annotate", "AttendTask", "CloseTask", "OpenTask", "RecordFindings", "RecordResult", "RecordScan"]


@dataclass
class RecordResult:
    """``agency`` is the officer's agency, or None for an accredited third party (``org_id``)."""

    agency: str | None
    org_id: str
    actor: str
    fields: dict[str, Any]

    def run(self, tx: Transaction) -> dict[str, Any]:
        f = self.fields
        if f["inspected_at"] > tx.now:
            raise InvalidInput(
                [
                    FieldError(
                        "inspected_at",
                        "in_future",
                        "An inspection cannot end in the future.",
                        "查验时间不能晚于当前时间。",
                    )
                ]
            )
        number = f.get("number")
        if number is not None:
            self._check_declaration(tx.conn, number, f.get("container"))
        row = {
            "id": uuid.uuid4().hex,
            **f,
            "inspector_kind": "agency" if self.agency else "third_party",
            "agency": self.agency,
            "inspector_org": self.org_id,
            "recorded_by": self.actor,
            "recorded_at": tx.now,
        }
        tx.conn.execute(inspection_results.insert().values(**row))
        return row

    def _check_declaration(self, conn: sa.Connection, number: str, container: str | None) -> None:
        """The declaration exists and, for an agency, is routed to it; a named container is on it."""
        found = conn.execute(sa.select(declarations.c.data).where(declarations.c.number == number)).first()
        if found is None:
            raise NotFound("declaration", "报关单", number)
        if self.agency is not None:
            d = dossiers.c
            routed = conn.execute(
                sa.select(d.agency).where(d.number == number, d.agency == self.agency)
            ).first()
            if routed is None:
                raise NotFound("dossier", "案卷", f"{number}/{self.agency}")
        data = found.data
        on_it = {c["number"] for c in data.get("containers", [])} if isinstance(data, dict) else set()
        if container is not None and container not in on_it:
            raise InvalidInput(
                [
                    FieldError(
                        "container",
                        "not_on_declaration",
                        f"Container {container} is not on declaration {number}.",
                        f"集装箱 {container} 不在报关单 {number} 上。",
                    )
                ]
            )


def _task_of(tx: Transaction, task_id: str) -> Task:
    return load_task(tx.conn, task_id)


def _agency_task(tx: Transaction, task_id: str, agency: str) -> Task:
    """The task, refused unless ``agency`` has an order on it."""
    task = _task_of(tx, task_id)
    if agency not in task.agencies:
        raise NotPermitted(
            f"'{agency}' has no order on inspection {task.id}.",
            f"“{agency}”在查验任务 {task.id} 中无查验指令。",
        )
    return task


def _task_in_progress(tx: Transaction, task_id: str, agency: str, refusal: str, refusal_zh: str) -> Task:
    """The task, refused unless ``agency`` has an order on it and it is in progress; ``refusal``
    says what waits for that."""
    task = _agency_task(tx, task_id, agency)
    if task.status is not TaskStatus.IN_PROGRESS:
        raise Conflict("inspection_not_in_progress", refusal, refusal_zh)
    return task


@dataclass
class OpenTask:
    """The officers present open the container (board the vessel): once, for every agency."""

    task_id: str
    agency: str
    officer: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = _agency_task(tx, self.task_id, self.agency)
        task.open(self.agency, self.officer, tx.now)
        save_task(tx, task)
        return task_view(task)


@dataclass
class AttendTask:
    task_id: str
    agency: str
    officer: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = _task_of(tx, self.task_id)
        task.attend(self.agency, self.officer, tx.now)
        save_task(tx, task)
        return task_view(task)


@dataclass
class RecordFindings:
    """An agency's own findings on the joint inspection, kept in the shared results register."""

    task_id: str
    agency: str
    org_id: str
    actor: str
    kind: str
    checked: str
    findings: str
    fraud: bool
    critical: bool

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = _task_in_progress(
            tx,
            self.task_id,
            self.agency,
            "Findings are recorded while the inspection is in progress.",
            "须在查验进行中录入查验结果。",
        )
        imo = task.subject.split("/")[0] if task.subject_kind == "conveyance" else None
        rows = [
            {
                "id": uuid.uuid4().hex,
                "number": number,
                "container": None,
                "vessel_imo": imo,
                "inspector_kind": "agency",
                "agency": self.agency,
                "inspector_org": self.org_id,
                "kind": self.kind,
                "checked": self.checked,
                "findings": self.findings,
                "fraud": self.fraud,
                "critical": self.critical,
                "inspected_at": tx.now,
                "recorded_by": self.actor,
                "recorded_at": tx.now,
                "task_id": task.id,
            }
            for number in task.numbers
        ]
        tx.conn.execute(inspection_results.insert(), rows)
        return {"task_id": task.id, "agency": self.agency, "results": [r["id"] for r in rows]}


@dataclass
class CloseTask:
    task_id: str
    agency: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = _agency_task(tx, self.task_id, self.agency)
        task.close(agencies_with_findings(tx.conn, task.id), tx.now)
        save_task(tx, task)
        return task_view(task)


@dataclass
class RecordScan:
    """一机两屏: a scan image of the task's container, shown to every agency on the task."""

    task_id: str
    agency: str
    actor: str
    scanner_id: str
    container: str | None
    image_sha256: str
    media_type: str
    taken_at: datetime

    def run(self, tx: Transaction) -> dict[str, Any]:
        task = _task_in_progress(
            tx,
            self.task_id,
            self.agency,
            "Scans are taken during the inspection.",
            "须在查验进行中上传机检图像。",
        )
        if self.container is not None and self.container not in task.containers:
            raise InvalidInput(
                [
                    FieldError(
                        "container",
                        "not_on_inspection",
                        f"Container {self.container} is not on this inspection.",
                        f"集装箱 {self.container} 不在本查验任务中。",
                    )
                ]
            )
        row = {
            "id": uuid.uuid4().hex,
            "task_id": task.id,
            "container": self.container,
            "scanner_id": self.scanner_id,
            "image_sha256": self.image_sha256,
            "media_type": self.media_type,
            "taken_at": self.taken_at,
            "recorded_by": self.actor,
        }
        tx.conn.execute(scan_records.insert().values(**row))
        return row


@dataclass
class Annotate:
    scan_id: str
    agency: str
    author: str
    note: str
    region: dict[str, int] | None

    def run(self, tx: Transaction) -> dict[str, Any]:
        scan = tx.conn.execute(sa.select(scan_records).where(scan_records.c.id == self.scan_id)).first()
        if scan is None:
            raise NotFound("scan", "机检图像", self.scan_id)
        _agency_task(tx, scan.task_id, self.agency)
        row = {
            "id": uuid.uuid4().hex,
            "scan_id": self.scan_id,
            "agency": self.agency,
            "author": self.author,
            "note": self.note,
            "region": self.region,
            "created_at": tx.now,
        }
        tx.conn.execute(scan_annotations.insert().values(**row))
        return row
