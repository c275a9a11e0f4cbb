"""Runs a bulk import for the CLI: builds only what an import needs (no HTTP, no worker)."""

from __future__ import annotations

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
from onewindow.declarations.bulk import BulkImporter, import_lines
from onewindow.declarations.handlers import CHINA
from onewindow.identity.tables import organisations, users
from onewindow.kernel.clock import SystemClock
from onewindow.kernel.errors import NotFound
from onewindow.persistence.committer import Committer
from onewindow.persistence.engine import create_engines
from onewindow.settings import Settings

__all__ = ["run_import"]


def run_import(
    s: Settings, file: Path, org: str, user: str, batch: int, check_only: bool, console: Console
) -> dict[str, Any]:
    engines = create_engines(s.database_url, synchronous=s.sqlite_synchronous)
    clock = SystemClock()
    committer = Committer(engines.write, clock, max_batch=max(batch, 512))
    try:
        with engines.read.connect() as conn:
            row = conn.execute(
                sa.select(users.c.org_id, organisations.c.uscc)
                .join(organisations, organisations.c.id == users.c.org_id)
                .where(users.c.id == user)
            ).first()
        if row is None or row.org_id != org:
            raise NotFound("user of that organisation", "该单位用户", user)
        engines.start()
        committer.start()
        importer = BulkImporter(
            engines,
            committer,
            discover(s.agency_config),
            org,
            f"user:{user}",
            clock.now().astimezone(CHINA).date(),
            row.uscc,
            batch=batch,
            check_only=check_only,
        )
        columns = (
            TextColumn("importing"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("import", total=file.stat().st_size)
            importer.progress = lambda n: bar.advance(task, n)
            return import_lines(importer, file).as_dict()
    finally:
        committer.stop()
        engines.dispose()
