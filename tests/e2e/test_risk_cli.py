"""The learned model through the CLI: trained on a labelled history file, measured on a later one,
installed into a deployment (used from its next declaration), or learned from the inspection
results recorded in OneWindow itself. Bad input writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from onewindow.inspection.tables import inspection_results
from onewindow.risk.tables import risk_models
from tests.fixtures.servers import ONEWINDOW, cli

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("ONEWINDOW_KR_DATA", ROOT / "../shared/data/kr-customs-declarations"))
needs_data = pytest.mark.skipif(not (DATA / "train.csv").is_file(), reason=f"no Korean data set at {DATA}")


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ONEWINDOW, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=600
    )


def head(src: Path, dst: Path, lines: int) -> Path:
    with src.open() as f, dst.open("w") as out:
        for i, line in enumerate(f):
            if i > lines:
                break
            out.write(line)
    return dst


def models(env: dict[str, str]) -> list[tuple[str, bool]]:
    engine = sa.create_engine(f"sqlite:///{env['ONEWINDOW_DATA_DIR']}/onewindow.db")
    with engine.connect() as conn:
        rows = [
            (r.source, r.active) for r in conn.execute(sa.select(risk_models.c.source, risk_models.c.active))
        ]
    engine.dispose()
    return rows


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {"ONEWINDOW_DATA_DIR": str(tmp_path / "var")}
    cli("migrate", env=e)
    return e


@needs_data
def test_a_model_trained_on_a_history_file_is_measured_and_installed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    train = head(DATA / "train.csv", tmp_path / "train.csv", 4000)
    later = head(DATA / "valid.csv", tmp_path / "valid.csv", 1500)
    model = tmp_path / "model.json"

    r = run("risk", "quality", "--train", str(train), "--holdout", str(later), "--out", str(model), env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["precision_at_5pct"] > report["fraud_rate"]  # better than choosing at random

    r = run("risk", "install", str(model), env=env)
    assert r.returncode == 0, r.stderr
    assert models(env) == [("model.json", True)]


def test_a_file_that_is_not_a_model_is_refused_and_nothing_is_stored(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bad = tmp_path / "model.json"
    bad.write_text('{"format": "something else"}')

    r = run("risk", "install", str(bad), env=env)

    assert r.returncode == 2 and "model.json" in r.stderr
    assert models(env) == []


def test_a_malformed_history_names_its_line_and_writes_no_model(tmp_path: Path, env: dict[str, str]) -> None:
    history = tmp_path / "history.csv"
    history.write_text("Declaration ID,Date\n1,not-a-date\n")
    out = tmp_path / "model.json"

    r = run("risk", "train", "--history", str(history), "--out", str(out), env=env)

    assert r.returncode != 0 and "history.csv" in (r.stderr + r.stdout)
    assert not out.exists()


def test_learning_from_recorded_results_needs_enough_of_them_then_installs_a_model(
    env: dict[str, str],
) -> None:
    cli("demo", "--declarations", "60", env=env)
    engine = sa.create_engine(f"sqlite:///{env['ONEWINDOW_DATA_DIR']}/onewindow.db")
    before = models(env)
    with engine.begin() as conn:
        conn.execute(sa.delete(inspection_results))

    r = run("risk", "learn", env=env)
    assert r.returncode == 2 and "too few" in r.stderr
    assert models(env) == before

    with engine.begin() as conn:  # officers' results on every goods declaration, a fifth of them fraud
        numbers = (
            conn.execute(sa.text("SELECT number FROM declarations WHERE kind = 'import'")).scalars().all()
        )
        now = datetime.now(UTC)
        conn.execute(
            inspection_results.insert(),
            [
                {
                    "id": f"r{i}",
                    "number": n,
                    "container": None,
                    "vessel_imo": None,
                    "inspector_kind": "agency",
                    "agency": "customs",
                    "inspector_org": "hefei-customs",
                    "kind": "manual",
                    "checked": "goods",
                    "findings": "",
                    "fraud": i % 5 == 0,
                    "critical": False,
                    "inspected_at": now - timedelta(days=1),
                    "recorded_by": "user:customs-officer",
                    "recorded_at": now,
                }
                for i, n in enumerate(numbers)
            ],
        )
    engine.dispose()

    r = run("risk", "learn", env=env)
    assert r.returncode == 0, r.stderr
    learned = [m for m in models(env) if m[0] == "inspection results recorded in OneWindow"]
    assert learned == [("inspection results recorded in OneWindow", True)]
    assert sum(active for _, active in models(env)) == 1
