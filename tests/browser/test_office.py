"""The port office's dashboard in Chromium, on the demo's eight weeks of traffic: every chart drawn
with data, the filters by port and period changing the charts and the key figures, a chart
exported as the CSV of what it draws, the late list leading to a declaration, English on request,
a phone's width, and a declarant turned away."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from onewindow.statistics.filters import PORT_TIME
from tests.browser.conftest import screenshot, sign_in

CHARTS = (
    "clearance-time",
    "stages",
    "volumes",
    "ports",
    "agencies",
    "channels",
    "credit-grades",
    "facilities",
)


def kpi(page: Page, name: str) -> int:
    return int(re.sub(r"\D", "", page.locator(f"[data-kpi={name}]").inner_text()))


def values(page: Page, chart: str, series: int) -> list[str]:
    """The values one series of a chart draws (pygal writes each into the SVG)."""
    return page.locator(f"#chart-{chart} svg g.serie-{series} desc.value").all_text_contents()


def test_the_port_office_lands_on_the_dashboard_and_sees_every_chart(page: Page) -> None:
    sign_in(page, "port-office")

    assert page.url.endswith("/office")
    expect(page.get_by_role("heading", name="口岸通关监测", exact=True)).to_be_visible()
    for chart in CHARTS:
        figure = page.locator(f"#chart-{chart}")
        expect(figure.locator("svg[role=img]")).to_have_count(1)
        assert figure.locator("svg g.bar, svg g.dots").count() > 0, chart
        assert int(figure.get_attribute("data-points") or 0) > 0, chart
        title = figure.get_by_role("heading").inner_text()
        expect(page.get_by_role("link", name=f"导出 CSV: {title}")).to_be_visible()
    assert kpi(page, "declarations") >= 250
    assert page.locator("#late tbody tr").count() >= 3
    screenshot(page, "office-dashboard-zh")


def test_filtering_by_port_and_period_changes_the_charts_and_the_key_figures(page: Page) -> None:
    sign_in(page, "port-office")
    everywhere = kpi(page, "declarations")
    today = datetime.now(PORT_TIME).date()

    page.get_by_label("口岸", exact=True).select_option("3302")
    page.get_by_label("开始日期").fill((today - timedelta(days=13)).isoformat())
    page.get_by_label("结束日期").fill(today.isoformat())
    page.get_by_label("显示", exact=True).select_option("day")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()

    assert "port=3302" in page.url and "granularity=day" in page.url
    expect(page.locator("#scope")).to_contain_text("安庆海关")
    anqing = kpi(page, "declarations")
    assert 0 < anqing < everywhere
    expect(page.locator("#chart-ports tbody tr")).to_have_count(1)  # the data table, folded away
    assert page.locator("#chart-ports tbody th").text_content() == "安庆海关 (3302)"
    assert len(values(page, "volumes", 0)) == 14  # a bar a day for two weeks
    assert sum(int(v) for s in range(3) for v in values(page, "volumes", s) if v) == anqing
    screenshot(page, "office-dashboard-anqing-by-day")


def test_a_chart_exports_as_the_csv_of_what_it_draws(page: Page, tmp_path: Path) -> None:
    sign_in(page, "port-office")
    page.get_by_label("口岸", exact=True).select_option("3301")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV: 申报票数").click()
    saved = tmp_path / "volumes.csv"
    download.value.save_as(saved)

    assert re.fullmatch(
        r"onewindow-volumes-3301-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv", download.value.suggested_filename
    )
    rows = list(csv.DictReader(saved.read_text("utf-8-sig").splitlines()))
    kinds = [k for k in rows[0] if k not in ("bucket", "total")]
    assert kinds[:2] == ["import", "export"]
    for series, kind in enumerate(kinds):
        assert values(page, "volumes", series) == [r[kind] for r in rows], kind
    assert sum(int(r["total"]) for r in rows) == kpi(page, "declarations")


def test_the_late_list_leads_to_the_declaration(page: Page) -> None:
    sign_in(page, "port-office")
    first = page.locator("#late tbody tr").first.get_by_role("link")
    number = first.inner_text()

    first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_role("heading", name="办理进程")).to_be_visible()
    assert page.locator("table tbody tr").count() >= 1
    screenshot(page, "office-declaration")


def test_the_dashboard_speaks_english_on_request(page: Page) -> None:
    sign_in(page, "port-office")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/office$"))

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Port clearance dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="Overall clearance time")).to_be_visible()
    expect(page.locator("#kpi-declarations")).to_contain_text("Declarations lodged")
    expect(page.locator("#chart-volumes svg .legends")).to_contain_text("Imports")
    expect(page.get_by_role("link", name="Export CSV: Facility use")).to_be_visible()
    screenshot(page, "office-dashboard-en")


def test_the_dashboard_fits_a_phone(phone_page: Page) -> None:
    sign_in(phone_page, "port-office")

    expect(phone_page.get_by_role("heading", name="口岸通关监测")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 391
    screenshot(phone_page, "office-dashboard-phone")


def test_a_declarant_gets_the_not_permitted_page(page: Page) -> None:
    sign_in(page, "gangtong-broker")

    response = page.goto("/office")

    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("port_office")
    assert page.locator("svg.pygal-chart").count() == 0
    assert page.request.get("/office/export/volumes.csv").status == 403
