"""The demo's gates: trucks driven through the real gate desk leave passages let through and held for
every reason a gate holds, some confirmed with the goods' exit on the declaration's timeline; and a
closure is announced ahead with the published opening hours."""

from __future__ import annotations

import random
from typing import Any

from onewindow.demo.gates import GATES, load_gate_passages
from onewindow.demo.loader import register_facilities
from onewindow.demo.samples import COMMODITIES, FACILITIES
from tests.fixtures.app import BROKER, PDF, PORT_OFFICE, World

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]


async def declared(world: World, kind: str = "import", invoice: bool = True) -> str:
    """A declaration customs releases on receipt (electronics with an invoice), or one it asks
    an invoice for (general trade without one): not released."""
    documents = [{"type": "invoice", "sha256": await world.upload(BROKER, PDF)}] if invoice else []
    body = world.goods(commodities=ELECTRONICS, documents=documents, kind=kind)
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


async def passages(world: World) -> list[dict[str, Any]]:
    r = await world.call("GET", "/v1/gates/passages?limit=500", PORT_OFFICE)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_the_demo_drives_trucks_through_its_gates_open_and_held_for_every_reason(world: World) -> None:
    released = [await declared(world) for _ in range(10)]
    waiting = await declared(world, invoice=False)
    await declared(world, kind="export")
    await world.settle()
    statuses = {
        n: (await world.call("GET", f"/v1/declarations/{n}", PORT_OFFICE)).json()["status"]
        for n in [*released, waiting]
    }
    assert statuses[waiting] != "released" and all(statuses[n] == "released" for n in released)

    counts = await load_gate_passages(world.ow, random.Random(2015))
    await world.settle()

    found = await passages(world)
    assert len(found) == counts["open"] + counts["hold"] >= 15
    assert {p["gate_id"] for p in found} <= {g["id"] for g in GATES}
    held_for = {r["code"] for p in found if p["decision"] == "hold" for r in p["reasons"]}
    assert {
        "container_unknown",
        "not_released",
        "seal_mismatch",
        "container_invalid",
        "already_exited",
    } <= held_for
    confirmed = [p for p in found if p["confirmed_at"]]
    assert len(confirmed) == counts["confirmed"] >= 5
    assert all(p["decision"] == "open" for p in confirmed)
    waiting_to_pass = [p for p in found if p["decision"] == "open" and not p["confirmed_at"]]
    assert waiting_to_pass, "the newest trucks let through are still waiting to pass"
    exited = {
        n for p in confirmed if p["direction"] == "exit" for b in p["containers"] for n in b["declarations"]
    }
    assert exited and exited <= set(released)
    for number in exited:
        assert "GoodsExited" in await world.event_types(number, BROKER)


async def test_the_demo_announces_a_closure_ahead_which_the_public_reads_with_the_hours(world: World) -> None:
    await register_facilities(world.ow)
    await load_gate_passages(world.ow, random.Random(2015))

    r = await world.http.get("/v1/public/opening-hours")

    published = r.json()["facilities"]
    assert {f["id"] for f in published} == {f["id"] for f in FACILITIES if f["kind"] != "scanner"}
    closed = [f["id"] for f in published if f["closures"]]
    assert len(closed) == 1, "one closure announced ahead"
    assert not {g["id"] for g in GATES} & {f["id"] for f in published}  # gates are not for the public


async def test_loading_the_gates_again_registers_and_announces_nothing_twice(world: World) -> None:
    await register_facilities(world.ow)
    await load_gate_passages(world.ow, random.Random(1))
    await load_gate_passages(world.ow, random.Random(2))

    r = await world.call("GET", "/v1/facilities?kind=gate", PORT_OFFICE)
    hours = (await world.http.get("/v1/public/opening-hours")).json()["facilities"]

    assert sorted(f["id"] for f in r.json()["facilities"]) == [g["id"] for g in GATES]
    assert sum(len(f["closures"]) for f in hours) == 1
