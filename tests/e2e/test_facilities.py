"""The shared facilities register over HTTP: the port office registers Wuhu port, its inspection
site and the site's scanner; anyone reads the opening hours without signing in; officers book a
joint inspection and are refused, with the next free slots, when the site, the scanner or an
agency's officers are taken; closing the site at short notice moves the bookings it displaces;
and the port office sees how busy the site and the scanner were.

The clock stands still on Monday 2026-12-28 at 07:00 in Wuhu, so every slot is predictable."""

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
from onewindow.entrypoints.http import create_app
from onewindow.facilities.hours import PORT_TIME
from onewindow.kernel.clock import FixedClock
from onewindow.persistence.schema import metadata
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, MARITIME, PORT_OFFICE, QUARANTINE, World

MONDAY = "2026-12-28"
DAY_SHIFT = {
    "weekly": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
}


def at(day: str, hm: str) -> str:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=PORT_TIME).isoformat()


def facility(facility_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": facility_id,
        "kind": kind,
        "name": f"Wuhu {facility_id}",
        "name_zh": f"芜湖 {facility_id}",
        "port": "CNWHI",
        "owner": "wuhu-port-group",
        "shared_with": ["customs", "quarantine", "border", "maritime"],
        "capacity": 1,
        "hours": DAY_SHIFT,
        **fields,
    }


PORT = facility("CNWHI-PORT", "port", hours={"always": True, "dates": {"2027-01-01": []}}, capacity=4)
SITE = facility("WHI-SITE-1", "inspection_site", capacity=2)
SCANNER = facility("WHI-SCAN-1", "scanner", site="WHI-SITE-1", hours={"always": True})


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """A running OneWindow whose clock stands still."""
    ow = bootstrap(Settings(data_dir=tmp_path), clock=FixedClock(datetime.fromisoformat(at(MONDAY, "07:00"))))
    metadata.create_all(ow.engines.write)
    app = create_app(onewindow=ow)
    app.state.onewindow = ow
    await ow.start()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onewindow.test")
    w = World(ow, http, await create_identities(ow, random.Random(2015)))
    yield w
    await http.aclose()
    await ow.stop()


async def registered(world: World, *bodies: dict[str, Any]) -> None:
    for body in bodies or (PORT, SITE, SCANNER):
        r = await world.call("POST", "/v1/facilities", PORT_OFFICE, json=body)
        assert r.status_code == 201, r.text


async def book(world: World, token: str, start: str | None = None, **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {
        "purpose": "joint_inspection",
        "reference": "task-1",
        "agencies": ["customs", "quarantine"],
        **body,
    }
    if start is not None:
        payload["starts_at"] = at(MONDAY, start)
    return await world.call("POST", "/v1/facilities/WHI-SITE-1/bookings", token, json=payload)


def error_fields(r: httpx.Response) -> dict[str, str]:
    return {f["path"]: f["code"] for f in r.json()["error"]["fields"]}


# -- the register --------------------------------------------------------------------------------


async def test_the_port_office_registers_facilities_and_officers_read_them(world: World) -> None:
    await registered(world)
    r = await world.call("GET", "/v1/facilities?port=CNWHI", CUSTOMS)
    assert sorted(f["id"] for f in r.json()["facilities"]) == ["CNWHI-PORT", "WHI-SCAN-1", "WHI-SITE-1"]
    r = await world.call("GET", "/v1/facilities/WHI-SCAN-1", QUARANTINE)
    scanner = r.json()
    assert (scanner["kind"], scanner["site"], scanner["slot_minutes"], scanner["open_now"]) == (
        "scanner",
        "WHI-SITE-1",
        60,
        True,
    )
    r = await world.call("PUT", "/v1/facilities/WHI-SITE-1", PORT_OFFICE, json={**SITE, "capacity": 3})
    assert error_fields(r) == {"id": "unknown_field"}  # the id is the path's
    body = {k: v for k, v in SITE.items() if k != "id"}
    r = await world.call("PUT", "/v1/facilities/WHI-SITE-1", PORT_OFFICE, json={**body, "capacity": 3})
    assert r.status_code == 200, r.text
    assert r.json()["capacity"] == 3


async def test_only_the_port_office_keeps_the_register_and_a_declarant_reads_none_of_it(world: World) -> None:
    r = await world.call("POST", "/v1/facilities", CUSTOMS, json=SITE)
    assert r.status_code == 403
    await registered(world)
    assert (await world.call("GET", "/v1/facilities", BROKER)).status_code == 403
    assert (await world.call("POST", "/v1/facilities", PORT_OFFICE, json=SITE)).status_code == 409


async def test_an_unknown_facility_is_404(world: World) -> None:
    body = {k: v for k, v in SITE.items() if k != "id"}
    assert (await world.call("GET", "/v1/facilities/WHI-NOWHERE", CUSTOMS)).status_code == 404
    assert (await world.call("PUT", "/v1/facilities/WHI-NOWHERE", PORT_OFFICE, json=body)).status_code == 404
    closure = {"starts_at": at(MONDAY, "09:00"), "ends_at": at(MONDAY, "10:00"), "reason": "x"}
    r = await world.call("POST", "/v1/facilities/WHI-NOWHERE/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 404
    r = await world.call(
        "POST", "/v1/facilities/WHI-NOWHERE/bookings", CUSTOMS, json={"purpose": "scan", "reference": "t"}
    )
    assert r.status_code == 404


async def test_bad_input_names_each_field_and_nothing_is_written(world: World) -> None:
    r = await world.call(
        "POST", "/v1/facilities", PORT_OFFICE, json={**SITE, "capacity": 0, "port": "wuhu", "kind": "dock"}
    )
    assert r.status_code == 422
    assert set(error_fields(r)) == {"capacity", "port", "kind"}
    bad = facility(
        "WHI-SCAN-9",
        "scanner",
        port="ZZWHI",
        shared_with=["customs", "tax-bureau"],
        hours={
            "weekly": {
                "mon": [["08:00", "12:00"], ["11:00", "13:00"]],
                "fri": [["18:00", "08:00"]],
                "funday": [],
            }
        },
    )
    r = await world.call("POST", "/v1/facilities", PORT_OFFICE, json=bad)
    assert r.status_code == 422
    assert error_fields(r) == {
        "port": "locode_invalid",
        "shared_with[1]": "agency_unknown",
        "hours.weekly.mon[1]": "overlapping",
        "hours.weekly.fri[0]": "end_before_start",
        "hours.weekly.funday": "unknown_day",
        "site": "required",
    }
    r = await world.call(
        "POST", "/v1/facilities", PORT_OFFICE, json=facility("WHI-SCAN-9", "scanner", site="WHI-SITE-7")
    )
    assert error_fields(r) == {"site": "site_unknown"}
    assert (await world.call("GET", "/v1/facilities/WHI-SCAN-9", CUSTOMS)).status_code == 404


async def test_the_public_reads_the_opening_hours_without_signing_in(world: World) -> None:
    await registered(world)
    r = await world.http.get("/v1/public/opening-hours", params={"port": "CNWHI"})
    assert r.status_code == 200, r.text
    found = {f["id"]: f for f in r.json()["facilities"]}
    assert set(found) == {"CNWHI-PORT", "WHI-SITE-1"}  # scanners are not for the public
    assert found["CNWHI-PORT"]["open_now"] is True
    assert found["CNWHI-PORT"]["hours"]["dates"] == {"2027-01-01": []}
    site = found["WHI-SITE-1"]
    assert site["open_now"] is False  # 07:00
    assert site["next_open"][0] == {"starts_at": at(MONDAY, "08:00"), "ends_at": at(MONDAY, "12:00")}


# -- booking -------------------------------------------------------------------------------------


async def test_a_booking_beyond_capacity_is_refused_with_the_next_free_slots(world: World) -> None:
    await registered(world)
    for ref in ("a", "b"):
        r = await book(world, CUSTOMS, "09:00", reference=ref)
        assert r.status_code == 201, r.text
        assert r.json()["starts_at"] == at(MONDAY, "09:00")
    r = await book(world, QUARANTINE, "09:00", reference="c")
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert [x["code"] for x in error["details"]["reasons"]] == ["full"]
    assert error["details"]["next_free"] == [at(MONDAY, "10:00"), at(MONDAY, "11:00"), at(MONDAY, "13:00")]


async def test_a_booking_outside_opening_hours_is_refused_with_the_next_free_slots(world: World) -> None:
    await registered(world)
    r = await book(world, CUSTOMS, "12:15")
    assert r.status_code == 409
    details = r.json()["error"]["details"]
    assert [x["code"] for x in details["reasons"]] == ["outside_hours"]
    assert len(details["next_free"]) >= 3
    assert details["next_free"][0] == at(MONDAY, "13:00")


async def test_without_a_time_the_earliest_slot_everyone_has_free_is_booked(world: World) -> None:
    await registered(world)
    r = await world.call(
        "PUT", "/v1/facilities/WHI-SITE-1/rosters/quarantine", QUARANTINE, json={"officers": 1}
    )
    assert r.status_code == 200, r.text
    assert (await book(world, CUSTOMS, "08:00", scanner_id="WHI-SCAN-1")).status_code == 201
    # the site has a second place at 08:00, but the scanner and the one quarantine officer are taken
    r = await book(world, CUSTOMS, "08:00", reference="task-2")
    assert r.status_code == 409
    assert [x["resource"] for x in r.json()["error"]["details"]["reasons"]] == ["quarantine@WHI-SITE-1"]
    r = await book(world, CUSTOMS, reference="task-2", scanner_id="WHI-SCAN-1")
    assert r.status_code == 201, r.text
    assert r.json()["starts_at"] == at(MONDAY, "09:00")


async def test_officers_book_only_what_their_agency_attends_and_rosters_are_their_own(world: World) -> None:
    await registered(world)
    assert (await book(world, MARITIME, "09:00")).status_code == 403
    r = await world.call("PUT", "/v1/facilities/WHI-SITE-1/rosters/quarantine", CUSTOMS, json={"officers": 0})
    assert r.status_code == 403
    r = await book(world, CUSTOMS, "09:00", agencies=["customs", "tax"])
    assert r.status_code == 422
    assert error_fields(r) == {"agencies[1]": "agency_unknown"}
    assert (await book(world, BROKER, "09:00")).status_code == 403


async def test_closing_the_site_at_short_notice_moves_the_bookings_it_displaces(world: World) -> None:
    await registered(world)
    early = (await book(world, CUSTOMS, "08:00", reference="early")).json()
    hit = (await book(world, CUSTOMS, "10:00", reference="task-7")).json()
    closure = {"starts_at": at(MONDAY, "09:00"), "ends_at": at(MONDAY, "12:00"), "reason": "yard flooded"}
    r = await world.call("POST", "/v1/facilities/WHI-SITE-1/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 201, r.text
    moved = r.json()["moved"]
    assert [(m["id"], m["from"]["starts_at"], m["to"]["starts_at"]) for m in moved] == [
        (hit["id"], at(MONDAY, "10:00"), at(MONDAY, "13:00"))
    ]
    r = await world.call(
        "GET", "/v1/facilities/WHI-SITE-1/bookings", QUARANTINE, params={"from": at(MONDAY, "00:00")}
    )
    listed = {b["id"]: b for b in r.json()["bookings"]}
    assert listed[early["id"]]["status"] == "booked"
    assert (listed[hit["id"]]["status"], listed[hit["id"]]["starts_at"]) == ("moved", at(MONDAY, "13:00"))
    assert "yard flooded" in listed[hit["id"]]["moved_reason"]
    r = await world.http.get("/v1/public/opening-hours")
    site = next(f for f in r.json()["facilities"] if f["id"] == "WHI-SITE-1")
    assert site["closures"] == [{"starts_at": at(MONDAY, "09:00"), "ends_at": at(MONDAY, "12:00")}]


async def test_a_closure_that_ends_before_it_starts_is_bad_input(world: World) -> None:
    await registered(world)
    closure = {"starts_at": at(MONDAY, "12:00"), "ends_at": at(MONDAY, "09:00"), "reason": "typhoon"}
    r = await world.call("POST", "/v1/facilities/WHI-SITE-1/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 422
    assert error_fields(r) == {"ends_at": "before_start"}
    r = await world.call(
        "POST",
        "/v1/facilities/WHI-SITE-1/closures",
        CUSTOMS,
        json={**closure, "ends_at": at(MONDAY, "13:00")},
    )
    assert r.status_code == 403


# -- utilisation ---------------------------------------------------------------------------------


async def test_the_port_office_sees_how_busy_each_site_and_scanner_is(world: World) -> None:
    await registered(world)
    for start, scanner in (("08:00", "WHI-SCAN-1"), ("08:00", None), ("14:00", "WHI-SCAN-1")):
        r = await book(world, CUSTOMS, start, reference=f"t-{start}-{scanner}", scanner_id=scanner)
        assert r.status_code == 201, r.text
    params = {"port": "CNWHI", "from": at(MONDAY, "00:00"), "to": at("2026-12-29", "00:00")}
    r = await world.call("GET", "/v1/facilities/utilisation", PORT_OFFICE, params=params)
    assert r.status_code == 200, r.text
    rows = {f["id"]: f for f in r.json()["facilities"]}
    site, scanner = rows["WHI-SITE-1"], rows["WHI-SCAN-1"]
    assert (site["open_hours"], site["available_capacity_hours"], site["booked_hours"], site["bookings"]) == (
        9,
        18,
        3,
        3,
    )
    assert site["utilisation"] == round(3 / 18, 4)
    assert (scanner["open_hours"], scanner["booked_hours"], scanner["utilisation"]) == (
        24,
        2,
        round(2 / 24, 4),
    )
    bad = {**params, "to": at("2026-12-27", "00:00")}
    r = await world.call("GET", "/v1/facilities/utilisation", PORT_OFFICE, params=bad)
    assert r.status_code == 422
    assert (await world.call("GET", "/v1/facilities/utilisation", BROKER, params=params)).status_code == 403
