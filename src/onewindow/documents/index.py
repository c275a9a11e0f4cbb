"""Which documents an organisation has uploaded, cached: a registered document is never removed,
so once seen it needs no second look-up (the submission path stays free of reads)."""

from __future__ import annotations

import threading
from collections.abc import Collection

import sqlalchemy as sa

from .store import known_documents

__all__ = ["DocumentIndex"]


class DocumentIndex:
    def __init__(self, engine: sa.Engine, capacity: int = 200_000) -> None:
        self._engine = engine
        self._known: set[tuple[str, str]] = set()
        self._capacity = capacity
        self._lock = threading.Lock()

    def missing(self, org_id: str, hashes: Collection[str]) -> set[str]:
        """The hashes among ``hashes`` that ``org_id`` has not uploaded."""
        unseen = {h for h in hashes if (org_id, h) not in self._known}
        if not unseen:
            return set()
        with self._engine.connect() as conn:
            found = known_documents(conn, org_id, unseen)
        with self._lock:
            if len(self._known) > self._capacity:
                self._known.clear()
            self._known.update((org_id, h) for h in found)
        return unseen - found

    def cached(self, org_id: str, hashes: Collection[str]) -> bool:
        return all((org_id, h) in self._known for h in hashes)
