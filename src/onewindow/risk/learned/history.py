"""Inspection history from Korea Customs: an importer into RiskItems, not a special path.

The Korean customs declarations data set (README next to the data) has one inspected goods item per
row, with its outcome. Each Korean column is mapped to the OneWindow field with the same meaning
(Importer → consignee, Seller → overseas party, Import Type → supervision mode, …), so the model
trained on it is a OneWindow model. Rows are read one at a time; the first bad one stops the import
with the file, line and column, so nothing is trained on a half-read file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from onewindow.risk.learned.features import RiskItem

__all__ = ["KOREAN_COLUMNS", "LabelledItem", "MalformedHistory", "iter_history", "read_history", "read_items"]

KOREAN_COLUMNS: dict[str, str] = {
    "declaration_office": "Office ID",
    "process_type": "Process Type",
    "supervision_mode": "Import Type",
    "levy_nature": "Import Use",
    "transaction_terms": "Payment Type",
    "transport_mode": "Mode of Transport",
    "declarant": "Declarant ID",
    "consignee": "Importer ID",
    "overseas_party": "Seller ID",
    "carrier": "Courier ID",
    "hs_code": "HS6 Code",
    "country_of_dispatch": "Country of Departure",
    "origin_country": "Country of Origin",
    "levy_mode": "Tax Type",
    "origin_preference": "Country of Origin Indicator",
}
"""RiskItem text field → the Korean column it is read from."""

_ID, _DATE, _RATE, _MASS, _PRICE = "Declaration ID", "Date", "Tax Rate", "Net Mass", "Item Price"
_FRAUD, _CRITICAL = "Fraud", "Critical Fraud"
_REQUIRED = (_ID, _DATE, *KOREAN_COLUMNS.values(), _RATE, _MASS, _PRICE)
_LABELS = (_FRAUD, _CRITICAL)


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """An inspected item and what the inspection found (critical: 0 none, 1 fraud, 2 a safety threat)."""

    item: RiskItem
    fraud: bool
    critical: int
    declaration_id: str


class MalformedHistory(ValueError):
    """A history file the importer cannot read; says where, so the file can be fixed."""

    def __init__(self, path: Path, line: int, column: str, reason: str) -> None:
        self.path, self.line, self.column, self.reason = path, line, column, reason
        super().__init__(f"{path}, line {line}, column '{column}': {reason}")


def read_history(path: Path) -> list[LabelledItem]:
    """Read a whole labelled file (the model needs every row at once to train)."""
    return list(iter_history(path))


def iter_history(path: Path) -> Iterator[LabelledItem]:
    """Stream a labelled file row by row."""
    for line, row in _rows(path, _REQUIRED + _LABELS):
        yield LabelledItem(
            item=_item(path, line, row),
            fraud=_choice(path, line, row, _FRAUD, (0, 1)) == 1,
            critical=_choice(path, line, row, _CRITICAL, (0, 1, 2)),
            declaration_id=row[_ID],
        )


def read_items(path: Path) -> list[tuple[str, RiskItem]]:
    """Read a file to be scored: labels, if present, are ignored."""
    return [(row[_ID], _item(path, line, row)) for line, row in _rows(path, _REQUIRED)]


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise MalformedHistory(path, 0, "-", f"cannot open the file ({exc.strerror})") from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise MalformedHistory(path, 1, "-", "the file is empty")
        missing = [name for name in required if name not in header]
        if missing:
            raise MalformedHistory(path, 1, missing[0], "the header lacks this column")
        try:
            for fields in reader:
                if len(fields) != len(header):
                    raise MalformedHistory(
                        path, reader.line_num, "-", f"{len(fields)} fields where the header has {len(header)}"
                    )
                yield reader.line_num, dict(zip(header, fields, strict=True))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MalformedHistory(path, reader.line_num, "-", str(exc)) from exc


def _item(path: Path, line: int, row: dict[str, str]) -> RiskItem:
    hs = row[KOREAN_COLUMNS["hs_code"]]
    if len(hs) < 6 or not hs.isdigit():
        raise MalformedHistory(path, line, KOREAN_COLUMNS["hs_code"], f"'{hs}' is not a 6-digit HS code")
    text = {field: row[column] for field, column in KOREAN_COLUMNS.items()}
    return RiskItem(
        declaration_date=_date(path, line, row),
        duty_rate=_amount(path, line, row, _RATE),
        net_weight_kg=_amount(path, line, row, _MASS),
        value_cny=_amount(path, line, row, _PRICE),
        **text,
    )


def _date(path: Path, line: int, row: dict[str, str]) -> date:
    try:
        return date.fromisoformat(row[_DATE])
    except ValueError:
        raise MalformedHistory(path, line, _DATE, f"'{row[_DATE]}' is not a date (YYYY-MM-DD)") from None


def _amount(path: Path, line: int, row: dict[str, str], column: str) -> float:
    try:
        value = float(row[column])
    except ValueError:
        raise MalformedHistory(path, line, column, f"'{row[column]}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise MalformedHistory(path, line, column, f"'{row[column]}' is not a finite amount ≥ 0")
    return value


def _choice(path: Path, line: int, row: dict[str, str], column: str, allowed: tuple[int, ...]) -> int:
    text = row[column]
    if text.isdigit() and int(text) in allowed:
        return int(text)
    raise MalformedHistory(path, line, column, f"'{text}' is not one of {', '.join(map(str, allowed))}")
