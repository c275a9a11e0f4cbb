"""Gate decisions while the rest of the system is busy (issue 4's target).

    .venv/bin/python -m benchmarks.gate                  # 10 s phases
    .venv/bin/python -m benchmarks.gate --seconds 30

A real server on the embedded default (SQLite in WAL mode, synchronous=FULL; ``serve`` as it runs
by default: the API, writer and agencies in one process, the gate desk in a child process of its
own on the next port, see ``onewindow.entrypoints.gate_process``) gets a few hundred declarations,
which its agencies release, and a gate in the facilities register. Then,
for ``--seconds``, gate readers ask for decisions at 2,000 a second (open loop: request i is sent at
start + i/rate whatever the server does) on trucks carrying those released containers (one in ten
with a wrong seal or an undeclared container), **while** a second client process submits new
declarations at 200 a second. The same is done against ``POST /v1/gates/{id}/ping``, an endpoint
of the same gate desk that answers a constant (no token, no read, no write): the baseline.

One JSON line per figure: ``sqlite.gate_decisions_p99`` (ms, target < 5 ms at 2,000/s offered),
with the achieved rate, the baseline's p99 and the ratio; the submissions' achieved rate; and a
check that every decision answered is in the passage log afterwards. Latency runs from the moment a
connection sends the request to the moment the answer is read; ``p99_from_schedule_ms`` also
counts any wait for a free connection in the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import uvloop

from benchmarks import scenarios
from benchmarks.environment import BenchEnv
from benchmarks.loadgen import Connection, build_request, closed_loop
from onewindow.demo.samples import container_number
from onewindow.facilities.tables import facilities
from onewindow.gate.tables import gate_passages
from onewindow.persistence.schema import metadata

RESULTS = Path(__file__).parent / "results"
GATE = "WHI-GATE-BENCH"
GATE_TOKEN = {"Authorization": "Bearer ow_demo_port_office"}
TARGET = "< 5 ms at 2000/s offered, while declarations are submitted at 200/s"


@dataclass
class Phase:
    """One open-loop run's answers."""

    latencies: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # from the scheduled send
    decisions: dict[str, int] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)
    ok: int = 0
    elapsed: float = 0.0

    def p(self, q: float, xs: list[float] | None = None) -> float:
        xs = sorted(self.latencies if xs is None else xs)
        return xs[min(len(xs) - 1, int(q / 100 * len(xs)))] * 1000 if xs else float("nan")


def prepare(env: BenchEnv) -> None:
    """The tables the migrations do not have yet, and the gate (the server is not running)."""
    engine = env.engine()
    metadata.create_all(engine)  # creates only what is missing
    row = {
        "id": GATE,
        "kind": "gate",
        "name": "Benchmark gate",
        "name_zh": "基准测试卡口",
        "port": "CNWHI",
        "owner": "wuhu-port",
        "shared_with": ["customs"],
        "capacity": 1,
        "hours": {},
        "active": True,
        "updated_at": datetime.now(UTC),
    }
    with engine.begin() as conn:
        conn.execute(facilities.insert().values(**row))
    engine.dispose()


def released_loads(env: BenchEnv) -> list[tuple[list[str], list[str]]]:
    """Each released import declaration's containers and their declared seals."""
    engine = env.engine()
    q = sa.text(
        "SELECT dc.number, dc.container, dc.seals FROM declaration_containers dc"
        " JOIN declarations d ON d.number = dc.number"
        " WHERE d.status = 'released' AND d.kind = 'import' ORDER BY dc.number, dc.container"
    )
    by_number: dict[str, tuple[list[str], list[str]]] = {}
    with engine.connect() as conn:
        for number, container, seals in conn.execute(q):
            boxes, all_seals = by_number.setdefault(number, ([], []))
            boxes.append(container)
            all_seals.extend(orjson.loads(seals) if isinstance(seals, str) else seals)
    engine.dispose()
    return list(by_number.values())


def gate_bodies(loads: list[tuple[list[str], list[str]]], n: int, seed: int = 4) -> list[bytes]:
    """Trucks with released containers: 90% as declared, 5% a wrong seal, 5% an undeclared box."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        boxes, seals = loads[i % len(loads)]
        roll = rng.random()
        if roll < 0.05:
            seals = ["SL0000000", *seals[1:]]
        elif roll < 0.10:
            boxes = [container_number(rng)]
        body = {"direction": "exit", "plate": f"皖B{i % 100000:05d}", "containers": boxes, "seals": seals}
        out.append(orjson.dumps(body))
    return out


async def paced(
    host: str, port: int, requests: list[bytes], rate: float, connections: int = 64, ok: int = 200
) -> tuple[Phase, list[bytes]]:
    """Open loop: request i is sent at start + i/rate on a free connection, whatever the server
    does; tasks are made as their time comes (not all at the start, which would send a burst)."""
    phase, bodies = Phase(), []
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        c = Connection(host, port)
        await c.open()
        pool.put_nowait(c)

    async def one(due: float, raw: bytes) -> None:
        conn = await pool.get()
        t0 = time.perf_counter()
        status, body = await conn.request(raw)
        done = time.perf_counter()
        pool.put_nowait(conn)
        if status == ok:
            phase.ok += 1
            phase.latencies.append(done - t0)
            phase.late.append(done - due)
            bodies.append(body)
        else:
            phase.errors[status] = phase.errors.get(status, 0) + 1

    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.01
    for i, raw in enumerate(requests):
        due = start + i / rate
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())
        task = asyncio.create_task(one(due, raw))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    return phase, bodies


async def offer(host: str, port: int, path: str, bodies: list[bytes], rate: float) -> Phase:
    reqs = [build_request("POST", path, host, b, GATE_TOKEN) for b in bodies]
    phase, answers = await paced(host, port, reqs, rate)
    for body in answers:
        decision = orjson.loads(body).get("decision", "pong")
        phase.decisions[decision] = phase.decisions.get(decision, 0) + 1
    return phase


def _submitter(host: str, port: int, bodies: list[bytes], rate: float, start_at: float) -> dict[str, Any]:
    """The busy rest of the system, in its own process: declarations at ``rate`` a second."""
    reqs = [build_request("POST", "/v1/declarations", host, b, scenarios.TOKEN) for b in bodies]

    async def go() -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        phase, _ = await paced(host, port, reqs, rate, connections=32, ok=201)
        return {
            "ok": phase.ok,
            "rate": phase.ok / phase.elapsed,
            "errors": phase.errors,
            "p99_ms": phase.p(99),
        }

    return uvloop.run(go())


async def under_load(
    host: str,
    port: int,
    gates: int,
    path: str,
    bodies: list[bytes],
    rate: float,
    busy: list[bytes],
    busy_rate: float,
) -> tuple[Phase, dict[str, Any]]:
    """Offer ``bodies`` at ``rate`` to ``path`` on the gate desk's port while another process
    submits ``busy`` declarations to the API's port."""
    start_at = time.time() + 3.0  # the submitter's interpreter starts meanwhile
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        submitting = loop.run_in_executor(pool, _submitter, host, port, busy, busy_rate, start_at)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        phase = await offer(host, gates, path, bodies, rate)
        submitted = await submitting
    return phase, submitted


async def logged_passages(env: BenchEnv, at_least: int, timeout: float = 30.0) -> int:
    engine = env.engine()
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                n = int(conn.execute(sa.select(sa.func.count()).select_from(gate_passages)).scalar_one())
            if n >= at_least or time.monotonic() > deadline:
                return n
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()


async def settled(env: BenchEnv, timeout: float = 120.0) -> None:
    engine = env.engine()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                left = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
            if not left:
                return
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()


async def routed(host: str, port: int) -> None:
    conn = Connection(host, port)
    await conn.open()
    try:
        status, _ = await conn.request(build_request("POST", f"/v1/gates/{GATE}/ping", host, b"{}", {}))
    finally:
        conn.close()
    if status != 200:
        raise SystemExit("the server does not route /v1/gates: include onewindow.gate.api.router in its app")


async def gate_figures(env: BenchEnv, seconds: float, rate: float, busy_rate: float) -> list[dict[str, Any]]:
    prepare(env)
    durability = env.durability()
    tpl = scenarios.templates(env)
    server = env.server().start()
    host, port, gates = "127.0.0.1", server.port, server.gate_port
    try:
        await routed(host, gates)
        seed = [
            build_request("POST", "/v1/declarations", host, b, scenarios.TOKEN)
            for b in scenarios.bodies(tpl, 300)
        ]
        await closed_loop(host, port, seed, 16, 60)
        await settled(env)
        loads = released_loads(env)
        if not loads:
            raise SystemExit("no declaration was released: nothing to drive through the gate")
        n = int(rate * seconds)
        warm = await offer(
            host, gates, f"/v1/gates/{GATE}/passages", gate_bodies(loads, int(rate), seed=1), rate
        )
        busy = list(scenarios.bodies(tpl, int(busy_rate * (seconds + 2)), 10**9))
        gate, submitted = await under_load(
            host, port, gates, f"/v1/gates/{GATE}/passages", gate_bodies(loads, n), rate, busy, busy_rate
        )
        busy = list(scenarios.bodies(tpl, int(busy_rate * (seconds + 2)), 2 * 10**9))
        ping, submitted_ping = await under_load(
            host, port, gates, f"/v1/gates/{GATE}/ping", [b"{}"] * n, rate, busy, busy_rate
        )
        answered = warm.ok + gate.ok
        logged = await logged_passages(env, answered)
    finally:
        server.stop()
    return [
        scenarios.figure(
            f"{env.db}.gate_decisions_p99",
            gate.p(99),
            "ms",
            ping.p(99),
            baseline_name="constant-answer endpoint of the gate desk, same load",
            target=TARGET,
            offered_per_s=rate,
            achieved_per_s=round(gate.ok / gate.elapsed, 1),
            p50_ms=round(gate.p(50), 3),
            p99_from_schedule_ms=round(gate.p(99, gate.late), 3),
            decisions=gate.decisions,
            errors=gate.errors,
            baseline_achieved_per_s=round(ping.ok / ping.elapsed, 1),
            baseline_p50_ms=round(ping.p(50), 3),
            submissions_per_s=round(submitted["rate"], 1),
            submissions_errors=submitted["errors"],
            containers_released=sum(len(b) for b, _ in loads),
            durability=durability,
            risk=env.risk(),
        ),
        scenarios.figure(
            f"{env.db}.gate_passages_logged",
            logged,
            "passages",
            answered,
            baseline_name="decisions answered (warm-up and measured phase)",
            target="ratio 1: every passage is in the log",
            submissions_per_s_during_baseline=round(submitted_ping["rate"], 1),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument("--rate", type=float, default=2000.0, help="gate decisions offered a second")
    parser.add_argument("--submit-rate", type=float, default=200.0, help="declarations submitted a second")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 < args.rate <= 20_000 and 0 < args.submit_rate <= 2_000):
        parser.error("--seconds in (0, 600], --rate in (0, 20000], --submit-rate in (0, 2000]")
    with BenchEnv.create("sqlite") as env:
        figures = uvloop.run(gate_figures(env, args.seconds, args.rate, args.submit_rate))
    for f in figures:
        print(json.dumps(f, ensure_ascii=False), flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"{stamp}-gate.jsonl").write_text(
        "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in figures)
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
