"""Credit policies (企业信用管理办法) as dated versions: grades, inspection rates, thresholds.

Every number the credit rules use lives in ``data/policies.json``, one version per decree (or per
port-office edit), each valid over a range of days. The port office edits that file;
``CreditPolicies.from_mapping`` checks an edit and names the path of the first problem it finds
(``versions[1].grades.dishonest.min_rate: ...``). An entry marked ``"assumption": true`` is a value
the decree does not fix; the policy lists those paths so they can be shown and confirmed.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, NoReturn

__all__ = [
    "PORT_TIME",
    "CreditPolicies",
    "CreditPolicy",
    "Grade",
    "GradeCode",
    "RatioThreshold",
    "Rules",
    "VesselThresholds",
    "ViolationType",
    "load_policies",
    "policy_on",
    "port_date",
]

PORT_TIME = timezone(timedelta(hours=8), "CST")
"""China Standard Time: a decree takes effect at midnight at the port, not in UTC."""


class GradeCode(StrEnum):
    """信用等级, from best to worst: the order is the grades' severity."""

    ADVANCED_CERTIFIED = "advanced_certified"  # 高级认证企业 (AEO)
    CERTIFIED = "certified"  # 认证企业 (AEO, Decree 282)
    ROUTINE = "routine"  # 常规管理 / 常规企业
    DISHONEST = "dishonest"  # 失信企业
    SERIOUSLY_DISHONEST = "seriously_dishonest"  # 严重失信企业 (Decree 282)

    @property
    def severity(self) -> int:
        return list(GradeCode).index(self)

    @property
    def is_dishonest(self) -> bool:
        return self in (GradeCode.DISHONEST, GradeCode.SERIOUSLY_DISHONEST)


class ViolationType(StrEnum):
    SMUGGLING = "smuggling"  # 走私
    CUSTOMS_VIOLATION = "customs_violation"  # 违反海关监管规定
    UNPAID_TAX = "unpaid_tax"  # 拖欠税款
    UNREACHABLE = "unreachable"  # 无法取得联系
    QUARANTINE_VIOLATION = "quarantine_violation"  # 违反检验检疫规定
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade and its inspection rate: ``multiplier`` × the routine rate, raised to ``min_rate``."""

    code: GradeCode
    name_zh: str
    name_en: str
    is_aeo: bool
    multiplier: float | None
    min_rate: float | None
    assumption: bool = False
    note: str = ""

    def selection_rate(self, routine_rate: float) -> float:
        rate = 0.0 if self.multiplier is None else self.multiplier * routine_rate
        if self.min_rate is not None:
            rate = max(rate, self.min_rate)
        return min(rate, 1.0)


@dataclass(frozen=True, slots=True)
class RatioThreshold:
    """Violations above ``max_ratio`` of last year's declarations with penalties above the sum."""

    max_ratio: Decimal
    max_penalties_cny: Decimal


@dataclass(frozen=True, slots=True)
class Rules:
    """The downgrade rules' target grades and thresholds (MISSION.md §4)."""

    lookback_months: int
    smuggling_grade: GradeCode
    ratio_grade: GradeCode
    ratio_types: frozenset[ViolationType]
    enterprise_threshold: RatioThreshold
    broker_threshold: RatioThreshold
    unpaid_tax_grade: GradeCode
    unpaid_tax_months: int
    unreachable_grade: GradeCode
    unreachable_days: int
    certification_lost_grade: GradeCode


@dataclass(frozen=True, slots=True)
class VesselThresholds:
    """诚信船舶: violations within ``window_months`` that put a vessel on watch or make it non-compliant."""

    window_months: int
    watch_at: int
    non_compliant_at: int
    serious_types: frozenset[ViolationType]


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """One version of the policy, valid from ``valid_from`` to ``valid_to`` (inclusive; None: open)."""

    version: str
    valid_from: date
    valid_to: date | None
    source: str
    routine_rate: float
    grades: tuple[Grade, ...]
    rules: Rules
    repair_months: tuple[tuple[GradeCode, int], ...]
    vessels: VesselThresholds
    maps_from: str | None = None
    grade_map: tuple[tuple[GradeCode, GradeCode], ...] = ()
    assumptions: tuple[str, ...] = ()

    def grade(self, code: str) -> Grade:
        for g in self.grades:
            if g.code == code:
                return g
        known = ", ".join(g.code for g in self.grades)
        raise ValueError(f"'{code}' is not a grade of credit policy {self.version} (grades: {known})")

    def has_grade(self, code: str) -> bool:
        return any(g.code == code for g in self.grades)

    def selection_rate(self, grade: str, routine_rate: float | None = None) -> float:
        """The share of a grade's declarations to select for inspection (布控), given the routine rate."""
        base = self.routine_rate if routine_rate is None else routine_rate
        return self.grade(grade).selection_rate(base)

    def repair_period(self, grade: str) -> int | None:
        """Months that must pass before a grade can be repaired (信用修复); None: not repairable."""
        return dict(self.repair_months).get(GradeCode(grade))

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], path: str = "") -> CreditPolicy:
        """One version from its JSON form; ValueError names the path of the first problem."""
        return _version(_Node(raw, path))


@dataclass(frozen=True, slots=True)
class CreditPolicies:
    """Every version, ordered by the day it takes effect."""

    versions: tuple[CreditPolicy, ...]

    def on(self, day: date) -> CreditPolicy:
        for p in self.versions:
            if p.covers(day):
                return p
        raise LookupError(f"No credit policy is in force on {day.isoformat()}.")

    def version(self, name: str) -> CreditPolicy:
        for p in self.versions:
            if p.version == name:
                return p
        raise LookupError(f"No credit policy version '{name}'.")

    def map_grade(self, code: str, from_version: str, to_version: str) -> GradeCode:
        """The grade a grade of one version becomes under a later one, version by version."""
        names = [p.version for p in self.versions]
        start = names.index(self.version(from_version).version)
        end = names.index(self.version(to_version).version)
        if end < start:
            raise ValueError(f"Grades map forward only, not from {from_version} back to {to_version}.")
        grade = self.versions[start].grade(code).code
        for p in self.versions[start + 1 : end + 1]:
            grade = dict(p.grade_map).get(grade, grade)
        return grade

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> CreditPolicies:
        """The whole document; ValueError names the path of the first problem."""
        root = _Node(raw, "")
        root.only("description", "versions")
        nodes = root["versions"].list()
        if not nodes:
            root["versions"].fail("at least one version is needed")
        parsed = sorted(((_version(n), n) for n in nodes), key=lambda pn: pn[0].valid_from)
        for (before, _), (after, node) in itertools.pairwise(parsed):
            _check_succession(before, after, node)
        return cls(tuple(p for p, _ in parsed))

    @classmethod
    def from_json(cls, text: str | bytes) -> CreditPolicies:
        return cls.from_mapping(json.loads(text))


@cache
def load_policies() -> CreditPolicies:
    """The policies shipped with OneWindow (``onewindow/credit/data/policies.json``), read once."""
    text = resources.files("onewindow.credit").joinpath("data/policies.json").read_text("utf-8")
    return CreditPolicies.from_json(text)


def policy_on(day: date, policies: CreditPolicies | None = None) -> CreditPolicy:
    """The version in force on ``day`` (a date at the port, see ``port_date``)."""
    return (policies or load_policies()).on(day)


def port_date(now: datetime) -> date:
    """The day at the port for an aware instant: 2026-03-31T17:00Z is already 2026-04-01 in Anhui."""
    if now.tzinfo is None:
        raise ValueError("port_date needs an aware datetime")
    return now.astimezone(PORT_TIME).date()


# -- reading and checking the document ------------------------------------------------------------


class _Node:
    """A value of the policy document and its path, so that every complaint says where it is."""

    def __init__(self, value: object, path: str) -> None:
        self.value, self.path = value, path

    def fail(self, message: str) -> NoReturn:
        raise ValueError(f"{self.path or '(document)'}: {message}")

    def mapping(self) -> Mapping[str, object]:
        if not isinstance(self.value, Mapping):
            self.fail("expected an object")
        return self.value

    def child(self, key: str) -> _Node:
        return _Node(self.mapping().get(key), f"{self.path}.{key}" if self.path else key)

    def __getitem__(self, key: str) -> _Node:
        if key not in self.mapping():
            self.child(key).fail("required")
        return self.child(key)

    def get(self, key: str) -> _Node | None:
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

    def items(self) -> list[tuple[str, _Node]]:
        return [(key, self.child(key)) for key in self.mapping()]

    def list(self) -> list[_Node]:
        if not isinstance(self.value, list):
            self.fail("expected a list")
        return [_Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

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


def _grade_code(node: _Node, code: str) -> GradeCode:
    try:
        return GradeCode(code)
    except ValueError:
        node.fail(f"unknown grade code '{code}'; known: {', '.join(GradeCode)}")


_VERSION_KEYS = (
    "version", "valid_from", "valid_to", "source", "source_en", "routine_rate", "grades", "rules", "repair",
    "vessels", "maps_from",
)  # fmt: skip


def _version(node: _Node) -> CreditPolicy:
    node.only(*_VERSION_KEYS)
    valid_from, valid_to_node = node["valid_from"].day(), node.get("valid_to")
    valid_to = valid_to_node.day() if valid_to_node is not None else None
    if valid_to is not None and valid_to < valid_from:
        node["valid_to"].fail(f"{valid_to} is before valid_from {valid_from}")
    grades = _grades(node["grades"])
    maps_from, grade_map = _maps_from(node.get("maps_from"), grades)
    return CreditPolicy(
        version=node["version"].text(),
        valid_from=valid_from,
        valid_to=valid_to,
        source=node["source"].text(),
        routine_rate=_routine_rate(node["routine_rate"]),
        grades=grades,
        rules=_rules(node["rules"], grades),
        repair_months=_repair(node["repair"], grades),
        vessels=_vessels(node["vessels"]),
        maps_from=maps_from,
        grade_map=grade_map,
        assumptions=tuple(_assumptions(node.value, "")),
    )


def _routine_rate(node: _Node) -> float:
    node.only("value")
    return node["value"].rate()


def _grades(node: _Node) -> tuple[Grade, ...]:
    grades = tuple(_grade(key, g) for key, g in node.items())
    codes = {g.code for g in grades}
    if GradeCode.ROUTINE not in codes:
        node.child("routine").fail("required: every rate is relative to the routine grade")
    if _by_code(grades, GradeCode.ROUTINE).multiplier != 1:
        node.child("routine").child("multiplier").fail("must be 1: rates are relative to the routine grade")
    return tuple(sorted(grades, key=lambda g: g.code.severity))


def _grade(key: str, node: _Node) -> Grade:
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


def _rules(node: _Node, grades: tuple[Grade, ...]) -> Rules:
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


def _target(rule: _Node, grades: tuple[Grade, ...]) -> GradeCode:
    return _known(rule["grade"], grades)


def _known(node: _Node, grades: tuple[Grade, ...]) -> GradeCode:
    code = node.grade()
    if not any(g.code == code for g in grades):
        node.fail(f"grade '{code}' is not one of this version's grades")
    return code


def _threshold(node: _Node) -> RatioThreshold:
    node.only("max_ratio", "max_penalties_cny")
    ratio = node["max_ratio"].decimal()
    if ratio > 1:
        node["max_ratio"].fail(f"{ratio} is not a rate between 0 and 1")
    return RatioThreshold(ratio, node["max_penalties_cny"].decimal())


def _repair(node: _Node, grades: tuple[Grade, ...]) -> tuple[tuple[GradeCode, int], ...]:
    out = []
    for key, entry in node.items():
        entry.only("min_months")
        code = _grade_code(entry, key)
        if not any(g.code == code for g in grades):
            entry.fail(f"grade '{code}' is not one of this version's grades")
        out.append((code, entry["min_months"].count(0)))
    return tuple(out)


def _vessels(node: _Node) -> VesselThresholds:
    node.only("window_months", "watch_at", "non_compliant_at", "serious_types")
    watch, non_compliant = node["watch_at"].count(1), node["non_compliant_at"].count(1)
    if non_compliant < watch:
        node["non_compliant_at"].fail(f"{non_compliant} is below watch_at {watch}")
    return VesselThresholds(
        node["window_months"].count(1), watch, non_compliant, node["serious_types"].types()
    )


def _maps_from(
    node: _Node | None, grades: tuple[Grade, ...]
) -> tuple[str | None, tuple[tuple[GradeCode, GradeCode], ...]]:
    if node is None:
        return None, ()
    node.only("version", "grades")
    pairs = [(_grade_code(n, key), _known(n, grades)) for key, n in node["grades"].items()]
    return node["version"].text(), tuple(pairs)


def _check_succession(before: CreditPolicy, after: CreditPolicy, node: _Node) -> None:
    """Versions follow each other without overlapping, and every grade of one has a place in the next."""
    if after.version == before.version:
        node["version"].fail(f"version '{after.version}' appears twice")
    if before.valid_to is None or before.valid_to >= after.valid_from:
        until = before.valid_to.isoformat() if before.valid_to else "open end"
        node["valid_from"].fail(
            f"{after.valid_from} overlaps version {before.version} ({before.valid_from} to {until})"
        )
    if after.maps_from is None:
        for g in before.grades:
            if not after.has_grade(g.code):
                node["grades"].fail(f"grade '{g.code}' of version {before.version} is missing; add maps_from")
        return
    if after.maps_from != before.version:
        node["maps_from"]["version"].fail(f"must name the preceding version '{before.version}'")
    mapped = dict(after.grade_map)
    for g in before.grades:
        if g.code not in mapped:
            node["maps_from"]["grades"].fail(f"grade '{g.code}' of version {before.version} is not mapped")
    for code in mapped:
        if not before.has_grade(code):
            node["maps_from"]["grades"].child(code).fail(f"not a grade of version {before.version}")


def _assumptions(value: object, path: str) -> list[str]:
    if not isinstance(value, Mapping):
        return []
    here = [path or "(version)"] if value.get("assumption") is True else []
    return here + [p for k, v in value.items() for p in _assumptions(v, f"{path}.{k}" if path else k)]


def _assumed(node: _Node) -> bool:
    return node.mapping().get("assumption") is True


def _note(node: _Node) -> str:
    return str(node.mapping().get("note") or "")


def _by_code(grades: tuple[Grade, ...], code: GradeCode) -> Grade:
    return next(g for g in grades if g.code == code)
