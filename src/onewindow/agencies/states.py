"""Dossier state machines: each agency has its own states, each state belongs to a category that
the single window understands (open, action required, inspection, released, refused, withdrawn).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["BASE_MACHINE", "Category", "Decision", "StateMachine"]


class Category(StrEnum):
    OPEN = "open"
    ACTION_REQUIRED = "action_required"  # the declarant must answer (documents, correction)
    INSPECTION = "inspection"
    RELEASED = "released"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


FINAL = frozenset({Category.RELEASED, Category.REFUSED, Category.WITHDRAWN})


class Decision(StrEnum):
    """The decisions every agency can take; an agency may add its own in its machine."""

    RELEASE = "release"
    REQUEST_DOCUMENTS = "request_documents"
    REQUEST_CORRECTION = "request_correction"
    ORDER_INSPECTION = "order_inspection"
    REFUSE = "refuse"


@dataclass(frozen=True)
class StateMachine:
    states: Mapping[str, Category]
    transitions: Mapping[tuple[str, str], str]
    initial: str = "received"
    resubmitted: str = "under_review"  # where an action-required dossier goes when the declarant amends
    decisions: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decisions", frozenset(d for _, d in self.transitions))
        for (src, _), dst in self.transitions.items():
            if src not in self.states or dst not in self.states:
                raise ValueError(f"transition {src} -> {dst} names an unknown state")

    def category(self, state: str) -> Category:
        return self.states[state]

    def next_state(self, state: str, decision: str) -> str | None:
        return self.transitions.get((state, decision))

    def allowed(self, state: str) -> list[str]:
        return sorted(d for (s, d) in self.transitions if s == state)

    def extend(
        self, states: Mapping[str, Category], transitions: Mapping[tuple[str, str], str]
    ) -> StateMachine:
        return StateMachine({**self.states, **states}, {**self.transitions, **transitions})


def _base() -> StateMachine:
    states = {
        "received": Category.OPEN,
        "under_review": Category.OPEN,
        "documents_requested": Category.ACTION_REQUIRED,
        "correction_requested": Category.ACTION_REQUIRED,
        "inspection_ordered": Category.INSPECTION,
        "released": Category.RELEASED,
        "refused": Category.REFUSED,
        "withdrawn": Category.WITHDRAWN,
    }
    outcome = {
        Decision.RELEASE: "released",
        Decision.REFUSE: "refused",
        Decision.ORDER_INSPECTION: "inspection_ordered",
    }
    requests = {
        Decision.REQUEST_DOCUMENTS: "documents_requested",
        Decision.REQUEST_CORRECTION: "correction_requested",
    }
    transitions: dict[tuple[str, str], str] = {}
    for src in ("received", "under_review"):
        for d, dst in {**outcome, **requests}.items():
            transitions[(src, d)] = dst
    for src in ("documents_requested", "correction_requested"):
        for d, dst in outcome.items():
            transitions[(src, d)] = dst
    transitions[("inspection_ordered", Decision.RELEASE)] = "released"
    transitions[("inspection_ordered", Decision.REFUSE)] = "refused"
    transitions[("inspection_ordered", Decision.REQUEST_DOCUMENTS)] = "documents_requested"
    return StateMachine(states, transitions)


BASE_MACHINE = _base()
