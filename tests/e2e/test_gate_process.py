"""The gate desk in its own process, as ``onewindow serve`` runs it by default: it opens for goods
the API's process released, its confirmations reach the declarations' timelines, both processes
hold a second exit, and it is restarted when it dies and ends with ``serve`` however that ends."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from onewindow.demo.gates import GATES
from tests.fixtures.servers import Server, cli, demo_declarations

pytestmark = pytest.mark.slow

BROKER = {"Authorization": "Bearer ow_demo_broker"}
OFFICE = {"Authorization": "Bearer ow_demo_port_office"}
GATE = GATES[0]["id"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("gate-process")
    env = {"ONEWINDOW_DATA_DIR": str(data)}
    cli("migrate", env=env)
    cli("demo", "--declarations", "0", env=env)
    s = Server(env, log=data / "server.log", gate=True).start(timeout=60)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def gate(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.gate_url, headers=OFFICE, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def registered(server: Server) -> None:
    r = httpx.post(f"{server.url}/v1/facilities", json=GATES[0], headers=OFFICE, timeout=10)
    assert r.status_code in (201, 409), r.text


async def released(api: httpx.AsyncClient, server: Server) -> dict[str, Any]:
    """A goods declaration the API's process released on receipt, as it reads now."""
    db = sa.create_engine(f"sqlite:///{server.env['ONEWINDOW_DATA_DIR']}/onewindow.db")
    made = demo_declarations(db, random.Random(time.time_ns()), items=2)
    bodies = [next(made) for _ in range(20)]  # the risk engine selects some: those are not released
    db.dispose()
    for body in bodies:
        r = await api.post("/v1/declarations", content=orjson.dumps(body), headers=BROKER)
        assert r.status_code == 201, r.text
        if r.json()["status"] == "released":
            got = await api.get(f"/v1/declarations/{r.json()['number']}", headers=BROKER)
            declaration: dict[str, Any] = got.json()
            return declaration
    raise AssertionError("no declaration was released on receipt")


def reading(declaration: dict[str, Any]) -> dict[str, Any]:
    boxes = declaration["data"]["containers"]
    return {
        "direction": "exit",
        "plate": "皖B12345",
        "containers": [b["number"] for b in boxes],
        "seals": [s for b in boxes for s in b["seals"]],
    }


async def decide(client: httpx.AsyncClient, body: dict[str, Any], until: str, within: float = 5.0) -> Any:
    """Ask until the answer is ``until`` (a desk in another process sees a commit within its
    follower's poll) or ``within`` seconds pass; the last answer."""
    deadline = time.monotonic() + within
    while True:
        r = await client.post(f"/v1/gates/{GATE}/passages", json=body)
        assert r.status_code == 200, r.text
        if r.json()["decision"] == until or time.monotonic() > deadline:
            return r.json()
        await asyncio.sleep(0.1)


async def test_the_desk_answers_from_its_own_process(api: httpx.AsyncClient, gate: httpx.AsyncClient) -> None:
    main, desk = (await api.get("/healthz")).json(), (await gate.get("/healthz")).json()
    assert (main["role"], desk["role"]) == ("all", "gate")
    assert main["pid"] != desk["pid"]


async def test_goods_released_by_the_api_leave_through_the_desk_and_the_exit_reaches_the_timeline(
    server: Server, registered: None, api: httpx.AsyncClient, gate: httpx.AsyncClient
) -> None:
    declaration = await released(api, server)
    number, body = declaration["number"], reading(declaration)

    passage = await decide(gate, body, until="open")
    assert passage["decision"] == "open", passage
    r = await gate.post(f"/v1/gates/{GATE}/passages/{passage['passage_id']}/confirm")
    assert r.status_code == 200, r.text

    deadline = time.monotonic() + 10
    while True:  # the API's relay publishes what the desk's process committed
        timeline = (await api.get(f"/v1/declarations/{number}/timeline", headers=BROKER)).json()
        types = [e["type"] for e in timeline["events"]]
        if "GoodsExited" in types or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert types.count("GoodsExited") == 1

    again = await decide(gate, body, until="hold")
    assert "already_exited" in {x["code"] for x in again["reasons"]}
    async with httpx.AsyncClient(base_url=server.url, headers=OFFICE, timeout=10) as same_app:
        elsewhere = await decide(same_app, body, until="hold")
    assert "already_exited" in {x["code"] for x in elsewhere["reasons"]}, "the API's own gate routes know too"
    logged = (await api.get(f"/v1/gates/passages?number={number}", headers=OFFICE)).json()["items"]
    assert [p["passage_id"] for p in logged] == [passage["passage_id"]]


async def test_goods_not_released_are_held_by_the_desk(registered: None, gate: httpx.AsyncClient) -> None:
    body = {"direction": "exit", "plate": "皖B00001", "containers": ["MSCU1234566"], "seals": ["X1"]}
    answer = (await gate.post(f"/v1/gates/{GATE}/passages", json=body)).json()
    assert answer["decision"] == "hold"
    assert {x["code"] for x in answer["reasons"]} == {"container_unknown"}


async def test_bad_readings_are_refused_by_the_desk_as_by_the_api(gate: httpx.AsyncClient) -> None:
    r = await gate.post(f"/v1/gates/{GATE}/passages", json={"direction": "sideways", "plate": "x"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["path"] == "direction"
    r = await gate.get("/no-such-page")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await gate.post(f"/v1/gates/{GATE}/passages", json={}, headers={"Authorization": ""})
    assert r.status_code == 401


def desk_pid(server: Server) -> int:
    r = httpx.get(f"{server.gate_url}/healthz", timeout=5)
    assert r.status_code == 200
    pid: int = r.json()["pid"]
    return pid


def wait_for(condition: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_desk_that_dies_is_started_again(server: Server) -> None:
    first = desk_pid(server)
    os.kill(first, signal.SIGKILL)

    def answering_again() -> bool:
        try:
            return desk_pid(server) != first
        except (httpx.HTTPError, AssertionError):
            return False

    assert wait_for(answering_again, within=30)


def test_the_desk_ends_with_serve_even_when_serve_is_killed(tmp_path: Path) -> None:
    env = {"ONEWINDOW_DATA_DIR": str(tmp_path)}
    cli("migrate", env=env)
    stopped = Server(env, log=tmp_path / "a.log", gate=True).start(timeout=60)
    desk = desk_pid(stopped)
    stopped.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    stopped.proc.wait(20)  # type: ignore[union-attr]
    assert wait_for(lambda: not alive(desk), within=10), "serve stopped: its desk stops with it"

    killed = Server(env, log=tmp_path / "b.log", gate=True).start(timeout=60)
    desk = desk_pid(killed)
    os.kill(killed.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]  # not the group: serve alone
    killed.proc.wait(10)  # type: ignore[union-attr]
    assert wait_for(lambda: not alive(desk), within=10), "serve killed: its desk does not linger"
