"""The demo's joint inspections: customs and quarantine on one container, opened once, one scan
image that looks like an X-ray, both agencies' annotations on it, and their findings."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from onewindow.demo import samples
from onewindow.demo.inspections import load_joint_inspections, png, xray
from onewindow.demo.samples import COMMODITIES
from onewindow.settings import Settings
from tests.fixtures.app import BROKER, CUSTOMS, QUARANTINE, World, start_world

BANANAS = [c for c in COMMODITIES if c.hs.startswith("0803")]
BY_HAND = {
    "default_decision": None,
    "rules": [],
    "options": {"risk": {"target_rate": 0.0, "random_rate": 0.0}},
}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Officers decide by hand, so the consignments wait for customs and quarantine alike."""
    config = {code: BY_HAND for code in ("customs", "quarantine", "border", "maritime")}
    ow, w = await start_world(Settings(data_dir=tmp_path, agency_config=config))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


def decoded(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, pixels) of an 8-bit grayscale PNG, checking its structure on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body), tag
        chunks[tag] = body
        pos += 12 + length
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 0) and b"IEND" in chunks
    rows = zlib.decompress(chunks[b"IDAT"])
    assert len(rows) == height * (width + 1)
    pixels = b"".join(rows[r * (width + 1) + 1 : (r + 1) * (width + 1)] for r in range(height))
    return width, height, pixels


def test_the_scan_image_is_a_grayscale_png_with_air_light_and_dense_matter_dark() -> None:
    image, hidden, pallets = xray(random.Random(5))
    width, height, pixels = decoded(png(image))

    assert (width, height) == (image.shape[1], image.shape[0]) and pixels == image.tobytes()
    assert image[5, 5] > 200  # air above the container
    assert image[hidden.y + hidden.height // 2, hidden.x + hidden.width // 2] < 60  # the hidden mass
    assert hidden.x >= 0 and hidden.x + hidden.width <= width and pallets.y + pallets.height <= height
    assert png(xray(random.Random(5))[0]) == png(image)  # the same seed draws the same picture


async def consignments(world: World, n: int) -> list[str]:
    out = []
    for _ in range(n):
        body = samples.goods_declaration(
            world.rng,
            consignee_uscc=world.usccs["jianghuai-trade"],
            declarant_uscc=world.usccs["gangtong-broker"],
            today=world.ow.clock.now().date(),
            commodities=BANANAS,
            items=1,
        )
        r = await world.call("POST", "/v1/declarations", BROKER, json=body)
        assert r.status_code == 201, r.text
        out.append(r.json()["number"])
    await world.settle()
    return out


async def inspected(world: World) -> dict[str, dict[str, Any]]:
    """Every joint inspection customs takes part in, by id, with its scans and findings."""
    r = await world.call("GET", "/v1/agencies/customs/dossiers?category=inspection", CUSTOMS)
    found: dict[str, dict[str, Any]] = {}
    for item in r.json()["items"]:
        tasks = await world.call("GET", f"/v1/inspections?number={item['number']}", CUSTOMS)
        for task in tasks.json()["inspections"]:
            detail = (await world.call("GET", f"/v1/inspections/{task['id']}", CUSTOMS)).json()
            scans = (await world.call("GET", f"/v1/inspections/{task['id']}/scans", QUARANTINE)).json()
            found[task["id"]] = {**detail, "scans": scans["scans"]}
    return found


async def test_the_demo_makes_joint_inspections_annotated_by_customs_and_quarantine(world: World) -> None:
    await load_joint_inspections(world.ow, random.Random(2015))
    await world.settle()

    tasks = await inspected(world)
    assert len(tasks) == 4 and all(t["agencies"] == ["customs", "quarantine"] for t in tasks.values())
    assert sorted(t["status"] for t in tasks.values()) == [
        "closed",
        "in_progress",
        "in_progress",
        "in_progress",
    ]
    findings = []
    for task in tasks.values():
        [scan] = task["scans"]
        assert scan["container"] in task["containers"]
        assert {a["agency"] for a in scan["annotations"]} == {"customs", "quarantine"}
        assert all(a["region"]["width"] > 0 for a in scan["annotations"])
        image = await world.call("GET", scan["image_url"], CUSTOMS)
        assert image.headers["content-type"] == "image/png" and decoded(image.content)[:2] == (960, 380)
        findings.append(sorted(r["agency"] for r in task["results"]))
        if task["status"] == "closed":
            assert findings[-1] == ["customs", "quarantine"]
        for number in {o["number"] for o in task["orders"]}:  # each agency still decides on its own
            view = (await world.call("GET", f"/v1/declarations/{number}", CUSTOMS)).json()
            assert {d["agency"]: d["category"] for d in view["dossiers"]} == {
                "customs": "inspection",
                "quarantine": "inspection",
            }
    assert sorted(findings) == [[], [], ["customs"], ["customs", "quarantine"]]


async def test_a_joint_inspection_already_waiting_is_taken_before_new_consignments(world: World) -> None:
    [waiting, untouched] = await consignments(world, 2)
    for token, agency, decision in (
        (CUSTOMS, "customs", "order_inspection"),
        (QUARANTINE, "quarantine", "order_sampling"),
    ):
        r = await world.decide(token, agency, waiting, decision, "Selected for inspection.")
        assert r.status_code == 200, r.text
    await world.settle()

    await load_joint_inspections(world.ow, random.Random(1))
    await world.settle()

    tasks = await inspected(world)
    numbers = {o["number"] for t in tasks.values() for o in t["orders"]}
    assert len(tasks) == 4 and waiting in numbers and untouched not in numbers
    [mine] = [t for t in tasks.values() if waiting in {o["number"] for o in t["orders"]}]
    assert mine["status"] == "in_progress" and len(mine["scans"]) == 1
