"""The tokenizer of the profile language: the officer's text as numbers, quoted text, names and operators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import error

__all__ = ["MAX_TEXT_LITERAL", "Token", "tokenize"]

MAX_TEXT_LITERAL: Final = 500


@dataclass(frozen=True, slots=True)
class Token:
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


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            end = i + 1
        elif c in "\"'":
            value, end = _read_text(text, i)
            tokens.append(Token("text", value, i))
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            end = _read_number(text, i)
            tokens.append(Token("number", text[i:end], i))
        elif c.isalpha() or c == "_":
            end = i + 1
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            if end < n and text[end] in "\"'" and text[i:end].lower() in _STRING_PREFIXES:
                raise error("string_prefix", i, x=text[i:end])
            tokens.append(Token("name", text[i:end], i))
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise error("character", i, x=c)
            tokens.append(Token("op", op, i))
            end = i + len(op)
        i = end
    tokens.append(Token("end", "", n))
    return tokens


def _read_text(text: str, start: int) -> tuple[str, int]:
    quote, out, i = text[start], list[str](), start + 1
    while i < len(text) and text[i] != "\n":
        c = text[i]
        if c == quote:
            value = "".join(out)
            if len(value) > MAX_TEXT_LITERAL:
                raise error("literal_too_long", start, limit=MAX_TEXT_LITERAL, n=len(value))
            return value, i + 1
        if c == "\\":
            escape = text[i + 1 : i + 2]
            if escape not in _ESCAPES:
                raise error("escape", i)
            out.append(_ESCAPES[escape])
            i += 2
        else:
            out.append(c)
            i += 1
    raise error("unclosed_quote", start)


def _read_number(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    if end < len(text) and text[end] == ".":
        end += 1
        while end < len(text) and text[end] in _DIGITS:
            end += 1
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        raise error("number", start)
    return end
