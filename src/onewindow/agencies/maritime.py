"""Maritime safety administration (海事): vessels, with port state control inspections."""

from __future__ import annotations

from .base import Agency, AgencyConfig, AutoRule, Data
from .states import BASE_MACHINE, Category

MACHINE = BASE_MACHINE.extend(
    states={"psc_inspection": Category.INSPECTION},
    transitions={
        ("received", "order_psc_inspection"): "psc_inspection",
        ("under_review", "order_psc_inspection"): "psc_inspection",
        ("psc_inspection", "release"): "released",
        ("psc_inspection", "refuse"): "refused",
    },
)

DEFAULTS = AgencyConfig(
    rules=[
        AutoRule(
            name="dangerous-goods-declaration",
            when={"dangerous_goods": True, "missing_document": "certificate"},
            decision="request_documents",
            reason="Dangerous goods on board: attach the dangerous goods declaration certificate. / "
            "船载危险货物，请随附危险货物申报证明。",
        ),
    ],
    # Vessels: profiles, alerts and the shipping agent's credit, no learned score, no random boarding.
    options={"risk": {"target_rate": 0.0, "random_rate": 0.0}},
)


class Maritime(Agency):
    code = "maritime"
    name = "Maritime safety"
    name_zh = "海事"
    machine = MACHINE
    defaults = DEFAULTS

    def concerns(self, data: Data) -> bool:
        return data.kind in ("vessel_arrival", "vessel_departure")
