"""The learned model as the risk engine uses it: one score per declaration, a threshold per rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from onewindow.declarations.dataset import GoodsDeclaration

from .learned.features import RiskItem, items_from_goods_declaration
from .learned.model import RiskModel

__all__ = ["ModelScorer"]


class ModelScorer:
    """A declaration scores as its riskiest item."""

    def __init__(self, model_id: str, model: RiskModel) -> None:
        self.model_id = model_id
        self.model = model
        self._thresholds: dict[float, float] = {}

    @classmethod
    def from_text(cls, model_id: str, text: str) -> ModelScorer:
        return cls(model_id, RiskModel.loads(text))

    def score_declaration(self, data: GoodsDeclaration) -> float | None:
        """None when the declaration cannot be scored (a currency with no carried rate): it is
        then selected by the other parts alone, never refused for it."""
        try:
            items = items_from_goods_declaration(data)
        except ValueError:
            return None
        return float(max(self.model.score(items)))

    def score_many(self, batch: Sequence[GoodsDeclaration]) -> list[float | None]:
        """Every declaration of a committer batch in one call to the model: LightGBM's cost per
        call is several times its cost per row, so the batch scores much faster than one by one."""
        items: list[RiskItem] = []
        spans: list[tuple[int, int] | None] = []
        for data in batch:
            try:
                found = items_from_goods_declaration(data)
            except ValueError:
                spans.append(None)
                continue
            spans.append((len(items), len(items) + len(found)))
            items.extend(found)
        if not items:
            return [None] * len(spans)
        scores = self.model.score(items)
        starts = [s[0] for s in spans if s is not None]
        worst = iter(np.maximum.reduceat(scores, starts).tolist())  # each declaration's riskiest item
        return [None if s is None else next(worst) for s in spans]

    def drivers(self, data: GoodsDeclaration, top: int = 5) -> list[dict[str, Any]]:
        """The features that moved the riskiest item's score most (SHAP values from LightGBM)."""
        items = items_from_goods_declaration(data)
        scores = self.model.score(items)
        worst = int(scores.argmax())
        return [
            {"line": data.items[worst].line, "feature": name, "contribution": float(value)}
            for name, value in self.model.explain(items[worst], top)
        ]

    def threshold_for_rate(self, rate: float) -> float:
        if rate <= 0:
            return float("inf")  # no capacity: the score selects nothing
        if rate not in self._thresholds:
            self._thresholds[rate] = float(self.model.threshold_for_rate(rate))
        return self._thresholds[rate]
