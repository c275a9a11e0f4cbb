"""Commands (imperative, one handler) and events (past tense, any number of handlers).

Events are frozen dataclasses with a unique ``event_id``; they travel as JSON envelopes whose
``type`` is the class name, so producers and consumers are linked by type.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import secrets
from datetime import datetime
from typing import Any, ClassVar

import orjson

__all__ = ["Command", "Envelope", "Event", "event_type", "new_event_id"]


_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count()


def _new_process() -> None:
    """A forked child must not continue its parent's sequence of ids."""
    global _PREFIX, _COUNTER
    _PREFIX, _COUNTER = secrets.token_hex(8), itertools.count()


os.register_at_fork(after_in_child=_new_process)


def new_event_id() -> str:
    """32 hex characters: 64 random bits drawn per process, then a 64-bit counter. Unique without
    a system call per event (uuid4 reads the OS's random source every time)."""
    return f"{_PREFIX}{next(_COUNTER):016x}"


class Command:
    """Marker base for commands."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to one declaration (or, for ``number=None``, to the system)."""

    registry: ClassVar[dict[str, type[Event]]] = {}

    number: str | None
    org_id: str | None
    occurred_at: datetime
    agency: str | None = None
    event_id: str = dataclasses.field(default_factory=new_event_id)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls

    def body(self) -> dict[str, Any]:
        """The event's own fields, beyond the common envelope."""
        return {name: getattr(self, name) for name in _own_fields(type(self))}


_COMMON = frozenset({"number", "org_id", "occurred_at", "agency", "event_id"})
_OWN_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _own_fields(cls: type[Event]) -> tuple[str, ...]:
    names = _OWN_FIELDS.get(cls)
    if names is None:
        names = _OWN_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _COMMON)
    return names


def event_type(event: Event) -> str:
    return type(event).__name__


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    """An event as stored in the outbox and carried by a broker."""

    seq: int
    event_id: str
    type: str
    number: str | None
    org_id: str | None
    agency: str | None
    occurred_at: str
    body: dict[str, Any]

    def to_json(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> Envelope:
        return cls(**orjson.loads(data))

    @property
    def subject(self) -> str:
        agency = self.agency or "all"
        return f"onewindow.events.{agency}.{self.type}"
