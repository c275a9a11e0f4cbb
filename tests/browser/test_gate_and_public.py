"""The gate operator on a phone watches holds arrive live and confirms a truck that passed; a declarant
is refused the gates; a visitor who is not signed in reads what is published, in Chinese and English.

Passages are made through the gates' API against the live server (as a gate reader would), so the
test does not depend on the demo's own passages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from onewindow.demo.samples import FACILITIES
from tests.browser.conftest import screenshot, sign_in

GATE = "WHI-GATE-1"
GATE_TOKEN, PORT_OFFICE = "ow_demo_gate", "ow_demo_port_office"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@pytest.fixture
def api(portal: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal, timeout=15) as client:
        yield client


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _plate() -> str:
    return "皖B" + "".join(secrets.choice(PLATE_CHARS) for _ in range(5))


def _registered(api: httpx.Client, *bodies: dict[str, Any]) -> None:
    """In the register (the demo may have registered them already)."""
    for body in bodies:
        r = api.post("/v1/facilities", json=body, headers=_as(PORT_OFFICE))
        assert r.status_code in (201, 409), r.text


def _gate_ready(api: httpx.Client) -> None:
    gate = {
        "id": GATE,
        "kind": "gate",
        "name": "Wuhu terminal gate 1",
        "name_zh": "芜湖码头 1 号卡口",
        "port": "CNWHI",
        "owner": "wuhu-terminal",
        "shared_with": ["customs"],
        "capacity": 1,
        "hours": {"always": True},
    }
    _registered(api, gate)


def _goods_inside(api: httpx.Client) -> tuple[list[str], list[str]]:
    """The containers and seals of a released import whose goods have not left yet."""
    r = api.get("/v1/declarations?status=released&kind=import&limit=200", headers=_as(PORT_OFFICE))
    for item in r.json()["items"]:
        moved = api.get(f"/v1/gates/passages?number={item['number']}", headers=_as(PORT_OFFICE))
        if moved.json()["items"]:
            continue
        data = api.get(f"/v1/declarations/{item['number']}", headers=_as(PORT_OFFICE)).json()["data"]
        boxes = data["containers"][:4]
        return [b["number"] for b in boxes], [s for b in boxes for s in b["seals"]]
    raise AssertionError("the demo has no released import whose goods are still inside")


def _truck(api: httpx.Client, plate: str, containers: list[str], seals: list[str]) -> dict[str, Any]:
    body = {"direction": "exit", "plate": plate, "containers": containers, "seals": seals}
    r = api.post(f"/v1/gates/{GATE}/passages", json=body, headers=_as(GATE_TOKEN))
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def _fits_the_screen(tab: Page) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_gate_operator_sees_a_hold_arrive_live_on_a_phone_and_confirms_a_truck_that_passed(
    phone_page: Page, api: httpx.Client
) -> None:
    tab = phone_page
    _gate_ready(api)
    containers, seals = _goods_inside(api)
    sign_in(tab, "gate-operator")
    assert tab.url.endswith("/gates")
    expect(tab.get_by_role("heading", name="过卡记录", exact=True)).to_be_visible()
    tab.evaluate("window.notReloaded = true")
    counts = tab.locator("#live-status").inner_text()

    held_plate = _plate()
    held = _truck(api, held_plate, containers, ["SL0000000", *seals[1:]])
    assert held["decision"] == "hold"
    card = tab.get_by_role("article").filter(has_text=held_plate)
    expect(card).to_be_visible(timeout=10_000)  # polled in, no reload
    assert tab.evaluate("window.notReloaded === true")
    expect(tab.locator("#live-status")).not_to_have_text(counts)  # the counts follow
    expect(card).to_contain_text("不放行")
    expect(card).to_contain_text("封志不符")
    expect(card).to_contain_text(held["reasons"][0]["message_zh"])
    expect(tab.locator(f"#p-{held['passage_id']}")).to_have_class(re.compile(r"\bhold\b"))
    assert card.get_by_role("button").count() == 0  # a held truck cannot be confirmed
    assert _fits_the_screen(tab)
    screenshot(tab, "gates-phone-hold-zh", full_page=False)

    open_plate = _plate()
    opened = _truck(api, open_plate, containers, seals)
    assert opened["decision"] == "open"
    card = tab.get_by_role("article").filter(has_text=open_plate)
    expect(card).to_be_visible(timeout=10_000)
    card.get_by_role("button", name="确认已通过").click()
    expect(card).to_contain_text("已通过")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(tab.get_by_role("status").filter(has_text="已确认")).to_be_visible()
    r = api.get(f"/v1/gates/{GATE}/passages/{opened['passage_id']}", headers=_as(PORT_OFFICE))
    assert r.json()["confirmed_by"] == "user:gate-operator"
    assert _fits_the_screen(tab)
    screenshot(tab, "gates-phone-zh")

    tab.get_by_role("link", name="English").click()
    tab.wait_for_url(re.compile(r"/gates$"))
    card = tab.get_by_role("article").filter(has_text=held_plate)
    expect(card).to_contain_text("Seal mismatch")
    expect(card).to_contain_text(held["reasons"][0]["message"])
    screenshot(tab, "gates-phone-en")


def test_the_gate_operator_filters_the_holds_of_one_gate(page: Page, api: httpx.Client) -> None:
    _gate_ready(api)
    sign_in(page, "gate-operator")
    page.get_by_label("卡口", exact=True).select_option(GATE)
    page.get_by_label("卡口决定").select_option("hold")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url(re.compile(r"decision=hold"))
    verdicts = page.locator(".passage .verdict").all_inner_texts()
    assert verdicts and all("不放行" in v for v in verdicts)
    assert all(GATE in w for w in page.locator(".passage .where").all_inner_texts())
    screenshot(page, "gates-desktop-holds-zh")


def test_a_declarant_is_not_permitted_to_watch_the_gates(page: Page) -> None:
    sign_in(page, "gangtong-broker")
    response = page.goto("/gates")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("此操作需要以下角色之一")
    assert page.locator(".passage").count() == 0
    screenshot(page, "gates-declarant-refused")


def test_a_visitor_reads_what_is_published_without_signing_in_in_chinese_and_english(
    page: Page, api: httpx.Client
) -> None:
    _registered(api, *(f for f in FACILITIES if f["kind"] != "scanner"))
    page.goto("/public")
    expect(page.get_by_role("heading", name="公开信息", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="登录")).to_be_visible()  # nobody is signed in
    screenshot(page, "public-index-zh")

    page.get_by_role("main").get_by_role("link", name="开放时间").click()
    page.wait_for_url(re.compile(r"/public/hours$"))
    expect(page.get_by_role("heading", name="口岸及查验场地开放时间")).to_be_visible()
    expect(page.get_by_role("heading", name="芜湖港口岸", exact=True)).to_be_visible()
    expect(page.get_by_text("每天 24 小时开放").first).to_be_visible()
    screenshot(page, "public-hours-zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/public/hours$"))
    expect(
        page.get_by_role("heading", name="Opening hours of the ports and inspection sites")
    ).to_be_visible()
    expect(page.get_by_text("Open 24 hours, every day").first).to_be_visible()
    screenshot(page, "public-hours-en")

    page.get_by_role("link", name="中文").click()
    page.goto("/public/dishonest")
    page.get_by_label("企业名称或统一社会信用代码").fill("恒通")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r"q="))
    rows = page.get_by_role("row").filter(has_text="合肥恒通贸易有限公司")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("与“恒通”相符：1 家")
    screenshot(page, "public-dishonest-search-zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/public/dishonest$"))
    expect(page.get_by_role("heading", name="Dishonest enterprises", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Listed since")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Hengtong")).to_have_count(1)
    screenshot(page, "public-dishonest-en")


def test_the_opening_hours_fit_a_phone(phone_page: Page) -> None:
    phone_page.goto("/public/hours")
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert _fits_the_screen(phone_page)
    screenshot(phone_page, "public-hours-phone-zh", full_page=False)
