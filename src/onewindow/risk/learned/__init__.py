"""The learned risk score: a gradient-boosted model trained on inspected, labelled goods items.

Everything the model sees is a :class:`RiskItem` in OneWindow's own terms; a foreign history (the
Korean customs data set) comes in through an importer, a live declaration through
:func:`items_from_goods_declaration`.
"""

from onewindow.risk.learned.features import RiskItem, items_from_goods_declaration
from onewindow.risk.learned.history import LabelledItem, MalformedHistory, read_history, read_items
from onewindow.risk.learned.model import RiskModel
from onewindow.risk.learned.quality import precision_at, quality_report

__all__ = [
    "LabelledItem",
    "MalformedHistory",
    "RiskItem",
    "RiskModel",
    "items_from_goods_declaration",
    "precision_at",
    "quality_report",
    "read_history",
    "read_items",
]
