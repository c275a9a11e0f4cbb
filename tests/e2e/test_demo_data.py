"""The demo is realistic: valid organisations and declarations in every state, made by the real
code, spread over eight weeks of history as a port's traffic is (by day more than at night, across
ports, kinds, channels and credit grades), decided minutes to days later, a few dossiers late."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc

from onewindow.bootstrap import bootstrap
from onewindow.declarations.model import Status
from onewindow.declarations.tables import declarations
from onewindow.demo.loader import load_demo
from onewindow.kernel.clock import SystemClock
from onewindow.persistence.engine import create_engines
from onewindow.persistence.schema import metadata
from onewindow.settings import Settings
from onewindow.statistics.filters import PORT_TIME, parse_filters
from onewindow.statistics.queries import Figure, Snapshot


@dataclass(frozen=True)
class Demo:
    result: dict[str, Any]
    loaded_at: datetime
    engine: sa.Engine
    seconds: float

    def scalars(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.exec_driver_sql(sql).scalars())

    def figure(self, name: str) -> Figure:
        today = self.loaded_at.astimezone(PORT_TIME).date()
        with self.engine.connect() as conn:
            return Snapshot(conn, parse_filters(today), SystemClock().now()).figure(name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo the README's run command loads (300 declarations), loaded once for these tests."""
    data = Path(tmp_path_factory.mktemp("demo"))

    async def load() -> tuple[dict[str, Any], float]:
        ow = bootstrap(Settings(data_dir=data))
        metadata.create_all(ow.engines.write)
        await ow.start()
        try:
            started = asyncio.get_running_loop().time()
            result = await load_demo(ow, declarations_count=300)
            return result, asyncio.get_running_loop().time() - started
        finally:
            await ow.stop()

    loaded_at = SystemClock().now()
    result, seconds = asyncio.run(load())
    engines = create_engines(f"sqlite:///{data}/onewindow.db")
    yield Demo(result, loaded_at, engines.read, seconds)
    engines.dispose()


def test_the_demo_has_declarations_in_every_state_and_valid_credit_codes(demo: Demo) -> None:
    assert demo.result["declarations"] == 300
    assert set(demo.result["by_status"]) == {s.value for s in Status}
    codes = demo.scalars("SELECT uscc FROM organisations WHERE uscc IS NOT NULL")
    assert codes and all(uscc.is_valid(c) for c in codes)


def test_the_declarations_span_eight_weeks_more_by_day_than_at_night(demo: Demo) -> None:
    with demo.engine.connect() as conn:
        lodged = list(conn.execute(sa.select(declarations.c.submitted_at)).scalars())
    assert demo.loaded_at - min(lodged) > timedelta(weeks=7, days=5)
    assert max(lodged) > demo.loaded_at - timedelta(hours=3)  # and the newest came in just now
    weeks = Counter((demo.loaded_at - at).days // 7 for at in lodged)
    assert all(weeks[w] >= 15 for w in range(8)), weeks
    hours = Counter(at.astimezone(PORT_TIME).hour for at in lodged)
    office_hours, night = sum(hours[h] for h in range(8, 18)), sum(hours[h] for h in (22, 23, *range(6)))
    assert office_hours > 4 * night > 0


def test_the_declarations_are_across_ports_kinds_channels_and_credit_grades(demo: Demo) -> None:
    offices = set(demo.scalars("SELECT office FROM declarations"))
    assert {"3300", "3301", "3302"} <= offices and len(offices) >= 5
    assert set(demo.scalars("SELECT kind FROM declarations")) >= {"import", "export", "vessel_arrival"}
    vessels_at = set(demo.scalars("SELECT office FROM declarations WHERE kind = 'vessel_arrival'"))
    assert len(vessels_at) >= 3
    channels = set(demo.scalars("SELECT channel FROM risk_assessments"))
    assert {"release", "document_check"} <= channels and channels & {"scan", "manual"}
    grades = set(demo.scalars("SELECT grade FROM risk_assessments WHERE agency = 'customs'"))
    assert {"advanced_certified", "certified", "routine", "dishonest", "seriously_dishonest"} <= grades


def test_agencies_decide_minutes_to_days_later_and_inspections_take_longer(demo: Demo) -> None:
    clearance = [r for r in demo.figure("clearance-time").rows if r["released"]]
    medians = [r["median_h"] for r in clearance]
    assert min(medians) < 2 and max(r["p90_h"] for r in clearance) > 24
    exports = [r["median_h"] for r in clearance if r["kind"] == "export"]
    imports = [r["median_h"] for r in clearance if r["kind"] == "import"]
    assert sorted(exports)[len(exports) // 2] < sorted(imports)[len(imports) // 2]  # exports clear faster
    stages = [r for r in demo.figure("stages").rows if r["inspected"]]
    assert stages and all(r["inspection_when_inspected_h"] > 1 for r in stages)
    booked = demo.scalars("SELECT count(*) FROM facility_bookings WHERE status IN ('booked', 'moved')")[0]
    closed = demo.scalars("SELECT count(*) FROM inspection_tasks WHERE status = 'closed'")[0]
    assert booked >= 10 and closed >= 10


def test_a_few_dossiers_still_wait_and_some_of_them_are_late(demo: Demo) -> None:
    late = demo.figure("late").rows
    assert 3 <= len(late) <= 60
    assert {r["situation"] for r in late} & {"review", "inspection"}
    waiting = demo.scalars("SELECT count(*) FROM dossiers WHERE category IN ('open', 'inspection')")[0]
    assert waiting > len(late)  # some are waiting within their agency's expected time


def test_the_demo_loads_in_well_under_a_minute(demo: Demo) -> None:
    assert demo.seconds < 60  # about 15 s on an idle two-core machine
