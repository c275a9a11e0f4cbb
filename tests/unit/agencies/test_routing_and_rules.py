"""Which agencies a declaration concerns, and what each decides on its own (MISSION.md §2, 3-4).

Agencies are plug-ins: found through entry points, configured by data, and a new one is a new
class and nothing else.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
import pytest

from onewindow.agencies.base import Agency, AgencyConfig, AutoRule, Data
from onewindow.agencies.border import BorderInspection
from onewindow.agencies.customs import Customs
from onewindow.agencies.maritime import Maritime
from onewindow.agencies.quarantine import Quarantine
from onewindow.agencies.registry import AgencyRegistry, discover
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.declarations.model import Declaration, Status, number_for
from onewindow.declarations.validation import parse_and_check
from onewindow.demo import samples

NOW = datetime.now(UTC)
TODAY = NOW.date()
INVOICE = {"type": "invoice", "sha256": "a" * 64}
CERTIFICATE = {"type": "certificate", "sha256": "b" * 64}
CIGARETTES = samples.Commodity("2402200000", "卷烟 cigarettes", "007", (1, 5), ["KR"])


def goods(
    *hs_prefixes: str, commodities: list[samples.Commodity] | None = None, **kwargs: Any
) -> GoodsDeclaration:
    """A valid goods declaration of the sample commodities whose HS codes start with ``hs_prefixes``."""
    rng = random.Random(5)
    pool = commodities or [c for c in samples.COMMODITIES if c.hs.startswith(hs_prefixes)]
    raw = samples.goods_declaration(
        rng,
        consignee_uscc=samples.uscc_code(rng),
        declarant_uscc=samples.uscc_code(rng),
        items=2,
        today=TODAY,
        office="3301",
        commodities=pool,
        **kwargs,
    )
    data = parse_and_check(orjson.dumps(raw), TODAY)
    assert isinstance(data, GoodsDeclaration)
    return data


def vessel(kind: str = "vessel_arrival", **kwargs: Any) -> ConveyanceReport:
    rng = random.Random(6)
    raw = samples.conveyance_report(rng, agent_uscc=samples.uscc_code(rng), today=TODAY, **kwargs)
    raw["kind"] = kind
    data = parse_and_check(orjson.dumps(raw), TODAY)
    assert isinstance(data, ConveyanceReport)
    return data


def routed(registry: AgencyRegistry, data: Data) -> set[str]:
    return {a.code for a in registry.route(data)}


# -- routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "data", "agencies"),
    [
        ("chilled beef", goods("0201"), {"customs", "quarantine"}),
        ("bananas", goods("0803"), {"customs", "quarantine"}),
        ("toys", goods("9503"), {"customs", "quarantine"}),
        ("processors", goods("8542"), {"customs"}),
        ("exported processors", goods("8542", kind="export"), {"customs"}),
        ("vessel arrival", vessel("vessel_arrival"), {"customs", "quarantine", "border", "maritime"}),
        ("vessel departure", vessel("vessel_departure"), {"customs", "border", "maritime"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_declaration_goes_to_every_agency_it_concerns_and_no_other(
    what: str, data: Data, agencies: set[str]
) -> None:
    assert routed(discover(), data) == agencies


def test_the_legal_inspection_catalogue_is_configurable() -> None:
    quarantine = Quarantine(AgencyConfig(options={"legal_inspection_catalogue": ["8542"]}))

    assert quarantine.concerns(goods("8542"))


def test_the_catalogue_from_the_deployment_configuration_replaces_the_default_one() -> None:
    registry = discover({"quarantine": {"options": {"legal_inspection_catalogue": ["8542"]}}})

    assert routed(registry, goods("8542")) == {"customs", "quarantine"}
    assert routed(registry, goods("0201")) == {"customs"}


def test_goods_off_a_configured_catalogue_do_not_go_to_quarantine() -> None:
    quarantine = Quarantine(AgencyConfig(options={"legal_inspection_catalogue": ["8542"]}))

    assert not quarantine.concerns(goods("0201"))


def test_goods_from_a_quarantine_risk_origin_go_to_quarantine() -> None:
    registry = discover({"quarantine": {"options": {"risk_origins": ["KR"]}}})

    assert routed(registry, goods("8542")) == {"customs", "quarantine"}  # processors from Korea


# -- plug-ins -----------------------------------------------------------------------------------


def test_the_four_built_in_agencies_are_found_through_entry_points() -> None:
    registry = discover()

    found = {a.code: type(a) for a in registry}
    assert found == {
        "customs": Customs,
        "quarantine": Quarantine,
        "border": BorderInspection,
        "maritime": Maritime,
    }
    assert all(a.name and a.name_zh for a in registry)


class TobaccoMonopoly(Agency):
    """烟草专卖局: a new agency, which is a new class and nothing else."""

    code: ClassVar[str] = "tobacco"
    name: ClassVar[str] = "Tobacco monopoly"
    name_zh: ClassVar[str] = "烟草专卖"

    def concerns(self, data: Data) -> bool:
        return isinstance(data, GoodsDeclaration) and any(i.hs_code.startswith("24") for i in data.items)


def test_a_new_agency_is_a_new_class_and_gets_its_dossiers() -> None:
    registry = AgencyRegistry([*discover(), TobaccoMonopoly()])
    data = goods(commodities=[CIGARETTES])

    decl = Declaration.submit(
        number_for("3301", NOW.year, "import", 1), "org", data, registry.route(data), "declarant", NOW
    )

    assert set(decl.dossiers) == {"customs", "quarantine", "tobacco"}  # tobacco (24) is on the catalogue
    assert routed(registry, goods("8542")) == {"customs"}
    tobacco = registry.get("tobacco")
    auto = tobacco.auto_decide(data)
    assert auto is not None
    decl.decide(tobacco, auto.decision, auto.reason, "officer-tobacco", NOW, auto.rule)
    decl.decide(registry.get("customs"), "release", "Invoice checked.", "officer-customs", NOW)
    decl.decide(registry.get("quarantine"), "release", "Inspected.", "officer-quarantine", NOW)
    assert decl.status is Status.RELEASED


# -- automatic rules ----------------------------------------------------------------------------


def test_customs_asks_for_the_invoice_of_general_trade_declared_without_one() -> None:
    data = goods("8542", supervision_mode="0110")

    auto = Customs().auto_decide(data)

    assert auto is not None
    assert (auto.decision, auto.rule) == ("request_documents", "general-trade-needs-invoice")


def test_customs_releases_general_trade_declared_with_its_invoice() -> None:
    data = goods("8542", supervision_mode="0110", documents=[INVOICE])

    auto = Customs().auto_decide(data)

    assert auto is not None
    assert (auto.decision, auto.rule) == ("release", "default")


def test_quarantine_orders_sampling_of_imported_chilled_beef() -> None:
    auto = Quarantine().auto_decide(goods("0201", documents=[INVOICE]))

    assert auto is not None
    assert (auto.decision, auto.rule) == ("order_sampling", "chilled-meat-sampling")


def test_quarantine_releases_bananas_by_default() -> None:
    auto = Quarantine().auto_decide(goods("0803", documents=[INVOICE]))

    assert auto is not None
    assert auto.decision == "release"


def test_quarantine_boards_a_vessel_reporting_sickness_on_board() -> None:
    auto = Quarantine().auto_decide(vessel(sick=2))

    assert auto is not None
    assert (auto.decision, auto.rule) == ("order_inspection", "sickness-on-board")


def test_maritime_asks_for_the_certificate_of_dangerous_goods() -> None:
    auto = Maritime().auto_decide(vessel(dangerous=True))

    assert auto is not None
    assert (auto.decision, auto.rule) == ("request_documents", "dangerous-goods-declaration")


def test_maritime_releases_dangerous_goods_declared_with_their_certificate() -> None:
    auto = Maritime().auto_decide(vessel(dangerous=True, documents=[CERTIFICATE]))

    assert auto is not None
    assert auto.decision == "release"


def test_an_automatic_decision_is_one_the_agency_machine_accepts() -> None:
    data = goods("0201")
    registry = discover()
    decl = Declaration.submit(
        number_for("3301", NOW.year, "import", 2), "org", data, registry.route(data), "declarant", NOW
    )

    for agency in registry.route(data):
        auto = agency.auto_decide(data)
        assert auto is not None
        decl.decide(agency, auto.decision, auto.reason, "auto", NOW, auto.rule)

    assert decl.dossiers["customs"].state == "documents_requested"
    assert decl.dossiers["quarantine"].state == "sampling"
    assert decl.status is Status.ACTION_REQUIRED


def test_a_rule_with_an_unknown_condition_test_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="colour"):
        AutoRule(name="red-goods", when={"colour": "red"}, decision="refuse", reason="Red.")


def test_a_configured_rule_with_an_unknown_condition_test_fails_at_start_up() -> None:
    config = {
        "customs": {
            "rules": [{"name": "x", "when": {"weather": "rain"}, "decision": "release", "reason": "r"}]
        }
    }

    with pytest.raises(ValueError, match="weather"):
        discover(config)


@pytest.mark.parametrize("decision", ["approve", "order_sampling"])
def test_a_rule_taking_a_decision_the_agency_does_not_have_is_refused_at_construction(decision: str) -> None:
    rule = AutoRule(name="odd", when={"kind_in": ["import"]}, decision=decision, reason="Odd.")

    with pytest.raises(ValueError, match=decision):
        Customs(AgencyConfig(rules=[rule]))


def test_without_a_default_decision_an_unmatched_dossier_is_left_to_an_officer() -> None:
    customs = Customs(AgencyConfig(rules=Customs.defaults.rules, default_decision=None))

    assert customs.auto_decide(goods("8542", documents=[INVOICE])) is None
    auto = customs.auto_decide(goods("8542"))  # a rule still hits
    assert auto is not None
    assert auto.decision == "request_documents"


def test_an_unknown_default_decision_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="approve"):
        Customs(AgencyConfig(default_decision="approve"))
