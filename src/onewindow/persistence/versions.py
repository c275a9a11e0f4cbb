"""Change counters for configuration every process caches (risk profiles, alerts, credit grades).

A writer bumps the counter in the same transaction as its change; a reader compares one small row
per transaction with the version it cached and reloads only what changed. So a profile saved
through one API process is used by the next declaration in every process, with no restart and no
message to lose, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa

from .metadata import metadata

__all__ = ["bump", "config_versions", "read_versions"]

config_versions = sa.Table(
    "config_versions",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)


def bump(conn: sa.Connection, name: str) -> None:
    c = config_versions.c
    done = conn.execute(config_versions.update().where(c.name == name).values(version=c.version + 1))
    if done.rowcount == 0:
        conn.execute(config_versions.insert().values(name=name, version=1))


def read_versions(conn: sa.Connection) -> dict[str, int]:
    return {
        name: int(v) for name, v in conn.execute(sa.select(config_versions.c.name, config_versions.c.version))
    }
