"""The fields a risk profile can test, and the records they are read from.

A goods declaration gives one record per item line: the header's fields with the item's own, so
"chilled beef from Brazil below 30 CNY/kg" is one condition on one line. A conveyance report gives
one record. Money is converted to CNY by the carried customs rates; weight per item is the item's
quantity when its unit is the kilogram (035), else its share of the net weight by value.
"""

from __future__ import annotations

from typing import Any

from onewindow import reference
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration

from .selection import Subjects

__all__ = ["FIELDS", "enterprises", "records", "subjects"]

Data = GoodsDeclaration | ConveyanceReport
KILOGRAM = "035"

FIELDS: dict[str, str] = {
    # every declaration
    "kind": "text",
    "declaration_office": "text",
    "credit_grade": "text",
    # goods declarations: the header
    "entry_exit_office": "text",
    "supervision_mode": "text",
    "transport_mode": "text",
    "declarant": "text",
    "consignee": "text",
    "overseas_party": "text",
    "overseas_country": "text",
    "country_of_trade": "text",
    "country_of_dispatch": "text",
    "port_of_loading": "text",
    "port_of_entry": "text",
    "transaction_terms": "text",
    "currency": "text",
    "total_value": "number",
    "total_value_cny": "number",
    "gross_weight_kg": "number",
    "net_weight_kg": "number",
    "packages": "number",
    "containers": "number",
    # goods declarations: the item line
    "hs_code": "text",
    "item_name": "text",
    "declared_elements": "text",
    "origin_country": "text",
    "quantity": "number",
    "unit": "text",
    "unit_price": "number",
    "unit_price_cny": "number",
    "item_value_cny": "number",
    "item_net_weight_kg": "number",
    "unit_price_cny_per_kg": "number",
    # conveyance reports
    "vessel_imo": "text",
    "vessel_flag": "text",
    "previous_port": "text",
    "crew_count": "number",
    "passenger_count": "number",
    "dangerous_goods": "boolean",
    "sick_on_board": "number",
}


def records(data: Data, credit_grade: str) -> list[dict[str, Any]]:
    if isinstance(data, ConveyanceReport):
        return [_conveyance(data, credit_grade)]
    return _goods(data, credit_grade)


def _conveyance(d: ConveyanceReport, grade: str) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "declaration_office": d.declaration_office,
        "credit_grade": grade,
        "vessel_imo": d.vessel.imo,
        "vessel_flag": d.vessel.flag,
        "previous_port": d.previous_port,
        "crew_count": d.crew_count,
        "passenger_count": d.passenger_count,
        "dangerous_goods": bool(d.cargo.dangerous_goods_classes),
        "sick_on_board": d.health.sick_on_board,
    }


def _goods(d: GoodsDeclaration, grade: str) -> list[dict[str, Any]]:
    rate = reference.cny_rate(d.currency)
    total = float(d.total_value)
    net = float(d.net_weight_kg)
    header = {
        "kind": d.kind,
        "declaration_office": d.declaration_office,
        "credit_grade": grade,
        "entry_exit_office": d.entry_exit_office,
        "supervision_mode": d.supervision_mode,
        "transport_mode": d.transport.mode,
        "declarant": d.declarant.uscc,
        "consignee": d.consignee.uscc,
        "overseas_party": d.overseas_party.name,
        "overseas_country": d.overseas_party.country,
        "country_of_trade": d.country_of_trade,
        "country_of_dispatch": d.country_of_dispatch,
        "port_of_loading": d.port_of_loading,
        "port_of_entry": d.port_of_entry,
        "transaction_terms": d.transaction_terms,
        "currency": d.currency,
        "total_value": total,
        "total_value_cny": None if rate is None else total * rate,
        "gross_weight_kg": float(d.gross_weight_kg),
        "net_weight_kg": net,
        "packages": d.packages,
        "containers": len(d.containers),
    }
    out = []
    for item in d.items:
        value = float(item.total)
        if item.unit == KILOGRAM:
            weight: float | None = float(item.quantity)
        else:
            weight = net * value / total if total > 0 else None
        value_cny = None if rate is None else value * rate
        out.append(
            {
                **header,
                "hs_code": item.hs_code,
                "item_name": item.name,
                "declared_elements": item.declared_elements,
                "origin_country": item.origin_country,
                "quantity": float(item.quantity),
                "unit": item.unit,
                "unit_price": float(item.unit_price),
                "unit_price_cny": None if rate is None else float(item.unit_price) * rate,
                "item_value_cny": value_cny,
                "item_net_weight_kg": weight,
                "unit_price_cny_per_kg": value_cny / weight if value_cny is not None and weight else None,
            }
        )
    return out


def enterprises(data: Data) -> list[str]:
    """The credit codes whose grade counts, the goods' owner first: consignee, declarant,
    production/sales unit (the shipping agent for a vessel); see ``credit.grades.grade_of``."""
    if isinstance(data, ConveyanceReport):
        return [data.shipping_agent.uscc]
    unit = data.production_sales_unit
    return [data.consignee.uscc, data.declarant.uscc, *([unit.uscc] if unit else [])]


def subjects(data: Data) -> Subjects:
    if isinstance(data, ConveyanceReport):
        return Subjects(
            enterprises=frozenset(enterprises(data)),
            vessels=frozenset({data.vessel.imo}),
            containers=frozenset(),
            commodities=(),
            origins=frozenset({data.previous_port[:2]}),
        )
    return Subjects(
        enterprises=frozenset(enterprises(data)),
        vessels=frozenset({data.transport.imo} if data.transport.imo else ()),
        containers=frozenset(c.number for c in data.containers),
        commodities=tuple(i.hs_code for i in data.items),
        origins=frozenset({*(i.origin_country for i in data.items), data.country_of_dispatch}),
    )
