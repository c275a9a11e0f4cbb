"""The agency officer in Chromium: the queue riskiest first, a joint inspection's dossier with its
risk explanation, credit grade, the other agency's result and the one scan image both agencies
annotate, a decision refused without a reason and taken with one; and an officer of another
agency who finds nothing of a dossier not routed to it.

The state comes from the API of the live server (a consignee every agency's risk engine sends to
a scan, so customs and quarantine share one inspection), whatever else the demo holds."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from onewindow.demo import samples
from onewindow.demo.inspections import png, xray
from onewindow.demo.samples import COMMODITIES
from tests.browser.conftest import screenshot, sign_in

BROKER, CUSTOMS, QUARANTINE = "ow_demo_broker", "ow_demo_customs", "ow_demo_quarantine"
BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]  # customs and quarantine
LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]  # customs only
PDF = b"%PDF-1.4\n% browser test invoice\n%%EOF\n"


@dataclass(frozen=True)
class Joint:
    number: str  # customs and quarantine inspect it together
    task_id: str
    scan_id: str
    note: str  # quarantine's annotation on the scan
    consignee: str
    customs_only: str  # laptops: no dossier of quarantine


class Api:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def __call__(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        r = self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def declare(self, rng: random.Random, consignee: str, commodities: list[Any]) -> str:
        me = self("GET", "/v1/me", BROKER)
        sha = self(
            "POST",
            "/v1/documents",
            BROKER,
            files={"file": ("i.pdf", PDF, "application/pdf")},
            data={"type": "invoice"},
        )
        body = samples.goods_declaration(
            rng,
            consignee_uscc=consignee,
            consignee_name="浏览器测试贸易有限公司 Browser Test Trading",
            declarant_uscc=me["uscc"],
            commodities=commodities,
            items=2,
            documents=[{"type": "invoice", "sha256": sha["sha256"]}],
        )
        number: str = self("POST", "/v1/declarations", BROKER, json=body)["number"]
        return number

    def joint_task(self, number: str) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            tasks = self("GET", f"/v1/inspections?number={number}", CUSTOMS)["inspections"]
            if tasks and tasks[0]["agencies"] == ["customs", "quarantine"]:
                found: dict[str, Any] = tasks[0]
                return found
            time.sleep(0.1)
        raise AssertionError(f"no joint inspection of {number}")


@pytest.fixture(scope="module")
def joint(portal: str) -> Iterator[Joint]:
    rng = random.Random()
    consignee = samples.uscc_code(rng, "340100")
    note = f"检验检疫标注 {rng.randrange(10**6)}: 托盘需查验虫害"
    with httpx.Client(base_url=portal, timeout=30) as http:
        api = Api(http)
        alert = api(
            "POST",
            "/v1/risk/alerts",
            QUARANTINE,
            json={
                "subject_kind": "enterprise",
                "subject": consignee,
                "channel": "scan",
                "reason": "浏览器测试 test",
            },
        )
        try:
            number = api.declare(rng, consignee, BANANAS)
        finally:
            api("DELETE", f"/v1/risk/alerts/{alert['id']}", QUARANTINE)
        customs_only = api.declare(rng, samples.uscc_code(rng, "340100"), LAPTOPS)
        task = api.joint_task(number)
        if task["status"] != "in_progress":
            api("POST", f"/v1/inspections/{task['id']}/open", CUSTOMS)
        image, _hidden, pallets = xray(rng)
        scan = api(
            "POST",
            f"/v1/inspections/{task['id']}/scans",
            CUSTOMS,
            files={"file": ("scan.png", png(image), "image/png")},
            data={"scanner_id": "WHI-H986-01", "container": task["containers"][0]},
        )
        api(
            "POST",
            f"/v1/inspections/{task['id']}/scans/{scan['id']}/annotations",
            QUARANTINE,
            json={"note": note, "region": pallets.as_dict()},
        )
        findings = {"kind": "sampling", "checked": "托盘与货物采样", "findings": "未见活虫", "fraud": False}
        api("POST", f"/v1/inspections/{task['id']}/findings", QUARANTINE, json=findings)
        yield Joint(number, task["id"], scan["id"], note, consignee, customs_only)


def scores(page: Page) -> list[float | None]:
    texts = page.locator("table.queue tbody td.score").all_inner_texts()
    return [None if t.strip() == "—" else float(t) for t in texts]


def riskiest_first(found: list[float | None]) -> bool:
    numbers = [s for s in found if s is not None]
    unscored_last = all(s is None for s in found[len(numbers) :])
    return unscored_last and numbers == sorted(numbers, reverse=True)


def test_a_customs_officer_works_the_queue_riskiest_first(page: Page, joint: Joint) -> None:
    sign_in(page, "customs-officer")

    assert page.url.endswith("/officer/queue")
    expect(page.get_by_role("heading", name=re.compile("待办队列"))).to_contain_text("海关")
    first = scores(page)
    assert len(first) > 5 and riskiest_first(first), first
    screenshot(page, "officer-queue-zh")

    page.goto("/officer/queue?state=all")  # every dossier of customs: several pages
    everything = scores(page)
    assert len(everything) == 25 and riskiest_first(everything)
    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text("第 2 页")).to_be_visible()
    second = scores(page)
    assert second and riskiest_first(second)
    assert everything[-1] is None or second[0] is None or second[0] <= everything[-1]

    page.get_by_label("通道").select_option("scan")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url(re.compile(r"channel=scan"))
    channels = page.locator("table.queue tbody tr td:nth-child(5)").all_inner_texts()
    assert channels and all(c == "机检" for c in channels)
    expect(page.locator(f"tr[data-number='{joint.number}']")).to_be_visible()


def test_a_customs_officer_annotates_the_joint_scan_and_decides_with_a_reason(
    page: Page, joint: Joint, portal: str
) -> None:
    sign_in(page, "customs-officer")
    page.goto(f"/officer/dossiers/{joint.number}")

    risk = page.locator("#risk")
    expect(risk.get_by_role("heading", name="风险研判")).to_be_visible()
    expect(risk.locator(".hits")).to_contain_text(joint.consignee)  # the alert that hit
    expect(risk).to_contain_text("机检")
    expect(risk.locator(".drivers li").first).to_contain_text(re.compile(r"[+-]\d\.\d{3}"))  # why the score
    expect(page.locator(".dossier-head")).to_contain_text("常规企业")  # the credit grade assessed
    credit = page.locator("#credit")
    expect(credit).to_contain_text("未在信用登记中")  # the new consignee
    expect(credit.get_by_text(re.compile(r"等级变更记录（\d+ 次）"))).to_be_visible()  # the broker's history
    others = page.locator("#others")
    expect(others.locator("tr[data-agency='quarantine']").first).to_contain_text("检验检疫")
    expect(others.locator("table.results")).to_contain_text("未见活虫")  # quarantine's finding

    image = page.get_by_role("img", name=re.compile("X 光机检图像"))
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 960
    notes = page.locator("ol.annotations")
    expect(notes.locator("li.agency-quarantine")).to_contain_text(joint.note)
    expect(page.locator(".scan-stage .mark.agency-quarantine")).to_be_visible()

    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5, steps=4)
    page.mouse.up()
    assert int(page.get_by_label("左边距 (x)").input_value()) > 0  # the region placed by dragging
    page.get_by_label("本机构的标注").fill("海关：箱内中部高密度阴影，开箱核实")
    page.get_by_role("button", name="添加标注").click()
    expect(page.get_by_role("status").filter(has_text="标注已添加到图像上")).to_be_visible()
    expect(notes.locator("li.agency-customs")).to_contain_text("高密度阴影")
    expect(page.locator(".scan-stage .mark.agency-customs")).to_be_visible()
    screenshot(page, "officer-dossier-zh")

    # 一机两屏: what quarantine marks at its own screen appears here without reloading
    with httpx.Client(base_url=portal, timeout=10) as http:
        Api(http)(
            "POST",
            f"/v1/inspections/{joint.task_id}/scans/{joint.scan_id}/annotations",
            QUARANTINE,
            json={"note": "检验检疫：同意开箱", "region": {"x": 40, "y": 40, "width": 60, "height": 60}},
        )
    expect(notes.locator("li.agency-quarantine")).to_have_count(2, timeout=8_000)
    expect(page.locator(".scan-stage .mark.agency-quarantine")).to_have_count(2)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Risk explanation")).to_be_visible()
    screenshot(page, "officer-dossier-en")
    page.get_by_role("link", name="中文").click()

    decide = page.locator("#decide")
    decide.get_by_label("放行", exact=True).check()
    decide.get_by_role("button", name="记录决定").click()
    expect(page.locator("#decide-reason-error")).to_have_text("此项必填，不能为空。")
    expect(page.get_by_label(re.compile("^理由（必填"))).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#own-state")).to_have_text("已布控查验")
    screenshot(page, "officer-decision-error")

    page.get_by_label(re.compile("^理由（必填")).fill("联合查验未见异常，准予放行。")
    page.locator("#decide").get_by_role("button", name="记录决定").click()
    expect(page.get_by_role("status").filter(has_text="决定已记录")).to_be_visible()
    expect(page.locator("#own-state")).to_have_text("已放行")
    with httpx.Client(base_url=portal, timeout=10) as http:
        view = Api(http)("GET", f"/v1/agencies/customs/dossiers/{joint.number}", CUSTOMS)
    assert next(d["state"] for d in view["dossiers"] if d["agency"] == "customs") == "released"


def test_an_officer_of_another_agency_finds_nothing_of_a_customs_only_dossier(
    page: Page, joint: Joint
) -> None:
    sign_in(page, "ciq-officer")

    answer = page.goto(f"/officer/dossiers/{joint.customs_only}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("未找到")
    screenshot(page, "officer-not-found")

    page.goto("/officer/queue?state=all")
    counted = re.search(r"共 (\d+) 页", page.content())
    pages = int(counted.group(1)) if counted else 1
    for n in range(1, pages + 1):
        html = page.request.get(f"/officer/queue?state=all&page={n}").text()
        assert joint.customs_only not in html
        if n == 1:
            assert "检验检疫" in html and "<tr data-number=" in html


def test_the_queue_fits_a_phone(phone_page: Page, joint: Joint) -> None:
    sign_in(phone_page, "customs-officer")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(phone_page.locator("table.queue")).to_be_visible()
    screenshot(phone_page, "officer-queue-phone")
