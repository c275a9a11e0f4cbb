"""The declaration and its dossiers: pure rules that record what happened as events.

One declaration, one dossier per concerned agency. The declaration's status is derived from its
dossiers and is never set by hand: it is released once, when every dossier is released; refused as
soon as one agency refuses. Amending is for open declarations; a withdrawal after an agency acted
is a request that each such agency decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from onewindow.agencies.base import Agency
from onewindow.agencies.states import FINAL, Category
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.kernel.messages import Event

from . import events as ev
from .dataset import ConveyanceReport, GoodsDeclaration

__all__ = ["Declaration", "Dossier", "Status", "Withdrawal", "number_for"]

Data = GoodsDeclaration | ConveyanceReport

KIND_FLAGS = {"import": "1", "export": "0", "vessel_arrival": "2", "vessel_departure": "3"}


def number_for(office: str, year: int, kind: str, serial: int) -> str:
    """报关单号: office (4) + year (4) + direction flag (1) + serial (9) = 18 digits.

    Serials are allocated per office and year, shared by every kind, so a number is never reused;
    the flag tells import (1), export (0), vessel arrival (2) and departure (3) apart.
    """
    return f"{office}{year:04d}{KIND_FLAGS[kind]}{serial:09d}"


class Status(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    ACTION_REQUIRED = "action_required"
    INSPECTION = "inspection"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    RELEASED = "released"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


FINAL_STATUSES = frozenset({Status.RELEASED, Status.REFUSED, Status.WITHDRAWN})


class Withdrawal(StrEnum):
    NONE = "none"
    PENDING = "pending"  # on a dossier: the agency has to decide; on the declaration: requested
    APPROVED = "approved"


@dataclass
class Dossier:
    """One agency's file on the declaration (an agency's own states, see its machine)."""

    agency: str
    state: str
    category: Category
    reason: str = ""
    decided_by: str | None = None
    updated_at: datetime | None = None
    acted: bool = False
    withdrawal: Withdrawal = Withdrawal.NONE
    dirty: bool = field(default=True, compare=False)
    persisted: bool = field(default=False, compare=False)


@dataclass
class Declaration:
    number: str
    org_id: str
    data: Data
    submitted_at: datetime
    submitted_by: str
    dossiers: dict[str, Dossier]
    status: Status = Status.SUBMITTED
    version: int = 1
    withdrawal: Withdrawal = Withdrawal.NONE
    updated_at: datetime | None = None
    events: list[Event] = field(default_factory=list, compare=False)
    data_changed: bool = field(default=False, compare=False)
    # The data set's JSON exactly as the declarant sent it (validated), stored as it is: what was
    # declared, and one serialisation less on the hot path. None once amended or when loaded.
    source_json: bytes | None = field(default=None, compare=False, repr=False)

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def submit(
        cls, number: str, org_id: str, data: Data, agencies: Sequence[Agency], by: str, now: datetime
    ) -> Declaration:
        dossiers = {
            a.code: Dossier(a.code, a.machine.initial, a.machine.category(a.machine.initial), updated_at=now)
            for a in agencies
        }
        decl = cls(number, org_id, data, now, by, dossiers, updated_at=now)
        decl._record(
            ev.DeclarationSubmitted,
            now,
            kind=data.kind,
            office=data.declaration_office,
            agencies=list(dossiers),
            submitted_by=by,
        )
        for d in dossiers.values():
            decl._record(ev.DossierOpened, now, agency=d.agency, state=d.state)
        return decl

    def decide(
        self, agency: Agency, decision: str, reason: str, by: str, now: datetime, rule: str | None = None
    ) -> None:
        dossier = self._dossier(agency.code)
        self._require_open()
        if not reason.strip():
            raise InvalidInput(
                [FieldError("reason", "required", "Every decision needs a reason.", "每项决定都须说明理由。")]
            )
        nxt = agency.machine.next_state(dossier.state, decision)
        if nxt is None:
            raise Conflict(
                "decision_not_allowed",
                f"{agency.name} cannot '{decision}' a dossier in state '{dossier.state}'; "
                f"allowed: {', '.join(agency.machine.allowed(dossier.state)) or 'none'}.",
                f"{agency.name_zh}不能对处于“{dossier.state}”状态的案卷作出“{decision}”决定。",
                state=dossier.state,
                allowed=agency.machine.allowed(dossier.state),
            )
        dossier.state, dossier.category = nxt, agency.machine.category(nxt)
        dossier.reason, dossier.decided_by, dossier.updated_at = reason, by, now
        dossier.acted, dossier.dirty = True, True
        self._record(
            ev.DossierDecided,
            now,
            agency=agency.code,
            decision=decision,
            state=nxt,
            category=dossier.category.value,
            reason=reason,
            decided_by=by,
            rule=rule,
        )
        self._settle(now, reason)

    def amend(self, data: Data, concerned: Sequence[Agency], reason: str, by: str, now: datetime) -> None:
        """Replace the data set (an answer to a document or correction request, or a correction of
        the declarant's own); agencies newly concerned get a dossier, answered requests reopen."""
        self._require_open()
        if self.withdrawal is Withdrawal.PENDING:
            raise Conflict(
                "withdrawal_pending",
                "A withdrawal is pending; it must be decided first.",
                "撤单申请待审批，须先处理。",
            )
        if data.kind != self.data.kind or data.declaration_office != self.data.declaration_office:
            raise InvalidInput(
                [
                    FieldError(
                        "data.kind",
                        "not_allowed",
                        "An amendment cannot change the kind or the office of declaration.",
                        "修改申报不能变更申报类型或申报地海关。",
                    )
                ]
            )
        self.data, self.version, self.updated_at = data, self.version + 1, now
        self.data_changed, self.source_json = True, None
        new = [a for a in concerned if a.code not in self.dossiers]
        for a in new:
            self.dossiers[a.code] = Dossier(
                a.code, a.machine.initial, a.machine.category(a.machine.initial), updated_at=now
            )
        self._record(
            ev.DeclarationAmended,
            now,
            version=self.version,
            reason=reason,
            amended_by=by,
            new_agencies=[a.code for a in new],
        )
        for a in new:
            self._record(ev.DossierOpened, now, agency=a.code, state=a.machine.initial)
        by_code = {a.code: a for a in concerned}
        for d in self.dossiers.values():
            if d.category is Category.ACTION_REQUIRED:
                machine = by_code[d.agency].machine if d.agency in by_code else None
                d.state = machine.resubmitted if machine else "under_review"
                d.category, d.updated_at, d.dirty = Category.OPEN, now, True
                self._record(ev.DossierResubmitted, now, agency=d.agency, state=d.state)
        self._settle(now, reason)

    def withdraw(self, reason: str, by: str, now: datetime) -> None:
        """撤单: at once while no agency has acted; otherwise a request to the agencies that acted."""
        self._require_open()
        if self.withdrawal is Withdrawal.PENDING:
            raise Conflict("withdrawal_pending", "A withdrawal is already pending.", "已有撤单申请待审批。")
        acted = [d for d in self.dossiers.values() if d.acted and d.category not in FINAL]
        released = [d for d in self.dossiers.values() if d.category is Category.RELEASED]
        if not acted and not released:
            self._close_withdrawn(reason, now)
            return
        self.withdrawal = Withdrawal.PENDING
        pending = acted + released
        for d in pending:
            d.withdrawal, d.dirty = Withdrawal.PENDING, True
        self._record(
            ev.WithdrawalRequested,
            now,
            reason=reason,
            requested_by=by,
            pending_agencies=[d.agency for d in pending],
        )
        self._settle(now, reason)

    def decide_withdrawal(self, agency: Agency, approve: bool, reason: str, by: str, now: datetime) -> None:
        dossier = self._dossier(agency.code)
        self._require_open()
        if dossier.withdrawal is not Withdrawal.PENDING:
            raise Conflict(
                "no_withdrawal_pending",
                "There is no withdrawal for your agency to decide.",
                "没有待贵机构审批的撤单申请。",
            )
        self._record(
            ev.WithdrawalDecided, now, agency=agency.code, approved=approve, reason=reason, decided_by=by
        )
        if not approve:
            for d in self.dossiers.values():
                if d.withdrawal is not Withdrawal.NONE:
                    d.withdrawal, d.dirty = Withdrawal.NONE, True
            self.withdrawal = Withdrawal.NONE
            self._record(ev.WithdrawalRejected, now, agency=agency.code, reason=reason)
            self._settle(now, reason)
            return
        dossier.withdrawal, dossier.dirty = Withdrawal.APPROVED, True
        if all(d.withdrawal is not Withdrawal.PENDING for d in self.dossiers.values()):
            self._close_withdrawn(reason, now)

    # -- derived state ------------------------------------------------------------------------

    def derive_status(self) -> Status:
        cats = [d.category for d in self.dossiers.values()]
        if self.withdrawal is Withdrawal.APPROVED:
            return Status.WITHDRAWN
        if Category.REFUSED in cats:
            return Status.REFUSED
        if cats and all(c is Category.RELEASED for c in cats):
            return Status.RELEASED
        if self.withdrawal is Withdrawal.PENDING:
            return Status.WITHDRAWAL_REQUESTED
        if Category.ACTION_REQUIRED in cats:
            return Status.ACTION_REQUIRED
        if Category.INSPECTION in cats:
            return Status.INSPECTION
        if any(d.acted or d.state != "received" for d in self.dossiers.values()):
            return Status.UNDER_REVIEW
        return Status.SUBMITTED

    def _settle(self, now: datetime, reason: str) -> None:
        new = self.derive_status()
        if new is self.status:
            return
        previous, self.status, self.updated_at = self.status, new, now
        self._record(ev.DeclarationStatusChanged, now, previous=previous.value, status=new.value)
        if new is Status.RELEASED:
            self._record(
                ev.DeclarationReleased,
                now,
                event_id=ev.final_event_id(self.number, "released"),
                agencies=list(self.dossiers),
            )
        elif new is Status.REFUSED:
            refuser = next(d for d in self.dossiers.values() if d.category is Category.REFUSED)
            self._record(
                ev.DeclarationRefused,
                now,
                agency=refuser.agency,
                event_id=ev.final_event_id(self.number, "refused"),
                reason=refuser.reason,
            )

    def _close_withdrawn(self, reason: str, now: datetime) -> None:
        self.withdrawal = Withdrawal.APPROVED
        for d in self.dossiers.values():
            if d.category not in FINAL:
                d.state, d.category, d.updated_at, d.dirty = "withdrawn", Category.WITHDRAWN, now, True
        self._record(
            ev.DeclarationWithdrawn, now, event_id=ev.final_event_id(self.number, "withdrawn"), reason=reason
        )
        self._settle(now, reason)

    def _dossier(self, agency: str) -> Dossier:
        try:
            return self.dossiers[agency]
        except KeyError:
            raise NotFound("dossier", "案卷", f"{self.number}/{agency}") from None

    def _require_open(self) -> None:
        if self.status in FINAL_STATUSES:
            raise Conflict(
                "declaration_closed",
                f"Declaration {self.number} is {self.status.value}; it can no longer change.",
                f"报关单 {self.number} 已{self.status.value}，不能再变更。",
                status=self.status.value,
            )

    def _record(self, event_class: type[Event], now: datetime, **fields: Any) -> None:
        self.events.append(event_class(number=self.number, org_id=self.org_id, occurred_at=now, **fields))
