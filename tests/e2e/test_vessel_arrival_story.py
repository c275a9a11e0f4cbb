"""A vessel's arrival report over HTTP: customs, quarantine, border inspection and maritime safety
each decide on their dossier; the shipping agent gets one release."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from onewindow.settings import Settings
from tests.fixtures.app import AGENT, BORDER, CUSTOMS, PDF, QUARANTINE, World, start_world

FOUR_AGENCIES = ["border", "customs", "maritime", "quarantine"]


@pytest.fixture
async def world(world: World) -> AsyncIterator[World]:
    """The running OneWindow, left quiet (every event handled) before it stops."""
    yield world
    await world.settle()


@pytest.fixture
async def border_by_hand(tmp_path: Path) -> AsyncIterator[World]:
    """A OneWindow where border inspection decides by hand (its officer, not a default release)."""
    ow, w = await start_world(
        Settings(data_dir=tmp_path, agency_config={"border": {"default_decision": None}})
    )
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


async def report(world: World, body: dict[str, Any]) -> str:
    r = await world.call("POST", "/v1/declarations", AGENT, json=body)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


async def view(world: World, number: str, token: str = AGENT) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/declarations/{number}", token)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def states(v: dict[str, Any]) -> dict[str, str]:
    return {d["agency"]: d["state"] for d in v["dossiers"]}


async def test_a_vessel_arrival_goes_to_customs_quarantine_border_and_maritime(world: World) -> None:
    r = await world.call("POST", "/v1/declarations", AGENT, json=world.vessel())

    assert r.status_code == 201, r.text
    assert sorted(r.json()["agencies"]) == FOUR_AGENCIES
    number = r.json()["number"]
    assert len(number) == 18 and number[8] == "2"  # the vessel-arrival flag
    await world.settle()


async def test_a_healthy_vessel_without_dangerous_goods_is_released_once_all_four_released(
    world: World,
) -> None:
    number = await report(world, world.vessel(sick=0, dangerous=False))

    await world.settle()

    v = await view(world, number)
    assert v["status"] == "released"
    assert states(v) == dict.fromkeys(FOUR_AGENCIES, "released")
    types = await world.event_types(number, AGENT)
    assert types.count("DossierDecided") == 4
    assert types.count("DeclarationReleased") == 1
    last_decision = max(i for i, t in enumerate(types) if t == "DossierDecided")
    assert types.index("DeclarationReleased") > last_decision


async def test_sickness_on_board_holds_the_vessel_until_the_quarantine_officer_releases(world: World) -> None:
    number = await report(world, world.vessel(sick=2))
    await world.settle()

    v = await view(world, number)
    assert v["status"] == "inspection"
    assert states(v) == {
        "border": "released",
        "customs": "released",
        "maritime": "released",
        "quarantine": "inspection_ordered",
    }
    assert "DeclarationReleased" not in await world.event_types(number, AGENT)

    r = await world.decide(
        QUARANTINE, "quarantine", number, "release", "Boarding inspection: no infectious disease."
    )

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "released"
    assert (await world.event_types(number, AGENT)).count("DeclarationReleased") == 1


async def test_dangerous_goods_without_a_certificate_wait_for_the_shipping_agent(world: World) -> None:
    number = await report(world, world.vessel(dangerous=True))
    await world.settle()
    v = await view(world, number)
    assert v["status"] == "action_required"
    assert states(v)["maritime"] == "documents_requested"

    data = v["data"]
    data["documents"] = [
        {"type": "certificate", "sha256": await world.upload(AGENT, PDF, doc_type="certificate")}
    ]
    r = await world.call(
        "PUT", f"/v1/declarations/{number}", AGENT, json={"reason": "Certificate attached.", "data": data}
    )
    assert r.status_code == 200, r.text
    await world.settle()

    assert (await view(world, number))["status"] == "released"


async def test_the_border_officer_orders_a_crew_check_and_then_releases(border_by_hand: World) -> None:
    world = border_by_hand
    number = await report(world, world.vessel())
    await world.settle()
    assert (await view(world, number))["status"] == "under_review"
    r = await world.call("GET", f"/v1/agencies/border/dossiers/{number}", BORDER)
    assert r.status_code == 200, r.text
    assert "order_crew_check" in r.json()["allowed_decisions"]

    r = await world.decide(BORDER, "border", number, "order_crew_check", "Crew list differs from last call.")

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "inspection"
    assert states(await view(world, number))["border"] == "crew_check"
    r = await world.decide(BORDER, "border", number, "release", "Crew checked against their documents.")
    assert r.json()["status"] == "released"
    assert (await world.event_types(number, AGENT)).count("DeclarationReleased") == 1


async def test_a_crew_check_is_border_inspections_decision_not_customs(border_by_hand: World) -> None:
    world = border_by_hand
    number = await report(world, world.vessel())
    await world.settle()

    r = await world.decide(CUSTOMS, "customs", number, "order_crew_check", "Not ours to order.")

    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "decision_not_allowed"
    assert states(await view(world, number))["customs"] == "released"
