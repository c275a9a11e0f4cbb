"""The declarant books its inspection (预约查验): it sees the free slots of the shared site and moves
the joint inspection's appointment to one, under the same constraints as every booking (the site's
capacity and opening hours, one officer of each attending agency on duty); a slot that does not fit
is refused with the next free ones and the old appointment stands. Only the declaring organisation
moves it, and only before the inspection has started.

The clock stands still on Monday 2026-12-28 at 07:00 in Wuhu; the site is open 08:00–12:00 and
13:00–18:00 on weekdays and takes one inspection at a time."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.bootstrap import bootstrap
from onewindow.demo.loader import create_identities
from onewindow.demo.samples import COMMODITIES
from onewindow.entrypoints.http import create_app
from onewindow.facilities.hours import PORT_TIME
from onewindow.kernel.clock import FixedClock
from onewindow.persistence.schema import metadata
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, IMPORTER, PDF, PORT_OFFICE, QUARANTINE, World

MONDAY = "2026-12-28"
DAY_SHIFT = {
    "weekly": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
}
SITE = {
    "id": "WHI-SITE-1",
    "kind": "inspection_site",
    "name": "Wuhu inspection site",
    "name_zh": "芜湖查验场地",
    "port": "CNWHI",
    "owner": "wuhu-port-group",
    "shared_with": ["customs", "quarantine"],
    "capacity": 1,
    "hours": DAY_SHIFT,
}
BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]
BY_HAND = {
    "default_decision": None,
    "rules": [],
    "options": {"risk": {"target_rate": 0.0, "random_rate": 0.0}},
}


def at(hm: str, day: str = MONDAY) -> str:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=PORT_TIME).isoformat()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Officers decide by hand; the clock stands still at Monday 07:00 in Wuhu."""
    config = {code: BY_HAND for code in ("customs", "quarantine", "border", "maritime")}
    settings = Settings(data_dir=tmp_path, agency_config=config)
    ow = bootstrap(settings, clock=FixedClock(datetime.fromisoformat(at("07:00"))))
    metadata.create_all(ow.engines.write)
    app = create_app(onewindow=ow)
    app.state.onewindow = ow
    await ow.start()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onewindow.test")
    w = World(ow, http, await create_identities(ow, random.Random(2015)))
    yield w
    await w.settle()
    await http.aclose()
    await ow.stop()


async def inspection(world: World) -> tuple[str, dict[str, Any]]:
    """A consignment of bananas into Wuhu that customs selects for inspection: the scheduler books
    the earliest slot (Monday 08:00). Returns the number and the joint inspection."""
    r = await world.call("POST", "/v1/facilities", PORT_OFFICE, json=SITE)
    assert r.status_code == 201, r.text
    sha = await world.upload(BROKER, PDF)
    body = world.goods(office="3301", commodities=BANANAS, documents=[{"type": "invoice", "sha256": sha}])
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    await world.settle()
    r = await world.decide(CUSTOMS, "customs", number, "order_inspection", "Selected for inspection.")
    assert r.status_code == 200, r.text
    await world.settle()
    return number, await task_of(world, number)


async def task_of(world: World, number: str, token: str = BROKER) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/inspections?number={number}", token)
    assert r.status_code == 200, r.text
    [task] = r.json()["inspections"]
    return dict(task)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def move(world: World, task_id: str, start: str, token: str = BROKER) -> httpx.Response:
    return await world.call("PUT", f"/v1/inspections/{task_id}/appointment", token, json={"starts_at": start})


async def test_the_declarant_is_offered_the_free_slots_other_than_its_own(world: World) -> None:
    _number, task = await inspection(world)
    assert when(task["scheduled_at"]) == when(at("08:00"))

    r = await world.call("GET", f"/v1/inspections/{task['id']}/free-slots?count=5", BROKER)

    assert r.status_code == 200, r.text
    offer = r.json()
    assert offer["facility_id"] == "WHI-SITE-1" and offer["duration_minutes"] == 60
    assert when(offer["current"]) == when(at("08:00"))
    assert [when(s) for s in offer["free"]] == [
        when(at(t)) for t in ("09:00", "10:00", "11:00", "13:00", "14:00")
    ]


async def test_the_declarant_moves_the_appointment_to_a_free_slot_and_gives_the_old_one_back(
    world: World,
) -> None:
    number, task = await inspection(world)

    r = await move(world, task["id"], at("10:00"))

    assert r.status_code == 200, r.text
    assert when(r.json()["scheduled_at"]) == when(at("10:00"))
    await world.settle()
    moved = await task_of(world, number)
    assert when(moved["scheduled_at"]) == when(at("10:00")) and moved["booking_id"] != task["booking_id"]
    r = await world.call("GET", f"/v1/declarations/{number}/timeline", BROKER)
    scheduled = [e for e in r.json()["events"] if e["type"] == "InspectionScheduled"]
    assert [when(e["starts_at"]) for e in scheduled] == [when(at("08:00")), when(at("10:00"))]
    r = await world.call("GET", "/v1/facilities/WHI-SITE-1/bookings", PORT_OFFICE)
    live = {b["id"]: b["status"] for b in r.json()["bookings"] if b["reference"] == task["id"]}
    assert live == {task["booking_id"]: "cancelled", moved["booking_id"]: "booked"}
    # 08:00 is free again: an officer can book it for another inspection.
    other = {"purpose": "joint_inspection", "reference": "another", "starts_at": at("08:00")}
    r = await world.call("POST", "/v1/facilities/WHI-SITE-1/bookings", QUARANTINE, json=other)
    assert r.status_code == 201, r.text


async def test_a_taken_slot_is_refused_with_the_next_free_ones_and_the_appointment_stands(
    world: World,
) -> None:
    number, task = await inspection(world)
    other = {"purpose": "joint_inspection", "reference": "another", "starts_at": at("11:00")}
    r = await world.call("POST", "/v1/facilities/WHI-SITE-1/bookings", CUSTOMS, json=other)
    assert r.status_code == 201, r.text

    r = await move(world, task["id"], at("11:00"))

    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert [x["code"] for x in error["details"]["reasons"]] == ["full"]
    # 11:00 is taken and 12:00–13:00 is lunch: the next free slots are in the afternoon.
    assert [when(t) for t in error["details"]["next_free"]] == [
        when(at(t)) for t in ("13:00", "14:00", "15:00")
    ]
    kept = await task_of(world, number)
    assert (kept["scheduled_at"], kept["booking_id"]) == (task["scheduled_at"], task["booking_id"])


async def test_a_slot_outside_the_opening_hours_is_refused(world: World) -> None:
    _number, task = await inspection(world)

    r = await move(world, task["id"], at("12:00"))

    assert r.status_code == 409
    assert [x["code"] for x in r.json()["error"]["details"]["reasons"]] == ["outside_hours"]


async def test_a_slot_without_an_officer_of_each_agency_on_duty_is_refused(world: World) -> None:
    _number, task = await inspection(world)
    mornings = {"officers": 1, "hours": {"weekly": {"mon": [["08:00", "12:00"]]}}}
    r = await world.call("PUT", "/v1/facilities/WHI-SITE-1/rosters/customs", PORT_OFFICE, json=mornings)
    assert r.status_code == 200, r.text

    r = await move(world, task["id"], at("14:00"))

    assert r.status_code == 409
    assert [x["code"] for x in r.json()["error"]["details"]["reasons"]] == ["off_duty"]
    r = await world.call("GET", f"/v1/inspections/{task['id']}/free-slots", BROKER)
    assert all(
        when(s) < when(at("12:00")) or when(s).date() > when(at("12:00")).date() for s in r.json()["free"]
    )


async def test_a_slot_in_the_past_is_refused(world: World) -> None:
    _number, task = await inspection(world)

    r = await move(world, task["id"], at("09:00", day="2026-12-25"))

    assert r.status_code == 422
    assert [f["path"] for f in r.json()["error"]["fields"]] == ["starts_at"]


async def test_only_the_declaring_organisation_sees_and_moves_its_inspection(world: World) -> None:
    _number, task = await inspection(world)

    assert (await world.call("GET", f"/v1/inspections/{task['id']}/free-slots", IMPORTER)).status_code == 404
    assert (await move(world, task["id"], at("10:00"), IMPORTER)).status_code == 404
    assert (await move(world, task["id"], at("10:00"), CUSTOMS)).status_code == 403
    assert (
        await world.call("PUT", f"/v1/inspections/{task['id']}/appointment", BROKER, json={})
    ).status_code == 422
    r = await world.call(
        "PUT", f"/v1/inspections/{task['id']}/appointment", BROKER, json={"starts_at": "2026-12-28T10:00"}
    )
    assert r.status_code == 422  # a time without its offset


async def test_an_inspection_once_started_keeps_its_appointment(world: World) -> None:
    _number, task = await inspection(world)
    r = await world.call("POST", f"/v1/inspections/{task['id']}/open", CUSTOMS)
    assert r.status_code == 200, r.text

    r = await move(world, task["id"], at("10:00"))

    assert r.status_code == 409
    assert r.json()["error"]["code"] == "inspection_started"
    r = await world.call("GET", f"/v1/inspections/{task['id']}/free-slots", BROKER)
    assert r.status_code == 409
