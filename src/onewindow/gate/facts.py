"""What a gate decision rests on: the gate's register row, and for each container read the goods
declarations that list it with what the gates recorded for it.

``SqlFacts`` reads them from the database: one pooled connection and two indexed reads (the
facilities key; ``declaration_containers`` joined with ``declarations`` by key, the gates'
movements by key), SQL compiled once per shape and handed to the driver, about 20 µs on an idle
SQLite. The gates' in-memory view (``gate.view``) answers most decisions and reads through this
for what it does not hold; ``MemoryFacts`` is the in-memory twin for tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from onewindow.declarations.tables import declaration_containers, declarations
from onewindow.facilities import repository as facilities_repository
from onewindow.facilities.hours import ALWAYS_OPEN, OpeningHours, Period, is_open, parse_hours
from onewindow.facilities.tables import facilities
from onewindow.kernel.errors import InvalidInput

from .rules import GATE_KIND, Declared, Gate
from .tables import gate_movements

__all__ = [
    "MAX_CONTAINERS",
    "Facts",
    "MemoryFacts",
    "SqlFacts",
    "declared",
    "declared_select",
    "gates_open",
]

MAX_CONTAINERS = 4  # a truck carries at most four (20-foot) containers

Found = tuple[Gate | None, dict[str, list[Declared]]]


class Facts(Protocol):
    def read(self, gate_id: str, containers: Sequence[str]) -> Found: ...


class MemoryFacts:
    """The in-memory twin, for tests of what surrounds the rules."""

    def __init__(self, gates: Mapping[str, Gate], declared: Mapping[str, Sequence[Declared]]) -> None:
        self.gates, self.declared = dict(gates), {k: list(v) for k, v in declared.items()}

    def read(self, gate_id: str, containers: Sequence[str]) -> Found:
        return self.gates.get(gate_id), {c: self.declared[c] for c in containers if c in self.declared}


def gates_open(conn: sa.Connection, hours: Mapping[str, Any], now: datetime) -> dict[str, bool]:
    """Whether each gate of ``hours`` (gate id -> its register row's hours document) is open at
    ``now``: within its opening hours and not closed at short notice (the register's closures). A
    gate with no calendar, or one that cannot be read, is a 24-hour gate: its hours never hold a
    truck."""
    moment = Period(now, now + timedelta(seconds=1))
    shut = facilities_repository.closures_of(conn, list(hours), moment) if hours else {}
    return {
        gate: is_open(_hours(doc), [c.period for c in shut.get(gate, [])], moment.start, moment.end)
        for gate, doc in hours.items()
    }


def _hours(doc: Any) -> OpeningHours:
    try:
        return parse_hours(orjson.loads(doc) if isinstance(doc, str | bytes) else doc) if doc else ALWAYS_OPEN
    except InvalidInput:
        return ALWAYS_OPEN


class _Prepared:
    """A statement compiled once for the engine's dialect, run on a driver cursor."""

    def __init__(self, engine: sa.Engine, stmt: sa.Select[Any]) -> None:
        self._compiled = stmt.compile(dialect=engine.dialect)
        self._order = self._compiled.positiontup if self._compiled.positional else None

    def run(self, cursor: Any, values: dict[str, Any]) -> list[Any]:
        params = self._compiled.construct_params(values)
        args = [params[name] for name in self._order] if self._order is not None else params
        cursor.execute(self._compiled.string, args)
        return list(cursor.fetchall())


def _moved(direction: str) -> sa.Exists:
    dc, m = declaration_containers.c, gate_movements.c
    return sa.exists().where(m.number == dc.number, m.container == dc.container, m.direction == direction)


def declared_select() -> sa.Select[Any]:
    """Each declaration listing a container, as the rules need it (``declared`` makes the rows)."""
    dc, d = declaration_containers.c, declarations.c
    return sa.select(
        dc.container,
        dc.number,
        d.org_id,
        dc.kind,
        d.status,
        dc.seals,
        _moved("exit").label("exited"),
        _moved("entry").label("arrived"),
    ).join_from(declaration_containers, declarations, d.number == dc.number)


def declared(rows: Iterable[Any]) -> dict[str, list[Declared]]:
    """Rows of ``declared_select`` by container."""
    found: dict[str, list[Declared]] = {}
    for container, number, org_id, kind, status, seals, exited, arrived in rows:
        box = Declared(number, org_id, kind, status, _seals(seals), bool(exited), bool(arrived))
        found.setdefault(container, []).append(box)
    return found


def _declared_statement(count: int) -> sa.Select[Any]:
    containers: list[sa.BindParameter[Any]] = [sa.bindparam(f"c{i}") for i in range(count)]
    return declared_select().where(declaration_containers.c.container.in_(containers))


class SqlFacts:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        f = facilities.c
        self._gate = _Prepared(
            engine, sa.select(f.kind, f.active, f.port, f.hours).where(f.id == sa.bindparam("g"))
        )
        self._declared = {n: _Prepared(engine, _declared_statement(n)) for n in range(1, MAX_CONTAINERS + 1)}

    def read(self, gate_id: str, containers: Sequence[str], *, with_gate: bool = True) -> Found:
        """The gate's row (unless ``with_gate`` is false: the caller knows it) and the containers'."""
        if len(containers) > MAX_CONTAINERS:
            raise ValueError(f"at most {MAX_CONTAINERS} containers a truck")
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                gates = self._gate.run(cursor, {"g": gate_id}) if with_gate else []
                rows = self._rows(cursor, containers)
            finally:
                cursor.close()
        finally:
            raw.close()  # back to the pool, which ends the read transaction
        if not gates:
            return None, declared(rows)
        kind, active, port, hours = gates[0]
        opened = True
        if kind == GATE_KIND:
            with self._engine.connect() as conn:
                opened = gates_open(conn, {gate_id: hours}, datetime.now(UTC))[gate_id]
        return Gate(gate_id, kind, bool(active), port, opened), declared(rows)

    def _rows(self, cursor: Any, containers: Sequence[str]) -> list[Any]:
        if not containers:
            return []
        return self._declared[len(containers)].run(cursor, {f"c{i}": c for i, c in enumerate(containers)})


def _seals(value: Any) -> tuple[str, ...]:
    """The driver's JSON: text on SQLite, already decoded on PostgreSQL."""
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return tuple(value or ())
