"""Realistic sample data sets, made from a seeded random generator (the same seed, the same data).

Used by the demo loader, the benchmarks and the tests, so all three exercise the same data set.
Codes are real: Anhui customs offices, HS 2022 subheadings, customs units, check-digit-valid
credit codes, container and IMO numbers. Times are realistic too (``submission_times``,
``working_time``, ``delay``): more traffic by day and on weekdays, officers who decide in office
hours, waits spread like real ones (most short, a few long).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from stdnum import imo, iso6346
from stdnum.cn import uscc

__all__ = [
    "CARGO_MIX",
    "COMMODITIES",
    "FACILITIES",
    "OFFICE_TRAFFIC",
    "PORT_TIME",
    "RIVER_OFFICES",
    "ROSTERS",
    "Commodity",
    "cargo",
    "container_number",
    "conveyance_report",
    "delay",
    "goods_declaration",
    "imo_number",
    "submission_times",
    "uscc_code",
    "working_time",
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


# How common each commodity is in a province's trade (relative), by direction: a declaration
# carries one or two kinds of goods, mostly electronics, parts and materials; food is rarer.
CARGO_MIX = {
    "import": {
        "8542319000": 14, "8471300000": 8, "8708299000": 12, "3901100000": 10, "7403111000": 9,
        "8507600090": 6, "6204430000": 3, "9403600000": 4, "3004900000": 7, "0201300090": 3,
        "0803901000": 4, "1201901000": 6, "9503008900": 2,
    },
    "export": {
        "8542319000": 8, "8471300000": 14, "8708299000": 12, "8507600090": 12, "6204430000": 14,
        "9403600000": 12, "9503008900": 8, "3901100000": 4,
    },
}  # fmt: skip


def cargo(rng: random.Random, kind: str) -> list[Commodity]:
    """The goods of one declaration: one or two commodities drawn by their share of trade."""
    mix = CARGO_MIX.get(kind, CARGO_MIX["import"])
    by_hs = {c.hs: c for c in COMMODITIES}
    picked = rng.choices(list(mix), weights=list(mix.values()), k=1 + (rng.random() < 0.3))
    return [by_hs[hs] for hs in dict.fromkeys(picked)]


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


# -- the ports' shared facilities ----------------------------------------------------------------

_DAY_SHIFT = [["08:00", "12:00"], ["13:00", "20:00"]]
SITE_HOURS = {"weekly": {day: _DAY_SHIFT for day in ("mon", "tue", "wed", "thu", "fri", "sat")}}
OFFICE_HOURS = {"weekly": {day: [["08:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}}
AGENCIES = ["border", "customs", "maritime", "quarantine"]


def _port(locode: str, name: str, name_zh: str) -> dict[str, Any]:
    """A port: boardings are booked against it; open day and night (24-hour clearance)."""
    return {
        "id": f"{locode}-PORT",
        "kind": "port",
        "name": name,
        "name_zh": name_zh,
        "port": locode,
        "site": None,
        "owner": "maritime",
        "shared_with": AGENCIES,
        "capacity": 1,
        "slot_minutes": 120,
        "hours": {"always": True},
        "active": True,
    }


def _site(code: str, locode: str, name: str, name_zh: str, capacity: int) -> dict[str, Any]:
    """An inspection site shared by customs and quarantine (one opening of the container)."""
    return {
        "id": f"{code}-SITE-1",
        "kind": "inspection_site",
        "name": name,
        "name_zh": name_zh,
        "port": locode,
        "site": None,
        "owner": "customs",
        "shared_with": ["quarantine"],
        "capacity": capacity,
        "slot_minutes": 120,
        "hours": SITE_HOURS,
        "active": True,
    }


def _scanner(code: str, locode: str, name: str, name_zh: str) -> dict[str, Any]:
    return {
        "id": f"{code}-SCAN-1",
        "kind": "scanner",
        "name": name,
        "name_zh": name_zh,
        "port": locode,
        "site": f"{code}-SITE-1",
        "owner": "customs",
        "shared_with": ["quarantine"],
        "capacity": 1,
        "slot_minutes": 30,
        "hours": SITE_HOURS,
        "active": True,
    }


# The demo's register (四、共享查验设施): Anhui's river ports and Hefei, each with a shared
# inspection site; Wuhu and Hefei with an H986 container scanner. Registered before any
# declaration, so every inspection ordered in the demo's history gets its one appointment.
FACILITIES: list[dict[str, Any]] = [
    _port("CNWHI", "Port of Wuhu", "芜湖港口岸"),
    _port("CNAQG", "Port of Anqing", "安庆港口岸"),
    _port("CNMAA", "Port of Ma'anshan", "马鞍山港口岸"),
    _port("CNTOL", "Port of Tongling", "铜陵港口岸"),
    _port("CNHFE", "Port of Hefei", "合肥口岸"),
    _site("WHI", "CNWHI", "Wuhu Zhujiaqiao joint inspection site", "芜湖朱家桥联合查验场地", 2),
    _site("AQG", "CNAQG", "Anqing port inspection site", "安庆港查验场地", 1),
    _site("MAA", "CNMAA", "Ma'anshan port inspection site", "马鞍山港查验场地", 1),
    _site("TOL", "CNTOL", "Tongling port inspection site", "铜陵港查验场地", 1),
    _site("HFE", "CNHFE", "Hefei joint inspection centre", "合肥联合查验中心", 2),
    _scanner("WHI", "CNWHI", "Wuhu H986 container scanner", "芜湖H986集装箱检查设备"),
    _scanner("HFE", "CNHFE", "Hefei H986 container scanner", "合肥H986集装箱检查设备"),
]

# Officers on duty at once per facility and agency (None: whenever the facility is open).
ROSTERS: list[tuple[str, str, int, dict[str, Any] | None]] = [
    *[
        (f"{code}-SITE-1", "customs", 2 if code in ("WHI", "HFE") else 1, None)
        for code in ("WHI", "AQG", "MAA", "TOL", "HFE")
    ],
    *[(f"{code}-SITE-1", "quarantine", 1, OFFICE_HOURS) for code in ("WHI", "AQG", "MAA", "TOL", "HFE")],
]


# -- realistic times ---------------------------------------------------------------------------

PORT_TIME = timezone(timedelta(hours=8), "CST")
# Declarations per hour of the day at the port (relative): brokers work office hours, a few late.
HOURLY_TRAFFIC = (
    0.12, 0.08, 0.06, 0.06, 0.08, 0.15, 0.3, 0.6, 1.3, 1.6, 1.6, 1.4,
    0.8, 1.2, 1.5, 1.5, 1.4, 1.1, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15,
)  # fmt: skip
WEEKDAY_TRAFFIC = (1.0, 1.0, 1.0, 1.0, 0.95, 0.4, 0.25)  # Monday first
# Customs offices of declaration and their share of the goods traffic; vessels call at river ports.
OFFICE_TRAFFIC = {"3301": 0.32, "3300": 0.24, "3302": 0.14, "3303": 0.1, "3306": 0.08, "3311": 0.12}
RIVER_OFFICES = {"3301": 0.5, "3302": 0.22, "3303": 0.16, "3306": 0.12}


def submission_times(rng: random.Random, start: datetime, end: datetime, n: int) -> list[datetime]:
    """``n`` moments in ``[start, end)``, sorted: more by day than at night, more on weekdays
    than at weekends, and slowly more as the weeks pass (trade grows about 30% over the span)."""
    peak = max(HOURLY_TRAFFIC) * max(WEEKDAY_TRAFFIC) * 1.3
    span = (end - start).total_seconds()
    out: list[datetime] = []
    while len(out) < n:
        at = start + timedelta(seconds=rng.random() * span)
        local = at.astimezone(PORT_TIME)
        weight = HOURLY_TRAFFIC[local.hour] * WEEKDAY_TRAFFIC[local.weekday()]
        weight *= 1.0 + 0.3 * (at - start).total_seconds() / span
        if rng.random() * peak < weight:
            out.append(at)
    return sorted(out)


def working_time(
    at: datetime, rng: random.Random, days: int = 5, opens: float = 8.5, closes: float = 17.5
) -> datetime:
    """``at`` if it falls in office hours (the first ``days`` of the week, ``opens`` to ``closes``
    o'clock at the port), else a moment in the first hour and a half of the next working day."""
    local = at.astimezone(PORT_TIME)
    hour = local.hour + local.minute / 60
    if local.weekday() < days and opens <= hour < closes:
        return at
    day = local.date() if hour < opens and local.weekday() < days else local.date() + timedelta(days=1)
    while day.weekday() >= days:
        day += timedelta(days=1)
    morning = datetime(day.year, day.month, day.day, tzinfo=PORT_TIME) + timedelta(hours=opens)
    return max(at, morning + timedelta(minutes=rng.randrange(5, 90)))


def delay(rng: random.Random, median_hours: float, spread: float = 0.8) -> timedelta:
    """A wait whose median is ``median_hours``: log-normal, so most are short and a few long."""
    return timedelta(hours=median_hours * math.exp(rng.gauss(0.0, spread)))
