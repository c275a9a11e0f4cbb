"""How good the score is at what customs does with it: inspecting the riskiest few percent.

precision@n% (the metric of the data set's paper): score every item, inspect the n% with the highest
scores, report the share of inspected items that were fraud. Random selection scores the base rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from onewindow.risk.learned.history import LabelledItem
from onewindow.risk.learned.model import RiskModel

__all__ = ["FRACTIONS", "precision_at", "quality_report", "roc_auc"]

FRACTIONS = (0.01, 0.05, 0.10)


def precision_at(scores: ArrayLike, labels: ArrayLike, fraction: float) -> float:
    """Share of fraud among the top ``fraction`` of items (at least one item; ties keep input order)."""
    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    if s.shape != y.shape or s.ndim != 1 or len(s) == 0:
        raise ValueError("scores and labels must be two non-empty sequences of the same length")
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"the fraction inspected is in (0, 1], not {fraction}")
    count = max(1, round(len(s) * fraction))
    top = np.argsort(-s, kind="stable")[:count]
    return float(y[top].mean())


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """The chance that a fraud outscores a clean item (ties count half)."""
    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = (ends - (counts - 1) / 2.0)[inverse]
    return float((average_rank[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def quality_report(model: RiskModel, holdout: Sequence[LabelledItem]) -> dict[str, Any]:
    """precision@1/5/10% and ROC AUC of the model on labelled items it was not trained on."""
    scores = model.score([h.item for h in holdout])
    labels = np.fromiter((h.fraud for h in holdout), dtype=np.float64, count=len(holdout))
    report: dict[str, Any] = {"items": len(holdout), "fraud_rate": float(labels.mean())}
    for fraction in FRACTIONS:
        report[f"precision_at_{round(fraction * 100)}pct"] = precision_at(scores, labels, fraction)
    report["roc_auc"] = roc_auc(scores, labels)
    return report
