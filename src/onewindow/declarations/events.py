"""What happens to a declaration. Each is written to the outbox in the transaction that made it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from onewindow.kernel.messages import Event

__all__ = [
    "DeclarationAmended",
    "DeclarationRefused",
    "DeclarationReleased",
    "DeclarationStatusChanged",
    "DeclarationSubmitted",
    "DeclarationWithdrawn",
    "DossierDecided",
    "DossierOpened",
    "DossierResubmitted",
    "WithdrawalDecided",
    "WithdrawalRejected",
    "WithdrawalRequested",
    "final_event_id",
]


def final_event_id(number: str, outcome: str) -> str:
    """The one id a declaration's final announcement can have, so the outbox's unique key makes a
    second release (or refusal, or withdrawal) impossible, even across processes."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"onewindow:{number}:{outcome}").hex


@dataclass(frozen=True, kw_only=True)
class DeclarationSubmitted(Event):
    kind: str
    office: str
    agencies: list[str]
    submitted_by: str


@dataclass(frozen=True, kw_only=True)
class DossierOpened(Event):
    state: str


@dataclass(frozen=True, kw_only=True)
class DossierDecided(Event):
    decision: str
    state: str
    category: str
    reason: str
    decided_by: str
    rule: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeclarationAmended(Event):
    version: int
    reason: str
    amended_by: str
    new_agencies: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class DossierResubmitted(Event):
    state: str


@dataclass(frozen=True, kw_only=True)
class WithdrawalRequested(Event):
    reason: str
    requested_by: str
    pending_agencies: list[str]


@dataclass(frozen=True, kw_only=True)
class WithdrawalDecided(Event):
    approved: bool
    reason: str
    decided_by: str


@dataclass(frozen=True, kw_only=True)
class WithdrawalRejected(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeclarationStatusChanged(Event):
    previous: str
    status: str


@dataclass(frozen=True, kw_only=True)
class DeclarationReleased(Event):
    agencies: list[str]


@dataclass(frozen=True, kw_only=True)
class DeclarationRefused(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeclarationWithdrawn(Event):
    reason: str
