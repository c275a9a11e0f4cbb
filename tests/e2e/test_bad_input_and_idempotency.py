"""Bad input gets a precise error and changes nothing; a retried submission is stored once."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from onewindow.declarations.tables import declarations
from onewindow.demo.samples import COMMODITIES
from onewindow.persistence.outbox import events
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, IMPORTER, PDF, World, start_world

ELECTRONICS = [c for c in COMMODITIES if c.hs[:4] in ("8542", "8471")]
UNKNOWN_HASH = "0" * 64


@pytest.fixture
async def world(world: World) -> AsyncIterator[World]:
    """The running OneWindow, left quiet (every event handled) before it stops."""
    yield world
    await world.settle()


@pytest.fixture
async def unsettled_world(tmp_path: Path) -> AsyncIterator[World]:
    """A OneWindow stopped without waiting for its events (its writer may be gone)."""
    ow, w = await start_world(Settings(data_dir=tmp_path))
    yield w
    await w.http.aclose()
    await ow.stop()


def stored(world: World) -> tuple[int, int]:
    """How many declarations and events are stored."""
    with world.ow.engines.read.connect() as conn:
        n_declarations = conn.execute(sa.select(sa.func.count()).select_from(declarations)).scalar_one()
        n_events = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    return n_declarations, n_events


async def quiet(world: World) -> tuple[int, int]:
    await world.settle()
    return stored(world)


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code
    assert err["message"] and err["message_zh"]
    return err


def field_errors(r: httpx.Response) -> dict[str, str]:
    """``{path: code}`` of a 422 answer, each field error fully described in both languages."""
    err = refused(r, 422, "validation_failed")
    for f in err["fields"]:
        assert set(f) == {"path", "code", "message", "message_zh"}
        assert f["message"] and f["message_zh"]
    return {f["path"]: f["code"] for f in err["fields"]}


async def submit(world: World, body: Any, token: str = BROKER, **kwargs: Any) -> httpx.Response:
    return await world.call("POST", "/v1/declarations", token, json=body, **kwargs)


async def raw(
    world: World, content: bytes, content_type: str, path: str = "/v1/declarations"
) -> httpx.Response:
    return await world.call("POST", path, BROKER, content=content, headers={"Content-Type": content_type})


# -- malformed requests ----------------------------------------------------------------------------


async def test_a_body_that_is_not_json_is_a_400_and_stores_nothing(world: World) -> None:
    before = await quiet(world)

    r = await raw(world, b'{"kind": "import", "items": [', "application/json")

    refused(r, 400, "malformed_request")
    assert stored(world) == before


async def test_a_declaration_sent_as_another_media_type_is_refused(world: World) -> None:
    before = await quiet(world)

    r = await raw(world, orjson.dumps(world.goods()), "text/plain")

    refused(r, 400, "malformed_request")
    assert stored(world) == before


async def test_a_json_array_is_not_a_declaration(world: World) -> None:
    before = await quiet(world)

    r = await raw(world, b"[1, 2, 3]", "application/json")

    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] in ("malformed_request", "validation_failed")
    assert stored(world) == before


async def test_an_amendment_that_is_not_json_is_a_400(world: World) -> None:
    number = (await submit(world, world.goods(commodities=ELECTRONICS))).json()["number"]
    before = await quiet(world)

    r = await world.call(
        "PUT",
        f"/v1/declarations/{number}",
        BROKER,
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    refused(r, 400, "malformed_request")
    assert stored(world) == before


# -- field errors ----------------------------------------------------------------------------------


async def test_several_rule_violations_are_reported_together_at_their_paths(world: World) -> None:
    body = world.goods(items=3)
    body["consignee"]["uscc"] = body["consignee"]["uscc"][:-1] + (
        "0" if body["consignee"]["uscc"][-1] != "0" else "1"
    )
    wrong_total = Decimal(body["items"][1]["total"]) + Decimal("5.00")
    body["total_value"] = str(Decimal(body["total_value"]) + Decimal("5.00"))  # the header still adds up
    body["items"][1]["total"] = str(wrong_total)
    body["containers"][0]["number"] = "CSQU3054384"  # check digit should be 3
    before = await quiet(world)

    r = await submit(world, body)

    assert field_errors(r) == {
        "consignee.uscc": "uscc_invalid",
        "items[1].total": "item_total_mismatch",
        "containers[0].number": "container_number_invalid",
    }
    assert stored(world) == before


async def test_shape_errors_name_every_offending_field(world: World) -> None:
    body = world.goods(items=2)
    del body["transport"]
    body["colour"] = "blue"
    body["items"][0]["quantity"] = "-3"
    body["items"][1]["hs_code"] = "85423"
    before = await quiet(world)

    r = await submit(world, body)

    assert field_errors(r) == {
        "transport": "required",
        "colour": "unknown_field",
        "items[0].quantity": "out_of_range",
        "items[1].hs_code": "bad_format",
    }
    assert stored(world) == before


async def test_an_unknown_kind_is_named(world: World) -> None:
    body = world.goods()
    body["kind"] = "smuggling"

    r = await submit(world, body)

    assert field_errors(r) == {"kind": "not_allowed"}


async def test_a_missing_kind_is_named(world: World) -> None:
    body = world.goods()
    del body["kind"]

    r = await submit(world, body)

    assert field_errors(r) == {"kind": "required"}


async def test_an_unknown_document_hash_is_refused_at_its_path(world: World) -> None:
    before = await quiet(world)

    r = await submit(world, world.goods(documents=[{"type": "invoice", "sha256": UNKNOWN_HASH}]))

    assert field_errors(r) == {"documents[0].sha256": "document_unknown"}
    assert stored(world) == before


async def test_another_organisations_document_is_unknown_to_you(world: World) -> None:
    theirs = await world.upload(IMPORTER, PDF)
    mine = await world.upload(BROKER, PDF + b"% mine\n")
    docs = [{"type": "invoice", "sha256": mine}, {"type": "packing_list", "sha256": theirs}]

    r = await submit(world, world.goods(documents=docs))

    assert field_errors(r) == {"documents[1].sha256": "document_unknown"}


async def test_an_amendment_names_its_errors_under_data(world: World) -> None:
    number = (await submit(world, world.goods(commodities=ELECTRONICS))).json()["number"]
    await world.settle()
    data = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()["data"]
    data["containers"] = [{"number": "CSQU3054384"}]
    data["documents"] = [{"type": "invoice", "sha256": UNKNOWN_HASH}]
    before = stored(world)

    r = await world.call(
        "PUT", f"/v1/declarations/{number}", BROKER, json={"reason": " ", "data": data, "why": "x"}
    )

    assert field_errors(r) == {
        "reason": "required",
        "why": "unknown_field",
        "data.containers[0].number": "container_number_invalid",
        "data.documents[0].sha256": "document_unknown",
    }
    assert stored(world) == before


# -- decisions -------------------------------------------------------------------------------------


async def awaiting_invoice(world: World) -> str:
    r = await submit(world, world.goods(commodities=ELECTRONICS))
    assert r.status_code == 201, r.text
    await world.settle()
    number: str = r.json()["number"]
    return number


async def decide(world: World, number: str, body: dict[str, Any]) -> httpx.Response:
    return await world.call("POST", f"/v1/agencies/customs/dossiers/{number}/decisions", CUSTOMS, json=body)


async def test_an_unknown_decision_is_refused_and_names_the_allowed_ones(world: World) -> None:
    number = await awaiting_invoice(world)
    before = stored(world)

    r = await decide(world, number, {"decision": "teleport", "reason": "Why not."})

    err = refused(r, 409, "decision_not_allowed")
    assert "release" in err["details"]["allowed"]
    assert err["details"]["state"] == "documents_requested"
    assert stored(world) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"decision": "release"}, "required"),
        ({"decision": "release", "reason": ""}, "bad_format"),
        ({"decision": "release", "reason": "   "}, "required"),
    ],
)
async def test_a_decision_without_a_reason_is_refused(world: World, body: dict[str, Any], code: str) -> None:
    number = await awaiting_invoice(world)
    before = stored(world)

    r = await decide(world, number, body)

    assert field_errors(r) == {"reason": code}
    assert stored(world) == before
    status = (await world.call("GET", f"/v1/declarations/{number}", BROKER)).json()["status"]
    assert status == "action_required"


async def test_a_decision_with_an_unexpected_field_is_refused(world: World) -> None:
    number = await awaiting_invoice(world)

    r = await decide(world, number, {"decision": "release", "reason": "Fine.", "channel": "green"})

    assert field_errors(r) == {"channel": "unknown_field"}


async def test_a_decision_on_an_absent_declaration_is_not_found(world: World) -> None:
    r = await decide(world, "330120269999999999", {"decision": "release", "reason": "Fine."})

    refused(r, 404, "not_found")


async def test_a_decision_for_an_unknown_agency_is_not_found(world: World) -> None:
    number = await awaiting_invoice(world)

    r = await world.call(
        "POST",
        f"/v1/agencies/tax-office/dossiers/{number}/decisions",
        CUSTOMS,
        json={"decision": "release", "reason": "Fine."},
    )

    refused(r, 404, "not_found")


async def test_a_tampered_cursor_is_refused(world: World) -> None:
    r = await world.call("GET", "/v1/declarations", BROKER, params={"cursor": "bm90LWEtY3Vyc29y"})

    assert field_errors(r) == {"cursor": "bad_format"}


# -- idempotency -----------------------------------------------------------------------------------


async def test_the_same_idempotency_key_twice_stores_one_declaration(world: World) -> None:
    body = world.goods(commodities=ELECTRONICS)
    key = {"Idempotency-Key": "erp-order-4711"}
    before = await quiet(world)

    first = await submit(world, body, headers=key)
    second = await submit(world, body, headers=key)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 200, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["number"] == first.json()["number"]
    assert second.headers["location"] == first.headers["location"]
    assert stored(world)[0] == before[0] + 1


async def test_a_replay_after_the_agencies_acted_answers_the_current_status(world: World) -> None:
    body = world.goods(commodities=ELECTRONICS)
    key = {"Idempotency-Key": "erp-order-4712"}
    first = await submit(world, body, headers=key)
    await world.settle()

    second = await submit(world, body, headers=key)

    assert second.json()["number"] == first.json()["number"]
    assert second.json()["status"] == "action_required"


async def test_the_same_key_with_a_different_body_is_refused(world: World) -> None:
    key = {"Idempotency-Key": "erp-order-4713"}
    first = await submit(world, world.goods(commodities=ELECTRONICS), headers=key)
    assert first.status_code == 201, first.text
    before = await quiet(world)

    r = await submit(world, world.goods(commodities=ELECTRONICS), headers=key)

    refused(r, 409, "idempotency_key_reused")
    assert stored(world) == before


async def test_idempotency_keys_belong_to_one_organisation(world: World) -> None:
    key = {"Idempotency-Key": "order-1"}

    mine = await submit(world, world.goods(), headers=key)
    theirs = await submit(world, world.goods(org="jianghuai-trade"), IMPORTER, headers=key)

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["number"] != theirs.json()["number"]


async def test_twenty_concurrent_submissions_with_one_key_store_one_declaration(world: World) -> None:
    body = world.goods(commodities=ELECTRONICS)
    key = {"Idempotency-Key": "burst-0001"}
    before = await quiet(world)

    answers = await asyncio.gather(*(submit(world, body, headers=key) for _ in range(20)))

    assert sorted(r.status_code for r in answers) == [200] * 19 + [201]
    assert {r.json()["number"] for r in answers} == {answers[0].json()["number"]}
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 19
    assert stored(world)[0] == before[0] + 1
    await world.settle()
    number = answers[0].json()["number"]
    timeline = (await world.call("GET", f"/v1/declarations/{number}/timeline", BROKER)).json()["events"]
    assert [e["type"] for e in timeline].count("DeclarationSubmitted") == 1


async def test_a_key_that_is_too_long_is_refused(world: World) -> None:
    before = await quiet(world)

    r = await submit(world, world.goods(), headers={"Idempotency-Key": "k" * 129})

    assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == "validation_failed", r.text
    assert stored(world) == before


# -- validate without storing ----------------------------------------------------------------------


async def test_validate_checks_a_declaration_without_storing_it(world: World) -> None:
    before = await quiet(world)

    good = await world.call(
        "POST", "/v1/declarations/validate", BROKER, json=world.goods(commodities=ELECTRONICS)
    )
    body = world.goods()
    body["containers"][0]["number"] = "CSQU3054384"
    bad = await world.call("POST", "/v1/declarations/validate", BROKER, json=body)

    assert good.status_code == 200, good.text
    assert good.json() == {"valid": True, "kind": "import", "agencies": ["customs"]}
    assert field_errors(bad) == {"containers[0].number": "container_number_invalid"}
    assert stored(world) == before


# -- the API describes itself ----------------------------------------------------------------------


async def test_the_openapi_document_lists_the_submit_endpoint_with_its_body(world: World) -> None:
    r = await world.http.get("/openapi.json")

    assert r.status_code == 200, r.text
    doc = r.json()
    submit_op = doc["paths"]["/v1/declarations"]["post"]
    schema = _resolve(doc, submit_op["requestBody"]["content"]["application/json"]["schema"])
    assert schema["discriminator"]["propertyName"] == "kind"
    assert len(schema["oneOf"]) == 2


async def test_every_schema_the_openapi_document_refers_to_is_in_it(world: World) -> None:
    doc = (await world.http.get("/openapi.json")).json()

    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', orjson.dumps(doc).decode()))

    assert refs - set(doc["components"]["schemas"]) == set()


async def test_the_openapi_document_describes_an_amendment_as_a_reason_and_data(world: World) -> None:
    doc = (await world.http.get("/openapi.json")).json()

    schema = doc["paths"]["/v1/declarations/{number}"]["put"]["requestBody"]["content"]["application/json"][
        "schema"
    ]

    assert set(_resolve(doc, schema).get("properties", {})) == {"reason", "data"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` into the document's components."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


async def test_the_interactive_documentation_answers(world: World) -> None:
    r = await world.http.get("/docs")

    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "/openapi.json" in r.text


# -- a client that hangs up ------------------------------------------------------------------------


async def test_a_client_that_hangs_up_mid_submission_can_retry_with_its_key(unsettled_world: World) -> None:
    world = unsettled_world
    body = world.goods(commodities=ELECTRONICS)
    key = {"Idempotency-Key": "hung-up-0001"}
    gate = asyncio.Event()
    loop = asyncio.get_running_loop()
    writer_busy = world.ow.committer.submit(
        _Wait(lambda: asyncio.run_coroutine_threadsafe(gate.wait(), loop).result(5))
    )
    hung_up = asyncio.create_task(submit(world, body, headers=key))
    await world.wait_for(_queued(world), timeout=5)
    hung_up.cancel()
    gate.set()
    await asyncio.wrap_future(writer_busy)

    retry = await asyncio.wait_for(submit(world, copy.deepcopy(body), headers=key), timeout=5)

    assert retry.status_code in (200, 201), retry.text


class _Wait:
    """An operation that holds the writer until the test lets it go."""

    def __init__(self, until: Any) -> None:
        self.until = until

    def run(self, tx: Any) -> None:
        self.until()


def _queued(world: World) -> Any:
    async def check() -> bool:
        return bool(world.ow.committer._queue.qsize())

    return check
