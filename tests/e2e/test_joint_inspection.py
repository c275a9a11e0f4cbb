"""Joint inspection (联合查验): orders from different agencies for the same consignment or vessel
call become one task, opened once; each agency records its own findings and decides its own
dossier; the scan image is shown to every agency on the task, each annotating it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onewindow.demo.samples import COMMODITIES
from onewindow.settings import Settings
from tests.fixtures.app import BORDER, BROKER, CUSTOMS, PDF, PORT_OFFICE, QUARANTINE, World, start_world

BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BY_HAND = {"default_decision": None, "rules": []}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Officers decide by hand (no automatic release, no random selection)."""
    quiet = {"options": {"risk": {"target_rate": 0.0, "random_rate": 0.0}}}
    config = {code: {**BY_HAND, **quiet} for code in ("customs", "quarantine", "border", "maritime")}
    config["customs"]["options"]["risk"]["recognise"] = [
        {"from": ["quarantine", "third_party"], "kinds": ["manual", "sampling"], "max_age_days": 30}
    ]
    ow, w = await start_world(Settings(data_dir=tmp_path, agency_config=config))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


async def bananas(world: World) -> str:
    sha = await world.upload(BROKER, PDF)
    body = world.goods(commodities=BANANAS, documents=[{"type": "invoice", "sha256": sha}])
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def order(world: World, token: str, agency: str, number: str, decision: str) -> None:
    r = await world.decide(token, agency, number, decision, "Selected for inspection.")
    assert r.status_code == 200, r.text
    await world.settle()


async def tasks(world: World, number: str, token: str = BROKER) -> list[dict[str, Any]]:
    r = await world.call("GET", f"/v1/inspections?number={number}", token)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["inspections"]
    return found


async def act(world: World, token: str, task_id: str, what: str, **kwargs: Any) -> Any:
    r = await world.call("POST", f"/v1/inspections/{task_id}/{what}", token, **kwargs)
    return r


async def findings(world: World, token: str, task_id: str, kind: str = "manual") -> None:
    body = {"kind": kind, "checked": "goods, quantity, packing", "findings": "", "fraud": False}
    r = await act(world, token, task_id, "findings", json=body)
    assert r.status_code == 201, r.text


async def test_orders_of_two_agencies_for_one_consignment_make_one_inspection(world: World) -> None:
    number = await bananas(world)

    await order(world, CUSTOMS, "customs", number, "order_inspection")
    await order(world, QUARANTINE, "quarantine", number, "order_sampling")

    [task] = await tasks(world, number)
    assert task["agencies"] == ["customs", "quarantine"]
    assert sorted(o["kind"] for o in task["orders"]) == ["manual", "sampling"]
    assert task["subject_kind"] == "consignment" and task["status"] == "open"
    assert "InspectionOrderJoined" in await world.event_types(number, BROKER)


async def test_a_late_order_joins_the_open_inspection(world: World) -> None:
    number = await bananas(world)
    await order(world, CUSTOMS, "customs", number, "order_inspection")
    [first] = await tasks(world, number)
    assert first["agencies"] == ["customs"]

    await order(world, QUARANTINE, "quarantine", number, "order_sampling")

    [joined] = await tasks(world, number)
    assert joined["id"] == first["id"] and joined["agencies"] == ["customs", "quarantine"]


async def test_a_closed_inspection_is_not_reopened_by_a_later_order(world: World) -> None:
    number = await bananas(world)
    await order(world, CUSTOMS, "customs", number, "order_inspection")
    [task] = await tasks(world, number)
    assert (await act(world, CUSTOMS, task["id"], "open")).status_code == 200
    await findings(world, CUSTOMS, task["id"])
    closed = await act(world, CUSTOMS, task["id"], "close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    await order(world, QUARANTINE, "quarantine", number, "order_sampling")

    both = {t["id"]: t for t in await tasks(world, number)}
    assert len(both) == 2
    assert both[task["id"]]["status"] == "closed" and both[task["id"]]["agencies"] == ["customs"]
    [later] = [t for t in both.values() if t["id"] != task["id"]]
    assert later["agencies"] == ["quarantine"] and later["status"] == "open"

    # Each agency's officers list the inspections they are on, never the whole list refused.
    assert [t["id"] for t in await tasks(world, number, CUSTOMS)] == [task["id"]]
    assert [t["id"] for t in await tasks(world, number, QUARANTINE)] == [later["id"]]
    assert len(await tasks(world, number, PORT_OFFICE)) == 2


async def test_the_container_is_opened_once_and_closed_when_every_agency_has_its_findings(
    world: World,
) -> None:
    number = await bananas(world)
    await order(world, CUSTOMS, "customs", number, "order_inspection")
    await order(world, QUARANTINE, "quarantine", number, "order_sampling")
    [task] = await tasks(world, number)

    opened = await act(world, CUSTOMS, task["id"], "open")
    assert opened.status_code == 200 and opened.json()["status"] == "in_progress"
    assert (await act(world, QUARANTINE, task["id"], "open")).json()["opened_at"] == opened.json()[
        "opened_at"
    ]
    await findings(world, CUSTOMS, task["id"])
    early = await act(world, CUSTOMS, task["id"], "close")
    assert early.status_code == 409 and early.json()["error"]["code"] == "findings_missing"
    await findings(world, QUARANTINE, task["id"], kind="sampling")
    done = (await act(world, QUARANTINE, task["id"], "close")).json()

    assert done["status"] == "closed" and {a["agency"] for a in done["attendees"]} == {
        "customs",
        "quarantine",
    }
    assert (await act(world, BORDER, task["id"], "open")).status_code in (403, 404)
    for token, agency in ((CUSTOMS, "customs"), (QUARANTINE, "quarantine")):
        r = await world.decide(token, agency, number, "release", "Inspection found nothing irregular.")
        assert r.status_code == 200, r.text
    await world.settle()
    assert (await world.event_types(number, BROKER)).count("DeclarationReleased") == 1


async def test_one_scan_image_is_shown_to_every_agency_on_the_inspection_each_annotating_it(
    world: World,
) -> None:
    number = await bananas(world)
    await order(world, CUSTOMS, "customs", number, "order_inspection")
    await order(world, QUARANTINE, "quarantine", number, "order_sampling")
    [task] = await tasks(world, number)
    await act(world, CUSTOMS, task["id"], "open")
    container = task["containers"][0]

    r = await act(
        world,
        CUSTOMS,
        task["id"],
        "scans",
        files={"file": ("scan.png", PNG, "image/png")},
        data={"scanner_id": "WHI-SCAN-1", "container": container},
    )
    assert r.status_code == 201, r.text
    scan_id = r.json()["id"]
    for token, note in (
        (CUSTOMS, "dense mass behind the cartons"),
        (QUARANTINE, "check for soil on pallets"),
    ):
        body = {"note": note, "region": {"x": 10, "y": 20, "width": 100, "height": 50}}
        a = await world.call(
            "POST", f"/v1/inspections/{task['id']}/scans/{scan_id}/annotations", token, json=body
        )
        assert a.status_code == 201, a.text

    for token in (CUSTOMS, QUARANTINE):
        [scan] = (await world.call("GET", f"/v1/inspections/{task['id']}/scans", token)).json()["scans"]
        assert {n["agency"] for n in scan["annotations"]} == {"customs", "quarantine"}
        image = await world.call("GET", scan["image_url"], token)
        assert image.content == PNG and image.headers["content-type"] == "image/png"
    assert (await world.call("GET", f"/v1/inspections/{task['id']}/scans", BROKER)).status_code == 404


async def test_a_scan_must_be_an_image_of_a_container_on_the_inspection(world: World) -> None:
    number = await bananas(world)
    await order(world, CUSTOMS, "customs", number, "order_inspection")
    [task] = await tasks(world, number)
    await act(world, CUSTOMS, task["id"], "open")

    not_image = await act(
        world,
        CUSTOMS,
        task["id"],
        "scans",
        files={"file": ("x.pdf", PDF, "application/pdf")},
        data={"scanner_id": "S1"},
    )
    other_box = await act(
        world,
        CUSTOMS,
        task["id"],
        "scans",
        files={"file": ("scan.png", PNG, "image/png")},
        data={"scanner_id": "S1", "container": "CSQU3054383"},
    )

    assert not_image.status_code == 422 and not_image.json()["error"]["fields"][0]["path"] == "file"
    assert (
        other_box.status_code == 422 and other_box.json()["error"]["fields"][0]["code"] == "not_on_inspection"
    )
    assert (await world.call("GET", f"/v1/inspections/{task['id']}/scans", CUSTOMS)).json()["scans"] == []


async def test_an_order_covered_by_a_recent_result_of_another_agency_is_settled_by_recognition(
    world: World,
) -> None:
    number = await bananas(world)
    result = {
        "number": number,
        "kind": "manual",
        "checked": "opened and examined",
        "fraud": False,
        "inspected_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
    }
    # Quarantine's result on the consignment recorded before customs orders its own inspection.
    await order(world, QUARANTINE, "quarantine", number, "order_sampling")
    r = await world.call("POST", "/v1/inspection-results", QUARANTINE, json=result)
    assert r.status_code == 201, r.text

    await order(world, CUSTOMS, "customs", number, "order_inspection")

    view = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()
    customs = next(d for d in view["dossiers"] if d["agency"] == "customs")
    assert customs["state"] == "released" and "mutual recognition" in customs["reason"]
    assert "InspectionSettledByRecognition" in await world.event_types(number, BROKER)
    [task] = await tasks(world, number)
    assert task["agencies"] == ["quarantine"]  # customs did not join: nothing to open twice


async def test_a_vessel_call_gets_one_joint_boarding(world: World) -> None:
    r = await world.call("POST", "/v1/declarations", "ow_demo_shipping_agent", json=world.vessel(sick=1))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    await world.settle()

    await order(world, QUARANTINE, "quarantine", number, "order_inspection")
    await order(world, BORDER, "border", number, "order_crew_check")

    [task] = await tasks(world, number, token="ow_demo_shipping_agent")
    assert task["subject_kind"] == "conveyance" and task["agencies"] == ["border", "quarantine"]
    assert {o["kind"] for o in task["orders"]} == {"boarding"}


async def register(world: World, facility: dict[str, Any]) -> None:
    r = await world.call("POST", "/v1/facilities", PORT_OFFICE, json=facility)
    assert r.status_code == 201, r.text


async def test_the_trader_gets_one_appointment_where_both_agencies_and_the_scanner_are_free(
    world: World,
) -> None:
    sha = await world.upload(BROKER, PDF)
    body = world.goods(commodities=BANANAS, documents=[{"type": "invoice", "sha256": sha}])
    port = body["port_of_entry"]
    site = {
        "id": "SITE-1",
        "kind": "inspection_site",
        "name": "Joint inspection site",
        "name_zh": "联合查验场地",
        "port": port,
        "owner": "customs",
        "shared_with": ["quarantine"],
        "capacity": 2,
        "hours": {"always": True},
    }
    await register(world, site)
    await register(world, {**site, "id": "SCAN-1", "kind": "scanner", "site": "SITE-1", "capacity": 1})
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    number = r.json()["number"]
    await world.settle()

    await order(world, CUSTOMS, "customs", number, "order_inspection")
    await order(world, QUARANTINE, "quarantine", number, "order_sampling")

    [task] = await tasks(world, number)
    assert task["status"] == "scheduled" and task["site_id"] == "SITE-1" and task["booking_id"]
    bookings = (await world.call("GET", "/v1/facilities/SITE-1/bookings", PORT_OFFICE)).json()["bookings"]
    live = [b for b in bookings if b["status"] in ("booked", "moved")]
    assert len(live) == 1 and sorted(live[0]["agencies"]) == ["customs", "quarantine"]
    timeline = (await world.call("GET", f"/v1/declarations/{number}/timeline", BROKER)).json()["events"]
    scheduled = [e for e in timeline if e["type"] == "InspectionScheduled"]
    assert (
        scheduled
        and scheduled[-1]["site"] == "SITE-1"
        and scheduled[-1]["agencies"] == ["customs", "quarantine"]
    )

    # The site closes at short notice over the appointment: the booking moves, the task follows,
    # and the trader is told the new time.
    start = datetime.fromisoformat(task["scheduled_at"])
    closure = {
        "starts_at": (start - timedelta(minutes=1)).isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "reason": "Typhoon warning",
    }
    r = await world.call("POST", "/v1/facilities/SITE-1/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 201, r.text
    await world.settle()
    [moved] = await tasks(world, number)
    assert datetime.fromisoformat(moved["scheduled_at"]) >= start + timedelta(hours=3)
    timeline = (await world.call("GET", f"/v1/declarations/{number}/timeline", BROKER)).json()["events"]
    assert [e["type"] for e in timeline].count("InspectionScheduled") >= 2
