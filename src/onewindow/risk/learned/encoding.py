"""Turns RiskItems into the numbers the model reads, with what the history says about each party.

Three kinds of feature:

* **codes** of the small code lists (office, supervision mode, countries, HS chapter…), given to
  LightGBM as categories;
* **history** of a party or pair (consignee, declarant, overseas party, the consignee's record with
  this HS subheading, the goods' route…): the smoothed fraud rate of its earlier inspections and how
  often it was seen. This is where most of the skill comes from: customs already knows who has
  cheated before;
* **amounts**: value, weight, unit value and how it compares with the HS subheading's usual unit
  value (under-valuation is the classic fraud), duty rate and the duty at stake.

When training, an item's history rate is computed from strictly earlier dates only, so a label never
leaks into its own features, and the model learns from the same kind of evidence it has when scoring
(what was known before the declaration). Scoring uses the whole history. A party never seen has
count 0 and the base rate, which is what the model learned for the first declarations of a party.
Counts carry no label, so a training item's count is simply the others of its kind in the history.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from onewindow.risk.learned.features import RiskItem
from onewindow.risk.learned.history import LabelledItem

__all__ = ["CODES", "HISTORIES", "Encoder"]

CODES = (
    "declaration_office",
    "process_type",
    "supervision_mode",
    "levy_nature",
    "transaction_terms",
    "transport_mode",
    "country_of_dispatch",
    "origin_country",
    "levy_mode",
    "origin_preference",
    "hs2",
)
"""Short code lists, read by the model as categories."""

HISTORIES: tuple[tuple[str, ...], ...] = (
    ("declarant",),
    ("consignee",),
    ("overseas_party",),
    ("carrier",),
    ("hs6",),
    ("hs4",),
    ("consignee", "hs6"),
    ("declarant", "hs6"),
    ("overseas_party", "hs6"),
    ("consignee", "declarant"),
    ("consignee", "origin_country"),
    ("overseas_party", "consignee"),
    ("hs6", "levy_mode"),
    ("origin_country", "hs6"),
    ("country_of_dispatch", "hs6"),
    ("country_of_dispatch", "origin_country", "hs6"),
    ("country_of_dispatch", "origin_country", "hs6", "levy_mode"),
)
"""Parties and pairs whose inspection record is a feature; the last ones are the goods' route."""

AMOUNTS = (
    "duty_rate",
    "log_value",
    "log_net_weight",
    "log_unit_value",
    "unit_value_vs_hs6",
    "unit_value_vs_hs4",
    "log_duty",
    "origin_not_dispatch",
)

SMOOTHING = 10.0
"""Prior weight of the base rate in a history rate: a party seen 10 times is half its own record."""

_SEP = "\x1f"
Record = list[int]  # [items seen, of which fraud]
_Table = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]  # hashes, rates, seen


def _key_of(fields: tuple[str, ...]) -> Callable[[RiskItem], str]:
    get = attrgetter(*fields)
    if len(fields) == 1:
        return cast(Callable[[RiskItem], str], get)
    return lambda item: _SEP.join(get(item))


_KEYS = [_key_of(fields) for fields in HISTORIES]
_CODE_VALUES = attrgetter(*CODES)
_CODE_GETTERS = [attrgetter(field) for field in CODES]
_GETTERS = [attrgetter(*fields) for fields in HISTORIES]
"""What scoring hashes per history: a field's value, or the tuple of a pair's (see _key_hash)."""
_SALTS = np.array(
    [
        int.from_bytes(hashlib.blake2b(_SEP.join(f).encode(), digest_size=8).digest(), "little", signed=True)
        for f in HISTORIES
    ],
    dtype=np.int64,
)
"""Mixed into each history's key hashes, so that all histories share one table without meeting."""
_EMPTY: _Table = (np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))
_VALUE, _WEIGHT, _RATE = attrgetter("value_cny"), attrgetter("net_weight_kg"), attrgetter("duty_rate")
_HS6, _HS4 = attrgetter("hs6"), attrgetter("hs4")
_ORIGIN, _DISPATCH = attrgetter("origin_country"), attrgetter("country_of_dispatch")


def _key_hash(fields: tuple[str, ...]) -> Callable[[str], int]:
    """How a stored key of a history is hashed for lookup, as scoring hashes what _GETTERS read: the
    string itself for one field, the tuple of its parts for several (hashing a tuple is done in C;
    joining strings for every item was not)."""
    if len(fields) == 1:
        return hash
    return lambda key: hash(tuple(key.split(_SEP)))


def _name(fields: tuple[str, ...]) -> str:
    return "_".join(fields)


FEATURE_NAMES = [
    *CODES,
    *(f"{_name(f)}_fraud_rate" for f in HISTORIES),
    *(f"{_name(f)}_seen" for f in HISTORIES),
    *AMOUNTS,
]


@dataclass
class Encoder:
    """The state learned from the history: code lists, inspection records and usual unit values."""

    codes: list[dict[str, float]]
    records: list[dict[str, Record]]
    base_rate: float
    unit_value_hs6: dict[str, float]
    unit_value_hs4: dict[str, float]

    def __post_init__(self) -> None:
        # What scoring reads: every history's keys as hashes (salted per history) in one sorted
        # array, with each key's smoothed fraud rate and count alongside. 24 bytes a key instead
        # of a Python mapping's ~200: a serving process (and each bulk-import worker) holds
        # 260,000 of them. One array means one search per batch: a search gives up the
        # interpreter lock, and taking it back behind a busy event loop costs more than the search.
        # An encoder read from a file has no records: from_json builds its table from the arrays.
        parts = [
            self._table(f, list(r), [v[0] for v in r.values()], [v[1] for v in r.values()])
            for f, r in zip(HISTORIES, self.records, strict=bool(self.records))
        ]
        self._joined: _Table = _join(parts) if parts else _EMPTY

    def _table(
        self, fields: tuple[str, ...], keys: Sequence[str], seen: Sequence[int], fraud: Sequence[int]
    ) -> _Table:
        salt = _SALTS[HISTORIES.index(fields)]
        hashes = np.fromiter(map(_key_hash(fields), keys), dtype=np.int64, count=len(keys)) ^ salt
        n = np.asarray(seen, dtype=np.float64)
        f = np.asarray(fraud, dtype=np.float64)
        return hashes, (f + SMOOTHING * self.base_rate) / (n + SMOOTHING), n

    @property
    def feature_names(self) -> list[str]:
        return list(FEATURE_NAMES)

    @property
    def categorical(self) -> list[int]:
        return list(range(len(CODES)))

    @classmethod
    def fit(cls, history: Sequence[LabelledItem]) -> Encoder:
        """Learn the state from a labelled history (all of it: scoring may use everything known)."""
        if not history:
            raise ValueError("the history is empty: nothing to learn from")
        records: list[dict[str, Record]] = [defaultdict(lambda: [0, 0]) for _ in HISTORIES]
        for labelled in history:
            for key_of, record in zip(_KEYS, records, strict=True):
                entry = record[key_of(labelled.item)]
                entry[0] += 1
                entry[1] += labelled.fraud
        return cls(
            codes=[_code_list(history, field) for field in CODES],
            records=[dict(r) for r in records],
            base_rate=sum(h.fraud for h in history) / len(history),
            unit_value_hs6=_median_unit_values(history, "hs6"),
            unit_value_hs4=_median_unit_values(history, "hs4"),
        )

    def training_matrix(self, history: Sequence[LabelledItem]) -> NDArray[np.float64]:
        """Features of the history's own items, each from what was known before its date."""
        rates = _earlier_rates(history, self.base_rate)
        rows = []
        for labelled, earlier in zip(history, rates, strict=True):
            item = labelled.item
            seen = [float(r[k(item)][0] - 1) for k, r in zip(_KEYS, self.records, strict=True)]
            rows.append(self._row(item, list(zip(earlier, seen, strict=True))))
        return np.array(rows, dtype=np.float64).reshape(len(history), len(FEATURE_NAMES))

    def matrix(self, items: Sequence[RiskItem]) -> NDArray[np.float64]:
        """Features of new items, from the whole history; unseen codes and parties are handled.

        Column by column: each history's keys are read and hashed by C-level getters (a field's
        value, or a tuple of fields), so an item costs a few microseconds, not a Python call per key.
        """
        n, codes, families = len(items), len(CODES), len(HISTORIES)
        out = np.empty((n, len(FEATURE_NAMES)), dtype=np.float64)
        for j, (known, get) in enumerate(zip(self.codes, _CODE_GETTERS, strict=True)):
            out[:, j] = np.fromiter(map(known.get, map(get, items)), np.float64, n)  # None (unseen): NaN
        wanted = np.empty((families, n), dtype=np.int64)
        for f, get in enumerate(_GETTERS):
            wanted[f] = np.fromiter(map(hash, map(get, items)), dtype=np.int64, count=n)
        wanted ^= _SALTS[:, None]
        hashes, rates, seen = self._joined
        if len(hashes):
            at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
            hit = hashes[at] == wanted
            out[:, codes : codes + families] = np.where(hit, rates[at], self.base_rate).T
            out[:, codes + families : codes + 2 * families] = np.where(hit, seen[at], 0.0).T
        else:
            out[:, codes : codes + families], out[:, codes + families : codes + 2 * families] = (
                self.base_rate,
                0,
            )
        out[:, codes + 2 * families :] = self._amounts_of(items)
        return out

    def _amounts_of(self, items: Sequence[RiskItem]) -> NDArray[np.float64]:
        """The amounts of many items at once: the same numbers as :meth:`_amounts`, by column."""
        n = len(items)
        value = np.fromiter(map(_VALUE, items), np.float64, n)
        weight = np.fromiter(map(_WEIGHT, items), np.float64, n)
        rate = np.fromiter(map(_RATE, items), np.float64, n)
        unit = np.log((value + 1.0) / (weight + 1e-3))
        hs6 = np.fromiter(map(self.unit_value_hs6.get, map(_HS6, items)), np.float64, n)
        hs4 = np.fromiter(map(self.unit_value_hs4.get, map(_HS4, items)), np.float64, n)
        differs = np.fromiter(map(operator.ne, map(_ORIGIN, items), map(_DISPATCH, items)), np.float64, n)
        return np.column_stack(
            (
                rate,
                np.log1p(value),
                np.log1p(weight),
                unit,
                unit - hs6,
                unit - hs4,
                np.log1p(value * rate / 100.0),
                differs,
            )
        )

    def leave_one_out_matrix(self, history: Sequence[LabelledItem]) -> NDArray[np.float64]:
        """The history's items as a new item would look: the whole history except their own inspection.

        Scores of these rows are distributed like the scores of new items (which see a full history),
        unlike the training rows (which saw only earlier dates), so inspection thresholds come from here.
        """
        rows = []
        for labelled in history:
            item, fraud = labelled.item, labelled.fraud
            found = [r[k(item)] for k, r in zip(_KEYS, self.records, strict=True)]
            loo = [(_rate(f[1] - fraud, f[0] - 1, self.base_rate), float(f[0] - 1)) for f in found]
            rows.append(self._row(item, loo))
        return np.array(rows, dtype=np.float64).reshape(len(history), len(FEATURE_NAMES))

    def _row(self, item: RiskItem, found: list[tuple[float, float]]) -> list[float]:
        """codes, history rates, history counts, amounts: the order of FEATURE_NAMES."""
        rates, seen = zip(*found, strict=True)
        return [*self._codes(item), *rates, *seen, *self._amounts(item)]

    def _codes(self, item: RiskItem) -> list[float]:
        """Each code's number in its list; NaN (missing, to LightGBM) for a code never seen."""
        nan = math.nan
        return [c.get(code, nan) for c, code in zip(self.codes, _CODE_VALUES(item), strict=True)]

    def _amounts(self, item: RiskItem) -> list[float]:
        value, weight, rate = item.value_cny, item.net_weight_kg, item.duty_rate
        unit = math.log((value + 1.0) / (weight + 1e-3))
        return [
            rate,
            math.log1p(value),
            math.log1p(weight),
            unit,
            unit - self.unit_value_hs6.get(item.hs6, math.nan),
            unit - self.unit_value_hs4.get(item.hs4, math.nan),
            math.log1p(value * rate / 100.0),
            float(item.origin_country != item.country_of_dispatch),
        ]

    def to_json(self) -> dict[str, Any]:
        """Each history as three parallel arrays (keys, seen, fraud): a third of the memory of a
        mapping of small lists when read back, which every serving process does."""
        if len(self.records) != len(HISTORIES):
            raise ValueError("a model read from a file keeps no keys; keep the file it was read from")
        return {
            "codes": {field: c for field, c in zip(CODES, self.codes, strict=True)},
            "histories": {
                _name(f): {
                    "keys": list(r),
                    "seen": [v[0] for v in r.values()],
                    "fraud": [v[1] for v in r.values()],
                }
                for f, r in zip(HISTORIES, self.records, strict=True)
            },
            "base_rate": self.base_rate,
            "unit_value_hs6": self.unit_value_hs6,
            "unit_value_hs4": self.unit_value_hs4,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Encoder:
        """What scoring needs only (the hash tables), built straight from the arrays; a loaded
        encoder scores but cannot be written out again (it keeps no keys), nor retrained."""
        encoder = cls(
            codes=[data["codes"][field] for field in CODES],
            records=[],
            base_rate=float(data["base_rate"]),
            unit_value_hs6=data["unit_value_hs6"],
            unit_value_hs4=data["unit_value_hs4"],
        )
        histories = data["histories"]
        parts = []
        for f in HISTORIES:
            h = histories[_name(f)]
            parts.append(encoder._table(f, h["keys"], h["seen"], h["fraud"]))
            h.clear()  # let the parsed arrays go before the next history is built
        encoder._joined = _join(parts)
        return encoder


def _join(parts: Sequence[_Table]) -> _Table:
    """The histories' tables as one, sorted by salted hash."""
    hashes = np.concatenate([p[0] for p in parts])
    order = np.argsort(hashes, kind="stable")
    return (
        hashes[order],
        np.concatenate([p[1] for p in parts])[order],
        np.concatenate([p[2] for p in parts])[order],
    )


def _rate(fraud: int, seen: int, base_rate: float) -> float:
    return (fraud + SMOOTHING * base_rate) / (seen + SMOOTHING)


def _code_list(history: Sequence[LabelledItem], field: str) -> dict[str, float]:
    codes: dict[str, float] = {}
    for labelled in history:
        codes.setdefault(getattr(labelled.item, field), len(codes))
    return codes


def _median_unit_values(history: Sequence[LabelledItem], field: str) -> dict[str, float]:
    """The usual (median) log unit value per HS heading; label-free, so all of the history counts."""
    logs: dict[str, list[float]] = defaultdict(list)
    for labelled in history:
        item = labelled.item
        if item.value_cny > 0 and item.net_weight_kg > 0:
            logs[getattr(item, field)].append(math.log(item.value_cny / item.net_weight_kg))
    return {key: float(np.median(values)) for key, values in logs.items()}


def _earlier_rates(history: Sequence[LabelledItem], base_rate: float) -> list[list[float]]:
    """Each item's history rates from the items of strictly earlier dates (never its own label)."""
    running: list[dict[str, Record]] = [defaultdict(lambda: [0, 0]) for _ in HISTORIES]
    rates: list[list[float]] = [[] for _ in history]
    order = sorted(range(len(history)), key=lambda i: history[i].item.declaration_date)
    for _, day in groupby(order, key=lambda i: history[i].item.declaration_date):
        same_day = list(day)
        for i in same_day:
            item = history[i].item
            rates[i] = [
                _rate(*_fraud_seen(r.get(k(item))), base_rate) for k, r in zip(_KEYS, running, strict=True)
            ]
        for i in same_day:
            for k, r in zip(_KEYS, running, strict=True):
                entry = r[k(history[i].item)]
                entry[0] += 1
                entry[1] += history[i].fraud
    return rates


def _fraud_seen(record: Record | None) -> tuple[int, int]:
    return (record[1], record[0]) if record else (0, 0)
