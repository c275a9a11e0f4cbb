"""The machinery of the demo's history: a queue of what happens when, worked off in time order on
the demo's clock; the officers' pace (office hours, faster as the weeks pass, a few dossiers left
lying); and what the steps of the story (``history``) read from and write to the OneWindow:
operations tried in one transaction, a dossier's channel, an inspection order placed.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from onewindow.bootstrap import OneWindow
from onewindow.inspection.handlers import OpenTask
from onewindow.inspection.tables import inspection_orders
from onewindow.inspection.tasks import CONSUMER as INSPECTIONS
from onewindow.kernel.clock import FixedClock
from onewindow.kernel.errors import OneWindowError
from onewindow.persistence.outbox import events, processed_events
from onewindow.risk.tables import risk_assessments

from . import samples
from .identities import DEMO_USERS

__all__ = ["Action", "Case", "Replay"]

log = logging.getLogger(__name__)

# The share of an agency's decisions that wait for office hours.
OFFICE_HOURS_SHARE = {"customs": 0.5, "quarantine": 0.9, "border": 0.0, "maritime": 0.3}
LEFT_LYING = 0.05  # share of the last three weeks' dossiers and inspections an officer never gets to
LYING_SINCE = timedelta(weeks=3)


@dataclass
class Case:
    """One demo declaration as the replay follows it."""

    number: str
    org: str
    actor: str
    raw: dict[str, Any]
    fraud: bool  # what an inspection of it finds
    planned: dict[str, str] = field(default_factory=dict)  # agency -> the situation already planned for
    answering: bool = False  # the declarant's answer to a request is planned
    settled: bool = False  # nothing more happens to it in the demo's history


Action = Callable[[], Awaitable[None]]


class Replay:
    """The demo's clock and its queue of actions; the officers who act and their pace."""

    def __init__(self, ow: OneWindow, clock: FixedClock, rng: random.Random) -> None:
        self.ow, self.clock, self.rng = ow, clock, rng
        self.officers = {u.agency: u for u in DEMO_USERS if u.agency}
        self._steps: list[tuple[datetime, int, Action]] = []
        self._seq = 0
        self._start = clock.now()
        self._end = clock.now()

    # -- the queue ----------------------------------------------------------------------------

    def _at(self, when: datetime, action: Action) -> None:
        self._seq += 1
        heapq.heappush(self._steps, (max(when, self.now), self._seq, action))

    @property
    def now(self) -> datetime:
        return self.clock.now()

    async def _work_off(self, end: datetime) -> None:
        """Do what is planned, in time order, each at its moment on the clock, until ``end``."""
        while self._steps:
            at, _seq, action = heapq.heappop(self._steps)
            if at >= end:
                break  # not yet happened when the demo is loaded
            self.clock.advance(seconds=(at - self.now).total_seconds())
            await action()

    # -- the pace -----------------------------------------------------------------------------

    def _left_lying(self) -> bool:
        return self.now > self._end - LYING_SINCE and self.rng.random() < LEFT_LYING

    def _trend(self) -> float:
        """Clearance gets faster over the weeks (the reform at work): 1.4 at the start, 0.7 now."""
        span = (self._end - self._start).total_seconds()
        done = min(max((self.now - self._start).total_seconds() / span, 0.0), 1.0) if span else 1.0
        return 1.4 - 0.7 * done

    def _office_hours(self, agency: str, when: datetime, kind: str | None = None) -> datetime:
        """Most decisions wait for office hours; exports' much less (they clear round the clock)."""
        share = OFFICE_HOURS_SHARE.get(agency, 0.5) * (0.25 if kind == "export" else 1.0)
        if self.rng.random() < share:
            return samples.working_time(when, self.rng)
        return when

    # -- reading and writing ------------------------------------------------------------------

    def _opening(self, task_id: str, agency: str) -> OpenTask:
        return OpenTask(task_id, agency, f"user:{self.officers[agency].user_id}")

    async def _try_all(self, ops: list[Any]) -> None:
        """Run ``ops`` in order in one transaction; one refused does not stop the others."""
        futures = self.ow.committer.submit_all(ops)
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures), return_exceptions=True)

    async def _try(self, op: Any) -> bool:
        try:
            await self.ow.committer.run(op)
        except OneWindowError:
            return False
        return True

    def _channel(self, number: str, agency: str) -> str | None:
        a = risk_assessments.c
        with self.ow.engines.read.connect() as conn:
            found = conn.execute(
                sa.select(a.channel)
                .where(a.number == number, a.agency == agency)
                .order_by(a.version.desc())
                .limit(1)
            ).scalar()
        return str(found) if found else None

    async def _order_placed(self, case: Case, agency: str) -> str | None:
        """The task the agency's inspection order joined: a consumer places the order from the
        dossier's latest decision on the event stream (on the clock as it stands: the replay waits
        for it); None when another agency's result settled it (mutual recognition)."""
        e, p, o = events.c, processed_events.c, inspection_orders.c
        with self.ow.engines.read.connect() as conn:
            decided = conn.execute(
                sa.select(e.event_id)
                .where(e.number == case.number, e.agency == agency, e.type == "DossierDecided")
                .order_by(e.seq.desc())
                .limit(1)
            ).scalar()
        for _ in range(4_000):
            with self.ow.engines.read.connect() as conn:
                handled = conn.execute(
                    sa.select(p.event_id).where(p.consumer == INSPECTIONS, p.event_id == decided)
                ).first()
                if handled is not None:
                    return conn.execute(
                        sa.select(o.task_id)
                        .where(o.number == case.number, o.agency == agency)
                        .order_by(o.ordered_at.desc())
                        .limit(1)
                    ).scalar()
            await asyncio.sleep(0.005)
        log.warning("demo: no inspection order was placed for %s/%s", case.number, agency)
        return None
