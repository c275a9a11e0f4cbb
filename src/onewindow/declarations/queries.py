"""The read side: what declarants, officers and the port office see. Reads never lock."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.documents.tables import documents
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, NotFound
from onewindow.persistence.outbox import envelopes, events

from .tables import declarations, dossiers

__all__ = [
    "DeclarationFilter",
    "declaration_view",
    "dossier_states",
    "event_feed",
    "list_declarations",
    "recent_documents",
    "timeline",
]

MAX_PAGE = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _visible(conn: sa.Connection, number: str, who: Principal) -> sa.Row[Any]:
    row = conn.execute(sa.select(declarations).where(declarations.c.number == number)).first()
    if row is None:
        raise NotFound("declaration", "报关单", number)
    if who.role is Role.DECLARANT and row.org_id != who.org_id:
        raise NotFound("declaration", "报关单", number)
    if who.role is Role.OFFICER:
        routed = conn.execute(
            sa.select(dossiers.c.agency).where(dossiers.c.number == number, dossiers.c.agency == who.agency)
        ).first()
        if routed is None:
            raise NotFound("declaration", "报关单", number)
    return row


def _dossier_dicts(conn: sa.Connection, number: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(dossiers).where(dossiers.c.number == number).order_by(dossiers.c.agency))
    return [
        {
            "agency": r.agency,
            "state": r.state,
            "category": r.category,
            "reason": r.reason,
            "decided_by": r.decided_by,
            "withdrawal": r.withdrawal,
            "updated_at": _iso(r.updated_at),
        }
        for r in rows
    ]


def declaration_view(conn: sa.Connection, number: str, who: Principal) -> dict[str, Any]:
    """A declaration with every agency's dossier (information exchange: officers of every
    concerned agency see each other's states and reasons)."""
    row = _visible(conn, number, who)
    return {
        "number": row.number,
        "kind": row.kind,
        "office": row.office,
        "status": row.status,
        "version": row.version,
        "withdrawal": row.withdrawal,
        "org_id": row.org_id,
        "submitted_by": row.submitted_by,
        "submitted_at": _iso(row.submitted_at),
        "updated_at": _iso(row.updated_at),
        "dossiers": _dossier_dicts(conn, number),
        "data": row.data,
    }


def timeline(conn: sa.Connection, number: str, who: Principal) -> list[dict[str, Any]]:
    _visible(conn, number, who)
    q = sa.select(events).where(events.c.number == number).order_by(events.c.seq)
    return [_event_dict(e) for e in envelopes(conn.execute(q))]


def _event_dict(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "event_id": e.event_id,
        "type": e.type,
        "number": e.number,
        "agency": e.agency,
        "occurred_at": e.occurred_at,
        **e.body,
    }


def event_feed(conn: sa.Connection, who: Principal, after: int, limit: int) -> list[dict[str, Any]]:
    """Pull delivery: the caller's events after ``after`` (a seq), oldest first."""
    q = sa.select(events).where(events.c.seq > after).order_by(events.c.seq).limit(min(limit, 1000))
    if who.role is Role.DECLARANT:
        q = q.where(events.c.org_id == who.org_id)
    elif who.role is Role.OFFICER:
        q = q.where(events.c.number.in_(sa.select(dossiers.c.number).where(dossiers.c.agency == who.agency)))
    return [_event_dict(e) for e in envelopes(conn.execute(q))]


@dataclass(frozen=True)
class DeclarationFilter:
    status: str | None = None
    kind: str | None = None
    office: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    agency: str | None = None  # an officer's queue: declarations with a dossier of this agency
    category: str | None = None  # … in this dossier category
    limit: int = 50
    cursor: str | None = None


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        at, number = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return at, number
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


def list_declarations(conn: sa.Connection, who: Principal, f: DeclarationFilter) -> dict[str, Any]:
    """Newest first, keyset-paginated: ``next_cursor`` fetches the following page."""
    d = declarations.c
    cols = [d.number, d.kind, d.office, d.status, d.version, d.org_id, d.submitted_at, d.updated_at]
    q = sa.select(*cols)
    if who.role is Role.DECLARANT:
        q = q.where(d.org_id == who.org_id)
    agency = who.agency if who.role is Role.OFFICER else f.agency
    if agency is not None:
        dz = dossiers.c
        q = q.join(dossiers, sa.and_(dz.number == d.number, dz.agency == agency)).add_columns(
            dz.state, dz.category
        )
        if f.category:
            q = q.where(dz.category == f.category)
    for col, value in ((d.status, f.status), (d.kind, f.kind), (d.office, f.office)):
        if value is not None:
            q = q.where(col == value)
    if f.submitted_from is not None:
        q = q.where(d.submitted_at >= f.submitted_from)
    if f.submitted_to is not None:
        q = q.where(d.submitted_at < f.submitted_to)
    if f.cursor:
        at, number = _decode_cursor(f.cursor)
        last = conn.execute(sa.select(d.submitted_at).where(d.number == number)).scalar()
        if last is None or _iso(last) != at:
            _decode_cursor("")  # raises the same clear error
        q = q.where(sa.or_(d.submitted_at < last, sa.and_(d.submitted_at == last, d.number < number)))
    limit = max(1, min(f.limit, MAX_PAGE))
    rows = conn.execute(q.order_by(d.submitted_at.desc(), d.number.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    items = []
    for r in page:
        item = {
            "number": r.number,
            "kind": r.kind,
            "office": r.office,
            "status": r.status,
            "version": r.version,
            "org_id": r.org_id,
            "submitted_at": _iso(r.submitted_at),
            "updated_at": _iso(r.updated_at),
        }
        if agency is not None:
            item["dossier"] = {"agency": agency, "state": r.state, "category": r.category}
        items.append(item)
    next_cursor = None
    if len(rows) > limit:
        last_row = page[-1]
        next_cursor = base64.urlsafe_b64encode(
            f"{_iso(last_row.submitted_at)}|{last_row.number}".encode()
        ).decode()
    return {"items": items, "next_cursor": next_cursor}


def dossier_states(
    conn: sa.Connection, who: Principal, numbers: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Every agency's dossier state on each of ``numbers`` that the caller may see (a list's
    status badges); numbers the caller may not see are left out, as ``list_declarations`` would."""
    if not numbers:
        return {}
    d, dz = declarations.c, dossiers.c
    q = (
        sa.select(dz.number, dz.agency, dz.state, dz.category)
        .join(declarations, d.number == dz.number)
        .where(dz.number.in_(numbers))
        .order_by(dz.number, dz.agency)
    )
    if who.role is Role.DECLARANT:
        q = q.where(d.org_id == who.org_id)
    elif who.role is Role.OFFICER:
        q = q.where(dz.number.in_(sa.select(dossiers.c.number).where(dossiers.c.agency == who.agency)))
    found: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(q):
        found.setdefault(r.number, []).append({"agency": r.agency, "state": r.state, "category": r.category})
    return found


def recent_documents(conn: sa.Connection, who: Principal, limit: int = 20) -> list[dict[str, Any]]:
    """The documents the caller's organisation uploaded, newest first: what it may attach to a
    declaration (a declaration refers only to its own organisation's documents)."""
    c = documents.c
    q = (
        sa.select(c.sha256, c.doc_type, c.media_type, c.size, c.filename, c.uploaded_at)
        .where(c.org_id == who.org_id)
        .order_by(c.uploaded_at.desc(), c.sha256)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    return [
        {
            "sha256": r.sha256,
            "type": r.doc_type,
            "media_type": r.media_type,
            "size": r.size,
            "filename": r.filename,
            "uploaded_at": _iso(r.uploaded_at),
        }
        for r in conn.execute(q)
    ]
