"""The register's grades as the risk engine reads them: one dict, reloaded when a grade changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from onewindow.risk.selection import GradePolicy

from .policy import CreditPolicies, GradeCode, load_policies, port_date
from .tables import credit_policies, enterprises

__all__ = ["CreditGrades", "current_policies", "load_grades"]

UNKNOWN = GradeCode.ROUTINE  # an enterprise not in the register is under routine measures


@dataclass(frozen=True)
class CreditGrades:
    grades: dict[str, str]
    policies: CreditPolicies

    def grade_of(self, usccs: Sequence[str], on: datetime) -> GradePolicy:
        """The declaration's grade: the first enterprise's (the consignee or consignor, whose
        goods they are), made worse by any other party on it graded dishonest (a dishonest broker
        or production unit); a routine broker does not take an AEO's facilitation away."""
        policy = self.policies.on(port_date(on))
        grade: GradeCode | None = None
        for uscc in usccs:
            code = GradeCode(self.grades.get(uscc, UNKNOWN))
            if not policy.has_grade(code):
                code = _mapped(self.policies, code, policy.version)
            if grade is None or (code.is_dishonest and code.severity > grade.severity):
                grade = code
        grade = grade or UNKNOWN
        return GradePolicy(grade.value, policy.selection_rate(grade), policy.routine_rate, policy.version)


def _mapped(policies: CreditPolicies, code: GradeCode, version: str) -> GradeCode:
    for p in policies.versions:
        if p.has_grade(code) and p.version != version:
            try:
                return policies.map_grade(code, p.version, version)
            except ValueError:
                continue
    return UNKNOWN


def current_policies(conn: sa.Connection) -> CreditPolicies:
    """The port office's latest edition of the policy, or the one OneWindow ships."""
    c = credit_policies.c
    doc = conn.execute(sa.select(c.document).order_by(c.revision.desc()).limit(1)).scalar()
    return CreditPolicies.from_mapping(doc) if doc is not None else load_policies()


def load_grades(conn: sa.Connection) -> CreditGrades:
    e = enterprises.c
    rows = conn.execute(sa.select(e.uscc, e.grade).where(e.grade != UNKNOWN.value))
    return CreditGrades({u: g for u, g in rows}, current_policies(conn))
