"""A throw-away OneWindow installation for one benchmark run: data dir, database, demo identities."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa
from tests.fixtures.servers import Server, cli

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class BenchEnv:
    db: str
    root: Path
    database_url: str
    pg_database: str | None = None

    @classmethod
    def create(cls, db: str) -> BenchEnv:
        root = Path(tempfile.mkdtemp(prefix=f"onewindow-bench-{db}-"))
        if db == "sqlite":
            env = cls(db, root, f"sqlite:///{root / 'var' / 'onewindow.db'}")
        elif db == "postgres":
            name = f"onewindow_bench_{uuid.uuid4().hex[:8]}"
            with sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            env = cls(db, root, PG_SERVER.rsplit("/", 1)[0] + f"/{name}", name)
        else:
            raise SystemExit(f"unknown database {db!r}: use sqlite or postgres")
        env.reset()
        return env

    @property
    def env(self) -> dict[str, str]:
        return {"ONEWINDOW_DATA_DIR": str(self.root / "var"), "ONEWINDOW_DATABASE_URL": self.database_url}

    def reset(self) -> None:
        """An empty schema with the demo identities (no declarations)."""
        self.drop()
        cli("migrate", env=self.env)
        cli("demo", "--declarations", "0", env=self.env)

    def drop(self) -> None:
        if self.db == "sqlite":
            shutil.rmtree(self.root / "var", ignore_errors=True)
            return
        engine = sa.create_engine(self.database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url)

    def server(self) -> Server:
        return Server(self.env, log=self.root / "server.log")

    def durability(self) -> str:
        if self.db == "sqlite":
            return "SQLite WAL, synchronous=FULL"
        engine = self.engine()
        with engine.connect() as conn:
            fsync = conn.execute(sa.text("SHOW fsync")).scalar()
            sync = conn.execute(sa.text("SHOW synchronous_commit")).scalar()
        engine.dispose()
        return f"PostgreSQL fsync={fsync}, synchronous_commit={sync}"

    def __enter__(self) -> BenchEnv:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.pg_database:
            with sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'))
        shutil.rmtree(self.root, ignore_errors=True)
