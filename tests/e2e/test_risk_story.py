"""Risk control (风险防控) over HTTP: officers write profiles, post alerts and record IP rights; the
next declaration is selected by them at once; inspection results recorded by one agency stand in
for another's (mutual recognition); every selection is explained, reproducible and overrulable.

The worlds here switch the agencies' random checks off (unless a test is about them), so that a
release means that no profile, alert or right selected the declaration."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.agencies.customs import DEFAULTS as CUSTOMS_DEFAULTS
from onewindow.agencies.quarantine import DEFAULTS as QUARANTINE_DEFAULTS
from onewindow.demo import samples
from onewindow.demo.samples import COMMODITIES
from onewindow.risk.selection import draw
from onewindow.settings import Settings
from tests.fixtures.app import (
    ADMIN,
    BROKER,
    CUSTOMS,
    IMPORTER,
    PDF,
    PORT_OFFICE,
    QUARANTINE,
    World,
    start_world,
)

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]
LAPTOPS = [c for c in COMMODITIES if c.hs.startswith("8471")]
BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]
VIETNAMESE_BANANAS = 'startswith(hs_code, "0803") and origin_country == "VN"'
ANY_ELECTRONICS = 'startswith(hs_code, "8471", "8542")'
PORT_TIME = timezone(timedelta(hours=8))
INSPECTIONS = ("scan", "manual")


def risk_config(customs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The agencies' own risk settings with random checks off; ``customs`` overrides customs' ones.
    Options merge shallowly, so each agency is given its whole ``risk`` mapping."""
    return {
        "customs": {
            "options": {"risk": {**CUSTOMS_DEFAULTS.options["risk"], "random_rate": 0.0, **(customs or {})}}
        },
        "quarantine": {"options": {"risk": {**QUARANTINE_DEFAULTS.options["risk"], "random_rate": 0.0}}},
    }


@contextlib.asynccontextmanager
async def running(data_dir: Path, config: dict[str, Any]) -> AsyncIterator[World]:
    data_dir.mkdir(parents=True, exist_ok=True)
    ow, w = await start_world(Settings(data_dir=data_dir, agency_config=config))
    try:
        yield w
        await w.settle()
    finally:
        await w.http.aclose()
        await ow.stop()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """OneWindow with the agencies' risk settings as shipped, random checks aside."""
    async with running(tmp_path, risk_config()) as w:
        yield w


# -- helpers ---------------------------------------------------------------------------------------


async def invoice(world: World, token: str = BROKER) -> list[dict[str, str]]:
    return [{"type": "invoice", "sha256": await world.upload(token, PDF)}]


async def goods(world: World, commodities: list[samples.Commodity], **kwargs: Any) -> dict[str, Any]:
    """A declaration with its invoice, so that customs' completeness rule does not decide it."""
    return world.goods(commodities=commodities, documents=await invoice(world), **kwargs)


async def submit(world: World, body: dict[str, Any]) -> str:
    r = await world.call("POST", "/v1/declarations", BROKER, json=body)
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def submit_goods(world: World, commodities: list[samples.Commodity]) -> str:
    return await submit(world, await goods(world, commodities))


async def dossiers(world: World, number: str) -> dict[str, dict[str, Any]]:
    r = await world.call("GET", f"/v1/declarations/{number}", PORT_OFFICE)
    assert r.status_code == 200, r.text
    return {d["agency"]: d for d in r.json()["dossiers"]}


async def states(world: World, number: str) -> dict[str, str]:
    return {agency: d["state"] for agency, d in (await dossiers(world, number)).items()}


async def create_profile(world: World, token: str = CUSTOMS, **fields: Any) -> httpx.Response:
    body = {
        "name": "Vietnamese bananas",
        "expression": VIETNAMESE_BANANAS,
        "channel": "manual",
        "reason": "Undervaluation reported on fresh fruit.",
        **fields,
    }
    return await world.call("POST", "/v1/risk/profiles", token, json=body)


async def profile(world: World, token: str = CUSTOMS, **fields: Any) -> dict[str, Any]:
    r = await create_profile(world, token, **fields)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def profiles(world: World, token: str = CUSTOMS) -> list[dict[str, Any]]:
    r = await world.call("GET", "/v1/risk/profiles", token)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["profiles"]
    return found


async def assessments(world: World, number: str, token: str = CUSTOMS) -> list[dict[str, Any]]:
    r = await world.call("GET", f"/v1/risk/assessments/{number}", token)
    assert r.status_code == 200, r.text
    assert r.json()["number"] == number
    found: list[dict[str, Any]] = r.json()["assessments"]
    return found


async def assessment(world: World, number: str, agency: str = "customs") -> dict[str, Any]:
    found = [a for a in await assessments(world, number, PORT_OFFICE) if a["agency"] == agency]
    assert len(found) == 1, found
    return found[0]


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    """The error body of a refused request, in both languages."""
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["message"] and err["message_zh"]
    return err


def port_time(world: World, days_ago: float = 0) -> str:
    """An instant ``days_ago`` before now, written with the port's offset (+08:00)."""
    return (world.ow.clock.now() - timedelta(days=days_ago)).astimezone(PORT_TIME).isoformat()


async def record_result(
    world: World,
    token: str,
    days_ago: float = 2,
    kind: str = "manual",
    fraud: bool = False,
    **target: Any,
) -> httpx.Response:
    body = {
        "kind": kind,
        "checked": "Container opened, goods counted against the packing list.",
        "findings": "",
        "fraud": fraud,
        "inspected_at": port_time(world, days_ago),
        **target,
    }
    return await world.call("POST", "/v1/inspection-results", token, json=body)


def with_two_containers(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """The sample has one or two containers; make it two (a second valid ISO 6346 number)."""
    while len(body["containers"]) < 2:
        number = samples.container_number(world.rng)
        if number not in {c["number"] for c in body["containers"]}:
            body["containers"].append({"number": number, "size_type": "45G1", "seals": ["SL7654321"]})
    return body


def containers_of(body: dict[str, Any]) -> list[str]:
    return [c["number"] for c in body["containers"]]


# -- profiles --------------------------------------------------------------------------------------


async def test_a_customs_profile_selects_the_next_declaration_for_customs_and_the_agencies_it_shares_with(
    world: World,
) -> None:
    before = await submit_goods(world, BANANAS)
    assert await states(world, before) == {"customs": "released", "quarantine": "released"}

    created = await profile(world, shared_with=["quarantine"])

    assert created["owner_agency"] == "customs"
    assert created["shared_with"] == ["quarantine"]
    assert created["revision"] == 1 and created["active"] is True
    number = await submit_goods(world, BANANAS)  # no restart: the next declaration uses it
    assert await states(world, number) == {
        "customs": "inspection_ordered",
        "quarantine": "inspection_ordered",
    }

    seen_by_customs = await assessments(world, number, CUSTOMS)
    assert [a["agency"] for a in seen_by_customs] == ["customs"]
    assert seen_by_customs[0]["selected"] is True
    assert seen_by_customs[0]["channel"] == "manual"
    hits = seen_by_customs[0]["explanation"]["profiles"]
    assert [(p["id"], p["owner"], p["selected"]) for p in hits] == [(created["id"], "customs", True)]

    seen_by_quarantine = await assessments(world, number, QUARANTINE)
    assert [a["agency"] for a in seen_by_quarantine] == ["quarantine"]
    assert [p["id"] for p in seen_by_quarantine[0]["explanation"]["profiles"]] == [created["id"]]

    error(await world.call("GET", f"/v1/risk/assessments/{number}", BROKER), 403)


async def test_a_profile_not_shared_with_quarantine_selects_for_customs_only(world: World) -> None:
    await profile(world)

    number = await submit_goods(world, BANANAS)

    assert await states(world, number) == {"customs": "inspection_ordered", "quarantine": "released"}
    assert (await assessment(world, number, "quarantine"))["explanation"]["profiles"] == []
    assert await profiles(world, QUARANTINE) == []


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ('__import__("os")', "expression_forbidden"),
        ("hs_code ==", "expression_syntax"),
        ('hs_cod == "1"', "expression_unknown_field"),
        ("hs_code < 3", "expression_type_mismatch"),
    ],
)
async def test_an_unsafe_or_malformed_condition_is_refused_and_nothing_is_stored(
    world: World, expression: str, code: str
) -> None:
    r = await create_profile(world, expression=expression)

    err = error(r, 422)
    problem = err["fields"][0]
    assert problem["path"] == "expression"
    assert problem["code"].startswith("expression_")
    assert problem["code"] == code
    assert problem["message_zh"]
    if code == "expression_unknown_field":
        assert "hs_code" in problem["message"]  # did you mean…
    assert await profiles(world) == []
    assert await profiles(world, PORT_OFFICE) == []


async def test_a_declarant_cannot_write_a_profile(world: World) -> None:
    error(await create_profile(world, BROKER), 403)

    assert await profiles(world, PORT_OFFICE) == []


async def test_a_profile_shared_with_an_unknown_agency_is_refused(world: World) -> None:
    err = error(await create_profile(world, shared_with=["quarantine", "tax-bureau"]), 422)

    assert [f["path"] for f in err["fields"]] == ["shared_with[1]"]
    assert err["fields"][0]["code"] == "agency_unknown"
    assert await profiles(world, PORT_OFFICE) == []


async def test_only_the_owner_agency_revises_or_withdraws_a_profile(world: World) -> None:
    created = await profile(world, shared_with=["quarantine"])
    path = f"/v1/risk/profiles/{created['id']}"
    revised = {
        "name": "Vietnamese bananas, scanned",
        "expression": VIETNAMESE_BANANAS,
        "channel": "scan",
        "reason": "Scan is enough.",
        "shared_with": ["quarantine"],
    }

    error(await world.call("PUT", path, QUARANTINE, json=revised), 403)
    error(await world.call("DELETE", path, QUARANTINE), 403)
    assert [(p["revision"], p["channel"]) for p in await profiles(world)] == [(1, "manual")]

    r = await world.call("PUT", path, CUSTOMS, json=revised)
    assert r.status_code == 200, r.text
    assert (r.json()["revision"], r.json()["channel"]) == (2, "scan")
    number = await submit_goods(world, BANANAS)
    assert (await assessment(world, number))["channel"] == "scan"
    assert await states(world, number) == {
        "customs": "inspection_ordered",
        "quarantine": "inspection_ordered",
    }

    r = await world.call("DELETE", path, CUSTOMS)
    assert r.status_code == 204, r.text
    assert await profiles(world) == []
    after = await submit_goods(world, BANANAS)
    assert await states(world, after) == {"customs": "released", "quarantine": "released"}


# -- alerts ----------------------------------------------------------------------------------------


async def test_an_alert_posted_by_quarantine_on_the_consignee_makes_customs_select_its_next_goods(
    world: World,
) -> None:
    consignee = world.usccs["jianghuai-trade"]
    r = await world.call(
        "POST",
        "/v1/risk/alerts",
        QUARANTINE,
        json={"subject_kind": "enterprise", "subject": consignee, "reason": "Pests found in its last lot."},
    )
    assert r.status_code == 201, r.text
    alert = r.json()

    number = await submit_goods(world, ELECTRONICS)  # customs' only

    assert await states(world, number) == {"customs": "inspection_ordered"}
    found = (await assessment(world, number))["explanation"]["alerts"]
    assert [(a["id"], a["agency"], a["subject"]) for a in found] == [(alert["id"], "quarantine", consignee)]
    assert consignee in (await dossiers(world, number))["customs"]["reason"]

    error(await world.call("DELETE", f"/v1/risk/alerts/{alert['id']}", CUSTOMS), 403)
    r = await world.call("DELETE", f"/v1/risk/alerts/{alert['id']}", QUARANTINE)
    assert r.status_code == 204, r.text
    after = await submit_goods(world, ELECTRONICS)
    assert await states(world, after) == {"customs": "released"}
    assert (await assessment(world, after))["explanation"]["alerts"] == []


# -- mutual recognition ----------------------------------------------------------------------------


async def test_a_container_quarantine_opened_two_days_ago_is_not_opened_again_by_customs(
    world: World,
) -> None:
    await profile(world, name="Electronics scan", expression=ANY_ELECTRONICS, channel="scan")
    body = with_two_containers(world, await goods(world, ELECTRONICS))
    results = []
    for container in containers_of(body):  # recorded before the declaration is submitted
        r = await record_result(world, QUARANTINE, container=container)
        assert r.status_code == 201, r.text
        assert (r.json()["inspector_kind"], r.json()["agency"]) == ("agency", "quarantine")
        results.append(r.json()["id"])

    number = await submit(world, body)

    customs = (await dossiers(world, number))["customs"]
    assert customs["state"] == "released"
    assert "mutual recognition" in customs["reason"]
    assessed = await assessment(world, number)
    assert (assessed["channel"], assessed["selected"]) == ("scan", True)  # selected, yet not opened again
    recognised = assessed["explanation"]["recognised"]
    assert recognised["result_id"] in results
    assert recognised["inspector"] == "quarantine"
    assert sorted(recognised["results"]) == sorted(results)


REFUSED_RESULTS: dict[str, dict[str, Any]] = {
    "a document check": {"kind": "document"},
    "a result 40 days old": {"days_ago": 40},
    "a result that found fraud": {"fraud": True},
    "a result on one of the two containers": {"only_first": True},
    "a result customs recorded itself": {"token": CUSTOMS},
}


@pytest.mark.parametrize("case", list(REFUSED_RESULTS))
async def test_customs_inspects_itself_when_the_result_on_record_does_not_qualify(
    world: World, case: str
) -> None:
    options = dict(REFUSED_RESULTS[case])
    token = options.pop("token", QUARANTINE)
    only_first = options.pop("only_first", False)
    await profile(world, name="Electronics scan", expression=ANY_ELECTRONICS, channel="scan")
    body = with_two_containers(world, await goods(world, ELECTRONICS))
    for container in containers_of(body)[: 1 if only_first else None]:
        r = await record_result(world, token, container=container, **options)
        assert r.status_code == 201, r.text

    number = await submit(world, body)

    assert await states(world, number) == {"customs": "inspection_ordered"}
    assert (await assessment(world, number))["explanation"]["recognised"] is None


# -- the inspection results register ---------------------------------------------------------------


def bad_check_digit(container: str) -> str:
    return container[:-1] + str((int(container[-1]) + 1) % 10)


async def test_an_inspection_result_with_bad_input_is_refused_and_nothing_is_stored(world: World) -> None:
    container = samples.container_number(world.rng)
    cases = {
        "container": await record_result(world, QUARANTINE, container=bad_check_digit(container)),
        "inspected_at": await record_result(world, QUARANTINE, days_ago=-1, container=container),
        "naming nothing": await record_result(world, QUARANTINE),
    }

    for what, r in cases.items():
        err = error(r, 422)
        assert err["fields"], what
    assert cases["container"].json()["error"]["fields"][0]["path"] == "container"
    assert cases["inspected_at"].json()["error"]["fields"][0]["path"] == "inspected_at"
    naive = {
        "container": container,
        "kind": "manual",
        "checked": "Opened.",
        "fraud": False,
        "inspected_at": "2026-01-02T10:00:00",
    }
    err = error(await world.call("POST", "/v1/inspection-results", QUARANTINE, json=naive), 422)
    assert err["fields"][0]["path"] == "inspected_at"
    r = await world.call("GET", "/v1/inspection-results", PORT_OFFICE)
    assert r.status_code == 200, r.text
    assert r.json()["results"] == []


async def test_a_broker_cannot_record_an_inspection_result(world: World) -> None:
    r = await record_result(world, BROKER, container=samples.container_number(world.rng))

    error(r, 403)
    assert (await world.call("GET", "/v1/inspection-results", PORT_OFFICE)).json()["results"] == []


async def third_party(world: World) -> tuple[str, str]:
    """An accredited inspection body with an inspector and a clerk; returns their tokens."""
    r = await world.call(
        "POST",
        "/v1/admin/organisations",
        ADMIN,
        json={"id": "cciq-anhui", "name": "中国检验认证集团安徽有限公司 CCIC Anhui", "kind": "enterprise"},
    )
    assert r.status_code == 201, r.text
    tokens = []
    for user, role in (("ccic-inspector", "inspector"), ("ccic-clerk", "declarant")):
        body = {"id": user, "org_id": "cciq-anhui", "name": user, "role": role}
        r = await world.call("POST", "/v1/admin/users", ADMIN, json=body)
        assert r.status_code == 201, r.text
        r = await world.call("POST", f"/v1/admin/users/{user}/tokens", ADMIN, json={"label": "test"})
        assert r.status_code == 201, r.text
        tokens.append(r.json()["token"])
    return tokens[0], tokens[1]


async def test_an_accredited_inspectors_scan_is_accepted_by_customs_but_not_a_clerks(world: World) -> None:
    inspector, clerk = await third_party(world)
    await profile(world, name="Electronics scan", expression=ANY_ELECTRONICS, channel="scan")
    body = await goods(world, ELECTRONICS)
    error(await record_result(world, clerk, kind="scan", container=containers_of(body)[0]), 403)
    ids = []
    for container in containers_of(body):
        r = await record_result(world, inspector, kind="scan", container=container)
        assert r.status_code == 201, r.text
        assert (r.json()["inspector_kind"], r.json()["inspector_org"]) == ("third_party", "cciq-anhui")
        ids.append(r.json()["id"])

    number = await submit(world, body)

    assert await states(world, number) == {"customs": "released"}
    recognised = (await assessment(world, number))["explanation"]["recognised"]
    assert recognised["result_id"] in ids
    assert recognised["inspector_kind"] == "third_party"
    r = await world.call("GET", "/v1/inspection-results", inspector)
    assert sorted(x["id"] for x in r.json()["results"]) == sorted(ids)


# -- random checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [1.0, 0.0])
async def test_random_checks_are_drawn_reproducibly_from_the_declaration_number(
    tmp_path: Path, rate: float
) -> None:
    config = risk_config({"target_rate": 0.02, "random_rate": rate})
    async with running(tmp_path / "onewindow", config) as world:
        numbers = [await submit_goods(world, ELECTRONICS) for _ in range(3)]

        for number in numbers:
            explained = (await assessment(world, number))["explanation"]
            assert explained["random"]["draw"] == draw("onewindow", number, "customs", "random")
            assert explained["random"]["rate"] == rate
            assert explained["random"]["selected"] is (rate == 1.0)
            expected = "inspection_ordered" if rate == 1.0 else "released"
            assert await states(world, number) == {"customs": expected}
            if rate == 1.0:
                assert "random check" in (await dossiers(world, number))["customs"]["reason"]


# -- intellectual property -------------------------------------------------------------------------


async def test_goods_bearing_a_recorded_mark_are_held_and_only_the_right_holder_is_told(world: World) -> None:
    me = await world.call("GET", "/v1/me", IMPORTER)
    holder_org = me.json()["org_id"]
    right = {
        "holder_name": "联想（北京）有限公司 Lenovo",
        "holder_org_id": holder_org,
        "mark": "ThinkPad",
        "hs_prefixes": ["8471"],
        "valid_until": (world.ow.clock.now().date() + timedelta(days=365)).isoformat(),
    }
    error(await world.call("POST", "/v1/risk/ip-rights", QUARANTINE, json=right), 403)
    r = await world.call("POST", "/v1/risk/ip-rights", CUSTOMS, json=right)
    assert r.status_code == 201, r.text
    right_id = r.json()["id"]

    plain = await submit_goods(world, LAPTOPS)
    body = await goods(world, LAPTOPS)
    body["items"][0]["declared_elements"] = "品牌:ThinkPad|型号:X1 Carbon"
    number = await submit(world, body)

    assert await states(world, plain) == {"customs": "released"}
    customs = (await dossiers(world, number))["customs"]
    assert customs["state"] == "inspection_ordered"
    assert "ThinkPad" in customs["reason"]
    assert [x["id"] for x in (await assessment(world, number))["explanation"]["ip_rights"]] == [right_id]
    r = await world.call("GET", "/v1/events", IMPORTER)
    holds = [e for e in r.json()["events"] if e["type"] == "IpRightHold"]
    assert [(e["declaration"], e["mark"], e["right_id"]) for e in holds] == [(number, "ThinkPad", right_id)]
    assert "IpRightHold" not in await world.event_types(number, BROKER)
    broker_feed = (await world.call("GET", "/v1/events", BROKER)).json()["events"]
    assert "IpRightHold" not in {e["type"] for e in broker_feed}


# -- overrules -------------------------------------------------------------------------------------


async def selected_electronics(world: World) -> str:
    await profile(world, name="Electronics", expression=ANY_ELECTRONICS, channel="manual")
    number = await submit_goods(world, ELECTRONICS)
    assert await states(world, number) == {"customs": "inspection_ordered"}
    return number


async def overrule(
    world: World, token: str, number: str, channel: str, agency: str = "customs"
) -> httpx.Response:
    body = {"channel": channel, "reason": "Known consignee; goods seen at the quay."}
    return await world.call("POST", f"/v1/risk/assessments/{number}/{agency}/overrule", token, json=body)


async def test_a_customs_officer_overrules_a_selection_with_a_reason_kept_for_audit(world: World) -> None:
    number = await selected_electronics(world)

    r = await overrule(world, CUSTOMS, number, "release")

    assert r.status_code == 200, r.text
    assert (r.json()["from_channel"], r.json()["to_channel"]) == ("manual", "release")
    await world.settle()
    customs = (await dossiers(world, number))["customs"]
    assert customs["state"] == "released"
    assert "Known consignee" in customs["reason"]
    overrules = (await assessment(world, number))["overrules"]
    assert [(o["from_channel"], o["to_channel"], o["overruled_by"]) for o in overrules] == [
        ("manual", "release", "user:customs-officer")
    ]
    assert overrules[0]["reason"] == "Known consignee; goods seen at the quay."


async def test_another_agency_cannot_overrule_customs_nor_anyone_to_the_same_channel(world: World) -> None:
    number = await selected_electronics(world)

    error(await overrule(world, QUARANTINE, number, "release"), 403)
    assert error(await overrule(world, CUSTOMS, number, "manual"), 409)["code"] == "same_channel"

    assert (await assessment(world, number))["overrules"] == []
    assert await states(world, number) == {"customs": "inspection_ordered"}


async def test_overruling_twice_to_the_same_channel_is_refused_the_second_time(world: World) -> None:
    number = await selected_electronics(world)
    r = await overrule(world, CUSTOMS, number, "document_check")
    assert r.status_code == 200, r.text

    again = await overrule(world, CUSTOMS, number, "document_check")

    assert error(again, 409)["code"] == "same_channel"
    overrules = (await assessment(world, number))["overrules"]
    assert [(o["from_channel"], o["to_channel"]) for o in overrules] == [("manual", "document_check")]


async def test_a_manual_inspection_can_be_overruled_to_a_scan(world: World) -> None:
    number = await selected_electronics(world)

    r = await overrule(world, CUSTOMS, number, "scan")

    assert r.status_code == 200, r.text
    overrules = (await assessment(world, number))["overrules"]
    assert [(o["from_channel"], o["to_channel"]) for o in overrules] == [("manual", "scan")]
    assert await states(world, number) == {"customs": "inspection_ordered"}


# -- reading the picture ---------------------------------------------------------------------------


async def test_the_port_office_sees_inspection_rates_by_agency_and_credit_grade(world: World) -> None:
    await profile(world, shared_with=["quarantine"])
    await submit_goods(world, BANANAS)  # selected by both
    for _ in range(2):
        await submit_goods(world, ELECTRONICS)  # released by customs

    r = await world.call("GET", "/v1/risk/selection-rates", PORT_OFFICE)

    assert r.status_code == 200, r.text
    rates = r.json()
    routine_rate = rates["policy"]["routine_rate"]
    customs, quarantine = rates["agencies"]["customs"], rates["agencies"]["quarantine"]
    assert list(customs) == ["routine"] and list(quarantine) == ["routine"]
    assert (customs["routine"]["assessed"], customs["routine"]["selected"]) == (3, 1)
    assert (quarantine["routine"]["assessed"], quarantine["routine"]["selected"]) == (1, 1)
    assert customs["routine"]["rate"] == pytest.approx(1 / 3)
    assert customs["routine"]["policy_rate"] == pytest.approx(routine_rate)
    own = await world.call("GET", "/v1/risk/selection-rates", CUSTOMS)
    assert list(own.json()["agencies"]) == ["customs"]
    error(await world.call("GET", "/v1/risk/selection-rates", BROKER), 403)
    error(await world.call("GET", "/v1/risk/selection-rates?agency=quarantine", CUSTOMS), 403)


async def test_the_language_of_profiles_lists_its_fields_and_functions(world: World) -> None:
    r = await world.call("GET", "/v1/risk/fields", CUSTOMS)

    assert r.status_code == 200, r.text
    fields, language = r.json()["fields"], r.json()["language"]
    assert fields["hs_code"] == "text"
    assert fields["unit_price_cny_per_kg"] == "number"
    described = {e["syntax"]: e for e in language if e["kind"] == "field"}
    assert described["origin_country"]["type"] == "text"
    functions = [e["syntax"] for e in language if e["kind"] == "function"]
    assert any(f.startswith("startswith(") for f in functions)
    assert any(f.startswith("contains(") for f in functions)
