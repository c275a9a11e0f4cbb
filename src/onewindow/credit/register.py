"""The enterprise credit register (企业信用管理): enterprises, the facts against them, and every
decision about their grade, in order.

An enterprise's grade changes only through a ``GradeChange`` (``rules.py`` decides them);
``Enterprise.apply`` puts one on the register and records an event. The register also publishes
the list of dishonest enterprises (失信企业名单).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.kernel.messages import Event

from .events import CreditGradeChanged, CreditRepairRefused, ViolationRecorded
from .policy import CreditPolicy, GradeCode, ViolationType, port_date

__all__ = [
    "DishonestListing",
    "Enterprise",
    "GradeChange",
    "RepairRefusal",
    "Rule",
    "Violation",
    "add_months",
    "dishonest_list",
    "problem",
]


class Rule(StrEnum):
    """Why a grade changed."""

    REGISTERED = "registered"
    SMUGGLING = "smuggling"
    VIOLATION_RATIO = "violation_ratio"
    UNPAID_TAX = "unpaid_tax"
    UNREACHABLE = "unreachable"
    CERTIFICATION_LOST = "certification_lost"
    REPAIR = "repair"
    MANUAL = "manual"
    DECREE_CHANGE = "decree_change"


# -- facts and decisions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One fact against an enterprise, from any agency.

    ``occurred_on`` is the day of the act; for ``unpaid_tax`` the day the tax fell due, for
    ``unreachable`` the first day the enterprise could not be reached. ``amount_cny`` is the penalty
    (or, for unpaid tax, the tax due). ``cured_on`` is the day an unpaid tax was paid or the
    enterprise was reached again.
    """

    id: str
    uscc: str
    type: ViolationType
    occurred_on: date
    amount_cny: Decimal
    agency: str
    description: str = ""
    cured_on: date | None = None

    def __post_init__(self) -> None:
        problems = _uscc_problems(self.uscc)
        if not self.amount_cny.is_finite() or self.amount_cny < 0:
            problems.append(problem("amount_cny", "amount_invalid", "must be zero or more", "不能为负数"))
        if self.cured_on is not None and self.cured_on < self.occurred_on:
            problems.append(problem("cured_on", "before_occurrence", "is before occurred_on", "早于发生日期"))
        if problems:
            raise InvalidInput(problems)

    def outstanding(self, today: date) -> bool:
        return self.cured_on is None or self.cured_on > today


@dataclass(frozen=True, slots=True)
class GradeChange:
    """A decision about a grade, effective ``at``, made under policy version ``policy``."""

    grade: GradeCode
    at: date
    reason: str
    reason_zh: str
    by: str
    rule: Rule
    policy: str
    violations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RepairRefusal:
    """Why a repair cannot be granted yet; ``earliest_on`` is when the waiting period ends."""

    grade: GradeCode
    at: date
    reasons: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    policy: str
    earliest_on: date | None = None


# -- the register ---------------------------------------------------------------------------------


@dataclass
class Enterprise:
    """An enterprise on the credit register, by its unified social credit code (统一社会信用代码)."""

    uscc: str
    name: str
    grade: GradeCode
    since: date
    history: list[GradeChange] = field(default_factory=list)
    org_id: str | None = None
    customs_broker: bool = False  # 报关企业: the violation-ratio rule has its own thresholds
    events: list[Event] = field(default_factory=list, compare=False)

    @classmethod
    def register(
        cls,
        uscc: str,
        name: str,
        policy: CreditPolicy,
        now: datetime,
        by: str,
        *,
        org_id: str | None = None,
        customs_broker: bool = False,
    ) -> Enterprise:
        """A newly registered enterprise starts under routine measures."""
        if problems := _uscc_problems(uscc):
            raise InvalidInput(problems)
        today = port_date(now)
        enterprise = cls(uscc, name, GradeCode.ROUTINE, today, org_id=org_id, customs_broker=customs_broker)
        change = GradeChange(
            GradeCode.ROUTINE,
            today,
            "Registered with customs: routine measures.",
            "在海关注册登记，适用常规管理措施。",
            by,
            Rule.REGISTERED,
            policy.version,
        )
        enterprise._put(change, None, now)
        return enterprise

    @property
    def policy_version(self) -> str | None:
        """The policy version of the latest decision about this enterprise."""
        return self.history[-1].policy if self.history else None

    def apply(self, decision: GradeChange | RepairRefusal, now: datetime) -> None:
        """Put a decision on the register and record it."""
        if isinstance(decision, RepairRefusal):
            self._record(
                CreditRepairRefused,
                now,
                grade=decision.grade.value,
                reasons=list(decision.reasons),
                reasons_zh=list(decision.reasons_zh),
                earliest_on=decision.earliest_on.isoformat() if decision.earliest_on else None,
                policy=decision.policy,
            )
            return
        if decision.grade == self.grade:
            raise Conflict(
                "grade_unchanged", f"The grade is already {self.grade}.", f"信用等级已是{self.grade}。"
            )
        if decision.at < self.since:
            raise Conflict(
                "grade_change_backdated",
                f"A change effective {decision.at} cannot precede the current grade's {self.since}.",
                f"生效日期 {decision.at} 不能早于现等级的生效日期 {self.since}。",
            )
        self._put(decision, self.grade, now)

    def record_violation(self, violation: Violation, now: datetime) -> None:
        if violation.uscc != self.uscc:
            raise InvalidInput(
                [problem("uscc", "other_enterprise", f"is not {self.uscc}", f"不是 {self.uscc}")]
            )
        self._record(
            ViolationRecorded,
            now,
            violation_id=violation.id,
            type=violation.type.value,
            occurred_on=violation.occurred_on.isoformat(),
            amount_cny=str(violation.amount_cny),
            source_agency=violation.agency,
            description=violation.description,
        )

    def _put(self, change: GradeChange, previous: GradeCode | None, now: datetime) -> None:
        self.grade, self.since = change.grade, change.at
        self.history.append(change)
        self._record(
            CreditGradeChanged,
            now,
            previous=previous.value if previous else None,
            grade=change.grade.value,
            rule=change.rule.value,
            reason=change.reason,
            reason_zh=change.reason_zh,
            decided_by=change.by,
            effective_on=change.at.isoformat(),
            policy=change.policy,
            violations=list(change.violations),
        )

    def _record(self, event_class: type[Event], now: datetime, **fields: Any) -> None:
        fields["uscc"] = self.uscc
        self.events.append(event_class(number=None, org_id=self.org_id, occurred_at=now, **fields))


# -- the public list of dishonest enterprises -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DishonestListing:
    """失信企业名单: one published entry."""

    uscc: str
    name: str
    grade: GradeCode
    grade_zh: str
    grade_en: str
    since: date
    reason: str
    reason_zh: str


def dishonest_list(enterprises: Iterable[Enterprise], policy: CreditPolicy) -> list[DishonestListing]:
    """Enterprises whose current grade is dishonest or seriously dishonest, most recent first."""
    listed = [_listing(e, policy) for e in enterprises if e.grade.is_dishonest]
    return sorted(listed, key=lambda entry: (-entry.since.toordinal(), entry.uscc))


def _listing(enterprise: Enterprise, policy: CreditPolicy) -> DishonestListing:
    grade = policy.grade(enterprise.grade)
    last = enterprise.history[-1] if enterprise.history else None
    return DishonestListing(
        enterprise.uscc,
        enterprise.name,
        grade.code,
        grade.name_zh,
        grade.name_en,
        enterprise.since,
        last.reason if last else "",
        last.reason_zh if last else "",
    )


# -- helpers --------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or that month's last day: 2026-01-31 + 1 → 02-28."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def problem(path: str, code: str, message: str, message_zh: str) -> FieldError:
    """A problem with a field, its messages beginning with the field's path."""
    return FieldError(path, code, f"{path} {message}.", f"{path}{message_zh}。")


def _uscc_problems(uscc: str) -> list[FieldError]:
    if stdnum_uscc.is_valid(uscc):
        return []
    return [
        problem(
            "uscc",
            "uscc_invalid",
            f"'{uscc}' is not a valid unified social credit code",
            "不是有效的统一社会信用代码",
        )
    ]
