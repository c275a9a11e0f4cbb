"""Border inspection (边检): vessels and their crews, arriving and departing."""

from __future__ import annotations

from .base import Agency, AgencyConfig, Data
from .states import BASE_MACHINE, Category

MACHINE = BASE_MACHINE.extend(
    states={"crew_check": Category.INSPECTION},
    transitions={
        ("received", "order_crew_check"): "crew_check",
        ("under_review", "order_crew_check"): "crew_check",
        ("crew_check", "release"): "released",
        ("crew_check", "refuse"): "refused",
    },
)


class BorderInspection(Agency):
    code = "border"
    name = "Border inspection"
    name_zh = "边检"
    machine = MACHINE
    defaults = AgencyConfig(options={"risk": {"target_rate": 0.0, "random_rate": 0.0}})

    def concerns(self, data: Data) -> bool:
        return data.kind in ("vessel_arrival", "vessel_departure")
