"""Recording an inspection's outcome, once, for every agency entitled to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from onewindow.declarations.tables import declarations, dossiers
from onewindow.kernel.errors import FieldError, InvalidInput, NotFound
from onewindow.persistence.committer import Transaction

from .tables import inspection_results

__all__ = ["RecordResult"]


@dataclass
class RecordResult:
    """``agency`` is the officer's agency, or None for an accredited third party (``org_id``)."""

    agency: str | None
    org_id: str
    actor: str
    fields: dict[str, Any]

    def run(self, tx: Transaction) -> dict[str, Any]:
        f = self.fields
        if f["inspected_at"] > tx.now:
            raise InvalidInput(
                [
                    FieldError(
                        "inspected_at",
                        "in_future",
                        "An inspection cannot end in the future.",
                        "查验时间不能晚于当前时间。",
                    )
                ]
            )
        number = f.get("number")
        if number is not None:
            self._check_declaration(tx.conn, number, f.get("container"))
        row = {
            "id": uuid.uuid4().hex,
            **f,
            "inspector_kind": "agency" if self.agency else "third_party",
            "agency": self.agency,
            "inspector_org": self.org_id,
            "recorded_by": self.actor,
            "recorded_at": tx.now,
        }
        tx.conn.execute(inspection_results.insert().values(**row))
        return row

    def _check_declaration(self, conn: sa.Connection, number: str, container: str | None) -> None:
        """The declaration exists and, for an agency, is routed to it; a named container is on it."""
        found = conn.execute(sa.select(declarations.c.data).where(declarations.c.number == number)).first()
        if found is None:
            raise NotFound("declaration", "报关单", number)
        if self.agency is not None:
            d = dossiers.c
            routed = conn.execute(
                sa.select(d.agency).where(d.number == number, d.agency == self.agency)
            ).first()
            if routed is None:
                raise NotFound("dossier", "案卷", f"{number}/{self.agency}")
        data = found.data
        on_it = {c["number"] for c in data.get("containers", [])} if isinstance(data, dict) else set()
        if container is not None and container not in on_it:
            raise InvalidInput(
                [
                    FieldError(
                        "container",
                        "not_on_declaration",
                        f"Container {container} is not on declaration {number}.",
                        f"集装箱 {container} 不在报关单 {number} 上。",
                    )
                ]
            )
