"""The credit register (信用管理) over HTTP: officers register enterprises and record violations, the
rules downgrade them at once under the policy in force, the dishonest are listed publicly and
inspected at the policy's floor; repair waits for the cure and the period; the port office edits
the policy; vessels are on watch after a violation."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from importlib import resources
from typing import Any

import httpx
import pytest

from onewindow.credit.policy import port_date
from onewindow.demo import samples
from onewindow.demo.samples import COMMODITIES
from tests.fixtures.app import BROKER, CUSTOMS, IMPORTER, MARITIME, PDF, PORT_OFFICE, QUARANTINE, World

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.fixture
async def world(world: World) -> AsyncIterator[World]:
    """The running OneWindow, left quiet (every event handled) before it stops."""
    yield world
    await world.settle()


# -- helpers ---------------------------------------------------------------------------------------


def packaged_policy() -> dict[str, Any]:
    text = resources.files("onewindow.credit").joinpath("data/policies.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def in_force(document: dict[str, Any], day: date) -> tuple[int, dict[str, Any]]:
    """The index and the version of the policy document valid on ``day``."""
    for i, version in enumerate(document["versions"]):
        starts, ends = date.fromisoformat(version["valid_from"]), version["valid_to"]
        if starts <= day and (ends is None or day <= date.fromisoformat(ends)):
            return i, version
    raise LookupError(day)


def today(world: World) -> date:
    return port_date(world.ow.clock.now())


def consignee(world: World) -> str:
    return world.usccs["jianghuai-trade"]


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["message"] and err["message_zh"]
    return err


async def register(
    world: World, uscc: str, name: str = "安徽江淮进出口有限公司", token: str = CUSTOMS, **extra: Any
) -> httpx.Response:
    body = {"uscc": uscc, "name": name, **extra}
    return await world.call("POST", "/v1/credit/enterprises", token, json=body)


async def registered(world: World, uscc: str, **extra: Any) -> dict[str, Any]:
    r = await register(world, uscc, **extra)
    assert r.status_code == 201, r.text
    assert r.json()["grade"] == "routine"
    view: dict[str, Any] = r.json()
    return view


async def violation(
    world: World,
    uscc: str,
    type_: str,
    occurred_on: date,
    amount: str = "0",
    token: str = CUSTOMS,
) -> httpx.Response:
    body = {
        "uscc": uscc,
        "type": type_,
        "occurred_on": occurred_on.isoformat(),
        "amount_cny": amount,
        "description": "Found on post-clearance audit.",
    }
    return await world.call("POST", "/v1/credit/violations", token, json=body)


async def recorded(
    world: World, uscc: str, type_: str, occurred_on: date, amount: str = "0"
) -> dict[str, Any]:
    r = await violation(world, uscc, type_, occurred_on, amount)
    assert r.status_code == 201, r.text
    view: dict[str, Any] = r.json()
    return view


async def enterprise(world: World, uscc: str, token: str = CUSTOMS) -> dict[str, Any]:
    r = await world.call("GET", f"/v1/credit/enterprises/{uscc}", token)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


async def repair(world: World, uscc: str, token: str = CUSTOMS) -> dict[str, Any]:
    r = await world.call("POST", f"/v1/credit/enterprises/{uscc}/repair", token)
    assert r.status_code == 200, r.text
    outcome: dict[str, Any] = r.json()
    return outcome


async def policy(world: World, token: str = CUSTOMS) -> dict[str, Any]:
    r = await world.call("GET", "/v1/credit/policy", token)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def grade_in_force(view: dict[str, Any], code: str) -> dict[str, Any]:
    version = next(v for v in view["versions"] if v["version"] == view["in_force"])
    found: dict[str, Any] = next(g for g in version["grades"] if g["code"] == code)
    return found


def with_bad_check_character(uscc: str) -> str:
    wrong = next(c for c in USCC_ALPHABET if c != uscc[-1])
    return uscc[:-1] + wrong


def with_bad_check_digit(imo: str) -> str:
    return imo[:-1] + str((int(imo[-1]) + 1) % 10)


# -- downgrade, public list, inspection rate -------------------------------------------------------


async def test_smuggling_downgrades_at_once_lists_publicly_and_inspects_at_the_policys_floor(
    world: World,
) -> None:
    uscc = consignee(world)
    _, version = in_force(packaged_policy(), today(world))
    smuggling_grade = version["rules"]["smuggling"]["grade"]
    floor = version["grades"][smuggling_grade]["min_rate"]
    await registered(world, uscc, org_id="jianghuai-trade")

    r = await violation(world, uscc, "smuggling", today(world) - timedelta(days=30), "250000.00")

    assert r.status_code == 201, r.text
    assert r.json()["grade"] == smuggling_grade
    view = await enterprise(world, uscc)
    assert view["grade"] == smuggling_grade
    assert view["inspection_rate"] == pytest.approx(floor)
    assert [h["rule"] for h in view["history"]] == ["registered", "smuggling"]
    listed = (await world.http.get("/v1/public/dishonest-enterprises")).json()  # no token
    assert [(e["uscc"], e["grade"]) for e in listed["enterprises"]] == [(uscc, smuggling_grade)]
    assert "smuggling" in listed["enterprises"][0]["reason"].lower()
    assert listed["enterprises"][0]["reason_zh"]

    documents = [{"type": "invoice", "sha256": await world.upload(BROKER, PDF)}]
    numbers = []
    for _ in range(30):
        body = world.goods(commodities=ELECTRONICS, documents=documents)
        r = await world.call("POST", "/v1/declarations", BROKER, json=body)
        assert r.status_code == 201, r.text
        numbers.append(r.json()["number"])
    await world.settle()

    selected = 0
    for number in numbers:
        r = await world.call("GET", f"/v1/risk/assessments/{number}", CUSTOMS)
        (customs,) = r.json()["assessments"]
        assert customs["grade"] == smuggling_grade
        assert customs["explanation"]["credit"]["floor"] == pytest.approx(floor)
        selected += customs["channel"] in ("scan", "manual")
    assert selected >= 20, f"{selected} of 30 selected; the policy's floor is {floor}"


async def test_a_routine_enterprise_is_not_on_the_public_list(world: World) -> None:
    await registered(world, consignee(world))

    r = await world.http.get("/v1/public/dishonest-enterprises")

    assert r.status_code == 200, r.text
    assert r.json()["enterprises"] == []


# -- unpaid tax and repair -------------------------------------------------------------------------


async def test_unpaid_tax_makes_an_enterprise_dishonest_and_repair_waits_for_the_cure_and_the_period(
    world: World,
) -> None:
    uscc = consignee(world)
    await registered(world, uscc, org_id="jianghuai-trade")
    due = today(world) - timedelta(days=125)  # more than the three months the rule allows

    unpaid = await recorded(world, uscc, "unpaid_tax", due, "86000.00")

    assert unpaid["grade"] == "dishonest"
    refused = await repair(world, uscc, IMPORTER)  # the enterprise asks itself
    assert refused["repaired"] is False
    assert refused["grade"] == "dishonest"
    assert any("Not cured" in reason for reason in refused["reasons"])
    assert len(refused["reasons_zh"]) == len(refused["reasons"])

    r = await world.call(
        "POST",
        f"/v1/credit/violations/{unpaid['violation_id']}/cure",
        CUSTOMS,
        json={"cured_on": today(world).isoformat()},
    )
    assert r.status_code == 200, r.text

    still = await repair(world, uscc)
    assert still["repaired"] is False
    assert not any("Not cured" in reason for reason in still["reasons"])
    assert still["earliest_on"] is not None
    assert date.fromisoformat(still["earliest_on"]) - today(world) >= timedelta(days=365)
    assert (await enterprise(world, uscc))["grade"] == "dishonest"
    error(await world.call("POST", f"/v1/credit/enterprises/{uscc}/repair", BROKER), 403)


# -- certification ---------------------------------------------------------------------------------


async def test_a_certified_enterprise_loses_its_certification_on_a_customs_violation(world: World) -> None:
    uscc = consignee(world)
    await registered(world, uscc)
    r = await world.call(
        "POST",
        f"/v1/credit/enterprises/{uscc}/grade",
        CUSTOMS,
        json={"grade": "advanced_certified", "reason": "AEO audit passed."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["grade"] == "advanced_certified"
    assert (await enterprise(world, uscc))["is_aeo"] is True

    found = await recorded(world, uscc, "customs_violation", today(world), "5000.00")

    assert found["grade"] == "routine"
    view = await enterprise(world, uscc)
    assert view["is_aeo"] is False
    assert view["history"][-1]["rule"] == "certification_lost"
    assert [v["type"] for v in view["violations"]] == ["customs_violation"]


async def test_only_customs_grades_an_enterprise(world: World) -> None:
    uscc = consignee(world)
    await registered(world, uscc)

    r = await world.call(
        "POST",
        f"/v1/credit/enterprises/{uscc}/grade",
        QUARANTINE,
        json={"grade": "advanced_certified", "reason": "Audit."},
    )

    error(r, 403)
    assert (await enterprise(world, uscc))["grade"] == "routine"


# -- bad input changes nothing ---------------------------------------------------------------------


async def test_a_credit_code_with_a_bad_check_character_is_not_registered(world: World) -> None:
    bad = with_bad_check_character(consignee(world))

    err = error(await register(world, bad), 422)

    assert err["fields"][0]["path"] == "uscc"
    error(await world.call("GET", f"/v1/credit/enterprises/{bad}", CUSTOMS), 404)
    r = await world.call("GET", "/v1/credit/enterprises", CUSTOMS)
    assert r.json()["enterprises"] == []


async def test_registering_an_enterprise_twice_is_a_conflict(world: World) -> None:
    await registered(world, consignee(world))

    err = error(await register(world, consignee(world), name="Another name"), 409)

    assert err["code"] == "already_registered"
    assert (await enterprise(world, consignee(world)))["name"] == "安徽江淮进出口有限公司"


async def test_violations_that_are_unknown_in_the_future_or_from_a_broker_are_refused(world: World) -> None:
    uscc = consignee(world)
    await registered(world, uscc)
    cases = {
        "type": await violation(world, uscc, "littering", today(world) - timedelta(days=3)),
        "occurred_on": await violation(world, uscc, "smuggling", today(world) + timedelta(days=2)),
    }
    for path, r in cases.items():
        assert path in [f["path"] for f in error(r, 422)["fields"]]
    error(await violation(world, uscc, "smuggling", today(world), token=BROKER), 403)

    view = await enterprise(world, uscc)
    assert view["violations"] == []
    assert view["grade"] == "routine"
    assert [h["rule"] for h in view["history"]] == ["registered"]


async def test_an_unknown_grade_is_refused(world: World) -> None:
    uscc = consignee(world)
    await registered(world, uscc)

    r = await world.call(
        "POST",
        f"/v1/credit/enterprises/{uscc}/grade",
        CUSTOMS,
        json={"grade": "platinum", "reason": "Why not."},
    )

    assert error(r, 422)["fields"][0]["path"] == "grade"
    assert (await enterprise(world, uscc))["grade"] == "routine"


async def test_a_broker_reads_its_own_credit_record_but_not_another_enterprises(world: World) -> None:
    own = world.usccs["gangtong-broker"]
    await registered(world, own, name="芜湖港通报关有限公司", customs_broker=True)
    await registered(world, consignee(world))

    mine = await enterprise(world, own, BROKER)

    assert (mine["uscc"], mine["grade"], mine["customs_broker"]) == (own, "routine", True)
    error(await world.call("GET", f"/v1/credit/enterprises/{consignee(world)}", BROKER), 403)
    error(await world.call("GET", "/v1/credit/enterprises", BROKER), 403)


# -- the policy ------------------------------------------------------------------------------------


async def test_the_port_office_edits_the_policy_which_is_checked_whole(world: World) -> None:
    document = packaged_policy()
    index, version = in_force(document, today(world))
    before = await policy(world)
    assert grade_in_force(before, "dishonest")["min_rate"] == version["grades"]["dishonest"]["min_rate"]

    broken = copy.deepcopy(document)
    broken["versions"][index]["grades"]["dishonest"]["min_rate"] = 1.5
    err = error(await world.call("PUT", "/v1/credit/policy", PORT_OFFICE, json=broken), 422)
    assert err["fields"][0]["path"] == f"versions[{index}].grades.dishonest.min_rate"
    assert await policy(world) == before

    edited = copy.deepcopy(document)
    edited["versions"][index]["grades"]["dishonest"]["min_rate"] = 0.9
    error(await world.call("PUT", "/v1/credit/policy", CUSTOMS, json=edited), 403)
    assert await policy(world) == before

    r = await world.call("PUT", "/v1/credit/policy", PORT_OFFICE, json=edited)

    assert r.status_code == 200, r.text
    after = grade_in_force(await policy(world), "dishonest")
    assert after["min_rate"] == 0.9
    assert after["inspection_rate"] == pytest.approx(0.9)


# -- vessels ---------------------------------------------------------------------------------------


async def test_a_vessel_is_on_watch_after_one_violation(world: World) -> None:
    imo = samples.imo_number(world.rng)
    r = await world.call("GET", f"/v1/credit/vessels/{imo}", MARITIME)
    assert r.json()["status"] == "compliant"
    body = {
        "name": "HAI FENG 7",
        "flag": "PA",
        "type": "customs_violation",
        "occurred_on": (today(world) - timedelta(days=10)).isoformat(),
        "description": "Manifest did not match the cargo.",
    }

    r = await world.call("POST", f"/v1/credit/vessels/{imo}/violations", MARITIME, json=body)

    assert r.status_code == 201, r.text
    assert r.json()["status"] == "watch"
    status = (await world.call("GET", f"/v1/credit/vessels/{imo}", MARITIME)).json()
    assert (status["status"], len(status["violations"])) == ("watch", 1)
    bad = with_bad_check_digit(imo)
    err = error(await world.call("POST", f"/v1/credit/vessels/{bad}/violations", MARITIME, json=body), 422)
    assert err["fields"][0]["path"] == "imo"
