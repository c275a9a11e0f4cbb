"""The syntax tree of a condition, the functions it may call, and its normalised text.

``render`` writes a tree back as the text an officer reads (``Expression.text``): one spelling for
every literal, single spaces around operators, and parentheses only where they change the meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "FUNCTIONS",
    "Arithmetic",
    "Call",
    "Comparison",
    "Field",
    "List",
    "Literal",
    "Logic",
    "Node",
    "Unary",
    "height",
    "quote",
    "render",
]

# --- the tree -------------------------------------------------------------------------------------
# ``pos`` is where the node starts; ``depth`` is the height of the tree below it, leaves being 1.


@dataclass(frozen=True, slots=True)
class Literal:
    pos: int
    value: str | float | bool
    written: str  # as it appears in the normalised text
    depth: int = 1


@dataclass(frozen=True, slots=True)
class List:
    pos: int
    items: tuple[Literal, ...]
    depth: int = 2


@dataclass(frozen=True, slots=True)
class Field:
    pos: int
    name: str
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Unary:
    pos: int
    op: str  # "not", "-" or "+"
    operand: Node
    depth: int


@dataclass(frozen=True, slots=True)
class Arithmetic:
    pos: int
    op: str  # "+", "-", "*" or "/"
    left: Node
    right: Node
    depth: int


@dataclass(frozen=True, slots=True)
class Comparison:
    pos: int
    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    op_positions: tuple[int, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class Logic:
    pos: int
    op: str  # "and" or "or"
    operands: tuple[Node, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class Call:
    pos: int
    name: str
    args: tuple[Node, ...]
    depth: int


Node = Literal | List | Field | Unary | Arithmetic | Comparison | Logic | Call


def height(nodes: Sequence[Node]) -> int:
    return 1 + max((n.depth for n in nodes), default=0)


# The functions an officer may call: name -> (usage, description, description in Chinese).
FUNCTIONS: Final = {
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


# --- normalised text ------------------------------------------------------------------------------


def quote(value: str) -> str:
    """A text literal as the normalised text writes it: in double quotes, with the escapes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _precedence(node: Node) -> int:
    match node:
        case Logic(op="or"):
            return 1
        case Logic():
            return 2
        case Unary(op="not"):
            return 3
        case Comparison():
            return 4
        case Arithmetic(op="+" | "-"):
            return 5
        case Arithmetic():
            return 6
        case Unary():
            return 7
    return 8


def render(node: Node, least: int = 0) -> str:
    """The node as text, in parentheses when it binds more loosely than ``least`` requires."""
    p = _precedence(node)
    match node:
        case Literal():
            text = node.written
        case List():
            text = "[" + ", ".join(item.written for item in node.items) + "]"
        case Field():
            text = node.name
        case Call():
            text = f"{node.name}(" + ", ".join(render(a) for a in node.args) + ")"
        case Logic():
            text = f" {node.op} ".join(render(o, p + 1) for o in node.operands)
        case Unary(op="not"):
            text = "not " + render(node.operand, p)
        case Unary():
            text = node.op + render(node.operand, p)
        case Arithmetic():
            text = f"{render(node.left, p)} {node.op} {render(node.right, p + 1)}"
        case Comparison():
            text = render(node.operands[0], p + 1)
            for op, operand in zip(node.ops, node.operands[1:], strict=True):
                text += f" {op} {render(operand, p + 1)}"
    return f"({text})" if p < least else text
