"""What gates record on a declaration's timeline. Written to the outbox with the confirmation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from onewindow.kernel.messages import Event

__all__ = ["GoodsArrived", "GoodsExited", "movement_event_id"]


def movement_event_id(number: str, passage_id: str, direction: str) -> str:
    """One id per declaration, passage and direction: a confirmation can be written only once."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"onewindow:{number}:gate:{passage_id}:{direction}").hex


@dataclass(frozen=True, kw_only=True)
class GoodsExited(Event):
    """出卡口: the goods in ``containers`` left the controlled area through gate ``gate_id``;
    ``remaining`` are the declaration's containers still inside."""

    containers: list[str]
    gate_id: str
    passage_id: str
    plate: str
    remaining: list[str]


@dataclass(frozen=True, kw_only=True)
class GoodsArrived(Event):
    """运抵: the export goods in ``containers`` entered the controlled area through gate
    ``gate_id``; ``remaining`` are the declaration's containers not arrived yet."""

    containers: list[str]
    gate_id: str
    passage_id: str
    plate: str
    remaining: list[str]
