"""Each figure of the port office's dashboard, computed from what OneWindow stores: declarations
and their dossiers, the events (the outbox is also the timeline), the risk assessments, the credit
policy and the facilities register. Reads never lock.

Every figure is a table (``Figure``: columns and rows) so that the chart, the JSON and the CSV
export show the same numbers. What counts where:

- declarations **lodged** in the period (submitted between ``from`` 00:00 and the end of ``to``,
  China time) make the volumes, the agencies' outcomes, the channels, the credit-grade rates,
  the release and inspection rates and the late list;
- declarations **released** in the period make the clearance times (a time is known once the
  declaration is released), bucketed by the day of their release.

Hours are rounded to two decimals and rates to four, in the rows themselves.

This module reads the stored data once for a set of filters (``Snapshot``) and names every figure
(``FIGURES``); ``times`` computes the clearance times, ``volumes`` the counts, channels, rates and
facility use, ``late`` the late dossiers, from the tables of ``figure``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from onewindow.declarations.tables import declarations
from onewindow.kernel.errors import NotFound
from onewindow.persistence.outbox import events

from .figure import AGENCIES, KINDS, Figure, Life
from .filters import Filters
from .late import late, overdue
from .measures import Change, clearance
from .times import clearance_time, stages, summary
from .volumes import (
    CHANNELS,
    GRADES,
    OUTCOMES,
    agencies,
    channels,
    credit_grades,
    facility_use,
    ports,
    volumes,
)

__all__ = ["AGENCIES", "CHANNELS", "FIGURES", "GRADES", "KINDS", "OUTCOMES", "Figure", "Snapshot", "offices"]

_LIFE = ("DossierOpened", "DossierDecided", "DossierResubmitted", "DeclarationReleased")


def offices(conn: sa.Connection) -> list[str]:
    """The customs offices that have declarations (what the port filter offers)."""
    d = declarations.c
    return sorted(str(o) for (o,) in conn.execute(sa.select(d.office).distinct()))


class Snapshot:
    """The stored data read once for one set of filters; each figure is computed from it."""

    def __init__(self, conn: sa.Connection, filters: Filters, now: datetime) -> None:
        self.conn, self.f, self.now = conn, filters, now

    def figure(self, name: str) -> Figure:
        try:
            make = FIGURES[name]
        except KeyError:
            raise NotFound("figure", "统计图表", name) from None
        return make(self)

    def previous(self) -> Snapshot:
        """The same filters over the period before."""
        return Snapshot(self.conn, self.f.previous(), self.now)

    # -- what the figures are made of -----------------------------------------------------------

    def lodged_numbers(self) -> sa.Select[Any]:
        d = declarations.c
        q = sa.select(d.number).where(d.submitted_at >= self.f.start, d.submitted_at < self.f.end)
        return q.where(d.office == self.f.port) if self.f.port else q

    @cached_property
    def lives(self) -> dict[str, Life]:
        """Declarations lodged or released in the period, with their clearance times."""
        d, e = declarations.c, events.c
        released = sa.select(e.number).where(
            e.type == "DeclarationReleased", e.occurred_at >= self.f.start, e.occurred_at < self.f.end
        )
        wanted = sa.or_(
            sa.and_(d.submitted_at >= self.f.start, d.submitted_at < self.f.end), d.number.in_(released)
        )
        numbers = sa.select(d.number).where(wanted)
        if self.f.port:
            numbers = numbers.where(d.office == self.f.port)
        rows = self.conn.execute(
            sa.select(d.number, d.kind, d.office, d.status, d.submitted_at).where(d.number.in_(numbers))
        ).all()
        history: dict[str, list[Any]] = defaultdict(list)
        for ev in self.conn.execute(
            sa.select(e.number, e.type, e.agency, e.occurred_at, e.body)
            .where(e.number.in_(numbers), e.type.in_(_LIFE))
            .order_by(e.seq)
        ):
            history[ev.number].append(ev)
        return {r.number: _life(r, history.get(r.number, [])) for r in rows}

    @cached_property
    def lodged(self) -> list[Life]:
        return [x for x in self.lives.values() if self.f.covers(x.submitted_at)]

    @cached_property
    def released(self) -> list[Life]:
        return [x for x in self.lives.values() if self.f.covers(x.released_at) and x.clearance is not None]

    def bucketed(self, lives: Iterable[Life], at: Callable[[Life], datetime]) -> dict[date, list[Life]]:
        out: dict[date, list[Life]] = {b: [] for b in self.f.buckets()}
        for x in lives:
            out.setdefault(self.f.bucket(at(x)), []).append(x)
        return out

    @cached_property
    def late(self) -> list[dict[str, Any]]:
        return overdue(self)


def _life(row: Any, history: list[Any]) -> Life:
    changes = []
    released_at = None
    inspected = False
    for ev in history:
        if ev.type == "DeclarationReleased":
            released_at = ev.occurred_at
        elif ev.agency is not None:
            category = str(ev.body.get("category", "open")) if ev.type == "DossierDecided" else "open"
            inspected = inspected or category == "inspection"
            changes.append(Change(ev.occurred_at, ev.agency, category, ev.type == "DossierDecided"))
    times = clearance(row.submitted_at, released_at, changes) if released_at is not None else None
    return Life(row.number, row.kind, row.office, row.status, row.submitted_at, released_at, inspected, times)


FIGURES: dict[str, Callable[[Snapshot], Figure]] = {
    "summary": summary,
    "clearance-time": clearance_time,
    "stages": stages,
    "volumes": volumes,
    "ports": ports,
    "agencies": agencies,
    "channels": channels,
    "credit-grades": credit_grades,
    "facilities": facility_use,
    "late": late,
}
