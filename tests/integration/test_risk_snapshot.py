"""When the risk engine sees a configuration change: this process's own changes at its next
snapshot, another process's within RECHECK_SECONDS (versions are not read in every batch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onewindow.persistence.versions import bump, config_versions
from onewindow.risk import engine as risk_engine
from onewindow.risk.engine import RiskEngine, Snapshot
from tests.fixtures.database import make_engines


class Counting:
    """A loader that counts how often the engine reloads its part."""

    def __init__(self) -> None:
        self.loads = 0

    def __call__(self, conn: sa.Connection, snap: Snapshot) -> None:
        self.loads += 1


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sa.Connection]:
    engines = make_engines(f"sqlite:///{tmp_path / 'risk.db'}")
    with engines.write.connect() as c:
        bump(c, "profiles")
        c.commit()
        yield c
    engines.dispose()


def another_process_bumps(conn: sa.Connection) -> None:
    """What another process's bump looks like from here: the row changes, this process's count not."""
    c = config_versions.c
    conn.execute(config_versions.update().where(c.name == "profiles").values(version=c.version + 1))
    conn.commit()


def test_a_change_made_by_this_process_is_seen_at_the_next_snapshot(conn: sa.Connection) -> None:
    loader = Counting()
    engine = RiskEngine({"profiles": loader})
    engine.snapshot(conn)
    assert loader.loads == 1
    bump(conn, "profiles")
    conn.commit()
    engine.snapshot(conn)
    assert loader.loads == 2


def test_another_process_change_is_seen_within_the_recheck_interval(
    conn: sa.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(risk_engine.time, "monotonic", lambda: clock[0])
    loader = Counting()
    engine = RiskEngine({"profiles": loader})
    first = engine.snapshot(conn)
    another_process_bumps(conn)

    clock[0] += risk_engine.RECHECK_SECONDS / 2
    assert engine.snapshot(conn) is first  # not compared yet
    assert loader.loads == 1

    clock[0] += risk_engine.RECHECK_SECONDS
    assert engine.snapshot(conn) is not first
    assert loader.loads == 2
    assert engine.snapshot(conn).versions["profiles"] == 2
