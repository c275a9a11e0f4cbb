"""Type-checking a syntax tree against a profile's fields and compiling it into nested closures.

The closures are what runs for every item of every declaration: each reads a record and returns
the node's value, or None when a value it needs is missing.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final

from .errors import HINTS, TYPE_NAMES, ProfileExpressionError, error
from .syntax import FUNCTIONS, Arithmetic, Call, Comparison, Field, List, Literal, Logic, Node, Unary

__all__ = ["Compiler", "FieldType", "Record", "Run", "as_test"]

Record = Mapping[str, Any]
Run = Callable[[Record], Any]


class FieldType(StrEnum):
    """What a field holds; a profile's schema maps each field it may read to one of these."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT_LIST = "text_list"


def _get_text(name: str) -> Run:
    def run(r: Record) -> Any:
        v = r.get(name)
        return v if isinstance(v, str) else None

    return run


def _get_number(name: str) -> Run:
    def run(r: Record) -> Any:
        v = r.get(name)
        if v is None or type(v) is float:
            return v
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    return run


def _get_boolean(name: str) -> Run:
    def run(r: Record) -> Any:
        v = r.get(name)
        return None if v is None else bool(v)

    return run


def _get_text_list(name: str) -> Run:
    def run(r: Record) -> Any:
        v = r.get(name)
        return v if isinstance(v, list | tuple | set | frozenset) else None

    return run


_GETTERS: Final = {
    FieldType.TEXT: _get_text,
    FieldType.NUMBER: _get_number,
    FieldType.BOOLEAN: _get_boolean,
    FieldType.TEXT_LIST: _get_text_list,
}
_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
_ARITHMETIC: Final[dict[str, Callable[[float, float], float]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def _fits(op: str, left: str, right: str) -> bool:
    if op in ("in", "not in"):
        if right == "empty_list":
            return left in ("text", "number")
        return (left, right) in (("text", "text_list"), ("number", "number_list"))
    if op in ("==", "!="):
        return left == right and left in ("text", "number", "boolean")
    return left == right == "number"


def _hint(op: str, left: str, right: str) -> str:
    """Which of HINTS explains why ``left op right`` does not type-check."""
    if op in ("in", "not in"):
        return "contains" if right == "text" else "" if right.endswith("list") else "list"
    if op not in ("==", "!="):
        return "order"
    return "quotes" if {left, right} == {"text", "number"} else ""


class Compiler:
    """Type-checks the tree against the schema and turns it into nested closures."""

    def __init__(self, schema: Mapping[str, FieldType]) -> None:
        self.schema = schema
        self.used: set[str] = set()

    def compile(self, node: Node) -> tuple[str, Run]:
        """The node's type and a function from a record to its value (None when missing)."""
        match node:
            case Literal(value=value):
                kind = (
                    "boolean" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"
                )
                return kind, lambda r: value
            case List():
                return self._list(node)
            case Field():
                return self._field(node)
            case Unary():
                return self._unary(node)
            case Arithmetic():
                return self._arithmetic(node)
            case Comparison():
                return "boolean", self._comparison(node)
            case Logic():
                return "boolean", self._logic(node)
            case Call():
                return "boolean", self._call(node)
        raise AssertionError(node)  # pragma: no cover - the match is exhaustive

    def expect(self, node: Node, kind: str) -> Run:
        found, run = self.compile(node)
        if found != kind:
            (want, want_zh), (got, got_zh) = TYPE_NAMES[kind], TYPE_NAMES[found]
            raise error("expected", node.pos, want=want, want_zh=want_zh, found=got, found_zh=got_zh)
        return run

    def _list(self, node: List) -> tuple[str, Run]:
        kinds = {self.compile(item)[0] for item in node.items}
        if len(kinds) > 1 or "boolean" in kinds:
            raise error("mixed_list", node.pos)
        values = frozenset(item.value for item in node.items)
        return (f"{kinds.pop()}_list" if kinds else "empty_list"), lambda r: values

    def _field(self, node: Field) -> tuple[str, Run]:
        kind = self.schema.get(node.name)
        if kind is None:
            raise _unknown_field(node, self.schema)
        self.used.add(node.name)
        return kind.value, _GETTERS[kind](node.name)

    def _unary(self, node: Unary) -> tuple[str, Run]:
        if node.op == "not":
            f = as_test(node.operand, self.expect(node.operand, "boolean"))
            return "boolean", lambda r: not f(r)
        g = self.expect(node.operand, "number")
        if node.op == "+":
            return "number", g
        return "number", lambda r: None if (v := g(r)) is None else -v

    def _arithmetic(self, node: Arithmetic) -> tuple[str, Run]:
        left, right = self.expect(node.left, "number"), self.expect(node.right, "number")
        if node.op == "/":

            def divide(r: Record) -> Any:
                if (a := left(r)) is None:
                    return None
                b = right(r)
                return None if b is None or b == 0 else a / b

            return "number", divide
        op = _ARITHMETIC[node.op]

        def run(r: Record) -> Any:
            if (a := left(r)) is None:
                return None
            b = right(r)
            return None if b is None else op(a, b)

        return "number", run

    def _comparison(self, node: Comparison) -> Run:
        compiled = [self.compile(operand) for operand in node.operands]
        for i, (op, pos) in enumerate(zip(node.ops, node.op_positions, strict=True)):
            left, right = compiled[i][0], compiled[i + 1][0]
            if not _fits(op, left, right):
                raise _comparison_error(op, pos, left, right)
        first, last = compiled[0][1], node.operands[-1]
        if len(node.ops) == 1 and isinstance(last, Literal | List):
            constant = last.value if isinstance(last, Literal) else frozenset(i.value for i in last.items)
            return _compare_with_constant(first, node.ops[0], constant)
        pairs = [(_TESTS[op], run) for op, (_, run) in zip(node.ops, compiled[1:], strict=True)]

        def chain(r: Record) -> bool:
            if (a := first(r)) is None:
                return False
            for test, g in pairs:
                b = g(r)
                if b is None or not test(a, b):
                    return False
                a = b
            return True

        return chain

    def _logic(self, node: Logic) -> Run:
        runs = tuple(as_test(operand, self.expect(operand, "boolean")) for operand in node.operands)
        if len(runs) == 2:
            a, b = runs
            return (lambda r: a(r) and b(r)) if node.op == "and" else (lambda r: a(r) or b(r))
        # Loops rather than all()/any() over a generator: this runs for every item of every declaration.
        if node.op == "and":

            def every(r: Record) -> bool:
                for f in runs:  # noqa: SIM110
                    if not f(r):
                        return False
                return True

            return every

        def some(r: Record) -> bool:
            for f in runs:  # noqa: SIM110
                if f(r):
                    return True
            return False

        return some

    def _call(self, node: Call) -> Run:
        usage = FUNCTIONS[node.name][0]
        if len(node.args) < 2 or (node.name == "contains" and len(node.args) != 2):
            raise error("arguments", node.pos, usage=usage)
        subject = self.expect(node.args[0], "text")
        texts = tuple(self._text_literal(arg, usage) for arg in node.args[1:])
        if node.name == "startswith":
            return lambda r: (v := subject(r)) is not None and v.startswith(texts)
        part = texts[0].casefold()
        return lambda r: (v := subject(r)) is not None and part in v.casefold()

    def _text_literal(self, arg: Node, usage: str) -> str:
        if isinstance(arg, Literal) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, Literal) and isinstance(arg.value, float):
            raise error("prefix_number", arg.pos, x=arg.written, usage=usage)
        raise error("text_argument", arg.pos, usage=usage)


def _comparison_error(op: str, offset: int, left: str, right: str) -> ProfileExpressionError:
    (left_en, left_zh), (right_en, right_zh) = TYPE_NAMES[left], TYPE_NAMES[right]
    hint, hint_zh = HINTS[_hint(op, left, right)]
    names = {"left": left_en, "left_zh": left_zh, "right": right_en, "right_zh": right_zh}
    return error("compare", offset, x=op, hint=hint, hint_zh=hint_zh, **names)


def as_test(node: Node, run: Run) -> Run:
    """A boolean node as a test: a boolean field that is missing reads as false, not None."""
    return (lambda r: run(r) is True) if isinstance(node, Field) else run


def _compare_with_constant(first: Run, op: str, constant: Any) -> Run:
    """The common ``field op literal``, without the generality of a chain."""
    if op == "in":
        return lambda r: (a := first(r)) is not None and a in constant
    if op == "not in":
        return lambda r: (a := first(r)) is not None and a not in constant
    test = _TESTS[op]
    return lambda r: (a := first(r)) is not None and test(a, constant)


def _unknown_field(node: Field, schema: Mapping[str, FieldType]) -> ProfileExpressionError:
    by_lower = {name.lower(): name for name in schema}
    close = [by_lower[n] for n in difflib.get_close_matches(node.name.lower(), by_lower, n=3)]
    if close:
        return error("unknown_field", node.pos, x=node.name, close=", ".join(close))
    known = sorted(schema)
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return error("unknown_field_listed", node.pos, x=node.name, known=listed or "-")
