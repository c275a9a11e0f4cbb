"""One declaration, a dossier per concerned agency, one release (MISSION.md §2).

Each test submits a declaration, lets officers decide on their dossiers, and looks at the derived
status and at the events the declaration recorded.
"""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

import orjson
import pytest

from onewindow.agencies.base import Agency
from onewindow.agencies.registry import discover
from onewindow.agencies.states import Category
from onewindow.declarations import events as ev
from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.declarations.model import Declaration, Status, number_for
from onewindow.declarations.validation import parse_and_check
from onewindow.demo import samples
from onewindow.kernel.errors import Conflict, InvalidInput, NotFound
from onewindow.kernel.messages import Event

NOW = datetime.now(UTC)
TODAY = NOW.date()
OFFICE = "3301"  # Wuhu customs
ORG = "org-jianghuai"
DECLARANT = "user-gangtong"
INVOICE = {"type": "invoice", "sha256": "1" * 64}

AGENCIES = discover()
CUSTOMS = AGENCIES.get("customs")
QUARANTINE = AGENCIES.get("quarantine")
BORDER = AGENCIES.get("border")
MARITIME = AGENCIES.get("maritime")

_serials = itertools.count(1)
E = TypeVar("E", bound=Event)


def _commodities(*hs_prefixes: str) -> list[samples.Commodity]:
    return [c for c in samples.COMMODITIES if c.hs.startswith(hs_prefixes)]


def goods(
    *hs_prefixes: str, documents: list[dict[str, str]] | None = None, seed: int = 1
) -> GoodsDeclaration:
    """A valid import of the commodities whose HS codes start with ``hs_prefixes``."""
    rng = random.Random(seed)
    raw = samples.goods_declaration(
        rng,
        consignee_uscc=samples.uscc_code(rng),
        declarant_uscc=samples.uscc_code(rng),
        items=3,
        today=TODAY,
        office=OFFICE,
        commodities=_commodities(*hs_prefixes),
        documents=documents,
    )
    data = parse_and_check(orjson.dumps(raw), TODAY)
    assert isinstance(data, GoodsDeclaration)
    return data


def vessel_arrival() -> ConveyanceReport:
    rng = random.Random(2)
    raw = samples.conveyance_report(rng, agent_uscc=samples.uscc_code(rng), today=TODAY, office=OFFICE)
    data = parse_and_check(orjson.dumps(raw), TODAY)
    assert isinstance(data, ConveyanceReport)
    return data


def declare(data: GoodsDeclaration | ConveyanceReport) -> Declaration:
    """Submit ``data`` to every agency it concerns, as the single window's routing would."""
    number = number_for(OFFICE, NOW.year, data.kind, next(_serials))
    return Declaration.submit(number, ORG, data, AGENCIES.route(data), DECLARANT, NOW)


def beef_import() -> Declaration:
    """Chilled beef: on the legal-inspection catalogue, so customs and quarantine both decide."""
    return declare(goods("0201"))


def recorded(decl: Declaration, event_class: type[E]) -> list[E]:
    return [e for e in decl.events if isinstance(e, event_class)]


def decide(decl: Declaration, agency: Agency, decision: str, reason: str = "Checked by the officer.") -> None:
    decl.decide(agency, decision, reason, f"officer-{agency.code}", NOW)


def release_all(decl: Declaration, agencies: Sequence[Agency]) -> None:
    for agency in agencies:
        decide(decl, agency, "release")


def closed(exc: pytest.ExceptionInfo[Conflict]) -> bool:
    return exc.value.code == "declaration_closed"


# -- numbering ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "flag"), [("import", "1"), ("export", "0"), ("vessel_arrival", "2"), ("vessel_departure", "3")]
)
def test_a_declaration_number_is_office_year_kind_flag_and_a_nine_digit_serial(kind: str, flag: str) -> None:
    number = number_for("3301", 2025, kind, 42)

    assert len(number) == 18
    assert number == "3301" + "2025" + flag + "000000042"


def test_a_submitted_declaration_opens_one_dossier_per_concerned_agency() -> None:
    decl = beef_import()

    assert decl.status is Status.SUBMITTED
    assert decl.version == 1
    assert set(decl.dossiers) == {"customs", "quarantine"}
    assert all(d.state == "received" and d.category is Category.OPEN for d in decl.dossiers.values())
    [submitted] = recorded(decl, ev.DeclarationSubmitted)
    assert set(submitted.agencies) == {"customs", "quarantine"}
    assert {e.agency for e in recorded(decl, ev.DossierOpened)} == {"customs", "quarantine"}


# -- one release --------------------------------------------------------------------------------


def test_the_declaration_is_not_released_while_one_agency_has_not_released() -> None:
    decl = beef_import()

    decide(decl, CUSTOMS, "release")

    assert decl.dossiers["customs"].category is Category.RELEASED
    assert decl.status is Status.UNDER_REVIEW
    assert recorded(decl, ev.DeclarationReleased) == []


def test_the_declaration_is_released_once_every_agency_has_released_and_announced_exactly_once() -> None:
    decl = beef_import()

    decide(decl, CUSTOMS, "release")
    decide(decl, QUARANTINE, "release")

    assert decl.status is Status.RELEASED
    [release] = recorded(decl, ev.DeclarationReleased)
    assert release.event_id == ev.final_event_id(decl.number, "released")
    assert set(release.agencies) == {"customs", "quarantine"}


def test_a_vessel_is_released_once_when_all_four_agencies_have_released() -> None:
    decl = declare(vessel_arrival())
    assert set(decl.dossiers) == {"customs", "quarantine", "border", "maritime"}

    release_all(decl, [CUSTOMS, QUARANTINE, BORDER])
    assert decl.status is Status.UNDER_REVIEW
    decide(decl, MARITIME, "release")

    assert decl.status is Status.RELEASED
    assert len(recorded(decl, ev.DeclarationReleased)) == 1


def test_a_released_declaration_takes_no_further_decision() -> None:
    decl = beef_import()
    release_all(decl, [CUSTOMS, QUARANTINE])

    with pytest.raises(Conflict) as exc:
        decide(decl, CUSTOMS, "refuse", "Second thoughts.")

    assert closed(exc)
    assert decl.status is Status.RELEASED
    assert len(recorded(decl, ev.DeclarationReleased)) == 1


# -- refusal ------------------------------------------------------------------------------------


def test_one_agency_refusing_refuses_the_declaration() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "release")

    decide(decl, QUARANTINE, "refuse", "Residues above the limit.")

    assert decl.status is Status.REFUSED
    [refusal] = recorded(decl, ev.DeclarationRefused)
    assert refusal.agency == "quarantine"
    assert refusal.reason == "Residues above the limit."
    assert refusal.event_id == ev.final_event_id(decl.number, "refused")
    assert recorded(decl, ev.DeclarationReleased) == []


def test_a_refused_declaration_is_closed_to_every_other_agency_and_to_the_declarant() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "refuse", "Undeclared goods found.")

    with pytest.raises(Conflict) as decision:
        decide(decl, QUARANTINE, "release")
    with pytest.raises(Conflict) as amendment:
        decl.amend(goods("0201", documents=[INVOICE]), [CUSTOMS, QUARANTINE], "Corrected.", DECLARANT, NOW)
    with pytest.raises(Conflict) as withdrawal:
        decl.withdraw("Never mind.", DECLARANT, NOW)

    assert closed(decision) and closed(amendment) and closed(withdrawal)
    assert decl.dossiers["quarantine"].state == "received"


# -- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decision_without_a_reason_is_refused_and_changes_nothing(reason: str) -> None:
    decl = beef_import()
    before = len(decl.events)

    with pytest.raises(InvalidInput) as exc:
        decide(decl, CUSTOMS, "release", reason)

    assert [(f.path, f.code) for f in exc.value.fields] == [("reason", "required")]
    assert decl.dossiers["customs"].state == "received"
    assert len(decl.events) == before


def test_a_decision_the_dossier_state_does_not_allow_is_a_conflict() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "release")

    with pytest.raises(Conflict) as exc:
        decide(decl, CUSTOMS, "request_documents")

    assert exc.value.code == "decision_not_allowed"
    assert exc.value.details == {"state": "released", "allowed": []}
    assert decl.dossiers["customs"].state == "released"


def test_customs_cannot_take_a_decision_only_quarantine_knows() -> None:
    decl = beef_import()

    with pytest.raises(Conflict) as exc:
        decide(decl, CUSTOMS, "order_sampling")

    assert exc.value.code == "decision_not_allowed"
    assert "release" in exc.value.details["allowed"]
    assert "order_sampling" not in exc.value.details["allowed"]


def test_an_agency_without_a_dossier_is_told_there_is_none() -> None:
    decl = beef_import()  # goods: no border inspection dossier

    with pytest.raises(NotFound):
        decide(decl, BORDER, "release")


# -- derived status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agency", "decision", "status"),
    [
        (CUSTOMS, "release", Status.UNDER_REVIEW),
        (CUSTOMS, "request_documents", Status.ACTION_REQUIRED),
        (CUSTOMS, "request_correction", Status.ACTION_REQUIRED),
        (CUSTOMS, "order_inspection", Status.INSPECTION),
        (QUARANTINE, "order_sampling", Status.INSPECTION),
        (BORDER, "order_crew_check", Status.INSPECTION),
        (MARITIME, "order_psc_inspection", Status.INSPECTION),
    ],
    ids=lambda v: getattr(v, "code", str(v)),
)
def test_the_declaration_status_follows_from_the_category_of_its_dossiers(
    agency: Agency, decision: str, status: Status
) -> None:
    decl = declare(vessel_arrival())

    decide(decl, agency, decision)

    assert decl.status is status
    [change] = recorded(decl, ev.DeclarationStatusChanged)
    assert (change.previous, change.status) == ("submitted", status.value)


def test_a_request_to_the_declarant_outranks_an_inspection() -> None:
    decl = beef_import()

    decide(decl, QUARANTINE, "order_sampling")
    decide(decl, CUSTOMS, "request_documents")

    assert decl.status is Status.ACTION_REQUIRED


def test_quarantine_samples_then_releases_in_its_own_states() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "release")

    decide(decl, QUARANTINE, "order_sampling", "Imported meat is sampled.")
    assert decl.dossiers["quarantine"].state == "sampling"
    assert decl.dossiers["quarantine"].category is Category.INSPECTION
    assert decl.status is Status.INSPECTION

    decide(decl, QUARANTINE, "release", "Laboratory results within limits.")
    assert decl.dossiers["quarantine"].state == "released"
    assert decl.status is Status.RELEASED
    states = [(e.decision, e.state) for e in recorded(decl, ev.DossierDecided) if e.agency == "quarantine"]
    assert states == [("order_sampling", "sampling"), ("release", "released")]


def test_quarantine_can_order_treatment_after_sampling() -> None:
    decl = beef_import()
    decide(decl, QUARANTINE, "order_sampling")

    decide(decl, QUARANTINE, "order_treatment", "Pests found: fumigate.")

    assert decl.dossiers["quarantine"].state == "treatment"
    assert decl.status is Status.INSPECTION


# -- amendment ----------------------------------------------------------------------------------


def test_amending_answers_a_document_request_and_sends_the_dossier_back_to_review() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "request_documents", "Attach the invoice.")
    assert decl.status is Status.ACTION_REQUIRED

    amended = goods("0201", documents=[INVOICE])
    decl.amend(amended, AGENCIES.route(amended), "Invoice attached.", DECLARANT, NOW)

    assert decl.version == 2
    assert decl.data == amended
    assert decl.dossiers["customs"].state == "under_review"
    assert decl.dossiers["customs"].category is Category.OPEN
    assert decl.status is Status.UNDER_REVIEW
    [resubmitted] = recorded(decl, ev.DossierResubmitted)
    assert (resubmitted.agency, resubmitted.state) == ("customs", "under_review")
    [amendment] = recorded(decl, ev.DeclarationAmended)
    assert (amendment.version, amendment.new_agencies) == (2, [])


def test_amending_opens_a_dossier_for_a_newly_concerned_agency() -> None:
    decl = declare(goods("8542"))  # processors: customs only
    assert set(decl.dossiers) == {"customs"}

    amended = goods("8542", "0201")  # now with chilled beef too
    decl.amend(amended, AGENCIES.route(amended), "Added a line of beef.", DECLARANT, NOW)

    assert set(decl.dossiers) == {"customs", "quarantine"}
    assert decl.dossiers["quarantine"].state == "received"
    [amendment] = recorded(decl, ev.DeclarationAmended)
    assert amendment.new_agencies == ["quarantine"]
    assert [e.agency for e in recorded(decl, ev.DossierOpened)] == ["customs", "quarantine"]


def test_a_released_declaration_cannot_be_amended() -> None:
    decl = beef_import()
    release_all(decl, [CUSTOMS, QUARANTINE])

    with pytest.raises(Conflict) as exc:
        decl.amend(goods("0201", documents=[INVOICE]), [CUSTOMS, QUARANTINE], "Late fix.", DECLARANT, NOW)

    assert closed(exc)
    assert decl.version == 1


def test_a_declaration_cannot_be_amended_while_its_withdrawal_is_pending() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "request_documents")
    decl.withdraw("Order cancelled.", DECLARANT, NOW)

    with pytest.raises(Conflict) as exc:
        decl.amend(goods("0201", documents=[INVOICE]), [CUSTOMS, QUARANTINE], "Invoice.", DECLARANT, NOW)

    assert exc.value.code == "withdrawal_pending"


# -- withdrawal ---------------------------------------------------------------------------------


def test_withdrawing_before_any_agency_acted_is_immediate() -> None:
    decl = beef_import()

    decl.withdraw("Order cancelled.", DECLARANT, NOW)

    assert decl.status is Status.WITHDRAWN
    assert {d.state for d in decl.dossiers.values()} == {"withdrawn"}
    [withdrawn] = recorded(decl, ev.DeclarationWithdrawn)
    assert withdrawn.event_id == ev.final_event_id(decl.number, "withdrawn")
    assert recorded(decl, ev.WithdrawalRequested) == []


def test_withdrawing_after_an_agency_acted_asks_that_agency() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "request_documents")

    decl.withdraw("Order cancelled.", DECLARANT, NOW)

    assert decl.status is Status.WITHDRAWAL_REQUESTED
    [request] = recorded(decl, ev.WithdrawalRequested)
    assert request.pending_agencies == ["customs"]
    with pytest.raises(Conflict) as exc:  # quarantine has not acted: not its decision
        decl.decide_withdrawal(QUARANTINE, True, "Fine.", "officer-quarantine", NOW)
    assert exc.value.code == "no_withdrawal_pending"


def test_a_withdrawal_is_granted_when_every_agency_that_acted_approves() -> None:
    decl = declare(vessel_arrival())
    decide(decl, CUSTOMS, "request_documents")
    decide(decl, MARITIME, "order_psc_inspection")
    decl.withdraw("Call cancelled.", DECLARANT, NOW)

    decl.decide_withdrawal(CUSTOMS, True, "No objection.", "officer-customs", NOW)
    assert decl.status is Status.WITHDRAWAL_REQUESTED
    decl.decide_withdrawal(MARITIME, True, "No objection.", "officer-maritime", NOW)

    assert decl.status is Status.WITHDRAWN
    assert {d.state for d in decl.dossiers.values()} == {"withdrawn"}
    assert len(recorded(decl, ev.DeclarationWithdrawn)) == 1


def test_one_agency_rejecting_the_withdrawal_returns_the_declaration_to_where_it_was() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "request_documents")
    decl.withdraw("Order cancelled.", DECLARANT, NOW)

    decl.decide_withdrawal(CUSTOMS, False, "Goods already on the quay.", "officer-customs", NOW)

    assert decl.status is Status.ACTION_REQUIRED
    assert decl.dossiers["customs"].state == "documents_requested"
    [rejection] = recorded(decl, ev.WithdrawalRejected)
    assert (rejection.agency, rejection.reason) == ("customs", "Goods already on the quay.")
    assert recorded(decl, ev.DeclarationWithdrawn) == []
    decl.withdraw("Asking again.", DECLARANT, NOW)  # a new request may be made
    assert decl.status is Status.WITHDRAWAL_REQUESTED


def test_a_second_withdrawal_while_one_is_pending_is_a_conflict() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "request_documents")
    decl.withdraw("Order cancelled.", DECLARANT, NOW)

    with pytest.raises(Conflict) as exc:
        decl.withdraw("Really.", DECLARANT, NOW)

    assert exc.value.code == "withdrawal_pending"


def test_a_declaration_released_while_a_withdrawal_was_pending_stays_released() -> None:
    decl = beef_import()
    decide(decl, CUSTOMS, "release")
    decl.withdraw("Order cancelled.", DECLARANT, NOW)  # customs released: asked to approve
    decide(decl, QUARANTINE, "release")
    assert decl.status is Status.RELEASED

    with contextlib.suppress(Conflict):
        decl.decide_withdrawal(CUSTOMS, True, "No objection.", "officer-customs", NOW)

    assert decl.status is Status.RELEASED
    assert recorded(decl, ev.DeclarationWithdrawn) == []
