"""Loads the demo: Anhui's port agencies, officers, brokers (``identities``) and eight weeks of
port traffic (``history``), made by the real code paths, then the joint inspections and gate
passages of the other demo loaders.

The history is replayed in order on a clock the loader moves (a ``FixedClock`` set into the
OneWindow and its committer for the load, so every operation, the consumers' included, is
stamped with the moment it happens): the port office's clearance-time figures have weeks behind
them. The history ends at the moment of loading.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from onewindow.bootstrap import OneWindow
from onewindow.declarations.tables import declarations
from onewindow.facilities.handlers import SaveFacility, SetRoster
from onewindow.identity.tables import organisations
from onewindow.kernel.clock import Clock, FixedClock
from onewindow.kernel.errors import OneWindowError

from . import samples
from .gates import load_gate_passages
from .history import HISTORY, History
from .identities import (
    DEMO_PASSWORD,
    DEMO_USERS,
    INVOICE_PDF,
    DemoUser,
    create_identities,
    register_documents,
)
from .inspections import load_joint_inspections
from .risk import load_risk_picture

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "INVOICE_PDF",
    "DemoUser",
    "already_loaded",
    "create_identities",
    "drain",
    "load_demo",
    "register_facilities",
    "travelling",
]


def already_loaded(ow: OneWindow) -> bool:
    with ow.engines.read.connect() as conn:
        return (
            conn.execute(sa.select(organisations.c.id).where(organisations.c.id == "onewindow-admin")).first()
            is not None
        )


async def load_demo(
    ow: OneWindow,
    declarations_count: int = 300,
    seed: int = 2015,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Create the demo organisations, users (with the tokens printed by ``onewindow run``), their
    invoices and, unless ``declarations_count`` is 0, the credit register, the officers' risk
    rules, the shared facilities and eight weeks of traffic ending now; then the joint
    inspections and gate passages of the other demo loaders. ``ow`` must be started."""
    rng = random.Random(seed)
    end = ow.clock.now()
    clock = FixedClock(end - HISTORY - timedelta(days=1))
    with travelling(ow, clock):
        usccs = await create_identities(ow, rng)
        documents = await register_documents(ow, usccs)  # the benchmarks' declarations cite them too
        if declarations_count:
            consignees = await load_risk_picture(ow, rng, usccs)
            await register_facilities(ow)
            history = History(ow, clock, rng, usccs, documents, consignees)
            await history.replay(declarations_count, end, progress)
            await drain(ow)
    if declarations_count:
        await load_joint_inspections(ow, rng)
        await load_gate_passages(ow, rng)
    with ow.engines.read.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(declarations.c.status, sa.func.count()).group_by(declarations.c.status)
            ).all()
        )
    return {"declarations": sum(counts.values()), "by_status": counts}


@contextlib.contextmanager
def travelling(ow: OneWindow, clock: Clock) -> Iterator[None]:
    """Run the OneWindow on ``clock`` for a while: its own reads and the committer's ``tx.now``
    (which the consumers' operations are stamped with too) follow it; the old clock is put back."""
    saved = ow.clock
    ow.clock = clock
    ow.committer.clock = clock
    try:
        yield
    finally:
        ow.clock = saved
        ow.committer.clock = saved


async def register_facilities(ow: OneWindow) -> None:
    """The ports, inspection sites and scanners of ``samples.FACILITIES`` and their officer rosters
    (kept as they are where already registered)."""
    known = frozenset(a.code for a in ow.agencies)
    for fields in samples.FACILITIES:
        with contextlib.suppress(OneWindowError):
            await ow.committer.run(SaveFacility(dict(fields), known, "user:port-office", create=True))
    for facility_id, agency, officers, hours in samples.ROSTERS:
        await ow.committer.run(SetRoster(facility_id, agency, officers, hours, "user:port-office"))


async def drain(ow: OneWindow) -> None:
    """Wait until the relay has published everything and the consumers had a moment to act."""
    for _ in range(600):
        with ow.engines.read.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
        if not left:
            await asyncio.sleep(0.3)
            with ow.engines.read.connect() as conn:
                left = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
            if not left:
                return
        await asyncio.sleep(0.1)
