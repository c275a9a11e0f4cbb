"""The late dossiers: those waiting longer than their agency is expected to take
(``measures.EXPECTED_HOURS``), of the declarations lodged in the period and not yet closed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from onewindow.declarations.tables import declarations, dossiers

from .figure import Figure, round_hours
from .filters import PORT_TIME
from .measures import Situation, expected_hours, hours_between

if TYPE_CHECKING:
    from .queries import Snapshot

__all__ = ["late", "overdue"]

FINAL = ("released", "refused", "withdrawn")


def overdue(s: Snapshot) -> list[dict[str, Any]]:
    """The late dossiers as rows, most overdue first (what ``Snapshot.late`` holds)."""
    d, z = declarations.c, dossiers.c
    q = (
        sa.select(
            d.number,
            d.office,
            d.kind,
            d.updated_at,
            z.agency,
            z.state,
            z.category,
            z.withdrawal,
            z.updated_at.label("since"),
        )
        .join(dossiers, z.number == d.number)
        .where(d.number.in_(s.lodged_numbers()), d.status.not_in(FINAL))
        .where(sa.or_(z.category.in_(["open", "inspection"]), z.withdrawal == "pending"))
    )
    out = []
    for r in s.conn.execute(q):
        if r.withdrawal == "pending":
            situation, since = Situation.WITHDRAWAL, r.updated_at
        else:
            situation = Situation.INSPECTION if r.category == "inspection" else Situation.REVIEW
            since = r.since
        waited = hours_between(since, s.now)
        expected = expected_hours(r.agency, situation)
        if waited > expected:
            out.append(
                {
                    "number": r.number,
                    "port": r.office,
                    "kind": r.kind,
                    "agency": r.agency,
                    "situation": situation.value,
                    "state": r.state,
                    "since": since.astimezone(PORT_TIME).isoformat(timespec="minutes"),
                    "waited_h": round_hours(waited),
                    "expected_h": expected,
                    "overdue_h": round_hours(waited - expected),
                }
            )
    return sorted(out, key=lambda row: (-row["overdue_h"], row["number"], row["agency"]))


def late(s: Snapshot) -> Figure:
    """Dossiers waiting longer than their agency is expected to take (``measures.EXPECTED_HOURS``),
    most overdue first, of the declarations lodged in the period and not yet closed."""
    columns = (
        "number",
        "port",
        "kind",
        "agency",
        "situation",
        "state",
        "since",
        "waited_h",
        "expected_h",
        "overdue_h",
    )
    return Figure("late", columns, s.late)
