"""What a customs system checks before it numbers a declaration (MISSION.md §2, step 2).

Every bad input starts from a valid sample, breaks one thing, and must come back refused with the
stable code at the exact path of the field, in English and in Chinese.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.declarations.validation import parse, parse_and_check
from onewindow.demo import samples
from onewindow.kernel.errors import FieldError, InvalidInput, MalformedRequest

NOW = datetime.now(UTC)
TODAY = NOW.date()

Raw = dict[str, Any]


def goods(seed: int = 3, **kwargs: Any) -> Raw:
    rng = random.Random(seed)
    kwargs.setdefault("items", 3)
    return samples.goods_declaration(
        rng,
        consignee_uscc=samples.uscc_code(rng),
        declarant_uscc=samples.uscc_code(rng),
        today=TODAY,
        office="3301",
        **kwargs,
    )


def vessel(seed: int = 4, **kwargs: Any) -> Raw:
    rng = random.Random(seed)
    return samples.conveyance_report(rng, agent_uscc=samples.uscc_code(rng), today=TODAY, **kwargs)


def submit(raw: Raw) -> GoodsDeclaration | ConveyanceReport:
    return parse_and_check(orjson.dumps(raw), TODAY)


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refusal(raw: Raw) -> list[FieldError]:
    """The fields a submission of ``raw`` is refused for; each must be explained in both languages."""
    with pytest.raises(InvalidInput) as exc:
        submit(raw)
    fields = exc.value.fields
    assert fields, "a refusal names at least one field"
    for f in fields:
        assert f.message.strip() and f.message_zh.strip(), f
        assert has_cjk(f.message_zh), f
    return fields


def problems(raw: Raw) -> set[tuple[str, str]]:
    return {(f.path, f.code) for f in refusal(raw)}


def other_digit(digit: str) -> str:
    return str((int(digit) + 1) % 10)


# -- what passes --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", ["import", "export"])
def test_a_sample_goods_declaration_passes(kind: str, seed: int) -> None:
    data = submit(goods(seed, kind=kind, items=10))

    assert isinstance(data, GoodsDeclaration)
    assert data.kind == kind


@pytest.mark.parametrize("kind", ["vessel_arrival", "vessel_departure"])
def test_a_sample_conveyance_report_passes(kind: str) -> None:
    raw = vessel()
    raw["kind"] = kind

    data = submit(raw)

    assert isinstance(data, ConveyanceReport)
    assert data.kind == kind


def test_an_advance_declaration_thirty_days_before_arrival_passes() -> None:
    raw = goods()
    raw["conveyance_date"] = (TODAY + timedelta(days=30)).isoformat()

    submit(raw)


# -- check characters and check digits ----------------------------------------------------------


def test_a_credit_code_with_a_wrong_check_character_is_refused() -> None:
    raw = goods()
    uscc = raw["consignee"]["uscc"]
    raw["consignee"]["uscc"] = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")

    assert problems(raw) == {("consignee.uscc", "uscc_invalid")}


def test_a_container_number_with_a_wrong_check_digit_is_refused() -> None:
    raw = goods()
    number = raw["containers"][0]["number"]
    raw["containers"][0]["number"] = number[:-1] + other_digit(number[-1])

    assert problems(raw) == {("containers[0].number", "container_number_invalid")}


def test_a_container_listed_twice_is_refused() -> None:
    raw = goods()
    raw["containers"] = [raw["containers"][0], copy.deepcopy(raw["containers"][0])]

    assert problems(raw) == {("containers[1].number", "container_duplicated")}


def test_a_container_listed_twice_in_different_case_is_refused() -> None:
    raw = goods()
    twin = copy.deepcopy(raw["containers"][0])
    twin["number"] = twin["number"].lower()
    raw["containers"] = [raw["containers"][0], twin]

    assert problems(raw) == {("containers[1].number", "container_duplicated")}


def test_a_vessel_with_a_wrong_imo_check_digit_is_refused() -> None:
    raw = vessel()
    imo = raw["vessel"]["imo"]
    raw["vessel"]["imo"] = imo[:-1] + other_digit(imo[-1])

    assert problems(raw) == {("vessel.imo", "imo_invalid")}


def test_goods_carried_by_a_vessel_with_a_wrong_imo_are_refused() -> None:
    raw = goods()
    raw["transport"]["imo"] = "9074728"  # 9074729 is valid

    assert problems(raw) == {("transport.imo", "imo_invalid")}


# -- code tables --------------------------------------------------------------------------------


def test_an_unknown_country_is_refused() -> None:
    raw = goods()
    raw["country_of_trade"] = "XX"

    assert problems(raw) == {("country_of_trade", "country_unknown")}


def test_an_alpha_3_country_where_alpha_2_is_expected_is_refused_at_its_field() -> None:
    raw = goods()
    raw["items"][0]["origin_country"] = "USA"

    # The data set's shape (two characters) refuses it before the code table is consulted.
    assert problems(raw) == {("items[0].origin_country", "bad_format")}


def test_an_unknown_currency_is_refused() -> None:
    raw = goods()
    raw["currency"] = "XYZ"

    assert problems(raw) == {("currency", "currency_unknown")}


@pytest.mark.parametrize("hs_code", ["9999999999", "0000000000"])
def test_a_commodity_code_that_is_not_an_hs_2022_subheading_is_refused(hs_code: str) -> None:
    raw = goods()
    raw["items"][1]["hs_code"] = hs_code

    assert problems(raw) == {("items[1].hs_code", "hs_code_unknown")}


def test_an_unknown_unit_is_refused() -> None:
    raw = goods()
    raw["items"][0]["unit"] = "999"

    assert problems(raw) == {("items[0].unit", "code_unknown")}


def test_an_unknown_customs_office_is_refused() -> None:
    raw = goods()
    raw["declaration_office"] = "9999"

    assert problems(raw) == {("declaration_office", "code_unknown")}


# -- arithmetic ---------------------------------------------------------------------------------


def test_an_item_total_that_is_not_quantity_times_unit_price_is_refused() -> None:
    raw = goods()
    raw["items"][1]["total"] = str(Decimal(raw["items"][1]["total"]) + 1)
    raw["total_value"] = str(Decimal(raw["total_value"]) + 1)  # the header still adds up

    assert problems(raw) == {("items[1].total", "item_total_mismatch")}


def test_a_total_value_that_is_not_the_sum_of_the_items_is_refused() -> None:
    raw = goods()
    raw["total_value"] = str(Decimal(raw["total_value"]) + 1)

    assert problems(raw) == {("total_value", "header_total_mismatch")}


def test_item_lines_out_of_order_are_refused() -> None:
    raw = goods()
    raw["items"][0]["line"], raw["items"][1]["line"] = 2, 1

    assert problems(raw) == {("items", "line_numbers_out_of_order")}


def test_a_net_weight_above_the_gross_weight_is_refused() -> None:
    raw = goods()
    raw["net_weight_kg"] = str(Decimal(raw["gross_weight_kg"]) + 1)

    assert problems(raw) == {("net_weight_kg", "net_above_gross")}


# -- dates --------------------------------------------------------------------------------------


def test_goods_arriving_more_than_thirty_days_from_now_are_refused() -> None:
    raw = goods()
    raw["conveyance_date"] = (TODAY + timedelta(days=31)).isoformat()

    assert problems(raw) == {("conveyance_date", "date_out_of_window")}


def test_a_vessel_expected_two_months_from_now_is_refused() -> None:
    raw = vessel()
    raw["expected_at"] = (NOW + timedelta(days=60)).isoformat()

    assert problems(raw) == {("expected_at", "date_out_of_window")}


# -- shape --------------------------------------------------------------------------------------


def test_fields_outside_the_data_set_are_refused_where_they_are() -> None:
    raw = goods()
    raw["colour"] = "red"
    raw["items"][0]["colour"] = "blue"

    assert problems(raw) == {("colour", "unknown_field"), ("items[0].colour", "unknown_field")}


def test_missing_required_fields_are_refused_where_they_are() -> None:
    raw = goods()
    del raw["consignee"]["uscc"]
    del raw["items"][1]["hs_code"]

    assert problems(raw) == {("consignee.uscc", "required"), ("items[1].hs_code", "required")}


def test_a_declaration_without_items_is_refused() -> None:
    raw = goods()
    raw["items"] = []

    assert problems(raw) == {("items", "too_few")}


def test_a_declaration_with_fifty_one_items_is_refused() -> None:
    raw = goods(items=51)

    assert ("items", "too_many") in problems(raw)


def test_fifty_items_are_accepted() -> None:
    submit(goods(items=50))


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"kind": "import",'])
def test_a_body_that_is_not_json_is_a_malformed_request(body: bytes) -> None:
    with pytest.raises(MalformedRequest) as exc:
        parse(body)

    assert exc.value.code == "malformed_request"
    assert exc.value.status == 400
    assert has_cjk(exc.value.message_zh)


def test_a_declaration_without_a_kind_is_told_kind_is_required() -> None:
    raw = goods()
    del raw["kind"]

    assert problems(raw) == {("kind", "required")}


# -- reporting ----------------------------------------------------------------------------------


def test_every_problem_is_reported_together_not_only_the_first() -> None:
    raw = goods()
    uscc = raw["declarant"]["uscc"]
    raw["declarant"]["uscc"] = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    raw["containers"][0]["number"] = raw["containers"][0]["number"][:-1] + other_digit(
        raw["containers"][0]["number"][-1]
    )
    raw["currency"] = "XYZ"
    raw["items"][2]["unit"] = "999"
    raw["total_value"] = str(Decimal(raw["total_value"]) + 1)

    assert problems(raw) == {
        ("declarant.uscc", "uscc_invalid"),
        ("containers[0].number", "container_number_invalid"),
        ("currency", "currency_unknown"),
        ("items[2].unit", "code_unknown"),
        ("total_value", "header_total_mismatch"),
    }


def test_every_shape_problem_is_reported_together_too() -> None:
    raw = goods()
    raw["colour"] = "red"
    del raw["consignee"]["name"]
    raw["items"][0]["hs_code"] = "02013"

    assert problems(raw) == {
        ("colour", "unknown_field"),
        ("consignee.name", "required"),
        ("items[0].hs_code", "bad_format"),
    }


def test_every_refusal_is_explained_in_english_and_in_chinese() -> None:
    raw = goods()
    raw["consignee"]["uscc"] = "91340200MA2XXXXXX0"
    raw["country_of_trade"] = "XX"
    raw["items"][0]["hs_code"] = "9999999999"
    raw["items"][1]["line"] = 7
    raw["net_weight_kg"] = str(Decimal(raw["gross_weight_kg"]) + 1)
    raw["conveyance_date"] = (TODAY + timedelta(days=90)).isoformat()
    raw["transport"]["imo"] = "9074728"

    fields = refusal(raw)

    assert {f.code for f in fields} == {
        "uscc_invalid",
        "country_unknown",
        "hs_code_unknown",
        "line_numbers_out_of_order",
        "net_above_gross",
        "date_out_of_window",
        "imo_invalid",
    }
    for f in fields:
        assert f.message.strip() and not has_cjk(f.message), f
        assert has_cjk(f.message_zh), f
