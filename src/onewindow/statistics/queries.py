"""Each figure of the port office's dashboard, computed from what OneWindow stores: declarations
and their dossiers, the events (the outbox is also the timeline), the risk assessments, the credit
policy and the facilities register. Reads never lock.

Every figure is a table (``Figure``: columns and rows) so that the chart, the JSON and the CSV
export show the same numbers. What counts where:

- declarations **lodged** in the period (submitted between ``from`` 00:00 and the end of ``to``,
  China time) make the volumes, the agencies' outcomes, the channels, the credit-grade rates,
  the release and inspection rates and the late list;
- declarations **released** in the period make the clearance times (a time is known once the
  declaration is released), bucketed by the day of their release.

Hours are rounded to two decimals and rates to four, in the rows themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from onewindow.credit.grades import current_policies
from onewindow.credit.policy import GradeCode, port_date
from onewindow.declarations.tables import declarations, dossiers
from onewindow.facilities import queries as facilities
from onewindow.facilities.hours import Period
from onewindow.kernel.errors import NotFound
from onewindow.persistence.outbox import events
from onewindow.risk.selection import INSPECTIONS, Channel
from onewindow.risk.tables import risk_assessments

from .filters import PORT_TIME, Filters
from .measures import (
    Change,
    Clearance,
    Situation,
    Stage,
    clearance,
    expected_hours,
    hours_between,
    mean,
    quantile,
    rate,
)
from .ports import port

__all__ = ["AGENCIES", "CHANNELS", "FIGURES", "GRADES", "KINDS", "OUTCOMES", "Figure", "Snapshot", "offices"]

KINDS = ("import", "export", "vessel_arrival", "vessel_departure")
AGENCIES = ("customs", "quarantine", "border", "maritime")  # the order they are shown in
OUTCOMES = ("released", "refused", "withdrawn", "inspection", "action_required", "open")
CHANNELS = tuple(c.value for c in Channel)
GRADES = tuple(g.value for g in GradeCode)
CREDIT_AGENCIES = ("customs", "quarantine")  # the agencies whose selection the credit policy sets
GOODS = ("import", "export")
FINAL = ("released", "refused", "withdrawn")
_LIFE = ("DossierOpened", "DossierDecided", "DossierResubmitted", "DeclarationReleased")


@dataclass(frozen=True)
class Figure:
    """One figure as a table: ``rows`` hold a value for each of ``columns``; ``meta`` says what
    else a reader needs (the policy in force, the period...)."""

    id: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, filters: Filters) -> dict[str, Any]:
        return {
            "figure": self.id,
            "filters": filters.as_dict(),
            "columns": list(self.columns),
            "rows": self.rows,
            **({"meta": self.meta} if self.meta else {}),
        }


@dataclass(frozen=True)
class Life:
    """One declaration as the figures see it."""

    number: str
    kind: str
    office: str
    status: str
    submitted_at: datetime
    released_at: datetime | None
    inspected: bool
    clearance: Clearance | None


def _h(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def offices(conn: sa.Connection) -> list[str]:
    """The customs offices that have declarations (what the port filter offers)."""
    d = declarations.c
    return sorted(str(o) for (o,) in conn.execute(sa.select(d.office).distinct()))


class Snapshot:
    """The stored data read once for one set of filters; each figure is computed from it."""

    def __init__(self, conn: sa.Connection, filters: Filters, now: datetime) -> None:
        self.conn, self.f, self.now = conn, filters, now

    def figure(self, name: str) -> Figure:
        try:
            make = FIGURES[name]
        except KeyError:
            raise NotFound("figure", "统计图表", name) from None
        return make(self)

    # -- what the figures are made of -----------------------------------------------------------

    def _lodged_numbers(self) -> sa.Select[Any]:
        d = declarations.c
        q = sa.select(d.number).where(d.submitted_at >= self.f.start, d.submitted_at < self.f.end)
        return q.where(d.office == self.f.port) if self.f.port else q

    @cached_property
    def lives(self) -> dict[str, Life]:
        """Declarations lodged or released in the period, with their clearance times."""
        d, e = declarations.c, events.c
        released = sa.select(e.number).where(
            e.type == "DeclarationReleased", e.occurred_at >= self.f.start, e.occurred_at < self.f.end
        )
        wanted = sa.or_(
            sa.and_(d.submitted_at >= self.f.start, d.submitted_at < self.f.end), d.number.in_(released)
        )
        numbers = sa.select(d.number).where(wanted)
        if self.f.port:
            numbers = numbers.where(d.office == self.f.port)
        rows = self.conn.execute(
            sa.select(d.number, d.kind, d.office, d.status, d.submitted_at).where(d.number.in_(numbers))
        ).all()
        history: dict[str, list[Any]] = defaultdict(list)
        for ev in self.conn.execute(
            sa.select(e.number, e.type, e.agency, e.occurred_at, e.body)
            .where(e.number.in_(numbers), e.type.in_(_LIFE))
            .order_by(e.seq)
        ):
            history[ev.number].append(ev)
        return {r.number: _life(r, history.get(r.number, [])) for r in rows}

    @cached_property
    def lodged(self) -> list[Life]:
        return [x for x in self.lives.values() if self.f.covers(x.submitted_at)]

    @cached_property
    def released(self) -> list[Life]:
        return [x for x in self.lives.values() if self.f.covers(x.released_at) and x.clearance is not None]

    def _bucketed(self, lives: Iterable[Life], at: Callable[[Life], datetime]) -> dict[date, list[Life]]:
        out: dict[date, list[Life]] = {b: [] for b in self.f.buckets()}
        for x in lives:
            out.setdefault(self.f.bucket(at(x)), []).append(x)
        return out

    @cached_property
    def late(self) -> list[dict[str, Any]]:
        d, z = declarations.c, dossiers.c
        q = (
            sa.select(
                d.number,
                d.office,
                d.kind,
                d.updated_at,
                z.agency,
                z.state,
                z.category,
                z.withdrawal,
                z.updated_at.label("since"),
            )
            .join(dossiers, z.number == d.number)
            .where(d.number.in_(self._lodged_numbers()), d.status.not_in(FINAL))
            .where(sa.or_(z.category.in_(["open", "inspection"]), z.withdrawal == "pending"))
        )
        out = []
        for r in self.conn.execute(q):
            if r.withdrawal == "pending":
                situation, since = Situation.WITHDRAWAL, r.updated_at
            else:
                situation = Situation.INSPECTION if r.category == "inspection" else Situation.REVIEW
                since = r.since
            waited = hours_between(since, self.now)
            expected = expected_hours(r.agency, situation)
            if waited > expected:
                out.append(
                    {
                        "number": r.number,
                        "port": r.office,
                        "kind": r.kind,
                        "agency": r.agency,
                        "situation": situation.value,
                        "state": r.state,
                        "since": since.astimezone(PORT_TIME).isoformat(timespec="minutes"),
                        "waited_h": _h(waited),
                        "expected_h": expected,
                        "overdue_h": _h(waited - expected),
                    }
                )
        return sorted(out, key=lambda row: (-row["overdue_h"], row["number"], row["agency"]))


def _life(row: Any, history: list[Any]) -> Life:
    changes = []
    released_at = None
    inspected = False
    for ev in history:
        if ev.type == "DeclarationReleased":
            released_at = ev.occurred_at
        elif ev.agency is not None:
            category = str(ev.body.get("category", "open")) if ev.type == "DossierDecided" else "open"
            inspected = inspected or category == "inspection"
            changes.append(Change(ev.occurred_at, ev.agency, category, ev.type == "DossierDecided"))
    times = clearance(row.submitted_at, released_at, changes) if released_at is not None else None
    return Life(row.number, row.kind, row.office, row.status, row.submitted_at, released_at, inspected, times)


# -- the figures ---------------------------------------------------------------------------------


def summary(s: Snapshot) -> Figure:
    """The KPI tiles: declarations lodged, released so far and inspected; clearance times of
    those released in the period; how many dossiers are late; the previous period alongside."""
    before = Snapshot(s.conn, s.f.previous(), s.now)
    hours = [x.clearance.total for x in s.released if x.clearance]
    earlier = [x.clearance.total for x in before.released if x.clearance]
    lodged = len(s.lodged)
    released = sum(1 for x in s.lodged if x.status == "released")
    inspected = sum(1 for x in s.lodged if x.inspected)
    row = {
        "declarations": lodged,
        "released": released,
        "release_rate": _r(rate(released, lodged)),
        "inspected": inspected,
        "inspection_rate": _r(rate(inspected, lodged)),
        "cleared": len(hours),
        "median_h": _h(quantile(hours, 0.5)),
        "p90_h": _h(quantile(hours, 0.9)),
        "late": len(s.late),
        "previous_declarations": len(before.lodged),
        "previous_median_h": _h(quantile(earlier, 0.5)),
    }
    return Figure("summary", tuple(row), [row], {"previous": before.f.as_dict()})


def clearance_time(s: Snapshot) -> Figure:
    """整体通关时间 by bucket of release and kind of declaration: median, 90th percentile and mean
    hours from submission to release; the median time until every agency had decided once."""
    rows = []
    for bucket, lives in s._bucketed(s.released, lambda x: x.released_at or x.submitted_at).items():
        by_kind = defaultdict(list)
        for x in lives:
            by_kind[x.kind].append(x.clearance)
        for kind in _kinds(s.lodged + s.released, always=GOODS):
            times = [c for c in by_kind.get(kind, []) if c is not None]
            total = [c.total for c in times]
            rows.append(
                {
                    "bucket": bucket.isoformat(),
                    "kind": kind,
                    "released": len(times),
                    "median_h": _h(quantile(total, 0.5)),
                    "p90_h": _h(quantile(total, 0.9)),
                    "mean_h": _h(mean(total)),
                    "decided_median_h": _h(
                        quantile([c.decided for c in times if c.decided is not None], 0.5)
                    ),
                }
            )
    columns = ("bucket", "kind", "released", "median_h", "p90_h", "mean_h", "decided_median_h")
    return Figure("clearance-time", columns, rows)


def stages(s: Snapshot) -> Figure:
    """Where the time of the goods declarations released in each bucket went, in mean hours per
    declaration (the stages add up to the mean clearance time); and, of those inspected, how long
    the inspection took."""
    rows = []
    goods = [x for x in s.released if x.kind in GOODS]
    for bucket, lives in s._bucketed(goods, lambda x: x.released_at or x.submitted_at).items():
        times = [x.clearance for x in lives if x.clearance is not None]
        inspected = [c.inspection for c in times if c.inspection > 0]
        rows.append(
            {
                "bucket": bucket.isoformat(),
                "released": len(times),
                **{f"{st.value}_h": _h(mean(c.stage(st) for c in times)) for st in Stage},
                "total_h": _h(mean(c.total for c in times)),
                "inspected": len(inspected),
                "inspection_when_inspected_h": _h(mean(inspected)),
            }
        )
    columns = (
        "bucket",
        "released",
        "review_h",
        "trader_h",
        "inspection_h",
        "total_h",
        "inspected",
        "inspection_when_inspected_h",
    )
    return Figure("stages", columns, rows)


def volumes(s: Snapshot) -> Figure:
    """Declarations lodged per bucket, by kind."""
    kinds = _kinds(s.lodged, always=GOODS)
    rows = []
    for bucket, lives in s._bucketed(s.lodged, lambda x: x.submitted_at).items():
        count = Counter(x.kind for x in lives)
        rows.append({"bucket": bucket.isoformat(), **{k: count[k] for k in kinds}, "total": len(lives)})
    return Figure("volumes", ("bucket", *kinds, "total"), rows)


def ports(s: Snapshot) -> Figure:
    """Declarations lodged per port (customs office of declaration), by kind."""
    kinds = _kinds(s.lodged, always=GOODS)
    count: dict[str, Counter[str]] = defaultdict(Counter)
    for x in s.lodged:
        count[x.office][x.kind] += 1
    busiest = sorted(count, key=lambda office: (-sum(count[office].values()), office))
    rows: list[dict[str, Any]] = [
        {
            "port": office,
            "name": port(office).name,
            "name_zh": port(office).name_zh,
            **{k: count[office][k] for k in kinds},
            "total": sum(count[office].values()),
        }
        for office in busiest
    ]
    return Figure("ports", ("port", "name", "name_zh", *kinds, "total"), rows)


def agencies(s: Snapshot) -> Figure:
    """Each agency's dossiers of the declarations lodged, by where they stand now."""
    z = dossiers.c
    q = (
        sa.select(z.agency, z.category, sa.func.count().label("n"))
        .where(z.number.in_(s._lodged_numbers()))
        .group_by(z.agency, z.category)
    )
    count: dict[str, Counter[str]] = defaultdict(Counter)
    for r in s.conn.execute(q):
        count[r.agency][r.category] += int(r.n)
    rows = [
        {"agency": a, "dossiers": sum(count[a].values()), **{o: count[a][o] for o in OUTCOMES}}
        for a in _ordered(count, AGENCIES)
    ]
    return Figure("agencies", ("agency", "dossiers", *OUTCOMES), rows)


def _latest_assessments(s: Snapshot) -> list[Any]:
    """Each agency's latest assessment (an amendment is assessed again) of each declaration lodged."""
    a = risk_assessments.c
    latest = (
        sa.select(a.number, a.agency, sa.func.max(a.version).label("version"))
        .where(a.number.in_(s._lodged_numbers()))
        .group_by(a.number, a.agency)
        .subquery()
    )
    q = sa.select(a.agency, a.channel, a.grade).join(
        latest,
        (a.number == latest.c.number) & (a.agency == latest.c.agency) & (a.version == latest.c.version),
    )
    return list(s.conn.execute(q))


def channels(s: Snapshot) -> Figure:
    """The channels the risk engine chose, per agency: release (green), audit (blue), document
    check (yellow), scan and manual inspection (red)."""
    count: dict[str, Counter[str]] = defaultdict(Counter)
    for r in _latest_assessments(s):
        count[r.agency][r.channel] += 1
    rows = [
        {"agency": a, "assessed": sum(count[a].values()), **{c: count[a][c] for c in CHANNELS}}
        for a in _ordered(count, AGENCIES)
    ]
    return Figure("channels", ("agency", "assessed", *CHANNELS), rows)


def credit_grades(s: Snapshot) -> Figure:
    """Inspection rate (scan or manual channel) by the enterprise's credit grade, for customs and
    quarantine, against the rate the credit policy in force sets for the grade (the policy's
    share is a floor for dishonest grades and a ceiling for certified ones; profiles and the
    learned score select more)."""
    policy = current_policies(s.conn).on(port_date(s.now))
    count: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in _latest_assessments(s):
        if r.agency in CREDIT_AGENCIES:
            seen = count[(r.grade or GradeCode.ROUTINE.value, r.agency)]
            seen[0] += 1
            seen[1] += r.channel in {c.value for c in INSPECTIONS}
    rows = []
    for grade in GRADES:
        if not policy.has_grade(grade) and not any(g == grade for g, _ in count):
            continue
        for agency in CREDIT_AGENCIES:
            assessed, inspected = count.get((grade, agency), [0, 0])
            rows.append(
                {
                    "grade": grade,
                    "agency": agency,
                    "assessed": assessed,
                    "inspected": inspected,
                    "rate": _r(rate(inspected, assessed)),
                    "policy_rate": _r(policy.selection_rate(grade)) if policy.has_grade(grade) else None,
                }
            )
    meta = {"policy": policy.version, "source": policy.source, "routine_rate": policy.routine_rate}
    return Figure(
        "credit-grades", ("grade", "agency", "assessed", "inspected", "rate", "policy_rate"), rows, meta
    )


def facility_use(s: Snapshot) -> Figure:
    """How busy each inspection site, scanner and port (boardings) was: booked capacity-hours over
    the capacity-hours it was open in the period (the facilities register's own measure)."""
    locode = port(s.f.port).locode if s.f.port else None
    if s.f.port and locode is None:
        found: list[dict[str, Any]] = []
    else:
        found = facilities.utilisation(s.conn, locode, Period(s.f.start, s.f.end))
    names_zh = {f["id"]: f["name_zh"] for f in facilities.register(s.conn, locode, None)}
    rows = [
        {
            "facility": f["id"],
            "kind": f["kind"],
            "port": f["port"],
            "name": f["name"],
            "name_zh": names_zh.get(f["id"], f["name"]),
            "capacity": f["capacity"],
            "open_hours": f["open_hours"],
            "booked_hours": f["booked_hours"],
            "bookings": f["bookings"],
            "utilisation": f["utilisation"],
        }
        for f in found
    ]
    rows.sort(key=lambda r: (-(r["utilisation"] or 0), r["facility"]))
    return Figure(
        "facilities",
        (
            "facility",
            "kind",
            "port",
            "name",
            "name_zh",
            "capacity",
            "open_hours",
            "booked_hours",
            "bookings",
            "utilisation",
        ),
        rows,
    )


def late(s: Snapshot) -> Figure:
    """Dossiers waiting longer than their agency is expected to take (``measures.EXPECTED_HOURS``),
    most overdue first, of the declarations lodged in the period and not yet closed."""
    columns = (
        "number",
        "port",
        "kind",
        "agency",
        "situation",
        "state",
        "since",
        "waited_h",
        "expected_h",
        "overdue_h",
    )
    return Figure("late", columns, s.late)


def _kinds(lives: Iterable[Life], always: Iterable[str]) -> list[str]:
    found = {x.kind for x in lives} | set(always)
    return [k for k in KINDS if k in found] + sorted(found - set(KINDS))


def _ordered(found: Iterable[str], order: Iterable[str]) -> list[str]:
    known = list(order)
    present = set(found)
    return [a for a in known if a in present] + sorted(present - set(known))


FIGURES: dict[str, Callable[[Snapshot], Figure]] = {
    "summary": summary,
    "clearance-time": clearance_time,
    "stages": stages,
    "volumes": volumes,
    "ports": ports,
    "agencies": agencies,
    "channels": channels,
    "credit-grades": credit_grades,
    "facilities": facility_use,
    "late": late,
}
