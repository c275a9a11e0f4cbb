"""The two app factories: the whole OneWindow, and the gate desk alone (``serve --role gate``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from onewindow.entrypoints import cli
from onewindow.entrypoints.http import create_app, create_gate_app, telemetry
from onewindow.settings import ROLES, Settings


def paths(app: FastAPI) -> set[str]:
    documented: dict[str, object] = app.openapi()["paths"]
    return set(documented)


def test_the_gate_desk_serves_the_gate_routes_and_nothing_else() -> None:
    desk, whole = paths(create_gate_app(Settings())), paths(create_app(Settings()))
    gates = {p for p in whole if p.startswith("/v1/gates")}
    assert len(gates) >= 4 and desk == gates | {"/healthz"}
    assert "/v1/declarations" in whole


def test_fastapis_telemetry_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONEWINDOW_OTEL", raising=False)
    off = telemetry()
    assert off == {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    assert create_app(Settings())._telemetry["tracing"] is False  # what FastAPI checks per request
    monkeypatch.setenv("ONEWINDOW_OTEL", "on")
    assert telemetry() == {}  # FastAPI's defaults: on, with whatever provider the deployment set


def test_the_gate_role_is_known_and_an_unknown_one_is_refused() -> None:
    assert "gate" in ROLES and Settings(role="gate").runs_worker is False
    with pytest.raises(ValueError, match="role must be one of"):
        Settings(role="gates")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["serve", "--role", "bogus"], "role must be one of all, api, worker, gate"),
        (["serve", "--gate-port", "70000"], "--gate-port"),
        (["serve", "--gate-port", "-1"], "--gate-port"),
        (["run", "--gate-port", "-1"], "--gate-port"),
    ],
)
def test_serve_refuses_a_bad_role_or_port_before_starting_anything(
    args: list[str], says: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli.app, [*args, "--data-dir", str(tmp_path / "var")])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert not (tmp_path / "var").exists(), "nothing was created"
