"""Loading and saving declarations with their dossiers. Never commits: the committer does."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from stdnum import iso6346

from onewindow.agencies.states import Category
from onewindow.kernel.errors import NotFound
from onewindow.persistence.engine import RawJSON
from onewindow.persistence.metadata import insert_ignore

from .dataset import ConveyanceReport, GoodsDeclaration, declaration_adapter
from .model import Declaration, Dossier, Status, Withdrawal
from .tables import declaration_containers, declarations, dossiers, number_sequences

Data = GoodsDeclaration | ConveyanceReport

__all__ = [
    "DataCache",
    "allocate_serials",
    "data_cache",
    "insert_many",
    "load",
    "load_many",
    "save",
    "save_many",
]


_seq = number_sequences.c


def allocate_serials(conn: sa.Connection, year: int, counts: Mapping[str, int]) -> dict[str, range]:
    """Take ``counts[office]`` consecutive serials for each office, for the year. Each office's row
    stays locked until commit, taken in office order (so two writers never wait on each other in a
    circle): concurrent writers, even in other processes, get disjoint ranges, no gaps."""
    ends: dict[str, int] = {}
    for office in sorted(counts):
        n = counts[office]
        end = conn.execute(_TAKE, {"y": year, "o": office, "n": n}).scalar()
        if end is None:  # the office's first declaration of the year
            conn.execute(
                insert_ignore(conn, number_sequences), {"office": office, "year": year, "next_serial": 1}
            )
            end = conn.execute(_TAKE, {"y": year, "o": office, "n": n}).scalar_one()
        ends[office] = int(end)
    return {o: range(end - counts[o], end) for o, end in ends.items()}


# One statement object for every batch: SQLAlchemy compiles it once (a batch has one or a few
# offices; building a statement per batch cost half a millisecond of the writer's time).
_TAKE = (
    number_sequences.update()
    .where(_seq.year == sa.bindparam("y"), _seq.office == sa.bindparam("o"))
    .values(next_serial=_seq.next_serial + sa.bindparam("n"))
    .returning(_seq.next_serial)
)


def _declaration_row(d: Declaration) -> dict[str, Any]:
    return {
        "number": d.number,
        "org_id": d.org_id,
        "kind": d.data.kind,
        "office": d.data.declaration_office,
        "status": d.status.value,
        "version": d.version,
        "withdrawal": d.withdrawal.value,
        "data": RawJSON(d.source_json) if d.source_json is not None else d.data.model_dump(mode="json"),
        "submitted_by": d.submitted_by,
        "submitted_at": d.submitted_at,
        "updated_at": d.updated_at or d.submitted_at,
    }


def _container_rows(d: Declaration) -> list[dict[str, Any]]:
    if not isinstance(d.data, GoodsDeclaration):
        return []
    return [
        {
            "container": iso6346.compact(c.number),
            "number": d.number,
            "kind": d.data.kind,
            "seals": list(c.seals),
        }
        for c in d.data.containers
    ]


def _dossier_row(number: str, d: Dossier) -> dict[str, Any]:
    return {
        "number": number,
        "agency": d.agency,
        "state": d.state,
        "category": d.category.value,
        "reason": d.reason,
        "decided_by": d.decided_by,
        "acted": d.acted,
        "withdrawal": d.withdrawal.value,
        "updated_at": d.updated_at,
    }


def insert_many(
    conn: sa.Connection,
    batch: Sequence[Declaration],
    cache: DataCache | None = None,
    cached: Sequence[Declaration] | None = None,
) -> None:
    """Insert new declarations with their dossiers; those in ``cached`` (default: all) are
    remembered in ``cache``."""
    if not batch:
        return
    if cache:
        for d in batch if cached is None else cached:
            cache.put(d.number, d.version, d.data)
    conn.execute(declarations.insert(), [_declaration_row(d) for d in batch])
    conn.execute(dossiers.insert(), [_dossier_row(d.number, x) for d in batch for x in d.dossiers.values()])
    boxes = [row for d in batch for row in _container_rows(d)]
    if boxes:
        conn.execute(declaration_containers.insert(), boxes)
    for d in batch:
        for x in d.dossiers.values():
            x.dirty, x.persisted = False, True


class DataCache:
    """Parsed data sets by (number, version), least recently used out first. A version's data
    never changes, so a hit is always right; it spares re-reading and re-parsing the JSON."""

    def __init__(self, capacity: int = 2_000) -> None:
        self._items: OrderedDict[tuple[str, int], Data] = OrderedDict()
        self._capacity = capacity

    def get(self, number: str, version: int) -> Data | None:
        return self._items.get((number, version))

    def put(self, number: str, version: int, data: Data) -> None:
        self._items[(number, version)] = data
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)


def data_cache(memo: dict[str, Any]) -> DataCache:
    cache: DataCache = memo.setdefault("declaration-data", DataCache())
    return cache


def _aggregate(row: Any, data: Data, files: Sequence[Any]) -> Declaration:
    return Declaration(
        number=row.number,
        org_id=row.org_id,
        data=data,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        status=Status(row.status),
        version=row.version,
        withdrawal=Withdrawal(row.withdrawal),
        updated_at=row.updated_at,
        dossiers={
            f.agency: Dossier(
                agency=f.agency,
                state=f.state,
                category=Category(f.category),
                reason=f.reason,
                decided_by=f.decided_by,
                updated_at=f.updated_at,
                acted=f.acted,
                withdrawal=Withdrawal(f.withdrawal),
                dirty=False,
                persisted=True,
            )
            for f in files
        },
    )


def load(
    conn: sa.Connection, number: str, *, for_update: bool = False, cache: DataCache | None = None
) -> Declaration:
    found = load_many(conn, [number], for_update=for_update, cache=cache)
    if number not in found:
        raise NotFound("declaration", "报关单", number)
    return found[number]


_HEADER = [c for c in declarations.c if c.name != "data"]


def load_many(
    conn: sa.Connection, numbers: Collection[str], *, for_update: bool = False, cache: DataCache | None = None
) -> dict[str, Declaration]:
    """The declarations among ``numbers`` that exist, locked (PostgreSQL) when ``for_update``;
    data sets found in ``cache`` are not read again."""
    d = declarations.c
    q = sa.select(*_HEADER).where(d.number.in_(numbers)).order_by(d.number)
    if for_update:
        q = q.with_for_update()
    rows = conn.execute(q).all()
    data: dict[str, Data] = {}
    for r in rows:
        hit = cache.get(r.number, r.version) if cache else None
        if hit is not None:
            data[r.number] = hit
    missing = [r.number for r in rows if r.number not in data]
    if missing:
        for number, version, raw in conn.execute(
            sa.select(d.number, d.version, d.data).where(d.number.in_(missing))
        ):
            data[number] = declaration_adapter.validate_python(raw)
            if cache:
                cache.put(number, version, data[number])
    files: dict[str, list[Any]] = {}
    for f in conn.execute(sa.select(dossiers).where(dossiers.c.number.in_([r.number for r in rows]))):
        files.setdefault(f.number, []).append(f)
    return {r.number: _aggregate(r, data[r.number], files.get(r.number, [])) for r in rows}


_STATE = ("status", "version", "withdrawal", "updated_at")
_UPDATE_STATE = (
    declarations.update()
    .where(declarations.c.number == sa.bindparam("b_number"))
    .values({c: sa.bindparam(c) for c in _STATE})
)
_UPDATE_DATA = (
    declarations.update()
    .where(declarations.c.number == sa.bindparam("b_number"))
    .values({c: sa.bindparam(c) for c in (*_STATE, "data")})
)
_UPDATE_DOSSIER = (
    dossiers.update()
    .where(dossiers.c.number == sa.bindparam("b_number"), dossiers.c.agency == sa.bindparam("b_agency"))
    .values(
        {
            c: sa.bindparam(c)
            for c in ("state", "category", "reason", "decided_by", "acted", "withdrawal", "updated_at")
        }
    )
)


def save(conn: sa.Connection, d: Declaration, cache: DataCache | None = None) -> None:
    save_many(conn, [d], cache)


def save_many(conn: sa.Connection, batch: Sequence[Declaration], cache: DataCache | None = None) -> None:
    """Write back changed declarations and their changed or new dossiers (a few statements);
    the data set is written only when an amendment changed it."""
    if not batch:
        return
    for amended in (False, True):
        rows = [
            {
                "b_number": d.number,
                "status": d.status.value,
                "version": d.version,
                "withdrawal": d.withdrawal.value,
                "updated_at": d.updated_at or d.submitted_at,
                **({"data": d.data.model_dump(mode="json")} if amended else {}),
            }
            for d in batch
            if d.data_changed == amended
        ]
        if rows:
            conn.execute(_UPDATE_DATA if amended else _UPDATE_STATE, rows)
        if rows and amended:
            changed = [d for d in batch if d.data_changed]
            dc = declaration_containers.c
            conn.execute(declaration_containers.delete().where(dc.number.in_([d.number for d in changed])))
            boxes = [row for d in changed for row in _container_rows(d)]
            if boxes:
                conn.execute(declaration_containers.insert(), boxes)
    for d in batch:
        d.data_changed = False
        if cache:
            cache.put(d.number, d.version, d.data)
    updated, inserted = [], []
    for d in batch:
        for x in d.dossiers.values():
            if not x.dirty:
                continue
            values = _dossier_row(d.number, x)
            if x.persisted:
                values["b_number"], values["b_agency"] = values.pop("number"), values.pop("agency")
                updated.append(values)
            else:
                inserted.append(values)
            x.dirty, x.persisted = False, True
    if updated:
        conn.execute(_UPDATE_DOSSIER, updated)
    if inserted:
        conn.execute(dossiers.insert(), inserted)
