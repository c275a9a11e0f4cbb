"""An agency configured to decide from the event stream (``on_receipt: false``), as one whose
rules run in its own system would: its decision arrives after the submission, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onewindow.persistence.outbox import envelopes, events
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, PDF, World, start_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    ow, w = await start_world(Settings(data_dir=tmp_path, agency_config={"customs": {"on_receipt": False}}))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


async def test_a_stream_fed_agency_decides_after_the_submission_and_only_once(world: World) -> None:
    sha = await world.upload(BROKER, PDF)
    from onewindow.demo import samples

    body = world.goods(commodities=[samples.COMMODITIES[0]], documents=[{"type": "invoice", "sha256": sha}])
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "submitted"  # customs has not decided yet
    number = r.json()["number"]
    await world.settle()
    view = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()
    assert view["status"] == "released"

    # The broker delivers the DossierOpened event again (as after a crash): no second decision.
    with world.ow.engines.read.connect() as conn:
        [opened] = envelopes(
            conn.execute(sa.select(events).where(events.c.number == number, events.c.type == "DossierOpened"))
        )
    from onewindow.agencies.automation import automation_handler

    await automation_handler(world.ow.agencies, world.ow.committer)(opened)
    with world.ow.engines.read.connect() as conn:
        decided = conn.execute(
            sa.select(sa.func.count())
            .select_from(events)
            .where(events.c.number == number, events.c.type == "DossierDecided")
        ).scalar()
    assert decided == 1
