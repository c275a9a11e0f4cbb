"""The read side of the agencies: an agency's work queue with the riskiest dossiers first, and one
dossier with the decisions its agency may take now.

Both apply the API's rule (``GET /v1/agencies/{agency}/dossiers[/{number}]``): an officer reads
their own agency's queue only, the port office and administrators any agency's; a dossier that is
not routed to the agency is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onewindow.declarations import queries as declaration_queries
from onewindow.declarations.tables import declarations, dossiers
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import NotFound
from onewindow.risk.selection import SEVERITY
from onewindow.risk.tables import risk_assessments, risk_overrules

from .registry import AgencyRegistry

__all__ = ["WAITING", "QueueFilter", "agency_dossier", "may_read_queue", "risk_queue"]

WAITING = ("open", "inspection")  # the categories that wait for an officer of the agency


def may_read_queue(who: Principal, agency: str) -> None:
    """An officer reads their own agency's queue; the port office and administrators any."""
    if who.role in (Role.PORT_OFFICE, Role.ADMIN):
        return
    who.require_agency(agency)


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None  # one state of the agency's machine…
    categories: tuple[str, ...] = ()  # …or any of these categories (none: every dossier)
    channel: str | None = None  # the channel in force (an officer's overrule, else the engine's)
    page: int = 1
    size: int = 25


def _risk_columns(agency: str) -> tuple[sa.FromClause, sa.FromClause, sa.FromClause, sa.FromClause]:
    """The agency's latest assessment of each declaration and its latest overrule, to outer-join."""
    ra, ro = risk_assessments.c, risk_overrules.c
    latest = (
        sa.select(ra.number, sa.func.max(ra.version).label("version"))
        .where(ra.agency == agency)
        .group_by(ra.number)
        .subquery("latest")
    )
    overruled = (
        sa.select(ro.number, sa.func.max(ro.id).label("id"))
        .where(ro.agency == agency)
        .group_by(ro.number)
        .subquery("overruled")
    )
    return latest, risk_assessments.alias("a"), overruled, risk_overrules.alias("o")


def risk_queue(
    conn: sa.Connection, who: Principal, agency: str, f: QueueFilter, now: datetime
) -> dict[str, Any]:
    """The agency's dossiers, riskiest first: the learned score (highest first, unscored last),
    then the severity of the channel in force, then the longest waiting."""
    may_read_queue(who, agency)
    d, z = declarations.c, dossiers.c
    latest, a, overruled, o = _risk_columns(agency)
    channel = sa.func.coalesce(o.c.to_channel, a.c.channel)
    severity = sa.case({c.value: n for c, n in SEVERITY.items()}, value=channel, else_=-1)
    base = (
        sa.select(declarations)
        .join(dossiers, sa.and_(z.number == d.number, z.agency == agency))
        .outerjoin(latest, latest.c.number == d.number)
        .outerjoin(a, sa.and_(a.c.number == d.number, a.c.agency == agency, a.c.version == latest.c.version))
        .outerjoin(overruled, overruled.c.number == d.number)
        .outerjoin(o, o.c.id == overruled.c.id)
    )
    if f.state:
        base = base.where(z.state == f.state)
    elif f.categories:
        base = base.where(z.category.in_(f.categories))
    if f.channel:
        base = base.where(channel == f.channel)
    total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    size = max(1, min(f.size, declaration_queries.MAX_PAGE))
    pages = max(1, -(-total // size))
    page = max(1, min(f.page, pages))
    q = (
        base.with_only_columns(
            d.number,
            d.kind,
            d.status,
            d.submitted_at,
            d.data,
            z.state,
            z.category,
            a.c.score,
            a.c.grade,
            channel.label("channel"),
        )
        .order_by(a.c.score.desc().nulls_last(), severity.desc(), d.submitted_at, d.number)
        .limit(size)
        .offset((page - 1) * size)
    )
    items = [_queue_item(r, now) for r in conn.execute(q)]
    return {"items": items, "total": total, "page": page, "pages": pages, "size": size}


def _queue_item(r: Any, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = r.data
    goods = r.kind in ("import", "export")
    if goods:
        names = [str(i["name"]) for i in data.get("items", [])]
        declarant = data.get("declarant", {}).get("name")
        value = {"amount": data.get("total_value"), "currency": data.get("currency")}
    else:
        vessel = data.get("vessel", {})
        names = [f"{vessel.get('name', '')} / {data.get('voyage', '')}"]
        declarant = data.get("shipping_agent", {}).get("name")
        value = None
    return {
        "number": r.number,
        "kind": r.kind,
        "status": r.status,
        "state": r.state,
        "category": r.category,
        "declarant": declarant,
        "goods": names[0] if names else "",
        "more_goods": max(0, len(names) - 1),
        "value": value,
        "channel": r.channel,
        "score": r.score,
        "grade": r.grade,
        "submitted_at": r.submitted_at,
        "age": now - r.submitted_at,
    }


def agency_dossier(
    conn: sa.Connection, registry: AgencyRegistry, agency: str, number: str, who: Principal
) -> dict[str, Any]:
    """The declaration with every agency's dossier, and the decisions ``agency`` may take now
    (``allowed_decisions``); not found unless the declaration has a dossier of ``agency``."""
    target = registry.get(agency)
    may_read_queue(who, agency)
    view = declaration_queries.declaration_view(conn, number, who)
    own = next((x for x in view["dossiers"] if x["agency"] == agency), None)
    if own is None:
        raise NotFound("dossier", "案卷", f"{number}/{agency}")
    view["allowed_decisions"] = target.machine.allowed(own["state"])
    return view
