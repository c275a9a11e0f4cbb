"""Bulk submission of a JSON Lines file through the CLI (`onewindow submit`)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from onewindow.demo import samples
from tests.fixtures.servers import ONEWINDOW, cli

pytestmark = pytest.mark.slow


@pytest.fixture
def installed(tmp_path: Path) -> dict[str, str]:
    env = {"ONEWINDOW_DATA_DIR": str(tmp_path / "var")}
    cli("migrate", env=env)
    cli("demo", "--declarations", "0", env=env)
    return env


def _usccs(tmp_path: Path) -> dict[str, str]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'onewindow.db'}")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, uscc FROM organisations WHERE uscc IS NOT NULL")).all())
    engine.dispose()
    return rows


def _count(tmp_path: Path, table: str) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'onewindow.db'}")
    with engine.connect() as conn:
        n = int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return n


def _submit(env: dict[str, str], path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [*ONEWINDOW, "submit", str(path), "--org", "gangtong-broker", "--user", "gangtong-broker", *extra]
    return subprocess.run(
        args,
        env={**__import__("os").environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _summary(out: str) -> dict[str, int]:
    return json.loads(out[out.index("{") : out.rindex("}") + 1])


def _file(tmp_path: Path, good: int, bad_lines: dict[int, bytes]) -> Path:
    usccs = _usccs(tmp_path)
    rng = random.Random(4)
    path = tmp_path / "declarations.jsonl"
    with path.open("wb") as f:
        for i in range(good + len(bad_lines)):
            if i + 1 in bad_lines:
                f.write(bad_lines[i + 1] + b"\n")
                continue
            body = samples.goods_declaration(
                rng, consignee_uscc=usccs["jianghuai-trade"], declarant_uscc=usccs["gangtong-broker"], items=3
            )
            f.write(orjson.dumps(body) + b"\n")
        f.write(b"\n")  # blank lines are ignored
    return path


def test_good_lines_are_stored_bad_lines_reported_and_nothing_stored_twice(
    tmp_path: Path, installed: dict[str, str]
) -> None:
    bad = {3: b"{not json", 7: orjson.dumps({"kind": "import", "items": []})}
    path = _file(tmp_path, 2500, bad)
    report = tmp_path / "rejected.json"
    first = _submit(installed, path, "--batch", "200", "--workers", "2", "--report", str(report))
    assert first.returncode == 1, first.stderr
    assert _summary(first.stdout) == {"accepted": 2500, "replayed": 0, "rejected": 2}
    problems = json.loads(report.read_text())
    assert [p["line"] for p in problems] == [3, 7]
    assert problems[0]["errors"][0]["code"] == "malformed_request"
    assert {e["path"] for e in problems[1]["errors"]} >= {"items", "declaration_office"}
    assert "line 3" in first.stderr
    assert _count(tmp_path, "declarations") == 2500
    numbers = _count(tmp_path, "number_sequences")
    assert numbers >= 1

    again = _submit(installed, path, "--workers", "1")
    assert _summary(again.stdout) == {"accepted": 0, "replayed": 2500, "rejected": 2}
    assert _count(tmp_path, "declarations") == 2500


def test_a_check_run_validates_and_stores_nothing(tmp_path: Path, installed: dict[str, str]) -> None:
    path = _file(tmp_path, 50, {})
    r = _submit(installed, path, "--check")
    assert r.returncode == 0, r.stderr
    assert _count(tmp_path, "declarations") == 0


def test_an_unknown_user_is_refused_clearly_and_nothing_changes(
    tmp_path: Path, installed: dict[str, str]
) -> None:
    path = _file(tmp_path, 5, {})
    args = [*ONEWINDOW, "submit", str(path), "--org", "gangtong-broker", "--user", "nobody"]
    r = subprocess.run(
        args,
        env={**__import__("os").environ, **installed},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2
    assert "nobody" in r.stderr and "Traceback" not in r.stderr
    assert _count(tmp_path, "declarations") == 0
