"""The read side of the gates: the passage log for the live view and for a declaration's goods."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.kernel.errors import FieldError, InvalidInput, NotFound

from .tables import gate_movements, gate_passages

__all__ = ["MAX_PAGE", "PassageFilter", "gates_seen", "list_passages", "passage"]

MAX_PAGE = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _dict(r: Any) -> dict[str, Any]:
    return {
        "passage_id": r.id,
        "gate_id": r.gate_id,
        "direction": r.direction,
        "plate": r.plate,
        "decision": r.decision,
        "reasons": r.reasons,
        "notes": r.notes,
        "containers": r.containers,
        "seals": r.seals,
        "read_at": _iso(r.read_at),
        "decided_at": _iso(r.decided_at),
        "asked_by": r.asked_by,
        "confirmed_at": _iso(r.confirmed_at),
        "confirmed_by": r.confirmed_by,
    }


def passage(conn: sa.Connection, gate_id: str, passage_id: str) -> dict[str, Any]:
    g = gate_passages.c
    row = conn.execute(sa.select(gate_passages).where(g.id == passage_id, g.gate_id == gate_id)).first()
    if row is None:
        raise NotFound("gate passage", "过卡记录", passage_id)
    return _dict(row)


@dataclass(frozen=True)
class PassageFilter:
    """Which passages: at a gate; or those that moved a declaration's or a container's goods
    (confirmed exits and arrivals); holds only."""

    gate_id: str | None = None
    number: str | None = None
    container: str | None = None
    decision: str | None = None
    limit: int = 50
    cursor: str | None = None


def list_passages(conn: sa.Connection, f: PassageFilter) -> dict[str, Any]:
    """Newest first, keyset-paginated: ``next_cursor`` fetches the following page."""
    g = gate_passages.c
    q = sa.select(gate_passages)
    if f.gate_id is not None:
        q = q.where(g.gate_id == f.gate_id)
    if f.decision is not None:
        q = q.where(g.decision == f.decision)
    m = gate_movements.c
    for column, value in ((m.number, f.number), (m.container, f.container)):
        if value is not None:
            q = q.where(g.id.in_(sa.select(m.passage_id).where(column == value)))
    if f.cursor:
        at, last = _decode(f.cursor)
        q = q.where(sa.or_(g.decided_at < at, sa.and_(g.decided_at == at, g.id < last)))
    limit = max(1, min(f.limit, MAX_PAGE))
    rows = conn.execute(q.order_by(g.decided_at.desc(), g.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = _encode(page[-1].decided_at, page[-1].id) if len(rows) > limit else None
    return {"items": [_dict(r) for r in page], "next_cursor": next_cursor}


def _encode(at: datetime, passage_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{passage_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        at, passage_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), passage_id
    except Exception:
        raise InvalidInput(
            [
                FieldError(
                    "cursor",
                    "bad_format",
                    "Pass back the next_cursor of the previous page unchanged.",
                    "请原样传回上一页的 next_cursor。",
                )
            ]
        ) from None


def gates_seen(conn: sa.Connection) -> list[str]:
    """The gates that have logged a passage, by id: what the live view can be filtered by."""
    g = gate_passages.c
    return list(conn.execute(sa.select(g.gate_id).distinct().order_by(g.gate_id)).scalars())
