"""Learned scores computed ahead of the write transaction (bulk imports do, to keep the model's work
out of the write lock): taken as they are while their model is in force, computed again once another
model is installed meanwhile."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.declarations.validation import parse
from onewindow.demo import samples
from onewindow.persistence.committer import Transaction
from onewindow.persistence.versions import bump
from onewindow.risk.engine import RiskEngine, RiskRun, Scored, Snapshot
from onewindow.risk.selection import RiskSettings
from tests.fixtures.database import make_engines

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SETTINGS = RiskSettings(enabled=True, target_rate=0.05, random_rate=0.0)


class CountingScorer:
    """A model that says which model it is and counts the declarations it scored."""

    def __init__(self, model_id: str, score: float) -> None:
        self.model_id, self.score, self.scored = model_id, score, 0

    def score_declaration(self, data: GoodsDeclaration) -> float:
        self.scored += 1
        return self.score

    def score_many(self, batch: Sequence[GoodsDeclaration]) -> list[float | None]:
        self.scored += len(batch)
        return [self.score] * len(batch)

    def threshold_for_rate(self, rate: float) -> float:
        return 1.0 - rate

    def drivers(self, data: GoodsDeclaration) -> list[dict[str, Any]]:
        return []


class Models:
    """The model in force, as the engine's loader reads it (a new one is installed by a bump)."""

    def __init__(self) -> None:
        self.current = CountingScorer("first", 0.25)

    def load(self, conn: sa.Connection, snap: Snapshot) -> None:
        snap.model = self.current


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sa.Connection]:
    engines = make_engines(f"sqlite:///{tmp_path / 'risk.db'}")
    with engines.write.begin() as c:
        bump(c, "model")
        yield c
    engines.dispose()


def declarations(n: int) -> list[GoodsDeclaration]:
    rng = random.Random(11)
    out = []
    for _ in range(n):
        raw = samples.goods_declaration(
            rng,
            consignee_uscc=samples.uscc_code(rng),
            declarant_uscc=samples.uscc_code(rng),
            items=3,
            today=date(2026, 11, 27),
        )
        data = parse(orjson.dumps(raw))
        assert isinstance(data, GoodsDeclaration)
        out.append(data)
    return out


def assessed_scores(
    engine: RiskEngine, conn: sa.Connection, batch: list[GoodsDeclaration], ahead: Any
) -> list[Any]:
    run = RiskRun(engine, engine.snapshot(conn), Transaction(conn, NOW))
    run.prescore(batch, ahead)
    return [run.assess(f"N{i}", 1, d, "customs", SETTINGS).score for i, d in enumerate(batch)]


def test_scores_computed_ahead_by_the_model_in_force_are_not_computed_again(conn: sa.Connection) -> None:
    models = Models()
    engine = RiskEngine({"model": models.load})
    engine.snapshot(conn)
    batch = declarations(4)

    ahead = engine.score_ahead(batch)
    assert ahead == [Scored("first", 0.25)] * 4
    assert models.current.scored == 4

    assert assessed_scores(engine, conn, batch, ahead) == [0.25] * 4
    assert models.current.scored == 4  # taken as they were


def test_a_model_installed_meanwhile_scores_the_batch_again(conn: sa.Connection) -> None:
    models = Models()
    engine = RiskEngine({"model": models.load})
    engine.snapshot(conn)
    batch = declarations(3)
    ahead = engine.score_ahead(batch)

    models.current = CountingScorer("second", 0.75)
    bump(conn, "model")

    assert assessed_scores(engine, conn, batch, ahead) == [0.75] * 3
    assert models.current.scored == 3


def test_without_a_model_nothing_is_scored_ahead(conn: sa.Connection) -> None:
    engine = RiskEngine({})
    assert engine.score_ahead(declarations(2)) == [None, None]
