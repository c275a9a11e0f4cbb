"""Automatic decisions: each agency's configured rules run on every dossier opened or resubmitted.

The consumer records each event it handled in the same transaction as the decision, so a
redelivered event never decides twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.declarations import repository
from onewindow.declarations.handlers import Receipt
from onewindow.kernel.errors import Conflict, NotFound
from onewindow.kernel.messages import Envelope
from onewindow.messaging.brokers.base import Handler
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.outbox import claim_processed

from .base import Agency
from .registry import AgencyRegistry
from .states import Category

__all__ = ["CONSUMER", "AutoDecide", "automation_handler"]

CONSUMER = "agency-rules"
TRIGGERS = frozenset({"DossierOpened", "DossierResubmitted"})


@dataclass
class AutoDecide:
    event_id: str
    number: str
    agency: Agency

    def run(self, tx: Transaction) -> Receipt | None:
        if not claim_processed(tx.conn, CONSUMER, self.event_id, tx.now):
            return None
        try:
            decl = repository.load(tx.conn, self.number, for_update=True)
        except NotFound:
            return None
        dossier = decl.dossiers.get(self.agency.code)
        if dossier is None or dossier.category is not Category.OPEN:
            return None
        auto = self.agency.auto_decide(decl.data)
        if auto is None:
            return None  # left to an officer
        try:
            decl.decide(self.agency, auto.decision, auto.reason, f"rule:{self.agency.code}/{auto.rule}", tx.now, auto.rule)
        except Conflict:
            return None  # closed meanwhile (another agency refused, or it was withdrawn)
        repository.save(tx.conn, decl)
        tx.emit(decl.events)
        return Receipt(decl.number, decl.status.value, list(decl.dossiers), decl.version)


def automation_handler(registry: AgencyRegistry, committer: Committer) -> Handler:
    async def handle(env: Envelope) -> None:
        if env.type in TRIGGERS and env.agency in registry and env.number:
            await committer.run(AutoDecide(env.event_id, env.number, registry.get(env.agency)))

    return handle
