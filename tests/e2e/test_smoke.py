from tests.fixtures.app import BROKER, PDF, World


async def test_a_broker_submits_and_reads(world: World) -> None:
    sha = await world.upload(BROKER, PDF)
    body = world.goods(documents=[{"type": "invoice", "sha256": sha}])
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    await world.settle()
    r = await world.call("GET", f"/v1/declarations/{number}", BROKER)
    assert r.status_code == 200, r.text
    print(r.json()["status"], r.json()["dossiers"])
