"""The demo's joint inspections (联合查验, 一机两屏): customs and quarantine both ordered the
inspection of the same container; the container is opened once, scanned, and both agencies
annotate the one scan image and record their findings, through the real operations.

The scan images are generated: a grayscale picture that looks like a transmission X-ray of a
loaded container on its trailer (dense matter dark), with something dense hidden behind the
cartons for the officers to mark. They are written as PNG with ``zlib`` and ``struct``.
"""

from __future__ import annotations

import asyncio
import random
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import orjson
import sqlalchemy as sa
from numpy.typing import NDArray

from onewindow.agencies.registry import discover
from onewindow.bootstrap import OneWindow
from onewindow.declarations.handlers import CHINA, DecideDossier, SubmitDeclaration
from onewindow.declarations.tables import dossiers
from onewindow.declarations.validation import parse_and_check
from onewindow.documents.store import RegisterDocument
from onewindow.identity.tables import organisations
from onewindow.inspection.handlers import (
    Annotate,
    AttendTask,
    CloseTask,
    OpenTask,
    RecordFindings,
    RecordScan,
)
from onewindow.inspection.tables import inspection_orders, inspection_tasks

from . import samples

__all__ = ["Region", "load_joint_inspections", "png", "xray"]

# The demo's officers and broker (demo.identities.DEMO_USERS) and the scanner of Wuhu's inspection site.
CUSTOMS = ("customs", "hefei-customs", "user:customs-officer")
QUARANTINE = ("quarantine", "anhui-ciq", "user:ciq-officer")
BROKER = ("gangtong-broker", "user:gangtong-broker")
IMPORTER = "jianghuai-trade"
SCANNER = "WHI-H986-01"
HOW_MANY = 4
FOR_BOTH = ("0803", "1201", "9503")  # bananas, soya beans, toys: customs and quarantine both see them
INVOICE = b"%PDF-1.4\n% demo commercial invoice\n%%EOF\n"


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


async def load_joint_inspections(ow: OneWindow, rng: random.Random) -> None:
    """Take four joint inspections of customs and quarantine through the site: the first two
    scanned and annotated, the third with customs' findings too, the fourth closed with both
    agencies' findings (each dossier then waits for its officer's decision). Inspections the
    demo's history left waiting are taken first; fresh consignments make up the number."""
    from .loader import drain

    await drain(ow)
    tasks = _joint_tasks(ow)
    if len(tasks) < HOW_MANY:
        for _ in range(HOW_MANY - len(tasks)):
            await _consignment_for_both(ow, rng)
        await drain(ow)
        tasks = _joint_tasks(ow)
    for i, (task_id, container) in enumerate(tasks[:HOW_MANY]):
        await _inspect(ow, rng, task_id, container, findings=max(0, i - 1))
    await drain(ow)


def _joint_tasks(ow: OneWindow) -> list[tuple[str, str]]:
    """Open tasks of one consignment in containers that customs and quarantine both ordered and
    whose dossiers both still wait for the inspection: (task id, first container)."""
    t, o, z = inspection_tasks.c, inspection_orders.c, dossiers.c
    waiting = sa.select(z.number).where(z.category == "inspection")
    with ow.engines.read.connect() as conn:
        rows = conn.execute(
            sa.select(t.id, t.containers)
            .where(t.status.in_(["open", "scheduled"]), t.subject_kind == "consignment")
            .where(t.subject.in_(waiting.where(z.agency == "customs")))
            .where(t.subject.in_(waiting.where(z.agency == "quarantine")))
            .order_by(t.created_at, t.id)
        ).all()
        both = {
            task
            for (task,) in conn.execute(
                sa.select(o.task_id)
                .where(o.agency.in_(["customs", "quarantine"]))
                .group_by(o.task_id)
                .having(sa.func.count(sa.distinct(o.agency)) == 2)
            )
        }
    return [(r.id, r.containers[0]) for r in rows if r.id in both and r.containers]


async def _consignment_for_both(ow: OneWindow, rng: random.Random) -> None:
    """A containerised consignment of goods on the legal-inspection catalogue, declared by the
    demo broker for the demo importer, that both officers send to an inspection."""
    broker, importer = _uscc(ow, BROKER[0]), _uscc(ow, IMPORTER)
    invoice = await asyncio.to_thread(ow.blobs.put, INVOICE)
    await ow.committer.run(
        RegisterDocument(
            BROKER[0], invoice, "invoice", "application/pdf", len(INVOICE), "invoice.pdf", "demo"
        )
    )
    raw = samples.goods_declaration(
        rng,
        consignee_uscc=importer,
        declarant_uscc=broker,
        items=rng.randrange(1, 4),
        today=ow.clock.now().astimezone(CHINA).date(),
        commodities=[c for c in samples.COMMODITIES if c.hs.startswith(FOR_BOTH)],
        documents=[{"type": "invoice", "sha256": invoice}],
    )
    data = parse_and_check(orjson.dumps(raw), ow.clock.now().astimezone(CHINA).date())
    by_hand = discover({a.code: {"rules": [], "default_decision": None} for a in ow.agencies})
    receipt = await ow.committer.run(
        SubmitDeclaration(BROKER[0], BROKER[1], data, by_hand.route(data), risk=ow.risk)
    )
    z = dossiers.c
    with ow.engines.read.connect() as conn:
        states = dict(conn.execute(sa.select(z.agency, z.category).where(z.number == receipt.number)).all())
    reason = "联合查验 joint inspection with the other agency"
    for (agency, _org, actor), decision in ((CUSTOMS, "order_inspection"), (QUARANTINE, "order_sampling")):
        if states.get(agency) == "open":  # else its risk engine has ordered one already
            op = DecideDossier(receipt.number, ow.agencies.get(agency), decision, reason, actor)
            await ow.committer.run(op)


def _uscc(ow: OneWindow, org: str) -> str:
    with ow.engines.read.connect() as conn:
        found = conn.execute(sa.select(organisations.c.uscc).where(organisations.c.id == org)).scalar_one()
    return str(found)


async def _inspect(ow: OneWindow, rng: random.Random, task_id: str, container: str, findings: int) -> None:
    run = ow.committer.run
    await run(OpenTask(task_id, CUSTOMS[0], CUSTOMS[2]))
    await run(AttendTask(task_id, QUARANTINE[0], QUARANTINE[2]))
    image, hidden, pallets = xray(rng)
    sha = await asyncio.to_thread(ow.blobs.put, png(image))
    at = ow.clock.now()  # scanned once opened
    scan = await run(RecordScan(task_id, CUSTOMS[0], CUSTOMS[2], SCANNER, container, sha, "image/png", at))
    await run(
        Annotate(
            scan["id"],
            CUSTOMS[0],
            CUSTOMS[2],
            "货物后方有高密度块状物，与申报品名不符，需开箱核实 / dense mass behind the cartons, not like "
            "the goods declared: open and check",
            hidden.as_dict(),
        )
    )
    await run(
        Annotate(
            scan["id"],
            QUARANTINE[0],
            QUARANTINE[2],
            "木质托盘，需查验有无IPPC标识及虫害 / wooden pallets: check the IPPC mark and for pests",
            pallets.as_dict(),
        )
    )
    if findings >= 1:
        await run(
            RecordFindings(
                task_id,
                CUSTOMS[0],
                CUSTOMS[1],
                CUSTOMS[2],
                "scan",
                "机检图像审看并开箱核对 scan image read and the container opened",
                "高密度物为随货备件，已补充申报 the dense mass is spare parts shipped with the goods",
                fraud=False,
                critical=False,
            )
        )
    if findings >= 2:
        await run(
            RecordFindings(
                task_id,
                QUARANTINE[0],
                QUARANTINE[1],
                QUARANTINE[2],
                "sampling",
                "托盘检疫及货物采样 pallets inspected, goods sampled",
                "托盘有IPPC标识，未见活虫 IPPC mark present, no live pests",
                fraud=False,
                critical=False,
            )
        )
        await run(CloseTask(task_id, QUARANTINE[0]))


# -- the scan image ----------------------------------------------------------------------------


WIDTH, HEIGHT = 960, 380


def xray(rng: random.Random) -> tuple[NDArray[np.uint8], Region, Region]:
    """A side-view X-ray of a 40-foot container on a trailer behind its tractor: attenuation is
    summed per pixel and shown as transmitted intensity (air white, steel and dense cargo dark).
    Returns the image, the region of the dense object hidden in the load, and a row of pallets."""
    g = np.random.default_rng(rng.randrange(2**32))
    width, height = WIDTH, HEIGHT
    a = np.zeros((height, width))
    x0, x1, top, bottom = 30, width - 190, 42, height - 92
    a[top:bottom, x0:x1] += 0.22  # the two side walls
    columns = np.arange(x0, x1)
    a[top:bottom, x0:x1] += 0.07 * (np.sin(columns * 2 * np.pi / 13) > 0)  # corrugation
    a[top : top + 9, x0:x1] += 1.3  # roof rail
    a[bottom - 12 : bottom, x0:x1] += 1.6  # floor and its cross members
    for x in (x0, x1 - 14):
        a[top:bottom, x : x + 14] += 1.8  # end frames and doors
    grain = _blur(_blur(_blur(g.random(a.shape))))  # the goods' uneven density inside the cartons
    grain = (grain - grain.min()) / (np.ptp(grain) or 1)
    pallets = _load(a, g, grain, x0 + 18, int(x0 + (x1 - x0) * g.uniform(0.78, 0.92)), top + 14, bottom - 12)
    hidden = _hidden(a, g, x0 + 60, x1 - 160, top + 40, bottom - 40)
    _trailer(a, x0, x1, bottom, width)
    a += g.normal(0, 0.025, a.shape)
    a = _blur(np.clip(a, 0, None))
    light = 1 - 0.08 * np.linspace(-1, 1, height)[:, None] ** 2  # the beam is weaker at the edges
    image = np.clip(250 * np.exp(-1.25 * a) * light + g.normal(0, 2.5, a.shape), 0, 255)
    return image.astype(np.uint8), hidden, pallets


def _load(
    a: NDArray[np.float64],
    g: np.random.Generator,
    grain: NDArray[np.float64],
    x0: int,
    x1: int,
    top: int,
    floor: int,
) -> Region:
    """Stacks of cartons of packed goods on wooden pallets; returns the region of the pallets."""
    pallet = 10
    x = x0
    while x < x1 - 30:
        w = min(int(g.integers(60, 95)), x1 - x)
        a[floor - pallet : floor, x + 2 : x + w - 2] += 0.55  # pallet deck
        a[floor - pallet : floor, x + 6 : x + w - 6 : 18] += 0.9  # pallet blocks
        y = floor - pallet
        ceiling = top + int(g.integers(0, 60))
        period = int(g.integers(7, 16))  # the packed units (tins, bottles, parts) show as a pattern
        while y > ceiling + 20:
            h = min(int(g.integers(28, 48)), y - ceiling)
            rows, cols = slice(y - h + 2, y - 1), slice(x + 3, x + w - 3)
            ys, xs = np.mgrid[rows, cols]
            units = (np.sin(xs * 2 * np.pi / period) * np.sin(ys * 2 * np.pi / period)) > 0.2
            a[rows, cols] += g.uniform(0.2, 0.6) * (0.55 + 0.9 * grain[rows, cols]) + 0.18 * units
            a[y - h + 2 : y - h + 4, cols] += 0.25  # carton walls
            y -= h
        x += w + int(g.integers(1, 5))
    return Region(x0, floor - pallet - 4, x1 - x0, pallet + 8)


def _hidden(a: NDArray[np.float64], g: np.random.Generator, x0: int, x1: int, top: int, floor: int) -> Region:
    """An irregular dense object among the cartons: what the customs officer marks."""
    w, h = int(g.integers(70, 110)), int(g.integers(45, 75))
    cx, cy = int(g.integers(x0 + w, x1 - w)), int(g.integers(top + h, floor - h))
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    wobble = 1 + 0.18 * np.sin(np.arctan2(ys - cy, xs - cx) * 5 + g.uniform(0, 6))
    d = (((xs - cx) / (w / 2)) ** 2 + ((ys - cy) / (h / 2)) ** 2) / wobble
    a += 2.2 * np.sqrt(np.clip(1 - d, 0, None))  # thickest in the middle
    a[cy - 3 : cy + 3, cx - w // 2 : cx + w // 2] += 0.8  # a bar through it
    return Region(cx - w // 2 - 12, cy - h // 2 - 12, w + 24, h + 24)


def _trailer(a: NDArray[np.float64], x0: int, x1: int, bottom: int, width: int) -> None:
    """The chassis under the container, its wheels, and the tractor in front."""
    a[bottom + 4 : bottom + 16, x0 + 10 : width - 30] += 1.6  # chassis beams
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    wheel_y = bottom + 44
    for cx in (x0 + 70, x1 - 170, x1 - 115, x1 - 60, width - 150, width - 60):
        r = np.hypot(xs - cx, ys - wheel_y)
        a[(r < 27) & (r > 16)] += 2.2  # tyre
        a[r <= 16] += 0.7  # rim
        a[r <= 7] += 1.6  # hub
    cab = (slice(bottom - 150, bottom + 4), slice(x1 + 25, width - 20))
    a[cab] += 0.35
    a[bottom - 150 : bottom - 142, x1 + 25 : width - 20] += 0.9  # cab roof
    a[bottom - 138 : bottom - 95, width - 80 : width - 28] -= 0.25  # windscreen
    a[bottom - 70 : bottom + 4, width - 125 : width - 35] += 1.6  # engine block
    a[bottom - 50 : bottom - 20, width - 110 : width - 50] += 0.8


def _blur(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """A 3×3 box blur: the detector's spread."""
    p = np.pad(a, 1, mode="edge")
    h, w = a.shape
    return sum(p[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)) / 9  # type: ignore[return-value]


def png(pixels: NDArray[np.uint8]) -> bytes:
    """An 8-bit grayscale PNG of ``pixels`` (rows of bytes, each after filter type 0)."""
    h, w = pixels.shape
    raw = np.hstack([np.zeros((h, 1), dtype=np.uint8), pixels]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
