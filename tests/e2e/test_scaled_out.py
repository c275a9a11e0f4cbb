"""The scaled-out deployment: two API processes and a worker on PostgreSQL and NATS JetStream.
A declaration submitted to one API process is released through the other; a risk profile saved
through one selects the next declaration submitted to the other."""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.demo import samples
from onewindow.demo.loader import INVOICE_PDF
from onewindow.risk.engine import RECHECK_SECONDS
from tests.fixtures.servers import Server, cli

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.nats]

BROKER = {"Authorization": "Bearer ow_demo_broker"}
QUARANTINE = {"Authorization": "Bearer ow_demo_quarantine"}
CUSTOMS = {"Authorization": "Bearer ow_demo_customs"}


async def _status(http: httpx.AsyncClient, number: str, wanted: str, timeout: float = 30) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            view: dict[str, Any] = (await http.get(f"/v1/declarations/{number}", headers=BROKER)).json()
            if view["status"] == wanted:
                return view
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


async def test_submitted_to_one_api_process_released_through_the_other(
    tmp_path: Path, pg_url: str, nats_url: str
) -> None:
    env = {
        "ONEWINDOW_DATA_DIR": str(tmp_path / "var"),
        "ONEWINDOW_DATABASE_URL": pg_url,
        "ONEWINDOW_NATS_URL": nats_url,
        "ONEWINDOW_NATS_STREAM": f"OW_TEST_{uuid.uuid4().hex[:8].upper()}",
    }
    cli("migrate", env=env)
    cli("demo", "--declarations", "0", env=env)
    log = tmp_path / "servers.log"
    a, b = Server(env, role="api", log=log), Server(env, role="api", log=log)
    worker = Server(env, role="worker", log=log)
    try:
        a.start(), b.start(), worker.start()
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=10) as api_a,
            httpx.AsyncClient(base_url=b.url, timeout=10) as api_b,
        ):
            me = (await api_a.get("/v1/me", headers=BROKER)).json()
            assert me["org_id"] == "gangtong-broker"
            health = (await api_b.get("/healthz")).json()
            assert (
                health["database"] == "postgresql" and health["broker"] == "nats" and health["role"] == "api"
            )
            usccs = {"jianghuai-trade": samples.uscc_code(random.Random(1)), "gangtong-broker": me["uscc"]}
            invoice = [{"type": "invoice", "sha256": hashlib.sha256(INVOICE_PDF).hexdigest()}]
            rng = random.Random(9)
            beef = samples.goods_declaration(
                rng,
                consignee_uscc=usccs["jianghuai-trade"],
                declarant_uscc=usccs["gangtong-broker"],
                commodities=[samples.COMMODITIES[9]],
                documents=invoice,
                items=2,
            )
            chips = samples.goods_declaration(
                rng,
                consignee_uscc=usccs["jianghuai-trade"],
                declarant_uscc=usccs["gangtong-broker"],
                commodities=[samples.COMMODITIES[0]],
                documents=invoice,
                items=2,
            )
            r1 = await api_a.post("/v1/declarations", json=beef, headers=BROKER)
            r2 = await api_a.post("/v1/declarations", json=chips, headers=BROKER)
            assert r1.status_code == 201 and r2.status_code == 201, (r1.text, r2.text)
            beef_no, chips_no = r1.json()["number"], r2.json()["number"]

            await _status(api_b, chips_no, "released")  # the worker's automatic customs release
            view = await _status(api_b, beef_no, "inspection")  # customs released, quarantine samples
            assert {d["agency"]: d["state"] for d in view["dossiers"]} == {
                "customs": "released",
                "quarantine": "sampling",
            }
            r = await api_b.post(
                f"/v1/agencies/quarantine/dossiers/{beef_no}/decisions",
                headers=QUARANTINE,
                json={"decision": "release", "reason": "laboratory results within limits"},
            )
            assert r.status_code == 200, r.text
            await _status(api_a, beef_no, "released")
            timeline = (await api_a.get(f"/v1/declarations/{beef_no}/timeline", headers=BROKER)).json()[
                "events"
            ]
            assert [e["type"] for e in timeline].count("DeclarationReleased") == 1

            # A risk profile saved through one API process selects the declarations submitted to
            # the other from half a second later, with no restart (the engines compare the shared
            # change counters every RECHECK_SECONDS).
            profile = {
                "name": "Processors: scan",
                "expression": 'startswith(hs_code, "8542")',
                "channel": "scan",
                "reason": "Mis-declared chips reported",
            }
            r = await api_a.post("/v1/risk/profiles", json=profile, headers=CUSTOMS)
            assert r.status_code == 201, r.text
            await asyncio.sleep(RECHECK_SECONDS + 0.2)
            more_chips = samples.goods_declaration(
                rng,
                consignee_uscc=usccs["jianghuai-trade"],
                declarant_uscc=usccs["gangtong-broker"],
                commodities=[samples.COMMODITIES[0]],
                documents=invoice,
                items=2,
            )
            r = await api_b.post("/v1/declarations", json=more_chips, headers=BROKER)
            assert r.status_code == 201, r.text
            view = await _status(api_a, r.json()["number"], "inspection")
            assert {d["agency"]: d["state"] for d in view["dossiers"]} == {"customs": "inspection_ordered"}
    finally:
        for s in (a, b, worker):
            s.stop()
