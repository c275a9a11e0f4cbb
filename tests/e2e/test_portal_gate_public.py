"""The gate operator's live view and the public pages, over HTTP against the app (no browser): the
same rows and the same permissions as the API, filters, the live part's versioning, the
confirmation (with its anti-forgery token), bad input, and every text in both languages."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from onewindow.demo.samples import COMMODITIES, uscc_code
from onewindow.gate.desk import FLUSH_SECONDS
from onewindow.gate.rules import REASONS
from onewindow.portal import i18n
from onewindow.portal.pages import gate as gate_pages
from onewindow.portal.pages.gate import reason_label
from onewindow.portal.pages.public import PAGE_SIZE, PUBLISHED
from onewindow.portal.sessions import csrf_token
from tests.fixtures.app import BROKER, CUSTOMS, PDF, PORT_OFFICE, World

GATE, OTHER_GATE = "WHI-GATE-1", "WHI-GATE-2"
GATE_OPERATOR = "ow_demo_gate"
ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]


# -- helpers ----------------------------------------------------------------------------------------


async def get(world: World, path: str, token: str | None = None, **headers: str) -> httpx.Response:
    """A portal page as the user whose session is ``token`` (a portal session is a token)."""
    session = {"Cookie": f"ow_session={token}"} if token else {}
    return await world.http.get(path, headers={**session, **headers})


async def post(
    world: World, path: str, token: str, data: dict[str, str], csrf: bool = True, **headers: str
) -> httpx.Response:
    form = {**data, "csrf": csrf_token(token)} if csrf else data
    return await world.http.post(path, data=form, headers={"Cookie": f"ow_session={token}", **headers})


def cards(html: str) -> dict[str, tuple[str, str]]:
    """The passages on the page: id -> (the card's classes, its text), in the page's order."""
    found = re.finditer(r'<li id="p-(\w+)" class="([^"]*)" data-passage="\w+">(.*?)</article>', html, re.S)
    return {m[1]: (m[2], re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m[3]))) for m in found}


async def register(world: World, *facilities: dict[str, Any]) -> None:
    for body in facilities:
        r = await world.call("POST", "/v1/facilities", PORT_OFFICE, json=body)
        assert r.status_code == 201, r.text


def place(facility_id: str, kind: str, hours: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "id": facility_id,
        "kind": kind,
        "name": f"Wuhu {facility_id}",
        "name_zh": f"芜湖{facility_id}",
        "port": "CNWHI",
        "owner": "wuhu-port-group",
        "shared_with": ["customs"],
        "capacity": 1,
        "hours": hours,
        **more,
    }


async def released_import(world: World) -> dict[str, Any]:
    """A declaration customs releases on receipt: its number, containers and seals."""
    documents = [{"type": "invoice", "sha256": await world.upload(BROKER, PDF)}]
    body = world.goods(commodities=ELECTRONICS, documents=documents)
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    boxes = body["containers"]
    return {
        "number": r.json()["number"],
        "containers": [b["number"] for b in boxes],
        "seals": [s for b in boxes for s in b["seals"]],
    }


async def at_gate(
    world: World,
    goods: dict[str, Any],
    gate: str = GATE,
    seals: list[str] | None = None,
    plate: str = "皖B12345",
) -> dict[str, Any]:
    body = {
        "direction": "exit",
        "plate": plate,
        "containers": goods["containers"],
        "seals": goods["seals"] if seals is None else seals,
    }
    r = await world.call("POST", f"/v1/gates/{gate}/passages", GATE_OPERATOR, json=body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    await asyncio.sleep(2 * FLUSH_SECONDS)  # the desk hands the log line over within FLUSH_SECONDS,
    await world.ow.committer.run(_Nothing())  # and the committer runs operations in order
    return answer


class _Nothing:
    def run(self, tx: Any) -> None:
        return None


@pytest.fixture
async def gates(world: World) -> World:
    await register(world, *(place(g, "gate", {"always": True}) for g in (GATE, OTHER_GATE)))
    return world


# -- the live view ----------------------------------------------------------------------------------


async def test_the_gate_operator_sees_the_passages_newest_first_with_holds_highlighted_and_explained(
    gates: World,
) -> None:
    world = gates
    goods = await released_import(world)
    opened = await at_gate(world, goods, plate="皖B10001")
    held = await at_gate(world, goods, seals=["SL0000000"], plate="皖B10002")

    r = await get(world, "/gates", GATE_OPERATOR)

    assert r.status_code == 200
    shown = cards(r.text)
    assert list(shown) == [held["passage_id"], opened["passage_id"]]  # newest first
    classes, text = shown[held["passage_id"]]
    assert "hold" in classes.split() and "hold-row" in classes.split()
    assert "不放行" in text and "封志不符" in text  # the verdict and the reason's name, in Chinese
    assert held["reasons"][0]["message_zh"] in text  # and what exactly does not match
    assert "SL0000000" in text and goods["containers"][0] in text and "皖B10002" in text
    classes, text = shown[opened["passage_id"]]
    assert "open" in classes.split() and "确认已通过" in text  # an open exit waits for its confirmation
    assert 'hx-trigger="every 2s"' in r.text


async def test_in_english_the_hold_reasons_are_in_english(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    held = await at_gate(world, goods, seals=["SL0000000"])

    r = await get(world, "/gates?lang=en", GATE_OPERATOR)

    _, text = cards(r.text)[held["passage_id"]]
    assert "Held" in text and "Seal mismatch" in text and held["reasons"][0]["message"] in text
    assert "封志" not in text


async def test_the_passages_are_filtered_by_gate_and_by_decision(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    at_one = await at_gate(world, goods, gate=GATE)
    held_at_other = await at_gate(world, goods, gate=OTHER_GATE, seals=["SL0000000"])
    open_at_other = await at_gate(world, goods, gate=OTHER_GATE)

    by_gate = cards((await get(world, f"/gates?gate={OTHER_GATE}", GATE_OPERATOR)).text)
    holds = cards((await get(world, "/gates?decision=hold", GATE_OPERATOR)).text)
    both = cards((await get(world, f"/gates?gate={OTHER_GATE}&decision=open", GATE_OPERATOR)).text)

    assert set(by_gate) == {held_at_other["passage_id"], open_at_other["passage_id"]}
    assert set(holds) == {held_at_other["passage_id"]}
    assert set(both) == {open_at_other["passage_id"]}
    assert at_one["passage_id"] not in by_gate
    r = await get(world, "/gates?decision=maybe", GATE_OPERATOR)
    assert r.status_code == 422


async def test_the_live_part_answers_nothing_new_until_a_truck_comes(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    await at_gate(world, goods)
    page = await get(world, "/gates?decision=hold", GATE_OPERATOR)
    polled = re.search(r'hx-get="([^"]+)"', page.text)
    assert polled is not None
    url = polled[1].replace("&amp;", "&")
    assert "decision=hold" in url  # the poll keeps the filters

    assert (await get(world, url, GATE_OPERATOR, **{"HX-Request": "true"})).status_code == 204
    held = await at_gate(world, goods, seals=["SL0000000"])
    r = await get(world, url, GATE_OPERATOR, **{"HX-Request": "true"})

    assert r.status_code == 200
    assert "<html" not in r.text and list(cards(r.text)) == [held["passage_id"]]


async def test_older_passages_are_a_page_away_and_stand_still(
    gates: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = gates
    monkeypatch.setattr(gate_pages, "PAGE_SIZE", 2)
    goods = await released_import(world)
    first, second, third = [await at_gate(world, goods, plate=f"皖B2000{i}") for i in range(3)]

    live = await get(world, "/gates", GATE_OPERATOR)
    older = re.search(r'<a href="(/gates\?cursor=[^"]+)">更早的过卡记录</a>', live.text)
    assert older is not None and list(cards(live.text)) == [third["passage_id"], second["passage_id"]]
    r = await get(world, older[1].replace("&amp;", "&"), GATE_OPERATOR)

    assert list(cards(r.text)) == [first["passage_id"]]
    assert "hx-trigger" not in r.text and "返回实时视图" in r.text  # the past does not refresh
    assert (await get(world, "/gates?cursor=not-a-cursor", GATE_OPERATOR)).status_code == 422


async def test_confirming_an_open_exit_records_the_goods_exit_as_the_api_does(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    answer = await at_gate(world, goods)
    path = f"/gates/{GATE}/passages/{answer['passage_id']}/confirm"

    r = await post(world, path, GATE_OPERATOR, {"gate": "", "decision": ""})

    assert r.status_code == 303 and r.headers["location"] == "/gates?confirmed=1"
    assert (await world.event_types(goods["number"], BROKER))[-1] == "GoodsExited"
    api = await world.call("GET", f"/v1/gates/{GATE}/passages/{answer['passage_id']}", PORT_OFFICE)
    assert api.json()["confirmed_by"] == "user:gate-operator"
    page = await get(world, "/gates?confirmed=1", GATE_OPERATOR)
    _, text = cards(page.text)[answer["passage_id"]]
    assert "已通过" in text and "确认已通过" not in text  # passed: no button any more
    assert "已确认：车辆已通过卡口。" in page.text


async def test_with_htmx_the_confirmation_answers_the_refreshed_list_and_a_held_truck_is_refused(
    gates: World,
) -> None:
    world = gates
    goods = await released_import(world)
    held = await at_gate(world, goods, seals=["SL0000000"])
    opened = await at_gate(world, goods)
    htmx = {"HX-Request": "true"}

    r = await post(world, f"/gates/{GATE}/passages/{opened['passage_id']}/confirm", GATE_OPERATOR, {}, **htmx)
    assert r.status_code == 200 and '<section id="live"' in r.text and "<html" not in r.text
    assert "已确认：车辆已通过卡口。" in r.text and "已通过" in cards(r.text)[opened["passage_id"]][1]
    assert 'id="live-status"' in r.text and 'hx-swap-oob="true"' in r.text  # the counts, out of band

    r = await post(world, f"/gates/{GATE}/passages/{held['passage_id']}/confirm", GATE_OPERATOR, {}, **htmx)
    assert r.status_code == 200 and 'role="alert"' in r.text and "不能确认通过" in r.text
    r = await post(world, f"/gates/{GATE}/passages/{held['passage_id']}/confirm", GATE_OPERATOR, {})
    assert r.status_code == 409 and "不能确认通过" in r.text


async def test_a_confirmation_without_the_forms_token_is_refused_and_changes_nothing(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    answer = await at_gate(world, goods)

    r = await post(
        world, f"/gates/{GATE}/passages/{answer['passage_id']}/confirm", GATE_OPERATOR, {}, csrf=False
    )

    assert r.status_code == 403
    api = await world.call("GET", f"/v1/gates/{GATE}/passages/{answer['passage_id']}", PORT_OFFICE)
    assert api.json()["confirmed_at"] is None


async def test_only_the_roles_the_gates_api_serves_see_the_passages(gates: World) -> None:
    world = gates
    goods = await released_import(world)
    answer = await at_gate(world, goods)

    declarant = await get(world, "/gates", BROKER)
    assert declarant.status_code == 403 and answer["passage_id"] not in declarant.text
    r = await post(world, f"/gates/{GATE}/passages/{answer['passage_id']}/confirm", BROKER, {})
    assert r.status_code == 403
    assert (await get(world, "/gates/live", BROKER)).status_code == 403
    visitor = await get(world, "/gates")
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin?next=/gates")
    for token in (PORT_OFFICE, CUSTOMS):  # as GET /v1/gates/passages allows
        assert answer["passage_id"] in cards((await get(world, "/gates", token)).text)


def test_every_hold_reason_a_gate_gives_has_a_short_name_in_both_languages() -> None:
    for language in ("zh", "en"):
        token = i18n.current.set(language)
        try:
            labels = {code: reason_label(code) for code in REASONS}
        finally:
            i18n.current.reset(token)
        assert all(label != code for code, label in labels.items()), labels
        assert len(set(labels.values())) == len(REASONS)  # no two reasons look alike
        if language == "zh":
            assert labels["seal_mismatch"] == "封志不符"


# -- the public pages -------------------------------------------------------------------------------


async def test_the_public_index_lists_every_published_page_each_in_both_languages(world: World) -> None:
    r = await get(world, "/public")
    english = await get(world, "/public?lang=en")

    assert r.status_code == english.status_code == 200
    token = i18n.current.set("zh")
    try:
        for entry in PUBLISHED:
            assert f'href="{entry.path}"' in r.text
            for text in (entry.title, entry.description):
                translated = i18n.gettext(text)
                assert translated != text, f"no Chinese for {text!r} (add it to the publishing area's .po)"
                assert translated in r.text and text in english.text
    finally:
        i18n.current.reset(token)


async def test_the_opening_hours_show_24_hour_ports_weekly_calendars_and_closures_ahead(world: World) -> None:
    weekdays = {
        "weekly": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    }
    await register(
        world,
        place("CNWHI-PORT", "port", {"always": True}),
        place("WHI-SITE-1", "inspection_site", weekdays),
        place("WHI-GATE-1", "gate", {"always": True}),
    )
    start = world.ow.clock.now().replace(microsecond=0) + timedelta(days=5)
    closure = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=5)).isoformat()}
    closure["reason"] = "typhoon"
    r = await world.call("POST", "/v1/facilities/WHI-SITE-1/closures", PORT_OFFICE, json=closure)
    assert r.status_code == 201, r.text

    zh = (await get(world, "/public/hours")).text
    en = (await get(world, "/public/hours?lang=en")).text

    assert "芜湖CNWHI-PORT" in zh and "每天 24 小时开放" in zh and "芜湖WHI-SITE-1" in zh
    assert "08:00–12:00, 13:00–18:00" in zh and "星期六" in zh and "全天不开放" in zh
    assert "WHI-GATE-1" not in zh  # gates are not places the public goes to
    assert "Open 24 hours, every day" in en and "Wuhu WHI-SITE-1" in en and "Saturday" in en
    assert "已公告的临时关闭" in zh and "关闭时段：" in zh and "Closures announced" in en
    assert "typhoon" not in zh  # the public sees when, not the internal reason


async def test_the_opening_hours_can_be_narrowed_to_one_port(world: World) -> None:
    hefei = {**place("CNHFE-PORT", "port", {"always": True}), "port": "CNHFE", "name_zh": "合肥港"}
    await register(world, place("CNWHI-PORT", "port", {"always": True}), hefei)

    r = await get(world, "/public/hours?port=CNHFE")

    assert "合肥港" in r.text and "芜湖CNWHI-PORT</h3>" not in r.text
    assert '<option value="CNWHI"' in r.text  # every port stays in the choice


async def dishonest(world: World, name: str, rng: random.Random) -> str:
    code = uscc_code(rng)
    body = {"uscc": code, "name": name}
    r = await world.call("POST", "/v1/credit/enterprises", CUSTOMS, json=body)
    assert r.status_code == 201, r.text
    grade = {"grade": "dishonest", "reason": "走私 smuggling"}
    r = await world.call("POST", f"/v1/credit/enterprises/{code}/grade", CUSTOMS, json=grade)
    assert r.status_code == 200, r.text
    return code


async def test_the_dishonest_list_is_searched_by_name_or_credit_code_and_paged(world: World) -> None:
    rng = random.Random(5)
    codes = [await dishonest(world, f"合肥测试{i:02d}贸易有限公司", rng) for i in range(PAGE_SIZE + 3)]
    hengtong = await dishonest(world, "合肥恒通贸易有限公司 Hengtong Trading", rng)
    api = (await world.http.get("/v1/public/dishonest-enterprises")).json()["enterprises"]

    first = (await get(world, "/public/dishonest")).text
    second = (await get(world, "/public/dishonest?page=2")).text

    shown = re.findall(r"<code>(\w{18})</code>", first) + re.findall(r"<code>(\w{18})</code>", second)
    assert shown == [e["uscc"] for e in api]  # the API's list, in its order, over two pages
    assert "第 1 页，共 2 页" in first and "列入名单企业：24 家。" in first
    assert len(re.findall(r"<code>", second)) == 4
    by_name = (await get(world, "/public/dishonest?q=恒通")).text
    assert re.findall(r"<code>(\w{18})</code>", by_name) == [hengtong]
    by_english_name = (await get(world, "/public/dishonest?q=hengtong&lang=en")).text
    assert "Hengtong" in by_english_name and "Matching “hengtong”: 1 of 24." in by_english_name
    by_code = (await get(world, f"/public/dishonest?q={codes[3][4:12]}")).text
    assert codes[3] in re.findall(r"<code>(\w{18})</code>", by_code)
    nothing = (await get(world, "/public/dishonest?q=不存在的企业")).text
    assert "没有符合条件的企业。" in nothing and "<table" not in nothing
    assert (await get(world, "/public/dishonest?page=0")).status_code == 422
