"""Vessel compliance (诚信船舶): the violations against a vessel and the status they give it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from stdnum import imo as stdnum_imo

from onewindow.kernel.errors import InvalidInput
from onewindow.kernel.messages import Event

from .events import VesselViolationRecorded
from .policy import CreditPolicy, ViolationType
from .register import add_months, problem

__all__ = ["Compliance", "VesselRecord", "VesselStatus", "VesselViolation"]


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
                [problem("imo", "other_vessel", f"is not IMO {self.imo}", f"不是 IMO {self.imo}")]
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
        start = add_months(today, -limits.window_months) + timedelta(days=1)
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


def _imo(number: str) -> str:
    if not stdnum_imo.is_valid(number):
        raise InvalidInput(
            [problem("imo", "imo_invalid", f"'{number}' is not a valid IMO number", "不是有效的IMO编号")]
        )
    return str(stdnum_imo.compact(number))
