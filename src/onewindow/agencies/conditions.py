"""Conditions of an agency's automatic rules, written as data (no code is evaluated).

A condition is a mapping of tests that must all hold, e.g.
``{"hs_prefix": ["0201", "0202"], "origin_in": ["BR"]}``. The tests:

- ``kind_in``: declaration kinds (import, export, vessel_arrival, vessel_departure)
- ``hs_prefix``: any item's commodity code starts with one of these
- ``origin_in``: any item's origin (or the vessel's previous port's country) is one of these
- ``supervision_mode_in``: the goods declaration's supervision mode is one of these
- ``value_above``: the declared total value is above this amount (declared currency)
- ``missing_document``: no attached document of this type
- ``dangerous_goods``: the vessel reports dangerous goods (true) or not (false)
- ``sick_or_dead_on_board``: the health declaration reports sickness or deaths
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration

__all__ = ["TESTS", "holds", "validate_condition"]

Data = GoodsDeclaration | ConveyanceReport


def _kind_in(d: Data, arg: Any) -> bool:
    return d.kind in arg


def _hs_prefix(d: Data, arg: Any) -> bool:
    return isinstance(d, GoodsDeclaration) and any(i.hs_code.startswith(tuple(arg)) for i in d.items)


def _origin_in(d: Data, arg: Any) -> bool:
    if isinstance(d, GoodsDeclaration):
        return any(i.origin_country in arg for i in d.items)
    return d.previous_port[:2] in arg


def _supervision_mode_in(d: Data, arg: Any) -> bool:
    return isinstance(d, GoodsDeclaration) and d.supervision_mode in arg


def _value_above(d: Data, arg: Any) -> bool:
    return isinstance(d, GoodsDeclaration) and d.total_value > Decimal(str(arg))


def _missing_document(d: Data, arg: Any) -> bool:
    return all(doc.type != arg for doc in d.documents)


def _dangerous_goods(d: Data, arg: Any) -> bool:
    return isinstance(d, ConveyanceReport) and bool(d.cargo.dangerous_goods_classes) == bool(arg)


def _sick_or_dead(d: Data, arg: Any) -> bool:
    if not isinstance(d, ConveyanceReport):
        return False
    return (d.health.sick_on_board + d.health.deaths_on_voyage > 0) == bool(arg)


TESTS: dict[str, Callable[[Data, Any], bool]] = {
    "kind_in": _kind_in,
    "hs_prefix": _hs_prefix,
    "origin_in": _origin_in,
    "supervision_mode_in": _supervision_mode_in,
    "value_above": _value_above,
    "missing_document": _missing_document,
    "dangerous_goods": _dangerous_goods,
    "sick_or_dead_on_board": _sick_or_dead,
}


def validate_condition(cond: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first unknown test, so a bad configuration fails at start-up."""
    for key in cond:
        if key not in TESTS:
            raise ValueError(f"unknown condition test {key!r}; known: {', '.join(sorted(TESTS))}")


def holds(cond: Mapping[str, Any], data: Data) -> bool:
    return all(TESTS[key](data, arg) for key, arg in cond.items())
