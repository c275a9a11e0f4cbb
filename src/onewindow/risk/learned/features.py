"""What the risk model knows about one goods item, in OneWindow's own words.

A :class:`RiskItem` is the only thing the model ever sees: history files are mapped to it by an
importer (``history.py``) and live declarations by :func:`items_from_goods_declaration`, so the
model cannot tell, and need not care, where an item came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.reference import cny_rate

__all__ = ["KILOGRAM", "RiskItem", "items_from_goods_declaration"]

KILOGRAM = "035"
"""The customs unit code for kilograms (计量单位 035)."""


@dataclass(slots=True)
class RiskItem:
    """One goods item (商品项) as the risk model sees it; ids are opaque, '' means unknown.

    Treated as a value and never changed once made; not declared frozen, because a frozen
    dataclass sets each of its fields through ``object.__setattr__``, and every submission makes
    ten of these inside the writer's transaction."""

    declaration_date: date
    declaration_office: str
    process_type: str  # 申报流程; '' when the source has none
    supervision_mode: str  # 监管方式
    levy_nature: str  # 征免性质
    transaction_terms: str  # 成交方式
    transport_mode: str  # 运输方式
    declarant: str  # 申报单位
    consignee: str  # 境内收货人
    overseas_party: str  # 境外发货人
    carrier: str  # express carrier, '' when none
    hs_code: str  # 商品编号, at least 6 digits
    country_of_dispatch: str  # 启运国
    origin_country: str  # 原产国
    duty_rate: float  # percent; 0.0 when unknown
    levy_mode: str  # 征免方式
    origin_preference: str  # how origin was claimed (e.g. a preferential certificate)
    net_weight_kg: float
    value_cny: float

    # The HS subheading, heading and chapter, kept as fields: the model reads them many times.
    hs6: str = field(init=False, compare=False, repr=False)
    hs4: str = field(init=False, compare=False, repr=False)
    hs2: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        code = self.hs_code
        self.hs6, self.hs4, self.hs2 = code[:6], code[:4], code[:2]


def items_from_goods_declaration(
    data: GoodsDeclaration,
    *,
    value_in_cny: Decimal | float | None = None,
    duty_rates: Mapping[str, float] | None = None,
) -> list[RiskItem]:
    """The items of a live declaration, as the risk model sees them.

    ``value_in_cny`` is the declaration's total value in CNY when the caller knows it (the rate of
    the day); otherwise the total is converted by the carried customs monthly rate, and a currency
    without one is refused rather than read as yuan. Item values are that total apportioned by each
    line's share. ``duty_rates`` maps a 10-digit or 6-digit HS code to the duty rate in percent; an
    unknown rate is 0.0.
    """
    # Floats from here on: these are model inputs, not amounts anyone is charged.
    total_cny = float(_total_cny(data, value_in_cny))
    lines = data.items
    totals = [float(item.total) for item in lines]
    line_sum = sum(totals)
    weights = _net_weights(data, totals, line_sum)
    rates = duty_rates or {}
    office, supervision, levy_nature = data.declaration_office, data.supervision_mode, data.levy_nature or ""
    terms, mode, dispatch = data.transaction_terms, data.transport.mode, data.country_of_dispatch
    declarant, consignee, overseas = data.declarant.uscc, data.consignee.uscc, data.overseas_party.name
    day, count = data.conveyance_date, len(lines)
    return [
        RiskItem(
            day,
            office,
            "",  # process type
            supervision,
            levy_nature,
            terms,
            mode,
            declarant,
            consignee,
            overseas,
            "",  # carrier
            item.hs_code,
            dispatch,
            item.origin_country,
            rates.get(item.hs_code, rates.get(item.hs_code[:6], 0.0)) if rates else 0.0,
            item.levy_mode,
            "",  # origin preference
            weight,
            total_cny * _share(total, line_sum, count),
        )
        for item, total, weight in zip(lines, totals, weights, strict=True)
    ]


def _total_cny(data: GoodsDeclaration, value_in_cny: Decimal | float | None) -> Decimal:
    if value_in_cny is not None:
        return Decimal(str(value_in_cny))
    rate = cny_rate(data.currency)
    if rate is None:
        raise ValueError(f"no CNY rate for {data.currency}: pass the total in CNY as value_in_cny")
    return data.total_value * Decimal(str(rate))


def _share(part: float, whole: float, count: int) -> float:
    """An item's share of the declaration; equal shares when every line is zero-valued."""
    return part / whole if whole > 0 else 1.0 / count


def _net_weights(data: GoodsDeclaration, totals: list[float], line_sum: float) -> list[float]:
    """Lines measured in kg keep their quantity; the rest of the net weight goes by value share.

    When the kg lines already reach the declared net weight (the two disagree), the other lines get
    their value share of the whole net weight instead of nothing.
    """
    in_kg = [float(item.quantity) if item.unit == KILOGRAM else None for item in data.items]
    others = [total for total, q in zip(totals, in_kg, strict=True) if q is None]
    others_sum = sum(others)
    net = float(data.net_weight_kg)
    rest = net - sum(q for q in in_kg if q is not None)
    if rest <= 0:
        rest = net * _share(others_sum, line_sum, len(totals))
    return [
        q if q is not None else rest * _share(total, others_sum, len(others))
        for total, q in zip(totals, in_kg, strict=True)
    ]
