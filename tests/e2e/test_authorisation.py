"""Who may see and do what: declarants their own organisation's declarations, officers the
dossiers routed to their agency, the port office everything read-only, the admin identities."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from onewindow.demo.samples import COMMODITIES
from onewindow.identity.tables import api_tokens
from tests.fixtures.app import (
    ADMIN,
    AGENT,
    BORDER,
    BROKER,
    CUSTOMS,
    IMPORTER,
    PDF,
    PORT_OFFICE,
    QUARANTINE,
    World,
)

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]
CHILLED_BEEF = [c for c in COMMODITIES if c.hs.startswith("0201")]
ABSENT = "330120269999999999"


@pytest.fixture
async def world(world: World) -> AsyncIterator[World]:
    """The running OneWindow, left quiet (every event handled) before it stops."""
    yield world
    await world.settle()


async def submit(world: World, body: dict[str, Any], token: str = BROKER) -> str:
    r = await world.call("POST", "/v1/declarations", token, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def beef(world: World) -> str:
    """Chilled beef with an invoice: customs released, quarantine sampling."""
    sha = await world.upload(BROKER, PDF)
    return await submit(
        world, world.goods(commodities=CHILLED_BEEF, documents=[{"type": "invoice", "sha256": sha}])
    )


async def awaiting_invoice(world: World) -> str:
    """Electronics without an invoice: customs asked for it; only customs is concerned."""
    return await submit(world, world.goods(commodities=ELECTRONICS))


async def decide(
    world: World, token: str, agency: str, number: str, decision: str = "release"
) -> httpx.Response:
    body = {"decision": decision, "reason": "Checked."}
    return await world.call("POST", f"/v1/agencies/{agency}/dossiers/{number}/decisions", token, json=body)


async def status_of(world: World, number: str) -> str:
    r = await world.call("GET", f"/v1/declarations/{number}", PORT_OFFICE)
    assert r.status_code == 200, r.text
    status: str = r.json()["status"]
    return status


def error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and err["message_zh"]
    code: str = err["code"]
    return code


async def listed(world: World, token: str, **params: str) -> set[str]:
    r = await world.call("GET", "/v1/declarations", token, params={"limit": "200", **params})
    assert r.status_code == 200, r.text
    return {item["number"] for item in r.json()["items"]}


# -- authentication --------------------------------------------------------------------------------


async def test_a_request_without_a_token_is_not_authenticated(world: World) -> None:
    r = await world.http.get("/v1/declarations")

    assert error(r, 401) == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer ow_no_such_token", "Basic b3c6b3c=", "Bearer ", "ow_demo_broker"])
async def test_an_unknown_or_malformed_token_is_not_authenticated(world: World, header: str) -> None:
    r = await world.http.get("/v1/me", headers={"Authorization": header})

    assert error(r, 401) == "not_authenticated"


async def test_a_submission_without_a_token_stores_nothing(world: World) -> None:
    r = await world.http.post("/v1/declarations", json=world.goods())

    assert error(r, 401) == "not_authenticated"
    assert await listed(world, PORT_OFFICE) == set()


# -- declarants: their own organisation only -------------------------------------------------------


async def test_another_organisation_cannot_read_a_declaration_nor_learn_it_exists(world: World) -> None:
    number = await awaiting_invoice(world)

    for path in (f"/v1/declarations/{number}", f"/v1/declarations/{number}/timeline"):
        theirs = await world.call("GET", path, IMPORTER)
        absent = await world.call("GET", path.replace(number, ABSENT), IMPORTER)
        assert error(theirs, 404) == error(absent, 404) == "not_found"
    assert number not in await listed(world, IMPORTER)
    assert number in await listed(world, BROKER)


async def test_another_organisation_cannot_amend_or_withdraw_a_declaration(world: World) -> None:
    number = await awaiting_invoice(world)
    office = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()["office"]
    data = world.goods(org="jianghuai-trade", office=office)  # valid, in the importer's own name

    amend = await world.call(
        "PUT", f"/v1/declarations/{number}", IMPORTER, json={"reason": "Mine now.", "data": data}
    )
    withdraw = await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", IMPORTER, json={"reason": "Mine now."}
    )

    assert error(amend, 404) == "not_found"
    assert error(withdraw, 404) == "not_found"
    r = await world.call("GET", f"/v1/declarations/{number}", BROKER)
    assert r.json()["status"] == "action_required"
    assert r.json()["version"] == 1


async def test_another_organisations_events_are_not_in_the_feed(world: World) -> None:
    mine = await awaiting_invoice(world)
    theirs = await submit(world, world.vessel(), token=AGENT)

    r = await world.call("GET", "/v1/events", IMPORTER)
    assert r.json()["events"] == []
    r = await world.call("GET", "/v1/events", AGENT)
    assert {e["number"] for e in r.json()["events"]} == {theirs}
    assert mine not in {e["number"] for e in r.json()["events"]}


async def test_a_declarant_cannot_decide(world: World) -> None:
    number = await awaiting_invoice(world)

    r = await decide(world, BROKER, "customs", number)

    assert error(r, 403) == "not_permitted"
    r = await world.call(
        "POST",
        f"/v1/agencies/customs/dossiers/{number}/withdrawal-decision",
        BROKER,
        json={"approve": True, "reason": "Self-service."},
    )
    assert error(r, 403) == "not_permitted"
    assert await status_of(world, number) == "action_required"


async def test_a_declarant_cannot_read_an_agencys_work_queue(world: World) -> None:
    r = await world.call("GET", "/v1/agencies/customs/dossiers", BROKER)

    assert error(r, 403) == "not_permitted"


# -- officers: their own agency's dossiers ---------------------------------------------------------


async def test_a_border_officer_cannot_see_a_goods_declaration_not_routed_to_border(world: World) -> None:
    number = await awaiting_invoice(world)

    for path in (
        f"/v1/declarations/{number}",
        f"/v1/declarations/{number}/timeline",
        f"/v1/agencies/border/dossiers/{number}",
    ):
        assert error(await world.call("GET", path, BORDER), 404) == "not_found"
    assert number not in await listed(world, BORDER)
    r = await world.call("GET", "/v1/events", BORDER)
    assert number not in {e["number"] for e in r.json()["events"]}


async def test_a_border_officer_cannot_decide_a_goods_declaration_not_routed_to_border(world: World) -> None:
    number = await awaiting_invoice(world)

    r = await decide(world, BORDER, "border", number)

    assert error(r, 404) == "not_found"
    assert await status_of(world, number) == "action_required"


async def test_a_quarantine_officer_sees_only_declarations_routed_to_quarantine(world: World) -> None:
    routed, not_routed = await beef(world), await awaiting_invoice(world)

    assert await listed(world, QUARANTINE) == {routed}
    assert (await world.call("GET", f"/v1/declarations/{routed}", QUARANTINE)).status_code == 200
    assert error(await world.call("GET", f"/v1/declarations/{not_routed}", QUARANTINE), 404) == "not_found"


async def test_a_customs_officer_cannot_decide_on_quarantines_dossier(world: World) -> None:
    number = await beef(world)

    r = await decide(world, CUSTOMS, "quarantine", number)

    assert error(r, 403) == "not_permitted"
    assert await status_of(world, number) == "inspection"


async def test_an_officer_cannot_read_another_agencys_work_queue(world: World) -> None:
    r = await world.call("GET", "/v1/agencies/quarantine/dossiers", CUSTOMS)

    assert error(r, 403) == "not_permitted"


@pytest.mark.parametrize("officer", [CUSTOMS, QUARANTINE, BORDER])
async def test_officers_cannot_submit(world: World, officer: str) -> None:
    r = await world.call("POST", "/v1/declarations", officer, json=world.goods())

    assert error(r, 403) == "not_permitted"
    assert await listed(world, PORT_OFFICE) == set()


async def test_an_officer_cannot_amend_or_withdraw(world: World) -> None:
    number = await awaiting_invoice(world)
    data = (await world.call("GET", f"/v1/declarations/{number}", CUSTOMS)).json()["data"]

    amend = await world.call(
        "PUT", f"/v1/declarations/{number}", CUSTOMS, json={"reason": "Fixing it.", "data": data}
    )
    withdraw = await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", CUSTOMS, json={"reason": "Tidy."}
    )

    assert error(amend, 403) == "not_permitted"
    assert error(withdraw, 403) == "not_permitted"


# -- the port office: reads everything, changes nothing --------------------------------------------


async def test_the_port_office_reads_everything(world: World) -> None:
    goods, vessel = await beef(world), await submit(world, world.vessel(), token=AGENT)

    assert await listed(world, PORT_OFFICE) == {goods, vessel}
    for number in (goods, vessel):
        assert (await world.call("GET", f"/v1/declarations/{number}", PORT_OFFICE)).status_code == 200
        assert (
            await world.call("GET", f"/v1/declarations/{number}/timeline", PORT_OFFICE)
        ).status_code == 200
    r = await world.call("GET", "/v1/agencies/quarantine/dossiers", PORT_OFFICE)
    assert {item["number"] for item in r.json()["items"]} == {goods, vessel}
    r = await world.call("GET", "/v1/events", PORT_OFFICE)
    assert {e["number"] for e in r.json()["events"]} == {goods, vessel}


async def test_the_port_office_cannot_submit_decide_or_withdraw(world: World) -> None:
    number = await beef(world)

    submit_r = await world.call("POST", "/v1/declarations", PORT_OFFICE, json=world.goods())
    decide_r = await decide(world, PORT_OFFICE, "quarantine", number)
    withdraw_r = await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", PORT_OFFICE, json={"reason": "Tidy."}
    )

    assert error(submit_r, 403) == error(decide_r, 403) == error(withdraw_r, 403) == "not_permitted"
    assert await status_of(world, number) == "inspection"
    assert await listed(world, PORT_OFFICE) == {number}


# -- the administrator: organisations, users, tokens -----------------------------------------------


@pytest.mark.parametrize("token", [BROKER, CUSTOMS, PORT_OFFICE])
async def test_only_the_admin_creates_organisations_users_and_tokens(world: World, token: str) -> None:
    org = await world.call(
        "POST", "/v1/admin/organisations", token, json={"id": "rogue", "name": "Rogue", "kind": "enterprise"}
    )
    user = await world.call(
        "POST",
        "/v1/admin/users",
        token,
        json={"id": "rogue-user", "org_id": "gangtong-broker", "name": "Rogue", "role": "admin"},
    )
    issued = await world.call("POST", "/v1/admin/users/gangtong-broker/tokens", token, json={"label": "mine"})

    assert error(org, 403) == error(user, 403) == error(issued, 403) == "not_permitted"


async def test_a_token_the_admin_issues_works_and_is_stored_only_as_its_hash(world: World) -> None:
    r = await world.call(
        "POST",
        "/v1/admin/organisations",
        ADMIN,
        json={"id": "yangtze-logistics", "name": "长江物流 Yangtze Logistics", "kind": "enterprise"},
    )
    assert r.status_code == 201, r.text
    r = await world.call(
        "POST",
        "/v1/admin/users",
        ADMIN,
        json={"id": "yangtze-clerk", "org_id": "yangtze-logistics", "name": "Qian Yu", "role": "declarant"},
    )
    assert r.status_code == 201, r.text
    r = await world.call("POST", "/v1/admin/users/yangtze-clerk/tokens", ADMIN, json={"label": "erp"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]

    me = await world.call("GET", "/v1/me", token)

    assert me.status_code == 200, me.text
    assert {k: me.json()[k] for k in ("user_id", "org_id", "role", "agency")} == {
        "user_id": "yangtze-clerk",
        "org_id": "yangtze-logistics",
        "role": "declarant",
        "agency": None,
    }
    with world.ow.engines.read.connect() as conn:
        rows = [
            dict(row._mapping)
            for row in conn.execute(sa.select(api_tokens).where(api_tokens.c.user_id == "yangtze-clerk"))
        ]
    assert len(rows) == 1
    assert token not in repr(rows)
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


async def test_a_new_organisation_sees_none_of_the_existing_declarations(world: World) -> None:
    number = await awaiting_invoice(world)
    await world.call(
        "POST", "/v1/admin/organisations", ADMIN, json={"id": "newco", "name": "NewCo", "kind": "enterprise"}
    )
    await world.call(
        "POST",
        "/v1/admin/users",
        ADMIN,
        json={"id": "newco-clerk", "org_id": "newco", "name": "N", "role": "declarant"},
    )
    token = (await world.call("POST", "/v1/admin/users/newco-clerk/tokens", ADMIN, json={})).json()["token"]

    assert await listed(world, token) == set()
    assert error(await world.call("GET", f"/v1/declarations/{number}", token), 404) == "not_found"
