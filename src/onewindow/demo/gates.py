"""Demo gates (卡口): the Wuhu terminal's two gates on a working day, trucks let through with released
import containers and held for every reason a gate holds (a container on no declaration, goods not
released, a seal that does not match the declaration, a misread check digit, goods that already
left), most trucks let through confirmed as passed; and a closure announced ahead, which the
public reads with the opening hours.

Everything goes through the real code paths: the facilities register's ``SaveFacility`` and
``PostClosure``, and the gate desk that answers ``POST /v1/gates/{gate_id}/passages`` and confirms
``…/confirm`` (reading the committed release state directly, as the desk's view does for what it
does not hold)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from onewindow.bootstrap import OneWindow
from onewindow.declarations.tables import declaration_containers, declarations
from onewindow.facilities import repository
from onewindow.facilities.handlers import PostClosure, SaveFacility
from onewindow.facilities.hours import PORT_TIME, Period
from onewindow.facilities.model import LIVE
from onewindow.facilities.queries import PUBLIC_KINDS
from onewindow.gate.desk import GateDesk
from onewindow.gate.facts import MAX_CONTAINERS, SqlFacts
from onewindow.gate.rules import Direction, Reading
from onewindow.gate.tables import gate_movements

from . import samples

__all__ = ["CLOSURE", "GATES", "load_gate_passages"]

PORT_OFFICE = "user:port-office"
READER = "user:gate-operator"  # the terminal's gate reader asks with the gate operator's token


def _gate(number: int) -> dict[str, Any]:
    return {
        "id": f"WHI-GATE-{number}",
        "kind": "gate",
        "name": f"Wuhu Zhujiaqiao terminal gate {number}",
        "name_zh": f"芜湖朱家桥码头 {number} 号卡口",
        "port": "CNWHI",
        "site": None,
        "owner": "wuhu-terminal",
        "shared_with": ["customs", "quarantine"],
        "capacity": 1,
        "slot_minutes": 60,
        "hours": {"always": True},
        "active": True,
    }


GATES = [_gate(1), _gate(2)]
CLOSURE = "岸桥年度检修 annual crane maintenance"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
NOT_RELEASED = ("submitted", "under_review", "action_required", "withdrawal_requested")


@dataclass(frozen=True)
class _Goods:
    """A goods declaration's containers (at most a truck's load) and their declared seals."""

    number: str
    kind: str
    status: str
    containers: tuple[str, ...]
    seals: tuple[str, ...]


@dataclass(frozen=True)
class _Truck:
    direction: Direction
    containers: tuple[str, ...]
    seals: tuple[str, ...]
    confirm: bool = False


async def load_gate_passages(ow: OneWindow, rng: random.Random) -> dict[str, int]:
    """Register the gates if the demo has none, announce a closure, then drive a few dozen trucks
    through the gates; returns how many passages were let through, held and confirmed."""
    await _register(ow)
    goods = _goods(ow)
    trucks = _trucks(rng, goods)
    desk = GateDesk(SqlFacts(ow.engines.read), ow.committer, ow.clock)
    counts = {"open": 0, "hold": 0, "confirmed": 0}
    for truck in trucks:
        gate = rng.choice(GATES)["id"]
        reading = Reading.of(gate, truck.direction, _plate(rng), truck.containers, truck.seals)
        read_at = ow.clock.now() - timedelta(milliseconds=rng.randrange(150, 900))
        passage = desk.decide(reading, read_at, READER)
        counts[passage.decision.verdict.value] += 1
        if truck.confirm and passage.decision.opens:
            await desk.confirm(gate, passage.id, READER)
            counts["confirmed"] += 1
        await asyncio.sleep(0.01)  # trucks come one after another
    desk.flush()
    while desk.unlogged:
        await asyncio.sleep(0.01)
    return counts


async def _register(ow: OneWindow) -> None:
    """The terminal's gates, unless registered; and a closure announced a few days ahead at the
    first port or site where it displaces no booking (the public reads it with the hours)."""
    known = frozenset(a.code for a in ow.agencies)
    for fields in GATES:
        with ow.engines.read.connect() as conn:
            if repository.find_facility(conn, fields["id"]) is not None:
                continue
        await ow.committer.run(SaveFacility(dict(fields), known, PORT_OFFICE, create=True))
    day = ow.clock.now().astimezone(PORT_TIME).date() + timedelta(days=3)
    start = datetime(day.year, day.month, day.day, 7, tzinfo=PORT_TIME)
    when = Period(start, start + timedelta(hours=5))
    with ow.engines.read.connect() as conn:
        places = repository.list_facilities(conn, kinds=PUBLIC_KINDS, active_only=True)
        ids = [f.id for f in places]
        if not ids or any(repository.closures_of(conn, ids, Period(ow.clock.now(), when.end)).values()):
            return
        free = [i for i in ids if not repository.bookings_using(conn, i, when, LIVE)]
    if free:
        await ow.committer.run(PostClosure(free[0], when.start, when.end, CLOSURE, PORT_OFFICE))


def _goods(ow: OneWindow) -> list[_Goods]:
    """Every goods declaration's containers still inside (imports) or not arrived (exports)."""
    dc, d, m = declaration_containers.c, declarations.c, gate_movements.c
    moved = sa.exists().where(m.number == dc.number, m.container == dc.container)
    q = (
        sa.select(dc.number, dc.kind, d.status, dc.container, dc.seals)
        .join_from(declaration_containers, declarations, d.number == dc.number)
        .where(~moved)
        .order_by(dc.number, dc.container)
    )
    with ow.engines.read.connect() as conn:
        rows = conn.execute(q).all()
    found: dict[str, _Goods] = {}
    for number, kind, status, container, seals in rows:
        g = found.get(number)
        if g is not None and len(g.containers) >= MAX_CONTAINERS:
            continue
        boxes = (*g.containers, container) if g else (container,)
        sealed = (*g.seals, *_seals(seals)) if g else _seals(seals)
        found[number] = _Goods(number, kind, status, boxes, sealed)
    return list(found.values())


def _seals(value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return tuple(value or ())


def _trucks(rng: random.Random, goods: list[_Goods]) -> list[_Truck]:
    """Most trucks are let through and pass; some are held, one for each reason; the newest are
    a second exit of goods that already left, trucks still waiting to pass and a wrong seal."""
    exit_, entry = Direction.EXIT, Direction.ENTRY
    released = [g for g in goods if g.kind == "import" and g.status == "released"]
    rng.shuffle(released)
    mismatched, released = (
        released[: 3 if len(released) >= 8 else 1],
        released[3 if len(released) >= 8 else 1 :],
    )
    passing, waiting = released[:16][:-2], released[:16][-2:]
    waiting_on = [g for g in goods if g.kind == "import" and g.status in NOT_RELEASED]
    held = [g for g in goods if g.kind == "import" and g.status in ("inspection", "refused")]
    exports = [g for g in goods if g.kind == "export" and g.status not in ("refused", "withdrawn")]
    known = {c for g in goods for c in g.containers}

    body = [_Truck(exit_, g.containers, g.seals, confirm=True) for g in passing]
    body += [_Truck(entry, g.containers, g.seals, confirm=True) for g in exports[:3]]
    body += [_Truck(exit_, g.containers, g.seals) for g in waiting_on[:3] + held[:2]]
    body += [_Truck(exit_, (_unknown(rng, known),), (_seal(rng),)) for _ in range(2)]
    body += [_Truck(exit_, (_misread(g.containers[0]),), g.seals[:1]) for g in passing[:2]]
    body += [_Truck(exit_, g.containers, (_seal(rng), *g.seals[1:])) for g in mismatched[:-1]]
    body.append(_Truck(entry, (_unknown(rng, known),), (_seal(rng),), confirm=True))
    rng.shuffle(body)
    tail = [_Truck(exit_, g.containers, g.seals) for g in passing[-2:]]  # already left: a second exit
    tail += [_Truck(exit_, g.containers, g.seals, confirm=False) for g in waiting]
    tail += [_Truck(exit_, g.containers, (_seal(rng), *g.seals[1:])) for g in mismatched[-1:]]
    rng.shuffle(tail)
    return body + tail


def _plate(rng: random.Random) -> str:
    """An Anhui (Wuhu) truck plate, e.g. 皖B7K2Q9."""
    return "皖B" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def _seal(rng: random.Random) -> str:
    return f"SL{rng.randrange(10**7):07d}"


def _unknown(rng: random.Random, known: set[str]) -> str:
    """A well-formed container number that no declaration lists."""
    while (number := samples.container_number(rng)) in known:
        pass
    known.add(number)
    return number


def _misread(container: str) -> str:
    """The number with a wrong check digit, as a reader that misread one character sends it."""
    return container[:-1] + str((int(container[-1]) + 1) % 10)
