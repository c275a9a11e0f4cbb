"""The officer's portal pages over the running app (no browser): the queue's order and its
agency, the same not-found as the API for someone else's dossier, errors at their fields, and each
form doing what the API's handler does."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.demo import samples
from onewindow.demo.inspections import png, xray
from onewindow.demo.samples import COMMODITIES
from onewindow.entrypoints.http import create_app
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, PDF, QUARANTINE, World, start_world

BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]  # customs and quarantine
LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]  # customs only
BY_HAND = {
    "default_decision": None,
    "rules": [],
    "options": {"risk": {"target_rate": 0.0, "random_rate": 0.0}},
}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Officers decide by hand: nothing is released or selected unless a test makes it so."""
    config = {code: BY_HAND for code in ("customs", "quarantine", "border", "maritime")}
    ow, w = await start_world(Settings(data_dir=tmp_path, agency_config=config))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


class Browser:
    """One signed-in user of the portal: its cookies and its form token."""

    def __init__(self, http: httpx.AsyncClient, csrf: str) -> None:
        self.http, self.csrf = http, csrf

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post(self, path: str, **fields: str) -> httpx.Response:
        return await self.http.post(path, data={"csrf": self.csrf, **fields})


async def signed_in(world: World, user_id: str) -> Browser:
    app = create_app(onewindow=world.ow)
    app.state.onewindow = world.ow
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://onewindow.test")
    form = await http.get("/signin")
    pre = re.search(r'name="pre" value="([^"]+)"', form.text)
    assert pre is not None
    fields = {"pre": pre.group(1), "next": "/account", "user_id": user_id, "password": "onewindow-demo-1"}
    r = await http.post("/signin", data=fields)
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/account")).text)
    assert token is not None
    return Browser(http, token.group(1))


async def declare(
    world: World, commodities: list[Any], consignee: str | None = None, invoice: str | None = None
) -> str:
    body = samples.goods_declaration(
        world.rng,
        consignee_uscc=consignee or world.usccs["jianghuai-trade"],
        declarant_uscc=world.usccs["gangtong-broker"],
        today=world.ow.clock.now().date(),
        commodities=commodities,
        items=2,
        documents=[{"type": "invoice", "sha256": invoice}] if invoice else [],
    )
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def alert_on(world: World, uscc: str, token: str = QUARANTINE) -> None:
    """An alert on the consignee: every agency's risk engine sends its goods to a scan."""
    body = {"subject_kind": "enterprise", "subject": uscc, "channel": "scan", "reason": "test alert"}
    r = await world.call("POST", "/v1/risk/alerts", token, json=body)
    assert r.status_code == 201, r.text


def numbers_in(html: str) -> list[str]:
    return re.findall(r'<tr data-number="(\d{18})"', html)


def error_at(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]+)</p>', html)
    assert found is not None, f"no error at {field_id}"
    return found.group(1)


async def dossier_state(world: World, agency: str, number: str, token: str) -> str:
    r = await world.call("GET", f"/v1/agencies/{agency}/dossiers/{number}", token)
    assert r.status_code == 200, r.text
    state: str = next(d["state"] for d in r.json()["dossiers"] if d["agency"] == agency)
    return state


async def test_the_queue_shows_the_agencys_dossiers_with_the_riskiest_first(world: World) -> None:
    risky = samples.uscc_code(random.Random(11), "340100")
    await alert_on(world, risky)
    quiet = await declare(world, BANANAS)
    scanned = await declare(world, BANANAS, consignee=risky)
    laptops = await declare(world, LAPTOPS)
    customs, quarantine = await signed_in(world, "customs-officer"), await signed_in(world, "ciq-officer")

    everything = numbers_in((await customs.get("/officer/queue?state=all")).text)
    waiting = numbers_in((await quarantine.get("/officer/queue")).text)
    scans_only = numbers_in((await customs.get("/officer/queue?state=all&channel=scan")).text)

    assert everything[0] == scanned and set(everything) == {quiet, scanned, laptops}
    assert everything[1:] == [quiet, laptops]  # same risk: the longest waiting first
    assert set(waiting) == {quiet, scanned}  # quarantine's queue: no laptops
    assert scans_only == [scanned]


async def test_each_row_of_the_queue_says_what_the_officer_sorts_by(world: World) -> None:
    number = await declare(world, LAPTOPS)
    data = (await world.call("GET", f"/v1/declarations/{number}", CUSTOMS)).json()["data"]
    customs = await signed_in(world, "customs-officer")

    html = (await customs.get("/officer/queue")).text
    row = html[html.index(f'<tr data-number="{number}"') :]
    row = row[: row.index("</tr>")]

    cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S))
    assert number in cells["编号"] and "进口" in cells["编号"]
    assert cells["申报单位"] == "芜湖港通报关有限公司"
    assert data["items"][0]["name"] in cells["货物"] and "另 1 项" in cells["货物"]
    assert re.fullmatch(r"\D+[\d,]+\.\d\d", cells["货值"])  # money in its currency, e.g. US$1,124.15
    assert "放行（绿色通道）" in cells["通道"]  # the engine's channel: nothing selected it
    assert cells["风险评分"] == "—" and cells["信用等级"] == "常规企业"
    assert "已接收" in cells["状态"] and re.search(r"\d", cells["等待时长"])


async def test_the_queue_is_paged(world: World) -> None:
    from onewindow.agencies.queries import QueueFilter, risk_queue

    numbers = [await declare(world, LAPTOPS) for _ in range(3)]
    officer = world.ow.tokens.resolve(CUSTOMS)
    with world.ow.engines.read.connect() as conn:
        first = risk_queue(conn, officer, "customs", QueueFilter(size=2), world.ow.clock.now())
        second = risk_queue(conn, officer, "customs", QueueFilter(size=2, page=2), world.ow.clock.now())
        beyond = risk_queue(conn, officer, "customs", QueueFilter(size=2, page=9), world.ow.clock.now())

    assert (first["total"], first["pages"], second["page"], beyond["page"]) == (3, 2, 2, 2)
    assert [i["number"] for i in first["items"] + second["items"]] == numbers
    customs = await signed_in(world, "customs-officer")
    html = (await customs.get("/officer/queue?state=all")).text
    assert "下一页" not in html  # 25 a page


async def test_an_officer_may_not_read_another_agencys_queue_through_the_query(world: World) -> None:
    from onewindow.agencies.queries import QueueFilter, risk_queue
    from onewindow.kernel.errors import NotPermitted

    officer = world.ow.tokens.resolve(QUARANTINE)
    with world.ow.engines.read.connect() as conn, pytest.raises(NotPermitted):
        risk_queue(conn, officer, "customs", QueueFilter(), world.ow.clock.now())


async def test_the_queue_refuses_a_filter_it_does_not_know(world: World) -> None:
    customs = await signed_in(world, "customs-officer")
    r = await customs.get("/officer/queue?state=sleeping")
    assert r.status_code == 422 and "sleeping" in r.text


async def test_a_dossier_not_routed_to_the_officers_agency_is_not_found(world: World) -> None:
    sha = await world.upload(BROKER, PDF)
    laptops = await declare(world, LAPTOPS, invoice=sha)
    quarantine = await signed_in(world, "ciq-officer")

    page = await quarantine.get(f"/officer/dossiers/{laptops}")
    document = await quarantine.get(f"/officer/dossiers/{laptops}/documents/{sha}")
    decided = await quarantine.post(f"/officer/dossiers/{laptops}/decision", decision="release", reason="x")
    api = await world.call("GET", f"/v1/agencies/quarantine/dossiers/{laptops}", QUARANTINE)

    assert page.status_code == api.status_code == 404
    assert "未找到" in page.text and laptops in page.text
    assert document.status_code == 404 and decided.status_code == 404
    assert await dossier_state(world, "customs", laptops, CUSTOMS) == "received"


async def test_only_officers_open_the_officers_pages(world: World) -> None:
    broker = await signed_in(world, "gangtong-broker")
    assert (await broker.get("/officer/queue")).status_code == 403
    app = create_app(onewindow=world.ow)
    app.state.onewindow = world.ow
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as anonymous:
        r = await anonymous.get("/officer/queue")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=/officer/queue")


async def test_a_decision_needs_a_reason_and_one_the_state_allows(world: World) -> None:
    number = await declare(world, LAPTOPS)
    customs = await signed_in(world, "customs-officer")
    path = f"/officer/dossiers/{number}/decision"

    no_reason = await customs.post(path, decision="release", reason="  ")
    not_allowed = await customs.post(path, decision="order_sampling", reason="customs cannot sample")

    assert no_reason.status_code == 422
    assert error_at(no_reason.text, "decide-reason") == "此项必填，不能为空。"
    assert (
        'id="decide-reason" name="reason" rows="3" maxlength="2000" required aria-invalid="true"'
        in no_reason.text
    )
    assert not_allowed.status_code == 409 and error_at(not_allowed.text, "decide-decision")
    assert "customs cannot sample" in not_allowed.text  # the reason typed is kept
    assert await dossier_state(world, "customs", number, CUSTOMS) == "received"

    done = await customs.post(path, decision="request_documents", reason="Attach the packing list.")

    assert done.status_code == 303 and done.headers["location"].endswith("?done=decided#decide")
    assert await dossier_state(world, "customs", number, CUSTOMS) == "documents_requested"
    assert "要求补充单证" in (await customs.get(f"/officer/dossiers/{number}")).text


async def test_the_dossier_shows_the_declaration_it_is_about(world: World) -> None:
    number = await declare(world, BANANAS)
    data = (await world.call("GET", f"/v1/declarations/{number}", CUSTOMS)).json()["data"]
    customs = await signed_in(world, "customs-officer")

    html = (await customs.get(f"/officer/dossiers/{number}")).text

    assert data["consignee"]["uscc"] in html and data["overseas_party"]["name"] in html
    assert all(item["hs_code"] in html and item["name"] in html for item in data["items"])
    assert all(c["number"] in html for c in data["containers"])
    assert data["transport"]["bill_of_lading"] in html
    assert '<tr data-agency="quarantine">' in html  # the other agency's dossier


async def test_a_withdrawal_is_answered_by_the_agency_that_acted(world: World) -> None:
    number = await declare(world, LAPTOPS)
    customs = await signed_in(world, "customs-officer")
    await customs.post(
        f"/officer/dossiers/{number}/decision", decision="request_documents", reason="Invoice?"
    )
    r = await world.call(
        "POST", f"/v1/declarations/{number}/withdrawal", BROKER, json={"reason": "cancelled"}
    )
    assert r.status_code == 200, r.text

    page = await customs.get(f"/officer/dossiers/{number}")
    unanswered = await customs.post(f"/officer/dossiers/{number}/withdrawal", reason="fine")
    answered = await customs.post(f"/officer/dossiers/{number}/withdrawal", approve="yes", reason="Agreed.")

    assert f'action="/officer/dossiers/{number}/withdrawal"' in page.text
    assert unanswered.status_code == 422 and error_at(unanswered.text, "withdrawal-approve")
    assert answered.status_code == 303
    view = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()
    assert view["status"] == "withdrawn"


async def test_a_form_without_its_token_changes_nothing(world: World) -> None:
    number = await declare(world, LAPTOPS)
    customs = await signed_in(world, "customs-officer")
    r = await customs.http.post(
        f"/officer/dossiers/{number}/decision", data={"decision": "release", "reason": "forged"}
    )
    assert r.status_code == 403
    assert await dossier_state(world, "customs", number, CUSTOMS) == "received"


async def test_the_risk_channel_is_overruled_with_a_reason(world: World) -> None:
    number = await declare(world, LAPTOPS)
    customs = await signed_in(world, "customs-officer")
    path = f"/officer/dossiers/{number}/overrule"

    missing = await customs.post(path, channel="manual", reason="")
    done = await customs.post(path, channel="manual", reason="Seal number differs from the manifest.")

    assert missing.status_code == 422 and error_at(missing.text, "overrule-reason")
    assert done.status_code == 303
    r = await world.call("GET", f"/v1/risk/assessments/{number}", CUSTOMS)
    [assessment] = r.json()["assessments"]
    assert [(o["to_channel"], o["reason"]) for o in assessment["overrules"]] == [
        ("manual", "Seal number differs from the manifest.")
    ]
    assert await dossier_state(world, "customs", number, CUSTOMS) == "inspection_ordered"


async def test_an_attached_document_is_shown_to_the_officer_of_the_dossier(world: World) -> None:
    sha = await world.upload(BROKER, PDF)
    number = await declare(world, LAPTOPS, invoice=sha)
    customs = await signed_in(world, "customs-officer")

    page = await customs.get(f"/officer/dossiers/{number}")
    shown = await customs.get(f"/officer/dossiers/{number}/documents/{sha}")
    saved = await customs.get(f"/officer/dossiers/{number}/documents/{sha}?download=true")
    other = await customs.get(f"/officer/dossiers/{number}/documents/{'0' * 64}")

    assert f"/officer/dossiers/{number}/documents/{sha}" in page.text
    assert shown.content == PDF and shown.headers["content-disposition"].startswith("inline")
    assert saved.headers["content-disposition"].startswith("attachment")
    assert other.status_code == 404


async def joint_inspection(world: World) -> tuple[str, str]:
    """Bananas both customs and quarantine send to a scan: one joint inspection."""
    risky = samples.uscc_code(random.Random(12), "340100")
    await alert_on(world, risky)
    number = await declare(world, BANANAS, consignee=risky)
    r = await world.call("GET", f"/v1/inspections?number={number}", CUSTOMS)
    [task] = r.json()["inspections"]
    assert task["agencies"] == ["customs", "quarantine"]
    return number, task["id"]


async def test_the_joint_inspection_is_worked_from_the_dossier_page(world: World) -> None:
    number, task_id = await joint_inspection(world)
    customs, quarantine = await signed_in(world, "customs-officer"), await signed_in(world, "ciq-officer")
    base = f"/officer/dossiers/{number}/inspections/{task_id}"

    early = await customs.post(base + "/findings", kind="scan", checked="image read", fraud="no")
    assert early.status_code == 409 and "须在查验进行中录入查验结果" in early.text
    assert (await customs.post(base + "/open")).status_code == 303
    image, _hidden, _pallets = xray(random.Random(1))
    files = {"file": ("scan.png", png(image), "image/png")}
    r = await world.call(
        "POST", f"/v1/inspections/{task_id}/scans", CUSTOMS, files=files, data={"scanner_id": "S1"}
    )
    scan_id = r.json()["id"]

    bad = await quarantine.post(
        f"{base}/scans/{scan_id}/annotations", note="soil?", x="ten", y="5", width="40", height="30"
    )
    good = await quarantine.post(
        f"{base}/scans/{scan_id}/annotations",
        note="soil on the pallets",
        x="10",
        y="5",
        width="40",
        height="30",
    )
    no_fraud_answer = await customs.post(base + "/findings", kind="scan", checked="image read")
    findings = await customs.post(base + "/findings", kind="scan", checked="image read", fraud="no")

    assert bad.status_code == 422 and error_at(bad.text, f"annotate-{scan_id}-x")
    assert "soil?" in bad.text
    assert good.status_code == 303
    scans = (await world.call("GET", f"/v1/inspections/{task_id}/scans", CUSTOMS)).json()["scans"]
    [note] = scans[0]["annotations"]
    assert (note["agency"], note["region"]) == ("quarantine", {"x": 10, "y": 5, "width": 40, "height": 30})
    assert no_fraud_answer.status_code == 422 and error_at(no_fraud_answer.text, f"findings-{task_id}-fraud")
    assert findings.status_code == 303
    task = (await world.call("GET", f"/v1/inspections/{task_id}", CUSTOMS)).json()
    assert [(x["agency"], x["kind"], x["fraud"]) for x in task["results"]] == [("customs", "scan", False)]

    seen = (await customs.get(f"/officer/dossiers/{number}")).text
    image_path = f"/officer/inspections/{task_id}/scans/{scan_id}/image"
    assert "soil on the pallets" in seen and image_path in seen
    assert (await customs.get(image_path)).content == png(image)
    notes = await customs.get(f"{base}/scans/{scan_id}/annotations")
    assert notes.status_code == 200 and "soil on the pallets" in notes.text and "<html" not in notes.text


async def test_a_scan_image_is_only_for_the_agencies_on_the_inspection(world: World) -> None:
    number, task_id = await joint_inspection(world)
    customs = await signed_in(world, "customs-officer")
    await customs.post(f"/officer/dossiers/{number}/inspections/{task_id}/open")
    image = png(xray(random.Random(2))[0])
    files = {"file": ("scan.png", image, "image/png")}
    r = await world.call(
        "POST", f"/v1/inspections/{task_id}/scans", CUSTOMS, files=files, data={"scanner_id": "S1"}
    )
    path = f"/officer/inspections/{task_id}/scans/{r.json()['id']}/image"

    border, broker = await signed_in(world, "border-officer"), await signed_in(world, "gangtong-broker")

    assert (await customs.get(path)).content == image
    assert (await border.get(path)).status_code == 404
    assert (await broker.get(path)).status_code == 403
