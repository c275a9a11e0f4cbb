"""The measured scenarios. Each returns figures as dicts ready to print."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import psutil
import sqlalchemy as sa
from tests.fixtures.servers import ONEWINDOW

from benchmarks.environment import BenchEnv
from benchmarks.loadgen import Connection, build_request, closed_loop, open_loop
from onewindow.demo import samples
from onewindow.demo.loader import INVOICE_PDF

TOKEN = {"Authorization": "Bearer ow_demo_broker"}
PLACEHOLDER = b"BLPLACEHOLDER0"
ITEMS = 10


def figure(name: str, value: float, unit: str, baseline: float, **extra: Any) -> dict[str, Any]:
    ratio = value / baseline if baseline else None
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 3) if ratio is not None else None,
        **extra,
    }


def templates(env: BenchEnv, count: int = 500) -> list[bytes]:
    """Valid 10-item declarations every agency releases automatically (customs only, invoice
    attached), each with a placeholder bill of lading made unique per use."""
    engine = env.engine()
    with engine.connect() as conn:
        usccs = dict(conn.execute(sa.text("SELECT id, uscc FROM organisations WHERE uscc IS NOT NULL")).all())
    engine.dispose()
    rng = random.Random(42)
    invoice = [{"type": "invoice", "sha256": hashlib.sha256(INVOICE_PDF).hexdigest()}]
    out = []
    for _ in range(count):
        raw = samples.goods_declaration(
            rng,
            consignee_uscc=usccs["jianghuai-trade"],
            declarant_uscc=usccs["gangtong-broker"],
            items=ITEMS,
            commodities=samples.COMMODITIES[:9],
            documents=invoice,
            today=date.today(),
        )
        raw["transport"]["bill_of_lading"] = PLACEHOLDER.decode()
        out.append(orjson.dumps(raw))
    return out


def bodies(tpl: list[bytes], n: int, start: int = 0) -> Iterator[bytes]:
    for i in range(start, start + n):
        yield tpl[i % len(tpl)].replace(PLACEHOLDER, f"BL{i:012d}".encode())


class MemorySampler:
    """Peak memory of a process and its children, sampled every 100 ms in a thread: the sum of
    their proportional set sizes (PSS: pages shared between forked workers counted once)."""

    def __init__(self, pid: int) -> None:
        self._proc = psutil.Process(pid)
        self.peak = self.first = self._sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        total = 0
        for p in [self._proc, *self._proc.children(recursive=True)]:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, self._sample())
            except psutil.Error:
                return

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


async def http_figures(env: BenchEnv, seconds: float) -> list[dict[str, Any]]:
    env.reset()
    durability = env.durability()
    tpl = templates(env)
    server = env.server().start()
    assert server.proc is not None
    memory = MemorySampler(server.proc.pid)
    host, port = "127.0.0.1", server.port
    try:
        n = int(seconds * 4000)
        await phase(host, port, SUBMIT, tpl, 500, 10**9, 30, connections=32)
        # Rounds of the baseline then the submissions, and the median of each: on a shared machine
        # one phase of a few seconds can land on a quiet or a busy moment.
        validates, submits = [], []
        for r in range(ROUNDS):
            validates.append(await phase(host, port, VALIDATE, tpl, n, r * n, seconds))
            submits.append(await phase(host, port, SUBMIT, tpl, n, r * n, seconds))
        validate, submit = _median(validates), _median(submits)
        await settled(env, timeout=120)
        latency, acks = await _release_latency(host, port, tpl, rate=200.0, seconds=seconds)
    finally:
        peak = memory.stop()
        server.stop()
    db = env.db
    return [
        figure(
            f"{db}.http_submissions",
            submit.rate,
            "declarations/s",
            validate.rate,
            baseline_name="validate-only endpoint",
            target=">= 1000/s and ratio >= 0.5",
            items=ITEMS,
            durability=durability,
            risk=env.risk(),
            errors=submit.errors,
            rounds=[round(x.rate, 1) for x in submits],
            baseline_rounds=[round(x.rate, 1) for x in validates],
        ),
        figure(
            f"{db}.release_latency_p99",
            latency * 1000,
            "ms",
            acks * 1000,
            baseline_name="acknowledgement p99",
            target="< 100 ms at 200/s offered",
            durability=durability,
            risk=env.risk(),
        ),
        figure(
            f"{db}.server_peak_memory",
            peak / 2**20,
            "MiB",
            memory.first / 2**20,
            baseline_name="memory at start",
            target="< 400 MB",
        ),
    ]


ROUNDS = 3
SUBMIT, VALIDATE = "/v1/declarations", "/v1/declarations/validate"


async def phase(
    host: str,
    port: int,
    path: str,
    tpl: list[bytes],
    n: int,
    start: int,
    seconds: float,
    connections: int = 64,
) -> Any:
    """``seconds`` of posting declarations ``start`` to ``start + n`` (at most) to ``path`` over
    ``connections`` connections, each sending its next as soon as it has an answer."""
    reqs = [build_request("POST", path, host, b, TOKEN) for b in bodies(tpl, n, start)]
    return await closed_loop(host, port, reqs, connections, seconds)


def _median(results: list[Any]) -> Any:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


async def settled(env: BenchEnv, timeout: float) -> None:
    engine = env.engine()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                unpublished = conn.execute(
                    sa.text("SELECT count(*) FROM events WHERE published = false")
                ).scalar()
            if not unpublished:  # the agencies decide on receipt: nothing else is left to do
                return
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()


async def _release_latency(
    host: str, port: int, tpl: list[bytes], rate: float, seconds: float
) -> tuple[float, float]:
    """Offer ``rate`` submissions a second; the declarant polls its event feed every 10 ms, and a
    declaration's latency runs from its scheduled send to the moment its release is seen."""
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    held: set[str] = set()  # selected for inspection by the risk engine: no automatic release
    poller = Connection(host, port)
    await poller.open()
    after = await _last_seq(poller)
    done = asyncio.Event()

    async def poll() -> None:
        nonlocal after
        while not done.is_set() or len(seen) + len(held) < len(sent):
            _, body = await poller.request(_feed_request(after))
            now = time.perf_counter()
            feed = orjson.loads(body)
            for e in feed["events"]:
                if e["type"] == "DeclarationReleased":
                    seen[e["number"]] = now
                elif e["type"] == "DossierDecided" and e["decision"] != "release":
                    held.add(e["number"])
            after = feed["last_seq"]
            if done.is_set() and time.perf_counter() > deadline:
                return
            await asyncio.sleep(0.01)

    def answered(i: int, due: float, status: int, body: bytes) -> None:
        if status == 201:
            sent[orjson.loads(body)["number"]] = due

    deadline = float("inf")
    task = asyncio.create_task(poll())
    n = int(rate * seconds)
    reqs = [build_request("POST", "/v1/declarations", host, b, TOKEN) for b in bodies(tpl, n, 2 * 10**9)]
    result = await open_loop(host, port, reqs, rate, answered)
    deadline = time.perf_counter() + 30
    done.set()
    await asyncio.wait_for(task, 60)
    poller.close()
    latencies = sorted(seen[k] - sent[k] for k in sent if k in seen)

    missing = len(sent) - len(latencies) - len(held & set(sent))
    if missing:
        raise RuntimeError(f"{missing} releases not seen within 30 s")
    return latencies[int(0.99 * (len(latencies) - 1))], result.percentile(99)


def _feed_request(after: int) -> bytes:
    head = f"GET /v1/events?after={after}&limit=1000 HTTP/1.1\r\nHost: x\r\n"
    return f"{head}Authorization: {TOKEN['Authorization']}\r\n\r\n".encode()


async def _last_seq(conn: Connection) -> int:
    seq = 0
    while True:
        _, body = await conn.request(_feed_request(seq))
        feed = orjson.loads(body)
        if not feed["events"]:
            return seq
        seq = feed["last_seq"]


def bulk_figures(env: BenchEnv, n: int, name: str = "bulk") -> list[dict[str, Any]]:
    env.reset()
    durability = env.durability()
    tpl = templates(env)
    small, big = env.root / "small.jsonl", env.root / f"{name}.jsonl"
    _write(small, tpl, 1_000, start=10**9)
    _write(big, tpl, n)
    small_run = _import(env, small)
    run = _import(env, big)
    assert run["accepted"] == n, run
    figures = [
        figure(
            f"{env.db}.{name}_import_peak_memory",
            run["peak_rss"] / 2**20,
            "MiB",
            small_run["peak_rss"] / 2**20,
            baseline_name="same import of 1,000 declarations (PSS of the importer and its workers)",
            target="< 300 MB whatever the file's size",
            declarations=n,
            file_mib=round(big.stat().st_size / 2**20),
        )
    ]
    if name == "bulk":
        raw = _raw_insert_rate(env, batch=1000)
        figures.insert(
            0,
            figure(
                f"{env.db}.bulk_import",
                n / run["seconds"],
                "declarations/s",
                raw,
                baseline_name="raw insert of the same rows, same durability and batch size",
                target=">= 10000/s and ratio >= 0.25",
                durability=durability,
                risk=env.risk(),
                batch=1000,
                declarations=n,
            ),
        )
    big.unlink()
    return figures


def _write(path: Path, tpl: list[bytes], n: int, start: int = 0) -> None:
    with path.open("wb") as f:
        for body in bodies(tpl, n, start):
            f.write(body + b"\n")


def _import(env: BenchEnv, path: Path) -> dict[str, Any]:
    args = [
        *ONEWINDOW,
        "submit",
        str(path),
        "--org",
        "gangtong-broker",
        "--user",
        "gangtong-broker",
        "--batch",
        "1000",
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, env={**os.environ, **env.env, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    memory = MemorySampler(proc.pid)
    stdout, stderr = proc.communicate(timeout=3600)
    seconds = time.perf_counter() - start
    peak = memory.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"import failed: {stderr.decode()[-2000:]}")
    summary = orjson.loads(stdout[stdout.index(b"{") : stdout.rindex(b"}") + 1])
    return {**summary, "seconds": seconds, "peak_rss": peak}


TABLES = ("declarations", "dossiers", "events", "idempotency_keys")


def _raw_insert_rate(env: BenchEnv, batch: int) -> float:
    """Insert the very rows the import wrote into empty tables of the same schema, through the
    bare DB-API driver, ``batch`` declarations per transaction at the same durability setting;
    declarations per second."""
    engine = env.engine()
    raw = engine.raw_connection()
    cur = raw.cursor()
    columns: dict[str, list[str]] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for t in TABLES:
        columns[t] = [
            c["name"] for c in sa.inspect(engine).get_columns(t) if not (t == "events" and c["name"] == "seq")
        ]
        cast = "::text" if env.db == "postgres" else ""
        cur.execute(f"SELECT {', '.join(c + cast for c in columns[t])} FROM {t} ORDER BY number")
        rows[t] = cur.fetchall()
    raw.close()
    engine.dispose()
    env.drop()
    from tests.fixtures.servers import cli

    cli("migrate", env=env.env)
    engine = env.engine()
    raw = engine.raw_connection()
    cur = raw.cursor()
    if env.db == "sqlite":
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
    mark = "?" if env.db == "sqlite" else "%s"
    numbers = [r[0] for r in rows["declarations"]]
    index = {t: columns[t].index("number") for t in TABLES}
    grouped: dict[str, dict[str, list[tuple[Any, ...]]]] = {t: {} for t in TABLES}
    for t in TABLES:
        for r in rows[t]:
            grouped[t].setdefault(r[index[t]], []).append(r)
    statements = {
        t: f"INSERT INTO {t} ({', '.join(columns[t])}) VALUES ({', '.join([mark] * len(columns[t]))})"
        for t in TABLES
    }
    start = time.perf_counter()
    for i in range(0, len(numbers), batch):
        chunk = numbers[i : i + batch]
        for t in TABLES:
            cur.executemany(statements[t], [r for n in chunk for r in grouped[t].get(n, [])])
        raw.commit()
    rate = len(numbers) / (time.perf_counter() - start)
    raw.close()
    engine.dispose()
    return rate
