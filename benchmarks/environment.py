"""A throw-away OneWindow installation for one benchmark run: data dir, database, demo identities."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa
from tests.fixtures.servers import Server, cli

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KR_DATA = Path(
    os.environ.get(
        "ONEWINDOW_KR_DATA", Path(__file__).resolve().parents[1] / "../shared/data/kr-customs-declarations"
    )
)
MODEL_CACHE = Path(__file__).parent / "results" / "kr-risk-model.json"


def learned_model() -> Path | None:
    """The risk model the benchmarks run with: trained once on the Korean customs history (as a
    deployment would install one), kept under benchmarks/results; None without that data."""
    if MODEL_CACHE.exists():
        return MODEL_CACHE
    train = KR_DATA / "train.csv"
    if not train.exists():
        return None
    MODEL_CACHE.parent.mkdir(parents=True, exist_ok=True)
    cli("risk", "train", "--history", str(train), "--out", str(MODEL_CACHE), timeout=600)
    return MODEL_CACHE


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
        model = learned_model()
        if model is not None:
            cli("risk", "install", str(model), env=self.env)

    def risk(self) -> str:
        """What the risk engine had to work with (the engine is on in every benchmark)."""
        model = "a LightGBM model trained on the Korean customs history" if learned_model() else "no model"
        return f"on: {model}, random checks, credit policy (no profiles)"

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
        """``serve`` as it runs by default: with the gate desk in its own process."""
        return Server(self.env, log=self.root / "server.log", gate=True)

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
