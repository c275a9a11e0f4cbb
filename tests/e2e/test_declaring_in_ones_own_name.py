"""An enterprise declares only in its own name: the declarant's credit code is the caller's."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.declarations.tables import declarations
from tests.fixtures.app import AGENT, BROKER, World


async def test_a_broker_cannot_declare_under_another_enterprises_credit_code(world: World) -> None:
    body = world.goods(org="jianghuai-trade")  # the importer's code in the declarant field
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 422
    [field] = r.json()["error"]["fields"]
    assert field["path"] == "declarant.uscc" and field["code"] == "declarant_not_you"
    assert world.usccs["gangtong-broker"] in field["message"]
    with world.ow.engines.read.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(declarations)).scalar() == 0


async def test_a_shipping_agent_reports_vessels_only_as_itself(world: World) -> None:
    body = world.vessel()
    body["shipping_agent"]["uscc"] = world.usccs["gangtong-broker"]
    r = await world.call("POST", "/v1/declarations", AGENT, json=body)
    assert r.status_code == 422
    assert [f["path"] for f in r.json()["error"]["fields"]] == ["shipping_agent.uscc"]
    ok = await world.call("POST", "/v1/declarations", AGENT, json=world.vessel())
    assert ok.status_code == 201, ok.text
