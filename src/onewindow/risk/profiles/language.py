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

import difflib
import keyword
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from onewindow.kernel.errors import FieldError

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

MAX_TEXT: Final = 2000
MAX_DEPTH: Final = 50
MAX_TEXT_LITERAL: Final = 500
MAX_LIST: Final = 1000

Record = Mapping[str, Any]
Run = Callable[[Record], Any]


class FieldType(StrEnum):
    """What a field holds; a profile's schema maps each field it may read to one of these."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT_LIST = "text_list"


# The types of the language (the field types and the list literals), in English and in Chinese.
_TYPE_NAMES: Final = {
    "text": ("text", "文本"),
    "number": ("a number", "数值"),
    "boolean": ("true/false", "布尔值（真/假）"),
    "text_list": ("a list of text", "文本列表"),
    "number_list": ("a list of numbers", "数值列表"),
    "empty_list": ("an empty list", "空列表"),
}

# key -> (code, English, Chinese); the ``{...}`` are filled in where the error is raised.
_MESSAGES: Final = {
    "empty": ("syntax", "The condition is empty.", "条件为空。"),
    "ends_early": (
        "syntax",
        "The condition ends too early; something is missing.",
        "条件不完整，末尾缺少内容。",
    ),
    "unexpected": ("syntax", "Unexpected {x}.", "此处不应出现 {x}。"),
    "character": ("syntax", "Unexpected character '{x}'.", "此处不应出现字符“{x}”。"),
    "unclosed": (
        "syntax",
        "The '{x}' at position {at} is never closed.",
        "第 {at} 个字符处的“{x}”没有闭合。",
    ),
    "unopened": ("syntax", "'{x}' closes nothing that was opened.", "“{x}”没有对应的左括号。"),
    "single_equals": ("syntax", "A single '=' does not compare; write '=='.", "单个“=”不是比较，请写“==”。"),
    "unclosed_quote": ("syntax", "This quote is never closed.", "此处的引号没有闭合。"),
    "escape": (
        "syntax",
        "Unknown escape; inside quotes write \\\\ \\\" \\' \\n or \\t.",
        "未知的转义序列；引号内只能使用 \\\\ \\\" \\' \\n 或 \\t。",
    ),
    "number": (
        "syntax",
        "Malformed number; write numbers as 30 or 12.5 (no exponent, hexadecimal or underscore).",
        "数字格式错误；请写作 30 或 12.5（不支持指数、十六进制或下划线）。",
    ),
    "number_too_large": ("syntax", "This number is too large.", "此数字过大。"),
    "text_too_long": (
        "too_long",
        "A condition is limited to {limit} characters; this has {n}.",
        "条件最多 {limit} 个字符，此处有 {n} 个。",
    ),
    "literal_too_long": (
        "too_long",
        "Text in quotes is limited to {limit} characters; this has {n}.",
        "引号内文本最多 {limit} 个字符，此处有 {n} 个。",
    ),
    "list_too_long": ("too_long", "A list is limited to {limit} entries.", "列表最多 {limit} 项。"),
    "too_deep": (
        "too_deep",
        "The condition nests deeper than {limit} levels; simplify it.",
        "条件嵌套超过 {limit} 层，请简化。",
    ),
    "string_prefix": (
        "forbidden",
        'Prefixed text such as {x}"..." (f-strings, bytes, raw text) is not allowed.',
        '不允许使用带前缀的字符串（如 {x}"..."，包括 f-string）。',
    ),
    "attribute": ("forbidden", "Attribute access ('.') is not allowed.", "不允许访问属性（“.”）。"),
    "walrus": ("forbidden", "Assignment (':=') is not allowed.", "不允许赋值（“:=”）。"),
    "braces": (
        "forbidden",
        'Dictionaries and sets are not allowed; write a list: ["BR", "AR"].',
        '不允许使用字典或集合，请写成列表：["BR", "AR"]。',
    ),
    "operator": (
        "forbidden",
        "The operator '{x}' is not part of the language; use + - * /.",
        "不支持运算符“{x}”，可用 + - * /。",
    ),
    "subscript": ("forbidden", "Subscripts ('x[...]') are not allowed.", "不允许使用下标（x[...]）。"),
    "call": ("forbidden", "Only the functions {functions} can be called.", "只能调用以下函数：{functions}。"),
    "unknown_function": (
        "forbidden",
        "'{x}' cannot be called; the functions are {functions}.{hint}",
        "不能调用“{x}”；可用函数：{functions}。{hint_zh}",
    ),
    "empty_parentheses": (
        "forbidden",
        "Empty parentheses (a tuple) are not allowed.",
        "不允许使用空括号（元组）。",
    ),
    "tuple": (
        "forbidden",
        'Tuples are not allowed; write a list: ["BR", "AR"].',
        '不允许使用元组，请写成列表：["BR", "AR"]。',
    ),
    "list_item": (
        "forbidden",
        "A list holds only text in quotes or numbers.",
        "列表只能包含引号内的文本或数字。",
    ),
    "starred": ("forbidden", "Starred arguments are not allowed.", "不允许使用星号参数。"),
    "keyword_argument": ("forbidden", "Keyword arguments are not allowed.", "不允许使用关键字参数。"),
    "lambda": ("forbidden", "Functions cannot be defined ('lambda').", "不允许定义函数（lambda）。"),
    "for": (
        "forbidden",
        'Comprehensions (\'for\') are not allowed; list the values: ["BR", "AR"].',
        '不允许使用推导式（for），请直接列出取值：["BR", "AR"]。',
    ),
    "if": (
        "forbidden",
        "Conditional expressions ('if ... else') are not allowed; combine conditions with and/or.",
        "不允许使用条件表达式（if ... else），请用 and/or 组合条件。",
    ),
    "is": ("forbidden", "'is' is not allowed; compare with == or !=.", "不允许使用 is，请用 == 或 != 比较。"),
    "None": (
        "forbidden",
        "'None' is not a value here; a missing value already makes a comparison false.",
        "此处不能使用 None；缺失的取值本身就使比较结果为假。",
    ),
    "keyword": (
        "forbidden",
        "'{x}' is a Python keyword that the profile language does not allow.",
        "“{x}”是 Python 关键字，布控条件语言不允许使用。",
    ),
    "unknown_field": (
        "unknown_field",
        "Unknown field '{x}'. Did you mean {close}?",
        "未知字段“{x}”。您是否指 {close}？",
    ),
    "unknown_field_listed": (
        "unknown_field",
        "Unknown field '{x}'. The fields are: {known}.",
        "未知字段“{x}”。可用字段：{known}。",
    ),
    "expected": (
        "type_mismatch",
        "Expected {want} here, found {found}.",
        "此处应为{want_zh}，实际为{found_zh}。",
    ),
    "compare": (
        "type_mismatch",
        "'{x}' cannot compare {left} with {right}.{hint}",
        "“{x}”不能比较{left_zh}与{right_zh}。{hint_zh}",
    ),
    "mixed_list": (
        "type_mismatch",
        "A list holds either text or numbers, all of one kind.",
        "列表的各项须同为文本或同为数值。",
    ),
    "not_a_condition": (
        "type_mismatch",
        "A condition must be true or false, but this is {found}; compare it, e.g. value_cny > 10000.",
        "条件的结果须为真或假，此处却是{found_zh}；请加比较，如 value_cny > 10000。",
    ),
    "prefix_number": (
        "type_mismatch",
        "Put {x} in quotes: codes are text. Write {usage}.",
        "请给 {x} 加引号：编码是文本。请写作 {usage}。",
    ),
    "arguments": ("bad_argument", "Write {usage}.", "请写作 {usage}。"),
    "text_argument": (
        "bad_argument",
        "Write text in quotes here: {usage}.",
        "此处须为引号内的文本：{usage}。",
    ),
}

# What to add to a failed comparison, by the kind of failure.
_HINTS: Final = {
    "contains": (
        ' To look for text inside text write contains(field, "part").',
        '要在文本中查找文字，请写 contains(字段, "文字")。',
    ),
    "list": (
        ' The right side of in must be a list such as ["BR", "AR"].',
        'in 的右侧须为列表，如 ["BR", "AR"]。',
    ),
    "order": (" Ordering compares numbers only.", "大小比较只适用于数值。"),
    "quotes": (' Codes are text: put them in quotes, e.g. "0201".', '编码是文本，请加引号，如 "0201"。'),
    "": ("", ""),
}


class ProfileExpressionError(ValueError):
    """A condition that does not compile: where (1-based character position), a stable code, and why."""

    def __init__(self, code: str, position: int, message: str, message_zh: str) -> None:
        super().__init__(f"{code} at position {position}: {message}")
        self.code = code
        self.position = position
        self.message = message
        self.message_zh = message_zh

    def as_field_error(self, path: str) -> FieldError:
        """This error as one FieldError of an ``InvalidInput``, for an API that stores profiles."""
        return FieldError(
            path,
            f"expression_{self.code}",
            f"At position {self.position}: {self.message}",
            f"第 {self.position} 个字符处：{self.message_zh}",
        )


def _error(key: str, offset: int, **details: object) -> ProfileExpressionError:
    code, en, zh = _MESSAGES[key]
    return ProfileExpressionError(code, offset + 1, en.format(**details), zh.format(**details))


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "text", "name", "op" or "end"
    value: str  # a number as written, a text literal decoded, a name, an operator
    pos: int  # 0-based offset in the condition


# Longest first. Those the grammar does not use are kept so that errors can name them.
_OPERATORS: Final = (
    *("==", "!=", "<=", ">=", ":=", "**", "//", "<<", ">>", "->"),
    *("<", ">", "(", ")", "[", "]", ",", "+", "-", "*", "/", ".", "%", "@", "&", "|", "^", "~"),
    *("{", "}", "=", ":", ";", "!"),
)
_DIGITS: Final = "0123456789"
_ESCAPES: Final = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_STRING_PREFIXES: Final = {"f", "b", "r", "u", "rb", "br", "fr", "rf"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            end = i + 1
        elif c in "\"'":
            value, end = _read_text(text, i)
            tokens.append(_Token("text", value, i))
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            end = _read_number(text, i)
            tokens.append(_Token("number", text[i:end], i))
        elif c.isalpha() or c == "_":
            end = i + 1
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            if end < n and text[end] in "\"'" and text[i:end].lower() in _STRING_PREFIXES:
                raise _error("string_prefix", i, x=text[i:end])
            tokens.append(_Token("name", text[i:end], i))
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise _error("character", i, x=c)
            tokens.append(_Token("op", op, i))
            end = i + len(op)
        i = end
    tokens.append(_Token("end", "", n))
    return tokens


def _read_text(text: str, start: int) -> tuple[str, int]:
    quote, out, i = text[start], list[str](), start + 1
    while i < len(text) and text[i] != "\n":
        c = text[i]
        if c == quote:
            value = "".join(out)
            if len(value) > MAX_TEXT_LITERAL:
                raise _error("literal_too_long", start, limit=MAX_TEXT_LITERAL, n=len(value))
            return value, i + 1
        if c == "\\":
            escape = text[i + 1 : i + 2]
            if escape not in _ESCAPES:
                raise _error("escape", i)
            out.append(_ESCAPES[escape])
            i += 2
        else:
            out.append(c)
            i += 1
    raise _error("unclosed_quote", start)


def _read_number(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    if end < len(text) and text[end] == ".":
        end += 1
        while end < len(text) and text[end] in _DIGITS:
            end += 1
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        raise _error("number", start)
    return end


# --- syntax tree ----------------------------------------------------------------------------------
# ``pos`` is where the node starts; ``depth`` is the height of the tree below it, leaves being 1.


@dataclass(frozen=True, slots=True)
class _Literal:
    pos: int
    value: str | float | bool
    written: str  # as it appears in the normalised text
    depth: int = 1


@dataclass(frozen=True, slots=True)
class _List:
    pos: int
    items: tuple[_Literal, ...]
    depth: int = 2


@dataclass(frozen=True, slots=True)
class _Field:
    pos: int
    name: str
    depth: int = 1


@dataclass(frozen=True, slots=True)
class _Unary:
    pos: int
    op: str  # "not", "-" or "+"
    operand: _Node
    depth: int


@dataclass(frozen=True, slots=True)
class _Arithmetic:
    pos: int
    op: str  # "+", "-", "*" or "/"
    left: _Node
    right: _Node
    depth: int


@dataclass(frozen=True, slots=True)
class _Comparison:
    pos: int
    operands: tuple[_Node, ...]
    ops: tuple[str, ...]
    op_positions: tuple[int, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class _Logic:
    pos: int
    op: str  # "and" or "or"
    operands: tuple[_Node, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class _Call:
    pos: int
    name: str
    args: tuple[_Node, ...]
    depth: int


_Node = _Literal | _List | _Field | _Unary | _Arithmetic | _Comparison | _Logic | _Call


def _height(nodes: Sequence[_Node]) -> int:
    return 1 + max((n.depth for n in nodes), default=0)


# --- parser ---------------------------------------------------------------------------------------

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


def _unexpected(tok: _Token) -> ProfileExpressionError:
    """The error for a token the grammar cannot take here: forbidden if it is Python, else syntax."""
    if tok.kind == "end":
        return _error("ends_early", tok.pos)
    if tok.kind == "op" and tok.value in _OPERATOR_ERRORS:
        return _error(_OPERATOR_ERRORS[tok.value], tok.pos)
    if tok.kind == "op" and tok.value in ("**", "//", "%", "@", "&", "|", "^", "~", "<<", ">>"):
        return _error("operator", tok.pos, x=tok.value)
    if tok.kind == "op" and tok.value in (")", "]"):
        return _error("unopened", tok.pos, x=tok.value)
    if tok.kind == "name" and keyword.iskeyword(tok.value) and tok.value not in _ALLOWED_WORDS:
        return _error(_KEYWORD_ERRORS.get(tok.value, "keyword"), tok.pos, x=tok.value)
    return _error("unexpected", tok.pos, x=f'"{tok.value}"' if tok.kind == "text" else f"'{tok.value}'")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.level = 0  # nesting of parentheses, lists, calls and unary operators

    def parse(self) -> _Node:
        node = self._or()
        if self.tokens[self.i].kind != "end":
            raise _unexpected(self.tokens[self.i])
        return node

    def _at(self, kind: str, value: str, ahead: int = 0) -> bool:
        tok = self.tokens[min(self.i + ahead, len(self.tokens) - 1)]
        return tok.kind == kind and tok.value == value

    def _next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _enter(self, tok: _Token) -> None:
        self.level += 1
        if self.level > MAX_DEPTH:
            raise _error("too_deep", tok.pos, limit=MAX_DEPTH)

    def _made(self, node: _Node) -> _Node:
        if node.depth > MAX_DEPTH:
            raise _error("too_deep", node.pos, limit=MAX_DEPTH)
        return node

    def _or(self) -> _Node:
        return self._logic("or", self._and)

    def _and(self) -> _Node:
        return self._logic("and", self._not)

    def _logic(self, op: str, operand: Callable[[], _Node]) -> _Node:
        operands = [operand()]
        while self._at("name", op):
            self.i += 1
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return self._made(_Logic(operands[0].pos, op, tuple(operands), _height(operands)))

    def _not(self) -> _Node:
        if not self._at("name", "not"):
            return self._comparison()
        tok = self._next()
        self._enter(tok)
        operand = self._not()
        self.level -= 1
        return self._made(_Unary(tok.pos, "not", operand, operand.depth + 1))

    def _comparison(self) -> _Node:
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
        node = _Comparison(operands[0].pos, tuple(operands), tuple(ops), tuple(positions), _height(operands))
        return self._made(node)

    def _sum(self) -> _Node:
        return self._arithmetic(("+", "-"), self._term)

    def _term(self) -> _Node:
        return self._arithmetic(("*", "/"), self._factor)

    def _arithmetic(self, ops: tuple[str, str], operand: Callable[[], _Node]) -> _Node:
        left = operand()
        while (tok := self.tokens[self.i]).kind == "op" and tok.value in ops:
            self.i += 1
            right = operand()
            left = self._made(_Arithmetic(left.pos, tok.value, left, right, _height((left, right))))
        return left

    def _factor(self) -> _Node:
        tok = self.tokens[self.i]
        if not (tok.kind == "op" and tok.value in ("-", "+")):
            return self._postfix(self._atom())
        self.i += 1
        self._enter(tok)
        operand = self._factor()
        self.level -= 1
        if isinstance(operand, _Literal) and isinstance(operand.value, float):  # fold -5 into a literal
            if tok.value == "+":
                return _Literal(tok.pos, operand.value, operand.written)
            written = operand.written[1:] if operand.written.startswith("-") else f"-{operand.written}"
            return _Literal(tok.pos, -operand.value, written)
        return self._made(_Unary(tok.pos, tok.value, operand, operand.depth + 1))

    def _postfix(self, node: _Node) -> _Node:
        if self._at("op", "["):
            raise _error("subscript", self.tokens[self.i].pos)
        if self._at("op", "("):
            raise _error("call", self.tokens[self.i].pos, functions=", ".join(_FUNCTIONS))
        return node

    def _atom(self) -> _Node:
        tok = self._next()
        if tok.kind == "number":
            value = float(tok.value)
            if not math.isfinite(value):
                raise _error("number_too_large", tok.pos)
            return _Literal(tok.pos, value, format(Decimal(tok.value), "f"))
        if tok.kind == "text":
            return _Literal(tok.pos, tok.value, _quote(tok.value))
        if tok.kind == "name" and tok.value in ("True", "true", "False", "false"):
            return _Literal(tok.pos, tok.value in ("True", "true"), tok.value.capitalize())
        if tok.kind == "name" and not keyword.iskeyword(tok.value):
            return self._call(tok) if self._at("op", "(") else _Field(tok.pos, tok.value)
        if tok.kind == "op" and tok.value == "(":
            return self._parenthesised(tok)
        if tok.kind == "op" and tok.value == "[":
            return self._list(tok)
        raise _unexpected(tok)

    def _close(self, closing: str, opening: _Token) -> None:
        tok = self._next()
        if tok.kind == "end":
            raise _error("unclosed", opening.pos, x=opening.value, at=opening.pos + 1)
        if not (tok.kind == "op" and tok.value == closing):
            raise _unexpected(tok)
        self.level -= 1

    def _parenthesised(self, opening: _Token) -> _Node:
        self._enter(opening)
        if self._at("op", ")"):
            raise _error("empty_parentheses", opening.pos)
        node = self._or()
        if self._at("op", ","):
            raise _error("tuple", self.tokens[self.i].pos)
        self._close(")", opening)
        return node

    def _list(self, opening: _Token) -> _Node:
        self._enter(opening)
        items: list[_Literal] = []
        while not self._at("op", "]"):
            item = self._or()
            if self._at("name", "for"):
                raise _unexpected(self.tokens[self.i])
            if not isinstance(item, _Literal):
                raise _error("list_item", item.pos)
            items.append(item)
            if len(items) > MAX_LIST:
                raise _error("list_too_long", opening.pos, limit=MAX_LIST)
            if not self._at("op", ","):
                break
            self.i += 1
        self._close("]", opening)
        return _List(opening.pos, tuple(items))

    def _call(self, name: _Token) -> _Node:
        if name.value not in _FUNCTIONS:
            close = difflib.get_close_matches(name.value, _FUNCTIONS, n=1)
            hint = (f" Did you mean {close[0]}?", f"您是否指 {close[0]}？") if close else ("", "")
            functions = ", ".join(_FUNCTIONS)
            raise _error(
                "unknown_function", name.pos, x=name.value, functions=functions, hint=hint[0], hint_zh=hint[1]
            )
        opening = self._next()
        self._enter(opening)
        args: list[_Node] = []
        while not self._at("op", ")"):
            tok = self.tokens[self.i]
            if tok.kind == "op" and tok.value in ("*", "**"):
                raise _error("starred", tok.pos)
            if tok.kind == "name" and self._at("op", "=", ahead=1):
                raise _error("keyword_argument", tok.pos)
            args.append(self._or())
            if not self._at("op", ","):
                break
            self.i += 1
        self._close(")", opening)
        return self._made(_Call(name.pos, name.value, tuple(args), _height(args)))


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


# --- normalised text ------------------------------------------------------------------------------


def _precedence(node: _Node) -> int:
    match node:
        case _Logic(op="or"):
            return 1
        case _Logic():
            return 2
        case _Unary(op="not"):
            return 3
        case _Comparison():
            return 4
        case _Arithmetic(op="+" | "-"):
            return 5
        case _Arithmetic():
            return 6
        case _Unary():
            return 7
    return 8


def _render(node: _Node, least: int = 0) -> str:
    """The node as text, in parentheses when it binds more loosely than ``least`` requires."""
    p = _precedence(node)
    match node:
        case _Literal():
            text = node.written
        case _List():
            text = "[" + ", ".join(item.written for item in node.items) + "]"
        case _Field():
            text = node.name
        case _Call():
            text = f"{node.name}(" + ", ".join(_render(a) for a in node.args) + ")"
        case _Logic():
            text = f" {node.op} ".join(_render(o, p + 1) for o in node.operands)
        case _Unary(op="not"):
            text = "not " + _render(node.operand, p)
        case _Unary():
            text = node.op + _render(node.operand, p)
        case _Arithmetic():
            text = f"{_render(node.left, p)} {node.op} {_render(node.right, p + 1)}"
        case _Comparison():
            text = _render(node.operands[0], p + 1)
            for op, operand in zip(node.ops, node.operands[1:], strict=True):
                text += f" {op} {_render(operand, p + 1)}"
    return f"({text})" if p < least else text


# --- type check and compilation into closures -----------------------------------------------------


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
# name -> (usage, description, description in Chinese)
_FUNCTIONS: Final = {
    "startswith": (
        'startswith(field, "prefix", ...)',
        "True when the text field starts with any of the prefixes.",
        "文本字段以任一前缀开头时为真。",
    ),
    "contains": (
        'contains(field, "part")',
        "True when the text field contains the part, ignoring case.",
        "文本字段包含该文字（不区分大小写）时为真。",
    ),
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
    """Which of _HINTS explains why ``left op right`` does not type-check."""
    if op in ("in", "not in"):
        return "contains" if right == "text" else "" if right.endswith("list") else "list"
    if op not in ("==", "!="):
        return "order"
    return "quotes" if {left, right} == {"text", "number"} else ""


class _Compiler:
    """Type-checks the tree against the schema and turns it into nested closures."""

    def __init__(self, schema: Mapping[str, FieldType]) -> None:
        self.schema = schema
        self.used: set[str] = set()

    def compile(self, node: _Node) -> tuple[str, Run]:
        """The node's type and a function from a record to its value (None when missing)."""
        match node:
            case _Literal(value=value):
                kind = (
                    "boolean" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"
                )
                return kind, lambda r: value
            case _List():
                return self._list(node)
            case _Field():
                return self._field(node)
            case _Unary():
                return self._unary(node)
            case _Arithmetic():
                return self._arithmetic(node)
            case _Comparison():
                return "boolean", self._comparison(node)
            case _Logic():
                return "boolean", self._logic(node)
            case _Call():
                return "boolean", self._call(node)
        raise AssertionError(node)  # pragma: no cover - the match is exhaustive

    def expect(self, node: _Node, kind: str) -> Run:
        found, run = self.compile(node)
        if found != kind:
            (want, want_zh), (got, got_zh) = _TYPE_NAMES[kind], _TYPE_NAMES[found]
            raise _error("expected", node.pos, want=want, want_zh=want_zh, found=got, found_zh=got_zh)
        return run

    def _list(self, node: _List) -> tuple[str, Run]:
        kinds = {self.compile(item)[0] for item in node.items}
        if len(kinds) > 1 or "boolean" in kinds:
            raise _error("mixed_list", node.pos)
        values = frozenset(item.value for item in node.items)
        return (f"{kinds.pop()}_list" if kinds else "empty_list"), lambda r: values

    def _field(self, node: _Field) -> tuple[str, Run]:
        kind = self.schema.get(node.name)
        if kind is None:
            raise _unknown_field(node, self.schema)
        self.used.add(node.name)
        return kind.value, _GETTERS[kind](node.name)

    def _unary(self, node: _Unary) -> tuple[str, Run]:
        if node.op == "not":
            f = _test(node.operand, self.expect(node.operand, "boolean"))
            return "boolean", lambda r: not f(r)
        g = self.expect(node.operand, "number")
        if node.op == "+":
            return "number", g
        return "number", lambda r: None if (v := g(r)) is None else -v

    def _arithmetic(self, node: _Arithmetic) -> tuple[str, Run]:
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

    def _comparison(self, node: _Comparison) -> Run:
        compiled = [self.compile(operand) for operand in node.operands]
        for i, (op, pos) in enumerate(zip(node.ops, node.op_positions, strict=True)):
            left, right = compiled[i][0], compiled[i + 1][0]
            if not _fits(op, left, right):
                raise _comparison_error(op, pos, left, right)
        first, last = compiled[0][1], node.operands[-1]
        if len(node.ops) == 1 and isinstance(last, _Literal | _List):
            constant = last.value if isinstance(last, _Literal) else frozenset(i.value for i in last.items)
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

    def _logic(self, node: _Logic) -> Run:
        runs = tuple(_test(operand, self.expect(operand, "boolean")) for operand in node.operands)
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

    def _call(self, node: _Call) -> Run:
        usage = _FUNCTIONS[node.name][0]
        if len(node.args) < 2 or (node.name == "contains" and len(node.args) != 2):
            raise _error("arguments", node.pos, usage=usage)
        subject = self.expect(node.args[0], "text")
        texts = tuple(self._text_literal(arg, usage) for arg in node.args[1:])
        if node.name == "startswith":
            return lambda r: (v := subject(r)) is not None and v.startswith(texts)
        part = texts[0].casefold()
        return lambda r: (v := subject(r)) is not None and part in v.casefold()

    def _text_literal(self, arg: _Node, usage: str) -> str:
        if isinstance(arg, _Literal) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, _Literal) and isinstance(arg.value, float):
            raise _error("prefix_number", arg.pos, x=arg.written, usage=usage)
        raise _error("text_argument", arg.pos, usage=usage)


def _comparison_error(op: str, offset: int, left: str, right: str) -> ProfileExpressionError:
    (left_en, left_zh), (right_en, right_zh) = _TYPE_NAMES[left], _TYPE_NAMES[right]
    hint, hint_zh = _HINTS[_hint(op, left, right)]
    names = {"left": left_en, "left_zh": left_zh, "right": right_en, "right_zh": right_zh}
    return _error("compare", offset, x=op, hint=hint, hint_zh=hint_zh, **names)


def _test(node: _Node, run: Run) -> Run:
    """A boolean node as a test: a boolean field that is missing reads as false, not None."""
    return (lambda r: run(r) is True) if isinstance(node, _Field) else run


def _compare_with_constant(first: Run, op: str, constant: Any) -> Run:
    """The common ``field op literal``, without the generality of a chain."""
    if op == "in":
        return lambda r: (a := first(r)) is not None and a in constant
    if op == "not in":
        return lambda r: (a := first(r)) is not None and a not in constant
    test = _TESTS[op]
    return lambda r: (a := first(r)) is not None and test(a, constant)


def _unknown_field(node: _Field, schema: Mapping[str, FieldType]) -> ProfileExpressionError:
    by_lower = {name.lower(): name for name in schema}
    close = [by_lower[n] for n in difflib.get_close_matches(node.name.lower(), by_lower, n=3)]
    if close:
        return _error("unknown_field", node.pos, x=node.name, close=", ".join(close))
    known = sorted(schema)
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return _error("unknown_field_listed", node.pos, x=node.name, known=listed or "-")


# --- public surface -------------------------------------------------------------------------------


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
    if len(text) > MAX_TEXT:
        raise _error("text_too_long", MAX_TEXT, limit=MAX_TEXT, n=len(text))
    if not text.strip():
        raise _error("empty", 0)
    try:
        root = _Parser(text).parse()
        compiler = _Compiler(schema)
        kind, run = compiler.compile(root)
        normalised = _render(root)
    except RecursionError:  # the limits above make this unreachable; refuse rather than crash if not
        raise _error("too_deep", 0, limit=MAX_DEPTH) from None
    if kind != "boolean":
        found, found_zh = _TYPE_NAMES[kind]
        raise _error("not_a_condition", root.pos, found=found, found_zh=found_zh)
    return Expression(normalised, frozenset(compiler.used), _test(root, run))


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
    *(("function", usage, en, zh) for usage, en, zh in _FUNCTIONS.values()),
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
        en, zh = _TYPE_NAMES[kind.value]
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
