"""The gates' view of the release state, in memory: what a decision reads, so that answering a truck
never waits on the database, nor on the interpreter lock that a database call gives up and the
writer's thread (busy with declarations) then holds. (With a SQLite read in each decision, those
waits made decisions many times slower than the bare endpoint under ``benchmarks/gate.py``'s
load; from memory they are about as fast.)

What it holds: every gate of the facilities register (reloaded each second), and per container
the goods declarations listing it with their status, declared seals and whether the gates already
let the goods out or in. A container comes into the view when one of its declarations changes
(submitted, amended, released or otherwise decided, moved at a gate), at that moment, and when a
gate asks about one that is not in it (read from the database once). At most ``capacity``
containers are kept; the longest-loaded leave first and are read again if asked for.

How it stays fresh: a follower reads the outbox (the ``events`` table, in commit order) after each
commit of this process and every ``poll`` seconds for the commits of others; every event of a
declaration re-reads that declaration's containers. So a release reaches the gates milliseconds
after its commit here, within ``poll`` from another process. Each entry carries the outbox position
it reflects, and an older read never replaces a newer one. A missing outbox position (PostgreSQL
hands out sequence numbers before commit, so a later number can commit first) is looked for again
for ``GAP_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from stdnum import iso6346

from onewindow.declarations import events as declaration_events
from onewindow.declarations.tables import declaration_containers, declarations
from onewindow.facilities.tables import facilities
from onewindow.kernel.tasks import cancel_and_wait
from onewindow.persistence.outbox import events

from . import events as gate_events
from .facts import Found, SqlFacts, declared, declared_select, gates_open
from .rules import GATE_KIND, Declared, Gate

__all__ = ["Boxes", "GateView"]

log = logging.getLogger(__name__)

# The events after which a declaration's containers are read again (linked by type).
FOLLOWED = frozenset(
    cls.__name__
    for cls in (
        declaration_events.DeclarationSubmitted,
        declaration_events.DeclarationAmended,
        declaration_events.DeclarationStatusChanged,
        gate_events.GoodsExited,
        gate_events.GoodsArrived,
    )
)
GAP_SECONDS = 10.0
CHUNK = 500  # values in one IN (...)

# Built once: built per call, these statements left SQLAlchemy expression objects in reference
# cycles at the follower's pace, which only the collector frees, pausing the whole process.
_e, _d, _f = events.c, declarations.c, facilities.c
_LAST = sa.select(sa.func.coalesce(sa.func.max(_e.seq), 0))
_AFTER = (
    sa.select(_e.seq, _e.type, _e.number).where(_e.seq > sa.bindparam("after")).order_by(_e.seq).limit(5_000)
)
_AT = sa.select(_e.seq, _e.type, _e.number).where(_e.seq.in_(sa.bindparam("seqs", expanding=True)))
_CONTAINERS_OF = sa.select(_d.data["containers"]).where(
    _d.number.in_(sa.bindparam("numbers", expanding=True))
)
_DECLARED = declared_select().where(
    declaration_containers.c.container.in_(sa.bindparam("containers", expanding=True))
)
_GATES = sa.select(_f.id, _f.kind, _f.active, _f.port, _f.hours).where(_f.kind == GATE_KIND)


# An entry: (declarations as plain tuples, the outbox position it reflects: every event up to it).
# Plain tuples of strings and booleans, which the collector stops tracking: a full view is a
# hundred thousand of them, and tracked objects would make every full collection scan them all.
_Entry = tuple[tuple[tuple[Any, ...], ...], int]


class Boxes:
    """Containers and what their declarations say, bounded, each entry with its outbox position.
    Pure bookkeeping (no I/O): the follower and the gates' reads both write through ``store``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: dict[str, _Entry] = {}
        self._by_number: dict[str, tuple[str, ...]] = {}  # tuples of strings: not scanned by the GC
        self._lock = threading.Lock()  # writers: the gates' reads and the follower's thread

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, container: str) -> tuple[Declared, ...] | None:
        entry = self._entries.get(container)
        return None if entry is None else tuple(map(Declared._make, entry[0]))

    def containers_of(self, numbers: Iterable[str]) -> set[str]:
        with self._lock:
            return {c for n in numbers for c in self._by_number.get(n, ())}

    def store(self, found: Mapping[str, Sequence[Declared]], seq: int) -> None:
        """Keep what was read as of outbox position ``seq``, unless newer is already kept."""
        with self._lock:
            self._store(found, seq)

    def _store(self, found: Mapping[str, Sequence[Declared]], seq: int) -> None:
        for container, boxes in found.items():
            old = self._entries.get(container)
            if old is not None:
                if old[1] > seq:
                    continue
                self._forget(container, old)
            self._entries[container] = (tuple(tuple(d) for d in boxes), seq)
            for d in boxes:
                held = self._by_number.get(d.number, ())
                if container not in held:
                    self._by_number[d.number] = (*held, container)
        while len(self._entries) > self.capacity:
            oldest = next(iter(self._entries))
            self._forget(oldest, self._entries[oldest])

    def _forget(self, container: str, entry: _Entry) -> None:
        del self._entries[container]
        for number, *_ in entry[0]:
            held = tuple(c for c in self._by_number.get(number, ()) if c != container)
            if held:
                self._by_number[number] = held
            else:
                self._by_number.pop(number, None)


class GateView:
    """Answers ``Facts.read`` from memory; see the module's docstring."""

    def __init__(self, engine: sa.Engine, *, capacity: int = 100_000, poll: float = 0.02) -> None:
        self._engine = engine
        self._source = SqlFacts(engine)
        self._boxes = Boxes(capacity)
        self._gates: dict[str, Gate] = {}
        self._poll = poll
        self._seq = 0
        self._gaps: dict[int, float] = {}  # missing outbox positions -> until when to look
        self._gates_due = 0.0
        self._following = False  # reads are kept only once the outbox is followed
        self._moved: dict[tuple[str, str, str], float] = {}  # confirmed here: (number, box, way) -> until
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the gates' side (event loop) --------------------------------------------------------

    def read(self, gate_id: str, containers: Sequence[str]) -> Found:
        gate = self._gates.get(gate_id)
        found: dict[str, list[Declared]] = {}
        missing = []
        for c in containers:
            boxes = self._boxes.get(c)
            if boxes is None:
                missing.append(c)
            elif boxes:
                found[c] = list(boxes)
        if gate is None or missing:
            gate = self._read_through(gate_id, missing, found) or gate
        if self._moved:
            found = {c: [self._as_moved(c, d) for d in boxes] for c, boxes in found.items()}
        return gate, found

    def moved(self, direction: str, moves: Iterable[tuple[str, str]], now: float | None = None) -> None:
        """Goods this process just confirmed out (or in): true at once, before the follower reads
        the confirmation back from the outbox (kept a minute, long after it has)."""
        now = time.monotonic() if now is None else now
        self._moved = {k: until for k, until in self._moved.items() if until > now}
        self._moved.update(((n, c, direction), now + 60.0) for n, c in moves)

    def _as_moved(self, container: str, d: Declared) -> Declared:
        out = (d.number, container, "exit") in self._moved
        arrived = (d.number, container, "entry") in self._moved
        if (out and not d.exited) or (arrived and not d.arrived):
            return d._replace(exited=d.exited or out, arrived=d.arrived or arrived)
        return d

    def _read_through(
        self, gate_id: str, missing: list[str], found: dict[str, list[Declared]]
    ) -> Gate | None:
        following, seq = self._following, self._seq  # a read now reflects every event followed so far
        gate, more = self._source.read(gate_id, missing, with_gate=gate_id not in self._gates)
        if following:
            self._boxes.store({c: more.get(c, []) for c in missing}, seq)
        found.update(more)
        return gate

    # -- the follower ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the gates, note the outbox position, and follow it from there."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await asyncio.to_thread(self._begin)
        self._task = asyncio.create_task(self._follow(), name="gate-view")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])  # it loops over wait_for: one cancel may be swallowed
            self._task = None

    def wake(self) -> None:
        """A commit happened in this process (called from the committer's thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

    @property
    def size(self) -> int:
        return len(self._boxes)

    async def _follow(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.to_thread(self.catch_up)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the gate view could not follow the outbox; retrying")
                await asyncio.sleep(1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
            await asyncio.sleep(0.002)  # commits come in bursts: one read for a burst

    def _begin(self) -> None:
        with self._engine.connect() as conn:
            self._seq = int(conn.execute(_LAST).scalar_one())
        self._load_gates()
        self._following = True

    def catch_up(self) -> None:
        """Read the outbox after the last position followed and re-read what it names."""
        now = time.monotonic()
        if now >= self._gates_due:
            self._load_gates()
        with self._engine.connect() as conn:
            rows = list(conn.execute(_AFTER, {"after": self._seq}))
            if self._gaps:
                rows += list(conn.execute(_AT, {"seqs": list(self._gaps)}))
        self._note_gaps(rows, now)
        numbers = {r.number for r in rows if r.number and r.type in FOLLOWED}
        seq = max([self._seq, *(r.seq for r in rows)])
        if numbers:
            self._refresh(numbers, seq)
        self._seq = seq

    def _note_gaps(self, rows: list[Any], now: float) -> None:
        for r in rows:
            self._gaps.pop(r.seq, None)
        expected = self._seq + 1
        for r in sorted(rows, key=lambda r: r.seq):
            if r.seq > expected and r.seq - expected <= 1_000:  # a wider jump is the sequence's cache
                self._gaps.update(dict.fromkeys(range(expected, r.seq), now + GAP_SECONDS))
            expected = max(expected, r.seq + 1)
        self._gaps = {s: until for s, until in self._gaps.items() if until > now}

    def _refresh(self, numbers: set[str], seq: int) -> None:
        """Read again every container of these declarations (now, and as the view knew them)."""
        targets = self._boxes.containers_of(numbers)
        with self._engine.connect() as conn:
            for chunk in _chunks(sorted(numbers)):
                for (boxes,) in conn.execute(_CONTAINERS_OF, {"numbers": chunk}):
                    targets.update(_numbers(_json(boxes)))
            found: dict[str, list[Declared]] = {c: [] for c in targets}
            for chunk in _chunks(sorted(targets)):
                found.update(declared(conn.execute(_DECLARED, {"containers": chunk})))
        self._boxes.store(found, seq)

    def _load_gates(self) -> None:
        with self._engine.connect() as conn:
            rows = conn.execute(_GATES).all()
            opened = gates_open(conn, {r.id: r.hours for r in rows}, datetime.now(UTC))
            self._gates = {r.id: Gate(r.id, r.kind, bool(r.active), r.port, opened[r.id]) for r in rows}
        self._gates_due = time.monotonic() + 1.0


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _numbers(boxes: Any) -> Iterable[str]:
    """The container numbers of a goods declaration's data (a vessel report has none)."""
    if isinstance(boxes, list):
        for b in boxes:
            if isinstance(b, dict) and isinstance(b.get("number"), str):
                yield iso6346.compact(b["number"])  # as declaration_containers holds it
