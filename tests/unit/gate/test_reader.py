"""The simulated gate reader refuses bad arguments clearly and plans its trucks from the loads."""

from __future__ import annotations

import random

import pytest
from typer.testing import CliRunner

from onewindow.gate.reader import Load, app, plan

runner = CliRunner()
BASE = ["--url", "http://127.0.0.1:9", "--token", "ow_demo_port_office", "--gate", "G1"]


@pytest.mark.parametrize(
    "args",
    [
        ["--trucks", "0"],
        ["--rate", "0"],
        ["--wrong-seal", "1.5"],
        ["--wrong-seal", "0.6", "--unknown", "0.6"],
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(args: list[str]) -> None:
    result = runner.invoke(app, ["simulate", *BASE, *args])
    assert result.exit_code == 2
    assert "Invalid value" in result.output or "Error" in result.output


def test_an_address_without_its_scheme_is_refused() -> None:
    result = runner.invoke(app, ["simulate", "--url", "127.0.0.1:8000", "--token", "t", "--gate", "G1"])
    assert result.exit_code == 2 and "scheme" in result.output


def test_an_unreachable_onewindow_is_a_clear_error() -> None:
    result = runner.invoke(app, ["simulate", *BASE, "--trucks", "1"])
    assert result.exit_code == 1
    assert "cannot reach OneWindow" in result.output


def test_one_truck_with_too_many_containers_is_refused() -> None:
    boxes = [arg for i in range(5) for arg in ("--container", f"CSQU{i:06d}0")]
    result = runner.invoke(app, ["truck", *BASE, *boxes])
    assert result.exit_code == 2 and "at most 4" in result.output


def test_the_trucks_carry_the_loads_in_turn_some_with_a_bad_story() -> None:
    loads = [Load("A", ("CSQU3054383",), ("SL1",)), Load("B", ("TGHU1234567", "MSCU7654321"), ("SL2", "SL3"))]
    trucks = plan(loads, 200, random.Random(3), wrong_seal=0.2, unknown=0.1)
    stories = [t.story for t in trucks]
    assert 0 < stories.count("wrong_seal") < 70 and 0 < stories.count("unknown_container") < 40
    good = [t for t in trucks if t.story == "released"]
    assert {(t.containers, t.seals) for t in good} == {(load.containers, load.seals) for load in loads}
    bad = next(t for t in trucks if t.story == "wrong_seal")
    assert bad.seals[0] not in {"SL1", "SL2"}
