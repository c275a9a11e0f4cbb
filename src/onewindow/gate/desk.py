"""The gate desk (卡口): answers a gate reader from the release state at once, then has the passage
logged by the group committer.

What is durable when:

* **The decision** is answered before anything is written, from the gates' in-memory view of the
  committed release state (``gate.view``: a release or a confirmed exit is in it milliseconds
  after its commit), so neither a commit, an fsync nor a database read stands between the reader
  and its answer, and a busy writer (declarations pouring in) does not slow the gate down.
* **The passage's log line** (what was read, the decision, every reason) is handed to the group
  committer at most ``FLUSH_SECONDS`` (5 ms) after the answer, together with the other passages
  answered meanwhile (one operation, one multi-row insert), and is on disk with the committer's
  next commit: within milliseconds. A crash in that window loses the log lines of the decisions
  answered in it and nothing else; confirming such a passage is refused (404), so the reader asks
  again and the new passage is logged. (Handing over every passage alone would cost a commit
  and a wake-up of the outbox relay a passage: more than the decision itself.)
* **A confirmation** (the truck passed) is acknowledged only once committed: the passage's
  ``confirmed_at``, the movements (at most one exit and one arrival per declaration and
  container) and the ``GoodsExited`` / ``GoodsArrived`` events on each declaration's timeline, in
  one transaction. A confirmation waits for its passage's log line if that is still queued here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from onewindow.kernel.clock import Clock
from onewindow.kernel.messages import new_event_id
from onewindow.persistence.committer import Committer

from . import rules
from .facts import Facts
from .handlers import Confirmation, ConfirmPassage, LogPassages, Passage
from .rules import Reading
from .view import GateView

__all__ = ["FLUSH_AT", "FLUSH_SECONDS", "GateDesk"]

log = logging.getLogger(__name__)


FLUSH_SECONDS = 0.005  # a passage's log line is handed to the committer at most this long after its answer
FLUSH_AT = 256  # … or as soon as this many are waiting


class GateDesk:
    def __init__(self, view: GateView | Facts, committer: Committer, clock: Clock) -> None:
        self._facts = view
        self._view = view if isinstance(view, GateView) else None
        self._committer = committer
        self._clock = clock
        self._waiting: list[Passage] = []  # answered, not handed to the committer yet
        self._timer: asyncio.TimerHandle | None = None
        self._committing: dict[str, Future[Any]] = {}  # passage id -> the commit of its log line
        self._starting: asyncio.Future[None] | None = None

    @property
    def started(self) -> bool:
        return self._starting is not None and self._starting.done()

    async def start(self) -> None:
        """Begin following the outbox (once; later calls wait for the first). Should the database
        not answer, decisions read it directly meanwhile and the next call tries again."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        try:
            await asyncio.shield(self._starting)
        except Exception:
            log.exception("the gate view could not start; decisions read the database meanwhile")
            self._starting = None

    async def _start(self) -> None:
        if self._view is not None:
            await self._view.start()
            self._committer.add_listener(self._view.wake)

    async def stop(self) -> None:
        """Hand over the log lines still waiting (before the committer stops), stop following."""
        self.flush()
        if self._view is not None:
            await self._view.stop()

    def decide(self, reading: Reading, read_at: datetime | None, asked_by: str) -> Passage:
        """Open or hold, from the state as committed now; the log line follows (see above).
        Called on the event loop."""
        passage = Passage(
            new_event_id(), reading, self._decision(reading), self._clock.now(), read_at, asked_by
        )
        self._waiting.append(passage)
        if len(self._waiting) >= FLUSH_AT:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
        return passage

    def flush(self) -> None:
        """Hand the waiting log lines to the group committer, as one operation."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._waiting:
            return
        batch, self._waiting = tuple(self._waiting), []
        future = self._committer.submit(LogPassages(batch))
        ids = [p.id for p in batch]
        for passage_id in ids:
            self._committing[passage_id] = future
        future.add_done_callback(lambda f: self._logged(ids, f))

    async def confirm(self, gate_id: str, passage_id: str, by: str) -> Confirmation:
        """Durable before it returns; the passage's log line is committed first if still here."""
        if any(p.id == passage_id for p in self._waiting):
            self.flush()
        queued = self._committing.get(passage_id)
        if queued is not None:
            with contextlib.suppress(Exception):  # not logged: the confirmation says it is unknown
                await asyncio.shield(asyncio.wrap_future(queued))
        done: Confirmation = await self._committer.run(ConfirmPassage(gate_id, passage_id, by))
        if self._view is not None and not done.replayed:
            self._view.moved(done.direction, ((n, c) for n, boxes in done.moved.items() for c in boxes))
        return done

    @property
    def unlogged(self) -> int:
        """Passages answered whose log line is not committed yet."""
        return len(self._waiting) + len(self._committing)

    def _decision(self, reading: Reading) -> rules.Decision:
        lookups = [c for c in reading.containers if rules.well_formed(c)]
        try:
            gate, declared = self._facts.read(reading.gate_id, lookups)
        except Exception:  # the state cannot be read: the gate stays shut, and says so
            log.exception("gate %s: the release state could not be read", reading.gate_id)
            return rules.unavailable(reading)
        return rules.decide(reading, gate, declared)

    def _logged(self, ids: list[str], future: Future[Any]) -> None:
        for passage_id in ids:
            self._committing.pop(passage_id, None)
        if not future.cancelled() and future.exception() is not None:
            log.error("%d gate passages were answered but not logged: %s", len(ids), future.exception())
