"""The credit rules (企业信用管理): the decisions about an enterprise's grade, pure.

A downgrade ``assess`` finds, a repair ``request_repair`` grants (信用修复), an officer's decision
(``manual_grade``), or a decree change (``carry_over``): each names its rule and its facts in
English and Chinese, as a ``GradeChange`` (or a ``RepairRefusal``) for ``Enterprise.apply``. Every
number comes from the ``CreditPolicy`` passed in; nothing here reads a clock, a file or a database.

Which facts a downgrade weighs: smuggling, penalties and a certified enterprise's violations count
from the day the current grade took effect (``since``): older ones were weighed when that grade
was given, so a repaired enterprise starts afresh and a Decree 251 grade is not judged again under
Decree 282 for the same facts. Unpaid taxes and unreachability count for as long as they last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from onewindow.kernel.errors import Conflict, InvalidInput

from .policy import CreditPolicies, CreditPolicy, GradeCode, ViolationType
from .register import Enterprise, GradeChange, RepairRefusal, Rule, Violation, add_months, problem

__all__ = ["CURABLE", "SYSTEM", "assess", "carry_over", "manual_grade", "request_repair"]

SYSTEM = "system:credit-rules"
"""Who decided a change the rules made on their own."""

CURABLE = frozenset({ViolationType.UNPAID_TAX, ViolationType.UNREACHABLE})
"""Facts that last until cured (``cured_on``): taxes paid, enterprise reachable again."""


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
            start = max(start, add_months(self.today, -self.policy.rules.lookback_months) + timedelta(days=1))
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
        and case.today > add_months(v.occurred_on, months)
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
    earliest = add_months(start, months)
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
            problem(
                "grade",
                "unknown_grade",
                f"is not a grade of policy {policy.version} ({known})",
                "不是现行信用等级",
            )
        )
    if not reason.strip():
        problems.append(
            problem("reason", "required", "every decision needs a reason", "每项决定都须说明理由")
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


# -- how facts and amounts read --------------------------------------------------------------------


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
