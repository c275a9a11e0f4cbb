"""What a customs system checks beyond the shape of the data: check characters, code tables,
arithmetic and dates. Every problem is reported with its field path, in two stages: first every
problem of shape (missing, unknown or malformed fields); once the shape is sound, every problem
of substance (check digits, code tables, arithmetic, dates).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from stdnum import imo as stdnum_imo
from stdnum import iso6346
from stdnum.cn import uscc as stdnum_uscc

from onewindow import reference
from onewindow.kernel.errors import FieldError, InvalidInput, MalformedRequest

from .dataset import ConveyanceReport, GoodsDeclaration, Party, declaration_adapter

__all__ = [
    "check",
    "check_declarant",
    "from_pydantic",
    "from_pydantic_errors",
    "parse",
    "parse_and_check",
    "parse_object",
    "problem",
]

CENT = Decimal("0.01")

# code -> (English, Chinese); ``{x}`` is filled from the problem's details.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("This field is required.", "此字段为必填项。"),
    "unknown_field": ("This field is not part of the data set; remove it.", "此字段不属于数据集，请删除。"),
    "wrong_type": ("Wrong type: {x}.", "类型错误：{x}。"),
    "bad_format": ("Wrong format: {x}.", "格式错误：{x}。"),
    "out_of_range": ("Value out of range: {x}.", "数值超出范围：{x}。"),
    "too_few": ("Too few entries: {x}.", "条目过少：{x}。"),
    "too_many": ("Too many entries: {x}.", "条目过多：{x}。"),
    "not_allowed": ("Value not allowed: {x}.", "不允许的取值：{x}。"),
    "bad_date": ("Not a valid date or time: {x}.", "日期或时间无效：{x}。"),
    "uscc_invalid": (
        "'{x}' is not a valid unified social credit code (18 characters, check character last).",
        "“{x}”不是有效的统一社会信用代码（18 位，末位为校验码）。",
    ),
    "container_number_invalid": (
        "'{x}' is not a valid ISO 6346 container number (owner code, serial, check digit).",
        "“{x}”不是有效的 ISO 6346 集装箱号（箱主代码、序号、校验位）。",
    ),
    "container_duplicated": ("Container '{x}' is listed twice.", "集装箱“{x}”重复填报。"),
    "imo_invalid": (
        "'{x}' is not a valid IMO ship number (7 digits with check digit).",
        "“{x}”不是有效的 IMO 船舶编号。",
    ),
    "country_unknown": (
        "'{x}' is not an ISO 3166 alpha-2 country code.",
        "“{x}”不是 ISO 3166 两位国别代码。",
    ),
    "currency_unknown": ("'{x}' is not an ISO 4217 currency code.", "“{x}”不是 ISO 4217 币制代码。"),
    "locode_invalid": (
        "'{x}' is not a UN/LOCODE (country code + 3 characters).",
        "“{x}”不是 UN/LOCODE 港口代码。",
    ),
    "hs_code_unknown": (
        "'{x}': its first six digits are not a Harmonized System 2022 subheading.",
        "“{x}”的前六位不是 2022 版协调制度子目。",
    ),
    "code_unknown": ("'{x}' is not in the {t} code table.", "“{x}”不在{t}代码表中。"),
    "item_total_mismatch": (
        "Total {x} differs from quantity × unit price = {t}.",
        "总价 {x} 与数量×单价 = {t} 不符。",
    ),
    "header_total_mismatch": (
        "Total value {x} differs from the sum of item totals = {t}.",
        "总价 {x} 与各商品项总价之和 {t} 不符。",
    ),
    "line_numbers_out_of_order": (
        "Item line numbers must run 1, 2, 3 … in order; found {x}.",
        "商品项序号须从 1 起连续编号；实际为 {x}。",
    ),
    "net_above_gross": ("Net weight {x} kg exceeds gross weight {t} kg.", "净重 {x} 千克大于毛重 {t} 千克。"),
    "date_out_of_window": ("{x} is outside the accepted window {t}.", "{x} 不在可接受的期间 {t} 内。"),
    "malformed_json": ("The body is not valid JSON: {x}.", "请求体不是有效的 JSON：{x}。"),
    "declarant_not_you": (
        "'{x}' is not your organisation's credit code ({t}); an enterprise declares only in its own name.",
        "“{x}”不是贵单位的统一社会信用代码（{t}）；企业只能以本单位名义申报。",
    ),
    "document_unknown": (
        "No document with hash {x} was uploaded by your organisation; upload it first.",
        "贵单位未上传哈希为 {x} 的单证，请先上传。",
    ),
}

TABLE_NAMES = {
    "customs_offices": "customs office (关区)",
    "supervision_modes": "supervision mode (监管方式)",
    "units": "unit (计量单位)",
    "transport_modes": "transport mode (运输方式)",
    "transaction_terms": "transaction terms (成交方式)",
    "package_kinds": "package kind (包装种类)",
    "levy_modes": "levy mode (征免方式)",
    "levy_natures": "nature of levy (征免性质)",
    "licence_types": "licence type (监管证件)",
}

PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_pattern_mismatch": "bad_format",
    "string_too_short": "bad_format",
    "string_too_long": "bad_format",
    "decimal_max_digits": "bad_format",
    "decimal_max_places": "bad_format",
    "decimal_whole_digits": "bad_format",
    "too_short": "too_few",
    "too_long": "too_many",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "literal_error": "not_allowed",
    "union_tag_invalid": "not_allowed",
    "union_tag_not_found": "required",
    "date_parsing": "bad_date",
    "date_from_datetime_parsing": "bad_date",
    "datetime_parsing": "bad_date",
    "datetime_from_date_parsing": "bad_date",
    "json_invalid": "malformed_json",
}


def problem(path: str, code: str, x: object = "", t: object = "") -> FieldError:
    en, zh = MESSAGES[code]
    return FieldError(path, code, en.format(x=x, t=t), zh.format(x=x, t=t))


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("import", "export", "vessel_arrival", "vessel_departure") and not out:
            continue  # the discriminated union's tag, not a field
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def from_pydantic(exc: ValidationError) -> list[FieldError]:
    return from_pydantic_errors(exc.errors(include_url=False))


def from_pydantic_errors(errors: Sequence[Any], drop_prefix: str | None = None) -> list[FieldError]:
    """Pydantic's errors as FieldErrors; ``drop_prefix`` removes FastAPI's leading ``body``."""
    out = []
    for err in errors:
        loc = tuple(err["loc"])
        if drop_prefix is not None and loc[:1] == (drop_prefix,):
            loc = loc[1:]
        code = PYDANTIC_CODES.get(err["type"], "wrong_type")
        if err["type"] in ("union_tag_not_found", "union_tag_invalid") and not loc:
            loc = (*loc, "kind")  # the missing discriminator is the field ``kind``
        if code == "required" or code == "unknown_field":
            out.append(problem(_path(loc), code))
        else:
            out.append(problem(_path(loc), code, x=err["msg"]))
    return out


def parse(body: bytes) -> GoodsDeclaration | ConveyanceReport:
    """Parse a JSON body into the data set, or raise InvalidInput naming every bad field."""
    try:
        return declaration_adapter.validate_json(body)
    except ValidationError as exc:
        errors = from_pydantic(exc)
        if len(errors) == 1 and errors[0].code == "malformed_json":
            raise MalformedRequest(errors[0].message, errors[0].message_zh) from None
        raise InvalidInput(errors) from None


def parse_object(obj: Any) -> GoodsDeclaration | ConveyanceReport:
    try:
        return declaration_adapter.validate_python(obj)
    except ValidationError as exc:
        raise InvalidInput(from_pydantic(exc)) from None


def parse_and_check(body: bytes, today: date) -> GoodsDeclaration | ConveyanceReport:
    data = parse(body)
    errors = check(data, today)
    if errors:
        raise InvalidInput(errors)
    return data


def check(data: GoodsDeclaration | ConveyanceReport, today: date) -> list[FieldError]:
    if isinstance(data, GoodsDeclaration):
        return list(_check_goods(data, today))
    return list(_check_conveyance(data, today))


@lru_cache(maxsize=65536)
def _uscc_ok(code: str) -> bool:
    return bool(stdnum_uscc.is_valid(code))


@lru_cache(maxsize=65536)
def _container_ok(number: str) -> bool:
    return bool(iso6346.is_valid(number))


@lru_cache(maxsize=4096)
def _imo_ok(number: str) -> bool:
    return bool(stdnum_imo.is_valid(number))


def _code(path: str, value: str | None, table: str) -> Iterator[FieldError]:
    if value is not None and value not in reference.table(table):
        yield problem(path, "code_unknown", x=value, t=TABLE_NAMES[table])


def _country(path: str, value: str) -> Iterator[FieldError]:
    if len(value) != 2 or reference.country_alpha2(value) != value:
        yield problem(path, "country_unknown", x=value)


def _currency(path: str, value: str) -> Iterator[FieldError]:
    if not reference.is_known_currency(value):
        yield problem(path, "currency_unknown", x=value)


def _locode(path: str, value: str) -> Iterator[FieldError]:
    if not value.isalnum() or not value.isupper() or reference.country_alpha2(value[:2]) != value[:2]:
        yield problem(path, "locode_invalid", x=value)


def _party(path: str, party: Party | None) -> Iterator[FieldError]:
    if party is not None and not _uscc_ok(party.uscc):
        yield problem(f"{path}.uscc", "uscc_invalid", x=party.uscc)


def _window(path: str, value: date, earliest: date, latest: date) -> Iterator[FieldError]:
    if not earliest <= value <= latest:
        yield problem(path, "date_out_of_window", x=value.isoformat(), t=f"{earliest} … {latest}")


def _check_goods(d: GoodsDeclaration, today: date) -> Iterator[FieldError]:
    yield from _code("declaration_office", d.declaration_office, "customs_offices")
    yield from _code("entry_exit_office", d.entry_exit_office, "customs_offices")
    yield from _code("supervision_mode", d.supervision_mode, "supervision_modes")
    yield from _code("levy_nature", d.levy_nature, "levy_natures")
    yield from _code("transport.mode", d.transport.mode, "transport_modes")
    yield from _code("transaction_terms", d.transaction_terms, "transaction_terms")
    yield from _code("package_kind", d.package_kind, "package_kinds")
    yield from _party("consignee", d.consignee)
    yield from _party("production_sales_unit", d.production_sales_unit)
    yield from _party("declarant", d.declarant)
    yield from _country("overseas_party.country", d.overseas_party.country)
    yield from _country("country_of_trade", d.country_of_trade)
    yield from _country("country_of_dispatch", d.country_of_dispatch)
    yield from _locode("port_of_loading", d.port_of_loading)
    yield from _locode("port_of_entry", d.port_of_entry)
    yield from _currency("currency", d.currency)
    for name, money in (("freight", d.freight), ("insurance", d.insurance)):
        if money is not None:
            yield from _currency(f"{name}.currency", money.currency)
    if d.transport.imo is not None and not _imo_ok(d.transport.imo):
        yield problem("transport.imo", "imo_invalid", x=d.transport.imo)
    # Advance declaration: up to 30 days before arrival; a late one is still accepted (and incurs
    # the late-declaration fee, which is not this check's business) for up to a year.
    yield from _window(
        "conveyance_date", d.conveyance_date, today - timedelta(days=365), today + timedelta(days=30)
    )
    if d.net_weight_kg > d.gross_weight_kg:
        yield problem("net_weight_kg", "net_above_gross", x=d.net_weight_kg, t=d.gross_weight_kg)
    seen: set[str] = set()
    for i, c in enumerate(d.containers):
        if not _container_ok(c.number):
            yield problem(f"containers[{i}].number", "container_number_invalid", x=c.number)
        elif iso6346.compact(c.number) in seen:  # "csqu3054383" and "CSQU3054383" are one box
            yield problem(f"containers[{i}].number", "container_duplicated", x=c.number)
        else:
            seen.add(iso6346.compact(c.number))
    for i, lic in enumerate(d.licences):
        yield from _code(f"licences[{i}].type", lic.type, "licence_types")
    yield from _check_items(d)


def _check_items(d: GoodsDeclaration) -> Iterator[FieldError]:
    hs = reference.hs_subheadings()
    lines = [item.line for item in d.items]
    if lines != list(range(1, len(lines) + 1)):
        yield problem("items", "line_numbers_out_of_order", x=lines)
    total = Decimal(0)
    for i, item in enumerate(d.items):
        p = f"items[{i}]"
        if item.hs_code[:6] not in hs:
            yield problem(f"{p}.hs_code", "hs_code_unknown", x=item.hs_code)
        yield from _code(f"{p}.unit", item.unit, "units")
        yield from _code(f"{p}.levy_mode", item.levy_mode, "levy_modes")
        yield from _country(f"{p}.origin_country", item.origin_country)
        yield from _country(f"{p}.destination_country", item.destination_country)
        expected = (item.quantity * item.unit_price).quantize(CENT)
        if abs(item.total - expected) > CENT:
            yield problem(f"{p}.total", "item_total_mismatch", x=item.total, t=expected)
        total += item.total
    if abs(d.total_value - total) > CENT:
        yield problem("total_value", "header_total_mismatch", x=d.total_value, t=total)


def _check_conveyance(r: ConveyanceReport, today: date) -> Iterator[FieldError]:
    yield from _code("declaration_office", r.declaration_office, "customs_offices")
    yield from _party("shipping_agent", r.shipping_agent)
    if not _imo_ok(r.vessel.imo):
        yield problem("vessel.imo", "imo_invalid", x=r.vessel.imo)
    yield from _country("vessel.flag", r.vessel.flag)
    yield from _locode("port_of_call", r.port_of_call)
    yield from _locode("previous_port", r.previous_port)
    if r.next_port is not None:
        yield from _locode("next_port", r.next_port)
    for i, port in enumerate(r.health.ports_visited_30_days):
        yield from _locode(f"health.ports_visited_30_days[{i}]", port)
    for i, member in enumerate(r.crew):
        yield from _country(f"crew[{i}].nationality", member.nationality)
    if r.crew and len(r.crew) != r.crew_count:
        yield problem(
            "crew_count", "out_of_range", x=f"crew_count {r.crew_count} but {len(r.crew)} crew listed"
        )
    yield from _window(
        "expected_at", r.expected_at.date(), today - timedelta(days=30), today + timedelta(days=30)
    )


def check_declarant(data: GoodsDeclaration | ConveyanceReport, uscc: str | None) -> list[FieldError]:
    """The declaring enterprise (申报单位, or the shipping agent) must be the one signing in."""
    if uscc is None:
        return []
    path, party = (
        ("declarant", data.declarant)
        if isinstance(data, GoodsDeclaration)
        else ("shipping_agent", data.shipping_agent)
    )
    if party.uscc == uscc:
        return []
    return [problem(f"{path}.uscc", "declarant_not_you", x=party.uscc, t=uscc)]
