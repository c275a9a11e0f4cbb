"""Runs a bulk import for the CLI: only what an import needs (no HTTP, no worker), spread over
several processes.

The file is cut into batches; worker process k takes batches k, k+n, k+2n… and stores them with its
own committer, so validation (the costly part, in Python) runs on every core while the database
takes one batch after another. Each declaration stays wholly stored or not at all, and the
content-derived idempotency keys make re-running a file (after a crash, or after fixing its bad
lines) store nothing twice.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from onewindow.agencies.registry import discover
from onewindow.bootstrap import quiet_garbage_collector
from onewindow.declarations.bulk import MAX_REPORTED, BulkImporter, import_lines
from onewindow.declarations.handlers import CHINA
from onewindow.identity.tables import organisations, users
from onewindow.kernel.clock import SystemClock
from onewindow.kernel.errors import NotFound
from onewindow.persistence.committer import Committer
from onewindow.persistence.engine import create_engines
from onewindow.risk.engine import RiskEngine
from onewindow.risk.learned.model import RiskModel
from onewindow.risk.repository import build_engine
from onewindow.settings import Settings

__all__ = ["ImportJob", "run_import"]


@dataclass(frozen=True)
class ImportJob:
    settings: Settings
    file: Path
    org: str
    user: str
    org_uscc: str | None
    batch: int
    check_only: bool


def run_import(
    s: Settings, file: Path, org: str, user: str, batch: int, check_only: bool, console: Console, workers: int
) -> dict[str, Any]:
    job = ImportJob(s, file, org, user, _declaring_uscc(s, org, user), batch, check_only)
    discover(s.agency_config)  # load the plug-ins and code tables once, before forking
    _preload_risk(s)  # the learned model too: its arrays are shared by the children, never copied
    quiet_garbage_collector()  # and freeze them, so the children's collectors never touch (copy) them
    ctx = multiprocessing.get_context("fork")  # the children share the parent's loaded code tables
    done: Synchronized[int] = ctx.Value("q", 0)
    results: multiprocessing.Queue[dict[str, Any]] = ctx.Queue()
    # This process is worker 0 and forks the others: a process that only waited would hold a whole
    # interpreter's memory (the children's writes to the pages they share with it leave it the
    # only owner of its copy) for nothing.
    children = [
        ctx.Process(target=_shard, args=(job, k, workers, done, results), daemon=True)
        for k in range(1, workers)
    ]
    for p in children:
        p.start()
    maintenance = create_engines(s.database_url)  # one WAL checkpointer for all the workers (SQLite)
    maintenance.start()
    try:
        with _progress(console, file, done):
            reports = [_reported(lambda: _import_shard(job, 0, workers, done))]
            reports += _children_reports(children, results)
    finally:
        maintenance.dispose()
    errors = [r["error"] for r in reports if "error" in r]
    failed = [p.exitcode for p in children if p.exitcode != 0]
    if failed or errors:
        raise RuntimeError(f"import worker failed ({errors or failed}); re-running the file is safe")
    return _merge(reports)


@contextlib.contextmanager
def _progress(console: Console, file: Path, done: Synchronized[int]) -> Iterator[None]:
    """A progress bar of the bytes the workers have taken, refreshed from a thread."""
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    stop = threading.Event()
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("import", total=file.stat().st_size)

        def follow() -> None:
            while not stop.wait(0.2):
                bar.update(task, completed=done.value)

        follower = threading.Thread(target=follow, name="import-progress", daemon=True)
        follower.start()
        try:
            yield
        finally:
            stop.set()
            follower.join()


def _children_reports(
    children: Sequence[BaseProcess], results: multiprocessing.Queue[Any]
) -> list[dict[str, Any]]:
    """Each child's report, read as it comes (a large one would not fit the pipe: the child waits
    for it to be read before it can exit); a child that died without one is noted by its exit."""
    reports: list[dict[str, Any]] = []
    while len(reports) < len(children):
        try:
            reports.append(results.get(timeout=0.2))
        except queue.Empty:
            if not any(p.is_alive() for p in children) and results.empty():
                break
    for p in children:
        p.join()
    return reports


_RISK: RiskEngine | None = None  # built by the parent, inherited by the forked workers


def _preload_risk(s: Settings) -> None:
    global _RISK
    if s.risk != "on":
        return
    _RISK = build_engine(s.risk_seed)
    engines = create_engines(s.database_url)
    try:
        with engines.read.connect() as conn:
            _RISK.snapshot(conn)
    finally:
        engines.dispose()


def _declaring_uscc(s: Settings, org: str, user: str) -> str | None:
    engines = create_engines(s.database_url)
    try:
        with engines.read.connect() as conn:
            row = conn.execute(
                sa.select(users.c.org_id, organisations.c.uscc)
                .join(organisations, organisations.c.id == users.c.org_id)
                .where(users.c.id == user)
            ).first()
    finally:
        engines.dispose()
    if row is None or row.org_id != org:
        raise NotFound("user of that organisation", "该单位用户", user)
    uscc: str | None = row.uscc
    return uscc


def _shard(job: ImportJob, k: int, n: int, done: Synchronized[int], results: Any) -> None:
    results.put(_reported(lambda: _import_shard(job, k, n, done)))


def _reported(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return run()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _import_shard(job: ImportJob, k: int, n: int, done: Synchronized[int]) -> dict[str, Any]:
    s = job.settings
    RiskModel.predict_threads = 1  # forked workers must (see RiskModel.predict_threads); one core each
    engines = create_engines(s.database_url, synchronous=s.sqlite_synchronous)
    clock = SystemClock()
    committer = Committer(engines.write, clock, max_batch=max(job.batch, 512))
    committer.start()  # engines.start() is not called: run_import checkpoints the log for all

    def advance(nbytes: int) -> None:
        with done.get_lock():
            done.value += nbytes

    try:
        importer = BulkImporter(
            engines,
            committer,
            discover(s.agency_config),
            job.org,
            f"user:{job.user}",
            clock.now().astimezone(CHINA).date(),
            job.org_uscc,
            batch=job.batch,
            check_only=job.check_only,
            progress=advance,
            shard=k,
            shards=n,
            risk=_RISK,
        )
        return import_lines(importer, job.file).as_dict()
    finally:
        committer.stop()
        engines.dispose()


def _merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    problems = sorted((p for r in reports for p in r["problems"]), key=lambda p: int(p["line"]))
    return {
        "accepted": sum(r["accepted"] for r in reports),
        "replayed": sum(r["replayed"] for r in reports),
        "rejected": sum(r["rejected"] for r in reports),
        "problems": problems[:MAX_REPORTED],
    }
