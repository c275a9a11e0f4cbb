"""The learned model's history from OneWindow itself: every declaration an inspection result was
recorded for, labelled by what the inspections found (fraud if any result found it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa

from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.declarations.tables import declarations
from onewindow.inspection.tables import inspection_results

from .learned.features import items_from_goods_declaration
from .learned.history import LabelledItem

__all__ = ["recorded_history"]


def recorded_history(conn: sa.Connection) -> Iterator[LabelledItem]:
    r, d = inspection_results.c, declarations.c
    found: dict[str, tuple[bool, bool]] = defaultdict(lambda: (False, False))
    for number, fraud, critical in conn.execute(
        sa.select(r.number, r.fraud, r.critical).where(r.number.is_not(None))
    ):
        f, c = found[number]
        found[number] = (f or fraud, c or critical)
    numbers = sorted(found)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        rows = conn.execute(
            sa.select(d.number, d.data).where(d.number.in_(chunk), d.kind.in_(["import", "export"]))
        )
        for number, data in rows:
            fraud, critical = found[number]
            try:
                items = items_from_goods_declaration(GoodsDeclaration.model_validate(data))
            except ValueError:
                continue  # not scorable (a currency with no carried rate): nothing to learn from
            for item in items:
                yield LabelledItem(item, fraud, 2 if critical else int(fraud), number)
