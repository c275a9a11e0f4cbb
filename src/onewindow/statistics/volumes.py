"""The figures that count the declarations lodged in the period: by bucket and by port, each
agency's dossiers by where they stand, the channels the risk engine chose, the inspection rate by
credit grade against the credit policy; and how busy the shared facilities were."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from onewindow.credit.grades import current_policies
from onewindow.credit.policy import GradeCode, port_date
from onewindow.declarations.tables import dossiers
from onewindow.facilities import queries as facilities
from onewindow.facilities.hours import Period
from onewindow.risk.selection import INSPECTIONS, Channel
from onewindow.risk.tables import risk_assessments

from .figure import AGENCIES, GOODS, Figure, kinds_of, ordered, round_rate
from .measures import rate
from .ports import port

if TYPE_CHECKING:
    from .queries import Snapshot

__all__ = [
    "CHANNELS",
    "GRADES",
    "OUTCOMES",
    "agencies",
    "channels",
    "credit_grades",
    "facility_use",
    "ports",
    "volumes",
]

OUTCOMES = ("released", "refused", "withdrawn", "inspection", "action_required", "open")
CHANNELS = tuple(c.value for c in Channel)
GRADES = tuple(g.value for g in GradeCode)
CREDIT_AGENCIES = ("customs", "quarantine")  # the agencies whose selection the credit policy sets


def volumes(s: Snapshot) -> Figure:
    """Declarations lodged per bucket, by kind."""
    kinds = kinds_of(s.lodged, always=GOODS)
    rows = []
    for bucket, lives in s.bucketed(s.lodged, lambda x: x.submitted_at).items():
        count = Counter(x.kind for x in lives)
        rows.append({"bucket": bucket.isoformat(), **{k: count[k] for k in kinds}, "total": len(lives)})
    return Figure("volumes", ("bucket", *kinds, "total"), rows)


def ports(s: Snapshot) -> Figure:
    """Declarations lodged per port (customs office of declaration), by kind."""
    kinds = kinds_of(s.lodged, always=GOODS)
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
        .where(z.number.in_(s.lodged_numbers()))
        .group_by(z.agency, z.category)
    )
    count: dict[str, Counter[str]] = defaultdict(Counter)
    for r in s.conn.execute(q):
        count[r.agency][r.category] += int(r.n)
    rows = [
        {"agency": a, "dossiers": sum(count[a].values()), **{o: count[a][o] for o in OUTCOMES}}
        for a in ordered(count, AGENCIES)
    ]
    return Figure("agencies", ("agency", "dossiers", *OUTCOMES), rows)


def _latest_assessments(s: Snapshot) -> list[Any]:
    """Each agency's latest assessment (an amendment is assessed again) of each declaration lodged."""
    a = risk_assessments.c
    latest = (
        sa.select(a.number, a.agency, sa.func.max(a.version).label("version"))
        .where(a.number.in_(s.lodged_numbers()))
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
        for a in ordered(count, AGENCIES)
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
                    "rate": round_rate(rate(inspected, assessed)),
                    "policy_rate": round_rate(policy.selection_rate(grade))
                    if policy.has_grade(grade)
                    else None,
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
