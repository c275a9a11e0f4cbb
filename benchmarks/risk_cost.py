"""What the risk engine costs the submissions (issue 3: with it on, the core's own targets must hold)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.servers import Server

from benchmarks.environment import BenchEnv
from benchmarks.scenarios import ROUNDS, SUBMIT, figure, phase, settled, templates


async def figures(env: BenchEnv, seconds: float) -> list[dict[str, Any]]:
    """The submission rate with the risk engine on against the same server with it off, on one
    database in the same run: rounds alternate between a server started with the engine on and
    one started with it off (each warmed up, and every event handled before it stops); the
    medians."""
    env.reset()
    tpl = templates(env)
    host, n = "127.0.0.1", int(seconds * 4000)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(ROUNDS):
        for k, risk in enumerate(("on", "off")):
            server = Server({**env.env, "ONEWINDOW_RISK": risk}, log=env.root / "risk-cost.log").start()
            try:
                start = (3 + k) * 10**9 + r * (n + 500)
                await phase(host, server.port, SUBMIT, tpl, 500, start, 5, connections=32)
                measured = await phase(host, server.port, SUBMIT, tpl, n, start + 500, seconds)
                rates[risk].append(measured.rate)
                await settled(env, timeout=120)
            finally:
                server.stop()
    with_risk, without = (sorted(rates[x])[ROUNDS // 2] for x in ("on", "off"))
    return [
        figure(
            f"{env.db}.http_submissions_risk_cost",
            with_risk,
            "declarations/s",
            without,
            baseline_name="the same submissions to the same server with the risk engine off",
            target="issue 3: with risk on, the core's own targets (>= 1000/s) still hold",
            rounds=[round(x, 1) for x in rates["on"]],
            baseline_rounds=[round(x, 1) for x in rates["off"]],
            durability=env.durability(),
            risk=env.risk(),
        )
    ]
