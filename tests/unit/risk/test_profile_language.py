"""The language of risk-profile conditions: what officers can write, what it means, what is refused.

Every refusal comes back with a stable code, the 1-based position of the offending character, and
a message in English and in Chinese.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from onewindow.risk.profiles import (
    Expression,
    FieldType,
    ProfileExpressionError,
    compile_expression,
    describe,
    language,
    parser,
)

FIELDS: dict[str, FieldType] = {
    "hs_code": FieldType.TEXT,
    "origin_country": FieldType.TEXT,
    "description": FieldType.TEXT,
    "unit_price_cny_per_kg": FieldType.NUMBER,
    "value_cny": FieldType.NUMBER,
    "net_weight_kg": FieldType.NUMBER,
    "perishable": FieldType.BOOLEAN,
    "licensed": FieldType.BOOLEAN,
    "document_types": FieldType.TEXT_LIST,
}
BEEF = 'startswith(hs_code, "0201", "0202") and origin_country == "BR" and unit_price_cny_per_kg < 30'


def compiled(text: str) -> Expression:
    return compile_expression(text, FIELDS)


def holds(text: str, **record: Any) -> bool:
    return compiled(text).evaluate(record)


def refusal(text: str) -> ProfileExpressionError:
    with pytest.raises(ProfileExpressionError) as caught:
        compiled(text)
    return caught.value


# --- what officers write, and what it means --------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"hs_code": "0202300000", "origin_country": "BR", "unit_price_cny_per_kg": Decimal("25.50")}, True),
        ({"hs_code": "0201100000", "origin_country": "BR", "unit_price_cny_per_kg": 29.99}, True),
        ({"hs_code": "0202300000", "origin_country": "BR", "unit_price_cny_per_kg": Decimal("30")}, False),
        ({"hs_code": "0202300000", "origin_country": "AR", "unit_price_cny_per_kg": Decimal("25.50")}, False),
        ({"hs_code": "0203110000", "origin_country": "BR", "unit_price_cny_per_kg": Decimal("25.50")}, False),
        ({"hs_code": "0202300000", "origin_country": "BR"}, False),
        ({"hs_code": "0202300000", "origin_country": "BR", "unit_price_cny_per_kg": None}, False),
    ],
)
def test_cheap_brazilian_beef_is_caught_and_nothing_else(record: dict[str, Any], expected: bool) -> None:
    assert compiled(BEEF).evaluate(record) is expected


def test_a_compiled_condition_names_the_fields_it_reads() -> None:
    expression = compiled(BEEF)

    assert expression.fields == {"hs_code", "origin_country", "unit_price_cny_per_kg"}
    assert expression.text == BEEF


def test_membership_in_a_list_literal_and_in_a_list_field() -> None:
    assert holds('origin_country in ["BR", "AR"]', origin_country="AR")
    assert not holds('origin_country in ["BR", "AR"]', origin_country="UY")
    assert holds('origin_country not in ["BR", "AR"]', origin_country="UY")
    assert not holds('origin_country not in ["BR", "AR"]', origin_country="BR")
    assert holds("value_cny in [100, 200.5]", value_cny=Decimal("200.50"))
    assert holds('"certificate" in document_types', document_types=["invoice", "certificate"])
    assert not holds('"certificate" in document_types', document_types=("invoice",))


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    either = compiled("perishable or licensed and value_cny > 10")
    negated = compiled("not perishable and licensed")

    assert either.text == "perishable or licensed and value_cny > 10"
    assert either.evaluate({"perishable": True, "licensed": False, "value_cny": 1})
    assert not either.evaluate({"perishable": False, "licensed": True, "value_cny": 1})
    assert negated.evaluate({"perishable": False, "licensed": True})
    assert not negated.evaluate({"perishable": False, "licensed": False})
    assert holds("not (perishable and licensed)", perishable=True, licensed=False)
    assert holds('not origin_country == "BR"', origin_country="AR")


def test_parentheses_override_precedence() -> None:
    grouped = compiled("(perishable or licensed) and value_cny > 10")

    assert grouped.text == "(perishable or licensed) and value_cny > 10"
    assert not grouped.evaluate({"perishable": True, "licensed": False, "value_cny": 1})
    assert grouped.evaluate({"perishable": True, "licensed": False, "value_cny": 11})


def test_comparisons_chain_as_in_python() -> None:
    assert holds("10 < value_cny <= 100", value_cny=100)
    assert not holds("10 < value_cny <= 100", value_cny=10)
    assert not holds("10 < value_cny <= 100", value_cny=101)
    assert holds("0 < net_weight_kg < value_cny < 1000", net_weight_kg=5, value_cny=50)
    assert not holds("0 < net_weight_kg < value_cny < 1000", net_weight_kg=50, value_cny=5)


def test_arithmetic_on_numbers() -> None:
    assert holds("value_cny / net_weight_kg < 30", value_cny=Decimal("250"), net_weight_kg=Decimal("10"))
    assert not holds("value_cny / net_weight_kg < 30", value_cny=Decimal("350"), net_weight_kg=Decimal("10"))
    assert holds("value_cny - net_weight_kg * 2 == 6", value_cny=10, net_weight_kg=2)
    assert holds("-value_cny < -5", value_cny=6)
    assert holds("(value_cny + 1) * 2 == 8", value_cny=3)


def test_division_by_zero_makes_the_comparison_false_instead_of_raising() -> None:
    assert not holds("value_cny / net_weight_kg < 30", value_cny=10, net_weight_kg=0)
    assert not holds("value_cny / net_weight_kg >= 30", value_cny=10, net_weight_kg=Decimal("0.000"))
    assert not holds("value_cny / 0 > 1", value_cny=10)


def test_a_missing_value_makes_the_comparison_false_and_not_still_inverts_it() -> None:
    assert not holds('origin_country == "BR"')
    assert not holds('origin_country != "BR"', origin_country=None)
    assert not holds('origin_country in ["BR"]')
    assert not holds('origin_country not in ["BR"]')
    assert not holds('startswith(hs_code, "02")', hs_code=None)
    assert not holds('contains(description, "beef")')
    assert not holds("value_cny / net_weight_kg < 30", value_cny=None, net_weight_kg=2)
    assert not holds("perishable")
    assert holds("not perishable")
    assert holds('not origin_country == "BR"')


def test_values_of_the_wrong_type_read_as_missing_and_never_raise() -> None:
    assert not holds("value_cny > 1", value_cny="not a number")
    assert not holds('origin_country == "BR"', origin_country=["BR"])
    assert not holds('"invoice" in document_types', document_types="invoice list")
    assert holds("value_cny > 1", value_cny="12.5")


def test_functions_match_prefixes_and_text_ignoring_case() -> None:
    assert holds('startswith(hs_code, "0201", "0202")', hs_code="0201100000")
    assert not holds('startswith(hs_code, "0201", "0202")', hs_code="0203100000")
    assert holds('contains(description, "BEEF")', description="Frozen beef, boneless")
    assert holds('contains(description, "牛肉")', description="冷冻牛肉")
    assert not holds('contains(description, "pork")', description="Frozen beef")


def test_lowercase_and_capitalised_booleans_are_the_same_literal() -> None:
    assert compiled("perishable == true").text == compiled("perishable == True").text == "perishable == True"
    assert holds("perishable == false", perishable=False)


def test_compiling_is_deterministic_and_normalises_spacing_quotes_and_parentheses() -> None:
    messy = "  ( origin_country  in ['BR','AR',] )and(value_cny>=.5)  and ((not perishable))"

    first, again = compiled(messy), compiled(messy)

    assert first.text == again.text
    assert first.text == 'origin_country in ["BR", "AR"] and value_cny >= 0.5 and not perishable'
    assert compiled(first.text).text == first.text


def test_text_with_quotes_and_chinese_survives_normalisation() -> None:
    expression = compiled('contains(description, "5\\" \'pipe\' 钢管")')

    assert compiled(expression.text).text == expression.text
    assert expression.evaluate({"description": "Pipe 5\" 'PIPE' 钢管, seamless"})


# --- what is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("__import__('os')", "forbidden", 1),
        ("().__class__", "forbidden", 1),
        ('open("x")', "forbidden", 1),
        ("[x for x in y]", "forbidden", 4),
        ("lambda: 1", "forbidden", 1),
        ("a.b", "forbidden", 2),
        ("a[0]", "forbidden", 2),
        ('f"{x}"', "forbidden", 1),
        ('origin_country := "BR"', "forbidden", 16),
        ('contains(description, part="x")', "forbidden", 23),
        ('startswith(*["02"])', "forbidden", 12),
        ("value_cny ** 2 > 1", "forbidden", 11),
        ('hs_code if perishable else "x"', "forbidden", 9),
        ("hs_code is None", "forbidden", 9),
        ('{"a": 1}', "forbidden", 1),
        ('(origin_country, "BR")', "forbidden", 16),
        ('startswith(hs_code, "02")(1)', "forbidden", 26),
        ("hs_code ==", "syntax", 11),
        ('(hs_code == "0201"', "syntax", 1),
        ('hs_code == "0201")', "syntax", 18),
        ('startswith(hs_code, "02"', "syntax", 11),
        ("", "syntax", 1),
        ("   ", "syntax", 1),
        ('hs_code = "0201"', "syntax", 9),
        ('hs_code == "0201', "syntax", 12),
        ("value_cny > 1e5", "syntax", 13),
        ("value_cny > 1 $", "syntax", 15),
        ("value_cny > 1 and", "syntax", 18),
        ('hs_code == "0201" "0202"', "syntax", 19),
        ("orgin_country == 'BR'", "unknown_field", 1),
        ('hs_code == 201 or origin_country == "BR"', "type_mismatch", 9),
        ('origin_country < "BR"', "type_mismatch", 16),
        ('origin_country in "BR"', "type_mismatch", 16),
        ('value_cny in ["BR"]', "type_mismatch", 11),
        ("perishable == 1", "type_mismatch", 12),
        ('value_cny + "1" > 0', "type_mismatch", 13),
        ("perishable and value_cny", "type_mismatch", 16),
        ("value_cny", "type_mismatch", 1),
        ('origin_country in ["BR", 1]', "type_mismatch", 19),
        ("startswith(hs_code, 201)", "type_mismatch", 21),
        ("startswith(hs_code)", "bad_argument", 1),
        ('contains(description, "a", "b")', "bad_argument", 1),
        ("startswith(hs_code, origin_country)", "bad_argument", 21),
    ],
)
def test_a_refused_condition_says_why_where_and_in_both_languages(
    text: str, code: str, position: int
) -> None:
    error = refusal(text)

    assert (error.code, error.position) == (code, position)
    assert error.message
    assert error.message_zh
    assert str(error).startswith(f"{code} at position {position}: ")


def test_an_unknown_field_is_named_with_the_close_matches() -> None:
    error = refusal('orgin_country == "BR"')

    assert "'orgin_country'" in error.message
    assert "origin_country" in error.message.split("Did you mean")[1]
    assert "origin_country" in error.message_zh


def test_an_unknown_field_with_no_close_match_lists_the_fields() -> None:
    error = refusal("tariff_rate > 0.1")

    assert error.code == "unknown_field"
    assert "hs_code" in error.message


def test_a_misspelt_function_is_refused_with_the_right_name_suggested() -> None:
    error = refusal('startwith(hs_code, "02")')

    assert error.code == "forbidden"
    assert "Did you mean startswith?" in error.message


def test_positions_count_characters_not_bytes() -> None:
    error = refusal('contains(description, "冷冻牛肉") and tariff > 1')

    assert error.position == len('contains(description, "冷冻牛肉") and ') + 1


def test_a_condition_longer_than_the_limit_is_refused() -> None:
    text = "value_cny > 1 or " * 200 + "perishable"

    error = refusal(text)

    assert (error.code, error.position) == ("too_long", language.MAX_TEXT + 1)
    assert error.message_zh


def test_a_long_text_literal_is_refused() -> None:
    error = refusal('description == "' + "x" * (language.MAX_TEXT_LITERAL + 1) + '"')

    assert (error.code, error.position) == ("too_long", 16)


def test_a_list_longer_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "MAX_LIST", 3)

    assert holds('origin_country in ["BR", "AR", "UY"]', origin_country="UY")
    error = refusal('origin_country in ["BR", "AR", "UY", "PY"]')
    assert (error.code, error.position) == ("too_long", 19)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 51 + "perishable" + ")" * 51,
        "not " * 51 + "perishable",
        "-" * 51 + "value_cny > 0",
        " + ".join(["value_cny"] * 51) + " > 0",
        "(" * 400 + "perishable" + ")" * 400,
    ],
    ids=["parentheses", "not", "minus", "long sum", "far too deep"],
)
def test_a_condition_nested_deeper_than_the_limit_is_refused(text: str) -> None:
    error = refusal(text)

    assert error.code == "too_deep"
    assert error.position >= 1
    assert error.message_zh


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert holds("(" * 49 + "perishable" + ")" * 49, perishable=True)
    assert holds(" and ".join(["perishable"] * 120), perishable=True)


def test_a_refusal_becomes_a_field_error_of_the_api() -> None:
    field_error = refusal("value_cny >").as_field_error("condition")

    assert field_error.path == "condition"
    assert field_error.code == "expression_syntax"
    assert field_error.message.startswith("At position 12: ")
    assert field_error.message_zh.startswith("第 12 个字符处：")


def test_a_schema_field_must_be_a_plain_name() -> None:
    with pytest.raises(ValueError, match="plain name"):
        compile_expression("perishable", {"perishable": FieldType.BOOLEAN, "not": FieldType.TEXT})


GRAMMAR = "and or not in ( ) [ ] , == != < <= > >= + - * / 0 30 2.5 true False startswith contains"
NOT_GRAMMAR = """"BR" '02' . lambda for : = ** x " \\ 牛 None \n"""
PIECES = [*FIELDS, *GRAMMAR.split(" "), *NOT_GRAMMAR.split(" ")]
ODD_RECORDS: list[dict[str, Any]] = [
    {},
    {
        "hs_code": "0201",
        "origin_country": "BR",
        "value_cny": Decimal(10),
        "net_weight_kg": 0,
        "perishable": True,
    },
    {"hs_code": 201, "origin_country": None, "value_cny": "x", "net_weight_kg": [1], "document_types": "BR"},
]


def test_no_text_makes_the_compiler_or_a_compiled_condition_raise_anything_else() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        text = " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        try:
            expression = compiled(text)
        except ProfileExpressionError as e:
            assert 1 <= e.position <= len(text) + 1
            assert e.message_zh
            continue
        assert compiled(expression.text).text == expression.text
        assert all(expression.evaluate(r) in (True, False) for r in ODD_RECORDS)


# --- help -----------------------------------------------------------------------------------------


def test_describe_lists_the_fields_operators_and_functions_in_both_languages() -> None:
    entries = describe(FIELDS)

    fields = {e["syntax"]: e["type"] for e in entries if e["kind"] == "field"}
    functions = [e["syntax"] for e in entries if e["kind"] == "function"]
    assert fields == {name: kind.value for name, kind in FIELDS.items()}
    assert any(f.startswith("startswith(") for f in functions)
    assert any(f.startswith("contains(") for f in functions)
    assert any("in" in e["syntax"] for e in entries if e["kind"] == "operator")
    assert all(e["description"] and e["description_zh"] for e in entries)
