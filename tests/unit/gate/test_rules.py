"""Gate automation rules (卡口自动放行): open only when every container's goods may pass; every
other case is a hold that says why, container by container (issue 4, "Bad input and faults")."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from stdnum import iso6346

from onewindow.gate.rules import (
    REASONS,
    Box,
    Decision,
    Declared,
    Direction,
    Gate,
    Reading,
    Verdict,
    decide,
    normalise_container,
    reason,
    unavailable,
)

GATE = Gate("WHI-GATE-1", "gate", True, "CNWHI")
EXIT, ENTRY = Direction.EXIT, Direction.ENTRY


def box(serial: int, owner: str = "CSQU") -> str:
    """A well-formed ISO 6346 number."""
    base = f"{owner}{serial:06d}"
    return base + iso6346.calc_check_digit(base)


A, B = box(305438), box(123456)
assert A == "CSQU3054383"


def imp(
    number: str = "330120261000000001", status: str = "released", seals: Sequence[str] = ("SL1",), **kw: bool
) -> Declared:
    return Declared(number, "jianghuai-trade", "import", status, tuple(seals), **kw)


def exp(
    number: str = "330120260000000001",
    status: str = "under_review",
    seals: Sequence[str] = ("SL9",),
    **kw: bool,
) -> Declared:
    return Declared(number, "jianghuai-trade", "export", status, tuple(seals), **kw)


def truck(direction: Direction, *containers: str, seals: Sequence[str] = (), gate: str = GATE.id) -> Reading:
    return Reading.of(gate, direction, "皖B12345", containers, seals)


def codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


# -- exit of import containers --------------------------------------------------------------


def test_a_released_import_container_with_its_seal_read_opens_the_gate() -> None:
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: [imp()]})
    assert d.verdict is Verdict.OPEN
    assert d.reasons == () and d.notes == ()
    assert d.boxes == (Box(A, True, ("330120261000000001",)),)


def test_an_unknown_gate_holds_whatever_the_truck_carries() -> None:
    d = decide(truck(EXIT, A, seals=["SL1"], gate="NOWHERE-9"), None, {A: [imp()]})
    assert d.verdict is Verdict.HOLD
    assert codes(d) == ["gate_unknown"]
    assert "NOWHERE-9" in d.reasons[0].message and "NOWHERE-9" in d.reasons[0].message_zh
    assert d.boxes == (Box(A, False),)


@pytest.mark.parametrize(
    "gate",
    [Gate("WHI-GATE-1", "gate", False), Gate("WHI-SCAN-1", "scanner", True)],
    ids=["inactive", "not a gate"],
)
def test_an_inactive_gate_or_a_facility_that_is_no_gate_is_an_unknown_gate(gate: Gate) -> None:
    assert codes(decide(truck(EXIT, A, seals=["SL1"], gate=gate.id), gate, {A: [imp()]})) == ["gate_unknown"]


@pytest.mark.parametrize("read", ["CSQU3054384", "CSQU305438", "12345678901", "CSQ-U30543"])
def test_a_malformed_container_number_is_a_hold_not_an_error(read: str) -> None:
    d = decide(truck(EXIT, read), GATE, {})
    assert d.verdict is Verdict.HOLD
    assert codes(d) == ["container_invalid"]
    assert d.reasons[0].container == normalise_container(read)


def test_a_container_on_no_declaration_is_held() -> None:
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {})
    assert codes(d) == ["container_unknown"]
    assert d.reasons[0].container == A


def test_a_seal_that_does_not_match_holds_naming_the_container_and_both_seals() -> None:
    d = decide(truck(EXIT, A, seals=["SL2"]), GATE, {A: [imp(seals=["SL1"])]})
    assert d.verdict is Verdict.HOLD
    (r,) = d.reasons
    assert (r.code, r.container, r.expected, r.read) == ("seal_mismatch", A, ("SL1",), ("SL2",))
    assert "SL1" in r.message and "SL2" in r.message and A in r.message_zh


def test_no_seal_read_is_a_seal_mismatch() -> None:
    (r,) = decide(truck(EXIT, A), GATE, {A: [imp(seals=["SL1"])]}).reasons
    assert r.code == "seal_mismatch" and r.read == ()
    assert "none" in r.message and "无" in r.message_zh


def test_every_declared_seal_must_be_read() -> None:
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: [imp(seals=["SL1", "SL2"])]})
    assert codes(d) == ["seal_mismatch"]


def test_seals_are_compared_as_written_on_the_seal_whatever_the_reader_s_case_and_spaces() -> None:
    d = decide(truck(EXIT, A, seals=[" sl 1", "OTHER"]), GATE, {A: [imp(seals=["SL1"])]})
    assert d.verdict is Verdict.OPEN


def test_a_container_declared_without_seals_has_no_seal_to_compare() -> None:
    assert decide(truck(EXIT, A), GATE, {A: [imp(seals=[])]}).verdict is Verdict.OPEN


def test_a_second_exit_of_the_same_goods_is_held() -> None:
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: [imp(exited=True)]})
    assert codes(d) == ["already_exited"]
    assert d.reasons[0].number == "330120261000000001"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("submitted", "not_released"),
        ("under_review", "not_released"),
        ("action_required", "not_released"),
        ("withdrawal_requested", "not_released"),
        ("inspection", "held_for_inspection"),
        ("refused", "declaration_refused"),
        ("withdrawn", "declaration_withdrawn"),
    ],
)
def test_goods_not_released_are_held_with_the_declaration_s_state(status: str, code: str) -> None:
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: [imp(status=status)]})
    assert d.verdict is Verdict.HOLD
    assert codes(d) == [code]
    assert d.reasons[0].number == "330120261000000001"


def test_not_released_says_the_status_in_both_languages() -> None:
    (r,) = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: [imp(status="under_review")]}).reasons
    assert "under_review" in r.message and "审核中" in r.message_zh


def test_two_containers_one_bad_holds_the_truck_and_says_which() -> None:
    d = decide(
        truck(EXIT, A, B, seals=["SL1", "SLX"]),
        GATE,
        {A: [imp()], B: [imp("330120261000000002", seals=["SL7"])]},
    )
    assert d.verdict is Verdict.HOLD
    assert [(r.code, r.container) for r in d.reasons] == [("seal_mismatch", B)]
    assert [(b.container, b.passes) for b in d.boxes] == [(A, True), (B, False)]


def test_two_containers_both_good_open_the_gate() -> None:
    declared = {A: [imp()], B: [imp("330120261000000002", seals=["SL7"])]}
    assert decide(truck(EXIT, A, B, seals=["SL7", "SL1"]), GATE, declared).verdict is Verdict.OPEN


def test_every_hold_reason_of_every_container_is_listed() -> None:
    d = decide(truck(EXIT, A, B, "CSQU3054384"), GATE, {A: [imp(status="inspection")]})
    assert [(r.code, r.container) for r in d.reasons] == [
        ("held_for_inspection", A),
        ("container_unknown", B),
        ("container_invalid", "CSQU3054384"),
    ]


def test_a_container_read_twice_is_one_container() -> None:
    d = decide(truck(EXIT, A, A.lower(), seals=["SL1"]), GATE, {A: [imp()]})
    assert d.verdict is Verdict.OPEN and len(d.boxes) == 1


def test_container_numbers_are_read_without_spaces_and_dashes() -> None:
    assert normalise_container(" csqu 305438-3 ") == A
    assert decide(truck(EXIT, "csqu 305438-3", seals=["SL1"]), GATE, {A: [imp()]}).verdict is Verdict.OPEN


def test_goods_of_two_declarations_in_one_container_leave_only_when_both_are_released() -> None:
    shared = [imp(), imp("330120261000000002", status="under_review")]
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, {A: shared})
    assert [(r.code, r.number) for r in d.reasons] == [("not_released", "330120261000000002")]


def test_a_withdrawn_declaration_does_not_hold_goods_declared_again() -> None:
    declared = {A: [imp("330120261000000001", status="withdrawn"), imp("330120261000000002")]}
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, declared)
    assert d.verdict is Verdict.OPEN
    assert d.boxes == (Box(A, True, ("330120261000000002",)),)


def test_a_container_that_came_back_on_a_new_declaration_is_judged_on_the_new_one() -> None:
    declared = {A: [imp("330120261000000001", exited=True), imp("330120261000000002", status="under_review")]}
    assert codes(decide(truck(EXIT, A, seals=["SL1"]), GATE, declared)) == ["not_released"]
    declared = {A: [imp("330120261000000001", exited=True), imp("330120261000000002")]}
    d = decide(truck(EXIT, A, seals=["SL1"]), GATE, declared)
    assert d.verdict is Verdict.OPEN and d.boxes[0].numbers == ("330120261000000002",)


def test_an_export_container_does_not_leave_through_the_gate() -> None:
    d = decide(truck(EXIT, A, seals=["SL9"]), GATE, {A: [exp(status="released")]})
    assert codes(d) == ["not_import"]


def test_a_tractor_without_containers_passes_both_ways() -> None:
    for direction in Direction:
        d = decide(truck(direction), GATE, {})
        assert d.verdict is Verdict.OPEN and d.boxes == ()


# -- entry (运抵) ----------------------------------------------------------------------------


def test_an_export_container_enters_and_its_arrival_is_to_be_recorded() -> None:
    d = decide(truck(ENTRY, A, seals=["SL9"]), GATE, {A: [exp()]})
    assert d.verdict is Verdict.OPEN
    assert d.boxes == (Box(A, True, ("330120260000000001",)),)


def test_an_export_container_may_arrive_before_or_after_its_release() -> None:
    for status in ("submitted", "under_review", "inspection", "released"):
        assert decide(truck(ENTRY, A, seals=["SL9"]), GATE, {A: [exp(status=status)]}).opens


@pytest.mark.parametrize(
    ("status", "code"), [("refused", "declaration_refused"), ("withdrawn", "declaration_withdrawn")]
)
def test_an_export_refused_or_withdrawn_is_held_at_entry(status: str, code: str) -> None:
    assert codes(decide(truck(ENTRY, A, seals=["SL9"]), GATE, {A: [exp(status=status)]})) == [code]


def test_an_export_container_with_another_seal_is_held_at_entry() -> None:
    assert codes(decide(truck(ENTRY, A, seals=["SL8"]), GATE, {A: [exp()]})) == ["seal_mismatch"]


def test_a_second_arrival_of_the_same_export_goods_is_held() -> None:
    assert codes(decide(truck(ENTRY, A, seals=["SL9"]), GATE, {A: [exp(arrived=True)]})) == [
        "already_arrived"
    ]


def test_a_container_on_no_export_declaration_enters_with_a_note_and_nothing_to_record() -> None:
    for declared in ({}, {A: [imp()]}):
        d = decide(truck(ENTRY, A), GATE, declared)
        assert d.verdict is Verdict.OPEN
        assert [n.code for n in d.notes] == ["no_export_declaration"]
        assert d.boxes == (Box(A, True),)


def test_a_misread_container_at_entry_is_held_for_a_person_to_look() -> None:
    assert codes(decide(truck(ENTRY, "CSQU3054384"), GATE, {})) == ["container_invalid"]


def test_an_unknown_gate_holds_entries_too() -> None:
    assert codes(decide(truck(ENTRY, A, seals=["SL9"]), None, {A: [exp()]})) == ["gate_unknown"]


# -- the reasons themselves -------------------------------------------------------------------


def test_when_the_state_cannot_be_read_the_gate_stays_shut() -> None:
    d = unavailable(truck(EXIT, A, seals=["SL1"]))
    assert d.verdict is Verdict.HOLD and codes(d) == ["state_unavailable"]


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_reads_in_english_and_chinese_with_every_blank_filled(code: str) -> None:
    r = reason(
        code,
        container=A,
        number="330120261000000001",
        status="inspection",
        gate="G1",
        expected=["SL1"],
        read=["SL2"],
    )
    assert r.code == code and r.message and r.message_zh
    assert not re.search(r"[{}]", r.message + r.message_zh)
    assert re.search(r"[\u4e00-\u9fff]", r.message_zh)


def test_a_reason_as_sent_to_the_reader_carries_only_what_applies() -> None:
    assert reason("container_unknown", container=A).as_dict() == {
        "code": "container_unknown",
        "message": f"Container {A} is on no goods declaration.",
        "message_zh": f"集装箱 {A} 未见于任何货物报关单。",
        "container": A,
    }


def test_a_gate_closed_now_holds_every_truck_and_says_so() -> None:
    closed = GATE._replace(open_now=False)
    for direction in (Direction.EXIT, Direction.ENTRY):
        reading = Reading.of(closed.id, direction, "皖B12345", [], [])
        decision = decide(reading, closed, {})
        assert decision.verdict == Verdict.HOLD
        assert [r.code for r in decision.reasons] == ["gate_closed"]
        assert "closed" in decision.reasons[0].message and "未开放" in decision.reasons[0].message_zh
