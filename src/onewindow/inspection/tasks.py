"""Joint inspection tasks: placing orders (from the dossier decisions on the event stream),
loading and saving tasks, and what officers do at the site.

An agency's dossier decision that orders an inspection (customs' inspection, quarantine's sampling
or treatment, border's crew check...) becomes an order: settled at once by mutual recognition when
another agency's (or an accredited body's) recent result covers it and the agency's rules accept
it, else joined to the open task of the same consignment or vessel call, or a new task. The
consumer records the event it handled in the same transaction, so a redelivery changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.agencies.registry import AgencyRegistry
from onewindow.agencies.states import Category
from onewindow.declarations import repository as declarations
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.declarations.model import Declaration
from onewindow.kernel.errors import Conflict, NotFound
from onewindow.kernel.messages import Envelope
from onewindow.messaging.brokers.base import Handler
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.outbox import claim_processed

from . import events as ev
from .model import Order, Task, TaskStatus
from .tables import inspection_orders, inspection_results, inspection_tasks

__all__ = ["CONSUMER", "PlaceOrder", "Scheduler", "load_task", "order_handler", "save_task"]

CONSUMER = "inspection-orders"

# The kind of inspection a dossier state stands for (agencies may add states; unknown: manual).
KINDS = {"sampling": "sampling", "treatment": "treatment", "crew_check": "boarding"}

# Books the one appointment of a task (the facilities area); None where nothing can be booked yet.
Scheduler = Callable[[Transaction, Task], tuple[str, str, datetime] | None]


def _kind(state: str, rule: str | None, data: Any) -> str:
    if isinstance(data, ConveyanceReport):
        return "boarding"
    if state in KINDS:
        return KINDS[state]
    return "scan" if rule and rule.endswith("/scan") else "manual"


def _subject(decl: Declaration) -> tuple[str, str, str, list[str]]:
    """(kind, key, port, containers): one consignment per declaration, one call per vessel voyage."""
    d = decl.data
    if isinstance(d, ConveyanceReport):
        return "conveyance", f"{d.vessel.imo}/{d.voyage}", d.port_of_call, []
    assert isinstance(d, GoodsDeclaration)
    return "consignment", decl.number, d.port_of_entry, [c.number for c in d.containers]


@dataclass
class PlaceOrder:
    event_id: str
    number: str
    agency: str
    state: str
    rule: str | None
    reason: str
    registry: AgencyRegistry
    scheduler: Scheduler | None = None

    def run(self, tx: Transaction) -> str | None:
        if not claim_processed(tx.conn, CONSUMER, self.event_id, tx.now):
            return None  # handled before: a redelivery
        decl = declarations.load(
            tx.conn, self.number, for_update=True, cache=declarations.data_cache(tx.memo)
        )
        dossier = decl.dossiers.get(self.agency)
        if dossier is None or dossier.category is not Category.INSPECTION or dossier.state != self.state:
            return None  # decided again meanwhile
        kind = _kind(self.state, self.rule, decl.data)
        order = Order(uuid.uuid4().hex, self.number, self.agency, kind, self.reason, tx.now)
        if self._recognised(tx, decl, order):
            return None
        subject_kind, subject, port, containers = _subject(decl)
        task = _open_task(tx.conn, subject)
        if task is None:
            task = Task.start(order, subject_kind, subject, port, decl.org_id, containers)
            new = True
        else:
            task.join(order)
            new = False
        if self.scheduler is not None:
            booked = self.scheduler(tx, task)
            if booked is not None:
                task.schedule(*booked, tx.now)
        save_task(tx, task, new=new)
        _save_order(tx.conn, order, task.id, "joined", None)
        return task.id

    def _recognised(self, tx: Transaction, decl: Declaration, order: Order) -> bool:
        """Settle the order by another's recent result where the agency's rules accept it, and
        release the dossier on it (the inspection is not done twice)."""
        agency = self.registry.get(self.agency)
        if not agency.risk.recognise:
            return False
        from onewindow.risk.engine import accepted_result

        found = accepted_result(tx.conn, tx.now, decl.number, decl.data, self.agency, agency.risk)
        if found is None:
            return False
        _save_order(tx.conn, order, None, "recognised", found["result_id"])
        reason = (
            f"{found['inspector']}'s {found['kind']} of {found['inspected_at'][:10]} is accepted in "
            f"place of this agency's inspection (mutual recognition). / "
            f"采信{found['inspector']}的查验结果（监管互认）。"
        )
        decl.decide(
            agency, "release", reason, f"rule:{self.agency}/mutual-recognition", tx.now, "mutual-recognition"
        )
        declarations.save(tx.conn, decl, declarations.data_cache(tx.memo))
        tx.emit(
            [
                *decl.events,
                ev.InspectionSettledByRecognition(
                    number=decl.number,
                    org_id=decl.org_id,
                    occurred_at=tx.now,
                    agency=self.agency,
                    task_id=None,
                    result_id=found["result_id"],
                    inspector=found["inspector"],
                    kind=found["kind"],
                ),
            ]
        )
        return True


def _save_order(
    conn: sa.Connection, order: Order, task_id: str | None, status: str, result_id: str | None
) -> None:
    conn.execute(
        inspection_orders.insert().values(
            id=order.id,
            task_id=task_id,
            number=order.number,
            agency=order.agency,
            kind=order.kind,
            reason=order.reason,
            status=status,
            result_id=result_id,
            ordered_at=order.at,
        )
    )


def _open_task(conn: sa.Connection, subject: str) -> Task | None:
    t = inspection_tasks.c
    row = conn.execute(
        sa.select(t.id)
        .where(t.subject == subject, t.status.in_([s.value for s in (TaskStatus.OPEN, TaskStatus.SCHEDULED)]))
        .order_by(t.created_at.desc())
        .limit(1)
    ).first()
    return load_task(conn, row.id) if row else None


def load_task(conn: sa.Connection, task_id: str) -> Task:
    t, o = inspection_tasks.c, inspection_orders.c
    row = conn.execute(sa.select(inspection_tasks).where(t.id == task_id)).first()
    if row is None:
        raise NotFound("inspection", "查验任务", task_id)
    orders = [
        Order(r.id, r.number, r.agency, r.kind, r.reason, r.ordered_at)
        for r in conn.execute(sa.select(inspection_orders).where(o.task_id == task_id).order_by(o.ordered_at))
    ]
    from onewindow.declarations.tables import declarations as decl_table

    org = conn.execute(
        sa.select(decl_table.c.org_id).where(decl_table.c.number == orders[0].number)
    ).scalar_one()
    return Task(
        id=row.id,
        subject_kind=row.subject_kind,
        subject=row.subject,
        port=row.port,
        org_id=org,
        containers=list(row.containers),
        status=TaskStatus(row.status),
        orders=orders,
        attendees=list(row.attendees),
        site_id=row.site_id,
        booking_id=row.booking_id,
        scheduled_at=row.scheduled_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        version=row.version,
    )


def save_task(tx: Transaction, task: Task, *, new: bool = False) -> None:
    """Write the task (optimistically: a concurrent change to the same task is a conflict)."""
    values = {
        "status": task.status.value,
        "containers": task.containers,
        "site_id": task.site_id,
        "booking_id": task.booking_id,
        "scheduled_at": task.scheduled_at,
        "attendees": task.attendees,
        "opened_at": task.opened_at,
        "closed_at": task.closed_at,
        "version": task.version + 1,
    }
    t = inspection_tasks.c
    if new:
        tx.conn.execute(
            inspection_tasks.insert().values(
                id=task.id,
                subject_kind=task.subject_kind,
                subject=task.subject,
                port=task.port,
                created_at=tx.now,
                **values,
            )
        )
    else:
        done = tx.conn.execute(
            inspection_tasks.update().where(t.id == task.id, t.version == task.version).values(**values)
        )
        if done.rowcount != 1:
            raise Conflict(
                "inspection_changed",
                "The inspection changed meanwhile; try again.",
                "查验任务已变更，请重试。",
            )
    task.version += 1
    tx.emit(task.events)
    task.events = []


def agencies_with_findings(conn: sa.Connection, task_id: str) -> set[str]:
    r = inspection_results.c
    return {a for (a,) in conn.execute(sa.select(r.agency).where(r.task_id == task_id)) if a}


@dataclass
class FollowBooking:
    """The facilities register moved an inspection's booking (a site closed, hours changed): the
    task follows, and the declarant is told the new time (or that one is being found)."""

    event_id: str
    booking_id: str
    task_id: str
    facility_id: str
    starts_at: datetime | None

    def run(self, tx: Transaction) -> None:
        if not claim_processed(tx.conn, CONSUMER, self.event_id, tx.now):
            return
        try:
            task = load_task(tx.conn, self.task_id)
        except NotFound:
            return
        if task.booking_id != self.booking_id or task.status not in (TaskStatus.OPEN, TaskStatus.SCHEDULED):
            return
        if self.starts_at is None:
            task.site_id, task.booking_id, task.scheduled_at = None, None, None
            task.status = TaskStatus.OPEN
        else:
            task.schedule(self.facility_id, self.booking_id, self.starts_at, tx.now)
        save_task(tx, task)


def order_handler(
    registry: AgencyRegistry, committer: Committer, scheduler: Scheduler | None = None
) -> Handler:
    async def handle(env: Envelope) -> None:
        if env.type == "BookingMoved" and env.body.get("purpose") in ("joint_inspection", "boarding"):
            b = env.body
            starts = datetime.fromisoformat(str(b["starts_at"])) if b.get("starts_at") else None
            await committer.run(
                FollowBooking(
                    env.event_id, str(b["booking_id"]), str(b["reference"]), str(b["facility_id"]), starts
                )
            )
            return
        if env.type != "DossierDecided" or env.number is None or env.agency is None:
            return
        body = env.body
        if body.get("category") != Category.INSPECTION.value or env.agency not in registry:
            return
        await committer.run(
            PlaceOrder(
                env.event_id,
                env.number,
                env.agency,
                str(body["state"]),
                body.get("rule"),
                str(body.get("reason", "")),
                registry,
                scheduler,
            )
        )

    return handle


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "subject_kind": task.subject_kind,
        "subject": task.subject,
        "port": task.port,
        "status": task.status.value,
        "containers": task.containers,
        "agencies": task.agencies,
        "orders": [
            {
                "id": o.id,
                "number": o.number,
                "agency": o.agency,
                "kind": o.kind,
                "reason": o.reason,
                "at": o.at,
            }
            for o in task.orders
        ],
        "site_id": task.site_id,
        "booking_id": task.booking_id,
        "scheduled_at": task.scheduled_at,
        "attendees": task.attendees,
        "opened_at": task.opened_at,
        "closed_at": task.closed_at,
    }


def tasks_of(conn: sa.Connection, number: str) -> Sequence[str]:
    o = inspection_orders.c
    return sorted(
        {r for (r,) in conn.execute(sa.select(o.task_id).where(o.number == number, o.task_id.is_not(None)))}
    )
