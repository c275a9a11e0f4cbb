"""The recursive-descent parser of the grammar in ``language``'s docstring: text to syntax tree.

It refuses, with a position, what the grammar does not take: Python constructs left out on purpose
as ``forbidden``, anything else as ``syntax``, and conditions beyond the limits below as
``too_long`` or ``too_deep``.
"""

from __future__ import annotations

import difflib
import keyword
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Final

from .errors import ProfileExpressionError, error
from .syntax import (
    FUNCTIONS,
    Arithmetic,
    Call,
    Comparison,
    Field,
    List,
    Literal,
    Logic,
    Node,
    Unary,
    height,
    quote,
)
from .tokens import Token, tokenize

__all__ = ["MAX_DEPTH", "MAX_LIST", "MAX_TEXT", "parse"]

MAX_TEXT: Final = 2000
MAX_DEPTH: Final = 50
MAX_LIST: Final = 1000


def parse(text: str) -> Node:
    """The syntax tree of a condition; ProfileExpressionError if the text is not one."""
    if len(text) > MAX_TEXT:
        raise error("text_too_long", MAX_TEXT, limit=MAX_TEXT, n=len(text))
    if not text.strip():
        raise error("empty", 0)
    return _Parser(text).parse()


_COMPARISONS: Final = ("==", "!=", "<", "<=", ">", ">=")
_ALLOWED_WORDS: Final = {"and", "or", "not", "in", "True", "False"}
_OPERATOR_ERRORS: Final = {".": "attribute", ":=": "walrus", "{": "braces", "=": "single_equals"}
_KEYWORD_ERRORS: Final = {
    "lambda": "lambda",
    "for": "for",
    "async": "for",
    "if": "if",
    "elif": "if",
    "else": "if",
    "is": "is",
    "None": "None",
}


def _unexpected(tok: Token) -> ProfileExpressionError:
    """The error for a token the grammar cannot take here: forbidden if it is Python, else syntax."""
    if tok.kind == "end":
        return error("ends_early", tok.pos)
    if tok.kind == "op" and tok.value in _OPERATOR_ERRORS:
        return error(_OPERATOR_ERRORS[tok.value], tok.pos)
    if tok.kind == "op" and tok.value in ("**", "//", "%", "@", "&", "|", "^", "~", "<<", ">>"):
        return error("operator", tok.pos, x=tok.value)
    if tok.kind == "op" and tok.value in (")", "]"):
        return error("unopened", tok.pos, x=tok.value)
    if tok.kind == "name" and keyword.iskeyword(tok.value) and tok.value not in _ALLOWED_WORDS:
        return error(_KEYWORD_ERRORS.get(tok.value, "keyword"), tok.pos, x=tok.value)
    return error("unexpected", tok.pos, x=f'"{tok.value}"' if tok.kind == "text" else f"'{tok.value}'")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.level = 0  # nesting of parentheses, lists, calls and unary operators

    def parse(self) -> Node:
        node = self._or()
        if self.tokens[self.i].kind != "end":
            raise _unexpected(self.tokens[self.i])
        return node

    def _at(self, kind: str, value: str, ahead: int = 0) -> bool:
        tok = self.tokens[min(self.i + ahead, len(self.tokens) - 1)]
        return tok.kind == kind and tok.value == value

    def _next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _enter(self, tok: Token) -> None:
        self.level += 1
        if self.level > MAX_DEPTH:
            raise error("too_deep", tok.pos, limit=MAX_DEPTH)

    def _made(self, node: Node) -> Node:
        if node.depth > MAX_DEPTH:
            raise error("too_deep", node.pos, limit=MAX_DEPTH)
        return node

    def _or(self) -> Node:
        return self._logic("or", self._and)

    def _and(self) -> Node:
        return self._logic("and", self._not)

    def _logic(self, op: str, operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self._at("name", op):
            self.i += 1
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return self._made(Logic(operands[0].pos, op, tuple(operands), height(operands)))

    def _not(self) -> Node:
        if not self._at("name", "not"):
            return self._comparison()
        tok = self._next()
        self._enter(tok)
        operand = self._not()
        self.level -= 1
        return self._made(Unary(tok.pos, "not", operand, operand.depth + 1))

    def _comparison(self) -> Node:
        operands, ops, positions = [self._sum()], list[str](), list[int]()
        while True:
            tok = self.tokens[self.i]
            if tok.kind == "op" and tok.value in _COMPARISONS:
                op, self.i = tok.value, self.i + 1
            elif self._at("name", "in"):
                op, self.i = "in", self.i + 1
            elif self._at("name", "not") and self._at("name", "in", ahead=1):
                op, self.i = "not in", self.i + 2
            else:
                break
            ops.append(op)
            positions.append(tok.pos)
            operands.append(self._sum())
        if not ops:
            return operands[0]
        node = Comparison(operands[0].pos, tuple(operands), tuple(ops), tuple(positions), height(operands))
        return self._made(node)

    def _sum(self) -> Node:
        return self._arithmetic(("+", "-"), self._term)

    def _term(self) -> Node:
        return self._arithmetic(("*", "/"), self._factor)

    def _arithmetic(self, ops: tuple[str, str], operand: Callable[[], Node]) -> Node:
        left = operand()
        while (tok := self.tokens[self.i]).kind == "op" and tok.value in ops:
            self.i += 1
            right = operand()
            left = self._made(Arithmetic(left.pos, tok.value, left, right, height((left, right))))
        return left

    def _factor(self) -> Node:
        tok = self.tokens[self.i]
        if not (tok.kind == "op" and tok.value in ("-", "+")):
            return self._postfix(self._atom())
        self.i += 1
        self._enter(tok)
        operand = self._factor()
        self.level -= 1
        if isinstance(operand, Literal) and isinstance(operand.value, float):  # fold -5 into a literal
            if tok.value == "+":
                return Literal(tok.pos, operand.value, operand.written)
            written = operand.written[1:] if operand.written.startswith("-") else f"-{operand.written}"
            return Literal(tok.pos, -operand.value, written)
        return self._made(Unary(tok.pos, tok.value, operand, operand.depth + 1))

    def _postfix(self, node: Node) -> Node:
        if self._at("op", "["):
            raise error("subscript", self.tokens[self.i].pos)
        if self._at("op", "("):
            raise error("call", self.tokens[self.i].pos, functions=", ".join(FUNCTIONS))
        return node

    def _atom(self) -> Node:
        tok = self._next()
        if tok.kind == "number":
            value = float(tok.value)
            if not math.isfinite(value):
                raise error("number_too_large", tok.pos)
            return Literal(tok.pos, value, format(Decimal(tok.value), "f"))
        if tok.kind == "text":
            return Literal(tok.pos, tok.value, quote(tok.value))
        if tok.kind == "name" and tok.value in ("True", "true", "False", "false"):
            return Literal(tok.pos, tok.value in ("True", "true"), tok.value.capitalize())
        if tok.kind == "name" and not keyword.iskeyword(tok.value):
            return self._call(tok) if self._at("op", "(") else Field(tok.pos, tok.value)
        if tok.kind == "op" and tok.value == "(":
            return self._parenthesised(tok)
        if tok.kind == "op" and tok.value == "[":
            return self._list(tok)
        raise _unexpected(tok)

    def _close(self, closing: str, opening: Token) -> None:
        tok = self._next()
        if tok.kind == "end":
            raise error("unclosed", opening.pos, x=opening.value, at=opening.pos + 1)
        if not (tok.kind == "op" and tok.value == closing):
            raise _unexpected(tok)
        self.level -= 1

    def _parenthesised(self, opening: Token) -> Node:
        self._enter(opening)
        if self._at("op", ")"):
            raise error("empty_parentheses", opening.pos)
        node = self._or()
        if self._at("op", ","):
            raise error("tuple", self.tokens[self.i].pos)
        self._close(")", opening)
        return node

    def _list(self, opening: Token) -> Node:
        self._enter(opening)
        items: list[Literal] = []
        while not self._at("op", "]"):
            item = self._or()
            if self._at("name", "for"):
                raise _unexpected(self.tokens[self.i])
            if not isinstance(item, Literal):
                raise error("list_item", item.pos)
            items.append(item)
            if len(items) > MAX_LIST:
                raise error("list_too_long", opening.pos, limit=MAX_LIST)
            if not self._at("op", ","):
                break
            self.i += 1
        self._close("]", opening)
        return List(opening.pos, tuple(items))

    def _call(self, name: Token) -> Node:
        if name.value not in FUNCTIONS:
            close = difflib.get_close_matches(name.value, FUNCTIONS, n=1)
            hint = (f" Did you mean {close[0]}?", f"您是否指 {close[0]}？") if close else ("", "")
            functions = ", ".join(FUNCTIONS)
            raise error(
                "unknown_function", name.pos, x=name.value, functions=functions, hint=hint[0], hint_zh=hint[1]
            )
        opening = self._next()
        self._enter(opening)
        args: list[Node] = []
        while not self._at("op", ")"):
            tok = self.tokens[self.i]
            if tok.kind == "op" and tok.value in ("*", "**"):
                raise error("starred", tok.pos)
            if tok.kind == "name" and self._at("op", "=", ahead=1):
                raise error("keyword_argument", tok.pos)
            args.append(self._or())
            if not self._at("op", ","):
                break
            self.i += 1
        self._close(")", opening)
        return self._made(Call(name.pos, name.value, tuple(args), height(args)))
