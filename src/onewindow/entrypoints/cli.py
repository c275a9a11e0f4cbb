"""The command line: ``onewindow run`` (the embedded demo), serve, worker, migrate, demo, submit,
status, token. Long work shows a progress bar."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from onewindow.settings import Settings

app = typer.Typer(
    help="OneWindow — 国际贸易单一窗口: declare once, every agency, one release.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)

from onewindow.risk.cli import app as risk_app  # noqa: E402  (its commands import LightGBM lazily)

app.add_typer(risk_app, name="risk")
credit_app = typer.Typer(help="The enterprise credit register (企业信用).", no_args_is_help=True)
app.add_typer(credit_app, name="credit")
from onewindow.gate.reader import app as gate_app  # noqa: E402

app.add_typer(gate_app, name="gate")

DataDir = Annotated[
    Path | None,
    typer.Option(help="Where the SQLite file and documents live [env ONEWINDOW_DATA_DIR; default ./var]"),
]
DbUrl = Annotated[
    str | None, typer.Option(help="Database URL [env ONEWINDOW_DATABASE_URL; default SQLite in the data dir]")
]
NatsUrl = Annotated[
    str | None, typer.Option(help="NATS JetStream URL [env ONEWINDOW_NATS_URL; default in-process broker]")
]


def _settings(
    data_dir: Path | None, database_url: str | None, nats_url: str | None = None, role: str | None = None
) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, database_url=database_url, nats_url=nats_url, role=role)
    except ValueError as exc:  # a setting out of its range, from an option or the environment
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


@app.command()
def migrate(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Create or upgrade the database schema."""
    from onewindow.persistence.migrate import upgrade

    s = _settings(data_dir, database_url)
    s.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(s.database_url)
    console.print(f"schema is up to date on [bold]{s.database_url.split('@')[-1]}[/]")


@app.command()
def demo(
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    declarations: Annotated[int, typer.Option(min=0, max=100_000, help="How many demo declarations")] = 300,
) -> None:
    """Load the demo organisations, officers, tokens and declarations (once)."""
    s = _settings(data_dir, database_url, role="all")
    _load_demo(s, declarations)
    _print_sign_in()


def _load_demo(s: Settings, count: int) -> None:
    from onewindow.bootstrap import bootstrap
    from onewindow.demo.loader import already_loaded, load_demo

    async def go() -> dict[str, Any] | None:
        ow = bootstrap(s)
        await ow.start()
        try:
            if already_loaded(ow):
                return None
            with Progress(
                TextColumn("demo declarations"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                console=console,
            ) as bar:
                task = bar.add_task("demo", total=count)
                return await load_demo(ow, count, progress=lambda n: bar.advance(task, n))
        finally:
            await ow.stop()

    result = asyncio.run(go())
    if result is None:
        console.print("demo data already loaded")
    else:
        console.print(f"loaded {result['declarations']} declarations: {result['by_status']}")


def _print_sign_in(base: str = "http://127.0.0.1:8000", gates: str | None = None) -> None:
    from onewindow.demo.loader import DEMO_PASSWORD, DEMO_USERS

    table = Table(
        title=f"Sign in to the portal at {base}/ as one of these users (password: {DEMO_PASSWORD}), "
        "or call the API with their token (Authorization: Bearer <token>)"
    )
    for col in ("portal user", "name", "role", "organisation"):
        table.add_column(col, overflow="fold")
    table.add_column("API token", no_wrap=True, min_width=24)  # never cut: it is what people copy
    for u in DEMO_USERS:
        role = u.role.value + (f" ({u.agency})" if u.agency else "")
        table.add_row(u.user_id, u.name, role, u.org_id, u.token)
    console.print(table)
    example = f"curl -H 'Authorization: Bearer ow_demo_broker' {base}/v1/declarations"
    console.print(f"Portal: {base}/    API docs: {base}/docs    e.g.  {example}")
    if gates:
        console.print(f"Gate readers: {gates}/v1/gates/<gate id>/passages (the gate desk's own process)")


@app.command()
def serve(
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    nats_url: NatsUrl = None,
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    role: Annotated[
        str,
        typer.Option(
            help="all (API + worker, embedded), api (scaled out, with separate workers), "
            "or gate (the gate desk alone)"
        ),
    ] = "all",
    gate_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="With --role all: the gate desk's own process listens here [default: --port + 1]; "
            "0 keeps the gates in this process",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the web portal (and, on its own port, the gate desk)."""
    import uvicorn

    from onewindow.entrypoints.gate_process import GateProcess, die_with_parent
    from onewindow.entrypoints.http import create_app, create_gate_app

    s = _settings(data_dir, database_url, nats_url, role)
    desk = None
    if s.role == "gate":
        die_with_parent()
    elif s.role == "all" and gate_port != 0:
        desk = GateProcess(s, host, port + 1 if gate_port is None else gate_port)
        desk.start()
    try:
        uvicorn.run(
            create_gate_app(s) if s.role == "gate" else create_app(s),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,  # never shown at "warning"; uvicorn still built each line's arguments
            loop="uvloop",
            http="httptools",
            timeout_graceful_shutdown=5,
        )
    finally:
        if desk is not None:
            desk.stop()


@app.command()
def run(
    data_dir: DataDir = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    declarations: Annotated[int, typer.Option(help="Demo declarations to load on first run")] = 300,
    gate_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="The gate desk's port [default: --port + 1]; 0: in this process"),
    ] = None,
) -> None:
    """The embedded default in one step: migrate, load the demo (first time), serve."""
    from onewindow.persistence.migrate import upgrade

    s = _settings(data_dir, None, role="all")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(s.database_url)
    _load_demo(s, declarations)
    gates = port + 1 if gate_port is None else gate_port
    _print_sign_in(f"http://{host}:{port}", f"http://{host}:{gates}" if gates else None)
    serve(
        data_dir=s.data_dir,
        database_url=s.database_url,
        nats_url=None,
        host=host,
        port=port,
        role="all",
        gate_port=gates,
    )


@app.command()
def worker(data_dir: DataDir = None, database_url: DbUrl = None, nats_url: NatsUrl = None) -> None:
    """Run the outbox relay, the agencies' automatic rules and webhook delivery (scaled out)."""
    from onewindow.bootstrap import bootstrap

    s = _settings(data_dir, database_url, nats_url, "worker")

    async def go() -> None:
        ow = bootstrap(s)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await ow.start()
        broker = f"NATS {s.nats_url}" if s.nats_url else "the in-process broker"
        console.print(f"worker running on {s.database_url.split('@')[-1]} with {broker}")
        await stop.wait()
        await ow.stop()

    asyncio.run(go())


@app.command()
def submit(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines: one declaration per line")
    ],
    org: Annotated[str, typer.Option(help="The declaring organisation's id")],
    user: Annotated[str, typer.Option(help="The declaring user's id")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Declarations per transaction")] = 1000,
    check: Annotated[bool, typer.Option("--check", help="Only validate; store nothing")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the rejected lines' errors here as JSON")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=32, help="Processes validating and storing [default: 2, or 1 on one core]"),
    ] = None,
) -> None:
    """Submit a file of declarations in bulk (bad lines are reported and change nothing)."""
    from onewindow.bulk_cli import run_import

    s = _settings(data_dir, database_url, role="api")
    from onewindow.kernel.errors import OneWindowError

    try:
        # Two workers validate and score in parallel and take turns writing (on SQLite by the
        # writer lock: see persistence.engine.WriterLock); more than the cores only adds memory.
        n = workers or min(2, os.cpu_count() or 1)
        result = run_import(s, file, org, user, batch, check, console, n)
    except (OneWindowError, RuntimeError) as exc:
        _fail(str(exc))
        return
    summary = {k: v for k, v in result.items() if k != "problems"}
    console.print_json(json.dumps(summary))
    if result["problems"]:
        for p in result["problems"][:10]:
            for e in p["errors"][:5]:
                err.print(f"line {p['line']}: {e['path']}: {e['code']}: {e['message']}")
        if report:
            report.write_text(json.dumps(result["problems"], ensure_ascii=False, indent=1), "utf-8")
        raise typer.Exit(1)


@app.command()
def status(number: str, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Show a declaration's status and every agency's dossier."""
    from onewindow.declarations.queries import declaration_view
    from onewindow.identity.model import Principal, Role
    from onewindow.persistence.engine import create_engines

    s = _settings(data_dir, database_url)
    engines = create_engines(s.database_url)
    try:
        with engines.read.connect() as conn:
            view = declaration_view(conn, number, Principal("cli", "cli", Role.PORT_OFFICE))
    except Exception as exc:
        _fail(str(exc))
        return
    finally:
        engines.dispose()
    head = f"[bold]{view['number']}[/] {view['kind']} office {view['office']}"
    console.print(f"{head}: [bold]{view['status']}[/] (version {view['version']})")
    table = Table("agency", "state", "category", "reason", "updated")
    for d in view["dossiers"]:
        table.add_row(d["agency"], d["state"], d["category"], d["reason"], d["updated_at"])
    console.print(table)


@app.command()
def token(user_id: str, label: str = "cli", data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Issue an API token for a user (printed once; only its hash is stored)."""
    from onewindow.identity.service import IssueToken
    from onewindow.kernel.clock import SystemClock
    from onewindow.kernel.errors import OneWindowError
    from onewindow.persistence.committer import Committer
    from onewindow.persistence.engine import create_engines

    s = _settings(data_dir, database_url)
    engines = create_engines(s.database_url)
    committer = Committer(engines.write, SystemClock())
    committer.start()
    try:
        console.print(committer.run_sync(IssueToken(user_id, label)))
    except OneWindowError as exc:
        _fail(exc.message)
    finally:
        committer.stop()
        engines.dispose()


def _committed(s: Settings, op: Any) -> Any:
    """Run one operation through a committer of its own (a command outside the server)."""
    from onewindow.kernel.clock import SystemClock
    from onewindow.persistence.committer import Committer
    from onewindow.persistence.engine import create_engines

    engines = create_engines(s.database_url)
    committer = Committer(engines.write, SystemClock())
    committer.start()
    try:
        return committer.run_sync(op, timeout=600)
    finally:
        committer.stop()
        engines.dispose()


@risk_app.command("install")
def risk_install(
    model: Annotated[Path, typer.Argument(help="A model file written by 'onewindow risk train'")],
    activate: Annotated[bool, typer.Option(help="Use it from the next declaration on")] = True,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Store a trained model in the deployment; every process uses it from its next declaration."""
    from onewindow.risk.handlers import StoreModel
    from onewindow.risk.learned.model import RiskModel

    try:
        text = model.read_text("utf-8")
        RiskModel.loads(text)
    except (OSError, ValueError) as exc:
        _fail(f"{model}: {exc}")
        return
    s = _settings(data_dir, database_url)
    model_id = _committed(s, StoreModel(str(model.name), {}, text, activate))
    console.print(f"model [bold]{model_id}[/] stored{' and in use' if activate else ''}")


@risk_app.command("learn")
def risk_learn(
    activate: Annotated[bool, typer.Option(help="Use it from the next declaration on")] = True,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Train on the inspection results recorded in OneWindow and store the model."""
    from onewindow.persistence.engine import create_engines
    from onewindow.risk.handlers import StoreModel
    from onewindow.risk.learned.model import RiskModel
    from onewindow.risk.training import recorded_history

    s = _settings(data_dir, database_url)
    engines = create_engines(s.database_url)
    try:
        with engines.read.connect() as conn:
            history = list(recorded_history(conn))
    finally:
        engines.dispose()
    frauds = sum(h.fraud for h in history)
    if len(history) < 100 or frauds < 5 or frauds == len(history):
        _fail(
            f"{len(history)} inspected items ({frauds} fraudulent) are too few to learn from; "
            "record more inspection results first (at least 100 items, both outcomes)."
        )
        return
    with console.status(f"training on {len(history)} items ({frauds} fraudulent)"):
        trained = RiskModel.train(history)
    metrics = {"items": len(history), "fraud": frauds}
    model_id = _committed(
        s, StoreModel("inspection results recorded in OneWindow", metrics, trained.dumps(), activate)
    )
    console.print(
        f"model [bold]{model_id}[/] trained on {len(history)} items{' and in use' if activate else ''}"
    )


@credit_app.command("reassess")
def credit_reassess(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Run the downgrade rules over the whole register (run daily: time alone can downgrade)."""
    from onewindow.credit.handlers import Reassess

    changed = _committed(_settings(data_dir, database_url), Reassess())
    for c in changed:
        console.print(f"{c['uscc']} {c['name']}: now [bold]{c['grade']}[/]")
    console.print(f"{len(changed)} grades changed")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
