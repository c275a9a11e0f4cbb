"""OneWindow's benchmarks: one command, one JSON line per figure.

    .venv/bin/python -m benchmarks.run                 # SQLite (the embedded default) and PostgreSQL
    .venv/bin/python -m benchmarks.run --db sqlite     # one database only
    .venv/bin/python -m benchmarks.run --million       # also stream a 1,000,000-declaration file
    .venv/bin/python -m benchmarks.run --only risk     # some of: http, riskcost, bulk, risk, gate

Every figure has a baseline measured in the same run on this machine, and its ratio. Durability:
SQLite in WAL mode with synchronous=FULL (a commit is on disk before it is acknowledged);
PostgreSQL with fsync=on and synchronous_commit=on (the server's settings are read and printed).
Servers and clients run on 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import risk_cost, scenarios
from benchmarks.environment import BenchEnv

RESULTS = Path(__file__).parent / "results"


def emit(figure: dict[str, Any], out: list[dict[str, Any]]) -> None:
    print(json.dumps(figure, ensure_ascii=False), flush=True)
    out.append(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each HTTP load phase")
    parser.add_argument("--bulk", type=int, default=100_000, help="declarations in the bulk import file")
    parser.add_argument("--million", action="store_true", help="also import 1,000,000 declarations (slow)")
    parser.add_argument("--quick", action="store_true", help="short phases, small files (a smoke run)")
    parser.add_argument(
        "--only",
        default="http,riskcost,bulk,risk,gate",
        help="comma-separated: http, riskcost (HTTP with the risk engine on and off), bulk, risk, gate",
    )
    args = parser.parse_args(argv)
    only = {x.strip() for x in args.only.split(",")}
    if args.quick:
        args.seconds, args.bulk = 3.0, 5_000
    figures: list[dict[str, Any]] = []
    for db in args.db.split(","):
        if not only & {"http", "riskcost", "bulk"}:
            break
        with BenchEnv.create(db.strip()) as env:
            if "http" in only:
                for figure in asyncio.run(scenarios.http_figures(env, args.seconds)):
                    emit(figure, figures)
            if "riskcost" in only:
                for figure in asyncio.run(risk_cost.figures(env, args.seconds)):
                    emit(figure, figures)
            if "bulk" in only:
                for figure in scenarios.bulk_figures(env, args.bulk):
                    emit(figure, figures)
            if args.million:
                for figure in scenarios.bulk_figures(env, 1_000_000, name="million"):
                    emit(figure, figures)
    if "gate" in only:
        import uvloop

        from benchmarks import gate

        with BenchEnv.create("sqlite") as env:
            for figure in uvloop.run(
                gate.gate_figures(env, 3.0 if args.quick else args.seconds, 2000.0, 200.0)
            ):
                emit(figure, figures)
    if "risk" in only:
        from benchmarks import risk

        for figure in risk.figures(repeat=3 if args.quick else 7, calls=1_000 if args.quick else 5_000):
            emit(figure, figures)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"{stamp}.jsonl").write_text(
        "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in figures)
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
