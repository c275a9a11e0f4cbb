"""The province's ports as the dashboard names them: a customs office of declaration (关区代码,
the ``office`` of a declaration), its names, and the UN/LOCODE its facilities are registered at."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from onewindow import reference

__all__ = ["Port", "port"]


@dataclass(frozen=True)
class Port:
    office: str
    name: str
    name_zh: str
    locode: str | None  # where its inspection sites and scanners are (facilities.port)


# Anhui's offices with traffic (English names are the dashboard's; Chinese from the code table).
_ANHUI = {
    "3300": ("Hefei", "CNHFE"),
    "3301": ("Wuhu", "CNWHI"),
    "3302": ("Anqing", "CNAQG"),
    "3303": ("Ma'anshan", "CNMAA"),
    "3304": ("Huangshan", None),
    "3305": ("Bengbu", None),
    "3306": ("Tongling", "CNTOL"),
    "3308": ("Chizhou", None),
    "3311": ("Hefei Xinqiao Airport", "CNHFE"),
    "3312": ("Wuhu Comprehensive Bonded Zone", "CNWHI"),
    "3317": ("Hefei Comprehensive Bonded Zone", "CNHFE"),
}


@cache
def port(office: str) -> Port:
    """The port of a customs office code; an unknown code is named by itself."""
    offices = reference.table("customs_offices")
    name, locode = _ANHUI.get(office, (office, None))
    return Port(office, name, offices.get(office, office), locode)
