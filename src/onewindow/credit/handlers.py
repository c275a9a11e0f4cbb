"""Changing the credit register: load, apply the rules, save, announce, in one transaction.

Every change to a grade bumps the ``credit`` counter, so every process's risk engine selects the
next declaration by the new grade.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput
from onewindow.persistence.committer import Transaction
from onewindow.persistence.versions import bump

from . import repository
from .grades import current_policies
from .model import (
    Enterprise,
    GradeChange,
    RepairRefusal,
    VesselRecord,
    VesselViolation,
    Violation,
    assess,
    carry_over,
    manual_grade,
    request_repair,
)
from .policy import CreditPolicies, CreditPolicy, ViolationType, port_date
from .tables import credit_policies, credit_violations, enterprises

__all__ = [
    "CureViolation",
    "Reassess",
    "RecordVesselViolation",
    "RecordViolation",
    "RegisterEnterprise",
    "RepairCredit",
    "SavePolicy",
    "SetGrade",
]

CREDIT = "credit"  # the change counter the risk engine watches


def _policy(tx: Transaction) -> tuple[CreditPolicies, CreditPolicy, date]:
    policies = current_policies(tx.conn)
    today = port_date(tx.now)
    return policies, policies.on(today), today


def _settle(
    tx: Transaction, ent: Enterprise, last_year: int, saved: int, *, new: bool = False
) -> dict[str, Any]:
    """Save what changed, emit its events, and tell the engines when the grade moved."""
    repository.save_enterprise(tx.conn, ent, tx.now, last_year, new=new, saved=saved)
    tx.emit(ent.events)
    if new or len(ent.history) > saved:
        bump(tx.conn, CREDIT)
    return {"uscc": ent.uscc, "name": ent.name, "grade": ent.grade.value, "since": ent.since.isoformat()}


def _reassessed(tx: Transaction, ent: Enterprise, last_year: int, actor: str) -> None:
    """Carry the grade over a decree change, then apply any downgrade the rules call for now."""
    policies, policy, today = _policy(tx)
    if ent.policy_version and ent.policy_version != policy.version:
        change = carry_over(ent, policies, policy, today)
        if change is not None:
            ent.apply(change, tx.now)
    found = assess(ent, repository.violations_of(tx.conn, ent.uscc), last_year, today, policy, by=actor)
    if found is not None:
        ent.apply(found, tx.now)


@dataclass
class RegisterEnterprise:
    uscc: str
    name: str
    actor: str
    org_id: str | None = None
    customs_broker: bool = False
    declarations_last_year: int = 0

    def run(self, tx: Transaction) -> dict[str, Any]:
        exists = tx.conn.execute(sa.select(enterprises.c.uscc).where(enterprises.c.uscc == self.uscc)).first()
        if exists:
            raise Conflict(
                "already_registered", f"{self.uscc} is already registered.", f"{self.uscc} 已登记。"
            )
        _, policy, _ = _policy(tx)
        ent = Enterprise.register(
            self.uscc,
            self.name,
            policy,
            tx.now,
            self.actor,
            org_id=self.org_id,
            customs_broker=self.customs_broker,
        )
        return _settle(tx, ent, self.declarations_last_year, 0, new=True)


@dataclass
class RecordViolation:
    """A violation found by any agency; the rules may downgrade the enterprise at once."""

    uscc: str
    type: ViolationType
    occurred_on: date
    amount_cny: Decimal
    agency: str
    description: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        if self.occurred_on > port_date(tx.now):
            raise InvalidInput(
                [
                    FieldError(
                        "occurred_on",
                        "in_future",
                        "A violation cannot be in the future.",
                        "违规日期不能晚于今天。",
                    )
                ]
            )
        ent, last_year = repository.load_enterprise(tx.conn, self.uscc)
        saved = len(ent.history)
        v = Violation(
            uuid.uuid4().hex,
            self.uscc,
            self.type,
            self.occurred_on,
            self.amount_cny,
            self.agency,
            self.description,
        )
        tx.conn.execute(
            credit_violations.insert().values(
                id=v.id,
                uscc=v.uscc,
                type=v.type.value,
                occurred_on=v.occurred_on,
                amount=v.amount_cny,
                agency=v.agency,
                description=v.description,
                cured_on=None,
                recorded_by=self.actor,
                recorded_at=tx.now,
            )
        )
        ent.record_violation(v, tx.now)
        _reassessed(tx, ent, last_year, "rule:credit")
        return {"violation_id": v.id, **_settle(tx, ent, last_year, saved)}


@dataclass
class CureViolation:
    """Taxes paid, or the enterprise reached again: the fact stops counting from ``cured_on``."""

    violation_id: str
    cured_on: date

    def run(self, tx: Transaction) -> dict[str, Any]:
        v = credit_violations.c
        row = tx.conn.execute(sa.select(v.occurred_on).where(v.id == self.violation_id)).first()
        if row is None:
            from onewindow.kernel.errors import NotFound

            raise NotFound("violation", "违规记录", self.violation_id)
        if self.cured_on < row.occurred_on or self.cured_on > port_date(tx.now):
            raise InvalidInput(
                [
                    FieldError(
                        "cured_on",
                        "out_of_range",
                        "The cure date must be between the violation and today.",
                        "纠正日期须在违规日期与今天之间。",
                    )
                ]
            )
        tx.conn.execute(
            credit_violations.update().where(v.id == self.violation_id).values(cured_on=self.cured_on)
        )
        return {"violation_id": self.violation_id, "cured_on": self.cured_on.isoformat()}


@dataclass
class RepairCredit:
    """信用修复: granted (back to routine) or refused with the reasons and the earliest date."""

    uscc: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        ent, last_year = repository.load_enterprise(tx.conn, self.uscc)
        saved = len(ent.history)
        _, policy, today = _policy(tx)
        outcome = request_repair(
            ent, repository.violations_of(tx.conn, self.uscc), today, policy, by=self.actor
        )
        ent.apply(outcome, tx.now)
        view = _settle(tx, ent, last_year, saved)
        if isinstance(outcome, RepairRefusal):
            return {
                **view,
                "repaired": False,
                "reasons": list(outcome.reasons),
                "reasons_zh": list(outcome.reasons_zh),
                "earliest_on": outcome.earliest_on.isoformat() if outcome.earliest_on else None,
            }
        return {**view, "repaired": True}


@dataclass
class SetGrade:
    """An officer's grading (certification after an audit, or dishonesty on other grounds)."""

    uscc: str
    grade: str
    reason: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        ent, last_year = repository.load_enterprise(tx.conn, self.uscc)
        saved = len(ent.history)
        _, policy, today = _policy(tx)
        change: GradeChange = manual_grade(ent, self.grade, self.reason, self.actor, today, policy)
        ent.apply(change, tx.now)
        return _settle(tx, ent, last_year, saved)


@dataclass
class Reassess:
    """Run the rules over the whole register (time alone can downgrade: taxes unpaid for three
    months, unreachable for 90 days); returns the enterprises whose grade changed."""

    actor: str = "rule:credit"

    def run(self, tx: Transaction) -> list[dict[str, Any]]:
        changed = []
        for (uscc,) in tx.conn.execute(sa.select(enterprises.c.uscc)).all():
            ent, last_year = repository.load_enterprise(tx.conn, uscc)
            saved = len(ent.history)
            _reassessed(tx, ent, last_year, self.actor)
            if len(ent.history) > saved:
                changed.append(_settle(tx, ent, last_year, saved))
        return changed


@dataclass
class SavePolicy:
    """The port office's edition of the policy (checked whole; the packaged one stays as it was)."""

    document: dict[str, Any]
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        try:
            policies = CreditPolicies.from_mapping(self.document)
        except (ValueError, TypeError, KeyError) as e:
            path, _, message = str(e).partition(": ")
            raise InvalidInput(
                [FieldError(path or "$", "policy_invalid", message or str(e), f"信用政策有误：{e}")]
            ) from None
        tx.conn.execute(
            credit_policies.insert().values(document=self.document, saved_by=self.actor, saved_at=tx.now)
        )
        bump(tx.conn, CREDIT)
        return {"versions": [p.version for p in policies.versions], "assumptions": _assumptions(policies)}


def _assumptions(policies: CreditPolicies) -> list[str]:
    return [a for p in policies.versions for a in p.assumptions]


@dataclass
class RecordVesselViolation:
    imo: str
    name: str
    flag: str | None
    type: ViolationType
    occurred_on: date
    agency: str
    description: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        vessel = repository.load_vessel(tx.conn, self.imo)
        new = vessel is None
        vessel = vessel or VesselRecord(self.imo, self.name, self.flag)
        v = VesselViolation(
            uuid.uuid4().hex, vessel.imo, self.type, self.occurred_on, self.agency, self.description
        )
        vessel.record_violation(v, tx.now)
        repository.save_vessel(tx.conn, vessel, tx.now, new=new, actor=self.actor)
        tx.emit(vessel.events)
        bump(tx.conn, CREDIT)
        _, policy, today = _policy(tx)
        status = vessel.compliance(today, policy)
        return {
            "imo": vessel.imo,
            "violation_id": v.id,
            "status": status.status.value,
            "reason": status.reason,
        }
