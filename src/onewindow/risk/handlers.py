"""Writing the risk area's shared picture: profiles, alerts, IP rights, models, overrules.

Each write bumps the change counter of the engine's part it touches in the same transaction, so
this process's engine reloads it before its next declaration, and every other process's within
half a second (``engine.RECHECK_SECONDS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from onewindow.agencies.base import Agency
from onewindow.agencies.states import Category
from onewindow.declarations.handlers import DecideDossier
from onewindow.declarations.tables import dossiers
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from onewindow.persistence.committer import Transaction
from onewindow.persistence.versions import bump

from .profiles.language import ProfileExpressionError
from .repository import MODEL, PROFILES, compile_profile_expression
from .selection import Channel
from .tables import ip_rights, risk_alerts, risk_assessments, risk_models, risk_overrules, risk_profiles

__all__ = [
    "ActivateModel",
    "DeactivateRow",
    "Overrule",
    "PostAlert",
    "RecordIpRight",
    "SaveProfile",
    "StoreModel",
    "check_expression",
]


def check_expression(text: str, path: str = "expression") -> None:
    """A profile's condition must compile; the error names its position in the text."""
    try:
        compile_profile_expression(text)
    except ProfileExpressionError as e:
        raise InvalidInput([e.as_field_error(path)]) from None


@dataclass
class SaveProfile:
    """A new profile (``profile_id`` None) or a new revision of one the caller's agency owns."""

    agency: str
    actor: str
    fields: dict[str, Any]
    profile_id: str | None = None

    def run(self, tx: Transaction) -> dict[str, Any]:
        p = risk_profiles.c
        values = {**self.fields, "updated_at": tx.now}
        if self.profile_id is None:
            values |= {
                "id": uuid.uuid4().hex,
                "owner_agency": self.agency,
                "active": True,
                "revision": 1,
                "created_by": self.actor,
            }
            values.setdefault("valid_from", tx.now)
            tx.conn.execute(risk_profiles.insert().values(**values))
            pid = values["id"]
        else:
            row = _owned(tx.conn, self.profile_id, self.agency)
            values["revision"] = row.revision + 1
            tx.conn.execute(risk_profiles.update().where(p.id == self.profile_id).values(**values))
            pid = self.profile_id
        bump(tx.conn, PROFILES)
        return dict(tx.conn.execute(sa.select(risk_profiles).where(p.id == pid)).one()._mapping)


def _owned(conn: sa.Connection, profile_id: str, agency: str) -> Any:
    row = conn.execute(sa.select(risk_profiles).where(risk_profiles.c.id == profile_id)).first()
    if row is None:
        raise NotFound("risk profile", "风险参数", profile_id)
    if row.owner_agency != agency:
        raise NotPermitted(
            f"Profile {profile_id} belongs to '{row.owner_agency}'; only its owner changes it.",
            f"风险参数 {profile_id} 属于“{row.owner_agency}”，只有其所有机构可以修改。",
        )
    return row


@dataclass
class DeactivateRow:
    """Withdraw a profile, revoke an alert or end an IP recording (kept for the audit trail)."""

    table: sa.Table
    row_id: str
    agency: str | None  # the owner agency that may do it (None: any officer of customs for IP)

    def run(self, tx: Transaction) -> None:
        c = self.table.c
        row = tx.conn.execute(sa.select(self.table).where(c.id == self.row_id)).first()
        if row is None:
            raise NotFound("record", "记录", self.row_id)
        owner = getattr(row, "owner_agency", None) or getattr(row, "agency", None)
        if self.agency is not None and owner is not None and owner != self.agency:
            raise NotPermitted(
                f"This belongs to '{owner}'; only its owner withdraws it.",
                f"该记录属于“{owner}”，只有其所有机构可以撤销。",
            )
        flag = {"revoked": True} if "revoked" in c else {"active": False}
        tx.conn.execute(self.table.update().where(c.id == self.row_id).values(**flag))
        bump(tx.conn, PROFILES)


@dataclass
class PostAlert:
    agency: str
    actor: str
    subject_kind: str
    subject: str
    channel: Channel
    reason: str
    expires_at: datetime

    def run(self, tx: Transaction) -> dict[str, Any]:
        if self.expires_at <= tx.now:
            raise InvalidInput(
                [
                    FieldError(
                        "expires_at",
                        "in_past",
                        "An alert must expire in the future.",
                        "预警失效时间须晚于当前时间。",
                    )
                ]
            )
        row = {
            "id": uuid.uuid4().hex,
            "agency": self.agency,
            "subject_kind": self.subject_kind,
            "subject": self.subject,
            "channel": self.channel.value,
            "reason": self.reason,
            "created_by": self.actor,
            "created_at": tx.now,
            "expires_at": self.expires_at,
            "revoked": False,
        }
        tx.conn.execute(risk_alerts.insert().values(**row))
        bump(tx.conn, PROFILES)
        return row


@dataclass
class RecordIpRight:
    actor: str
    holder_name: str
    holder_org_id: str | None
    mark: str
    hs_prefixes: list[str]
    valid_until: date

    def run(self, tx: Transaction) -> dict[str, Any]:
        row = {
            "id": uuid.uuid4().hex,
            "holder_name": self.holder_name,
            "holder_org_id": self.holder_org_id,
            "mark": self.mark,
            "hs_prefixes": self.hs_prefixes,
            "valid_until": self.valid_until,
            "recorded_by": self.actor,
            "recorded_at": tx.now,
            "active": True,
        }
        tx.conn.execute(ip_rights.insert().values(**row))
        bump(tx.conn, PROFILES)
        return row


@dataclass
class StoreModel:
    """Keep a trained model (and make it the one in use when ``activate``)."""

    source: str
    metrics: dict[str, Any]
    text: str
    activate: bool = True

    def run(self, tx: Transaction) -> str:
        model_id = uuid.uuid4().hex
        if self.activate:
            tx.conn.execute(risk_models.update().values(active=False))
        tx.conn.execute(
            risk_models.insert().values(
                id=model_id,
                trained_at=tx.now,
                source=self.source,
                metrics=self.metrics,
                model=self.text,
                active=self.activate,
            )
        )
        if self.activate:
            bump(tx.conn, MODEL)
        return model_id


@dataclass
class ActivateModel:
    model_id: str | None  # None: no learned score

    def run(self, tx: Transaction) -> None:
        m = risk_models.c
        if (
            self.model_id is not None
            and tx.conn.execute(sa.select(m.id).where(m.id == self.model_id)).first() is None
        ):
            raise NotFound("risk model", "风险模型", self.model_id)
        tx.conn.execute(risk_models.update().values(active=m.id == self.model_id))
        bump(tx.conn, MODEL)


CHANNEL_DECISION = {
    Channel.RELEASE: "release",
    Channel.AUDIT: "release",
    Channel.SCAN: "order_inspection",
    Channel.MANUAL: "order_inspection",
}


@dataclass
class Overrule:
    """An officer replaces the engine's channel, with a reason; the overrule is kept for audit and
    the dossier takes the decision the new channel means (a document check leaves it open)."""

    number: str
    agency: Agency
    channel: Channel
    reason: str
    actor: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        current = self._current_channel(tx.conn)
        if current == self.channel.value:
            raise Conflict(
                "same_channel",
                f"The channel is already {self.channel.value}.",
                "通道未改变。",
            )
        tx.conn.execute(
            risk_overrules.insert().values(
                number=self.number,
                agency=self.agency.code,
                from_channel=current,
                to_channel=self.channel.value,
                reason=self.reason,
                overruled_by=self.actor,
                overruled_at=tx.now,
            )
        )
        receipt = None
        decision = CHANNEL_DECISION.get(self.channel)
        if decision is not None and not self._already(tx.conn, decision):
            reason = f"Risk channel overruled ({current} -> {self.channel.value}): {self.reason}"
            receipt = DecideDossier(self.number, self.agency, decision, reason, self.actor).run(tx)
        return {
            "number": self.number,
            "agency": self.agency.code,
            "from_channel": current,
            "to_channel": self.channel.value,
            "status": receipt.status if receipt else None,
        }

    def _current_channel(self, conn: sa.Connection) -> str:
        """The channel in force: the last overrule's, else the engine's latest assessment."""
        o, a = risk_overrules.c, risk_assessments.c
        overruled = conn.execute(
            sa.select(o.to_channel)
            .where(o.number == self.number, o.agency == self.agency.code)
            .order_by(o.id.desc())
            .limit(1)
        ).scalar()
        if overruled is not None:
            return str(overruled)
        assessed = conn.execute(
            sa.select(a.channel)
            .where(a.number == self.number, a.agency == self.agency.code)
            .order_by(a.version.desc())
            .limit(1)
        ).scalar()
        if assessed is None:
            raise NotFound("risk assessment", "风险评估", f"{self.number}/{self.agency.code}")
        return str(assessed)

    def _already(self, conn: sa.Connection, decision: str) -> bool:
        """A dossier under inspection stays so when one inspection channel replaces another."""
        d = dossiers.c
        category = conn.execute(
            sa.select(d.category).where(d.number == self.number, d.agency == self.agency.code)
        ).scalar()
        return decision == "order_inspection" and category == Category.INSPECTION.value
