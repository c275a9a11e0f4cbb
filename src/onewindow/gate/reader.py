"""``onewindow gate …``: a simulated gate reader (卡口读卡器) for demos and tests.

``simulate`` drives trucks out of the controlled area through one gate, the way a reader would
report them: it reads the released import declarations' containers and seals from the API (as the
port office), sends each truck's plate, containers and seals, prints the answer, confirms the
passage when the gate opened, and ends with a summary. A share of the trucks carry a wrong seal or
a container nobody declared, so the holds can be seen too. ``truck`` sends one reading.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from onewindow.demo.samples import container_number

__all__ = ["Load", "Tally", "Truck", "app", "drive", "plan", "released_loads"]

app = typer.Typer(help="A simulated gate reader (卡口): drives trucks through a gate.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

Url = Annotated[
    str,
    typer.Option(help="The gate desk's base URL, e.g. http://127.0.0.1:8001 (the API's port answers too)"),
]
Token = Annotated[str, typer.Option(help="An API token of the port office, an administrator or an officer")]
GateId = Annotated[str, typer.Option("--gate", help="The gate's id in the facilities register")]


@dataclass(frozen=True)
class Load:
    """The containers of one released import declaration, with their declared seals."""

    number: str
    containers: tuple[str, ...]
    seals: tuple[str, ...]


@dataclass(frozen=True)
class Truck:
    plate: str
    containers: tuple[str, ...]
    seals: tuple[str, ...]
    story: str  # released | wrong_seal | unknown_container


@dataclass
class Tally:
    opened: int = 0
    held: Counter[str] = field(default_factory=Counter)
    confirmed: int = 0
    failed: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


class ReaderError(Exception):
    """Something the person running the reader must fix (address, token, data)."""


async def released_loads(client: httpx.AsyncClient, limit: int) -> list[Load]:
    """Up to ``limit`` released import declarations that have containers, newest first."""
    loads: list[Load] = []
    cursor: str | None = None
    while len(loads) < limit:
        params = {
            "status": "released",
            "kind": "import",
            "limit": "200",
            **({"cursor": cursor} if cursor else {}),
        }
        page = _json(await client.get("/v1/declarations", params=params))
        for item in page["items"]:
            load = _load(_json(await client.get(f"/v1/declarations/{item['number']}")))
            if load is not None:
                loads.append(load)
            if len(loads) >= limit:
                break
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return loads


def _load(view: dict[str, Any]) -> Load | None:
    boxes = view.get("data", {}).get("containers", [])
    if not boxes:
        return None
    seals = tuple(s for b in boxes for s in b.get("seals", []))
    return Load(view["number"], tuple(b["number"] for b in boxes), seals)


def plan(
    loads: Sequence[Load], count: int, rng: random.Random, wrong_seal: float, unknown: float
) -> list[Truck]:
    """``count`` trucks, each carrying one declaration's containers (a few with a bad story)."""
    trucks = []
    for i in range(count):
        load = loads[i % len(loads)]
        plate = f"皖B{rng.randrange(10**5):05d}"
        roll = rng.random()
        if roll < unknown:
            trucks.append(Truck(plate, (container_number(rng),), ("SL0000000",), "unknown_container"))
        elif roll < unknown + wrong_seal:
            seals = (f"SL{rng.randrange(10**7):07d}", *load.seals[1:])
            trucks.append(Truck(plate, load.containers, seals, "wrong_seal"))
        else:
            trucks.append(Truck(plate, load.containers, load.seals, "released"))
    return trucks


async def drive(
    client: httpx.AsyncClient,
    gate: str,
    trucks: Sequence[Truck],
    rate: float,
    confirm: bool = True,
    on_answer: Callable[[int, Truck, dict[str, Any]], None] | None = None,
) -> Tally:
    """Send each truck's exit reading, at most ``rate`` a second; confirm the opened ones."""
    tally = Tally()
    start = time.perf_counter()
    for i, truck in enumerate(trucks):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        body = {
            "direction": "exit",
            "plate": truck.plate,
            "containers": truck.containers,
            "seals": truck.seals,
        }
        t0 = time.perf_counter()
        r = await client.post(f"/v1/gates/{gate}/passages", json=body)
        if r.status_code != 200:
            tally.failed[r.status_code] += 1
            _refused(r)
            continue
        tally.latencies.append(time.perf_counter() - t0)
        answer = r.json()
        if answer["decision"] == "open":
            tally.opened += 1
            if confirm and await _confirm(client, gate, answer["passage_id"], tally):
                tally.confirmed += 1
        else:
            tally.held.update(x["code"] for x in answer["reasons"])
        if on_answer:
            on_answer(i, truck, answer)
    return tally


async def _confirm(client: httpx.AsyncClient, gate: str, passage_id: str, tally: Tally) -> bool:
    r = await client.post(f"/v1/gates/{gate}/passages/{passage_id}/confirm")
    if r.status_code != 200:
        tally.failed[r.status_code] += 1
    return r.status_code == 200


def _json(r: httpx.Response) -> Any:
    _refused(r)
    if r.status_code != 200:
        raise ReaderError(f"{r.request.method} {r.request.url.path} answered {r.status_code}: {r.text[:200]}")
    return r.json()


def _refused(r: httpx.Response) -> None:
    if r.status_code in (401, 403):
        raise ReaderError(f"the token was refused ({r.status_code}): {r.json()['error']['message']}")


def _print_answer(i: int, truck: Truck, answer: dict[str, Any]) -> None:
    boxes = " ".join(truck.containers)
    if answer["decision"] == "open":
        console.print(f"#{i + 1:<4} {truck.plate} {boxes} → [bold green]open[/]")
        return
    why = "; ".join(f"{x['code']}: {x['message_zh']}" for x in answer["reasons"])
    console.print(f"#{i + 1:<4} {truck.plate} {boxes} → [bold red]hold[/] {why}", soft_wrap=True)


def _summary(tally: Tally, trucks: int, elapsed: float) -> Table:
    table = Table("figure", "value", title=f"{trucks} trucks in {elapsed:.1f} s")
    table.add_row("opened", str(tally.opened))
    table.add_row("confirmed (passed)", str(tally.confirmed))
    for code, n in tally.held.most_common():
        table.add_row(f"held: {code}", str(n))
    for status, n in sorted(tally.failed.items()):
        table.add_row(f"refused with HTTP {status}", str(n))
    table.add_row(
        "answer p50 / p99", f"{tally.percentile(50) * 1000:.1f} / {tally.percentile(99) * 1000:.1f} ms"
    )
    return table


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(1)


def _client(url: str, token: str) -> httpx.AsyncClient:
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(
            "give the base URL with its scheme, e.g. http://127.0.0.1:8000", param_hint="--url"
        )
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


@app.command()
def simulate(
    url: Url,
    token: Token,
    gate: GateId,
    trucks: Annotated[int, typer.Option(min=1, max=100_000, help="How many trucks to drive out")] = 20,
    rate: Annotated[float, typer.Option(min=0.1, max=2_000, help="Trucks a second, at most")] = 5.0,
    wrong_seal: Annotated[float, typer.Option(min=0, max=1, help="Share of trucks with a wrong seal")] = 0.1,
    unknown: Annotated[
        float, typer.Option(min=0, max=1, help="Share carrying an undeclared container")
    ] = 0.1,
    confirm: Annotated[bool, typer.Option(help="Confirm the passage of every truck let out")] = True,
    seed: Annotated[int, typer.Option(help="Random seed of plates and bad stories")] = 7,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the summary only")] = False,
) -> None:
    """Drive trucks carrying released import containers out through a gate, and tally the answers."""
    if wrong_seal + unknown > 1:
        raise typer.BadParameter(
            "--wrong-seal and --unknown add up to more than 1", param_hint="--wrong-seal"
        )

    async def go() -> tuple[Tally, float]:
        async with _client(url, token) as client:
            loads = await released_loads(client, min(trucks, 500))
            if not loads:
                raise ReaderError("no released import declaration with containers to drive out")
            fleet = plan(loads, trucks, random.Random(seed), wrong_seal, unknown)
            t0 = time.perf_counter()
            tally = await drive(client, gate, fleet, rate, confirm, None if quiet else _print_answer)
            return tally, time.perf_counter() - t0

    tally, elapsed = _run(go)
    console.print(_summary(tally, trucks, elapsed))


@app.command()
def truck(
    url: Url,
    token: Token,
    gate: GateId,
    container: Annotated[
        list[str] | None, typer.Option("--container", help="A container number read; repeatable")
    ] = None,
    seal: Annotated[list[str] | None, typer.Option("--seal", help="A seal number read; repeatable")] = None,
    plate: Annotated[str, typer.Option(help="The vehicle plate")] = "皖B00000",
    direction: Annotated[str, typer.Option(help="exit or entry")] = "exit",
    confirm: Annotated[bool, typer.Option(help="Confirm the passage if the gate opens")] = False,
) -> None:
    """Send one reading and print the answer (and the confirmation)."""
    if direction not in ("exit", "entry"):
        raise typer.BadParameter("exit or entry", param_hint="--direction")
    containers, seals = container or [], seal or []
    if len(containers) > 4:
        raise typer.BadParameter("a truck carries at most 4 containers", param_hint="--container")

    async def go() -> dict[str, Any]:
        async with _client(url, token) as client:
            body = {"direction": direction, "plate": plate, "containers": containers, "seals": seals}
            r = await client.post(f"/v1/gates/{gate}/passages", json=body)
            answer: dict[str, Any] = _json(r)
            if confirm and answer["decision"] == "open":
                answer["confirmation"] = _json(
                    await client.post(f"/v1/gates/{gate}/passages/{answer['passage_id']}/confirm")
                )
            return answer

    console.print_json(data=_run(go))


def _run(go: Callable[[], Any]) -> Any:
    try:
        return asyncio.run(go())
    except ReaderError as exc:
        _fail(str(exc))
    except httpx.HTTPError as exc:
        _fail(f"cannot reach OneWindow: {exc!r}")
