"""Realistic sample data sets, made from a seeded random generator (the same seed, the same data).

Used by the demo loader, the benchmarks and the tests, so all three exercise the same data set.
Codes are real: Anhui customs offices, HS 2022 subheadings, customs units, check-digit-valid
credit codes, container and IMO numbers.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from stdnum import imo, iso6346
from stdnum.cn import uscc

__all__ = [
    "COMMODITIES",
    "Commodity",
    "container_number",
    "conveyance_report",
    "goods_declaration",
    "imo_number",
    "uscc_code",
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Anhui administrative divisions: Hefei, Wuhu, Anqing, Ma'anshan, Tongling.
DIVISIONS = ["340100", "340200", "340800", "340500", "340700"]
OFFICES = ["3300", "3301", "3302", "3303", "3306", "3311"]
PORTS_OF_ENTRY = {
    "3300": "CNHFE",
    "3301": "CNWHI",
    "3302": "CNAQG",
    "3303": "CNMAA",
    "3306": "CNTOL",
    "3311": "CNHFE",
}
LOADING_PORTS = {
    "US": "USLAX",
    "DE": "DEHAM",
    "AU": "AUMEL",
    "BR": "BRSSZ",
    "JP": "JPYOK",
    "KR": "KRPUS",
    "VN": "VNSGN",
    "CL": "CLSAI",
}


class Commodity:
    def __init__(self, hs: str, name: str, unit: str, price: tuple[int, int], origins: list[str]) -> None:
        self.hs, self.name, self.unit, self.price, self.origins = hs, name, unit, price, origins


# HS codes whose first six digits are HS 2022 subheadings; units are customs unit codes.
COMMODITIES = [
    Commodity("8542319000", "处理器及控制器 processors", "007", (20, 400), ["KR", "US", "JP"]),
    Commodity("8471300000", "便携式计算机 laptops", "001", (300, 1500), ["VN", "US"]),
    Commodity("8708299000", "车身零件 car body parts", "035", (5, 60), ["DE", "JP"]),
    Commodity("3901100000", "聚乙烯 polyethylene", "035", (1, 3), ["KR", "US"]),
    Commodity("7403111000", "精炼铜阴极 copper cathodes", "035", (6, 10), ["CL"]),
    Commodity("8507600090", "锂离子蓄电池 lithium-ion batteries", "001", (40, 200), ["KR", "JP"]),
    Commodity("6204430000", "合成纤维制连衣裙 dresses", "007", (8, 60), ["VN"]),
    Commodity("9403600000", "木家具 wooden furniture", "007", (50, 500), ["VN", "DE"]),
    Commodity("3004900000", "药品 medicaments", "035", (20, 300), ["DE", "US"]),
    # On the legal-inspection catalogue (quarantine is concerned):
    Commodity("0201300090", "冷鲜去骨牛肉 chilled boneless beef", "035", (6, 12), ["AU", "BR"]),
    Commodity("0803901000", "鲜香蕉 fresh bananas", "035", (1, 2), ["VN"]),
    Commodity("1201901000", "黄大豆 soya beans", "035", (1, 1), ["BR", "US"]),
    Commodity("9503008900", "玩具 toys", "007", (2, 30), ["VN"]),
]


def uscc_code(rng: random.Random, division: str | None = None) -> str:
    body = "91" + (division or rng.choice(DIVISIONS)) + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + str(uscc.calc_check_digit(body))


def container_number(rng: random.Random) -> str:
    body = rng.choice(["CSQ", "MSC", "COS", "TGH", "OOL"]) + "U" + f"{rng.randrange(10**6):06d}"
    return body + str(iso6346.calc_check_digit(body))


def imo_number(rng: random.Random) -> str:
    body = f"{rng.randrange(9_000_000, 9_999_999) // 10:06d}"
    return body + str(imo.calc_check_digit(body))


def _money(x: Decimal) -> str:
    return str(x.quantize(Decimal("0.01")))


def _items(
    rng: random.Random, pool: list[Commodity], n: int, kind: str
) -> tuple[list[dict[str, Any]], Decimal]:
    """Item lines whose totals are quantity × unit price, and their sum."""
    lines, total = [], Decimal(0)
    for line in range(1, n + 1):
        c = rng.choice(pool)
        qty = Decimal(rng.randrange(1, 2000))
        price = Decimal(rng.randrange(c.price[0] * 100, c.price[1] * 100 + 1)) / 100
        line_total = (qty * price).quantize(Decimal("0.01"))
        total += line_total
        abroad = rng.choice(c.origins)
        lines.append(
            {
                "line": line,
                "hs_code": c.hs,
                "name": c.name,
                "declared_elements": "品牌:无|型号:通用",
                "quantity": str(qty),
                "unit": c.unit,
                "unit_price": _money(price),
                "total": _money(line_total),
                "origin_country": abroad if kind == "import" else "CN",
                "destination_country": "CN" if kind == "import" else abroad,
            }
        )
    return lines, total


def goods_declaration(
    rng: random.Random,
    *,
    consignee_uscc: str,
    declarant_uscc: str,
    consignee_name: str = "安徽江淮进出口有限公司",
    kind: str = "import",
    items: int = 10,
    today: date | None = None,
    office: str | None = None,
    commodities: list[Commodity] | None = None,
    supervision_mode: str = "0110",
    documents: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A valid goods declaration whose arithmetic adds up; ``commodities`` narrows the goods."""
    today = today or date.today()
    office = office or rng.choice(OFFICES)
    lines, total = _items(rng, commodities or COMMODITIES, items, kind)
    gross = Decimal(rng.randrange(1_000, 25_000))
    abroad = str(lines[-1]["origin_country"] if kind == "import" else lines[-1]["destination_country"])
    rng_containers = [
        {"number": container_number(rng), "size_type": "45G1", "seals": [f"SL{rng.randrange(10**7):07d}"]}
        for _ in range(rng.randrange(1, 3))
    ]
    return {
        "kind": kind,
        "declaration_office": office,
        "entry_exit_office": office,
        "supervision_mode": supervision_mode,
        "levy_nature": "101",
        "consignee": {"name": consignee_name, "uscc": consignee_uscc},
        "declarant": {"name": "芜湖港通报关有限公司", "uscc": declarant_uscc},
        "overseas_party": {"name": "Pacific Trading Co.", "country": abroad},
        "transport": {
            "mode": "2",
            "conveyance_name": "WAN HE 18",
            "voyage": f"V{rng.randrange(100, 999)}",
            "bill_of_lading": f"COSU{rng.randrange(10**9):09d}",
        },
        "country_of_trade": abroad,
        "country_of_dispatch": abroad,
        "port_of_loading": LOADING_PORTS.get(abroad, "SGSIN"),
        "port_of_entry": PORTS_OF_ENTRY.get(office, "CNWHI"),
        "conveyance_date": (today - timedelta(days=rng.randrange(0, 5))).isoformat(),
        "transaction_terms": "1" if kind == "import" else "3",
        "packages": rng.randrange(1, 500),
        "package_kind": "2",
        "gross_weight_kg": str(gross),
        "net_weight_kg": str(gross - gross // 10),
        "currency": "USD",
        "total_value": _money(total),
        "containers": rng_containers,
        "documents": documents or [],
        "items": lines,
    }


def conveyance_report(
    rng: random.Random,
    *,
    agent_uscc: str,
    today: date | None = None,
    office: str = "3301",
    sick: int = 0,
    dangerous: bool = False,
    documents: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    today = today or date.today()
    eta = datetime.combine(today, datetime.min.time()) + timedelta(hours=rng.randrange(6, 72))
    crew = [
        {
            "name": f"Crew {i}",
            "nationality": rng.choice(["CN", "PH", "MM"]),
            "travel_document": f"E{rng.randrange(10**7):07d}",
        }
        for i in range(rng.randrange(12, 22))
    ]
    return {
        "kind": "vessel_arrival",
        "declaration_office": office,
        "shipping_agent": {"name": "中国外轮代理有限公司芜湖分公司", "uscc": agent_uscc},
        "vessel": {
            "name": rng.choice(["YANG MING GLORY", "COSCO ANHUI", "HAI FENG 7"]),
            "imo": imo_number(rng),
            "flag": rng.choice(["PA", "LR", "CN"]),
            "call_sign": "3FXY7",
            "gross_tonnage": rng.randrange(3_000, 90_000),
        },
        "voyage": f"{rng.randrange(100, 999)}E",
        "port_of_call": PORTS_OF_ENTRY.get(office, "CNWHI"),
        "previous_port": rng.choice(["CNSHA", "KRPUS", "JPYOK"]),
        "next_port": "CNNKG",
        "expected_at": eta.isoformat() + "+08:00",
        "crew_count": len(crew),
        "crew": crew,
        "cargo": {"containers": rng.randrange(0, 400), "dangerous_goods_classes": ["3"] if dangerous else []},
        "health": {"sick_on_board": sick, "deaths_on_voyage": 0, "ports_visited_30_days": ["CNSHA"]},
        "documents": documents or [],
    }
