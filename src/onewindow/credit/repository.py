"""Loading and saving the credit register. Never commits: the committer does."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import NotFound

from .model import Enterprise, GradeChange, Rule, VesselRecord, VesselViolation, Violation
from .policy import GradeCode, ViolationType
from .tables import credit_grade_changes, credit_violations, enterprises, vessel_violations, vessels

__all__ = ["load_enterprise", "load_vessel", "save_enterprise", "save_vessel", "violations_of"]


def load_enterprise(conn: sa.Connection, uscc: str) -> tuple[Enterprise, int]:
    """The enterprise and its count of last year's declarations (NotFound if not registered)."""
    e, g = enterprises.c, credit_grade_changes.c
    row = conn.execute(sa.select(enterprises).where(e.uscc == uscc)).first()
    if row is None:
        raise NotFound("enterprise on the credit register", "信用登记企业", uscc)
    history = [
        GradeChange(
            GradeCode(h.grade),
            h.effective_on,
            h.reason,
            h.reason_zh,
            h.changed_by,
            Rule(h.rule),
            h.policy,
            tuple(h.violations),
        )
        for h in conn.execute(sa.select(credit_grade_changes).where(g.uscc == uscc).order_by(g.id))
    ]
    return Enterprise(
        row.uscc,
        row.name,
        GradeCode(row.grade),
        row.since,
        history,
        org_id=row.org_id,
        customs_broker=row.customs_broker,
    ), row.declarations_last_year


def save_enterprise(
    conn: sa.Connection, ent: Enterprise, now: Any, declarations_last_year: int, *, new: bool, saved: int
) -> None:
    """Upsert the enterprise and append the history entries from index ``saved`` on."""
    values = {
        "name": ent.name,
        "grade": ent.grade.value,
        "since": ent.since,
        "org_id": ent.org_id,
        "customs_broker": ent.customs_broker,
        "declarations_last_year": declarations_last_year,
        "updated_at": now,
    }
    if new:
        conn.execute(enterprises.insert().values(uscc=ent.uscc, **values))
    else:
        conn.execute(enterprises.update().where(enterprises.c.uscc == ent.uscc).values(**values))
    previous = ent.history[saved - 1].grade.value if saved > 0 else None
    for change in ent.history[saved:]:
        conn.execute(
            credit_grade_changes.insert().values(
                uscc=ent.uscc,
                grade=change.grade.value,
                previous=previous,
                effective_on=change.at,
                rule=change.rule.value,
                policy=change.policy,
                violations=list(change.violations),
                reason=change.reason,
                reason_zh=change.reason_zh,
                changed_by=change.by,
                changed_at=now,
            )
        )
        previous = change.grade.value


def violations_of(conn: sa.Connection, uscc: str) -> list[Violation]:
    v = credit_violations.c
    return [
        Violation(
            r.id,
            r.uscc,
            ViolationType(r.type),
            r.occurred_on,
            r.amount,
            r.agency,
            r.description,
            r.cured_on,
        )
        for r in conn.execute(sa.select(credit_violations).where(v.uscc == uscc).order_by(v.occurred_on))
    ]


def load_vessel(conn: sa.Connection, imo: str) -> VesselRecord | None:
    row = conn.execute(sa.select(vessels).where(vessels.c.imo == imo)).first()
    if row is None:
        return None
    vv = vessel_violations.c
    found = [
        VesselViolation(r.id, r.imo, ViolationType(r.type), r.occurred_on, r.agency, r.description)
        for r in conn.execute(sa.select(vessel_violations).where(vv.imo == imo).order_by(vv.occurred_on))
    ]
    return VesselRecord(row.imo, row.name, row.flag, found)


def save_vessel(conn: sa.Connection, vessel: VesselRecord, now: Any, *, new: bool, actor: str) -> None:
    values = {"name": vessel.name, "flag": vessel.flag, "updated_at": now}
    if new:
        conn.execute(vessels.insert().values(imo=vessel.imo, **values))
    else:
        conn.execute(vessels.update().where(vessels.c.imo == vessel.imo).values(**values))
    vv = vessel_violations.c
    stored = {r for (r,) in conn.execute(sa.select(vv.id).where(vv.imo == vessel.imo))}
    for v in vessel.violations:
        if v.id not in stored:
            conn.execute(
                vessel_violations.insert().values(
                    id=v.id,
                    imo=v.imo,
                    type=v.type.value,
                    occurred_on=v.occurred_on,
                    agency=v.agency,
                    description=v.description,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
