"""What the facilities register announces: a facility closed at short notice, and every booking
that moved because of it (or of new opening hours), so that whoever holds the appointment (a joint
inspection, a boarding) can tell the people attending it."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.kernel.messages import Event

__all__ = ["BookingMoved", "FacilityClosed"]


@dataclass(frozen=True, kw_only=True)
class FacilityClosed(Event):
    facility_id: str
    closure_id: str
    starts_at: str
    ends_at: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class BookingMoved(Event):
    """``starts_at`` is None when no free slot was found: the booking waits to be moved by hand."""

    booking_id: str
    facility_id: str
    reference: str
    purpose: str
    agencies: list[str]
    previous_starts_at: str
    starts_at: str | None
    ends_at: str | None
    reason: str
