"""The learned risk score: a gradient-boosted model trained on inspected, labelled goods items.

Everything the model sees is a :class:`RiskItem` in OneWindow's own terms; a foreign history (the
Korean customs data set) comes in through an importer, a live declaration through
:func:`items_from_goods_declaration`.
"""
