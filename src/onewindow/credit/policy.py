"""Credit policies (企业信用管理办法) as dated versions: grades, inspection rates, thresholds.

Every number the credit rules use lives in ``data/policies.json``, one version per decree (or per
port-office edit), each valid over a range of days. The port office edits that file;
``CreditPolicies.from_mapping`` checks an edit and names the path of the first problem it finds
(``versions[1].grades.dishonest.min_rate: ...``). An entry marked ``"assumption": true`` is a value
the decree does not fix; the policy lists those paths so they can be shown and confirmed.

What a policy sets (grades, rates, thresholds) is in ``policy_terms.py``; reading and checking
the document, in ``policy_document.py``; here, the versions and the one in force.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

from .policy_document import (
    DocumentNode,
    assumptions_in,
    read_grades,
    read_maps_from,
    read_repair,
    read_routine_rate,
    read_rules,
    read_vessels,
)
from .policy_terms import Grade, GradeCode, RatioThreshold, Rules, VesselThresholds, ViolationType

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
        return _version(DocumentNode(raw, path))


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
        root = DocumentNode(raw, "")
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


# -- a version from the document -------------------------------------------------------------------


_VERSION_KEYS = (
    "version", "valid_from", "valid_to", "source", "source_en", "routine_rate", "grades", "rules", "repair",
    "vessels", "maps_from",
)  # fmt: skip


def _version(node: DocumentNode) -> CreditPolicy:
    node.only(*_VERSION_KEYS)
    valid_from, valid_to_node = node["valid_from"].day(), node.get("valid_to")
    valid_to = valid_to_node.day() if valid_to_node is not None else None
    if valid_to is not None and valid_to < valid_from:
        node["valid_to"].fail(f"{valid_to} is before valid_from {valid_from}")
    grades = read_grades(node["grades"])
    maps_from, grade_map = read_maps_from(node.get("maps_from"), grades)
    return CreditPolicy(
        version=node["version"].text(),
        valid_from=valid_from,
        valid_to=valid_to,
        source=node["source"].text(),
        routine_rate=read_routine_rate(node["routine_rate"]),
        grades=grades,
        rules=read_rules(node["rules"], grades),
        repair_months=read_repair(node["repair"], grades),
        vessels=read_vessels(node["vessels"]),
        maps_from=maps_from,
        grade_map=grade_map,
        assumptions=tuple(assumptions_in(node.value, "")),
    )


def _check_succession(before: CreditPolicy, after: CreditPolicy, node: DocumentNode) -> None:
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
