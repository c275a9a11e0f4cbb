"""Reading and checking the policy document (``data/policies.json``, or the port office's edit).

Every complaint is a ValueError that names the path of the problem
(``versions[1].grades.dishonest.min_rate: ...``); an entry marked ``"assumption": true`` is a value
the decree does not fix, collected by ``assumptions_in``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from .policy_terms import Grade, GradeCode, RatioThreshold, Rules, VesselThresholds, ViolationType

__all__ = [
    "DocumentNode",
    "assumptions_in",
    "read_grades",
    "read_maps_from",
    "read_repair",
    "read_routine_rate",
    "read_rules",
    "read_vessels",
]


class DocumentNode:
    """A value of the policy document and its path, so that every complaint says where it is."""

    def __init__(self, value: object, path: str) -> None:
        self.value, self.path = value, path

    def fail(self, message: str) -> NoReturn:
        raise ValueError(f"{self.path or '(document)'}: {message}")

    def mapping(self) -> Mapping[str, object]:
        if not isinstance(self.value, Mapping):
            self.fail("expected an object")
        return self.value

    def child(self, key: str) -> DocumentNode:
        return DocumentNode(self.mapping().get(key), f"{self.path}.{key}" if self.path else key)

    def __getitem__(self, key: str) -> DocumentNode:
        if key not in self.mapping():
            self.child(key).fail("required")
        return self.child(key)

    def get(self, key: str) -> DocumentNode | None:
        node = self.child(key)
        return None if node.value is None else node

    def only(self, *keys: str) -> None:
        """Reject unknown keys (a misspelt one would silently fall back); every entry may carry an
        ``assumption`` flag and a ``note``."""
        for key in self.mapping():
            if key not in (*keys, "assumption", "note"):
                self.child(key).fail(f"unknown key; expected one of {', '.join(keys)}, assumption, note")
        if (flag := self.get("assumption")) is not None:
            flag.flag()
        if (note := self.get("note")) is not None:
            note.text()

    def items(self) -> list[tuple[str, DocumentNode]]:
        return [(key, self.child(key)) for key in self.mapping()]

    def list(self) -> list[DocumentNode]:
        if not isinstance(self.value, list):
            self.fail("expected a list")
        return [DocumentNode(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            self.fail("expected a non-empty string")
        return self.value

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail("expected true or false")
        return self.value

    def number(self) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float) or math.isnan(self.value):
            self.fail(f"expected a number, got {self.value!r}")
        if self.value < 0:
            self.fail(f"{self.value} is negative")
        return float(self.value)

    def rate(self) -> float:
        if (
            isinstance(self.value, int | float)
            and not isinstance(self.value, bool)
            and not 0 <= self.value <= 1
        ):
            self.fail(f"{self.value} is not a rate between 0 and 1")
        return self.number()

    def count(self, minimum: int = 0) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < minimum:
            self.fail(f"expected a whole number of at least {minimum}, got {self.value!r}")
        return self.value

    def decimal(self) -> Decimal:
        """An amount or ratio, written as a string ("0.001") so that no binary fraction creeps in."""
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return Decimal(self.count())
        try:
            value = Decimal(self.text())
        except InvalidOperation:
            self.fail(f"expected a decimal number as a string, got {self.value!r}")
        if not value.is_finite() or value < 0:
            self.fail(f"{value} is not a non-negative amount")
        return value

    def day(self) -> date:
        try:
            return date.fromisoformat(self.text())
        except ValueError:
            self.fail(f"expected a date YYYY-MM-DD, got {self.value!r}")

    def grade(self) -> GradeCode:
        return _grade_code(self, str(self.value))

    def types(self) -> frozenset[ViolationType]:
        out = set()
        for node in self.list():
            try:
                out.add(ViolationType(node.text()))
            except ValueError:
                node.fail(f"unknown violation type; known: {', '.join(ViolationType)}")
        return frozenset(out)


def _grade_code(node: DocumentNode, code: str) -> GradeCode:
    try:
        return GradeCode(code)
    except ValueError:
        node.fail(f"unknown grade code '{code}'; known: {', '.join(GradeCode)}")


def read_routine_rate(node: DocumentNode) -> float:
    node.only("value")
    return node["value"].rate()


def read_grades(node: DocumentNode) -> tuple[Grade, ...]:
    grades = tuple(_grade(key, g) for key, g in node.items())
    codes = {g.code for g in grades}
    if GradeCode.ROUTINE not in codes:
        node.child("routine").fail("required: every rate is relative to the routine grade")
    if _by_code(grades, GradeCode.ROUTINE).multiplier != 1:
        node.child("routine").child("multiplier").fail("must be 1: rates are relative to the routine grade")
    return tuple(sorted(grades, key=lambda g: g.code.severity))


def _grade(key: str, node: DocumentNode) -> Grade:
    code = _grade_code(node, key)
    node.only("name_zh", "name_en", "is_aeo", "multiplier", "min_rate")
    multiplier, min_rate = node.get("multiplier"), node.get("min_rate")
    if multiplier is None and min_rate is None:
        node.fail("needs a multiplier of the routine rate, a min_rate, or both")
    return Grade(
        code=code,
        name_zh=node["name_zh"].text(),
        name_en=node["name_en"].text(),
        is_aeo=node["is_aeo"].flag(),
        multiplier=multiplier.number() if multiplier is not None else None,
        min_rate=min_rate.rate() if min_rate is not None else None,
        assumption=_assumed(node),
        note=_note(node),
    )


def read_rules(node: DocumentNode, grades: tuple[Grade, ...]) -> Rules:
    node.only(
        "lookback_months", "smuggling", "violation_ratio", "unpaid_tax", "unreachable", "certification_lost"
    )
    ratio, tax, gone = node["violation_ratio"], node["unpaid_tax"], node["unreachable"]
    node["smuggling"].only("grade")
    node["certification_lost"].only("grade")
    ratio.only("grade", "counted_types", "enterprise", "customs_broker")
    tax.only("grade", "max_months")
    gone.only("grade", "max_days")
    return Rules(
        lookback_months=node["lookback_months"].count(1),
        smuggling_grade=_target(node["smuggling"], grades),
        ratio_grade=_target(ratio, grades),
        ratio_types=ratio["counted_types"].types(),
        enterprise_threshold=_threshold(ratio["enterprise"]),
        broker_threshold=_threshold(ratio["customs_broker"]),
        unpaid_tax_grade=_target(tax, grades),
        unpaid_tax_months=tax["max_months"].count(1),
        unreachable_grade=_target(gone, grades),
        unreachable_days=gone["max_days"].count(1),
        certification_lost_grade=_target(node["certification_lost"], grades),
    )


def _target(rule: DocumentNode, grades: tuple[Grade, ...]) -> GradeCode:
    return _known(rule["grade"], grades)


def _known(node: DocumentNode, grades: tuple[Grade, ...]) -> GradeCode:
    code = node.grade()
    if not any(g.code == code for g in grades):
        node.fail(f"grade '{code}' is not one of this version's grades")
    return code


def _threshold(node: DocumentNode) -> RatioThreshold:
    node.only("max_ratio", "max_penalties_cny")
    ratio = node["max_ratio"].decimal()
    if ratio > 1:
        node["max_ratio"].fail(f"{ratio} is not a rate between 0 and 1")
    return RatioThreshold(ratio, node["max_penalties_cny"].decimal())


def read_repair(node: DocumentNode, grades: tuple[Grade, ...]) -> tuple[tuple[GradeCode, int], ...]:
    out = []
    for key, entry in node.items():
        entry.only("min_months")
        code = _grade_code(entry, key)
        if not any(g.code == code for g in grades):
            entry.fail(f"grade '{code}' is not one of this version's grades")
        out.append((code, entry["min_months"].count(0)))
    return tuple(out)


def read_vessels(node: DocumentNode) -> VesselThresholds:
    node.only("window_months", "watch_at", "non_compliant_at", "serious_types")
    watch, non_compliant = node["watch_at"].count(1), node["non_compliant_at"].count(1)
    if non_compliant < watch:
        node["non_compliant_at"].fail(f"{non_compliant} is below watch_at {watch}")
    return VesselThresholds(
        node["window_months"].count(1), watch, non_compliant, node["serious_types"].types()
    )


def read_maps_from(
    node: DocumentNode | None, grades: tuple[Grade, ...]
) -> tuple[str | None, tuple[tuple[GradeCode, GradeCode], ...]]:
    if node is None:
        return None, ()
    node.only("version", "grades")
    pairs = [(_grade_code(n, key), _known(n, grades)) for key, n in node["grades"].items()]
    return node["version"].text(), tuple(pairs)


def assumptions_in(value: object, path: str) -> list[str]:
    if not isinstance(value, Mapping):
        return []
    here = [path or "(version)"] if value.get("assumption") is True else []
    return here + [p for k, v in value.items() for p in assumptions_in(v, f"{path}.{k}" if path else k)]


def _assumed(node: DocumentNode) -> bool:
    return node.mapping().get("assumption") is True


def _note(node: DocumentNode) -> str:
    return str(node.mapping().get("note") or "")


def _by_code(grades: tuple[Grade, ...], code: GradeCode) -> Grade:
    return next(g for g in grades if g.code == code)
