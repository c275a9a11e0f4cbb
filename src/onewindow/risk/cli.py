"""``onewindow risk …``: train the learned risk model, measure it, score items with it.

Every command reads all of its input before writing anything, so a bad file (missing, or a malformed
row, reported with its line and column) leaves no model file behind and exits non-zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from onewindow.risk.learned.features import RiskItem
from onewindow.risk.learned.history import LabelledItem, MalformedHistory, read_history, read_items

if TYPE_CHECKING:
    from onewindow.risk.learned.model import RiskModel

ROUNDS = 150  # = learned.model.ROUNDS (a test holds them equal); LightGBM is imported only when used

app = typer.Typer(help="The learned risk score (布控风险评分): train, measure, score.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

HistoryFiles = Annotated[
    list[Path], typer.Option("--history", help="A labelled history CSV (Korean customs format); repeatable")
]
Rounds = Annotated[int, typer.Option(min=1, max=5_000, help="Boosting rounds (trees)")]
Seed = Annotated[int, typer.Option(help="Random seed: the same seed and history give the same model")]


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def train(
    history: HistoryFiles,
    out: Annotated[Path, typer.Option(help="Where to write the model file (JSON)")],
    rounds: Rounds = ROUNDS,
    seed: Seed = 7,
) -> None:
    """Train the model on inspected items and write the model file."""
    model = _train(_read(history), rounds, seed)
    model.save(out)
    console.print(f"model written to [bold]{out}[/]")


@app.command()
def quality(
    train: Annotated[list[Path], typer.Option("--train", help="Labelled history to train on; repeatable")],
    holdout: Annotated[Path, typer.Option(help="Labelled items of a later period, to measure on")],
    out: Annotated[Path | None, typer.Option(help="Also write the trained model here")] = None,
    rounds: Rounds = ROUNDS,
    seed: Seed = 7,
) -> None:
    """Train on one period, report precision@1/5/10% on a later one (and one JSON line)."""
    from onewindow.risk.learned.quality import quality_report

    history, later = _read(train), _read([holdout])
    model = _train(history, rounds, seed)
    report = quality_report(model, later)
    _print_report(report)
    if out is not None:
        model.save(out)
        console.print(f"model written to [bold]{out}[/]")
    typer.echo(json.dumps(report))


@app.command()
def score(
    file: Annotated[
        Path, typer.Argument(help="Items to score: a CSV like the history, or a goods declaration JSON")
    ],
    model: Annotated[Path, typer.Option(help="A model file written by 'train'")],
    rate: Annotated[
        float, typer.Option(min=0.0001, max=1.0, help="Inspection rate that sets 'inspect'")
    ] = 0.05,
    value_in_cny: Annotated[
        float | None, typer.Option(help="A JSON declaration's total value in CNY, if not declared in CNY")
    ] = None,
    explain: Annotated[int, typer.Option(min=0, max=20, help="Also list this many top drivers per item")] = 0,
) -> None:
    """Score items: one JSON line each, with whether the inspection rate would select it."""
    if not model.is_file():
        _fail(f"no model file at {model}")
    try:
        from onewindow.risk.learned.model import RiskModel

        risk = RiskModel.load(model)
    except (ValueError, KeyError) as exc:
        _fail(str(exc))
    ids, items = _items_to_score(file, value_in_cny)
    scores = risk.score(items)
    threshold = risk.threshold_for_rate(rate)
    for key, item, value in zip(ids, items, scores, strict=True):
        line: dict[str, object] = {
            "id": key,
            "score": round(float(value), 6),
            "inspect": bool(value >= threshold),
        }
        if explain:
            line["drivers"] = [[name, round(push, 4)] for name, push in risk.explain(item, explain)]
        typer.echo(json.dumps(line, ensure_ascii=False))
    selected = int((scores >= threshold).sum())
    err.print(
        f"scored {len(items)} items; {selected} at or above the threshold {threshold:.4f} for {rate:.1%}"
    )


def _read(paths: Sequence[Path]) -> list[LabelledItem]:
    history: list[LabelledItem] = []
    for path in paths:
        if not path.is_file():
            _fail(f"no such file: {path}")
        with console.status(f"reading {path}"):
            try:
                history.extend(read_history(path))
            except MalformedHistory as exc:
                _fail(str(exc))
    if not history:
        _fail("the history has no rows: nothing to learn from")
    return history


def _train(history: list[LabelledItem], rounds: int, seed: int) -> RiskModel:
    with Progress(
        TextColumn(f"training on {len(history):,} items"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("train", total=rounds)
        from onewindow.risk.learned.model import RiskModel

        return RiskModel.train(
            history, rounds=rounds, seed=seed, progress=lambda done, _: bar.update(task, completed=done)
        )


def _items_to_score(file: Path, value_in_cny: float | None) -> tuple[list[str], list[RiskItem]]:
    if not file.is_file():
        _fail(f"no such file: {file}")
    if file.suffix.lower() == ".json":
        return _declaration_items(file, value_in_cny)
    try:
        rows = read_items(file)
    except MalformedHistory as exc:
        _fail(str(exc))
    return [key for key, _ in rows], [item for _, item in rows]


def _declaration_items(file: Path, value_in_cny: float | None) -> tuple[list[str], list[RiskItem]]:
    from onewindow.declarations.dataset import GoodsDeclaration
    from onewindow.risk.learned.features import items_from_goods_declaration

    try:
        declaration = GoodsDeclaration.model_validate_json(file.read_bytes())
        items = items_from_goods_declaration(declaration, value_in_cny=value_in_cny)
    except ValidationError as exc:
        first = exc.errors()[0]
        _fail(f"{file} is not a goods declaration: {exc.error_count()} error(s), first: {first['msg']}")
    except ValueError as exc:
        _fail(f"{file}: {exc}")
    return [f"item {item.line}" for item in declaration.items], items


def _print_report(report: dict[str, float]) -> None:
    table = Table(title=f"Quality on {int(report['items']):,} held-out items")
    table.add_column("inspect the top", justify="right")
    table.add_column("fraud among them", justify="right")
    table.add_column("random selection", justify="right")
    for pct in (1, 5, 10):
        table.add_row(f"{pct}%", f"{report[f'precision_at_{pct}pct']:.3f}", f"{report['fraud_rate']:.3f}")
    console.print(table)
    console.print(f"ROC AUC {report['roc_auc']:.3f}")
