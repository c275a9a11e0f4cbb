"""The enterprise credit register (企业信用管理) and vessel compliance (诚信船舶): pure rules.

An enterprise's grade changes only through a ``GradeChange``: a downgrade ``assess`` finds, a
repair ``request_repair`` grants (信用修复), an officer's decision (``manual_grade``), or a decree
change (``carry_over``). Each names its rule and its facts in English and Chinese;
``Enterprise.apply`` puts it on the register and records an event. Every number comes from the
``CreditPolicy`` passed in; nothing here reads a clock, a file or a database.

Which facts a downgrade weighs: smuggling, penalties and a certified enterprise's violations count
from the day the current grade took effect (``since``): older ones were weighed when that grade
was given, so a repaired enterprise starts afresh and a Decree 251 grade is not judged again under
Decree 282 for the same facts. Unpaid taxes and unreachability count for as long as they last.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stdnum import imo as stdnum_imo
from stdnum.cn import uscc as stdnum_uscc

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.kernel.messages import Event

from .policy import CreditPolicies, CreditPolicy, GradeCode, ViolationType, port_date

__all__ = [
    "SYSTEM",
    "Compliance",
    "CreditGradeChanged",
    "CreditRepairRefused",
    "DishonestListing",
    "Enterprise",
    "GradeChange",
    "RepairRefusal",
    "Rule",
    "VesselRecord",
    "VesselStatus",
    "VesselViolation",
    "VesselViolationRecorded",
    "Violation",
    "ViolationRecorded",
    "assess",
    "carry_over",
    "dishonest_list",
    "manual_grade",
    "request_repair",
]

SYSTEM = "system:credit-rules"
"""Who decided a change the rules made on their own."""

CURABLE = frozenset({ViolationType.UNPAID_TAX, ViolationType.UNREACHABLE})
"""Facts that last until cured (``cured_on``): taxes paid, enterprise reachable again."""


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


# -- events ---------------------------------------------------------------------------------------
# Credit events concern every agency (MISSION.md §3, 信息共享), hence agency=None; dates and amounts
# travel as strings so that every body is plain JSON.


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
            problems.append(_problem("amount_cny", "amount_invalid", "must be zero or more", "不能为负数"))
        if self.cured_on is not None and self.cured_on < self.occurred_on:
            problems.append(
                _problem("cured_on", "before_occurrence", "is before occurred_on", "早于发生日期")
            )
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
                [_problem("uscc", "other_enterprise", f"is not {self.uscc}", f"不是 {self.uscc}")]
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


# -- downgrades -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Case:
    """What the downgrade rules look at: one enterprise's violations up to today."""

    enterprise: Enterprise
    violations: tuple[Violation, ...]
    declarations_last_year: int
    today: date
    policy: CreditPolicy

    def since_grade(self, types: Iterable[ViolationType], lookback: bool = True) -> list[Violation]:
        """Violations of ``types`` not yet weighed (and within the last year).

        A fact is weighed by a decision about the grade: a downgrade, a repair, an officer's
        grading after an audit. Registration and a decree's carry-over weigh nothing, so a
        violation found after an enterprise was registered counts even if it happened before."""
        start = _weighed_since(self.enterprise)
        if lookback:
            start = max(
                start, _add_months(self.today, -self.policy.rules.lookback_months) + timedelta(days=1)
            )
        wanted = frozenset(types)
        return [v for v in self.violations if v.type in wanted and v.occurred_on >= start]


def _weighed_since(enterprise: Enterprise) -> date:
    decisions = [c.at for c in enterprise.history if c.rule not in (Rule.REGISTERED, Rule.DECREE_CHANGE)]
    return max(decisions, default=date.min)


@dataclass(frozen=True, slots=True)
class _Finding:
    rule: Rule
    grade: GradeCode
    reason: str
    reason_zh: str
    violations: Sequence[Violation]


def assess(
    enterprise: Enterprise,
    violations: Iterable[Violation],
    declarations_last_year: int,
    today: date,
    policy: CreditPolicy,
    by: str = SYSTEM,
) -> GradeChange | None:
    """The downgrade the rules call for on ``today``, if any (the most severe; never an upgrade).

    ``declarations_last_year`` counts the enterprise's declarations, entry lists and manifests of
    the previous calendar year; ``policy`` is the one in force today, and must know the current
    grade (map it with ``carry_over`` first at a decree change).
    """
    if declarations_last_year < 0:
        raise ValueError("declarations_last_year cannot be negative")
    current = policy.grade(enterprise.grade)
    own = tuple(v for v in violations if v.uscc == enterprise.uscc and v.occurred_on <= today)
    case = _Case(enterprise, own, declarations_last_year, today, policy)
    worse = [f for check in _CHECKS if (f := check(case)) and f.grade.severity > current.code.severity]
    if not worse:
        return None
    finding = max(worse, key=lambda f: f.grade.severity)  # the first of the most severe
    new = policy.grade(finding.grade)
    return GradeChange(
        finding.grade,
        today,
        f"[{finding.rule}] {finding.reason} {current.name_en} → {new.name_en}.",
        f"【{_RULES_ZH[finding.rule]}】{finding.reason_zh}由{current.name_zh}调整为{new.name_zh}。",
        by,
        finding.rule,
        policy.version,
        tuple(v.id for v in finding.violations),
    )


def _smuggling(case: _Case) -> _Finding | None:
    found = case.since_grade([ViolationType.SMUGGLING])
    if not found:
        return None
    return _Finding(
        Rule.SMUGGLING,
        case.policy.rules.smuggling_grade,
        f"Smuggling: {_facts(found)}.",
        f"走私行为：{_facts_zh(found)}。",
        found,
    )


def _violation_ratio(case: _Case) -> _Finding | None:
    rules = case.policy.rules
    limit = rules.broker_threshold if case.enterprise.customs_broker else rules.enterprise_threshold
    found = case.since_grade(rules.ratio_types)
    total = sum((v.amount_cny for v in found), Decimal(0))
    allowed = limit.max_ratio * case.declarations_last_year
    if not found or len(found) <= allowed or total <= limit.max_penalties_cny:
        return None
    permille, n = _permille(limit.max_ratio), case.declarations_last_year
    return _Finding(
        Rule.VIOLATION_RATIO,
        rules.ratio_grade,
        f"{len(found)} violations in {rules.lookback_months} months, above {permille} of last year's {n} "
        f"declarations, with penalties of {_cny(total)}, above {_cny(limit.max_penalties_cny)}: "
        f"{_facts(found)}.",
        f"{rules.lookback_months}个月内违规{len(found)}次，超过上年度{n}票的{permille}，"
        f"且罚款累计{_cny_zh(total)}，超过{_cny_zh(limit.max_penalties_cny)}：{_facts_zh(found)}。",
        found,
    )


def _unpaid_tax(case: _Case) -> _Finding | None:
    months = case.policy.rules.unpaid_tax_months
    found = [
        v
        for v in case.violations
        if v.type == ViolationType.UNPAID_TAX
        and v.outstanding(case.today)
        and case.today > _add_months(v.occurred_on, months)
    ]
    if not found:
        return None
    return _Finding(
        Rule.UNPAID_TAX,
        case.policy.rules.unpaid_tax_grade,
        f"Taxes unpaid more than {months} months after they fell due: {_facts(found)}.",
        f"税款自缴纳期限届满之日起超过{months}个月仍未缴纳：{_facts_zh(found)}。",
        found,
    )


def _unreachable(case: _Case) -> _Finding | None:
    days = case.policy.rules.unreachable_days
    found = [
        v
        for v in case.violations
        if v.type == ViolationType.UNREACHABLE
        and v.outstanding(case.today)
        and (case.today - v.occurred_on).days > days
    ]
    if not found:
        return None
    return _Finding(
        Rule.UNREACHABLE,
        case.policy.rules.unreachable_grade,
        f"Unreachable for more than {days} days: {_facts(found)}.",
        f"超过{days}日无法取得联系：{_facts_zh(found)}。",
        found,
    )


def _certification_lost(case: _Case) -> _Finding | None:
    if not case.policy.grade(case.enterprise.grade).is_aeo:
        return None
    found = case.since_grade(ViolationType, lookback=False)
    if not found:
        return None
    return _Finding(
        Rule.CERTIFICATION_LOST,
        case.policy.rules.certification_lost_grade,
        f"A certified enterprise with violations since its certification on {case.enterprise.since}: "
        f"{_facts(found)}.",
        f"认证企业自{case.enterprise.since}认证以来有违规记录：{_facts_zh(found)}。",
        found,
    )


_CHECKS: tuple[Callable[[_Case], _Finding | None], ...] = (
    _smuggling,
    _violation_ratio,
    _unpaid_tax,
    _unreachable,
    _certification_lost,
)

_RULES_ZH = {
    Rule.REGISTERED: "注册登记",
    Rule.SMUGGLING: "走私",
    Rule.VIOLATION_RATIO: "违规比例",
    Rule.UNPAID_TAX: "拖欠税款",
    Rule.UNREACHABLE: "无法联系",
    Rule.CERTIFICATION_LOST: "认证企业违规",
    Rule.REPAIR: "信用修复",
    Rule.MANUAL: "海关认定",
    Rule.DECREE_CHANGE: "规章更替",
}


# -- repair, officers' decisions, decree changes --------------------------------------------------


def request_repair(
    enterprise: Enterprise,
    violations: Iterable[Violation],
    today: date,
    policy: CreditPolicy,
    by: str = SYSTEM,
) -> GradeChange | RepairRefusal:
    """信用修复: back to routine once every cause is cured (taxes paid, reachable again) and the
    policy's period has passed since the later of the grading and the last violation."""
    months = policy.repair_period(enterprise.grade) if policy.has_grade(enterprise.grade) else None
    if months is None:
        return RepairRefusal(
            enterprise.grade,
            today,
            (f"Only a dishonest grade can be repaired; the grade is {enterprise.grade}.",),
            (f"只有失信等级可以申请信用修复，现等级为{enterprise.grade}。",),
            policy.version,
        )
    own = [v for v in violations if v.uscc == enterprise.uscc and v.occurred_on <= today]
    uncured = [v for v in own if v.type in CURABLE and v.outstanding(today)]
    start = max([enterprise.since, *(v.occurred_on for v in own)])
    earliest = _add_months(start, months)
    reasons: list[tuple[str, str]] = []
    if uncured:
        reasons.append((f"Not cured yet: {_facts(uncured)}.", f"尚未纠正：{_facts_zh(uncured)}。"))
    if today < earliest:
        reasons.append(
            (
                f"{months} months must pass from {start} (the later of the grading and the last violation): "
                f"not before {earliest}.",
                f"须自{start}（认定日与最后一次违规日中较晚者）起满{months}个月，即不早于{earliest}。",
            )
        )
    if reasons:
        return RepairRefusal(
            enterprise.grade,
            today,
            tuple(en for en, _ in reasons),
            tuple(zh for _, zh in reasons),
            policy.version,
            earliest if today < earliest else None,
        )
    current, routine = policy.grade(enterprise.grade), policy.grade(GradeCode.ROUTINE)
    return GradeChange(
        GradeCode.ROUTINE,
        today,
        f"[repair] Causes cured and {months} months passed since {start}. "
        f"{current.name_en} → {routine.name_en}.",
        f"【信用修复】失信原因已纠正，且自{start}起已满{months}个月。由{current.name_zh}调整为{routine.name_zh}。",
        by,
        Rule.REPAIR,
        policy.version,
    )


def manual_grade(
    enterprise: Enterprise,
    grade: str,
    reason: str,
    by: str,
    at: date,
    policy: CreditPolicy,
    reason_zh: str | None = None,
) -> GradeChange:
    """An officer's decision, such as certification after an audit (认证) or a dishonest finding
    on grounds the rules do not cover; the grade must be one of the policy's."""
    problems = []
    if not policy.has_grade(grade):
        known = ", ".join(g.code for g in policy.grades)
        problems.append(
            _problem(
                "grade",
                "unknown_grade",
                f"is not a grade of policy {policy.version} ({known})",
                "不是现行信用等级",
            )
        )
    if not reason.strip():
        problems.append(
            _problem("reason", "required", "every decision needs a reason", "每项决定都须说明理由")
        )
    if problems:
        raise InvalidInput(problems)
    if grade == enterprise.grade:
        raise Conflict("grade_unchanged", f"The grade is already {grade}.", f"信用等级已是{grade}。")
    return GradeChange(GradeCode(grade), at, reason, reason_zh or reason, by, Rule.MANUAL, policy.version)


def carry_over(
    enterprise: Enterprise, policies: CreditPolicies, to: CreditPolicy, today: date
) -> GradeChange | None:
    """At a decree change: the grade the enterprise's grade becomes under ``to``; None if it stays."""
    grade = policies.map_grade(enterprise.grade, enterprise.policy_version or to.version, to.version)
    if grade == enterprise.grade:
        return None
    return GradeChange(
        grade,
        today,
        f"[decree_change] {enterprise.grade} under {enterprise.policy_version} "
        f"becomes {grade} under {to.version}.",
        f"【规章更替】{enterprise.policy_version}下的{enterprise.grade}对应{to.version}下的{grade}。",
        SYSTEM,
        Rule.DECREE_CHANGE,
        to.version,
    )


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


# -- vessels (诚信船舶) -----------------------------------------------------------------------------


class Compliance(StrEnum):
    COMPLIANT = "compliant"
    WATCH = "watch"
    NON_COMPLIANT = "non_compliant"


@dataclass(frozen=True, slots=True)
class VesselViolation:
    id: str
    imo: str
    type: ViolationType
    occurred_on: date
    agency: str
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "imo", _imo(self.imo))


@dataclass(frozen=True, slots=True)
class VesselStatus:
    imo: str
    status: Compliance
    window_from: date
    violations: tuple[str, ...]
    reason: str
    reason_zh: str


@dataclass
class VesselRecord:
    """A vessel by its IMO number (seven digits, check digit verified) and the violations against it."""

    imo: str
    name: str
    flag: str | None = None
    violations: list[VesselViolation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        self.imo = _imo(self.imo)

    def record_violation(self, violation: VesselViolation, now: datetime) -> None:
        if violation.imo != self.imo:
            raise InvalidInput(
                [_problem("imo", "other_vessel", f"is not IMO {self.imo}", f"不是 IMO {self.imo}")]
            )
        self.violations.append(violation)
        self.events.append(
            VesselViolationRecorded(
                number=None,
                org_id=None,
                occurred_at=now,
                imo=self.imo,
                violation_id=violation.id,
                type=violation.type.value,
                occurred_on=violation.occurred_on.isoformat(),
                source_agency=violation.agency,
                description=violation.description,
            )
        )

    def compliance(self, today: date, policy: CreditPolicy) -> VesselStatus:
        """Compliant, on watch, or non-compliant, from the violations of the policy's window."""
        limits = policy.vessels
        start = _add_months(today, -limits.window_months) + timedelta(days=1)
        recent = [v for v in self.violations if start <= v.occurred_on <= today]
        serious = [v for v in recent if v.type in limits.serious_types]
        if serious or len(recent) >= limits.non_compliant_at:
            status = Compliance.NON_COMPLIANT
        else:
            status = Compliance.WATCH if len(recent) >= limits.watch_at else Compliance.COMPLIANT
        extra, extra_zh = (", smuggling among them", "，其中有走私") if serious else ("", "")
        return VesselStatus(
            self.imo,
            status,
            start,
            tuple(v.id for v in recent),
            f"{len(recent)} violations since {start}{extra}.",
            f"自{start}以来违规{len(recent)}次{extra_zh}。",
        )


# -- helpers --------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or that month's last day: 2026-01-31 + 1 → 02-28."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _facts(violations: Sequence[Violation]) -> str:
    return "; ".join(
        f"{v.id} on {v.occurred_on}" + (f" ({_cny(v.amount_cny)})" if v.amount_cny else "")
        for v in violations
    )


def _facts_zh(violations: Sequence[Violation]) -> str:
    return "；".join(
        f"{v.id}（{v.occurred_on}" + (f"，{_cny_zh(v.amount_cny)}" if v.amount_cny else "") + "）"
        for v in violations
    )


def _cny(amount: Decimal) -> str:
    return f"CNY {amount:,.2f}"


def _cny_zh(amount: Decimal) -> str:
    return f"人民币{amount:,.2f}元"


def _permille(ratio: Decimal) -> str:
    return f"{(ratio * 1000).normalize():f}‰"


def _problem(path: str, code: str, message: str, message_zh: str) -> FieldError:
    return FieldError(path, code, f"{path} {message}.", f"{path}{message_zh}。")


def _uscc_problems(uscc: str) -> list[FieldError]:
    if stdnum_uscc.is_valid(uscc):
        return []
    return [
        _problem(
            "uscc",
            "uscc_invalid",
            f"'{uscc}' is not a valid unified social credit code",
            "不是有效的统一社会信用代码",
        )
    ]


def _imo(number: str) -> str:
    if not stdnum_imo.is_valid(number):
        raise InvalidInput(
            [_problem("imo", "imo_invalid", f"'{number}' is not a valid IMO number", "不是有效的IMO编号")]
        )
    return str(stdnum_imo.compact(number))
