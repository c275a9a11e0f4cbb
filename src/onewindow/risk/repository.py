"""Loading the risk engine's shared picture from the database, one part per change counter."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from onewindow.credit.grades import load_grades

from .engine import Loader, RiskEngine, Snapshot
from .fields import FIELDS
from .profiles.language import FieldType, ProfileExpressionError, compile_expression
from .selection import Alert, Channel, IpRight, Profile
from .tables import ip_rights, risk_alerts, risk_models, risk_profiles

__all__ = ["CREDIT", "MODEL", "PROFILES", "SCHEMA", "build_engine", "compile_profile_expression"]

log = logging.getLogger(__name__)

# The change counters (persistence.versions) of the engine's parts.
PROFILES = "risk-profiles"  # profiles, alerts and IP rights: what officers write
CREDIT = "credit"  # the credit area bumps it (credit.handlers.CREDIT)
MODEL = "risk-model"

SCHEMA = {name: FieldType(kind) for name, kind in FIELDS.items()}


def compile_profile_expression(text: str) -> object:
    return compile_expression(text, SCHEMA)


def _profiles(conn: sa.Connection, snap: Snapshot, now: datetime | None = None) -> None:
    p = risk_profiles.c
    out = []
    for row in conn.execute(sa.select(risk_profiles).where(p.active.is_(True))):
        try:
            condition = compile_expression(row.expression, SCHEMA)
        except ProfileExpressionError as e:  # saved by an older release whose language differed
            log.error("risk profile %s no longer compiles and is skipped: %s", row.id, e)
            continue
        out.append(
            Profile(
                id=row.id,
                name=row.name,
                owner=row.owner_agency,
                shared_with=frozenset(row.shared_with),
                condition=condition,
                channel=Channel(row.channel),
                hit_rate=row.hit_rate,
                reason=row.reason,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
        )
    snap.profiles = out
    a = risk_alerts.c
    snap.alerts = [
        Alert(r.id, r.agency, r.subject_kind, r.subject, Channel(r.channel), r.reason, r.expires_at)
        for r in conn.execute(sa.select(risk_alerts).where(a.revoked.is_(False)))
    ]
    i = ip_rights.c
    snap.ip_rights = [
        IpRight(r.id, r.holder_name, r.holder_org_id, r.mark, tuple(r.hs_prefixes), r.valid_until)
        for r in conn.execute(sa.select(ip_rights).where(i.active.is_(True)))
    ]


def _credit(conn: sa.Connection, snap: Snapshot) -> None:
    snap.grades = load_grades(conn)


def _model(conn: sa.Connection, snap: Snapshot) -> None:
    m = risk_models.c
    row = conn.execute(sa.select(m.id, m.model).where(m.active.is_(True)).limit(1)).first()
    if row is None:
        snap.model = None
        return
    from .scoring import ModelScorer  # LightGBM is loaded only where a model is in use

    snap.model = ModelScorer.from_text(row.id, row.model)


def build_engine(seed: str) -> RiskEngine:
    loaders: dict[str, Loader] = {PROFILES: _profiles, CREDIT: _credit, MODEL: _model}
    return RiskEngine(loaders, seed)
