"""The risk engine every agency's decision rules use: one shared picture, no private copies.

``RiskEngine`` holds what every declaration is measured against (profiles, alerts, IP rights,
credit grades, the credit policy, the learned model) as a snapshot, and compares change counters
(``persistence.versions``) at most every RECHECK_SECONDS, and at once after this process changed
any: a profile saved in one process is used by its next declaration, and everywhere within half a
second, with no restart. ``RiskRun`` is one transaction's use of it: it assesses,
settles an inspection by mutual recognition where the agency's rules allow, and writes every
assessment (with its explanation) in the transaction that decides.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.inspection.tables import inspection_results
from onewindow.persistence.committer import Transaction
from onewindow.persistence.versions import local_bumps, read_versions

from . import fields
from .events import IpRightHold
from .selection import (
    INSPECTIONS,
    Alert,
    Channel,
    GradePolicy,
    IpRight,
    Profile,
    RiskSettings,
    Subjects,
    select,
)
from .tables import risk_assessments

__all__ = ["Assessment", "Grades", "RiskEngine", "RiskRun", "Scored", "Scorer", "Snapshot", "accepted_result"]

log = logging.getLogger(__name__)

Data = GoodsDeclaration | ConveyanceReport
ROUTINE = "routine"


class Scorer(Protocol):
    """The learned model as the engine uses it."""

    model_id: str

    def score_declaration(self, data: GoodsDeclaration) -> float | None: ...

    def score_many(self, batch: Sequence[GoodsDeclaration]) -> list[float | None]: ...

    def threshold_for_rate(self, rate: float) -> float: ...

    def drivers(self, data: GoodsDeclaration) -> list[dict[str, Any]]: ...


class Grades(Protocol):
    """The credit register and policy as the engine uses them."""

    def grade_of(self, usccs: Sequence[str], on: datetime) -> GradePolicy: ...


@dataclass
class Snapshot:
    versions: dict[str, int] = field(default_factory=dict)
    profiles: list[Profile] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    ip_rights: list[IpRight] = field(default_factory=list)
    grades: Grades | None = None
    model: Scorer | None = None


Loader = Callable[[sa.Connection, Snapshot], None]

RECHECK_SECONDS = 0.5
"""How long a snapshot is used without comparing versions (reading them is a statement in every
committer batch, which gives up the interpreter lock and waits to take it back)."""


class RiskEngine:
    """Loaders fill a snapshot's parts; each part reloads when its counter moves."""

    def __init__(self, loaders: dict[str, Loader], seed: str = "onewindow") -> None:
        self._loaders = loaders
        self.seed = seed
        self._snapshot = Snapshot()
        self._lock = threading.Lock()
        self._recheck_at = 0.0  # monotonic time of the next comparison of versions
        self._bumps_seen = -1

    def snapshot(self, conn: sa.Connection) -> Snapshot:
        """The configuration in force. The versions are compared at most every RECHECK_SECONDS,
        and at once after this process changed any (so its own changes apply to its next
        declaration; another process's within half a second)."""
        now, bumps = time.monotonic(), local_bumps()
        current = self._snapshot
        if now < self._recheck_at and bumps == self._bumps_seen:
            return current
        self._recheck_at, self._bumps_seen = now + RECHECK_SECONDS, bumps
        versions = read_versions(conn)
        stale = [
            n for n in self._loaders if n not in current.versions or versions.get(n, 0) != current.versions[n]
        ]
        if not stale:
            return current
        with self._lock:
            fresh = Snapshot(**{**current.__dict__, "versions": dict(current.versions)})
            for name in stale:
                self._loaders[name](conn, fresh)
                fresh.versions[name] = versions.get(name, 0)
            self._snapshot = fresh
            return fresh

    def run(self, tx: Transaction) -> RiskRun:
        return RiskRun(self, self.snapshot(tx.conn), tx)

    def score_ahead(self, batch: Sequence[Data]) -> list[Scored | None]:
        """Learned scores of goods declarations, computed before their transaction by the model of
        the last snapshot (no database read): the model's work then stays out of the write lock,
        where other writers could do theirs meanwhile. A score is used only if that model is still
        the one in force when the declaration is assessed; otherwise it is scored again."""
        model = self._snapshot.model
        if model is None:
            return [None] * len(batch)
        goods = [d for d in batch if isinstance(d, GoodsDeclaration)]
        scores = iter(model.score_many(goods) if goods else [])
        return [
            Scored(model.model_id, next(scores)) if isinstance(d, GoodsDeclaration) else None for d in batch
        ]


@dataclass(frozen=True)
class Scored:
    """A learned score and the model that gave it."""

    model_id: str
    score: float | None


@dataclass
class Assessment:
    number: str
    agency: str
    version: int
    channel: Channel
    grade: str
    score: float | None
    model_id: str | None
    explanation: dict[str, Any]
    ip_hits: list[IpRight]
    recognised: dict[str, Any] | None = None

    @property
    def decision(self) -> tuple[str, str] | None:
        """The dossier decision this assessment takes, with its reason; None leaves it to an officer."""
        if self.recognised is not None:
            r = self.recognised
            return "release", (
                f"Risk selected a {self.channel.value} inspection; {r['inspector']}'s {r['kind']} of "
                f"{r['inspected_at'][:10]} is accepted instead (mutual recognition). / "
                f"风险布控{_ZH[self.channel]}，采信{r['inspector']}{r['inspected_at'][:10]}的查验结果（监管互认）。"
            )
        if self.ip_hits:
            marks = ", ".join(f"{r.mark} ({r.holder_name})" for r in self.ip_hits)
            return "order_inspection", (
                f"Held: the goods may infringe the recorded rights {marks}; the holder has been told. / "
                f"涉嫌侵犯已备案知识产权（{marks}），货物暂扣，已通知权利人。"
            )
        if self.channel in INSPECTIONS:
            return "order_inspection", (
                f"Selected for {self.channel.value} inspection: {self._why()}. / "
                f"风险布控：{_ZH[self.channel]}。"
            )
        if self.channel is Channel.DOCUMENT_CHECK:
            return None
        note = " Post-clearance audit follows." if self.channel is Channel.AUDIT else ""
        zh = "，放行后稽查" if self.channel is Channel.AUDIT else ""
        return "release", f"Risk: released ({self._why()}).{note} / 风险评估：放行{zh}。"

    def _why(self) -> str:
        e = self.explanation
        parts = [f"profile {p['name']}" for p in e.get("profiles", []) if p["selected"]]
        parts += [f"alert on {a['subject_kind']} {a['subject']}" for a in e.get("alerts", [])]
        score = e.get("score", {})
        if score.get("selected"):
            parts.append(f"score {score['value']:.3f} >= {score['threshold']:.3f}")
        if e.get("random", {}).get("selected"):
            parts.append("random check")
        parts.append(f"credit grade {self.grade}")
        return "; ".join(parts)

    def row(self, at: datetime) -> dict[str, Any]:
        explanation = {**self.explanation, "recognised": self.recognised}
        return {
            "number": self.number,
            "agency": self.agency,
            "version": self.version,
            "channel": self.channel.value,
            "selected": self.channel is not Channel.RELEASE,
            "grade": self.grade,
            "score": self.score,
            "model_id": self.model_id,
            "explanation": explanation,
            "assessed_at": at,
        }


_ZH = {
    Channel.RELEASE: "放行",
    Channel.AUDIT: "放行后稽查",
    Channel.DOCUMENT_CHECK: "单证审核",
    Channel.SCAN: "机检",
    Channel.MANUAL: "人工查验",
}


class RiskRun:
    """One transaction's assessments; ``flush`` writes them before it commits."""

    def __init__(self, engine: RiskEngine, snap: Snapshot, tx: Transaction) -> None:
        self.engine, self.snap, self.tx = engine, snap, tx
        self.conn, self.now = tx.conn, tx.now
        self.assessments: list[Assessment] = []
        self._scores: dict[int, float | None] = {}
        self._known: dict[int, tuple[GradePolicy | None, Subjects]] = {}

    def prescore(self, batch: Sequence[Data], ahead: Sequence[Scored | None] = ()) -> None:
        """Score a batch's goods declarations at once, before they are assessed one by one; a score
        computed ahead (see ``RiskEngine.score_ahead``) by the model in force is taken as it is."""
        model = self.snap.model
        if model is None:
            return
        todo = []
        for data, scored in itertools.zip_longest(batch, ahead[: len(batch)]):
            if not isinstance(data, GoodsDeclaration):
                continue
            if scored is not None and scored.model_id == model.model_id:
                self._scores[id(data)] = scored.score
            else:
                todo.append(data)
        if len(todo) > 1:
            for data, score in zip(todo, model.score_many(todo), strict=True):
                self._scores[id(data)] = score

    def assess(
        self, number: str, version: int, data: Data, agency: str, settings: RiskSettings
    ) -> Assessment:
        snap = self.snap
        known = self._known.get(id(data))  # what every agency reads alike, found once a declaration
        if known is None:
            grade_of = snap.grades.grade_of(fields.enterprises(data), self.now) if snap.grades else None
            known = self._known[id(data)] = (grade_of, fields.subjects(data))
        grade = known[0] or GradePolicy(ROUTINE, settings.target_rate, settings.target_rate, "none")
        score = threshold = None
        model_id = None
        if snap.model is not None and isinstance(data, GoodsDeclaration):
            key = id(data)
            if key not in self._scores:
                self._scores[key] = snap.model.score_declaration(data)
            score = self._scores[key]  # one score per declaration, whichever agencies ask
            if score is not None:
                threshold = snap.model.threshold_for_rate(settings.target_rate)
                model_id = snap.model.model_id
        # The per-item records are built only when a profile or a right could read them.
        profiles = [p for p in snap.profiles if p.used_by(agency, self.now)]
        readers = profiles or (settings.ip_protection and snap.ip_rights)
        chosen = select(
            number=number,
            agency=agency,
            seed=self.engine.seed,
            settings=settings,
            records=fields.records(data, grade.grade) if readers else [],
            subjects=known[1],
            profiles=profiles,
            alerts=snap.alerts,
            ip_rights=snap.ip_rights,
            grade=grade,
            score=score,
            threshold=threshold,
            now=self.now,
        )
        a = Assessment(
            number,
            agency,
            version,
            chosen.channel,
            grade.grade,
            score,
            model_id,
            chosen.explanation,
            chosen.ip_hits,
        )
        if chosen.channel in INSPECTIONS and not chosen.ip_hits and settings.recognise:
            a.recognised = self._recognised(number, data, agency, settings)
        self.assessments.append(a)
        return a

    def _recognised(
        self, number: str, data: Data, agency: str, settings: RiskSettings
    ) -> dict[str, Any] | None:
        return accepted_result(self.conn, self.now, number, data, agency, settings)

    def flush(self) -> None:
        """Write the assessments, and tell each right holder of goods held for its rights."""
        if not self.assessments:
            return
        self.conn.execute(risk_assessments.insert(), [a.row(self.now) for a in self.assessments])
        self.tx.emit(
            [
                IpRightHold(
                    number=None,
                    org_id=right.holder_org_id,
                    occurred_at=self.now,
                    agency=a.agency,
                    right_id=right.id,
                    mark=right.mark,
                    holder=right.holder_name,
                    declaration=a.number,
                    goods=next(x["goods"] for x in a.explanation["ip_rights"] if x["id"] == right.id),
                )
                for a in self.assessments
                for right in a.ip_hits
                if right.holder_org_id
            ]
        )
        self.assessments.clear()


def accepted_result(
    conn: sa.Connection, now: datetime, number: str, data: Data, agency: str, settings: RiskSettings
) -> dict[str, Any] | None:
    """A recorded result that covers the whole consignment (or vessel), by an inspector, of a kind
    and age ``agency`` accepts, that found nothing wrong: mutual recognition. Every container must
    be covered (or the declaration as a whole); a result that found fraud is never accepted in
    place of one's own."""
    if not settings.recognise:
        return None
    r = inspection_results.c
    containers = [c.number for c in data.containers] if isinstance(data, GoodsDeclaration) else []
    vessel = data.vessel.imo if isinstance(data, ConveyanceReport) else None
    oldest = now - timedelta(days=max(x.max_age_days for x in settings.recognise))
    target = [r.number == number]
    if containers:
        target.append(r.container.in_(containers))
    if vessel:
        target.append(r.vessel_imo == vessel)
    rows = conn.execute(
        sa.select(
            r.id,
            r.number,
            r.container,
            r.vessel_imo,
            r.inspector_kind,
            r.agency,
            r.inspector_org,
            r.kind,
            r.fraud,
            r.inspected_at,
        )
        .where(sa.or_(*target), r.inspected_at >= oldest)
        .order_by(r.inspected_at.desc())
    ).all()
    accepted = [x for x in rows if not x.fraud and x.agency != agency and _accepts(settings, x, now)]
    whole = [x for x in accepted if x.number == number and x.container is None]
    covered = {x.container for x in accepted}
    if whole:
        pick = whole[0]
    elif containers and covered >= set(containers):
        pick = next(x for x in accepted if x.container)
    elif vessel and any(x.vessel_imo == vessel for x in accepted):
        pick = next(x for x in accepted if x.vessel_imo == vessel)
    else:
        return None
    return {
        "result_id": pick.id,
        "inspector": pick.agency or pick.inspector_org,
        "inspector_kind": pick.inspector_kind,
        "kind": pick.kind,
        "inspected_at": pick.inspected_at.isoformat(),
        "results": [x.id for x in accepted],
    }


def _accepts(settings: RiskSettings, row: Any, now: datetime) -> bool:
    who = row.agency if row.inspector_kind == "agency" else "third_party"
    age = now - row.inspected_at
    return any(
        who in rule.inspectors and row.kind in rule.kinds and age <= timedelta(days=rule.max_age_days)
        for rule in settings.recognise
    )
