"""Customs (海关): every goods declaration and every conveyance report."""

from __future__ import annotations

from .base import Agency, AgencyConfig, AutoRule, Data

DEFAULTS = AgencyConfig(
    rules=[
        AutoRule(
            name="general-trade-needs-invoice",
            when={
                "kind_in": ["import", "export"],
                "supervision_mode_in": ["0110"],
                "missing_document": "invoice",
            },
            decision="request_documents",
            reason="General trade (0110) needs the commercial invoice attached; amend with it. / "
            "一般贸易须随附商业发票，请补充后修改申报。",
        ),
    ],
    # Selection by the shared risk engine (risk.selection); a container already opened by
    # quarantine or an accredited body within 30 days, with nothing found, is not opened again.
    options={
        "risk": {
            "target_rate": 0.02,
            "random_rate": 0.005,
            "ip_protection": True,
            "recognise": [
                {
                    "from": ["quarantine", "third_party"],
                    "kinds": ["scan", "manual", "sampling"],
                    "max_age_days": 30,
                }
            ],
        }
    },
)


class Customs(Agency):
    code = "customs"
    name = "Customs"
    name_zh = "海关"
    defaults = DEFAULTS

    def concerns(self, data: Data) -> bool:
        return True
