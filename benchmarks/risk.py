"""The learned risk score: how well it ranks fraud, and how fast it scores.

    .venv/bin/python -m benchmarks.risk [--data DIR]

Trains on the Korean data set's train.csv (2020) and measures on valid.csv (2021-Q1), one JSON line
per figure, each with a baseline measured in the same run:

* precision@1/5/10%: the share of fraud among the top-scored items; baseline = the fraud rate
  (what a random selection of the same size finds);
* batch scoring, items/s: ``RiskModel.score`` on the valid items, from RiskItems to scores;
  baseline = LightGBM's own predict on the ready feature matrix of the same rows (raw model speed);
* one 10-item declaration, p99 ms: ``items_from_goods_declaration`` + ``score`` in one call;
  baseline = the 2 ms target (the raw predict of 10 ready rows is given alongside).

The machine is shared and has two cores; timings are the median of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.demo import samples
from onewindow.risk.learned.features import items_from_goods_declaration
from onewindow.risk.learned.history import read_history
from onewindow.risk.learned.model import RiskModel
from onewindow.risk.learned.quality import quality_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("ONEWINDOW_KR_DATA", ROOT / "../shared/data/kr-customs-declarations"))
TARGET_MS = 2.0


def figure(
    name: str, value: float, unit: str, baseline: float, digits: int = 3, **extra: Any
) -> dict[str, Any]:
    ratio = value / baseline if baseline else None
    return {
        "name": name,
        "value": round(value, digits),
        "unit": unit,
        "baseline": round(baseline, digits),
        "ratio": round(ratio, 3) if ratio is not None else None,
        **extra,
    }


def emit(fig: dict[str, Any]) -> None:
    print(json.dumps(fig, ensure_ascii=False), flush=True)


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def p99_ms(run: Callable[[], object], calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.percentile(times, 99) * 1e3)


def quality_figures(model: RiskModel, data: Path) -> list[dict[str, Any]]:
    report = quality_report(model, read_history(data / "valid.csv"))
    base = report["fraud_rate"]
    figures = [
        figure(f"risk_precision_at_{pct}pct", report[f"precision_at_{pct}pct"], "share", base, 4)
        for pct in (5, 10, 1)
    ]
    figures.append(figure("risk_roc_auc", report["roc_auc"], "auc", 0.5, 4))
    return figures


def speed_figures(model: RiskModel, data: Path, repeat: int, calls: int) -> list[dict[str, Any]]:
    items = [h.item for h in read_history(data / "valid.csv")]
    ready = model.encoder.matrix(items)
    booster = model.booster  # the raw model: the baseline our scoring path is measured against
    ours = len(items) / median_seconds(lambda: model.score(items), repeat)
    raw = len(items) / median_seconds(lambda: booster.predict(ready), repeat)
    rng = random.Random(11)
    declaration = GoodsDeclaration.model_validate(
        samples.goods_declaration(
            rng, consignee_uscc=samples.uscc_code(rng), declarant_uscc=samples.uscc_code(rng), items=10
        )
    )
    one = p99_ms(lambda: model.score(items_from_goods_declaration(declaration)), calls)
    ten_rows = ready[:10]
    raw_one = p99_ms(lambda: booster.predict(ten_rows, num_threads=1), calls)
    return [
        figure("risk_batch_scoring", ours, "items/s", raw, 0, items=len(items)),
        figure(
            "risk_declaration_scoring_p99",
            one,
            "ms",
            TARGET_MS,
            4,
            raw_predict_10_rows_p99_ms=round(raw_one, 4),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the Korean data set's directory")
    parser.add_argument("--repeat", type=int, default=7, help="batch scoring runs (the median counts)")
    parser.add_argument("--calls", type=int, default=5_000, help="declarations scored for the p99")
    args = parser.parse_args(argv)
    if not (args.data / "train.csv").is_file():
        print(f"no train.csv in {args.data} (use --data or ONEWINDOW_KR_DATA)", file=sys.stderr)
        return 2
    for fig in figures(args.data, args.repeat, args.calls):
        emit(fig)
    return 0


def figures(data: Path = DEFAULT_DATA, repeat: int = 7, calls: int = 5_000) -> list[dict[str, Any]]:
    """Quality on the valid split (trained on train only) and scoring speed; none without the data."""
    if not (data / "train.csv").is_file():
        print(
            f"risk figures skipped: no train.csv in {data} (use --data or ONEWINDOW_KR_DATA)", file=sys.stderr
        )
        return []
    start = time.perf_counter()
    model = RiskModel.train(read_history(data / "train.csv"))
    print(f"trained in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return quality_figures(model, data) + speed_figures(model, data, repeat, calls)


if __name__ == "__main__":
    sys.exit(main())
