"""How a channel is chosen: the pure part of the risk engine.

Four parts are combined, each recorded in the explanation an officer (or an auditor) reads:

1. **Profiles** written by officers (and alerts posted by any agency): a hit takes the profile's
   channel, with its hit rate drawn per declaration.
2. **The learned score**: the highest item score; at or above the threshold that selects the
   agency's target inspection rate, the declaration is selected for a scan (manual inspection when
   it has no container).
3. **The credit grade** scales that discretionary selection by the policy in force: a grade whose
   rate is below the routine rate keeps a selection with probability rate/routine (an advanced
   certified enterprise at 0.1× routine keeps one in ten); a grade with a floor (dishonest: 80% or
   more) is selected at least that often whatever its score.
4. **Random checks** at the agency's configured rate.

Every draw is a hash of the seed, the declaration number, the agency and the purpose, so anyone
with the number and the configuration re-derives every selection (``draw``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

__all__ = [
    "SEVERITY",
    "Alert",
    "Channel",
    "GradePolicy",
    "IpRight",
    "Profile",
    "Recognition",
    "RiskSettings",
    "Selection",
    "draw",
    "select",
]


class Channel(StrEnum):
    RELEASE = "release"  # green
    AUDIT = "audit"  # blue: release, then post-clearance audit
    DOCUMENT_CHECK = "document_check"  # yellow: an officer checks the documents
    SCAN = "scan"  # red, by machine (X-ray / CT)
    MANUAL = "manual"  # red, opened by hand


SEVERITY = {
    Channel.RELEASE: 0,
    Channel.AUDIT: 1,
    Channel.DOCUMENT_CHECK: 2,
    Channel.SCAN: 3,
    Channel.MANUAL: 4,
}
INSPECTIONS = frozenset({Channel.SCAN, Channel.MANUAL})


def draw(seed: str, number: str, agency: str, purpose: str) -> float:
    """A uniform number in [0, 1) fixed by its inputs (SHA-256, first 64 bits)."""
    digest = hashlib.sha256(f"{seed}|{number}|{agency}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Recognition:
    """Whose inspection results, of which kind and how recent, an agency accepts as its own."""

    inspectors: frozenset[str]  # agency codes, or "third_party" for accredited bodies
    kinds: frozenset[str]  # scan, manual, sampling, lab_test, document
    max_age_days: int

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Recognition:
        return cls(frozenset(raw["from"]), frozenset(raw["kinds"]), int(raw["max_age_days"]))


@dataclass(frozen=True)
class RiskSettings:
    """An agency's use of the risk engine (``options.risk`` in its configuration)."""

    enabled: bool = False
    target_rate: float = 0.02  # inspection capacity: the learned score's threshold follows it
    random_rate: float = 0.005
    ip_protection: bool = False  # holds goods that match a recorded right (customs)
    recognise: tuple[Recognition, ...] = ()

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> RiskSettings:
        if not raw:
            return cls()
        for key in ("target_rate", "random_rate"):
            if not 0 <= float(raw.get(key, 0)) <= 1:
                raise ValueError(f"risk.{key} must be between 0 and 1")
        return cls(
            enabled=bool(raw.get("enabled", True)),
            target_rate=float(raw.get("target_rate", cls.target_rate)),
            random_rate=float(raw.get("random_rate", cls.random_rate)),
            ip_protection=bool(raw.get("ip_protection", False)),
            recognise=tuple(Recognition.from_mapping(r) for r in raw.get("recognise", ())),
        )


class Condition(Protocol):
    def evaluate(self, record: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    owner: str
    shared_with: frozenset[str]
    condition: Condition
    channel: Channel
    hit_rate: float
    reason: str
    valid_from: datetime
    valid_to: datetime | None

    def used_by(self, agency: str, now: datetime) -> bool:
        in_force = self.valid_from <= now and (self.valid_to is None or now < self.valid_to)
        return in_force and (agency == self.owner or agency in self.shared_with)


@dataclass(frozen=True)
class Alert:
    id: str
    agency: str
    subject_kind: str  # enterprise, vessel, container, commodity, origin
    subject: str
    channel: Channel
    reason: str
    expires_at: datetime


@dataclass(frozen=True)
class IpRight:
    id: str
    holder_name: str
    holder_org_id: str | None
    mark: str
    hs_prefixes: tuple[str, ...]
    valid_until: date


@dataclass(frozen=True)
class GradePolicy:
    """The credit policy's answer for one grade: its selection rate against the routine rate."""

    grade: str
    rate: float
    routine_rate: float
    policy_version: str

    @property
    def factor(self) -> float:
        """The share of discretionary selections kept (1 for routine, below 1 for the certified)."""
        return min(1.0, self.rate / self.routine_rate) if self.routine_rate > 0 else 1.0

    @property
    def floor(self) -> float:
        """A rate the grade is selected at whatever its score (dishonest: 80% or more), else 0."""
        return self.rate if self.rate > self.routine_rate else 0.0


@dataclass
class Selection:
    channel: Channel
    explanation: dict[str, Any] = field(default_factory=dict)
    ip_hits: list[IpRight] = field(default_factory=list)

    @property
    def selected(self) -> bool:
        return self.channel is not Channel.RELEASE


@dataclass(frozen=True)
class Subjects:
    """What alerts can name, as found on one declaration."""

    enterprises: frozenset[str]
    vessels: frozenset[str]
    containers: frozenset[str]
    commodities: tuple[str, ...]
    origins: frozenset[str]


def select(
    *,
    number: str,
    agency: str,
    seed: str,
    settings: RiskSettings,
    records: Sequence[Mapping[str, Any]],
    subjects: Subjects,
    profiles: Sequence[Profile],
    alerts: Sequence[Alert],
    ip_rights: Sequence[IpRight],
    grade: GradePolicy,
    score: float | None,
    threshold: float | None,
    now: datetime,
) -> Selection:
    """The channel of one agency's dossier: the worst that any part calls for, each part explained."""

    def drawn(purpose: str) -> float:
        return draw(seed, number, agency, purpose)

    profile_hits, by_profiles = _profile_hits(profiles, records, agency, now, drawn)
    alert_hits = [a for a in alerts if a.expires_at > now and _names(a, subjects)]
    ip_found = _ip_hits(ip_rights, records, now) if settings.ip_protection else []
    model_hit = score is not None and threshold is not None and score >= threshold
    u_random = drawn("random")
    random_hit = u_random < settings.random_rate
    credit, by_credit = _credit(grade, drawn("credit"), model_hit or random_hit, bool(subjects.containers))
    by_alerts = [a.channel for a in alert_hits]
    by_ip = [Channel.MANUAL] if ip_found else []
    channel = _worst([*by_profiles, *by_alerts, *by_ip, *by_credit])
    why: dict[str, Any] = {
        "seed_inputs": {"number": number, "agency": agency},
        "profiles": profile_hits,
        "alerts": [_alert_view(a) for a in alert_hits],
        "ip_rights": [
            {"id": r.id, "holder": r.holder_name, "mark": r.mark, "goods": goods} for r, goods in ip_found
        ],
        "score": {
            "value": score,
            "threshold": threshold,
            "target_rate": settings.target_rate,
            "selected": model_hit,
        },
        "random": {"draw": u_random, "rate": settings.random_rate, "selected": random_hit},
        "credit": credit,
        "channel": channel.value,
    }
    return Selection(channel, why, [r for r, _ in ip_found])


def _profile_hits(
    profiles: Sequence[Profile],
    records: Sequence[Mapping[str, Any]],
    agency: str,
    now: datetime,
    drawn: Callable[[str], float],
) -> tuple[list[dict[str, Any]], list[Channel]]:
    """The agency's profiles in force that match an item, each taken at its hit rate; with the
    channels of those taken."""
    hits: list[dict[str, Any]] = []
    taken_channels: list[Channel] = []
    for p in profiles:
        if not (p.used_by(agency, now) and any(p.condition.evaluate(r) for r in records)):
            continue
        u = drawn(f"profile:{p.id}")
        taken = u < p.hit_rate
        hits.append(
            {
                "id": p.id,
                "name": p.name,
                "owner": p.owner,
                "channel": p.channel.value,
                "reason": p.reason,
                "hit_rate": p.hit_rate,
                "draw": u,
                "selected": taken,
            }
        )
        if taken:
            taken_channels.append(p.channel)
    return hits, taken_channels


def _alert_view(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "agency": a.agency,
        "subject_kind": a.subject_kind,
        "subject": a.subject,
        "channel": a.channel.value,
        "reason": a.reason,
    }


def _credit(
    grade: GradePolicy, u: float, discretionary_hit: bool, has_containers: bool
) -> tuple[dict[str, Any], list[Channel]]:
    """The grade's say over a discretionary selection (the score's or a random check's): kept with
    probability ``factor``, and made at least ``floor`` of the time whatever the score. A selection
    the floor alone makes is opened by hand; a kept one is scanned when there is a container."""
    kept = discretionary_hit and u < grade.factor
    selected = kept or u < grade.floor
    why = {
        "grade": grade.grade,
        "rate": grade.rate,
        "routine_rate": grade.routine_rate,
        "factor": grade.factor,
        "floor": grade.floor,
        "draw": u,
        "policy": grade.policy_version,
        "selected": selected,
    }
    if not selected:
        return why, []
    return why, [Channel.SCAN if has_containers and kept else Channel.MANUAL]


def _worst(channels: Iterable[Channel]) -> Channel:
    return functools.reduce(_worse, channels, Channel.RELEASE)


def _worse(a: Channel, b: Channel) -> Channel:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def _names(a: Alert, s: Subjects) -> bool:
    if a.subject_kind == "enterprise":
        return a.subject in s.enterprises
    if a.subject_kind == "vessel":
        return a.subject in s.vessels
    if a.subject_kind == "container":
        return a.subject in s.containers
    if a.subject_kind == "commodity":
        return any(hs.startswith(a.subject) for hs in s.commodities)
    if a.subject_kind == "origin":
        return a.subject in s.origins
    return False


def _ip_hits(
    rights: Sequence[IpRight], records: Sequence[Mapping[str, Any]], now: datetime
) -> list[tuple[IpRight, list[str]]]:
    """Rights in force whose mark appears in an item's name or declared elements, within the
    right's commodity codes; with the names of the items that match."""
    out = []
    for right in rights:
        if right.valid_until < now.date():
            continue
        mark = right.mark.casefold()
        goods = [
            str(r.get("item_name"))
            for r in records
            if mark in f"{r.get('item_name') or ''} {r.get('declared_elements') or ''}".casefold()
            and (not right.hs_prefixes or str(r.get("hs_code") or "").startswith(right.hs_prefixes))
        ]
        if goods:
            out.append((right, goods))
    return out
