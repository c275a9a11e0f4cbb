"""Enterprise credit (MISSION.md §4): the dated policy, the downgrade rules at their boundaries,
credit repair, officers' decisions, the public dishonest list, and vessel compliance.

Each test builds an enterprise and its violations, asks the pure rules for a decision, and looks at
the decision and at the events the register recorded.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import orjson
import pytest
from stdnum import imo as stdnum_imo
from stdnum.cn import uscc as stdnum_uscc

from onewindow.credit import (
    Compliance,
    CreditGradeChanged,
    CreditPolicies,
    CreditPolicy,
    CreditRepairRefused,
    Enterprise,
    GradeChange,
    GradeCode,
    RepairRefusal,
    Rule,
    VesselRecord,
    VesselViolation,
    VesselViolationRecorded,
    Violation,
    ViolationRecorded,
    ViolationType,
    assess,
    carry_over,
    dishonest_list,
    load_policies,
    manual_grade,
    policy_on,
    port_date,
    request_repair,
)
from onewindow.kernel.errors import Conflict, InvalidInput

POLICIES = load_policies()
DECREE_251 = POLICIES.version("251")
DECREE_282 = POLICIES.version("282")
NOW = datetime(2026, 9, 15, 2, 0, tzinfo=UTC)
OFFICER = "officer-customs-3301"

_ids = itertools.count(1)


def uscc(seed: int) -> str:
    body = f"91340200{seed:09d}"
    return body + str(stdnum_uscc.calc_check_digit(body))


def imo(seed: int) -> str:
    body = f"{907470 + seed:06d}"
    return body + str(stdnum_imo.calc_check_digit(body))


JIANGHUAI = uscc(1)


def enterprise(
    grade: GradeCode = GradeCode.ROUTINE,
    since: date = date(2020, 1, 1),
    policy: CreditPolicy = DECREE_282,
    *,
    code: str = JIANGHUAI,
    customs_broker: bool = False,
) -> Enterprise:
    """An enterprise on the register whose current grade took effect on ``since``."""
    change = GradeChange(grade, since, "given", "认定", OFFICER, Rule.MANUAL, policy.version)
    return Enterprise(code, "安徽江淮进出口有限公司", grade, since, [change], customs_broker=customs_broker)


def violation(
    kind: ViolationType,
    on: date,
    amount: str = "0",
    *,
    cured_on: date | None = None,
    code: str = JIANGHUAI,
) -> Violation:
    return Violation(f"V{next(_ids)}", code, kind, on, Decimal(amount), "customs", "", cured_on)


def penalties(n: int, on: date, total: str) -> list[Violation]:
    """``n`` penalised breaches of customs rules on ``on``, the first carrying the whole ``total``."""
    return [violation(ViolationType.CUSTOMS_VIOLATION, on, total if i == 0 else "0") for i in range(n)]


# -- the policy, dated and versioned --------------------------------------------------------------


def test_decree_251_is_in_force_on_31_march_2026_and_decree_282_from_1_april() -> None:
    assert policy_on(date(2026, 3, 31)).version == "251"
    assert policy_on(date(2026, 4, 1)).version == "282"
    assert policy_on(date(2021, 11, 1)).version == "251"


def test_no_policy_is_in_force_before_decree_251() -> None:
    with pytest.raises(LookupError, match="2021-10-31"):
        policy_on(date(2021, 10, 31))


def test_the_policy_changes_at_midnight_at_the_port_not_in_utc() -> None:
    assert port_date(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == date(2026, 3, 31)
    assert port_date(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)) == date(2026, 4, 1)
    with pytest.raises(ValueError, match="aware"):
        port_date(datetime(2026, 4, 1))


def test_decree_282_has_five_grades_both_certified_ones_aeo() -> None:
    assert [g.code for g in DECREE_282.grades] == list(GradeCode)
    assert {g.code for g in DECREE_282.grades if g.is_aeo} == {
        GradeCode.ADVANCED_CERTIFIED,
        GradeCode.CERTIFIED,
    }
    assert [g.code for g in DECREE_251.grades] == ["advanced_certified", "routine", "dishonest"]
    assert DECREE_251.grade("dishonest").name_zh == "失信企业"


@pytest.mark.parametrize("policy", [DECREE_251, DECREE_282], ids=lambda p: p.version)
@pytest.mark.parametrize("routine_rate", [None, 0.01, 0.0244, 0.3, 1.0])
def test_dishonest_is_inspected_at_least_80_percent_and_advanced_below_a_fifth_of_routine(
    policy: CreditPolicy, routine_rate: float | None
) -> None:
    routine = policy.selection_rate("routine", routine_rate)

    assert policy.selection_rate("dishonest", routine_rate) >= 0.8
    assert policy.selection_rate("advanced_certified", routine_rate) < 0.2 * routine
    assert routine == (policy.routine_rate if routine_rate is None else routine_rate)
    if policy.has_grade("seriously_dishonest"):
        assert policy.selection_rate("seriously_dishonest", routine_rate) >= 0.8


def test_rates_decree_282_does_not_give_are_carried_over_from_the_nearest_grade_and_marked() -> None:
    certified, seriously = DECREE_282.grade("certified"), DECREE_282.grade("seriously_dishonest")

    assert certified.assumption and certified.note
    assert seriously.assumption and seriously.note
    assert DECREE_282.selection_rate("certified") == DECREE_282.selection_rate("routine")
    assert DECREE_282.selection_rate("seriously_dishonest") == DECREE_282.selection_rate("dishonest")
    assert {"grades.certified", "grades.seriously_dishonest"} <= set(DECREE_282.assumptions)
    assert not DECREE_251.grade("advanced_certified").assumption
    assert not DECREE_251.grade("dishonest").assumption


def test_the_routine_rate_and_the_thresholds_are_configuration() -> None:
    assert DECREE_251.routine_rate == pytest.approx(0.0244)
    assert DECREE_251.rules.enterprise_threshold.max_ratio == Decimal("0.001")
    assert DECREE_251.rules.enterprise_threshold.max_penalties_cny == Decimal(1_000_000)
    assert DECREE_282.repair_period("seriously_dishonest") == 24
    assert DECREE_282.repair_period("routine") is None


@pytest.mark.parametrize("code", ["advanced_certified", "routine", "dishonest"])
def test_a_decree_251_grade_keeps_its_code_under_decree_282(code: str) -> None:
    assert POLICIES.map_grade(code, "251", "282") == code
    assert POLICIES.map_grade(code, "251", "251") == code


def test_grades_map_forward_only_and_only_known_grades() -> None:
    with pytest.raises(ValueError, match="forward"):
        POLICIES.map_grade("dishonest", "282", "251")
    with pytest.raises(ValueError, match="not a grade of credit policy 251"):
        POLICIES.map_grade("certified", "251", "282")


def shipped() -> dict[str, Any]:
    text = resources.files("onewindow.credit").joinpath("data/policies.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def edited(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(shipped())
    change(doc)
    return doc


def test_a_decree_change_that_renames_a_grade_moves_the_enterprise_with_it() -> None:
    def harsher(doc: dict[str, Any]) -> None:
        doc["versions"][1]["maps_from"]["grades"]["dishonest"] = "seriously_dishonest"

    policies = CreditPolicies.from_mapping(edited(harsher))
    company = enterprise(GradeCode.DISHONEST, date(2025, 5, 1), policies.version("251"))

    change = carry_over(company, policies, policies.version("282"), date(2026, 4, 1))

    assert change is not None
    assert (change.grade, change.rule, change.policy) == ("seriously_dishonest", Rule.DECREE_CHANGE, "282")
    assert (
        carry_over(enterprise(GradeCode.DISHONEST, policy=DECREE_251), POLICIES, DECREE_282, NOW.date())
        is None
    )


def test_the_shipped_policy_reads_back_the_same() -> None:
    assert CreditPolicies.from_mapping(shipped()) == POLICIES


def _set(path: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("versions/1/grades/dishonest/min_rate", 1.5),
            "versions[1].grades.dishonest.min_rate: 1.5 is not a rate",
        ),
        (_set("versions/0/routine_rate/value", -0.01), "versions[0].routine_rate.value: -0.01 is not a rate"),
        (
            _set("versions/1/grades/advanced_certified/multiplier", "0.1"),
            "advanced_certified.multiplier: expected a",
        ),
        (
            _set("versions/0/grades/routine/multiplier", 0.5),
            "versions[0].grades.routine.multiplier: must be 1",
        ),
        (
            _set("versions/1/valid_from", "2026-03-01"),
            "versions[1].valid_from: 2026-03-01 overlaps version 251",
        ),
        (_set("versions/0/valid_to", None), "versions[1].valid_from: 2026-04-01 overlaps version 251"),
        (_set("versions/0/valid_to", "2021-01-01"), "versions[0].valid_to: 2021-01-01 is before valid_from"),
        (
            _set("versions/1/grades/excellent", {}),
            "versions[1].grades.excellent: unknown grade code 'excellent'",
        ),
        (
            _set("versions/0/rules/smuggling/grade", "seriously_dishonest"),
            "versions[0].rules.smuggling.grade: grade",
        ),
        (
            _set("versions/1/rules/unpaid_tax/grade", "blacklisted"),
            "versions[1].rules.unpaid_tax.grade: unknown",
        ),
        (
            _set("versions/1/grades/dishonest/min_rte", 0.9),
            "versions[1].grades.dishonest.min_rte: unknown key",
        ),
        (
            _set("versions/1/maps_from/grades/dishonest", _DELETE),
            "versions[1].maps_from.grades: grade 'dishonest'",
        ),
        (
            _set("versions/1/maps_from/grades/certified", "certified"),
            "versions[1].maps_from.grades.certified: not",
        ),
        (
            _set("versions/1/rules/violation_ratio/enterprise/max_ratio", "2"),
            "enterprise.max_ratio: 2 is not a rate",
        ),
        (
            _set("versions/1/repair/seriously_dishonest/min_months", -1),
            "repair.seriously_dishonest.min_months: ",
        ),
        (
            _set("versions/0/repair/seriously_dishonest", {"min_months": 24}),
            "versions[0].repair.seriously_dishonest",
        ),
        (
            _set("versions/1/vessels/serious_types", ["piracy"]),
            "versions[1].vessels.serious_types[0]: unknown",
        ),
        (
            _set("versions/1/grades/routine/assumption", "yes"),
            "versions[1].grades.routine.assumption: expected",
        ),
        (_set("versions/1/version", "251"), "versions[1].version: version '251' appears twice"),
    ],
)
def test_a_bad_edit_of_the_policy_is_rejected_naming_its_path(change: Any, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        CreditPolicies.from_mapping(edited(change))

    assert message in str(exc.value)
    assert str(exc.value).startswith("versions["), str(exc.value)


# -- downgrades -----------------------------------------------------------------------------------


def test_smuggling_makes_an_enterprise_dishonest_under_decree_251() -> None:
    company = enterprise(policy=DECREE_251)
    smuggled = violation(ViolationType.SMUGGLING, date(2025, 3, 2), "250000")

    change = assess(company, [smuggled], 5000, date(2025, 3, 10), DECREE_251)

    assert change is not None
    assert (change.grade, change.rule, change.violations) == ("dishonest", Rule.SMUGGLING, (smuggled.id,))
    assert (
        "[smuggling]" in change.reason and smuggled.id in change.reason and "CNY 250,000.00" in change.reason
    )
    assert "【走私】" in change.reason_zh and "失信企业" in change.reason_zh


def test_smuggling_makes_an_enterprise_seriously_dishonest_under_decree_282() -> None:
    change = assess(
        enterprise(), [violation(ViolationType.SMUGGLING, date(2026, 9, 1))], 5000, NOW.date(), DECREE_282
    )

    assert change is not None
    assert change.grade == "seriously_dishonest"


def test_facts_before_the_current_grade_took_effect_were_already_weighed() -> None:
    company = enterprise(since=date(2026, 9, 2))

    assert (
        assess(company, [violation(ViolationType.SMUGGLING, date(2026, 9, 1))], 0, NOW.date(), DECREE_282)
        is None
    )


def test_a_violation_found_after_registration_counts_even_if_it_happened_before() -> None:
    registered = Enterprise.register(JIANGHUAI, "安徽江淮进出口有限公司", DECREE_282, NOW, OFFICER)
    earlier = violation(ViolationType.SMUGGLING, NOW.date() - timedelta(days=40))

    change = assess(registered, [earlier], 0, NOW.date(), DECREE_282)

    assert change is not None and change.grade == "seriously_dishonest"


def test_violations_above_one_permille_with_large_penalties_make_an_enterprise_dishonest() -> None:
    today = NOW.date()

    at_limit = assess(enterprise(), penalties(2, date(2026, 6, 1), "1000001"), 2000, today, DECREE_282)
    above = assess(enterprise(), penalties(3, date(2026, 6, 1), "1000001"), 2000, today, DECREE_282)

    assert at_limit is None  # 2 of 2,000 is 1‰, not above it
    assert above is not None
    assert (above.grade, above.rule, len(above.violations)) == ("dishonest", Rule.VIOLATION_RATIO, 3)
    assert "above 1‰ of last year's 2000 declarations" in above.reason
    assert "超过上年度2000票的1‰" in above.reason_zh


def test_many_violations_with_small_penalties_do_not_make_an_enterprise_dishonest() -> None:
    today = NOW.date()

    assert assess(enterprise(), penalties(5, date(2026, 6, 1), "1000000"), 2000, today, DECREE_282) is None
    assert (
        assess(enterprise(), penalties(5, date(2026, 6, 1), "1000000.01"), 2000, today, DECREE_282)
        is not None
    )


def test_only_violations_of_the_last_twelve_months_count() -> None:
    today = date(2026, 9, 15)
    older = [violation(ViolationType.CUSTOMS_VIOLATION, date(2025, 9, 15), "1000001")]
    within = [violation(ViolationType.CUSTOMS_VIOLATION, date(2025, 9, 16), "1000001")]
    recent = penalties(2, date(2026, 6, 1), "0")

    assert assess(enterprise(), older + recent, 2000, today, DECREE_282) is None
    assert assess(enterprise(), within + recent, 2000, today, DECREE_282) is not None


def test_without_last_years_declarations_large_penalties_alone_decide() -> None:
    assert assess(enterprise(), penalties(1, date(2026, 6, 1), "1000000"), 0, NOW.date(), DECREE_282) is None
    assert (
        assess(enterprise(), penalties(1, date(2026, 6, 1), "1000001"), 0, NOW.date(), DECREE_282) is not None
    )


def test_a_customs_broker_has_its_own_lower_thresholds() -> None:
    breaches = penalties(2, date(2026, 6, 1), "300001")

    assert assess(enterprise(customs_broker=True), breaches, 2000, NOW.date(), DECREE_282) is not None
    assert assess(enterprise(), breaches, 2000, NOW.date(), DECREE_282) is None


def test_taxes_unpaid_for_more_than_three_months_make_an_enterprise_dishonest() -> None:
    unpaid = violation(ViolationType.UNPAID_TAX, date(2026, 5, 15), "84000")

    assert assess(enterprise(), [unpaid], 100, date(2026, 8, 15), DECREE_282) is None
    change = assess(enterprise(), [unpaid], 100, date(2026, 8, 16), DECREE_282)
    assert change is not None
    assert (change.grade, change.rule) == ("dishonest", Rule.UNPAID_TAX)
    assert "more than 3 months" in change.reason and "超过3个月" in change.reason_zh


def test_taxes_paid_before_three_months_are_not_held_against_the_enterprise() -> None:
    paid = violation(ViolationType.UNPAID_TAX, date(2026, 5, 15), "84000", cured_on=date(2026, 8, 1))

    assert assess(enterprise(), [paid], 100, date(2026, 9, 15), DECREE_282) is None


def test_an_enterprise_unreachable_for_more_than_90_days_is_dishonest() -> None:
    gone = violation(ViolationType.UNREACHABLE, date(2026, 6, 1))
    back = violation(ViolationType.UNREACHABLE, date(2026, 6, 1), cured_on=date(2026, 8, 20))

    assert assess(enterprise(), [gone], 0, date(2026, 6, 1) + timedelta(days=90), DECREE_282) is None
    change = assess(enterprise(), [gone], 0, date(2026, 6, 1) + timedelta(days=91), DECREE_282)
    assert change is not None and change.rule is Rule.UNREACHABLE
    assert assess(enterprise(), [back], 0, date(2026, 9, 15), DECREE_282) is None


@pytest.mark.parametrize(
    ("grade", "today"),
    [
        (GradeCode.CERTIFIED, date(2026, 9, 15)),
        (GradeCode.ADVANCED_CERTIFIED, date(2026, 9, 15)),
        (GradeCode.ADVANCED_CERTIFIED, date(2025, 9, 15)),
    ],
)
def test_a_certified_enterprise_with_a_violation_loses_its_certification(
    grade: GradeCode, today: date
) -> None:
    policy = policy_on(today)
    company = enterprise(grade, today - timedelta(days=100), policy)
    minor = violation(ViolationType.QUARANTINE_VIOLATION, today - timedelta(days=10), "2000")

    change = assess(company, [minor], 10_000, today, policy)

    assert change is not None
    assert (change.grade, change.rule, change.policy) == ("routine", Rule.CERTIFICATION_LOST, policy.version)
    assert "认证企业" in change.reason_zh


def test_a_violation_before_certification_does_not_cost_the_certification() -> None:
    company = enterprise(GradeCode.CERTIFIED, date(2026, 7, 1))
    before = violation(ViolationType.CUSTOMS_VIOLATION, date(2026, 6, 30), "2000")

    assert assess(company, [before], 10_000, NOW.date(), DECREE_282) is None


def test_the_most_severe_finding_wins_and_grades_only_go_down() -> None:
    facts = [
        violation(ViolationType.UNPAID_TAX, date(2026, 1, 5), "5000"),
        violation(ViolationType.SMUGGLING, date(2026, 9, 1)),
    ]

    change = assess(enterprise(GradeCode.ADVANCED_CERTIFIED), facts, 100, NOW.date(), DECREE_282)

    assert change is not None and (change.grade, change.rule) == ("seriously_dishonest", Rule.SMUGGLING)
    assert assess(enterprise(GradeCode.SERIOUSLY_DISHONEST), facts, 100, NOW.date(), DECREE_282) is None


def test_another_enterprises_violations_and_future_ones_are_ignored() -> None:
    other = violation(ViolationType.SMUGGLING, date(2026, 9, 1), code=uscc(2))
    future = violation(ViolationType.SMUGGLING, date(2026, 9, 16))

    assert assess(enterprise(), [other, future], 0, NOW.date(), DECREE_282) is None


def test_a_grade_the_policy_does_not_know_must_be_mapped_first() -> None:
    with pytest.raises(ValueError, match="not a grade of credit policy 251"):
        assess(enterprise(GradeCode.CERTIFIED), [], 0, date(2026, 3, 1), DECREE_251)


# -- the register records what happened -----------------------------------------------------------


def test_a_registered_enterprise_starts_under_routine_measures() -> None:
    company = Enterprise.register(
        JIANGHUAI, "安徽江淮进出口有限公司", DECREE_282, NOW, OFFICER, org_id="org-jh"
    )

    assert (company.grade, company.since, company.policy_version) == ("routine", NOW.date(), "282")
    [event] = company.events
    assert isinstance(event, CreditGradeChanged)
    assert (event.previous, event.grade, event.rule, event.org_id) == (
        None,
        "routine",
        "registered",
        "org-jh",
    )


def test_an_invalid_uscc_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        Enterprise.register("913402000000000000", "x", DECREE_282, NOW, OFFICER)
    assert exc.value.fields[0].path == "uscc"
    with pytest.raises(InvalidInput):
        violation(ViolationType.OTHER, date(2026, 1, 1), code="91340200000000000X")


def test_applying_a_downgrade_changes_the_grade_and_records_it_as_plain_json() -> None:
    company = enterprise()
    smuggled = violation(ViolationType.SMUGGLING, date(2026, 9, 1), "250000")
    company.record_violation(smuggled, NOW)
    change = assess(company, [smuggled], 100, NOW.date(), DECREE_282)
    assert change is not None

    company.apply(change, NOW)

    assert (company.grade, company.since, company.history[-1]) == ("seriously_dishonest", NOW.date(), change)
    recorded, changed = company.events
    assert isinstance(recorded, ViolationRecorded) and recorded.amount_cny == "250000"
    assert isinstance(changed, CreditGradeChanged)
    assert (changed.previous, changed.grade, changed.violations) == (
        "routine",
        "seriously_dishonest",
        [smuggled.id],
    )
    assert all(orjson.loads(orjson.dumps(e.body())) == e.body() for e in company.events)


def test_a_change_to_the_same_grade_or_backdated_is_refused() -> None:
    company = enterprise(since=date(2026, 9, 1))
    same = GradeChange(GradeCode.ROUTINE, NOW.date(), "r", "r", OFFICER, Rule.MANUAL, "282")
    backdated = GradeChange(GradeCode.DISHONEST, date(2026, 8, 31), "r", "r", OFFICER, Rule.MANUAL, "282")

    with pytest.raises(Conflict, match="grade_unchanged"):
        company.apply(same, NOW)
    with pytest.raises(Conflict, match="grade_change_backdated"):
        company.apply(backdated, NOW)


def test_a_violation_of_another_enterprise_cannot_be_recorded_on_this_one() -> None:
    with pytest.raises(InvalidInput):
        enterprise().record_violation(violation(ViolationType.OTHER, date(2026, 1, 1), code=uscc(2)), NOW)


# -- credit repair --------------------------------------------------------------------------------


def test_a_dishonest_enterprise_is_repaired_once_taxes_are_paid_and_a_year_has_passed() -> None:
    company = enterprise(GradeCode.DISHONEST, date(2026, 6, 1))
    paid = violation(ViolationType.UNPAID_TAX, date(2026, 2, 1), "84000", cured_on=date(2026, 7, 1))

    early = request_repair(company, [paid], date(2027, 5, 31), DECREE_282)
    granted = request_repair(company, [paid], date(2027, 6, 1), DECREE_282)

    assert isinstance(early, RepairRefusal) and early.earliest_on == date(2027, 6, 1)
    assert "not before 2027-06-01" in early.reasons[0]
    assert isinstance(granted, GradeChange)
    assert (granted.grade, granted.rule) == ("routine", Rule.REPAIR)
    assert "【信用修复】" in granted.reason_zh


def test_repair_is_refused_while_the_cause_is_not_cured() -> None:
    company = enterprise(GradeCode.DISHONEST, date(2025, 6, 1))
    unpaid = violation(ViolationType.UNPAID_TAX, date(2025, 2, 1), "84000")
    gone = violation(ViolationType.UNREACHABLE, date(2025, 2, 1))

    refusal = request_repair(company, [unpaid, gone], NOW.date(), DECREE_282)

    assert isinstance(refusal, RepairRefusal)
    assert refusal.earliest_on is None
    assert refusal.reasons == (
        f"Not cured yet: {unpaid.id} on 2025-02-01 (CNY 84,000.00); {gone.id} on 2025-02-01.",
    )
    assert refusal.reasons_zh[0].startswith("尚未纠正")


def test_the_waiting_period_runs_from_the_last_violation_when_it_is_later_than_the_grading() -> None:
    company = enterprise(GradeCode.DISHONEST, date(2025, 6, 1))
    later = violation(ViolationType.CUSTOMS_VIOLATION, date(2026, 3, 10), "1000")

    refusal = request_repair(company, [later], NOW.date(), DECREE_282)

    assert isinstance(refusal, RepairRefusal) and refusal.earliest_on == date(2027, 3, 10)


def test_a_seriously_dishonest_smuggler_cannot_be_repaired_before_two_years() -> None:
    company = enterprise(GradeCode.SERIOUSLY_DISHONEST, date(2026, 5, 1))
    smuggled = violation(ViolationType.SMUGGLING, date(2026, 4, 20), "250000")

    assert isinstance(request_repair(company, [smuggled], date(2028, 4, 30), DECREE_282), RepairRefusal)
    assert isinstance(request_repair(company, [smuggled], date(2028, 5, 1), DECREE_282), GradeChange)


def test_only_a_dishonest_grade_can_be_repaired() -> None:
    refusal = request_repair(enterprise(), [], NOW.date(), DECREE_282)

    assert isinstance(refusal, RepairRefusal) and "Only a dishonest grade" in refusal.reasons[0]


def test_a_repaired_enterprise_starts_afresh_and_a_refusal_is_recorded() -> None:
    company = enterprise(GradeCode.DISHONEST, date(2025, 6, 1))
    smuggled = violation(ViolationType.SMUGGLING, date(2025, 5, 20), "250000")
    company.apply(request_repair(company, [smuggled], date(2026, 5, 1), DECREE_282), NOW)
    [refused] = company.events
    assert isinstance(refused, CreditRepairRefused) and refused.earliest_on == "2026-06-01"

    company.apply(request_repair(company, [smuggled], date(2026, 6, 1), DECREE_282), NOW)

    assert company.grade == "routine"
    assert assess(company, [smuggled], 100, date(2026, 6, 2), DECREE_282) is None


# -- officers' decisions --------------------------------------------------------------------------


def test_an_officer_certifies_an_enterprise_after_an_audit() -> None:
    company = enterprise()

    change = manual_grade(
        company, "certified", "AEO audit passed.", OFFICER, NOW.date(), DECREE_282, "通过认证审核。"
    )
    company.apply(change, NOW)

    assert (company.grade, change.rule, change.by, change.reason_zh) == (
        "certified",
        Rule.MANUAL,
        OFFICER,
        "通过认证审核。",
    )
    assert DECREE_282.grade(company.grade).is_aeo


def test_an_officer_cannot_give_a_grade_the_policy_does_not_have_nor_decide_without_a_reason() -> None:
    with pytest.raises(InvalidInput) as exc:
        manual_grade(enterprise(policy=DECREE_251), "certified", " ", OFFICER, date(2025, 1, 1), DECREE_251)

    assert [f.path for f in exc.value.fields] == ["grade", "reason"]


# -- the public list of dishonest enterprises -----------------------------------------------------


def test_the_public_list_names_dishonest_enterprises_newest_first() -> None:
    honest = enterprise(code=uscc(3))
    dishonest = enterprise(GradeCode.DISHONEST, date(2026, 5, 1), code=uscc(4))
    smuggler = enterprise(GradeCode.SERIOUSLY_DISHONEST, date(2026, 8, 1), code=uscc(5))

    listed = dishonest_list([honest, dishonest, smuggler], DECREE_282)

    assert [(e.uscc, e.grade, e.grade_zh, e.since) for e in listed] == [
        (uscc(5), "seriously_dishonest", "严重失信企业", date(2026, 8, 1)),
        (uscc(4), "dishonest", "失信企业", date(2026, 5, 1)),
    ]
    assert listed[0].name == "安徽江淮进出口有限公司" and listed[0].reason == "given"


# -- vessels (诚信船舶) -------------------------------------------------------------------------------


def vessel_violation(ship: VesselRecord, kind: ViolationType, on: date) -> VesselViolation:
    return VesselViolation(f"VV{next(_ids)}", ship.imo, kind, on, "maritime")


def test_a_vessel_is_known_by_a_valid_imo_number() -> None:
    assert VesselRecord("IMO 9074729", "江海之星").imo == "9074729"
    with pytest.raises(InvalidInput) as exc:
        VesselRecord("IMO 9074728", "江海之星")
    assert exc.value.fields[0].path == "imo"


@pytest.mark.parametrize(
    ("violations", "status"),
    [(0, Compliance.COMPLIANT), (1, Compliance.WATCH), (2, Compliance.WATCH), (3, Compliance.NON_COMPLIANT)],
)
def test_a_vessels_compliance_follows_its_violations_of_the_last_24_months(
    violations: int, status: Compliance
) -> None:
    ship = VesselRecord(imo(1), "江海之星", "CN")
    for _ in range(violations):
        ship.record_violation(vessel_violation(ship, ViolationType.CUSTOMS_VIOLATION, date(2026, 1, 10)), NOW)

    assert ship.compliance(NOW.date(), DECREE_282).status is status
    assert len(ship.events) == violations
    assert all(isinstance(e, VesselViolationRecorded) for e in ship.events)


def test_violations_older_than_24_months_no_longer_count_and_smuggling_counts_at_once() -> None:
    ship = VesselRecord(imo(2), "皖江号")
    for _ in range(3):
        ship.record_violation(vessel_violation(ship, ViolationType.OTHER, date(2024, 9, 15)), NOW)
    assert ship.compliance(NOW.date(), DECREE_282).status is Compliance.COMPLIANT

    ship.record_violation(vessel_violation(ship, ViolationType.SMUGGLING, date(2026, 9, 1)), NOW)

    status = ship.compliance(NOW.date(), DECREE_282)
    assert status.status is Compliance.NON_COMPLIANT and "smuggling" in status.reason
    assert status.window_from == date(2024, 9, 16)


def test_another_vessels_violation_cannot_be_recorded() -> None:
    ship, other = VesselRecord(imo(3), "a"), VesselRecord(imo(4), "b")

    with pytest.raises(InvalidInput):
        ship.record_violation(vessel_violation(other, ViolationType.OTHER, date(2026, 1, 1)), NOW)
