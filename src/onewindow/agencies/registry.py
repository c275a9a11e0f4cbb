"""The agencies of a deployment, found through the ``onewindow.agencies`` entry point group."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any

from onewindow.kernel.errors import NotFound

from .base import Agency, AgencyConfig, Data

__all__ = ["AgencyRegistry", "discover"]


class AgencyRegistry:
    def __init__(self, agencies: list[Agency]) -> None:
        self._by_code = {a.code: a for a in agencies}

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Agency:
        try:
            return self._by_code[code]
        except KeyError:
            raise NotFound("agency", "机构", code) from None

    def route(self, data: Data) -> list[Agency]:
        """Routing: every agency the declaration concerns, in registry order."""
        return [a for a in self._by_code.values() if a.concerns(data)]


def discover(config: Mapping[str, Mapping[str, Any]] | None = None) -> AgencyRegistry:
    """Build the registry from installed plug-ins, each with its section of ``config``."""
    config = config or {}
    agencies = []
    for ep in sorted(entry_points(group="onewindow.agencies"), key=lambda e: e.name):
        cls: type[Agency] = ep.load()
        raw = config.get(cls.code)
        agencies.append(cls(AgencyConfig.from_mapping(raw, cls.defaults) if raw is not None else None))
    return AgencyRegistry(agencies)
