"""Reading the risk area: profiles, alerts, IP rights, assessments and the rates by credit grade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from onewindow.credit.grades import current_policies
from onewindow.credit.policy import port_date

from .selection import INSPECTIONS
from .tables import ip_rights, risk_alerts, risk_assessments, risk_models, risk_overrules, risk_profiles

if TYPE_CHECKING:
    from .engine import RiskEngine

__all__ = [
    "alerts",
    "assessments",
    "drivers",
    "explained_assessment",
    "ip_rights_list",
    "models",
    "profiles",
    "selection_rates",
]


def _rows(conn: sa.Connection, q: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(q)]


def profiles(conn: sa.Connection, agency: str | None, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The profiles an agency owns or is shared (all of them for ``agency=None``: the port office)."""
    p = risk_profiles.c
    q = sa.select(risk_profiles).order_by(p.updated_at.desc())
    if not include_inactive:
        q = q.where(p.active.is_(True))
    rows = _rows(conn, q)
    if agency is None:
        return rows
    return [r for r in rows if r["owner_agency"] == agency or agency in r["shared_with"]]


def alerts(conn: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    a = risk_alerts.c
    return _rows(
        conn,
        sa.select(risk_alerts).where(a.revoked.is_(False), a.expires_at > now).order_by(a.created_at.desc()),
    )


def ip_rights_list(conn: sa.Connection) -> list[dict[str, Any]]:
    i = ip_rights.c
    return _rows(conn, sa.select(ip_rights).where(i.active.is_(True)).order_by(i.recorded_at.desc()))


def models(conn: sa.Connection) -> list[dict[str, Any]]:
    m = risk_models.c
    return _rows(
        conn, sa.select(m.id, m.trained_at, m.source, m.metrics, m.active).order_by(m.trained_at.desc())
    )


def assessments(conn: sa.Connection, number: str, agencies: Sequence[str] | None) -> list[dict[str, Any]]:
    """A declaration's assessments, newest version first, with the overrules of each agency."""
    a, o = risk_assessments.c, risk_overrules.c
    q = sa.select(risk_assessments).where(a.number == number).order_by(a.agency, a.version.desc())
    if agencies is not None:
        q = q.where(a.agency.in_(agencies))
    out = _rows(conn, q)
    overrules = _rows(conn, sa.select(risk_overrules).where(o.number == number).order_by(o.overruled_at))
    for row in out:
        row["overrules"] = [x for x in overrules if x["agency"] == row["agency"]]
    return out


def drivers(conn: sa.Connection, engine: RiskEngine | None, view: Mapping[str, Any]) -> dict[str, Any] | None:
    """The main drivers of the riskiest item's learned score (``{model_id, drivers}``), computed
    when an officer asks (not on the hot path); None for a vessel or without a model."""
    if engine is None or view.get("kind") not in ("import", "export"):
        return None
    model = engine.snapshot(conn).model
    if model is None:
        return None
    from onewindow.declarations.dataset import GoodsDeclaration

    data = GoodsDeclaration.model_validate(view["data"])
    return {"model_id": model.model_id, "drivers": model.drivers(data)}


def explained_assessment(
    conn: sa.Connection, engine: RiskEngine | None, view: Mapping[str, Any], agency: str
) -> dict[str, Any] | None:
    """The agency's latest assessment of a declaration (``view``: as the caller may see it) as
    ``GET /v1/risk/assessments/{number}`` explains it, with the score's drivers, the overrules,
    the channel in force and the earlier versions; None when the agency did not assess it."""
    rows = assessments(conn, str(view["number"]), [agency])
    if not rows:
        return None
    latest, earlier = rows[0], rows[1:]
    found = drivers(conn, engine, view) if latest["model_id"] else None
    if found and found["model_id"] == latest["model_id"]:
        latest["explanation"].setdefault("score", {})["drivers"] = found["drivers"]
    overrules = latest["overrules"]
    latest["channel_in_force"] = overrules[-1]["to_channel"] if overrules else latest["channel"]
    latest["earlier"] = earlier
    return latest


def selection_rates(
    conn: sa.Connection, agency: str | None, since: datetime | None, until: datetime | None, today: datetime
) -> dict[str, Any]:
    """Per agency and credit grade: assessed, selected for inspection, the rate, and the rate the
    policy in force asks for (with its ratio to the routine rate), so the port office can see the
    policy is kept."""
    a = risk_assessments.c
    selected = sa.func.sum(sa.case((a.channel.in_([c.value for c in INSPECTIONS]), 1), else_=0))
    q = sa.select(a.agency, a.grade, sa.func.count().label("assessed"), selected.label("selected")).group_by(
        a.agency, a.grade
    )
    if agency:
        q = q.where(a.agency == agency)
    if since:
        q = q.where(a.assessed_at >= since)
    if until:
        q = q.where(a.assessed_at < until)
    policy = current_policies(conn).on(port_date(today))
    by_agency: dict[str, dict[str, Any]] = {}
    for r in conn.execute(q):
        grade = r.grade or "routine"
        known = policy.has_grade(grade)
        by_agency.setdefault(r.agency, {})[grade] = {
            "assessed": r.assessed,
            "selected": int(r.selected or 0),
            "rate": (int(r.selected or 0) / r.assessed) if r.assessed else 0.0,
            "policy_rate": policy.selection_rate(grade) if known else None,
            "assumption": policy.grade(grade).assumption if known else None,
        }
    for grades in by_agency.values():
        routine = grades.get("routine", {}).get("rate")
        for g in grades.values():
            g["ratio_to_routine"] = (g["rate"] / routine) if routine else None
    return {
        "policy": {"version": policy.version, "source": policy.source, "routine_rate": policy.routine_rate},
        "agencies": by_agency,
    }
