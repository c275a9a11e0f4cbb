"""The declarant's pages over HTTP, signed in through the portal: they show what the API shows the
declarant and nothing more, check a declaration with the API's own checks, store through the
API's handlers (a double post stores one declaration), and refuse bad input and bad files whole.
(The same stories in a browser: tests/browser/test_declarant.py.)"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from onewindow.declarations.handlers import CHINA
from onewindow.demo.loader import DEMO_PASSWORD
from onewindow.demo.samples import COMMODITIES
from onewindow.portal.pages.declarant_uploads import MAX_BYTES
from tests.fixtures.app import BROKER, CUSTOMS, IMPORTER, PDF, PORT_OFFICE, World
from tests.unit.test_receipt import text_of

BEEF = [c for c in COMMODITIES if c.hs.startswith("0201")]
TOYS = [c for c in COMMODITIES if c.hs.startswith("9503")]
LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]  # customs alone is concerned


async def signed_in(world: World, user_id: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=world.http._transport, base_url="http://onewindow.test")
    r = await client.get("/signin")
    pre = re.search(r'name="pre" value="([^"]+)"', r.text)
    assert pre is not None
    r = await client.post(
        "/signin", data={"pre": pre.group(1), "next": "/", "user_id": user_id, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
async def broker(world: World) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(world, "gangtong-broker")
    yield client
    await client.aclose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def slot(html: str, slot_id: str) -> str:
    """The text of an error slot (``<p id="err-…">``) in a page or a check's answer."""
    found = re.search(rf'<p class="field-error" id="{re.escape(slot_id)}"[^>]*>(.*?)</p>', html, re.S)
    assert found is not None, slot_id
    return found.group(1).strip()


async def submitted(world: World, token: str = BROKER, org: str = "gangtong-broker", **kwargs: Any) -> str:
    r = await world.call("POST", "/v1/declarations", token, json=world.goods(org=org, **kwargs))
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


async def view(world: World, number: str) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/declarations/{number}", BROKER)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def count(world: World) -> int:
    r = await world.call("GET", "/v1/declarations?limit=200", BROKER)
    return len(r.json()["items"])


def form_of(world: World, data: dict[str, Any], csrf: str, key: str = "k-1") -> dict[str, Any]:
    """A declaration as the form posts it: one input per data-set path."""
    fields: dict[str, Any] = {"csrf": csrf, "idempotency_key": key, "_touched": "*"}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list) and path.endswith("seals"):
            fields[path] = " ".join(node)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif node is not None and not path.endswith(".line"):
            fields[path] = str(node)

    walk({k: v for k, v in data.items() if k != "documents"}, "")
    fields["documents"] = [f"{d['type']}:{d['sha256']}" for d in data.get("documents", [])]
    return fields


# -- what the pages show ---------------------------------------------------------------------------


async def test_the_list_shows_the_organisations_declarations_with_every_agencys_state(
    world: World, broker: httpx.AsyncClient
) -> None:
    mine = await submitted(world, commodities=TOYS)  # customs and quarantine
    theirs = await submitted(world, IMPORTER, org="jianghuai-trade")
    await world.settle()

    r = await broker.get("/my/declarations")

    assert r.status_code == 200
    assert f'href="/my/declarations/{mine}"' in r.text
    assert theirs not in r.text
    row = r.text[r.text.index(mine) : r.text.index("</tr>", r.text.index(mine))]
    assert "海关:" in row and "检验检疫:" in row


async def test_the_list_filters_by_kind_status_and_dates_and_pages_on(
    world: World, broker: httpx.AsyncClient
) -> None:
    numbers = [await submitted(world, kind="import", items=1) for _ in range(26)]
    export = await submitted(world, kind="export", items=1)

    r = await broker.get("/my/declarations", params={"kind": "export"})
    assert export in r.text and not any(n in r.text for n in numbers)
    r = await broker.get("/my/declarations", params={"status": "withdrawn"})
    assert "没有符合条件的申报" in r.text
    r = await broker.get("/my/declarations", params={"from": "2000-01-01", "to": "2000-01-02"})
    assert "没有符合条件的申报" in r.text

    first = await broker.get("/my/declarations", params={"kind": "import"})
    cursor = re.search(r'rel="next" href="\?([^"]+)"', first.text)
    assert cursor is not None
    second = await broker.get("/my/declarations?" + cursor.group(1).replace("&amp;", "&"))
    shown = [n for n in numbers if n in first.text], [n for n in numbers if n in second.text]
    assert len(shown[0]) == 25 and len(shown[1]) == 1 and set(shown[0]).isdisjoint(shown[1])


async def test_a_bad_filter_is_shown_at_its_field(world: World, broker: httpx.AsyncClient) -> None:
    r = await broker.get("/my/declarations", params={"from": "31/12/2026"})
    assert r.status_code == 422
    assert 'id="filter-from" name="from" type="date" value="31/12/2026" aria-invalid="true"' in r.text
    r = await broker.get("/my/declarations", params={"cursor": "not-a-cursor"})
    assert r.status_code == 422 and "next_cursor" in r.text


async def test_nobody_sees_a_declarants_pages_the_api_would_not_show_them(
    world: World, broker: httpx.AsyncClient
) -> None:
    theirs = await submitted(world, IMPORTER, org="jianghuai-trade")
    for path in ("", "/live", "/amend", "/receipt.pdf"):
        assert (await broker.get(f"/my/declarations/{theirs}{path}")).status_code == 404
    officer = await signed_in(world, "customs-officer")
    try:
        assert (await officer.get("/my/declarations")).status_code == 403
        assert (await officer.get("/my/declarations/new")).status_code == 403
        assert (await officer.get("/my/uploads")).status_code == 403
    finally:
        await officer.aclose()
    anonymous = await world.http.get("/my/declarations/new")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")


# -- the form ----------------------------------------------------------------------------------


async def test_the_check_shows_each_error_at_its_field_as_the_form_is_typed(
    world: World, broker: httpx.AsyncClient
) -> None:
    page = await broker.get("/my/declarations/new")
    assert page.status_code == 200
    # Prefilled: the broker's own name and credit code, today's date, an office of Anhui.
    assert f'name="declarant.uscc" type="text" value="{world.usccs["gangtong-broker"]}"' in page.text
    assert 'value="芜湖港通报关有限公司"' in page.text
    today = world.ow.clock.now().astimezone(CHINA).date()
    assert f'name="conveyance_date" type="date" value="{today}"' in page.text
    assert 'name="declaration_office" type="text" value="3301"' in page.text
    data = world.goods(items=2)
    data["containers"][0]["number"] = "CSQU3054384"  # wrong check digit
    data["items"][1]["hs_code"] = "0201999999"  # not an HS 2022 subheading
    data["items"][0]["total"] = "1.00"  # not quantity × unit price
    fields = form_of(world, data, csrf_of(page.text))
    fields["_touched"] = "containers[0].number,items[1].hs_code,items[0].total"

    r = await broker.post("/my/declarations/check", data=fields, headers={"HX-Request": "true"})

    assert r.status_code == 200
    assert "不是有效的 ISO 6346 集装箱号" in slot(r.text, "err-containers-0-number")
    assert "协调制度" in slot(r.text, "err-items-1-hs_code")
    assert "与数量×单价" in slot(r.text, "err-items-0-total")
    assert slot(r.text, "err-total_value") == ""  # wrong too, but not touched yet: waits
    assert "还有 1 个字段待填写或更正" not in r.text and "有 3 处需要更正" in r.text
    expected = f"{float(data['items'][0]['quantity']) * float(data['items'][0]['unit_price']):,.2f}"
    assert f"数量 × 单价 = {expected}" in r.text


async def test_a_submission_with_errors_stores_nothing_and_shows_each_error_at_its_field(
    world: World, broker: httpx.AsyncClient
) -> None:
    page = await broker.get("/my/declarations/new")
    data = world.goods()
    data["consignee"]["uscc"] = "91340100MA2N0X1230"  # wrong check character
    del data["transport"]["bill_of_lading"]

    r = await broker.post("/my/declarations/new", data=form_of(world, data, csrf_of(page.text)))

    assert r.status_code == 422
    assert "此字段为必填项" in slot(r.text, "err-transport-bill_of_lading")
    assert 'id="f-transport-bill_of_lading" name="transport.bill_of_lading"' in r.text
    assert re.search(r'id="f-transport-bill_of_lading"[^>]*aria-invalid="true"', r.text)
    assert await count(world) == 0


async def test_a_declaration_is_submitted_once_however_often_the_form_is_posted(
    world: World, broker: httpx.AsyncClient
) -> None:
    page = await broker.get("/my/declarations/new")
    fields = form_of(world, world.goods(), csrf_of(page.text), key="double-post-1")

    first, second = await asyncio.gather(
        broker.post("/my/declarations/new", data=fields), broker.post("/my/declarations/new", data=fields)
    )

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count(world) == 1
    number = first.headers["location"].rsplit("/", 1)[1]
    page = await broker.get(f"/my/declarations/{number}")
    assert page.status_code == 200 and number in page.text


async def test_rows_are_added_and_removed_without_losing_what_was_typed(
    world: World, broker: httpx.AsyncClient
) -> None:
    page = await broker.get("/my/declarations/new")
    data = world.goods(items=2)
    fields = form_of(world, data, csrf_of(page.text))

    r = await broker.post("/my/declarations/new", data={**fields, "action": "remove:items.0"})

    assert r.status_code == 200 and await count(world) == 0
    assert f'value="{data["items"][1]["hs_code"]}"' in r.text and 'id="f-items-1-hs_code"' not in r.text
    r = await broker.post("/my/declarations/new", data={**fields, "action": "add:items"})
    assert 'id="f-items-2-hs_code"' in r.text and f'value="{data["items"][0]["name"]}"' in r.text


async def test_a_form_without_its_anti_forgery_token_is_refused(
    world: World, broker: httpx.AsyncClient
) -> None:
    fields = form_of(world, world.goods(), "forged")
    r = await broker.post("/my/declarations/new", data=fields)
    assert r.status_code == 403
    assert await count(world) == 0


# -- one declaration -----------------------------------------------------------------------------


async def test_a_document_request_is_answered_by_amending_with_the_invoice(
    world: World, broker: httpx.AsyncClient
) -> None:
    number = await submitted(world)  # general trade without its invoice: customs asks for it
    await world.settle()
    assert {d["agency"]: d["state"] for d in (await view(world, number))["dossiers"]}["customs"] == (
        "documents_requested"
    )
    page = await broker.get(f"/my/declarations/{number}")
    assert "答复要求" in page.text
    amend = await broker.get(f"/my/declarations/{number}/amend")
    assert amend.status_code == 200
    stored = (await view(world, number))["data"]
    assert f'value="{stored["transport"]["bill_of_lading"]}"' in amend.text  # prefilled
    csrf = csrf_of(amend.text)
    r = await broker.post(
        "/my/documents",
        data={"csrf": csrf, "type": "invoice"},
        files={"file": ("invoice.pdf", PDF, "application/pdf")},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "checked" in r.text
    sha = re.search(r'value="invoice:([0-9a-f]{64})"', r.text)
    assert sha is not None
    fields = form_of(world, {**stored, "documents": [{"type": "invoice", "sha256": sha.group(1)}]}, csrf)

    refused = await broker.post(f"/my/declarations/{number}/amend", data={**fields, "reason": ""})
    assert refused.status_code == 422 and "请说明修改理由" in slot(refused.text, "err-reason")
    r = await broker.post(f"/my/declarations/{number}/amend", data={**fields, "reason": "Invoice attached."})

    assert r.status_code == 303 and r.headers["location"] == f"/my/declarations/{number}?done=amended"
    await world.settle()
    after = await view(world, number)
    assert after["version"] == 2 and after["data"]["documents"] == [
        {"type": "invoice", "sha256": sha.group(1)}
    ]
    assert {d["agency"]: d["state"] for d in after["dossiers"]}["customs"] != "documents_requested"


async def test_a_document_uploaded_on_the_declaration_page_is_attached_by_an_amendment(
    world: World, broker: httpx.AsyncClient
) -> None:
    number = await submitted(world)
    page = await broker.get(f"/my/declarations/{number}")

    r = await broker.post(
        f"/my/declarations/{number}/documents",
        data={"csrf": csrf_of(page.text), "type": "invoice"},
        files={"file": ("invoice.pdf", PDF, "application/pdf")},
    )

    assert r.status_code == 303, r.text
    after = await view(world, number)
    assert after["version"] == 2 and [d["type"] for d in after["data"]["documents"]] == ["invoice"]
    r = await broker.post(
        f"/my/declarations/{number}/documents",
        data={"csrf": csrf_of(page.text), "type": "invoice"},
        files={"file": ("notes.txt", b"just text", "text/plain")},
    )
    assert r.status_code == 422 and (await view(world, number))["version"] == 2


async def test_the_declarant_withdraws_with_a_reason(world: World, broker: httpx.AsyncClient) -> None:
    number = await submitted(world)
    page = await broker.get(f"/my/declarations/{number}")
    csrf = csrf_of(page.text)

    assert (
        await broker.post(f"/my/declarations/{number}/withdrawal", data={"csrf": csrf})
    ).status_code == 422
    r = await broker.post(
        f"/my/declarations/{number}/withdrawal", data={"csrf": csrf, "reason": "Contract off."}
    )

    assert r.status_code == 303
    assert (await view(world, number))["status"] in ("withdrawn", "withdrawal_requested")


async def test_the_timeline_fragment_refreshes_until_the_declaration_is_final(
    world: World, broker: httpx.AsyncClient
) -> None:
    number = await submitted(world, commodities=LAPTOPS)
    await world.settle()
    live = await broker.get(f"/my/declarations/{number}/live", headers={"HX-Request": "true"})
    assert live.status_code == 200 and 'hx-trigger="every 2s"' in live.text
    assert "要求补充单证" in live.text  # customs asked for the invoice
    r = await world.decide(CUSTOMS, "customs", number, "release", "Fine.")
    assert r.status_code == 200, r.text

    live = await broker.get(f"/my/declarations/{number}/live", headers={"HX-Request": "true"})

    assert "hx-trigger" not in live.text  # released: nothing more will change
    assert 'data-type="DeclarationReleased"' in live.text


async def test_the_receipt_is_a_pdf_of_the_declaration(world: World, broker: httpx.AsyncClient) -> None:
    number = await submitted(world)

    r = await broker.get(f"/my/declarations/{number}/receipt.pdf")

    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f'filename="receipt-{number}.pdf"' in r.headers["content-disposition"]
    assert number in text_of(r.content)


async def test_the_declarant_books_another_free_slot_for_its_inspection_and_a_taken_one_is_refused(
    world: World, broker: httpx.AsyncClient
) -> None:
    site = {
        "id": "WHI-SITE-1",
        "kind": "inspection_site",
        "name": "Wuhu inspection site",
        "name_zh": "芜湖查验场地",
        "port": "CNWHI",
        "owner": "customs",
        "shared_with": ["quarantine"],
        "capacity": 1,
        "hours": {"always": True},
    }
    assert (await world.call("POST", "/v1/facilities", PORT_OFFICE, json=site)).status_code == 201
    number = await submitted(world, office="3301", commodities=BEEF, kind="import")  # quarantine samples meat
    await world.settle()
    page = await broker.get(f"/my/declarations/{number}")
    task = re.search(r'name="task_id" value="([0-9a-f]+)"', page.text)
    starts = re.findall(r'name="starts_at" id="[^"]+" value="([^"]+)"', page.text)
    assert task is not None and len(starts) == 8
    csrf = csrf_of(page.text)

    r = await broker.post(
        f"/my/declarations/{number}/appointment",
        data={"csrf": csrf, "task_id": task.group(1), "starts_at": starts[2]},
    )

    assert r.status_code == 303 and r.headers["location"].endswith("?done=booked")
    r = await world.call("GET", f"/v1/inspections?number={number}", BROKER)
    [booked] = r.json()["inspections"]
    assert datetime.fromisoformat(booked["scheduled_at"]) == datetime.fromisoformat(starts[2])
    other = {"purpose": "joint_inspection", "reference": "another", "starts_at": starts[4]}
    assert (
        await world.call("POST", "/v1/facilities/WHI-SITE-1/bookings", CUSTOMS, json=other)
    ).status_code == 201
    r = await broker.post(
        f"/my/declarations/{number}/appointment",
        data={"csrf": csrf, "task_id": task.group(1), "starts_at": starts[4]},
    )
    assert r.status_code == 409 and "原预约不变" in r.text
    r = await broker.post(
        f"/my/declarations/{number}/appointment",
        data={"csrf": csrf, "task_id": "nope", "starts_at": starts[4]},
    )
    assert r.status_code == 422
    past = {"csrf": csrf, "task_id": task.group(1), "starts_at": "2020-01-06T09:00:00+08:00"}
    r = await broker.post(f"/my/declarations/{number}/appointment", data=past)
    assert r.status_code == 422 and "预约开始时间不能早于当前时间" in r.text


# -- uploads -----------------------------------------------------------------------------------


async def finished(broker: httpx.AsyncClient, job_page: str) -> str:
    for _ in range(200):
        r = await broker.get(f"{job_page}/progress", headers={"HX-Request": "true"})
        assert r.status_code == 200
        if 'id="job-report"' in r.text:
            return r.text
        await asyncio.sleep(0.05)
    raise AssertionError("the upload never finished")


async def test_a_file_of_declarations_is_stored_line_by_line_with_a_report(
    world: World, broker: httpx.AsyncClient
) -> None:
    import orjson

    lines = [orjson.dumps(world.goods(items=1)) for _ in range(5)]
    bad = world.goods(items=1)
    bad["containers"][0]["number"] = "CSQU3054384"
    lines.insert(2, orjson.dumps(bad))
    file = b"\n".join(lines) + b"\n"
    page = await broker.get("/my/uploads")
    csrf = csrf_of(page.text)

    r = await broker.post("/my/uploads", data={"csrf": csrf}, files={"file": ("batch.jsonl", file)})

    assert r.status_code == 303
    job = r.headers["location"]
    report = await finished(broker, job)
    assert re.search(r'<div class="value">5</div>\s*份报关单已保存', report)
    assert re.search(r'<th scope="row" class="num" rowspan="1">3</th>', report)
    assert "containers[0].number" in report and "ISO 6346" in report
    assert await count(world) == 5
    importer = await signed_in(world, "jianghuai-clerk")
    try:
        assert (await importer.get(job)).status_code == 404  # another organisation's upload
    finally:
        await importer.aclose()
    r = await broker.post("/my/uploads", data={"csrf": csrf}, files={"file": ("batch.jsonl", file)})
    again = await finished(broker, r.headers["location"])
    assert re.search(r'<div class="value">5</div>\s*份此前已保存', again) and await count(world) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"kind": "import"}]', "首行不是 JSON 对象"),
        (b"kind,office\nimport,3301\n", "首行不是 JSON 对象"),
        (b"\xff\xfe\x00\x01binary", "不是 UTF-8 文本"),
        (b"\n\n", "文件中没有报关数据"),
        (b"{}\n" + b" " * MAX_BYTES, "文件超过 5 MB"),
    ],
)
async def test_a_file_that_is_not_json_lines_is_refused_whole(
    world: World, broker: httpx.AsyncClient, content: bytes, message: str
) -> None:
    page = await broker.get("/my/uploads")
    r = await broker.post(
        "/my/uploads", data={"csrf": csrf_of(page.text)}, files={"file": ("x.jsonl", content)}
    )
    assert r.status_code == 422
    assert message in r.text and "未保存任何数据" in r.text
    assert await count(world) == 0
