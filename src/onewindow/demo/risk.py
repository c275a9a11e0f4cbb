"""The demo's risk and credit picture, made by the real operations: enterprises across the credit
grades (an advanced certified importer, a certified one, a dishonest one whose taxes are long
overdue, a seriously dishonest one graded by a smuggling case), officers'
profiles shared between customs and quarantine, an alert, a recorded trade mark, and a learned
model trained on a labelled history of earlier, inspected declarations.

The history is synthetic and says so: goods whose declared price per kilogram is far below the
usual, from some routes and consignees, were found wrong more often; the model learns that.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from onewindow.bootstrap import OneWindow
from onewindow.credit.handlers import RecordViolation, RegisterEnterprise, SetGrade
from onewindow.credit.policy import ViolationType
from onewindow.declarations.dataset import GoodsDeclaration
from onewindow.risk.handlers import PostAlert, RecordIpRight, SaveProfile, StoreModel
from onewindow.risk.selection import Channel

from . import samples

__all__ = ["CONSIGNEES", "load_risk_picture"]

# Consignees of the demo's goods besides the demo organisations, with the grade each ends up in
# and their share of the broker's declarations (the importer's own are all the importer's).
CONSIGNEES = [
    ("皖江电子科技有限公司 Wanjiang Electronics", "91340200", "certified", 0.25),
    ("合肥恒通贸易有限公司 Hengtong Trading", "91340100", "seriously_dishonest", 0.07),
    ("安庆长风食品进出口有限公司 Changfeng Foods", "91340800", "routine", 0.3),
    ("蚌埠新发贸易有限公司 Xinfa Trading", "91340300", "dishonest", 0.08),
]
CUSTOMS = "user:customs-officer"
QUARANTINE = "user:ciq-officer"


async def load_risk_picture(ow: OneWindow, rng: random.Random, usccs: dict[str, str]) -> dict[str, str]:
    """Register the enterprises and write the officers' risk rules; returns the extra consignees'
    credit codes by name (the demo declares goods for them too)."""
    run = ow.committer.run
    names = {
        "jianghuai-trade": "安徽江淮进出口有限公司",
        "gangtong-broker": "芜湖港通报关有限公司",
        "penavico-wuhu": "中国外轮代理有限公司芜湖分公司",
    }
    for org, name in names.items():
        await run(RegisterEnterprise(usccs[org], name, CUSTOMS, org, org == "gangtong-broker", 4_000))
    await run(
        SetGrade(
            usccs["jianghuai-trade"],
            "advanced_certified",
            "AEO audit passed (高级认证企业认证通过)",
            CUSTOMS,
        )
    )
    extra = {}
    today = ow.clock.now().date()
    for name, division, grade, _share in CONSIGNEES:
        code = samples.uscc_code(rng, division[2:])
        extra[name] = code
        await run(RegisterEnterprise(code, name, CUSTOMS, None, False, 1_500))
        if grade == "certified":
            await run(SetGrade(code, grade, "Certified after audit (认证企业)", CUSTOMS))
        elif grade == "seriously_dishonest":
            await run(
                RecordViolation(
                    code,
                    ViolationType.SMUGGLING,
                    today - timedelta(days=40),
                    Decimal("1250000"),
                    "customs",
                    "低报价格走私冻品 smuggling of frozen goods by under-valuation",
                    CUSTOMS,
                )
            )
        elif grade == "dishonest":
            await run(
                RecordViolation(
                    code,
                    ViolationType.UNPAID_TAX,
                    today - timedelta(days=130),
                    Decimal("86000"),
                    "customs",
                    "进口增值税逾期未缴 import VAT unpaid since it fell due",
                    CUSTOMS,
                )
            )
    await _profiles(ow, alerted=extra[CONSIGNEES[2][0]])
    await _model(ow, rng, usccs)
    return extra


# The officers' risk profiles of the demo: (owner agency, author, fields); valid from the load.
PROFILES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "customs",
        CUSTOMS,
        {
            "name": "冷鲜牛肉低报价格 Chilled beef declared below 48 CNY/kg",
            "expression": 'startswith(hs_code, "0201", "0202") and unit_price_cny_per_kg < 48',
            "channel": Channel.MANUAL.value,
            "reason": "Under-valuation of beef (价格瞒骗) seen in Q3 cases",
            "hit_rate": 0.5,
            "shared_with": ["quarantine"],
        },
    ),
    (
        "customs",
        CUSTOMS,
        {
            "name": "锂电池单证审核 Lithium batteries: document check",
            "expression": 'startswith(hs_code, "8507")',
            "channel": Channel.DOCUMENT_CHECK.value,
            "reason": "Dangerous goods (UN3480) need the transport certificate checked",
            "hit_rate": 0.2,
            "shared_with": [],
        },
    ),
    (
        "quarantine",
        QUARANTINE,
        {
            "name": "越南香蕉抽检 Bananas from Viet Nam: sampling",
            "expression": 'startswith(hs_code, "0803") and origin_country == "VN"',
            "channel": Channel.MANUAL.value,
            "reason": "Pest interceptions (香蕉穿孔线虫) reported this season",
            "hit_rate": 0.15,
            "shared_with": [],
        },
    ),
]


async def _profiles(ow: OneWindow, alerted: str) -> None:
    run = ow.committer.run
    now = ow.clock.now()
    for agency, actor, fields in PROFILES:
        await run(SaveProfile(agency, actor, {**fields, "valid_from": now}))
    await run(
        PostAlert(
            "quarantine",
            QUARANTINE,
            "enterprise",
            alerted,
            Channel.SCAN,
            "检出疫情的冷链货物收货人 consignee of cold-chain goods that tested positive",
            now + timedelta(days=14),  # the first two weeks of the demo's history
        )
    )
    await run(
        RecordIpRight(
            CUSTOMS,
            "联想（北京）有限公司 Lenovo (Beijing) Ltd",
            None,
            "ThinkPad",
            ["8471"],
            date(now.year + 3, 12, 31),
        )
    )


async def _model(ow: OneWindow, rng: random.Random, usccs: dict[str, str]) -> None:
    """Train the learned score on a synthetic inspected history and put it in use."""
    from onewindow.risk.learned.features import items_from_goods_declaration
    from onewindow.risk.learned.history import LabelledItem
    from onewindow.risk.learned.model import RiskModel

    today = ow.clock.now().date()
    risky_routes = {"VN", "BR"}
    shady = samples.uscc_code(rng, "340100")
    history = []
    for i in range(1_500):
        consignee = shady if rng.random() < 0.15 else usccs["jianghuai-trade"]
        body = samples.goods_declaration(
            rng,
            consignee_uscc=consignee,
            declarant_uscc=usccs["gangtong-broker"],
            items=rng.randrange(1, 4),
            today=today - timedelta(days=rng.randrange(30, 400)),
        )
        data = GoodsDeclaration.model_validate(body)
        for item in items_from_goods_declaration(data):
            cheap = item.value_cny / max(item.net_weight_kg, 1.0) < 40
            p = (
                0.05
                + 0.3 * (item.origin_country in risky_routes)
                + 0.35 * cheap
                + 0.25 * (consignee == shady)
            )
            fraud = rng.random() < p
            history.append(LabelledItem(item, fraud, int(fraud), f"demo-history-{i}"))
    model = RiskModel.train(history, rounds=120, threads=1)  # one thread: quicker on a busy machine
    metrics = {"items": len(history), "fraud": sum(h.fraud for h in history), "synthetic": True}
    await ow.committer.run(StoreModel("demo: synthetic inspected history", metrics, model.dumps()))
