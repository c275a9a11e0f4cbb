"""Automatic decisions: each agency's configured rules run on every dossier opened or resubmitted.

By default they run on receipt, in the transaction that opens the dossier (``decide_on_receipt``),
so an automatic release is committed with the submission itself. An agency configured with
``on_receipt: false`` decides from the event stream instead: the consumer records each event it
handled in the same transaction as the decision, so a redelivered event never decides twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from onewindow.declarations import repository
from onewindow.declarations.model import Declaration
from onewindow.kernel.errors import Conflict
from onewindow.kernel.messages import Envelope
from onewindow.messaging.brokers.base import Handler
from onewindow.persistence.committer import Batchable, Committer, Transaction
from onewindow.persistence.outbox import unclaimed
from onewindow.risk.engine import RiskEngine, RiskRun

from .base import Agency
from .registry import AgencyRegistry
from .states import Category

__all__ = ["CONSUMER", "AutoDecide", "apply_rules", "automation_handler", "decide_on_receipt"]

CONSUMER = "agency-rules"
TRIGGERS = frozenset({"DossierOpened", "DossierResubmitted"})


@dataclass
class AutoDecide(Batchable):
    """Run an agency's rules on one dossier. Batched: a burst of dossiers costs a few statements."""

    batch_key: ClassVar[str] = "auto-decide"

    event_id: str
    number: str
    agency: Agency
    risk: RiskEngine | None = None

    @classmethod
    def run_batch(cls, tx: Transaction, ops: Sequence[Any]) -> list[Any]:
        todo: list[AutoDecide] = unclaimed(tx, CONSUMER, ops)
        cache = repository.data_cache(tx.memo)
        decls = repository.load_many(
            tx.conn, sorted({op.number for op in todo}), for_update=True, cache=cache
        )
        changed: dict[str, Declaration] = {}
        engine = next((op.risk for op in todo if op.risk is not None), None)
        risk = engine.run(tx) if engine is not None else None
        for op in todo:
            decl = decls.get(op.number)
            if decl is not None and apply_rules(decl, op.agency, tx.now, risk):
                changed[decl.number] = decl
        if risk is not None:
            risk.flush()
        repository.save_many(tx.conn, list(changed.values()), cache)
        tx.emit([e for d in changed.values() for e in d.events])
        return [None] * len(ops)


def apply_rules(decl: Declaration, agency: Agency, now: datetime, risk: RiskRun | None = None) -> bool:
    """Decide if the agency's dossier is open: its own rules first (completeness, prohibitions),
    then the risk engine's channel where the agency uses it, else its default decision. A document
    check leaves the dossier to an officer; so does a release channel at an agency whose default
    is to decide by hand (``default_decision: null``): the engine selects, it never releases
    what the agency keeps for its officers."""
    dossier = decl.dossiers.get(agency.code)
    if dossier is None or dossier.category is not Category.OPEN:
        return False
    auto = agency.rule_decision(decl.data)
    if auto is not None:
        return _decide(
            decl, agency, auto.decision, auto.reason, f"rule:{agency.code}/{auto.rule}", now, auto.rule
        )
    if risk is not None and agency.risk.enabled:
        assessment = risk.assess(decl.number, decl.version, decl.data, agency.code, agency.risk)
        taken = assessment.decision
        if taken is None:
            return False  # a document check: an officer's
        if taken[0] == "release" and assessment.recognised is None and agency.config.default_decision is None:
            return False  # nothing selected, and this agency releases only by hand
        by = f"risk:{agency.code}"
        return _decide(decl, agency, taken[0], taken[1], by, now, f"risk/{assessment.channel.value}")
    auto = agency.auto_decide(decl.data)
    if auto is None:
        return False  # left to an officer
    return _decide(
        decl, agency, auto.decision, auto.reason, f"rule:{agency.code}/{auto.rule}", now, auto.rule
    )


def _decide(
    decl: Declaration, agency: Agency, decision: str, reason: str, by: str, now: datetime, rule: str
) -> bool:
    try:
        decl.decide(agency, decision, reason, by, now, rule)
    except Conflict:
        return False  # closed meanwhile (another agency refused, or it was withdrawn)
    return True


def decide_on_receipt(
    decl: Declaration, agencies: Sequence[Agency], now: datetime, risk: RiskRun | None = None
) -> None:
    """Run the rules of every agency that decides on receipt, in the current transaction."""
    for agency in agencies:
        if agency.config.on_receipt:
            apply_rules(decl, agency, now, risk)


def automation_handler(
    registry: AgencyRegistry, committer: Committer, risk: RiskEngine | None = None
) -> Handler:
    async def handle(env: Envelope) -> None:
        if env.type in TRIGGERS and env.agency is not None and env.agency in registry and env.number:
            agency = registry.get(env.agency)
            if not agency.config.on_receipt:
                await committer.run(AutoDecide(env.event_id, env.number, agency, risk))

    return handle
