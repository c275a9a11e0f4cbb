"""Loading and saving declarations with their dossiers. Never commits: the committer does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from onewindow.agencies.states import Category
from onewindow.kernel.errors import NotFound
from onewindow.persistence.metadata import insert_ignore

from .dataset import declaration_adapter
from .model import Declaration, Dossier, Status, Withdrawal
from .tables import declarations, dossiers, number_sequences

__all__ = ["allocate_serials", "insert_many", "load", "save"]


def allocate_serials(conn: sa.Connection, office: str, year: int, count: int) -> range:
    """Take ``count`` consecutive serials for an office and year. The row is locked until commit,
    so concurrent writers (even in other processes) get disjoint ranges with no gaps."""
    seq = number_sequences.c
    stmt = (
        number_sequences.update()
        .where(seq.office == office, seq.year == year)
        .values(next_serial=seq.next_serial + count)
        .returning(seq.next_serial)
    )
    end = conn.execute(stmt).scalar()
    if end is None:
        conn.execute(insert_ignore(conn, number_sequences).values(office=office, year=year, next_serial=1))
        end = conn.execute(stmt).scalar_one()
    return range(end - count, end)


def _declaration_row(d: Declaration) -> dict[str, Any]:
    return {
        "number": d.number,
        "org_id": d.org_id,
        "kind": d.data.kind,
        "office": d.data.declaration_office,
        "status": d.status.value,
        "version": d.version,
        "withdrawal": d.withdrawal.value,
        "data": d.data.model_dump(mode="json"),
        "submitted_by": d.submitted_by,
        "submitted_at": d.submitted_at,
        "updated_at": d.updated_at or d.submitted_at,
    }


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


def insert_many(conn: sa.Connection, batch: Sequence[Declaration]) -> None:
    conn.execute(declarations.insert(), [_declaration_row(d) for d in batch])
    conn.execute(dossiers.insert(), [_dossier_row(d.number, x) for d in batch for x in d.dossiers.values()])
    for d in batch:
        for x in d.dossiers.values():
            x.dirty = False


def load(conn: sa.Connection, number: str, *, for_update: bool = False) -> Declaration:
    q = sa.select(declarations).where(declarations.c.number == number)
    if for_update:
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    if row is None:
        raise NotFound("declaration", "报关单", number)
    files = conn.execute(sa.select(dossiers).where(dossiers.c.number == number)).all()
    return Declaration(
        number=row.number,
        org_id=row.org_id,
        data=declaration_adapter.validate_python(row.data),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        status=Status(row.status),
        version=row.version,
        withdrawal=Withdrawal(row.withdrawal),
        updated_at=row.updated_at,
        dossiers={
            f.agency: Dossier(
                agency=f.agency, state=f.state, category=Category(f.category), reason=f.reason,
                decided_by=f.decided_by, updated_at=f.updated_at, acted=f.acted,
                withdrawal=Withdrawal(f.withdrawal), dirty=False,
            )
            for f in files
        },
    )


def save(conn: sa.Connection, d: Declaration) -> None:
    row = _declaration_row(d)
    conn.execute(
        declarations.update()
        .where(declarations.c.number == d.number)
        .values(status=row["status"], version=row["version"], withdrawal=row["withdrawal"], data=row["data"], updated_at=row["updated_at"])
    )
    existing = {
        r.agency for r in conn.execute(sa.select(dossiers.c.agency).where(dossiers.c.number == d.number))
    }
    for x in d.dossiers.values():
        if not x.dirty:
            continue
        values = _dossier_row(d.number, x)
        if x.agency in existing:
            conn.execute(
                dossiers.update().where(dossiers.c.number == d.number, dossiers.c.agency == x.agency).values(values)
            )
        else:
            conn.execute(dossiers.insert().values(values))
        x.dirty = False
