"""What the risk model knows about one goods item, in OneWindow's own words.

A :class:`RiskItem` is the only thing the model ever sees: history files are mapped to it by an
importer (``history.py``) and live declarations by :func:`items_from_goods_declaration`, so the
model cannot tell, and need not care, where an item came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from onewindow.declarations.dataset import GoodsDeclaration, GoodsItem
from onewindow.reference import cny_rate

__all__ = ["KILOGRAM", "RiskItem", "items_from_goods_declaration"]

KILOGRAM = "035"
"""The customs unit code for kilograms (计量单位 035)."""


@dataclass(frozen=True, slots=True)
class RiskItem:
    """One goods item (商品项) as the risk model sees it; ids are opaque, '' means unknown."""

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

    @property
    def hs6(self) -> str:
        return self.hs_code[:6]

    @property
    def hs4(self) -> str:
        return self.hs_code[:4]

    @property
    def hs2(self) -> str:
        return self.hs_code[:2]


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
    total_cny = _total_cny(data, value_in_cny)
    line_sum = sum((item.total for item in data.items), Decimal(0))
    weights = _net_weights(data, line_sum)
    rates = duty_rates or {}
    return [
        RiskItem(
            declaration_date=data.conveyance_date,
            declaration_office=data.declaration_office,
            process_type="",
            supervision_mode=data.supervision_mode,
            levy_nature=data.levy_nature or "",
            transaction_terms=data.transaction_terms,
            transport_mode=data.transport.mode,
            declarant=data.declarant.uscc,
            consignee=data.consignee.uscc,
            overseas_party=data.overseas_party.name,
            carrier="",
            hs_code=item.hs_code,
            country_of_dispatch=data.country_of_dispatch,
            origin_country=item.origin_country,
            duty_rate=rates.get(item.hs_code, rates.get(item.hs_code[:6], 0.0)),
            levy_mode=item.levy_mode,
            origin_preference="",
            net_weight_kg=weight,
            value_cny=float(total_cny * _share(item.total, line_sum, len(data.items))),
        )
        for item, weight in zip(data.items, weights, strict=True)
    ]


def _total_cny(data: GoodsDeclaration, value_in_cny: Decimal | float | None) -> Decimal:
    if value_in_cny is not None:
        return Decimal(str(value_in_cny))
    rate = cny_rate(data.currency)
    if rate is None:
        raise ValueError(f"no CNY rate for {data.currency}: pass the total in CNY as value_in_cny")
    return data.total_value * Decimal(str(rate))


def _share(part: Decimal, whole: Decimal, count: int) -> Decimal:
    """An item's share of the declaration; equal shares when every line is zero-valued."""
    return part / whole if whole > 0 else Decimal(1) / count


def _net_weights(data: GoodsDeclaration, line_sum: Decimal) -> list[float]:
    """Lines measured in kg keep their quantity; the rest of the net weight goes by value share.

    When the kg lines already reach the declared net weight (the two disagree), the other lines get
    their value share of the whole net weight instead of nothing.
    """
    in_kg = [item.quantity if item.unit == KILOGRAM else None for item in data.items]
    others: list[GoodsItem] = [item for item, q in zip(data.items, in_kg, strict=True) if q is None]
    others_sum = sum((item.total for item in others), Decimal(0))
    rest = data.net_weight_kg - sum((q for q in in_kg if q is not None), Decimal(0))
    if rest <= 0:
        rest = data.net_weight_kg * _share(others_sum, line_sum, len(data.items))
    return [
        float(q) if q is not None else float(rest * _share(item.total, others_sum, len(others)))
        for item, q in zip(data.items, in_kg, strict=True)
    ]
