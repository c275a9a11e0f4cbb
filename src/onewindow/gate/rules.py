"""卡口自动放行: whether a truck at a gate may pass, from what the gate read and the release state.

Pure: no I/O and no clock. The caller reads the gate's register row and, for every well-formed
container read, the goods declarations that list it (with their status, the seals declared for
the container and whether its goods already left or arrived), and hands them to ``decide``.

Exit (leaving the controlled area) opens only when every container passes, and a container passes
only when it is on an import declaration that is released, every seal declared for it is among
the seals read, and its goods have not left already. Anything else is a hold with a reason naming
the container; a hold is never an error, the gate just stays shut and says why.

Entry (into the controlled area) opens for an export container on an export declaration that is
not refused or withdrawn, whose declared seals were read: confirming the passage records its
arrival (运抵). A container on no export declaration (an import box coming back, an empty one, an
export whose declaration is not lodged yet) enters too: the controlled area is where customs wants
goods to be, so nothing is held back, and a note says that no arrival was recorded. A misread
container number, a seal mismatch or a refused export still holds the truck for a person to look.

A truck with no container (a tractor alone) opens either way: there is nothing to control.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from stdnum import iso6346

__all__ = [
    "GATE_KIND",
    "REASONS",
    "Box",
    "Decision",
    "Declared",
    "Direction",
    "Gate",
    "Reading",
    "Reason",
    "Verdict",
    "decide",
    "normalise_container",
    "normalise_seal",
    "reason",
    "unavailable",
    "well_formed",
]

GATE_KIND = "gate"


class Direction(StrEnum):
    EXIT = "exit"  # out of the controlled area (出卡口)
    ENTRY = "entry"  # into it (进卡口)


class Verdict(StrEnum):
    OPEN = "open"
    HOLD = "hold"


# code -> (English, Chinese); {c} container, {n} declaration, {s} status, {g} gate, {e} expected
# seals, {r} seals read. Codes are stable: gate operators' systems switch on them.
REASONS: dict[str, tuple[str, str]] = {
    "gate_unknown": (
        "Gate {g} is not a registered, active gate; no truck is let through it automatically.",
        "卡口 {g} 未登记或已停用，不自动放行。",
    ),
    "gate_closed": (
        "Gate {g} is closed now (outside its opening hours, or closed at short notice); no truck is "
        "let through it automatically.",
        "卡口 {g} 当前未开放（不在开放时间内或临时关闭），不自动放行。",
    ),
    "container_invalid": (
        "{c} is not an ISO 6346 container number (wrong form or check digit); check the reading.",
        "{c} 不是有效的集装箱号（格式或校验位不符），请核对识别结果。",
    ),
    "container_unknown": (
        "Container {c} is on no goods declaration.",
        "集装箱 {c} 未见于任何货物报关单。",
    ),
    "not_import": (
        "Container {c} is declared for export ({n}); export goods leave by ship, not through this gate.",
        "集装箱 {c} 为出口申报（{n}），应装船出境，不得从卡口驶离。",
    ),
    "not_released": (
        "Container {c}: declaration {n} is not released yet (status {s}).",
        "集装箱 {c}：报关单 {n} 尚未放行（状态：{s}）。",
    ),
    "held_for_inspection": (
        "Container {c}: declaration {n} is held for inspection.",
        "集装箱 {c}：报关单 {n} 已布控查验，未放行。",
    ),
    "declaration_refused": (
        "Container {c}: declaration {n} was refused.",
        "集装箱 {c}：报关单 {n} 已被拒绝放行。",
    ),
    "declaration_withdrawn": (
        "Container {c}: declaration {n} was withdrawn; the goods need a new declaration.",
        "集装箱 {c}：报关单 {n} 已撤单，货物须重新申报。",
    ),
    "seal_mismatch": (
        "Container {c}: declared seal(s) {e} not among the seals read ({r}).",
        "集装箱 {c}：申报封志 {e} 与读取的封志（{r}）不符。",
    ),
    "already_exited": (
        "Container {c}: the goods of declaration {n} already left the controlled area.",
        "集装箱 {c}：报关单 {n} 项下货物已出卡口。",
    ),
    "already_arrived": (
        "Container {c}: the arrival of declaration {n}'s goods is already recorded.",
        "集装箱 {c}：报关单 {n} 项下货物已办理运抵。",
    ),
    "state_unavailable": (
        "The release state could not be read; the gate stays shut. Ask again in a moment.",
        "暂时无法读取放行状态，卡口保持关闭，请稍后重试。",
    ),
    # notes: said with an open gate, never a reason to hold
    "no_export_declaration": (
        "Container {c} is on no export declaration: the entry is logged, no arrival (运抵) is recorded.",
        "集装箱 {c} 未见于出口报关单：已记录进卡口，不办理运抵。",
    ),
}

STATUS_ZH = {
    "submitted": "已申报",
    "under_review": "审核中",
    "action_required": "待补正",
    "inspection": "查验中",
    "withdrawal_requested": "申请撤单中",
    "released": "已放行",
    "refused": "不予放行",
    "withdrawn": "已撤单",
}

# An exit of the status's declaration is held with this code (other open statuses: not_released).
_EXIT_HOLDS = {
    "refused": "declaration_refused",
    "inspection": "held_for_inspection",
    "withdrawn": "declaration_withdrawn",
}
_CLOSED = frozenset({"refused", "withdrawn"})


class Gate(NamedTuple):
    """A facilities register row as the gate rules need it."""

    id: str
    kind: str
    active: bool
    port: str = ""
    open_now: bool = True  # within its opening hours and no closure: as read, at most a second ago


class Declared(NamedTuple):
    """A goods declaration listing a container, with what the gates recorded for that container.
    (A tuple of plain values: the gates' view keeps many, and the collector stops scanning such.)"""

    number: str
    org_id: str
    kind: str  # import | export
    status: str
    seals: tuple[str, ...] = ()
    exited: bool = False
    arrived: bool = False


@dataclass(frozen=True, slots=True)
class Reading:
    """What a gate reader sent, normalised (see ``normalise_container``)."""

    gate_id: str
    direction: Direction
    plate: str
    containers: tuple[str, ...]
    seals: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, gate_id: str, direction: Direction, plate: str, containers: Iterable[str], seals: Iterable[str]
    ) -> Reading:
        """Normalised, each container and seal once, in the order read."""
        boxes = dict.fromkeys(normalise_container(c) for c in containers)
        return cls(
            gate_id, direction, plate.strip(), tuple(boxes), tuple(dict.fromkeys(map(normalise_seal, seals)))
        )


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    message_zh: str
    container: str | None = None
    number: str | None = None
    expected: tuple[str, ...] | None = None
    read: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message, "message_zh": self.message_zh}
        for name in ("container", "number", "expected", "read"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True, slots=True)
class Box:
    """One container's outcome: ``numbers`` are the declarations a confirmed passage moves."""

    container: str
    passes: bool
    numbers: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"container": self.container, "passes": self.passes, "declarations": list(self.numbers)}


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    notes: tuple[Reason, ...] = ()
    boxes: tuple[Box, ...] = field(default=())

    @property
    def opens(self) -> bool:
        return self.verdict is Verdict.OPEN


def reason(code: str, *, container: str | None = None, number: str | None = None, **more: Any) -> Reason:
    """The catalogued reason ``code``, its texts filled in."""
    en, zh = REASONS[code]
    status = more.get("status", "")
    expected, read = more.get("expected"), more.get("read")
    values = {
        "c": container or "",
        "n": number or "",
        "g": more.get("gate", ""),
        "e": ", ".join(expected or ()),
        "r": ", ".join(read or ()) or "none",
    }
    zh_values = {**values, "r": ", ".join(read or ()) or "无"}
    return Reason(
        code,
        en.format(s=status, **values),
        zh.format(s=STATUS_ZH.get(status, status), **zh_values),
        container=container,
        number=number,
        expected=tuple(expected) if expected is not None else None,
        read=tuple(read) if read is not None else None,
    )


def normalise_container(raw: str) -> str:
    """As written on the box, without spaces or dashes, in capitals: ``csqu 305438-3`` → CSQU3054383."""
    return "".join(raw.split()).replace("-", "").upper()


def normalise_seal(raw: str) -> str:
    return "".join(raw.split()).upper()


@lru_cache(maxsize=65_536)
def well_formed(container: str) -> bool:
    """ISO 6346 with its check digit (cached: python-stdnum takes tens of microseconds a number)."""
    return bool(iso6346.is_valid(container))


def unavailable(reading: Reading) -> Decision:
    """When the state cannot be read, the gate stays shut."""
    return Decision(
        Verdict.HOLD,
        (reason("state_unavailable"),),
        boxes=tuple(Box(c, False) for c in reading.containers),
    )


def decide(reading: Reading, gate: Gate | None, declared: Mapping[str, Sequence[Declared]]) -> Decision:
    """Open only if the gate is known and every container passes; every hold reason is listed."""
    if gate is None or gate.kind != GATE_KIND or not gate.active:
        return Decision(
            Verdict.HOLD,
            (reason("gate_unknown", gate=reading.gate_id),),
            boxes=tuple(Box(c, False) for c in reading.containers),
        )
    if not gate.open_now:
        return Decision(
            Verdict.HOLD,
            (reason("gate_closed", gate=reading.gate_id),),
            boxes=tuple(Box(c, False) for c in reading.containers),
        )
    seals = frozenset(normalise_seal(s) for s in reading.seals)
    check = _exit if reading.direction is Direction.EXIT else _entry
    reasons: list[Reason] = []
    notes: list[Reason] = []
    boxes: list[Box] = []
    for container in reading.containers:
        box, holds, said = check(container, declared.get(container, ()), seals, reading.seals)
        boxes.append(box)
        reasons += holds
        notes += said
    verdict = Verdict.HOLD if reasons else Verdict.OPEN
    return Decision(verdict, tuple(reasons), tuple(notes), tuple(boxes))


_Outcome = tuple[Box, list[Reason], list[Reason]]


def _exit(
    container: str, declared: Sequence[Declared], seals: frozenset[str], read: Sequence[str]
) -> _Outcome:
    """An import container leaves when all its import declarations not yet out are released."""
    if not well_formed(container):
        return _held(container, reason("container_invalid", container=container))
    if not declared:
        return _held(container, reason("container_unknown", container=container))
    imports = [d for d in declared if d.kind == "import"]
    if not imports:
        numbers = ", ".join(d.number for d in declared)
        return _held(container, reason("not_import", container=container, number=numbers))
    inside = [d for d in imports if not d.exited]
    if not inside:
        return _held(
            container, *(reason("already_exited", container=container, number=d.number) for d in imports)
        )
    live = _live(inside)
    holds = [h for d in live for h in _exit_holds(container, d, seals, read)]
    return Box(container, not holds, tuple(d.number for d in live)), holds, []


def _entry(
    container: str, declared: Sequence[Declared], seals: frozenset[str], read: Sequence[str]
) -> _Outcome:
    """An export container arrives (运抵) when its export declarations still stand and seals match."""
    if not well_formed(container):
        return _held(container, reason("container_invalid", container=container))
    exports = [d for d in declared if d.kind == "export"]
    if not exports:
        return Box(container, True), [], [reason("no_export_declaration", container=container)]
    outside = [d for d in exports if not d.arrived]
    if not outside:
        return _held(
            container, *(reason("already_arrived", container=container, number=d.number) for d in exports)
        )
    live = _live(outside)
    holds = [h for d in live for h in _entry_holds(container, d, seals, read)]
    return Box(container, not holds, tuple(d.number for d in live)), holds, []


def _live(declared: Sequence[Declared]) -> list[Declared]:
    """A withdrawn declaration no longer covers the goods when another one does (re-declared)."""
    standing = [d for d in declared if d.status != "withdrawn"]
    return standing or list(declared)


def _exit_holds(container: str, d: Declared, seals: frozenset[str], read: Sequence[str]) -> Iterable[Reason]:
    if d.status != "released":
        code = _EXIT_HOLDS.get(d.status, "not_released")
        yield reason(code, container=container, number=d.number, status=d.status)
        return
    yield from _seal_holds(container, d, seals, read)


def _entry_holds(container: str, d: Declared, seals: frozenset[str], read: Sequence[str]) -> Iterable[Reason]:
    if d.status in _CLOSED:
        yield reason(_EXIT_HOLDS[d.status], container=container, number=d.number, status=d.status)
        return
    yield from _seal_holds(container, d, seals, read)


def _seal_holds(container: str, d: Declared, seals: frozenset[str], read: Sequence[str]) -> Iterable[Reason]:
    """Every seal declared for the container must have been read (other seals may be the other
    container's); a container declared without seals has nothing to compare."""
    missing = [s for s in d.seals if normalise_seal(s) not in seals]
    if missing:
        yield reason(
            "seal_mismatch", container=container, number=d.number, expected=list(d.seals), read=list(read)
        )


def _held(container: str, *holds: Reason) -> _Outcome:
    return Box(container, False), list(holds), []
