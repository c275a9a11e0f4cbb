"""Change counters for configuration every process caches (risk profiles, alerts, credit grades).

A writer bumps the counter in the same transaction as its change; a reader compares the small
table with the versions it cached and reloads only what changed. So a profile saved through one API
process is used by every process, with no restart and no message to lose, on SQLite and PostgreSQL
alike. A reader may skip the comparison for a short while (the risk engine: half a second) unless
this process bumped a counter meanwhile (``local_bumps``): its own changes count at once, other
processes' within that while.
"""

from __future__ import annotations

import sqlalchemy as sa

from .metadata import metadata

__all__ = ["bump", "config_versions", "local_bumps", "read_versions"]

config_versions = sa.Table(
    "config_versions",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)


_bumps = 0


def local_bumps() -> int:
    """How many times this process bumped a counter (it changes whenever this process changed
    configuration, committed or not: a reader that sees it change compares the versions again)."""
    return _bumps


def bump(conn: sa.Connection, name: str) -> None:
    global _bumps
    _bumps += 1
    c = config_versions.c
    done = conn.execute(config_versions.update().where(c.name == name).values(version=c.version + 1))
    if done.rowcount == 0:
        conn.execute(config_versions.insert().values(name=name, version=1))


def read_versions(conn: sa.Connection) -> dict[str, int]:
    return {
        name: int(v) for name, v in conn.execute(sa.select(config_versions.c.name, config_versions.c.version))
    }
