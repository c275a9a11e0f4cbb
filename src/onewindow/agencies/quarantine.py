"""Inspection and quarantine (检验检疫): goods on the legal-inspection catalogue (法检目录) or
from a quarantine-risk origin, and every arriving vessel (health quarantine, 卫生检疫).

Quarantine adds its own states: sampling (采样送检) and treatment (检疫处理, e.g. fumigation).
"""

from __future__ import annotations

from .base import Agency, AgencyConfig, AutoRule, Data
from .conditions import holds
from .states import BASE_MACHINE, Category

# The legal-inspection catalogue by HS prefix: live animals and animal products (01–05),
# plants and plant products (06–14), food (15–24), wood (44), plus some regulated manufactured
# goods (toys 9503, electrical appliances 8516). Configurable per deployment.
LEGAL_INSPECTION_CATALOGUE = [f"{ch:02d}" for ch in range(1, 25)] + ["44", "9503", "8516"]

MACHINE = BASE_MACHINE.extend(
    states={"sampling": Category.INSPECTION, "treatment": Category.INSPECTION},
    transitions={
        ("received", "order_sampling"): "sampling",
        ("under_review", "order_sampling"): "sampling",
        ("inspection_ordered", "order_sampling"): "sampling",
        ("sampling", "release"): "released",
        ("sampling", "refuse"): "refused",
        ("sampling", "order_treatment"): "treatment",
        ("inspection_ordered", "order_treatment"): "treatment",
        ("treatment", "release"): "released",
        ("treatment", "refuse"): "refused",
    },
)

DEFAULTS = AgencyConfig(
    rules=[
        AutoRule(
            name="sickness-on-board",
            when={"kind_in": ["vessel_arrival"], "sick_or_dead_on_board": True},
            decision="order_inspection",
            reason="Sickness or death reported on board: boarding quarantine inspection. / "
            "船上报告有病例或死亡，登轮检疫。",
        ),
        AutoRule(
            name="chilled-meat-sampling",
            when={"kind_in": ["import"], "hs_prefix": ["0201", "0202", "0203"]},
            decision="order_sampling",
            reason="Imported meat is sampled for laboratory testing. / 进口肉类采样送检。",
        ),
    ],
    options={
        "legal_inspection_catalogue": LEGAL_INSPECTION_CATALOGUE,
        "risk_origins": [],
        # Customs' manual inspection of the same goods, or an accredited laboratory's test, stands
        # in for quarantine's own; a machine scan does not (it cannot show pests or residues).
        "risk": {
            "target_rate": 0.03,
            "random_rate": 0.01,
            "recognise": [
                {"from": ["customs"], "kinds": ["manual"], "max_age_days": 14},
                {"from": ["third_party"], "kinds": ["lab_test", "sampling"], "max_age_days": 90},
            ],
        },
    },
)


class Quarantine(Agency):
    code = "quarantine"
    name = "Inspection and quarantine"
    name_zh = "检验检疫"
    machine = MACHINE
    defaults = DEFAULTS

    def concerns(self, data: Data) -> bool:
        if data.kind == "vessel_arrival":
            return True
        if data.kind == "vessel_departure":
            return False
        options = {**DEFAULTS.options, **self.config.options}
        return holds({"hs_prefix": options["legal_inspection_catalogue"]}, data) or holds(
            {"origin_in": options["risk_origins"]}, data
        )
