"""The condition of a risk profile (布控条件): a small, safe, typed expression over an item's fields.

A risk officer writes, for instance::

    startswith(hs_code, "0201", "0202") and origin_country == "BR" and unit_price_cny_per_kg < 30

Grammar, loosest-binding first (Python's precedence, so officers and tools read it as Python)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") sum)*
    sum        := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := ("-" | "+") factor | atom
    atom       := NUMBER | TEXT | True | False | true | false | FIELD | "(" condition ")"
                | "[" [literal ("," literal)* [","]] "]" | FUNCTION "(" condition ("," condition)* ")"

NUMBER is ``30``, ``12.5`` or ``.5``; TEXT is in double or single quotes with the escapes ``\\\\``
``\\"`` ``\\'`` ``\\n`` ``\\t``; comparisons chain as in Python (``0 < x <= 10``). The functions are
``startswith(text, "prefix", ...)`` (any of the prefixes) and ``contains(text, "part")`` (ignoring
case).

Why a hand-written recursive-descent parser rather than ``ast.parse``: the officer's text never
reaches CPython's compiler (whose documentation warns that deep enough input can crash it); every
error points at a character of the officer's text (``ast`` counts UTF-8 bytes, which is wrong as
soon as a condition holds Chinese); the accepted grammar is the one above whatever Python version
runs it; and ``true``/``false`` need no special case. Python constructs left out on purpose
(attribute access, subscripts, lambdas, comprehensions, f-strings, ``:=``, calls to other
functions, keyword or starred arguments) are recognised by name and refused as ``forbidden``.

Meaning:

- Numbers are ``float``: record values (``Decimal``, ``int``, numeric text) and literals both go
  through ``float()``. Fifteen significant digits are ample for thresholds on prices, weights and
  values, and float keeps the per-item evaluation cheap.
- A missing value (absent, ``None``, or not of the field's type) makes every comparison or function
  that reads it false; so does a division by zero. ``not`` still inverts: ``not origin_country ==
  "BR"`` holds when the origin is missing, ``origin_country != "BR"`` does not.
- ``<`` ``<=`` ``>`` ``>=`` and arithmetic take numbers only; ``==`` and ``!=`` take two sides of
  one type; ``in`` and ``not in`` take a list literal or a ``text_list`` field on their right.
- There is no ``matches(field, regex)``: Python's ``re`` backtracks, so a short pattern such as
  ``(a+)+$`` takes time exponential in the length of the value, and no limit on the pattern's
  length prevents it.

Errors are ``ProfileExpressionError``s with a stable code: ``syntax``, ``forbidden``, ``too_long``,
``too_deep``, ``unknown_field``, ``type_mismatch``, ``bad_argument``.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from typing import Any, Final

from .compiler import Compiler, FieldType, Record, as_test
from .errors import TYPE_NAMES, ProfileExpressionError, error
from .parser import MAX_DEPTH, MAX_LIST, MAX_TEXT, parse
from .syntax import FUNCTIONS, render
from .tokens import MAX_TEXT_LITERAL

__all__ = [
    "MAX_DEPTH",
    "MAX_LIST",
    "MAX_TEXT",
    "MAX_TEXT_LITERAL",
    "Expression",
    "FieldType",
    "ProfileExpressionError",
    "compile_expression",
    "describe",
]


class Expression:
    """A compiled condition, evaluated once per declaration item; evaluating never raises."""

    __slots__ = ("_run", "fields", "text")

    def __init__(self, text: str, fields: frozenset[str], run: Callable[[Record], bool]) -> None:
        self.text = text
        self.fields = fields
        self._run = run

    def evaluate(self, record: Mapping[str, Any]) -> bool:
        return self._run(record)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, fields: Mapping[str, FieldType]) -> Expression:
    """Parse, type-check and compile a condition once; raise ProfileExpressionError if it is not one."""
    schema = _schema(fields)
    try:
        root = parse(text)
        compiler = Compiler(schema)
        kind, run = compiler.compile(root)
        normalised = render(root)
    except RecursionError:  # the parser's limits make this unreachable; refuse rather than crash if not
        raise error("too_deep", 0, limit=MAX_DEPTH) from None
    if kind != "boolean":
        found, found_zh = TYPE_NAMES[kind]
        raise error("not_a_condition", root.pos, found=found, found_zh=found_zh)
    return Expression(normalised, frozenset(compiler.used), as_test(root, run))


def _schema(fields: Mapping[str, FieldType]) -> dict[str, FieldType]:
    schema: dict[str, FieldType] = {}
    for name, kind in fields.items():
        if not name.isidentifier() or keyword.iskeyword(name) or name in ("true", "false"):
            raise ValueError(f"{name!r} cannot be a field of a profile condition: it is not a plain name")
        schema[name] = FieldType(kind)
    return schema


_HELP: Final = (
    ("literal", "\"BR\"  'BR'", "Text in quotes.", "引号内的文本。"),
    ("literal", "30  12.5", "Numbers, compared as floating point.", "数值，按浮点数比较。"),
    (
        "literal",
        "true  false",
        "True and false (True and False also work).",
        "真与假（也可写 True、False）。",
    ),
    (
        "literal",
        '["BR", "AR"]',
        "A list of text or of numbers, for in and not in.",
        "文本或数值列表，用于 in 与 not in。",
    ),
    ("operator", "==  !=", "Equal, not equal: two sides of one type.", "等于、不等于：两侧类型须相同。"),
    (
        "operator",
        "<  <=  >  >=",
        "Order of numbers; chains like 0 < x <= 10 work.",
        "数值大小比较；可连写，如 0 < x <= 10。",
    ),
    (
        "operator",
        "in  not in",
        "Membership of a list literal or a list field.",
        "是否属于列表（列表常量或列表字段）。",
    ),
    (
        "operator",
        "+  -  *  /",
        "Arithmetic on numbers; dividing by zero makes the comparison false.",
        "数值运算；除以零时比较结果为假。",
    ),
    (
        "operator",
        "and  or  not  ( )",
        "Combine conditions; not binds tightest, then and, then or.",
        "组合条件；优先级 not 高于 and，and 高于 or。",
    ),
    *(("function", usage, en, zh) for usage, en, zh in FUNCTIONS.values()),
    (
        "rule",
        "missing values",
        "A missing value makes every comparison or function that reads it false.",
        "取值缺失时，读取它的比较或函数结果为假。",
    ),
)


def describe(fields: Mapping[str, FieldType] | None = None) -> list[dict[str, str]]:
    """The fields, literals, operators and functions of the language, for help text and API docs."""
    entries = []
    for name, kind in sorted(_schema(fields or {}).items()):
        en, zh = TYPE_NAMES[kind.value]
        entries.append(
            {
                "kind": "field",
                "syntax": name,
                "type": kind.value,
                "description": f"A field holding {en}.",
                "description_zh": f"{zh}字段。",
            }
        )
    entries += [{"kind": k, "syntax": s, "description": en, "description_zh": zh} for k, s, en, zh in _HELP]
    return entries
