"""Reading the credit register: an enterprise's grade with its history, and the grades' names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from . import repository
from .grades import current_policies
from .tables import credit_grade_changes, credit_violations

__all__ = ["enterprise_record", "grade_names"]


def enterprise_record(conn: sa.Connection, uscc: str, today: date) -> dict[str, Any]:
    """What ``GET /v1/credit/enterprises/{uscc}`` answers: the grade under the policy in force on
    ``today``, its history and the violations (NotFound when the enterprise is not registered)."""
    ent, last_year = repository.load_enterprise(conn, uscc)
    policy = current_policies(conn).on(today)
    g, v = credit_grade_changes.c, credit_violations.c
    history = conn.execute(sa.select(credit_grade_changes).where(g.uscc == uscc).order_by(g.id)).all()
    found = conn.execute(sa.select(credit_violations).where(v.uscc == uscc).order_by(v.occurred_on)).all()
    grade = policy.grade(ent.grade) if policy.has_grade(ent.grade) else None
    return {
        "uscc": ent.uscc,
        "name": ent.name,
        "grade": ent.grade.value,
        "grade_zh": grade.name_zh if grade else None,
        "grade_en": grade.name_en if grade else None,
        "is_aeo": grade.is_aeo if grade else False,
        "since": ent.since,
        "customs_broker": ent.customs_broker,
        "declarations_last_year": last_year,
        "inspection_rate": policy.selection_rate(ent.grade) if grade else None,
        "policy": policy.version,
        "history": [dict(h._mapping) for h in history],
        "violations": [_jsonable(dict(x._mapping)) for x in found],
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def grade_names(conn: sa.Connection) -> dict[str, tuple[str, str]]:
    """Every grade code of every policy version, with its (English, Chinese) name; the newest
    version's name wins."""
    names: dict[str, tuple[str, str]] = {}
    for policy in current_policies(conn).versions:
        for grade in policy.grades:
            names[grade.code.value] = (grade.name_en, grade.name_zh)
    return names
