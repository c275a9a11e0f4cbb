"""Command handlers of the declarations area: each loads, calls the rules, saves, and emits the
events the rules recorded, inside the committer's transaction (never committing itself)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any, ClassVar

import sqlalchemy as sa

from onewindow.agencies.automation import decide_on_receipt
from onewindow.agencies.base import Agency
from onewindow.kernel.errors import IdempotencyKeyReused, NotFound
from onewindow.persistence.committer import Batchable, Transaction

from . import repository
from .dataset import ConveyanceReport, GoodsDeclaration
from .model import Declaration, number_for
from .tables import declarations, idempotency_keys

__all__ = [
    "AmendDeclaration",
    "DecideDossier",
    "DecideWithdrawal",
    "Receipt",
    "SubmitDeclaration",
    "WithdrawDeclaration",
]

CHINA = timezone(timedelta(hours=8), "CST")  # numbering years follow China Standard Time
Data = GoodsDeclaration | ConveyanceReport


@dataclass(frozen=True)
class Receipt:
    """What a declarant gets back: the number, the status now, and whether this was a replay."""

    number: str
    status: str
    agencies: list[str]
    version: int
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "agencies": self.agencies,
            "version": self.version,
        }


@dataclass
class SubmitDeclaration(Batchable):
    batch_key: ClassVar[str] = "submit"

    org_id: str
    actor: str
    data: Data
    agencies: Sequence[Agency]
    idempotency_key: str | None = None
    body_hash: str = ""
    source_json: bytes | None = None  # the body as sent, stored as the data set when given
    keep_in_memo: bool = True  # bulk imports keep nothing: no agency will read them from this memo

    @classmethod
    def run_batch(cls, tx: Transaction, ops: Sequence[Any]) -> list[Any]:
        subs: Sequence[SubmitDeclaration] = ops
        results: list[Any] = [None] * len(subs)
        stored = _stored_keys(tx.conn, [(s.org_id, s.idempotency_key) for s in subs if s.idempotency_key])
        first: dict[tuple[str, str], int] = {}
        fresh: list[int] = []
        repeats: list[tuple[int, int]] = []
        for i, s in enumerate(subs):
            key = (s.org_id, s.idempotency_key) if s.idempotency_key else None
            if key is None:
                fresh.append(i)
            elif key in stored:
                body_hash, receipt = stored[key]
                results[i] = _replay(s, body_hash, receipt)
            elif key in first:
                repeats.append((i, first[key]))
            else:
                first[key] = i
                fresh.append(i)

        year = tx.now.astimezone(CHINA).year
        by_office: dict[str, list[int]] = defaultdict(list)
        for i in fresh:
            by_office[subs[i].data.declaration_office].append(i)
        created: list[Declaration] = []
        fresh_order: list[int] = []
        for office, idx in sorted(by_office.items()):
            serials = repository.allocate_serials(tx.conn, office, year, len(idx))
            for i, serial in zip(idx, serials, strict=True):
                s = subs[i]
                decl = Declaration.submit(
                    number_for(office, year, s.data.kind, serial),
                    s.org_id,
                    s.data,
                    s.agencies,
                    s.actor,
                    tx.now,
                )
                decide_on_receipt(decl, s.agencies, tx.now)
                decl.source_json = s.source_json
                created.append(decl)
                fresh_order.append(i)
                results[i] = Receipt(decl.number, decl.status.value, list(decl.dossiers), decl.version)
        memo = [d for d, s in zip(created, (subs[i] for i in fresh_order), strict=True) if s.keep_in_memo]
        repository.insert_many(tx.conn, created, repository.data_cache(tx.memo), memo)
        keys = [
            {
                "org_id": subs[i].org_id,
                "key": subs[i].idempotency_key,
                "body_hash": subs[i].body_hash,
                "number": results[i].number,
                "created_at": tx.now,
            }
            for i in first.values()
        ]
        if keys:
            tx.conn.execute(idempotency_keys.insert(), keys)
        tx.emit([e for d in created for e in d.events])
        for i, j in repeats:
            results[i] = _replay(subs[i], subs[j].body_hash, results[j])
        return results


def _stored_keys(
    conn: sa.Connection, keys: list[tuple[str, str | None]]
) -> dict[tuple[str, str], tuple[str, Receipt]]:
    if not keys:
        return {}
    ik, d = idempotency_keys.c, declarations.c
    q = (
        sa.select(ik.org_id, ik.key, ik.body_hash, d.number, d.status, d.version)
        .join(declarations, d.number == ik.number)
        .where(sa.tuple_(ik.org_id, ik.key).in_(keys))
    )
    out = {}
    for r in conn.execute(q):
        agencies = [
            a
            for (a,) in conn.execute(
                sa.text("SELECT agency FROM dossiers WHERE number = :n"), {"n": r.number}
            )
        ]
        out[(r.org_id, r.key)] = (r.body_hash, Receipt(r.number, r.status, agencies, r.version))
    return out


def _replay(s: SubmitDeclaration, body_hash: str, receipt: Receipt) -> Receipt | IdempotencyKeyReused:
    if body_hash != s.body_hash:
        return IdempotencyKeyReused(s.idempotency_key or "")
    return Receipt(receipt.number, receipt.status, receipt.agencies, receipt.version, replayed=True)


def _load_own(tx: Transaction, number: str, org_id: str | None) -> Declaration:
    decl = repository.load(tx.conn, number, for_update=True, cache=repository.data_cache(tx.memo))
    if org_id is not None and decl.org_id != org_id:
        raise NotFound("declaration", "报关单", number)
    return decl


def _finish(tx: Transaction, decl: Declaration) -> Receipt:
    repository.save(tx.conn, decl, repository.data_cache(tx.memo))
    tx.emit(decl.events)
    return Receipt(decl.number, decl.status.value, list(decl.dossiers), decl.version)


@dataclass
class AmendDeclaration:
    number: str
    org_id: str
    actor: str
    data: Data
    concerned: Sequence[Agency]
    reason: str

    def run(self, tx: Transaction) -> Receipt:
        decl = _load_own(tx, self.number, self.org_id)
        decl.amend(self.data, self.concerned, self.reason, self.actor, tx.now)
        decide_on_receipt(decl, self.concerned, tx.now)
        return _finish(tx, decl)


@dataclass
class WithdrawDeclaration:
    number: str
    org_id: str
    actor: str
    reason: str

    def run(self, tx: Transaction) -> Receipt:
        decl = _load_own(tx, self.number, self.org_id)
        decl.withdraw(self.reason, self.actor, tx.now)
        return _finish(tx, decl)


@dataclass
class DecideDossier:
    """An officer's decision on the dossier of their agency."""

    number: str
    agency: Agency
    decision: str
    reason: str
    actor: str
    rule: str | None = field(default=None)

    def run(self, tx: Transaction) -> Receipt:
        decl = _load_own(tx, self.number, None)
        decl.decide(self.agency, self.decision, self.reason, self.actor, tx.now, self.rule)
        return _finish(tx, decl)


@dataclass
class DecideWithdrawal:
    number: str
    agency: Agency
    approve: bool
    reason: str
    actor: str

    def run(self, tx: Transaction) -> Receipt:
        decl = _load_own(tx, self.number, None)
        decl.decide_withdrawal(self.agency, self.approve, self.reason, self.actor, tx.now)
        return _finish(tx, decl)
