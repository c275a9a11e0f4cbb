"""A goods declaration's life over HTTP: submitted once, decided by every concerned agency under
its own rules, released (or refused, or withdrawn) once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from onewindow.demo.samples import COMMODITIES
from onewindow.settings import Settings
from tests.fixtures.app import AGENT, BROKER, CUSTOMS, IMPORTER, PDF, QUARANTINE, World, start_world

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]
CHILLED_BEEF = [c for c in COMMODITIES if c.hs.startswith("0201")]
NOBODY_DECIDES_AUTOMATICALLY = {
    code: {"rules": [], "default_decision": None} for code in ("customs", "quarantine", "border", "maritime")
}


@pytest.fixture
async def world(world: World) -> AsyncIterator[World]:
    """The running OneWindow, left quiet (every event handled) before it stops."""
    yield world
    await world.settle()


@pytest.fixture
async def manual_world(tmp_path: Path) -> AsyncIterator[World]:
    """A OneWindow where every dossier waits for an officer (no automatic rules)."""
    ow, w = await start_world(Settings(data_dir=tmp_path, agency_config=NOBODY_DECIDES_AUTOMATICALLY))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


async def invoice(world: World, token: str = BROKER) -> list[dict[str, str]]:
    return [{"type": "invoice", "sha256": await world.upload(token, PDF)}]


async def submit(world: World, body: dict[str, Any], token: str = BROKER) -> dict[str, Any]:
    r = await world.call("POST", "/v1/declarations", token, json=body)
    assert r.status_code == 201, r.text
    receipt: dict[str, Any] = r.json()
    return receipt


async def declaration(world: World, number: str, token: str = BROKER) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/declarations/{number}", token)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def dossier(view: dict[str, Any], agency: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in view["dossiers"] if d["agency"] == agency)
    return found


async def released_electronics(world: World) -> str:
    receipt = await submit(world, world.goods(commodities=ELECTRONICS, documents=await invoice(world)))
    await world.settle()
    number: str = receipt["number"]
    return number


async def electronics_awaiting_the_invoice(world: World) -> str:
    receipt = await submit(world, world.goods(commodities=ELECTRONICS))
    await world.settle()
    number: str = receipt["number"]
    assert (await declaration(world, number))["status"] == "action_required"
    return number


# -- submission and release ------------------------------------------------------------------------


async def test_a_broker_submits_an_import_and_gets_an_18_digit_number_and_its_agencies(world: World) -> None:
    body = world.goods(commodities=CHILLED_BEEF, documents=await invoice(world))
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)

    assert r.status_code == 201, r.text
    receipt = r.json()
    number = receipt["number"]
    assert len(number) == 18 and number.isdigit()
    assert number.startswith(body["declaration_office"])
    assert number[8] == "1"  # the import flag
    assert sorted(receipt["agencies"]) == ["customs", "quarantine"]
    assert receipt["version"] == 1
    assert r.headers["location"] == f"/v1/declarations/{number}"


async def test_electronics_with_an_invoice_are_released_by_customs_alone(world: World) -> None:
    receipt = await submit(world, world.goods(commodities=ELECTRONICS, documents=await invoice(world)))
    assert receipt["agencies"] == ["customs"]

    await world.settle()

    view = await declaration(world, receipt["number"])
    assert view["status"] == "released"
    assert [d["agency"] for d in view["dossiers"]] == ["customs"]
    assert dossier(view, "customs")["state"] == "released"
    assert dossier(view, "customs")["decided_by"] == "risk:customs"


async def test_the_timeline_announces_the_release_exactly_once(world: World) -> None:
    number = await released_electronics(world)

    types = await world.event_types(number, BROKER)

    assert types[0] == "DeclarationSubmitted"
    assert types.count("DeclarationReleased") == 1
    assert types.index("DeclarationReleased") > types.index("DossierDecided")


async def test_chilled_beef_is_released_by_customs_and_sampled_by_quarantine(world: World) -> None:
    receipt = await submit(world, world.goods(commodities=CHILLED_BEEF, documents=await invoice(world)))

    await world.settle()

    view = await declaration(world, receipt["number"])
    assert view["status"] == "inspection"
    assert dossier(view, "customs")["state"] == "released"
    assert dossier(view, "quarantine")["state"] == "sampling"
    assert dossier(view, "quarantine")["category"] == "inspection"
    assert "DeclarationReleased" not in await world.event_types(receipt["number"], BROKER)


async def test_one_release_when_customs_and_quarantine_have_both_released(world: World) -> None:
    receipt = await submit(world, world.goods(commodities=CHILLED_BEEF, documents=await invoice(world)))
    number = receipt["number"]
    await world.settle()
    r = await world.call("GET", f"/v1/agencies/quarantine/dossiers/{number}", QUARANTINE)
    assert r.status_code == 200, r.text
    assert "release" in r.json()["allowed_decisions"]

    r = await world.decide(QUARANTINE, "quarantine", number, "release", "Laboratory results within limits.")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "released"
    await world.settle()

    view = await declaration(world, number)
    assert view["status"] == "released"
    assert dossier(view, "quarantine")["reason"] == "Laboratory results within limits."
    assert dossier(view, "quarantine")["decided_by"] == "user:ciq-officer"
    assert (await world.event_types(number, BROKER)).count("DeclarationReleased") == 1


# -- documents requested, amendment ----------------------------------------------------------------


async def test_general_trade_without_an_invoice_needs_the_declarants_action(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)

    view = await declaration(world, number)
    assert dossier(view, "customs")["state"] == "documents_requested"
    assert "invoice" in dossier(view, "customs")["reason"]


async def test_an_amendment_with_the_invoice_goes_back_to_review_and_is_released(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)
    data = (await declaration(world, number))["data"]
    data["documents"] = await invoice(world)

    r = await world.call(
        "PUT", f"/v1/declarations/{number}", BROKER, json={"reason": "Invoice attached.", "data": data}
    )

    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert r.json()["status"] == "released"  # customs' rules run again on receipt of the amendment
    await world.settle()
    view = await declaration(world, number)
    assert view["status"] == "released"
    assert view["version"] == 2
    assert view["data"]["documents"] == data["documents"]
    types = await world.event_types(number, BROKER)
    assert (
        types.index("DeclarationAmended")
        < types.index("DossierResubmitted")
        < types.index("DeclarationReleased")
    )
    assert types.count("DeclarationReleased") == 1


async def test_a_released_declaration_cannot_be_amended(world: World) -> None:
    number = await released_electronics(world)
    data = (await declaration(world, number))["data"]
    data["remarks"] = "too late"

    r = await world.call(
        "PUT", f"/v1/declarations/{number}", BROKER, json={"reason": "Change of mind.", "data": data}
    )

    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "declaration_closed"
    view = await declaration(world, number)
    assert view["version"] == 1
    assert view["data"].get("remarks", "") == ""


# -- refusal -------------------------------------------------------------------------------------


async def test_a_refusal_by_customs_refuses_the_declaration_once(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)

    r = await world.decide(CUSTOMS, "customs", number, "refuse", "Classification does not match the goods.")

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refused"
    await world.settle()
    assert (await declaration(world, number))["status"] == "refused"
    types = await world.event_types(number, BROKER)
    assert types.count("DeclarationRefused") == 1
    assert "DeclarationReleased" not in types
    again = await world.decide(CUSTOMS, "customs", number, "release", "Second thoughts.")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "declaration_closed"


# -- withdrawal (撤单) -----------------------------------------------------------------------------


async def test_a_withdrawal_before_any_agency_acted_is_immediate(manual_world: World) -> None:
    world = manual_world
    receipt = await submit(world, world.goods(commodities=CHILLED_BEEF))
    await world.settle()
    assert (await declaration(world, receipt["number"]))["status"] == "submitted"

    r = await world.call(
        "POST",
        f"/v1/declarations/{receipt['number']}/withdrawal",
        BROKER,
        json={"reason": "Contract cancelled."},
    )

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    view = await declaration(world, receipt["number"])
    assert view["status"] == "withdrawn"
    assert {d["state"] for d in view["dossiers"]} == {"withdrawn"}
    assert (await world.event_types(receipt["number"], BROKER)).count("DeclarationWithdrawn") == 1


async def test_a_withdrawal_after_customs_acted_is_a_request_customs_approves(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)

    r = await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", BROKER, json={"reason": "Contract cancelled."}
    )

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawal_requested"
    assert dossier(await declaration(world, number), "customs")["withdrawal"] == "pending"
    r = await world.call(
        "POST",
        f"/v1/agencies/customs/dossiers/{number}/withdrawal-decision",
        CUSTOMS,
        json={"approve": True, "reason": "No objection."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert (await declaration(world, number))["status"] == "withdrawn"
    types = await world.event_types(number, BROKER)
    assert (
        types.index("WithdrawalRequested")
        < types.index("WithdrawalDecided")
        < types.index("DeclarationWithdrawn")
    )


async def test_a_rejected_withdrawal_returns_the_declaration_to_its_status(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)
    await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", BROKER, json={"reason": "Contract cancelled."}
    )

    r = await world.call(
        "POST",
        f"/v1/agencies/customs/dossiers/{number}/withdrawal-decision",
        CUSTOMS,
        json={"approve": False, "reason": "Goods already under control."},
    )

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "action_required"
    view = await declaration(world, number)
    assert view["status"] == "action_required"
    assert view["withdrawal"] == "none"
    assert dossier(view, "customs")["withdrawal"] == "none"
    assert "WithdrawalRejected" in await world.event_types(number, BROKER)


async def test_a_withdrawal_of_beef_needs_every_agency_that_acted(world: World) -> None:
    receipt = await submit(world, world.goods(commodities=CHILLED_BEEF, documents=await invoice(world)))
    number = receipt["number"]
    await world.settle()
    await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", BROKER, json={"reason": "Buyer insolvent."}
    )

    path = f"/v1/agencies/{{}}/dossiers/{number}/withdrawal-decision"
    r = await world.call(
        "POST", path.format("customs"), CUSTOMS, json={"approve": True, "reason": "No objection."}
    )
    assert r.json()["status"] == "withdrawal_requested"
    r = await world.call(
        "POST",
        path.format("quarantine"),
        QUARANTINE,
        json={"approve": True, "reason": "Samples disposed of."},
    )

    assert r.json()["status"] == "withdrawn"
    assert (await world.event_types(number, BROKER)).count("DeclarationWithdrawn") == 1


# -- lists and the event feed ----------------------------------------------------------------------


async def test_the_list_filters_by_status_and_kind(world: World) -> None:
    docs = await invoice(world)
    released = {
        (await submit(world, world.goods(commodities=ELECTRONICS, documents=docs)))["number"]
        for _ in range(2)
    }
    waiting = (await submit(world, world.goods(commodities=ELECTRONICS)))["number"]
    export = (await submit(world, world.goods(kind="export", commodities=ELECTRONICS, documents=docs)))[
        "number"
    ]
    await submit(world, world.vessel(), token=AGENT)
    await world.settle()

    async def numbers(**params: str) -> set[str]:
        r = await world.call("GET", "/v1/declarations", BROKER, params=params)
        assert r.status_code == 200, r.text
        return {item["number"] for item in r.json()["items"]}

    assert await numbers(status="released") == released | {export}
    assert await numbers(status="action_required") == {waiting}
    assert await numbers(kind="import") == released | {waiting}
    assert await numbers(kind="export", status="released") == {export}
    assert await numbers(kind="vessel_arrival") == set()


async def test_keyset_pagination_returns_each_declaration_once(world: World) -> None:
    submitted = [
        (await submit(world, world.goods(commodities=ELECTRONICS, items=1)))["number"] for _ in range(7)
    ]
    await submit(world, world.goods(org="jianghuai-trade", commodities=ELECTRONICS, items=1), token=IMPORTER)
    await world.settle()

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        r = await world.call("GET", "/v1/declarations", BROKER, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 3
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(submitted)
    assert len(seen) == len(set(seen))
    assert seen == submitted[::-1]  # newest first


async def test_the_event_feed_returns_the_organisations_events_in_order(world: World) -> None:
    mine = {await released_electronics(world), await released_electronics(world)}
    await submit(world, world.vessel(), token=AGENT)
    await world.settle()

    r = await world.call("GET", "/v1/events", BROKER, params={"after": "0"})

    assert r.status_code == 200, r.text
    feed = r.json()
    seqs = [e["seq"] for e in feed["events"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert feed["last_seq"] == seqs[-1]
    assert {e["number"] for e in feed["events"]} == mine
    assert [e["type"] for e in feed["events"]].count("DeclarationReleased") == 2
    rest = (await world.call("GET", "/v1/events", BROKER, params={"after": str(seqs[2])})).json()
    assert [e["seq"] for e in rest["events"]] == seqs[3:]
    done = (await world.call("GET", "/v1/events", BROKER, params={"after": str(feed["last_seq"])})).json()
    assert done == {"events": [], "last_seq": feed["last_seq"]}


async def test_a_declaration_released_while_its_withdrawal_was_pending_stays_released(world: World) -> None:
    receipt = await submit(world, world.goods(commodities=CHILLED_BEEF, documents=await invoice(world)))
    number = receipt["number"]
    await world.settle()
    await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", BROKER, json={"reason": "Buyer insolvent."}
    )
    r = await world.decide(QUARANTINE, "quarantine", number, "release", "Laboratory results within limits.")
    assert r.json()["status"] == "released"

    path = f"/v1/agencies/{{}}/dossiers/{number}/withdrawal-decision"
    await world.call(
        "POST", path.format("customs"), CUSTOMS, json={"approve": True, "reason": "No objection."}
    )
    r = await world.call(
        "POST", path.format("quarantine"), QUARANTINE, json={"approve": True, "reason": "No objection."}
    )

    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "declaration_closed"
    assert (await declaration(world, number))["status"] == "released"
    types = await world.event_types(number, BROKER)
    assert types.count("DeclarationReleased") == 1
    assert "DeclarationWithdrawn" not in types


async def test_an_amendment_that_adds_chilled_beef_opens_a_quarantine_dossier(world: World) -> None:
    number = await electronics_awaiting_the_invoice(world)
    data = world.goods(commodities=CHILLED_BEEF, documents=await invoice(world))
    data["declaration_office"] = (await declaration(world, number))["data"]["declaration_office"]

    r = await world.call(
        "PUT", f"/v1/declarations/{number}", BROKER, json={"reason": "Goods were beef.", "data": data}
    )

    assert r.status_code == 200, r.text
    assert sorted(r.json()["agencies"]) == ["customs", "quarantine"]
    await world.settle()
    view = await declaration(world, number)
    assert view["status"] == "inspection"
    assert dossier(view, "customs")["state"] == "released"
    assert dossier(view, "quarantine")["state"] == "sampling"
