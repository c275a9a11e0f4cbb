"""The port office's statistics over HTTP: clearance times measured from submission to release and
cut into stages, volumes by port, what is late, every figure as JSON and as the same CSV, the
filters, bad input, and nobody but the port office reading them. The clock is fixed and moved by
the test, so every time is exact."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.bootstrap import bootstrap
from onewindow.demo.loader import create_identities
from onewindow.demo.samples import COMMODITIES
from onewindow.entrypoints.http import create_app
from onewindow.kernel.clock import FixedClock
from onewindow.persistence.schema import metadata
from onewindow.settings import Settings
from onewindow.statistics.api import router as statistics
from onewindow.statistics.filters import PORT_TIME
from tests.fixtures.app import ADMIN, BROKER, CUSTOMS, PORT_OFFICE, World

LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]  # customs only: not on the catalogue
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=PORT_TIME)  # a Monday morning at the port
WEEK = {"from": "2026-11-16", "to": "2026-11-22"}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Officers decide by hand; the risk engine assesses but selects nothing at random."""
    quiet = {"options": {"risk": {"target_rate": 0.0, "random_rate": 0.0}}}
    config = {
        a: {"default_decision": None, "rules": [], **quiet}
        for a in ("customs", "quarantine", "border", "maritime")
    }
    ow = bootstrap(Settings(data_dir=tmp_path, agency_config=config), clock=FixedClock(T0))
    metadata.create_all(ow.engines.write)
    app = create_app(onewindow=ow)
    if not any(getattr(r, "path", "").startswith("/v1/statistics") for r in app.routes):
        app.include_router(statistics)  # until the HTTP app includes it
    app.state.onewindow = ow
    await ow.start()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onewindow.test")
    w = World(ow, http, await create_identities(ow, random.Random(2015)))
    yield w
    await w.settle()
    await http.aclose()
    await ow.stop()


def move(world: World, **kwargs: float) -> None:
    clock = world.ow.clock
    assert isinstance(clock, FixedClock)
    clock.advance(**kwargs)


async def lodge(world: World, office: str = "3301", kind: str = "import") -> str:
    body = world.goods(office=office, kind=kind, items=2, commodities=LAPTOPS)
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def decide(world: World, number: str, decision: str) -> None:
    r = await world.decide(CUSTOMS, "customs", number, decision, "Decided by the officer.")
    assert r.status_code == 200, r.text
    await world.settle()


async def figure(world: World, name: str, token: str = PORT_OFFICE, **params: str) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/statistics/{name}", token, params=params)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def two_released_imports(world: World) -> tuple[str, str]:
    """One released after two hours of review; one inspected from its first hour to its fifth."""
    quick = await lodge(world)
    slow = await lodge(world)
    move(world, hours=1)
    await decide(world, slow, "order_inspection")
    move(world, hours=1)
    await decide(world, quick, "release")
    move(world, hours=3)
    await decide(world, slow, "release")
    return quick, slow


async def test_clearance_time_runs_from_submission_to_the_one_release(world: World) -> None:
    await two_released_imports(world)

    found = await figure(world, "clearance-time", **WEEK)

    [imports] = [r for r in found["rows"] if r["kind"] == "import"]
    assert imports == {
        "bucket": "2026-11-16",
        "kind": "import",
        "released": 2,
        "median_h": 3.5,
        "p90_h": 4.7,
        "mean_h": 3.5,
        "decided_median_h": 1.5,  # customs' first answer: the order after 1 h, the release after 2 h
    }


async def test_the_stages_add_up_to_the_clearance_time_and_show_the_inspection(world: World) -> None:
    await two_released_imports(world)

    [week] = (await figure(world, "stages", **WEEK))["rows"]

    assert (week["review_h"], week["trader_h"], week["inspection_h"], week["total_h"]) == (1.5, 0.0, 2.0, 3.5)
    assert (week["inspected"], week["inspection_when_inspected_h"]) == (1, 4.0)


async def test_the_summary_counts_what_was_lodged_released_and_inspected(world: World) -> None:
    await two_released_imports(world)
    await lodge(world, office="3302")

    [kpi] = (await figure(world, "summary", **WEEK))["rows"]

    assert (kpi["declarations"], kpi["released"], kpi["release_rate"]) == (3, 2, 0.6667)
    assert (kpi["inspected"], kpi["inspection_rate"], kpi["median_h"], kpi["p90_h"]) == (1, 0.3333, 3.5, 4.7)


async def test_a_port_filter_keeps_only_that_ports_declarations(world: World) -> None:
    for office in ("3301", "3301", "3302"):
        await lodge(world, office=office)
    await lodge(world, office="3302", kind="export")

    every = await figure(world, "ports", **WEEK)
    anqing = await figure(world, "ports", port="3302", **WEEK)
    volumes = await figure(world, "volumes", port="3302", **WEEK)

    assert [(r["port"], r["total"]) for r in every["rows"]] == [("3301", 2), ("3302", 2)]
    assert [(r["port"], r["name"], r["import"], r["export"]) for r in anqing["rows"]] == [
        ("3302", "Anqing", 1, 1)
    ]
    assert volumes["filters"]["port"] == "3302" and volumes["rows"][0]["total"] == 2


async def test_a_dossier_waiting_longer_than_its_agency_is_expected_to_is_late(world: World) -> None:
    old = await lodge(world)
    move(world, hours=2)
    await lodge(world)  # waits 3 h by the end: within customs' 4 h
    move(world, hours=3)

    late = (await figure(world, "late", **WEEK))["rows"]

    assert [
        (r["number"], r["agency"], r["situation"], r["waited_h"], r["expected_h"], r["overdue_h"])
        for r in late
    ] == [(old, "customs", "review", 5.0, 4.0, 1.0)]
    assert (await figure(world, "summary", **WEEK))["rows"][0]["late"] == 1


async def test_the_agencies_outcomes_and_the_channels_chosen_cover_every_dossier(world: World) -> None:
    await two_released_imports(world)
    await lodge(world)

    [customs] = (await figure(world, "agencies", **WEEK))["rows"]
    [assessed] = (await figure(world, "channels", **WEEK))["rows"]

    assert (customs["agency"], customs["dossiers"], customs["released"], customs["open"]) == (
        "customs",
        3,
        2,
        1,
    )
    assert assessed["agency"] == "customs" and assessed["assessed"] == 3
    assert sum(assessed[c] for c in ("release", "audit", "document_check", "scan", "manual")) == 3


async def test_the_credit_figure_sets_each_grade_against_the_policy_in_force(world: World) -> None:
    await lodge(world)

    found = await figure(world, "credit-grades", **WEEK)

    rows = {(r["grade"], r["agency"]): r for r in found["rows"]}
    assert rows[("routine", "customs")]["assessed"] == 1  # an enterprise not on the register
    assert rows[("routine", "customs")]["policy_rate"] == found["meta"]["routine_rate"] == 0.0244
    assert rows[("dishonest", "customs")]["policy_rate"] == 0.8


async def test_day_by_day_the_series_has_a_bucket_per_day(world: World) -> None:
    await lodge(world)
    move(world, days=2)
    await lodge(world)

    found = await figure(world, "volumes", granularity="day", **WEEK)

    assert [(r["bucket"], r["total"]) for r in found["rows"]] == [
        ("2026-11-16", 1), ("2026-11-17", 0), ("2026-11-18", 1), ("2026-11-19", 0), ("2026-11-20", 0),
        ("2026-11-21", 0), ("2026-11-22", 0),
    ]  # fmt: skip


async def test_every_figure_is_the_same_rows_as_csv(world: World) -> None:
    await two_released_imports(world)
    r = await world.call("GET", "/v1/statistics", PORT_OFFICE)
    assert r.status_code == 200, r.text
    names = [f["id"] for f in r.json()["figures"]]
    assert set(names) >= {"summary", "clearance-time", "stages", "volumes", "ports", "late", "facilities"}
    assert r.json()["ports"] == ["3301"]

    for name in names:
        as_json = await figure(world, name, **WEEK)
        r = await world.call("GET", f"/v1/statistics/{name}", PORT_OFFICE, params={**WEEK, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert f'filename="onewindow-{name}-2026-11-16-2026-11-22.csv"' in r.headers["content-disposition"]
        header, *lines = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff"))))
        assert header == as_json["columns"], name
        expected = [["" if row[c] is None else str(row[c]) for c in header] for row in as_json["rows"]]
        assert lines == expected, name


async def test_only_the_port_office_reads_the_statistics(world: World) -> None:
    for token in (BROKER, CUSTOMS, ADMIN):
        r = await world.call("GET", "/v1/statistics/summary", token)
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_permitted"
    assert (await world.http.get("/v1/statistics/summary")).status_code == 401
    assert (await world.call("GET", "/v1/statistics", BROKER)).status_code == 403


async def test_bad_filters_are_refused_naming_each_one(world: World) -> None:
    r = await world.call(
        "GET",
        "/v1/statistics/volumes",
        PORT_OFFICE,
        params={"port": "Wuhu", "from": "2026-11-31", "to": "2026-11-20", "granularity": "month"},
    )
    assert r.status_code == 422
    assert {f["path"] for f in r.json()["error"]["fields"]} == {"port", "from", "granularity"}
    backwards = await world.call(
        "GET", "/v1/statistics/volumes", PORT_OFFICE, params={"from": "2026-11-20", "to": "2026-11-01"}
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["fields"][0]["code"] == "before_from"
    assert (await world.call("GET", "/v1/statistics/no-such-figure", PORT_OFFICE)).status_code == 404
    wrong_format = await world.call("GET", "/v1/statistics/volumes", PORT_OFFICE, params={"format": "xlsx"})
    assert wrong_format.status_code == 422


# -- the portal's pages over the same figures --------------------------------------------------


async def portal(world: World, path: str, token: str = PORT_OFFICE, **params: str) -> httpx.Response:
    """A portal page for the user whose session is ``token`` (a session is a token)."""
    return await world.http.get(path, params=params, headers={"Cookie": f"ow_session={token}"})


async def test_the_dashboards_export_is_the_apis_csv(world: World) -> None:
    await two_released_imports(world)
    for name in ("clearance-time", "stages", "late"):
        page = await portal(world, f"/office/export/{name}.csv", **WEEK)
        api = await world.call("GET", f"/v1/statistics/{name}", PORT_OFFICE, params={**WEEK, "format": "csv"})
        assert page.status_code == 200 and page.text == api.text
        assert page.headers["content-disposition"] == api.headers["content-disposition"]


async def test_the_dashboard_shows_the_figures_for_the_filters(world: World) -> None:
    await two_released_imports(world)

    r = await portal(world, "/office", **WEEK)

    assert r.status_code == 200
    assert 'data-kpi="declarations">2<' in r.text and 'data-kpi="median">3.5 小时<' in r.text
    assert r.text.count('<svg role="img"') == 8 and "<script>" not in r.text.split("</header>", 1)[1]
    assert "/office/export/volumes.csv?from=2026-11-16&amp;to=2026-11-22&amp;granularity=week" in r.text


async def test_bad_filters_are_shown_at_their_fields(world: World) -> None:
    r = await portal(world, "/office", **{"from": "2026-13-01", "port": "Wuhu"})

    assert r.status_code == 422
    field = 'id="f-from" name="from" type="date" value="2026-13-01"'
    assert field + ' aria-invalid="true" aria-describedby="f-from-error"' in r.text
    assert 'id="f-port-error">口岸须为四位关区代码' in r.text
    assert "<svg" not in r.text


async def test_only_the_port_office_sees_the_dashboard(world: World) -> None:
    for token in (BROKER, CUSTOMS, ADMIN):
        for path in ("/office", "/office/export/volumes.csv", "/office/declarations/330120260000000001"):
            r = await portal(world, path, token)
            assert r.status_code == 403 and "not_permitted" in r.text, (token, path)
    anonymous = await world.http.get("/office")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/signin?next=/office"


async def test_the_port_office_reads_any_declaration_and_its_timeline(world: World) -> None:
    _quick, slow = await two_released_imports(world)

    r = await portal(world, f"/office/declarations/{slow}")

    assert r.status_code == 200 and slow in r.text
    assert "已布控查验" in r.text and "已放行" in r.text  # the inspection ordered, then the release
    assert (await portal(world, "/office/declarations/330120269999999999")).status_code == 404
