"""Crash test: submissions are driven at a real server that is killed with SIGKILL several times.

Every declaration that was acknowledged must exist exactly once after restarts, every one must
reach its final state, and no release may be announced twice.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa

from tests.fixtures.servers import Server, cli, demo_declarations

pytestmark = pytest.mark.slow

KILLS = 4
TOKEN = {"Authorization": "Bearer ow_demo_broker"}


# Where automatic processing ends: released, or selected for an inspection an officer will do.
FINAL = {"released", "inspection"}


def _bodies(db: sa.Engine, n: int) -> list[tuple[str, bytes]]:
    made = demo_declarations(db, random.Random(3), items=3)
    return [(uuid.uuid4().hex, orjson.dumps(next(made))) for _ in range(n)]


async def _drive(url: str, work: list[tuple[str, bytes]], acked: dict[str, str], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        while work and not stop.is_set():
            key, body = work.pop()
            try:
                r = await http.post(
                    "/v1/declarations",
                    content=body,
                    headers={**TOKEN, "Idempotency-Key": key, "Content-Type": "application/json"},
                )
            except httpx.HTTPError:
                work.append((key, body))  # not acknowledged: the client will retry it later
                return
            if r.status_code in (200, 201):
                acked[key] = r.json()["number"]
            else:
                work.append((key, body))
                return


async def _storm(
    server: Server, work: list[tuple[str, bytes]], acked: dict[str, str], seconds: float
) -> None:
    stop = asyncio.Event()
    drivers = [asyncio.create_task(_drive(server.url, work, acked, stop)) for _ in range(8)]
    await asyncio.sleep(seconds)
    server.kill()  # SIGKILL while requests are in flight
    stop.set()
    await asyncio.wait_for(asyncio.gather(*drivers, return_exceptions=True), 30)


def _wait_final(db: sa.Engine, timeout: float = 90) -> dict[str, int]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        with db.connect() as conn:
            counts = dict(
                conn.execute(sa.text("SELECT status, count(*) FROM declarations GROUP BY status")).all()
            )
        if set(counts) <= FINAL or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


async def test_acknowledged_declarations_survive_sigkill_exactly_once_and_release_once(
    tmp_path: Path,
) -> None:
    env = {"ONEWINDOW_DATA_DIR": str(tmp_path / "var")}
    cli("migrate", env=env)
    cli("demo", "--declarations", "0", env=env)
    db = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'onewindow.db'}")
    sent = _bodies(db, 3000)
    work = list(sent)
    acked: dict[str, str] = {}
    rng = random.Random(5)
    log = tmp_path / "server.log"
    for _ in range(KILLS):
        server = Server(env, log=log).start()
        await _storm(server, work, acked, rng.uniform(0.8, 2.0))
    assert len(acked) > 100, "the storm should have had many submissions acknowledged"

    server = Server(env, log=log).start()
    try:
        # The client retries everything it sent with the same key: acknowledged ones come back
        # with the number first given, the others are stored now; nothing is stored twice.
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            for key, body in sent:
                r = await http.post(
                    "/v1/declarations",
                    content=body,
                    headers={**TOKEN, "Idempotency-Key": key, "Content-Type": "application/json"},
                )
                assert r.status_code in (200, 201), r.text
                if key in acked:
                    assert r.json()["number"] == acked[key]
                    assert r.status_code == 200 and r.headers["Idempotent-Replayed"] == "true"
        counts = _wait_final(db)
    finally:
        server.stop()

    with db.connect() as conn:
        numbers = conn.execute(sa.text("SELECT number FROM declarations")).scalars().all()
        releases = conn.execute(
            sa.text("SELECT number, count(*) FROM events WHERE type = 'DeclarationReleased' GROUP BY number")
        ).all()
        keys = conn.execute(sa.text("SELECT count(*) FROM idempotency_keys")).scalar()
        unpublished = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
    assert set(acked.values()) <= set(numbers)
    assert len(numbers) == len(set(numbers)) == len(sent) == keys
    assert set(counts) <= FINAL and sum(counts.values()) == len(sent)
    assert counts.get("inspection", 0) <= 0.05 * len(sent)  # the risk engine's random checks
    assert len(releases) == counts["released"] and all(n == 1 for _, n in releases)
    assert unpublished == 0
