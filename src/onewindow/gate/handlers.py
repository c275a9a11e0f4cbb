"""The gate's writes, run by the group committer: the passage log and the confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from onewindow.declarations.tables import declaration_containers, declarations
from onewindow.kernel.errors import Conflict, NotFound
from onewindow.persistence.committer import Batchable, Transaction
from onewindow.persistence.metadata import insert_ignore

from .events import GoodsArrived, GoodsExited, movement_event_id
from .rules import Decision, Direction, Reading, Verdict
from .tables import gate_movements, gate_passages

__all__ = ["ConfirmPassage", "Confirmation", "LogPassages", "Passage"]

_LOG = gate_passages.insert()  # built once (see gate.view on why)


@dataclass(frozen=True, slots=True)
class Passage:
    """One truck at one gate, one answer."""

    id: str
    reading: Reading
    decision: Decision
    decided_at: datetime
    read_at: datetime | None
    asked_by: str
    _answer: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The answer to the reader, and the passage as listed later: made once (for the reader),
        then read again for the log line by the committer."""
        if not self._answer:
            self._answer.update(self._answered())
        return self._answer

    def _answered(self) -> dict[str, Any]:
        r, d = self.reading, self.decision
        return {
            "passage_id": self.id,
            "gate_id": r.gate_id,
            "direction": r.direction.value,
            "plate": r.plate,
            "decision": d.verdict.value,
            "reasons": [x.as_dict() for x in d.reasons],
            "notes": [x.as_dict() for x in d.notes],
            "containers": [b.as_dict() for b in d.boxes],
            "seals": list(r.seals),
            "read_at": self.read_at.isoformat() if self.read_at else None,
            "decided_at": self.decided_at.isoformat(),
        }

    def row(self) -> dict[str, Any]:
        answer = self.as_dict()
        return {
            "id": self.id,
            "gate_id": self.reading.gate_id,
            "direction": answer["direction"],
            "plate": self.reading.plate,
            "containers": answer["containers"],
            "seals": answer["seals"],
            "decision": answer["decision"],
            "reasons": answer["reasons"],
            "notes": answer["notes"],
            "read_at": self.read_at,
            "decided_at": self.decided_at,
            "asked_by": self.asked_by,
        }


@dataclass(frozen=True)
class LogPassages(Batchable):
    """Write passages to the log: those of one commit go in as one multi-row insert, one row a
    passage (the log is written at the gates' pace, so it has no second table to keep)."""

    batch_key: ClassVar[str] = "gate-passages"
    passages: tuple[Passage, ...]

    @classmethod
    def run_batch(cls, tx: Transaction, ops: Sequence[Any]) -> list[Any]:
        tx.conn.execute(_LOG, [p.row() for op in ops for p in op.passages])
        return [len(op.passages) for op in ops]


@dataclass(frozen=True, slots=True)
class Confirmation:
    passage_id: str
    gate_id: str
    direction: str
    confirmed_at: datetime
    confirmed_by: str
    moved: dict[str, list[str]]  # declaration number -> its containers this passage moved
    remaining: dict[str, list[str]]  # declaration number -> its containers not moved yet
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "gate_id": self.gate_id,
            "direction": self.direction,
            "confirmed_at": self.confirmed_at.isoformat(),
            "confirmed_by": self.confirmed_by,
            "declarations": [
                {"number": n, "containers": boxes, "remaining": self.remaining.get(n, [])}
                for n, boxes in self.moved.items()
            ],
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class ConfirmPassage:
    """The truck passed: record the movement of each declaration's goods, once, with its event.
    Confirming again returns the first confirmation."""

    gate_id: str
    passage_id: str
    by: str

    def run(self, tx: Transaction) -> Confirmation:
        p = self._passage(tx)
        moved: dict[str, list[str]] = {}
        for box in p.containers:
            for number in box["declarations"]:
                moved.setdefault(number, []).append(box["container"])
        if p.confirmed_at is not None:
            return self._confirmation(tx, p, moved, p.confirmed_at, p.confirmed_by, replayed=True)
        for number, boxes in moved.items():
            for container in boxes:
                self._move(tx, number, container, p.direction)
        tx.conn.execute(
            gate_passages.update()
            .where(gate_passages.c.id == p.id)
            .values(confirmed_at=tx.now, confirmed_by=self.by)
        )
        done = self._confirmation(tx, p, moved, tx.now, self.by)
        tx.emit(_events(tx, p, done))
        return done

    def _passage(self, tx: Transaction) -> Any:
        g = gate_passages.c
        p = tx.conn.execute(
            sa.select(gate_passages).where(g.id == self.passage_id, g.gate_id == self.gate_id)
        ).first()
        if p is None:
            raise NotFound("gate passage", "过卡记录", self.passage_id)
        if p.decision != Verdict.OPEN:
            raise Conflict(
                "passage_held",
                f"Passage {p.id} was held; a held truck cannot be confirmed as passed. Ask for a new "
                "decision once the hold is resolved.",
                f"过卡记录 {p.id} 为不放行，不能确认通过；问题解决后请重新申请放行。",
                reasons=p.reasons,
            )
        return p

    def _move(self, tx: Transaction, number: str, container: str, direction: str) -> None:
        values = {
            "number": number,
            "container": container,
            "direction": direction,
            "passage_id": self.passage_id,
            "gate_id": self.gate_id,
            "moved_at": tx.now,
        }
        stmt = insert_ignore(tx.conn, gate_movements).values(**values).returning(gate_movements.c.number)
        if tx.conn.execute(stmt).first() is not None:  # (rowcount is not reliable on psycopg)
            return
        code = "already_exited" if direction == Direction.EXIT else "already_arrived"
        raise Conflict(
            code,
            f"Container {container} of declaration {number} already passed ({direction}) with another "
            "passage; nothing was recorded.",
            f"报关单 {number} 的集装箱 {container} 已由其他过卡记录办理（{direction}），本次未记录。",
            container=container,
            number=number,
        )

    def _confirmation(
        self,
        tx: Transaction,
        p: Any,
        moved: dict[str, list[str]],
        at: datetime,
        by: str,
        replayed: bool = False,
    ) -> Confirmation:
        remaining = _not_moved(tx, list(moved), p.direction)
        return Confirmation(p.id, p.gate_id, p.direction, at, by, moved, remaining, replayed)


def _not_moved(tx: Transaction, numbers: list[str], direction: str) -> dict[str, list[str]]:
    if not numbers:
        return {}
    dc, m = declaration_containers.c, gate_movements.c
    moved = sa.exists().where(m.number == dc.number, m.container == dc.container, m.direction == direction)
    rows = tx.conn.execute(
        sa.select(dc.number, dc.container).where(dc.number.in_(numbers), ~moved).order_by(dc.container)
    )
    out: dict[str, list[str]] = {}
    for number, container in rows:
        out.setdefault(number, []).append(container)
    return out


def _events(tx: Transaction, p: Any, done: Confirmation) -> list[GoodsExited | GoodsArrived]:
    d = declarations.c
    owners = dict(tx.conn.execute(sa.select(d.number, d.org_id).where(d.number.in_(list(done.moved)))).all())
    kind = GoodsExited if p.direction == Direction.EXIT else GoodsArrived
    return [
        kind(
            number=number,
            org_id=owners.get(number),
            occurred_at=tx.now,
            event_id=movement_event_id(number, p.id, p.direction),
            containers=boxes,
            gate_id=p.gate_id,
            passage_id=p.id,
            plate=p.plate,
            remaining=done.remaining.get(number, []),
        )
        for number, boxes in done.moved.items()
    ]
