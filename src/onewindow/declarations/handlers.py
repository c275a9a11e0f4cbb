"""Command handlers of the declarations area: each loads, calls the rules, saves, and emits the
events the rules recorded, inside the committer's transaction (never committing itself)."""

from __future__ import annotations

import hashlib
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
from onewindow.risk.engine import RiskEngine, Scored

from . import repository
from .dataset import ConveyanceReport, GoodsDeclaration
from .model import Declaration, number_for
from .tables import declarations, dossiers, idempotency_keys

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
    risk: RiskEngine | None = None  # the agencies that use it assess the declaration on receipt
    scored: Scored | None = None  # its learned score when computed ahead of the transaction

    @classmethod
    def run_batch(cls, tx: Transaction, ops: Sequence[Any]) -> list[Any]:
        """Replay what was already stored under an idempotency key, number the rest (one serial
        range per office), run the agencies' rules on receipt, and insert everything at once."""
        subs: Sequence[SubmitDeclaration] = ops
        results: list[Any] = [None] * len(subs)
        fresh, first, repeats = _sort_by_key(tx.conn, subs, results)
        decls = cls._create(tx, subs, fresh, results)
        cached = [d for i, d in zip(fresh, decls, strict=True) if subs[i].keep_in_memo]
        repository.insert_many(tx.conn, decls, repository.data_cache(tx.memo), cached)
        keys = [
            {
                "key_hash": key_hash(subs[i].org_id, subs[i].idempotency_key or ""),
                "org_id": subs[i].org_id,
                "key": subs[i].idempotency_key,
                "body_hash": subs[i].body_hash,
                "number": results[i].number,
                "created_at": tx.now,
            }
            for i in first
        ]
        if keys:
            tx.conn.execute(idempotency_keys.insert(), keys)
        tx.emit([e for d in decls for e in d.events])
        for i, j in repeats:
            results[i] = _replay(subs[i], subs[j].body_hash, results[j])
        return results

    @staticmethod
    def _create(
        tx: Transaction, subs: Sequence[SubmitDeclaration], fresh: list[int], results: list[Any]
    ) -> list[Declaration]:
        """New declarations for ``fresh`` (in index order), numbered per office and year."""
        year = tx.now.astimezone(CHINA).year
        by_office: dict[str, list[int]] = defaultdict(list)
        for i in fresh:
            by_office[subs[i].data.declaration_office].append(i)
        created: dict[int, Declaration] = {}
        engine = next((subs[i].risk for i in fresh if subs[i].risk is not None), None)
        risk = engine.run(tx) if engine is not None else None
        if risk is not None:
            risk.prescore([subs[i].data for i in fresh], [subs[i].scored for i in fresh])
        ranges = repository.allocate_serials(tx.conn, year, {o: len(idx) for o, idx in by_office.items()})
        for office, idx in sorted(by_office.items()):
            for i, serial in zip(idx, ranges[office], strict=True):
                s = subs[i]
                number = number_for(office, year, s.data.kind, serial)
                decl = Declaration.submit(number, s.org_id, s.data, s.agencies, s.actor, tx.now)
                decide_on_receipt(decl, s.agencies, tx.now, risk)
                decl.source_json = s.source_json
                created[i] = decl
                results[i] = Receipt(decl.number, decl.status.value, list(decl.dossiers), decl.version)
        if risk is not None:
            risk.flush()
        return [created[i] for i in sorted(created)]


def _sort_by_key(
    conn: sa.Connection, subs: Sequence[SubmitDeclaration], results: list[Any]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Split a batch by idempotency key: submissions to store (``fresh``), among them the first of
    each key (``first``), and later repeats of a key within the batch (``repeats``: index, first
    index). A key stored before gets its replay (or refusal) written to ``results`` now."""
    stored = _stored_keys(conn, [(s.org_id, s.idempotency_key) for s in subs if s.idempotency_key])
    seen: dict[tuple[str, str], int] = {}
    fresh: list[int] = []
    repeats: list[tuple[int, int]] = []
    for i, s in enumerate(subs):
        key = (s.org_id, s.idempotency_key) if s.idempotency_key else None
        if key is None:
            fresh.append(i)
        elif key in stored:
            body_hash, receipt = stored[key]
            results[i] = _replay(s, body_hash, receipt)
        elif key in seen:
            repeats.append((i, seen[key]))
        else:
            seen[key] = i
            fresh.append(i)
    return fresh, list(seen.values()), repeats


def key_hash(org_id: str, key: str) -> str:
    """An idempotency key is scoped to its organisation: the same key from two is two keys."""
    return hashlib.sha256(f"{org_id}\x00{key}".encode()).hexdigest()


def _stored_keys(
    conn: sa.Connection, keys: list[tuple[str, str | None]]
) -> dict[tuple[str, str], tuple[str, Receipt]]:
    """The receipts already stored under these keys (one indexed look-up for the batch)."""
    hashes = [key_hash(org_id, key) for org_id, key in keys if key is not None]
    if not hashes:
        return {}
    ik, d = idempotency_keys.c, declarations.c
    q = (
        sa.select(ik.org_id, ik.key, ik.body_hash, d.number, d.status, d.version)
        .join(declarations, d.number == ik.number)
        .where(ik.key_hash.in_(hashes))
    )
    rows = conn.execute(q).all()
    agencies: dict[str, list[str]] = defaultdict(list)
    dz = dossiers.c
    if rows:
        for number, agency in conn.execute(
            sa.select(dz.number, dz.agency).where(dz.number.in_([r.number for r in rows]))
        ):
            agencies[number].append(agency)
    return {
        (r.org_id, r.key): (r.body_hash, Receipt(r.number, r.status, agencies[r.number], r.version))
        for r in rows
    }


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
    risk: RiskEngine | None = None

    def run(self, tx: Transaction) -> Receipt:
        decl = _load_own(tx, self.number, self.org_id)
        decl.amend(self.data, self.concerned, self.reason, self.actor, tx.now)
        risk = self.risk.run(tx) if self.risk is not None else None
        decide_on_receipt(decl, self.concerned, tx.now, risk)
        if risk is not None:
            risk.flush()
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
