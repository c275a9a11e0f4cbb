"""The gate desk answers at once and has the passages logged right after, a few at a time; the
gates' in-memory view never lets an older read replace a newer one."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from stdnum import iso6346

from onewindow.gate.desk import FLUSH_AT, FLUSH_SECONDS, GateDesk
from onewindow.gate.facts import MemoryFacts
from onewindow.gate.handlers import LogPassages
from onewindow.gate.rules import Declared, Direction, Gate, Reading, Verdict
from onewindow.gate.view import Boxes
from onewindow.kernel.clock import FixedClock

BOX = "CSQU305438" + iso6346.calc_check_digit("CSQU305438")
GATE = Gate("G1", "gate", True, "CNWHI")
RELEASED = Declared("330120261000000001", "org", "import", "released", ("SL1",))


class Writer:
    """Stands in for the group committer: keeps what it is given, commits when told."""

    def __init__(self) -> None:
        self.queued: list[tuple[Any, Future[Any]]] = []

    def submit(self, op: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.queued.append((op, future))
        return future

    def commit(self) -> None:
        for op, future in self.queued:
            future.set_running_or_notify_cancel()
            future.set_result(len(op.passages))
        self.queued.clear()


def desk(writer: Writer, facts: Any = None) -> GateDesk:
    facts = facts or MemoryFacts({"G1": GATE}, {BOX: [RELEASED]})
    return GateDesk(facts, writer, FixedClock(datetime(2026, 3, 2, 8, tzinfo=UTC)))  # type: ignore[arg-type]


def truck(seals: tuple[str, ...] = ("SL1",)) -> Reading:
    return Reading.of("G1", Direction.EXIT, "皖B12345", [BOX], seals)


async def test_the_answer_comes_first_and_the_log_line_within_the_flush_interval() -> None:
    writer = Writer()
    d = desk(writer)
    first, second = d.decide(truck(), None, "user:g"), d.decide(truck(("SL9",)), None, "user:g")

    assert (first.decision.verdict, second.decision.verdict) == (Verdict.OPEN, Verdict.HOLD)
    assert writer.queued == [] and d.unlogged == 2
    await asyncio.sleep(FLUSH_SECONDS * 3)
    ((op, _),) = writer.queued
    assert isinstance(op, LogPassages) and [p.id for p in op.passages] == [first.id, second.id]
    writer.commit()
    assert d.unlogged == 0


async def test_a_burst_is_handed_over_without_waiting() -> None:
    writer = Writer()
    d = desk(writer)
    for _ in range(FLUSH_AT):
        d.decide(truck(), None, "user:g")
    assert len(writer.queued) == 1 and len(writer.queued[0][0].passages) == FLUSH_AT


async def test_when_the_state_cannot_be_read_the_truck_is_held_and_the_passage_still_logged() -> None:
    class Broken:
        def read(self, gate_id: str, containers: Any) -> Any:
            raise OSError("disk gone")

    writer = Writer()
    d = desk(writer, Broken())
    passage = d.decide(truck(), None, "user:g")
    assert [r.code for r in passage.decision.reasons] == ["state_unavailable"]
    d.flush()
    assert writer.queued[0][0].passages == (passage,)


async def test_the_log_row_is_the_answer_as_given() -> None:
    passage = desk(Writer()).decide(truck(), None, "user:g")
    row, answer = passage.row(), passage.as_dict()
    assert row["decision"] == answer["decision"] == "open"
    assert (
        row["containers"]
        == answer["containers"]
        == [{"container": BOX, "passes": True, "declarations": [RELEASED.number]}]
    )
    assert row["asked_by"] == "user:g"


# -- the view's bookkeeping -----------------------------------------------------------------------


def declared(number: str, status: str = "released") -> Declared:
    return Declared(number, "org", "import", status, ("SL1",))


def test_an_older_read_never_replaces_a_newer_one() -> None:
    boxes = Boxes(10)
    boxes.store({BOX: [declared("A", "released")]}, seq=7)
    boxes.store({BOX: [declared("A", "under_review")]}, seq=5)
    assert boxes.get(BOX) == (declared("A", "released"),)
    boxes.store({BOX: [declared("A", "released"), declared("B", "submitted")]}, seq=7)
    assert [d.number for d in boxes.get(BOX) or ()] == ["A", "B"]


def test_a_container_on_no_declaration_is_remembered_as_such() -> None:
    boxes = Boxes(10)
    assert boxes.get(BOX) is None
    boxes.store({BOX: []}, seq=1)
    assert boxes.get(BOX) == ()


def test_the_longest_loaded_container_leaves_first_and_its_declarations_forget_it() -> None:
    boxes = Boxes(2)
    boxes.store({"C1": [declared("A")], "C2": [declared("A")]}, seq=1)
    boxes.store({"C1": [declared("A")]}, seq=2)  # read again: now the latest
    boxes.store({"C3": [declared("B")]}, seq=3)
    assert boxes.get("C2") is None and boxes.get("C1") and boxes.get("C3")
    assert boxes.containers_of(["A"]) == {"C1"} and boxes.containers_of(["B"]) == {"C3"}
    assert len(boxes) == 2


def test_a_container_moved_to_another_declaration_leaves_the_first_one() -> None:
    boxes = Boxes(10)
    boxes.store({BOX: [declared("A")]}, seq=1)
    boxes.store({BOX: [declared("B")]}, seq=2)
    assert boxes.containers_of(["A"]) == set() and boxes.containers_of(["B"]) == {BOX}
