"""A truck at the terminal gate, over HTTP: the reader sends plate, containers and seals; OneWindow
answers open or hold with its reasons, logs every passage, and puts the goods' exit (or an export's
arrival, 运抵) on the declaration's timeline once the truck has passed (issue 4)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from onewindow.demo.samples import COMMODITIES, container_number
from onewindow.facilities.tables import facilities
from onewindow.gate import reader
from onewindow.gate.desk import FLUSH_SECONDS
from onewindow.gate.tables import gate_passages
from onewindow.persistence.committer import Transaction
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, PDF, PORT_OFFICE, World, start_world

GATE = "WHI-GATE-1"
ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The running OneWindow with a gate registered, on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else ""
    ow, w = await start_world(Settings(data_dir=tmp_path, database_url=url))
    try:
        await register_gate(w, GATE)
        yield w
        await w.settle()
    finally:
        await w.http.aclose()
        await ow.stop()


async def register_gate(world: World, gate_id: str, active: bool = True) -> None:
    """A gate in the facilities register, written the way every write is (through the committer)."""
    row = {
        "id": gate_id,
        "kind": "gate",
        "name": "Wuhu port terminal gate 1",
        "name_zh": "芜湖港码头1号卡口",
        "port": "CNWHI",
        "site": None,
        "owner": "wuhu-port",
        "shared_with": ["customs", "quarantine"],
        "capacity": 1,
        "hours": {},
        "active": active,
        "updated_at": world.ow.clock.now(),
    }
    await world.ow.committer.run(_Insert(facilities, row))


@dataclass(frozen=True)
class _Insert:
    table: sa.Table | None
    row: dict[str, Any]

    def run(self, tx: Transaction) -> None:
        if self.table is not None:
            tx.conn.execute(self.table.insert().values(**self.row))


async def released_import(
    world: World, kind: str = "import", invoice: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """A declaration customs releases on receipt (electronics with an invoice): number, containers."""
    documents = [{"type": "invoice", "sha256": await world.upload(BROKER, PDF)}] if invoice else []
    body = world.goods(commodities=ELECTRONICS, documents=documents, kind=kind)
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number, body["containers"]


async def status(world: World, number: str) -> str:
    r = await world.call("GET", f"/v1/declarations/{number}", PORT_OFFICE)
    value: str = r.json()["status"]
    return value


async def at_gate(
    world: World,
    containers: list[str],
    seals: list[str],
    direction: str = "exit",
    gate: str = GATE,
    token: str = PORT_OFFICE,
) -> dict[str, Any]:
    body = {"direction": direction, "plate": "皖B12345", "containers": containers, "seals": seals}
    r = await world.call("POST", f"/v1/gates/{gate}/passages", token, json=body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def confirm(world: World, passage_id: str, gate: str = GATE) -> Any:
    return await world.call("POST", f"/v1/gates/{gate}/passages/{passage_id}/confirm", PORT_OFFICE)


def numbers_of(boxes: list[dict[str, Any]]) -> list[str]:
    return [b["number"] for b in boxes]


def seals_of(boxes: list[dict[str, Any]]) -> list[str]:
    return [s for b in boxes for s in b["seals"]]


async def logged(world: World) -> int:
    """Passages in the log, once every passage answered so far was written: the desk hands them to
    the committer within FLUSH_SECONDS, which runs operations in the order they came."""
    await asyncio.sleep(2 * FLUSH_SECONDS)
    await world.ow.committer.run(_Insert(None, {}))
    with world.ow.engines.read.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(gate_passages)).scalar_one())


# -- exit of released imports -----------------------------------------------------------------------


async def test_released_containers_with_their_seals_open_the_gate_and_the_exit_reaches_the_timeline(
    world: World,
) -> None:
    number, boxes = await released_import(world)
    assert await status(world, number) == "released"

    answer = await at_gate(world, numbers_of(boxes), seals_of(boxes))

    assert answer["decision"] == "open", answer
    assert answer["reasons"] == []
    assert [b["declarations"] for b in answer["containers"]] == [[number]] * len(boxes)
    r = await confirm(world, answer["passage_id"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["declarations"] == [{"number": number, "containers": numbers_of(boxes), "remaining": []}]
    # durable before the answer: the event is on the declarant's timeline at once
    assert (await world.event_types(number, BROKER))[-1] == "GoodsExited"
    timeline = (await world.call("GET", f"/v1/declarations/{number}/timeline", BROKER)).json()["events"]
    exited = timeline[-1]
    assert (exited["gate_id"], exited["passage_id"], exited["plate"]) == (
        GATE,
        answer["passage_id"],
        "皖B12345",
    )


async def test_a_wrong_seal_holds_the_truck_naming_the_container_and_both_seals(world: World) -> None:
    number, boxes = await released_import(world)
    first = boxes[0]["number"]
    seals = ["SL0000000", *seals_of(boxes)[1:]]

    answer = await at_gate(world, numbers_of(boxes), seals)

    assert answer["decision"] == "hold"
    (why,) = answer["reasons"]
    assert (why["code"], why["container"], why["number"]) == ("seal_mismatch", first, number)
    assert why["expected"] == boxes[0]["seals"] and why["read"] == seals
    assert why["message"] and why["message_zh"]


async def test_a_second_exit_of_the_same_containers_is_held_and_a_held_passage_cannot_be_confirmed(
    world: World,
) -> None:
    number, boxes = await released_import(world)
    first = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    assert (await confirm(world, first["passage_id"])).status_code == 200

    again = await at_gate(world, numbers_of(boxes), seals_of(boxes))

    assert again["decision"] == "hold"
    assert {r["code"] for r in again["reasons"]} == {"already_exited"}
    r = await confirm(world, again["passage_id"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "passage_held"
    assert (await world.event_types(number, BROKER)).count("GoodsExited") == 1


async def test_confirming_twice_returns_the_first_confirmation_and_writes_one_event(world: World) -> None:
    number, boxes = await released_import(world)
    answer = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    first, second = await confirm(world, answer["passage_id"]), await confirm(world, answer["passage_id"])

    assert first.status_code == second.status_code == 200
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert second.json()["confirmed_at"] == first.json()["confirmed_at"]
    assert (await world.event_types(number, BROKER)).count("GoodsExited") == 1


async def test_two_open_passages_of_the_same_goods_cannot_both_be_confirmed(world: World) -> None:
    _, boxes = await released_import(world)
    one = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    two = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    assert one["decision"] == two["decision"] == "open"

    assert (await confirm(world, one["passage_id"])).status_code == 200
    r = await confirm(world, two["passage_id"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_exited"


async def test_goods_not_released_are_held(world: World) -> None:
    number, boxes = await released_import(world, invoice=False)  # customs asks for the invoice
    assert await status(world, number) == "action_required"

    answer = await at_gate(world, numbers_of(boxes), seals_of(boxes))

    assert answer["decision"] == "hold"
    assert {(r["code"], r["number"]) for r in answer["reasons"]} == {("not_released", number)}


async def test_unknown_gates_unknown_and_misread_containers_are_holds_not_errors(world: World) -> None:
    _, boxes = await released_import(world)
    good, seals = numbers_of(boxes), seals_of(boxes)
    nobody = container_number(random.Random(99))

    assert [r["code"] for r in (await at_gate(world, good, seals, gate="NO-SUCH-GATE"))["reasons"]] == [
        "gate_unknown"
    ]
    await register_gate(world, "WHI-GATE-OLD", active=False)
    assert [r["code"] for r in (await at_gate(world, good, seals, gate="WHI-GATE-OLD"))["reasons"]] == [
        "gate_unknown"
    ]
    answer = await at_gate(world, [good[0], nobody, "CSQU3054384"], seals)
    assert answer["decision"] == "hold"
    assert [(r["code"], r["container"]) for r in answer["reasons"]] == [
        ("container_unknown", nobody),
        ("container_invalid", "CSQU3054384"),
    ]
    assert [b["passes"] for b in answer["containers"]] == [True, False, False]


async def test_a_release_reaches_the_gate_that_held_the_truck_before(world: World) -> None:
    number, boxes = await released_import(world, invoice=False)
    assert (await at_gate(world, numbers_of(boxes), seals_of(boxes)))["decision"] == "hold"
    data = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()["data"]
    data["documents"] = [{"type": "invoice", "sha256": await world.upload(BROKER, PDF)}]
    body = {"reason": "Invoice attached.", "data": data}
    assert (await world.call("PUT", f"/v1/declarations/{number}", BROKER, json=body)).status_code == 200
    await world.settle()
    assert await status(world, number) == "released"

    assert (await at_gate(world, numbers_of(boxes), seals_of(boxes)))["decision"] == "open"


async def test_a_gate_taken_out_of_service_holds_every_truck_within_a_second(world: World) -> None:
    assert (await at_gate(world, [], []))["decision"] == "open"
    await world.ow.committer.run(_Deactivate(GATE))

    async def holds() -> bool:
        return (await at_gate(world, [], []))["decision"] == "hold"

    await world.wait_for(holds, timeout=3.0)


async def test_a_gate_closed_at_short_notice_holds_every_truck_within_a_second(world: World) -> None:
    assert (await at_gate(world, [], []))["decision"] == "open"
    now = datetime.now(UTC)
    closure = {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "闸机故障 barrier fault",
    }
    r = await world.call("POST", f"/v1/facilities/{GATE}/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 201, r.text

    async def closed() -> bool:
        answer = await at_gate(world, [], [])
        return answer["decision"] == "hold" and [x["code"] for x in answer["reasons"]] == ["gate_closed"]

    await world.wait_for(closed, timeout=3.0)


@dataclass(frozen=True)
class _Deactivate:
    gate_id: str

    def run(self, tx: Transaction) -> None:
        tx.conn.execute(facilities.update().where(facilities.c.id == self.gate_id).values(active=False))


# -- entry of exports (运抵) --------------------------------------------------------------------------


async def test_an_export_container_entering_is_recorded_as_arrived_on_its_timeline(world: World) -> None:
    number, boxes = await released_import(world, kind="export")

    answer = await at_gate(world, numbers_of(boxes), seals_of(boxes), direction="entry")

    assert answer["decision"] == "open", answer
    assert (await confirm(world, answer["passage_id"])).status_code == 200
    assert (await world.event_types(number, BROKER))[-1] == "GoodsArrived"
    again = await at_gate(world, numbers_of(boxes), seals_of(boxes), direction="entry")
    assert {r["code"] for r in again["reasons"]} == {"already_arrived"}


async def test_an_export_container_does_not_leave_through_the_gate(world: World) -> None:
    _, boxes = await released_import(world, kind="export")
    answer = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    assert {r["code"] for r in answer["reasons"]} == {"not_import"}


# -- the passage log --------------------------------------------------------------------------------


async def test_every_passage_is_logged_newest_first_with_its_reasons(world: World) -> None:
    number, boxes = await released_import(world)
    opened = await at_gate(world, numbers_of(boxes), seals_of(boxes))
    held = await at_gate(world, numbers_of(boxes), ["SL0000000"])
    await confirm(world, opened["passage_id"])
    assert await logged(world) == 2

    r = await world.call("GET", f"/v1/gates/{GATE}/passages", PORT_OFFICE)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [p["passage_id"] for p in items] == [held["passage_id"], opened["passage_id"]]
    assert items[0]["decision"] == "hold" and items[0]["reasons"] == held["reasons"]
    assert items[1]["confirmed_at"] is not None and items[0]["confirmed_at"] is None

    holds = (await world.call("GET", f"/v1/gates/{GATE}/passages?decision=hold", CUSTOMS)).json()["items"]
    assert [p["passage_id"] for p in holds] == [held["passage_id"]]
    page = (await world.call("GET", f"/v1/gates/{GATE}/passages?limit=1", PORT_OFFICE)).json()
    rest = await world.call(
        "GET", f"/v1/gates/{GATE}/passages?limit=1&cursor={page['next_cursor']}", PORT_OFFICE
    )
    assert [p["passage_id"] for p in rest.json()["items"]] == [opened["passage_id"]]
    moved = (await world.call("GET", f"/v1/gates/passages?number={number}", PORT_OFFICE)).json()["items"]
    assert [p["passage_id"] for p in moved] == [opened["passage_id"]]
    by_box = await world.call("GET", f"/v1/gates/passages?container={boxes[0]['number']}", PORT_OFFICE)
    assert [p["passage_id"] for p in by_box.json()["items"]] == [opened["passage_id"]]
    one = await world.call("GET", f"/v1/gates/{GATE}/passages/{held['passage_id']}", PORT_OFFICE)
    assert one.json()["reasons"][0]["code"] == "seal_mismatch"


async def test_the_passages_answered_just_before_the_process_stops_are_in_the_log(tmp_path: Path) -> None:
    ow, w = await start_world(Settings(data_dir=tmp_path))
    try:
        await register_gate(w, GATE)
        answers = [await at_gate(w, [], []) for _ in range(3)]
    finally:
        await w.http.aclose()
        await ow.stop()  # well within the desk's flush interval
    with ow.engines.read.connect() as conn:
        ids = set(conn.execute(sa.select(gate_passages.c.id)).scalars())
    ow.engines.dispose()
    assert ids == {a["passage_id"] for a in answers}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"direction": "out", "plate": "A1", "containers": [], "seals": []}',
        b'{"direction": "exit", "plate": 12, "containers": [], "seals": []}',
        b'{"direction": "exit", "plate": "A1", "containers": "CSQU3054383", "seals": []}',
        b'{"direction": "exit", "plate": "A1", "containers": ["A", "B", "C", "D", "E"], "seals": []}',
        b'{"direction": "exit", "plate": "A1", "containers": [], "seals": [], "speed": 3}',
        b'{"direction": "exit", "plate": "A1", "read_at": "2026-01-01T08:00:00"}',
        b"[]",
    ],
    ids=[
        "not json",
        "direction",
        "plate type",
        "containers type",
        "five containers",
        "unknown field",
        "naive",
        "array",
    ],
)
async def test_a_request_that_is_no_reading_is_refused_with_422_and_logs_nothing(
    world: World, body: bytes
) -> None:
    r = await world.call("POST", f"/v1/gates/{GATE}/passages", PORT_OFFICE, content=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_failed"
    assert r.json()["error"]["fields"]
    assert await logged(world) == 0


async def test_only_the_port_office_administrators_and_officers_use_the_gate(world: World) -> None:
    body = {"direction": "exit", "plate": "皖B12345", "containers": [], "seals": []}
    assert (await world.http.post(f"/v1/gates/{GATE}/passages", json=body)).status_code == 401
    r = await world.call("POST", f"/v1/gates/{GATE}/passages", BROKER, json=body)
    assert r.status_code == 403
    assert (await world.call("GET", f"/v1/gates/{GATE}/passages", BROKER)).status_code == 403
    assert (await at_gate(world, [], [], token=CUSTOMS))["decision"] == "open"  # a tractor alone
    assert await logged(world) == 1


async def test_confirming_a_passage_nobody_logged_is_not_found(world: World) -> None:
    r = await confirm(world, "0" * 32)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_the_benchmarks_baseline_answers_a_constant(world: World) -> None:
    r = await world.http.post(f"/v1/gates/{GATE}/ping", content=b"{}")
    assert r.status_code == 200 and r.json() == {"pong": True}


# -- the simulated reader -----------------------------------------------------------------------------


async def test_the_simulated_reader_drives_released_containers_out_and_tallies_the_holds(
    world: World,
) -> None:
    for _ in range(3):
        await released_import(world)
    client = world.http
    client.headers["Authorization"] = f"Bearer {PORT_OFFICE}"
    try:
        loads = await reader.released_loads(client, 10)
        fleet = reader.plan(loads, 6, random.Random(1), wrong_seal=0.0, unknown=0.0)
        fleet.append(reader.Truck("皖B00001", (container_number(random.Random(5)),), (), "unknown_container"))
        tally = await reader.drive(client, GATE, fleet, rate=1000.0)
    finally:
        del client.headers["Authorization"]
    assert len(loads) == 3
    # three loads driven twice: out once, then held as already out
    assert (tally.opened, tally.confirmed) == (3, 3)
    assert tally.held["already_exited"] >= 3 and tally.held["container_unknown"] == 1
    assert not tally.failed
