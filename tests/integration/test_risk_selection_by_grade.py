"""The inspection-rate policy per credit grade, shown over thousands of generated declarations
assessed by the real engine (profiles, learned-score stand-in, credit register, random checks).

A dishonest enterprise's declarations are selected at 80% or more; an advanced certified
enterprise's at under a fifth of the routine rate; the random part is reproducible."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from onewindow.credit.tables import enterprises
from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.demo import samples
from onewindow.persistence.committer import Transaction
from onewindow.persistence.versions import bump
from onewindow.risk.engine import RiskEngine, Snapshot
from onewindow.risk.repository import CREDIT, build_engine
from onewindow.risk.selection import INSPECTIONS, Channel, RiskSettings, draw
from tests.fixtures.database import make_engines

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
N = 3000
SETTINGS = RiskSettings(enabled=True, target_rate=0.02, random_rate=0.005)
USCC = {
    "routine": samples.uscc_code(random.Random(1)),
    "advanced_certified": samples.uscc_code(random.Random(2)),
    "dishonest": samples.uscc_code(random.Random(3)),
}


class UniformScorer:
    """A stand-in for the learned model: a score uniform in [0, 1) per declaration, so exactly the
    target share of routine declarations scores above the threshold."""

    model_id = "uniform"

    def score_declaration(self, data: GoodsDeclaration) -> float:
        return draw("score", data.transport.bill_of_lading, "", "")

    def threshold_for_rate(self, rate: float) -> float:
        return 1.0 - rate

    def drivers(self, data: GoodsDeclaration) -> list[dict[str, Any]]:
        return []


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sa.Connection]:
    engines = make_engines(f"sqlite:///{tmp_path / 'risk.db'}")
    with engines.write.begin() as c:
        for grade, uscc in USCC.items():
            c.execute(
                enterprises.insert().values(
                    uscc=uscc,
                    name=grade,
                    grade=grade,
                    since=date(2025, 1, 1),
                    org_id=None,
                    customs_broker=False,
                    declarations_last_year=1000,
                    updated_at=NOW,
                )
            )
        bump(c, CREDIT)
        yield c
    engines.dispose()


def engine_with_model() -> RiskEngine:
    engine = build_engine("onewindow")

    def model(conn: sa.Connection, snap: Snapshot) -> None:
        snap.model = UniformScorer()

    engine._loaders["risk-model"] = model  # the learned model replaced by its stand-in
    return engine


def selection_rate(conn: sa.Connection, engine: RiskEngine, grade: str) -> float:
    rng = random.Random(grade)
    broker = samples.uscc_code(random.Random(99))
    run = engine.run(Transaction(conn, NOW))
    selected = 0
    for i in range(N):
        body = samples.goods_declaration(
            rng, consignee_uscc=USCC[grade], declarant_uscc=broker, items=2, today=NOW.date()
        )
        data = GoodsDeclaration.model_validate(body)
        a = run.assess(f"3301{2026}0{i:013d}", 1, data, "customs", SETTINGS)
        selected += a.channel in INSPECTIONS
    run.assessments.clear()
    return selected / N


def test_the_credit_policy_holds_over_thousands_of_declarations(conn: sa.Connection) -> None:
    engine = engine_with_model()
    routine = selection_rate(conn, engine, "routine")
    advanced = selection_rate(conn, engine, "advanced_certified")
    dishonest = selection_rate(conn, engine, "dishonest")

    assert 0.015 <= routine <= 0.04  # target 2% by score, 0.5% at random
    assert advanced < 0.2 * routine
    assert dishonest >= 0.8


def test_every_draw_is_rederived_from_the_number_agency_and_seed(conn: sa.Connection) -> None:
    engine = build_engine("onewindow")
    rng = random.Random(5)
    broker = samples.uscc_code(random.Random(98))
    run = engine.run(Transaction(conn, NOW))
    for i in range(50):
        data = GoodsDeclaration.model_validate(
            samples.goods_declaration(rng, consignee_uscc=USCC["routine"], declarant_uscc=broker, items=1)
        )
        number = f"330120260{i:09d}"
        first = run.assess(number, 1, data, "customs", SETTINGS)
        again = run.assess(number, 1, data, "customs", SETTINGS)
        assert first.explanation["random"] == again.explanation["random"]
        assert first.explanation["random"]["draw"] == draw("onewindow", number, "customs", "random")
        assert first.explanation["credit"]["draw"] == draw("onewindow", number, "customs", "credit")
    other_seed = build_engine("another-seed").run(Transaction(conn, NOW))
    moved = other_seed.assess("330120260000000001", 1, data, "customs", SETTINGS)
    assert moved.explanation["random"]["draw"] != draw("onewindow", "330120260000000001", "customs", "random")


def test_a_random_rate_of_one_selects_everything_and_zero_nothing(conn: sa.Connection) -> None:
    engine = build_engine("onewindow")
    run = engine.run(Transaction(conn, NOW))
    rng = random.Random(6)
    broker = samples.uscc_code(random.Random(97))
    always = RiskSettings(enabled=True, target_rate=0.0, random_rate=1.0)
    never = RiskSettings(enabled=True, target_rate=0.0, random_rate=0.0)
    for i in range(100):
        data = GoodsDeclaration.model_validate(
            samples.goods_declaration(rng, consignee_uscc=USCC["routine"], declarant_uscc=broker, items=1)
        )
        assert run.assess(f"33012026{i:010d}", 1, data, "customs", always).channel is not Channel.RELEASE
        assert run.assess(f"33012026{i:010d}", 1, data, "customs", never).channel is Channel.RELEASE
