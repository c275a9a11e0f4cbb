"""The harmonised data set (the structure; the rules that need code tables are in ``validation``).

Goods declarations follow China's merged customs/inspection form of 2018 (报关单, MISSION.md §4);
conveyance reports follow the vessel arrival/departure report. Field names follow the WCO Data
Model's English names in snake case; the Chinese form item is named in each field's description.
Countries are ISO 3166 alpha-2, currencies ISO 4217, ports UN/LOCODE, money is decimal text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "ConveyanceReport",
    "DeclarationData",
    "DocumentType",
    "GoodsDeclaration",
    "GoodsItem",
    "declaration_adapter",
]

Code = Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[0-9A-Z#@]+$")]
Country = Annotated[str, Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")]
Currency = Annotated[str, Field(min_length=3, max_length=3, description="ISO 4217")]
Locode = Annotated[str, Field(min_length=5, max_length=5, description="UN/LOCODE, e.g. CNWHI")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
DocumentType = Literal[
    "invoice", "packing_list", "contract", "certificate", "licence", "bill_of_lading", "other"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Party(_Strict):
    """A domestic enterprise, identified by its 18-character unified social credit code."""

    name: Text
    uscc: str = Field(description="统一社会信用代码 (18 characters with a check character)")


class OverseasParty(_Strict):
    """境外收发货人."""

    name: Text
    country: Country


class Transport(_Strict):
    mode: Code = Field(description="运输方式 code, e.g. 2 waterway, 5 air")
    conveyance_name: Text | None = Field(None, description="运输工具名称")
    voyage: Annotated[str, Field(max_length=32)] | None = Field(None, description="航次号")
    bill_of_lading: Annotated[str, Field(min_length=1, max_length=64)] = Field(description="提运单号")
    imo: str | None = Field(None, description="IMO number of the vessel, when by sea")


class Container(_Strict):
    number: str = Field(description="ISO 6346 container number with check digit, e.g. CSQU3054383")
    size_type: Annotated[str, Field(pattern=r"^[0-9A-Z]{4}$")] | None = Field(
        None, description="ISO 6346 size/type"
    )
    seals: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=4
    )


class DocumentRef(_Strict):
    """An attached document (随附单证), uploaded first and referred to by its content hash."""

    type: DocumentType
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class LicenceRef(_Strict):
    type: Code = Field(description="监管证件代码, e.g. 1 import licence, 7 automatic import licence")
    number: Annotated[str, Field(min_length=1, max_length=64)]


class Money(_Strict):
    amount: Amount
    currency: Currency


class GoodsItem(_Strict):
    """One item line (商品项)."""

    line: Annotated[int, Field(ge=1, le=50)]
    hs_code: Annotated[str, Field(pattern=r"^\d{10}$")] = Field(description="商品编号: 10 digits, HS 6 first")
    name: Text = Field(description="商品名称")
    declared_elements: Annotated[str, Field(max_length=500)] = Field("", description="申报要素")
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    unit: Code = Field(description="计量单位, e.g. 035 kg")
    unit_price: Amount
    total: Amount
    origin_country: Country
    destination_country: Country
    levy_mode: Code = Field("1", description="征免方式, 1 = 照章征税")


class GoodsDeclaration(_Strict):
    """An import or export goods declaration (进/出口货物报关单)."""

    kind: Literal["import", "export"]
    declaration_office: Code = Field(description="申报地海关, e.g. 3301 Wuhu")
    entry_exit_office: Code = Field(description="进/出境关别")
    supervision_mode: Code = Field(description="监管方式, e.g. 0110 general trade")
    levy_nature: Code | None = Field(None, description="征免性质")
    consignee: Party = Field(description="境内收发货人")
    production_sales_unit: Party | None = Field(None, description="消费使用单位/生产销售单位")
    declarant: Party = Field(description="申报单位")
    overseas_party: OverseasParty
    transport: Transport
    country_of_trade: Country = Field(description="贸易国")
    country_of_dispatch: Country = Field(description="启运国 (import) or 运抵国 (export)")
    port_of_loading: Locode = Field(description="启运港 (import) or 指运港 (export)")
    port_of_entry: Locode = Field(description="入境口岸 / 离境口岸")
    conveyance_date: date = Field(description="进口日期 (arrival) or 出口日期 (departure)")
    transaction_terms: Code = Field(description="成交方式, e.g. 1 CIF, 3 FOB")
    freight: Money | None = None
    insurance: Money | None = None
    packages: Annotated[int, Field(ge=1, le=10_000_000)]
    package_kind: Code
    gross_weight_kg: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    net_weight_kg: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    currency: Currency
    total_value: Amount
    containers: list[Container] = Field(default_factory=list, max_length=200)
    licences: list[LicenceRef] = Field(default_factory=list, max_length=20)
    documents: list[DocumentRef] = Field(default_factory=list, max_length=50)
    remarks: Annotated[str, Field(max_length=500)] = ""
    items: list[GoodsItem] = Field(min_length=1, max_length=50)


class Vessel(_Strict):
    name: Text
    imo: str = Field(description="IMO number, e.g. 9074729")
    flag: Country
    call_sign: Annotated[str, Field(max_length=16)] | None = None
    gross_tonnage: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class CrewMember(_Strict):
    name: Text
    nationality: Country
    travel_document: Annotated[str, Field(min_length=3, max_length=32)]


class CargoSummary(_Strict):
    containers: Annotated[int, Field(ge=0, le=50_000)] = 0
    bulk_tonnes: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)] = Decimal(0)
    dangerous_goods_classes: list[Annotated[str, Field(pattern=r"^[1-9](\.[1-6])?$")]] = Field(
        default_factory=list, max_length=20
    )


class HealthDeclaration(_Strict):
    """航海健康申报: what quarantine asks of every arriving vessel."""

    sick_on_board: Annotated[int, Field(ge=0)] = 0
    deaths_on_voyage: Annotated[int, Field(ge=0)] = 0
    ports_visited_30_days: list[Locode] = Field(default_factory=list, max_length=30)


class ConveyanceReport(_Strict):
    """A vessel's arrival or departure report (船舶进/出境申报), lodged by the shipping agent."""

    kind: Literal["vessel_arrival", "vessel_departure"]
    declaration_office: Code
    shipping_agent: Party
    vessel: Vessel
    voyage: Annotated[str, Field(min_length=1, max_length=32)]
    port_of_call: Locode
    previous_port: Locode
    next_port: Locode | None = None
    expected_at: datetime = Field(description="ETA for an arrival, ETD for a departure")
    crew_count: Annotated[int, Field(ge=1, le=1000)]
    passenger_count: Annotated[int, Field(ge=0, le=10_000)] = 0
    crew: list[CrewMember] = Field(default_factory=list, max_length=1000)
    cargo: CargoSummary = Field(default_factory=CargoSummary)
    health: HealthDeclaration = Field(default_factory=HealthDeclaration)
    documents: list[DocumentRef] = Field(default_factory=list, max_length=50)


DeclarationData = Annotated[GoodsDeclaration | ConveyanceReport, Field(discriminator="kind")]

declaration_adapter: TypeAdapter[GoodsDeclaration | ConveyanceReport] = TypeAdapter(DeclarationData)
