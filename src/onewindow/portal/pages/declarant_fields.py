"""The goods declaration form (报关单录入): every input is named by its path in the data set
(``consignee.uscc``, ``items[2].hs_code``), so a ``FieldError`` from the validation names the
input it belongs to, and the posted form turns back into the data set the API takes.

Pure: no request, no database. ``DeclarationForm`` holds what was typed, the rows of the two
lists (containers, item lines), the chosen documents and the errors placed at their inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from onewindow.kernel.errors import FieldError

from .. import i18n

__all__ = [
    "CONTAINER_FIELDS",
    "HEADER",
    "ITEM_FIELDS",
    "MAX_CONTAINERS",
    "MAX_ITEMS",
    "DeclarationForm",
    "field_id",
]

MAX_ITEMS = 50  # the data set's limit of item lines
MAX_CONTAINERS = 50  # the form offers this many rows; a file or the API may list more
CENT = Decimal("0.01")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\[\d{1,3}\]")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,3}\])*$")
# Posted names that are not part of the data set.
_CONTROL = frozenset({"csrf", "action", "idempotency_key", "reason", "_touched", "documents", "next"})
_REQUIRED_OBJECTS = ("consignee", "declarant", "overseas_party", "transport")
_LISTS = ("containers", "items")
# The inputs the form shows, in order; anything else a stored data set carries (licences, say) is
# kept in hidden inputs, so amending through the form never drops it.
HEADER = (
    "kind",
    "declaration_office",
    "entry_exit_office",
    "supervision_mode",
    "levy_nature",
    "declarant.name",
    "declarant.uscc",
    "consignee.name",
    "consignee.uscc",
    "production_sales_unit.name",
    "production_sales_unit.uscc",
    "overseas_party.name",
    "overseas_party.country",
    "transport.mode",
    "transport.conveyance_name",
    "transport.voyage",
    "transport.bill_of_lading",
    "transport.imo",
    "country_of_trade",
    "country_of_dispatch",
    "port_of_loading",
    "port_of_entry",
    "conveyance_date",
    "transaction_terms",
    "freight.amount",
    "freight.currency",
    "insurance.amount",
    "insurance.currency",
    "packages",
    "package_kind",
    "gross_weight_kg",
    "net_weight_kg",
    "currency",
    "total_value",
    "remarks",
)
CONTAINER_FIELDS = ("number", "size_type", "seals")
ITEM_FIELDS = (
    "hs_code",
    "name",
    "declared_elements",
    "quantity",
    "unit",
    "unit_price",
    "total",
    "origin_country",
    "destination_country",
    "levy_mode",
)
_SEALS = re.compile(r"[\s,;，；]+")


def field_id(path: str) -> str:
    """The HTML id of the input for a data-set path: ``items[2].hs_code`` → ``f-items-2-hs_code``."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


def _tokens(path: str) -> list[str | int]:
    return [int(t[1:-1]) if t.startswith("[") else t for t in _TOKEN.findall(path)]


def _put(root: dict[Any, Any], tokens: Sequence[str | int], value: Any) -> None:
    node = root
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
        if not isinstance(node, dict):
            return  # a name both a value and a group: keep the first
    node.setdefault(tokens[-1], value)


def _listify(node: Any, path: str, moved: dict[str, str]) -> Any:
    """Dicts keyed by row numbers become lists (rows left blank are dropped); ``moved`` records
    where a row went (``containers[1]`` in the data set was ``containers[2]`` in the form)."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        rows = []
        for k in sorted(node):
            rows.append(_listify(node[k], f"{path}[{k}]", moved))
            moved[f"{path}[{len(rows) - 1}]"] = f"{path}[{k}]"
        return rows
    return {k: _listify(v, f"{path}.{k}" if path else str(k), moved) for k, v in node.items()}


def _flatten(node: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(node, list):
        if path.endswith(".seals"):
            out[path] = " ".join(str(s) for s in node)
        else:
            for i, v in enumerate(node):
                _flatten(v, f"{path}[{i}]", out)
    elif node is not None and not path.endswith(".line") and path != "documents":
        out[path] = str(node)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").strip()) if text.strip() else None
    except InvalidOperation:
        return None


@dataclass
class DeclarationForm:
    values: dict[str, str]
    containers: int = 1
    items: int = 1
    documents: list[tuple[str, str]] = field(default_factory=list)  # chosen (type, sha256)
    key: str = ""  # the idempotency key the submission carries
    amending: bool = False  # an amendment's form, which asks for a reason
    reason: str = ""
    errors: dict[str, list[FieldError]] = field(default_factory=dict)  # at an input
    problems: list[FieldError] = field(default_factory=list)  # at no input
    waiting: int = 0  # errors at inputs not touched yet (while typing)
    moved: dict[str, str] = field(default_factory=dict)

    # -- making one ---------------------------------------------------------------------------

    @classmethod
    def initial(
        cls, kind: str, today: date, office: str, declarant: tuple[str, str], key: str
    ) -> DeclarationForm:
        """A fresh form with what a broker in Anhui usually declares already filled in."""
        port = {"3301": "CNWHI", "3302": "CNAQG", "3303": "CNMAA", "3306": "CNTOL"}.get(office, "CNHFE")
        importing = kind != "export"
        own_country = "items[0].destination_country" if importing else "items[0].origin_country"
        values = {
            "kind": "import" if importing else "export",
            "declaration_office": office,
            "entry_exit_office": office,
            "supervision_mode": "0110",
            "levy_nature": "101",
            "declarant.name": declarant[0],
            "declarant.uscc": declarant[1],
            "transport.mode": "2",
            "port_of_entry": port,
            "conveyance_date": today.isoformat(),
            "transaction_terms": "1" if importing else "3",
            "package_kind": "2",
            "currency": "USD",
            "items[0].unit": "035",
            "items[0].levy_mode": "1",
            own_country: "CN",
        }
        return cls(values, containers=1, items=1, key=key)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], key: str = "") -> DeclarationForm:
        """The form filled with a stored data set (to amend it)."""
        values: dict[str, str] = {}
        _flatten({k: v for k, v in data.items() if k != "documents"}, "", values)
        docs = [(str(d["type"]), str(d["sha256"])) for d in data.get("documents") or []]
        return cls(
            values,
            containers=len(data.get("containers") or []),
            items=max(1, len(data.get("items") or [])),
            documents=docs,
            key=key,
            amending=True,
        )

    @classmethod
    def from_post(cls, form: FormData) -> DeclarationForm:
        values: dict[str, str] = {}
        rows = {"containers": -1, "items": 0}
        for name, value in form.multi_items():
            if name in _CONTROL or not isinstance(value, str) or not _PATH.match(name):
                continue
            values.setdefault(name, value.strip())
            head = _tokens(name)
            if len(head) > 1 and head[0] in rows and isinstance(head[1], int):
                rows[str(head[0])] = max(rows[str(head[0])], head[1])
        docs = []
        for chosen in form.getlist("documents"):
            doc_type, _, sha = str(chosen).partition(":")
            if doc_type and sha:
                docs.append((doc_type, sha))
        return cls(
            values,
            containers=min(rows["containers"] + 1, MAX_CONTAINERS),
            items=min(rows["items"] + 1, MAX_ITEMS),
            documents=docs,
            key=str(form.get("idempotency_key") or "")[:128],
            amending="reason" in form,
            reason=str(form.get("reason") or "").strip(),
        )

    # -- the data set it stands for -----------------------------------------------------------

    def data(self) -> dict[str, Any]:
        """The data set as the API would receive it: blank inputs left out, rows numbered."""
        root: dict[Any, Any] = {}
        for path, value in self.values.items():
            if not value:
                continue
            tokens = _tokens(path)
            if tokens and tokens[0] in _LISTS and (len(tokens) < 2 or not isinstance(tokens[1], int)):
                continue
            _put(root, tokens, [s for s in _SEALS.split(value) if s] if path.endswith(".seals") else value)
        for name in _REQUIRED_OBJECTS:
            root.setdefault(name, {})
        self.moved = {}
        data: dict[str, Any] = _listify(root, "", self.moved)
        for name in _LISTS:
            rows = data.get(name)
            if isinstance(rows, dict):  # row keys were not numbers: leave the shape check to say so
                continue
            data[name] = rows or []
        for line, item in enumerate(data["items"], 1):
            if isinstance(item, dict):
                item["line"] = line
        data["documents"] = [{"type": t, "sha256": s} for t, s in self.documents]
        return data

    # -- rows ---------------------------------------------------------------------------------

    def add_row(self, name: str) -> None:
        if name == "items" and self.items < MAX_ITEMS:
            i = self.items
            self.items += 1
            importing = self.values.get("kind", "import") != "export"
            self.values.update({f"items[{i}].unit": "035", f"items[{i}].levy_mode": "1"})
            self.values[f"items[{i}].destination_country" if importing else f"items[{i}].origin_country"] = (
                "CN"
            )
        elif name == "containers" and self.containers < MAX_CONTAINERS:
            self.containers += 1

    def remove_row(self, name: str, index: int) -> None:
        count = self.items if name == "items" else self.containers
        if not 0 <= index < count or (name == "items" and count == 1):
            return
        prefix = f"{name}["
        kept: dict[str, str] = {}
        for path, value in self.values.items():
            if not path.startswith(prefix):
                kept[path] = value
                continue
            row, _, rest = path[len(prefix) :].partition("]")
            n = int(row)
            if n != index:
                kept[f"{prefix}{n - 1 if n > index else n}]{rest}"] = value
        self.values = kept
        if name == "items":
            self.items -= 1
        else:
            self.containers -= 1

    # -- errors -------------------------------------------------------------------------------

    def slots(self) -> list[str]:
        """The path of every input the form shows, in order."""
        rows = [f"containers[{i}].{f}" for i in range(self.containers) for f in CONTAINER_FIELDS]
        rows += [f"items[{i}].{f}" for i in range(self.items) for f in ITEM_FIELDS]
        return [*HEADER, *rows, *(["reason"] if self.amending else [])]

    def extra(self) -> list[tuple[str, str]]:
        """Values the form does not show (kept in hidden inputs)."""
        shown = set(self.slots())
        return [(p, v) for p, v in self.values.items() if p not in shown and v]

    def place(self, errors: Iterable[FieldError], touched: set[str] | None = None) -> None:
        """Put each error at its input (the input of the closest enclosing path, else in the
        summary); while typing (``touched`` given), only at inputs already touched."""
        self.errors, self.problems, self.waiting = {}, [], 0
        inputs = set(self.slots())
        for error in errors:
            path = self._form_path(error.path)
            slot = next((p for p in _enclosing(path) if p in inputs), None)
            if touched is not None and (slot is None or slot not in touched):
                self.waiting += 1
                continue
            if slot is None:
                self.problems.append(error)
            else:
                self.errors.setdefault(slot, []).append(error)

    def _form_path(self, path: str) -> str:
        for data_row, form_row in self.moved.items():
            if path == data_row or path.startswith((data_row + ".", data_row + "[")):
                return form_row + path[len(data_row) :]
        return path

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values()) + len(self.problems)

    # -- what templates ask -------------------------------------------------------------------

    def value(self, path: str, default: str = "") -> str:
        return self.values.get(path, default)

    def error(self, path: str) -> str:
        return " ".join(i18n.pick(e.message, e.message_zh) for e in self.errors.get(path, []))

    def id(self, path: str) -> str:
        return field_id(path)

    def slot(self, path: str) -> str:
        return "err-" + field_id(path)[2:]

    def chosen(self, sha256: str) -> bool:
        return any(s == sha256 for _, s in self.documents)

    def line_total(self, i: int) -> Decimal | None:
        """Quantity × unit price of item line ``i``, to the cent, when both are numbers."""
        qty = _decimal(self.value(f"items[{i}].quantity"))
        price = _decimal(self.value(f"items[{i}].unit_price"))
        return None if qty is None or price is None else (qty * price).quantize(CENT)

    def items_sum(self) -> Decimal | None:
        """The sum of the item totals as typed, when every one is a number."""
        totals = [_decimal(self.value(f"items[{i}].total")) for i in range(self.items)]
        return (
            None if any(t is None for t in totals) else sum((t for t in totals if t is not None), Decimal(0))
        )


def _enclosing(path: str) -> list[str]:
    """``containers[0].seals[1]`` → itself, ``containers[0].seals``, ``containers[0]``, ``containers``."""
    out = [path]
    while True:
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return out
        path = path[:cut]
        out.append(path)
