"""The gate lane: a real server with a gate port of its own, sharing one desk and one passage log
with the main port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.servers import Server, cli, free_port

GATE = {"Authorization": "Bearer ow_demo_gate"}
READING = {"direction": "exit", "plate": "皖B12345", "containers": ["CSQU3054383"], "seals": ["S1"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data: Path = tmp_path_factory.mktemp("lane")
    env = {
        "ONEWINDOW_DATA_DIR": str(data),
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{data}/onewindow.db",
        "ONEWINDOW_GATE_PORT": str(free_port()),
    }
    cli("migrate", env=env)
    cli("demo", "--declarations", "0", env=env)
    s = Server(env=env, log=data / "server.log").start()
    try:
        yield s.url, f"http://127.0.0.1:{env['ONEWINDOW_GATE_PORT']}"
    finally:
        s.stop()


def test_the_lane_answers_gate_readings_and_nothing_else(server: tuple[str, str]) -> None:
    _, lane = server
    r = httpx.post(f"{lane}/v1/gates/NO-SUCH-GATE/passages", json=READING, headers=GATE)
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "hold"
    assert "gate_unknown" in [reason["code"] for reason in r.json()["reasons"]]
    assert httpx.post(f"{lane}/v1/gates/G1/ping", content=b"{}").json() == {"pong": True}
    assert httpx.get(f"{lane}/v1/declarations", headers=GATE).status_code == 404


def test_the_lane_refuses_what_the_main_port_refuses(server: tuple[str, str]) -> None:
    _, lane = server
    assert httpx.post(f"{lane}/v1/gates/G1/passages", json=READING).status_code == 401
    broker = {"Authorization": "Bearer ow_demo_broker"}
    assert httpx.post(f"{lane}/v1/gates/G1/passages", json=READING, headers=broker).status_code == 403
    bad = httpx.post(f"{lane}/v1/gates/G1/passages", json={**READING, "direction": "up"}, headers=GATE)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["path"] == "direction"


def test_both_ports_share_one_desk_and_one_log(server: tuple[str, str]) -> None:
    main, lane = server
    on_lane = httpx.post(f"{lane}/v1/gates/G1/passages", json=READING, headers=GATE).json()
    on_main = httpx.post(f"{main}/v1/gates/G1/passages", json=READING, headers=GATE).json()
    # A held passage cannot be confirmed, through either port: the lane's desk knows both.
    for base, passage in ((main, on_lane), (lane, on_main)):
        r = httpx.post(f"{base}/v1/gates/G1/passages/{passage['passage_id']}/confirm", headers=GATE)
        assert r.status_code == 409, r.text
    wanted = {on_lane["passage_id"], on_main["passage_id"]}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # logged within milliseconds of the answer
        listed = httpx.get(f"{main}/v1/gates/G1/passages", headers=GATE).json()["items"]
        if wanted <= {p["passage_id"] for p in listed}:
            break
        time.sleep(0.05)
    assert wanted <= {p["passage_id"] for p in listed}
