"""A customs broker in Chromium: fills a goods declaration and sees its errors while typing,
submits it and watches every agency's status change without reloading, answers a document
request by amending, books another inspection slot, uploads a file of declarations and watches
the progress bar reach the report, and downloads the receipt. Agencies decide through the API
with their officers' tokens, against the same live server."""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import orjson
import pytest
from playwright.sync_api import Page, expect
from stdnum.cn import uscc

from onewindow.demo import samples
from onewindow.demo.loader import INVOICE_PDF
from onewindow.demo.samples import COMMODITIES
from tests.browser.conftest import screenshot, sign_in
from tests.unit.test_receipt import text_of

BROKER, QUARANTINE, PORT_OFFICE = "ow_demo_broker", "ow_demo_quarantine", "ow_demo_port_office"
BEEF = [c for c in COMMODITIES if c.hs.startswith("0201")]
LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]
RNG = random.Random(20260105)


def _uscc(division: str) -> str:
    body = "91" + division + "".join(RNG.choice(samples.USCC_ALPHABET) for _ in range(9))
    return body + str(uscc.calc_check_digit(body))


@pytest.fixture
def api(portal: str) -> Iterator[Callable[..., httpx.Response]]:
    with httpx.Client(base_url=portal, timeout=30) as client:

        def call(method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
            return client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

        yield call


def declared(api: Callable[..., httpx.Response], **kwargs: Any) -> str:
    """A declaration the broker submitted through the API (the browser tests' starting point)."""
    me = api("GET", "/v1/me", BROKER).json()
    body = samples.goods_declaration(
        RNG, consignee_uscc=_uscc("340100"), declarant_uscc=me["uscc"], today=date.today(), **kwargs
    )
    r = api("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("waited in vain")


def form_screenshot(tab: Page, name: str) -> None:
    """The whole form, scrolled to its end so that its sticky submit bar rests below the form."""
    tab.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    screenshot(tab, name)


def label(tab: Page, text: str) -> Any:
    return tab.get_by_label(text, exact=True)


def test_a_broker_fills_the_form_sees_errors_while_typing_and_follows_every_agency_live(
    page: Page, api: Callable[..., httpx.Response]
) -> None:
    sign_in(page, "gangtong-broker")
    page.get_by_role("link", name="新建申报").first.click()
    expect(page.get_by_role("heading", name="新建货物报关单")).to_be_visible()
    expect(label(page, "申报单位统一社会信用代码")).not_to_have_value("")  # the broker's own, prefilled

    label(page, "申报地海关").fill("3301")
    label(page, "进/出境关别").fill("3301")
    label(page, "境内收发货人").fill("安徽江淮进出口有限公司")
    label(page, "收发货人统一社会信用代码").fill(_uscc("340100"))
    label(page, "境外收发货人").fill("Pacific Meat Exporters")
    label(page, "其国别").fill("au")  # made upper case as it is typed
    label(page, "提运单号").fill("COSU620260105")
    label(page, "贸易国").fill("AU")
    label(page, "启运国/运抵国").fill("AU")
    label(page, "启运港/指运港").fill("AUMEL")
    label(page, "入境/离境口岸").fill("CNWHI")
    label(page, "件数").fill("20")
    label(page, "毛重（千克）").fill("1200")
    label(page, "净重（千克）").fill("1000")
    label(page, "集装箱号").fill("CSQU3054384")  # the check digit is 3
    label(page, "商品编号").fill("0201999999")  # 020199 is no HS 2022 subheading
    label(page, "商品名称").fill("冷鲜去骨牛肉 chilled boneless beef")
    label(page, "原产国").fill("AU")
    label(page, "数量").fill("1000")
    label(page, "单价").fill("8.50")
    label(page, "商品项总价").fill("8600.00")  # 1000 × 8.50 = 8500.00
    label(page, "总价").fill("8600.00")

    expect(page.locator("#err-containers-0-number")).to_contain_text("不是有效的 ISO 6346 集装箱号")
    expect(page.locator("#err-items-0-hs_code")).to_contain_text("2022 版协调制度子目")
    expect(page.locator("#err-items-0-total")).to_contain_text("与数量×单价 = 8500.00 不符")
    expect(label(page, "集装箱号")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#calc-items-0")).to_contain_text("8,500.00")
    expect(label(page, "其国别")).to_have_value("AU")
    form_screenshot(page, "declarant-form-errors-zh")

    label(page, "集装箱号").fill("CSQU3054383")
    label(page, "商品编号").fill("0201300090")
    label(page, "商品项总价").fill("8500.00")
    label(page, "总价").fill("8500.00")
    expect(page.locator("#check-summary")).to_contain_text("全部校验通过")
    expect(label(page, "集装箱号")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="提交申报").click()

    page.wait_for_url(re.compile(r"/my/declarations/\d{18}$"))
    number = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name=f"报关单 {number}")).to_be_visible()
    quarantine = page.locator("#dossiers tr[data-agency=quarantine]")
    expect(quarantine).to_contain_text("采样送检")  # imported meat is sampled
    expect(page.locator("#dossiers tr[data-agency=customs]")).to_contain_text("要求补充单证")  # no invoice
    page.evaluate("window.stillTheSamePage = true")

    r = api(
        "POST",
        f"/v1/agencies/quarantine/dossiers/{number}/decisions",
        QUARANTINE,
        json={"decision": "release", "reason": "Laboratory results fine. / 检测合格。"},
    )
    assert r.status_code == 200, r.text

    expect(quarantine).to_contain_text("已放行", timeout=10_000)
    expect(page.locator("#timeline")).to_contain_text("检测合格")
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, not reloaded
    screenshot(page, "declarant-declaration-zh")


def test_a_document_request_is_answered_by_amending_with_the_invoice(
    page: Page, api: Callable[..., httpx.Response], tmp_path: Any
) -> None:
    number = declared(api, commodities=LAPTOPS, items=2)  # general trade, no invoice attached
    invoice = tmp_path / "invoice-2026-0105.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% commercial invoice\n%%EOF\n")
    sign_in(page, "gangtong-broker")
    page.goto(f"/my/declarations/{number}")
    expect(page.locator("#dossiers tr[data-agency=customs]")).to_contain_text("要求补充单证")

    page.get_by_role("link", name="答复要求").first.click()
    expect(page.get_by_role("heading", name=f"修改报关单 {number}")).to_be_visible()
    label(page, "单证类型").select_option("invoice")
    label(page, "文件").set_input_files(str(invoice))
    page.get_by_role("button", name="上传并勾选").click()
    expect(page.get_by_role("checkbox", name=re.compile("invoice-2026-0105.pdf"))).to_be_checked()
    label(page, "修改理由").fill("已随附所要求的商业发票。 The invoice asked for is attached.")
    form_screenshot(page, "declarant-amend-zh")
    page.get_by_role("button", name="提交修改").click()

    page.wait_for_url(re.compile(rf"/my/declarations/{number}\?done=amended$"))
    expect(page.get_by_role("status").first).to_contain_text("修改已保存")
    expect(page.locator("#dossiers tr[data-agency=customs]")).not_to_contain_text("要求补充单证")
    expect(page.get_by_role("link", name=re.compile("invoice-2026-0105.pdf"))).to_be_visible()


def _inspection_site(api: Callable[..., httpx.Response]) -> None:
    """An inspection site at Wuhu shared by customs and quarantine (the demo may have one)."""
    found = api("GET", "/v1/facilities?port=CNWHI&kind=inspection_site", PORT_OFFICE).json()["facilities"]
    if any({"customs", "quarantine"} <= {f["owner"], *f["shared_with"]} for f in found):
        return
    site = {
        "id": "WHI-SITE-DECLARANT",
        "kind": "inspection_site",
        "name": "Wuhu joint inspection site",
        "name_zh": "芜湖联合查验场地",
        "port": "CNWHI",
        "owner": "customs",
        "shared_with": ["quarantine"],
        "capacity": 4,
        "hours": {"always": True},
    }
    r = api("POST", "/v1/facilities", PORT_OFFICE, json=site)
    assert r.status_code in (201, 409), r.text


def test_the_broker_books_another_free_slot_for_the_joint_inspection(
    page: Page, api: Callable[..., httpx.Response]
) -> None:
    _inspection_site(api)
    number = declared(api, commodities=BEEF, office="3301", items=1)  # quarantine samples the meat

    def booked() -> Any:
        tasks = api("GET", f"/v1/inspections?number={number}", BROKER).json()["inspections"]
        return tasks and tasks[0]["scheduled_at"]

    before = wait_for(booked)
    sign_in(page, "gangtong-broker")
    page.goto(f"/my/declarations/{number}")
    slots = page.get_by_role("radio")
    expect(slots.first).to_be_visible()
    chosen = page.locator(".slots label").nth(2).inner_text()
    slots.nth(2).check()
    page.get_by_role("button", name="预约此时段").click()

    page.wait_for_url(re.compile(r"\?done=booked$"))
    expect(page.get_by_role("status").first).to_contain_text("查验预约已改期")
    expect(page.locator("[id^=appointment-]")).to_have_text(chosen)
    assert booked() != before
    expect(page.locator("#timeline")).to_contain_text("查验预约", timeout=10_000)
    screenshot(page, "declarant-inspection-booked-zh")


def test_an_upload_shows_its_progress_then_the_report(
    page: Page, api: Callable[..., httpx.Response], tmp_path: Any
) -> None:
    me = api("GET", "/v1/me", BROKER).json()
    invoice = [{"type": "invoice", "sha256": hashlib.sha256(INVOICE_PDF).hexdigest()}]  # the demo's
    lines = [
        orjson.dumps(
            samples.goods_declaration(
                RNG,
                consignee_uscc=_uscc("340100"),
                declarant_uscc=me["uscc"],
                items=2,
                today=date.today(),
                documents=invoice,
            )
        )
        for _ in range(60)
    ]
    wrong_total = orjson.loads(lines[9])
    wrong_total["total_value"] = "1.00"
    lines[9] = orjson.dumps(wrong_total)
    lines[40] = b'{"kind": "import", "declaration_office": "3301"'  # cut off
    file = tmp_path / "declarations.jsonl"
    file.write_bytes(b"\n".join(lines) + b"\n")
    not_json_lines = tmp_path / "declarations.json"
    not_json_lines.write_bytes(b"[" + b",".join(lines[:3]) + b"]")
    sign_in(page, "gangtong-broker")
    page.get_by_role("link", name="上传文件").first.click()

    label(page, "JSON Lines 文件").set_input_files(str(not_json_lines))
    page.get_by_role("button", name="上传并申报").click()
    expect(page.locator("#upload-file-error")).to_contain_text("这不是 JSON Lines 文件")
    label(page, "JSON Lines 文件").set_input_files(str(file))
    page.get_by_role("button", name="上传并申报").click()

    page.wait_for_url(re.compile(r"/my/uploads/[\w-]+$"))
    bar = page.get_by_label("进度")
    expect(bar).to_be_visible()
    size = bar.get_attribute("max")
    expect(page.locator("#job-report")).to_be_visible(timeout=30_000)
    expect(bar).to_have_attribute("value", size or "")
    expect(page.locator("#job-report .value")).to_have_text(["58", "0", "2"])  # stored, before, refused
    problems = page.locator("#job-problems")
    expect(problems.get_by_role("row", name=re.compile(r"^10 "))).to_contain_text("各商品项总价之和")
    expect(problems.get_by_role("row", name=re.compile(r"^41 "))).to_contain_text("整行")
    screenshot(page, "declarant-upload-report-zh")


def test_the_receipt_downloads_as_a_pdf_naming_the_declaration(
    page: Page, api: Callable[..., httpx.Response]
) -> None:
    number = declared(api, commodities=LAPTOPS, items=1)
    sign_in(page, "gangtong-broker")
    page.goto(f"/my/declarations/{number}")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载回执（PDF）").click()

    assert download.value.suggested_filename == f"receipt-{number}.pdf"
    path = download.value.path()
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-") and number in text_of(pdf)


def test_the_declarants_pages_in_english_and_at_phone_width(
    page: Page, phone_page: Page, api: Callable[..., httpx.Response]
) -> None:
    number = declared(api, commodities=BEEF, items=1)
    sign_in(page, "gangtong-broker")
    page.goto("/my/declarations")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    screenshot(page, "declarant-list-zh")
    page.get_by_role("link", name="English").click()
    page.goto(f"/my/declarations/{number}")
    expect(page.get_by_role("heading", name=f"Declaration {number}")).to_be_visible()
    expect(page.locator("#dossiers tr[data-agency=quarantine]")).to_contain_text("Sampling")
    screenshot(page, "declarant-declaration-en")

    sign_in(phone_page, "gangtong-broker")
    phone_page.goto(f"/my/declarations/{number}")
    expect(phone_page.get_by_role("heading", name=f"报关单 {number}")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at a phone's 390px"
    screenshot(phone_page, "declarant-declaration-phone-zh")
