"""Reading the inspection area: a declaration's joint inspections as the caller may see them,
their scans with every agency's annotations, and the results register.

The rules are the API's (``inspection/api.py``): officers of an agency with an order on a task and
the port office see the task; the declarant of its declarations sees the appointment but never the
scans; officers, the port office and administrators read every result, an accredited body its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import NotFound

from .model import Task
from .tables import inspection_results, scan_annotations, scan_records
from .tasks import load_task, task_view, tasks_of

__all__ = ["declaration_tasks", "results", "scan", "scans", "visible_task"]


def visible_task(conn: sa.Connection, task_id: str, who: Principal, *, officers_only: bool = False) -> Task:
    """The task if ``who`` may see it (``officers_only``: its scans), else NotFound."""
    task = load_task(conn, task_id)
    if who.role in (Role.PORT_OFFICE, Role.ADMIN):
        return task
    if who.role is Role.OFFICER and who.agency in task.agencies:
        return task
    if not officers_only and who.role is Role.DECLARANT and who.org_id == task.org_id:
        return task
    raise NotFound("inspection", "查验任务", task_id)


def declaration_tasks(conn: sa.Connection, number: str, who: Principal) -> list[dict[str, Any]]:
    """The joint inspections of a declaration that ``who`` may see (the caller must be allowed to
    see the declaration), each with its findings and, for officers, its scans."""
    out = []
    for task_id in tasks_of(conn, number):
        try:
            task = visible_task(conn, task_id, who)
        except NotFound:
            continue  # another agency's own inspection of the same goods
        view = task_view(task)
        if who.role is not Role.DECLARANT:
            r = inspection_results.c
            view["results"] = _rows(
                conn, sa.select(inspection_results).where(r.task_id == task_id).order_by(r.recorded_at)
            )
            view["scans"] = scans(conn, task_id)
        out.append(view)
    return out


def scans(conn: sa.Connection, task_id: str) -> list[dict[str, Any]]:
    """The task's scans, oldest first, each with its annotations (oldest first)."""
    s, a = scan_records.c, scan_annotations.c
    found = _rows(conn, sa.select(scan_records).where(s.task_id == task_id).order_by(s.taken_at))
    notes = _rows(
        conn,
        sa.select(scan_annotations).where(a.scan_id.in_([x["id"] for x in found])).order_by(a.created_at),
    )
    for x in found:
        x["annotations"] = [n for n in notes if n["scan_id"] == x["id"]]
    return found


def scan(conn: sa.Connection, task_id: str, scan_id: str, who: Principal) -> dict[str, Any]:
    """One scan record of a task whose scans ``who`` may see, with its annotations."""
    visible_task(conn, task_id, who, officers_only=True)
    found = [x for x in scans(conn, task_id) if x["id"] == scan_id]
    if not found:
        raise NotFound("scan", "机检图像", scan_id)
    return found[0]


def results(
    conn: sa.Connection,
    who: Principal,
    number: str | None = None,
    containers: Sequence[str] = (),
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Inspection results, newest first, about a declaration or any of ``containers``."""
    who.require(Role.OFFICER, Role.PORT_OFFICE, Role.INSPECTOR, Role.ADMIN)
    r = inspection_results.c
    about = []
    if number:
        about.append(r.number == number)
    if containers:
        about.append(r.container.in_([c.upper() for c in containers]))
    q = sa.select(inspection_results).order_by(r.inspected_at.desc()).limit(limit)
    if about:
        q = q.where(sa.or_(*about))
    if who.role is Role.INSPECTOR:
        q = q.where(r.inspector_org == who.org_id)
    return _rows(conn, q)


def _rows(conn: sa.Connection, q: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(q)]
