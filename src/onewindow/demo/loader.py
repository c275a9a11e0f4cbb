"""Loads the demo: Anhui's port agencies, officers, brokers and a few hundred declarations in
every state, made by the real code paths (submission, automatic rules, officers' decisions)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from onewindow.agencies.registry import discover
from onewindow.bootstrap import OneWindow
from onewindow.declarations.handlers import (
    CHINA,
    DecideDossier,
    DecideWithdrawal,
    Receipt,
    SubmitDeclaration,
    WithdrawDeclaration,
)
from onewindow.declarations.tables import declarations, dossiers
from onewindow.declarations.validation import parse_and_check
from onewindow.documents.store import RegisterDocument
from onewindow.identity.model import Role
from onewindow.identity.passwords import hash_password
from onewindow.identity.service import CreateOrganisation, CreateUser, IssueToken, SetPassword
from onewindow.identity.tables import organisations
from onewindow.inspection.handlers import RecordResult
from onewindow.kernel.errors import OneWindowError

from . import samples
from .risk import load_risk_picture

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoUser", "create_identities", "drain", "load_demo"]


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    org_id: str
    name: str
    role: Role
    agency: str | None
    token: str


DEMO_ORGS = [
    ("onewindow-admin", "安徽国际贸易单一窗口运维中心 OneWindow operations", "administration", None),
    ("anhui-port-office", "安徽省口岸办 Anhui Port Office", "port_office", None),
    ("hefei-customs", "合肥海关 Hefei Customs", "agency", None),
    ("anhui-ciq", "安徽检验检疫 Anhui Inspection & Quarantine", "agency", None),
    ("wuhu-border", "芜湖边检站 Wuhu Border Inspection", "agency", None),
    ("wuhu-msa", "芜湖海事局 Wuhu Maritime Safety", "agency", None),
    ("jianghuai-trade", "安徽江淮进出口有限公司", "enterprise", "91340100"),
    ("gangtong-broker", "芜湖港通报关有限公司", "enterprise", "91340200"),
    ("penavico-wuhu", "中国外轮代理有限公司芜湖分公司", "enterprise", "91340200"),
    ("wuhu-terminal", "芜湖港务集团朱家桥集装箱码头 Wuhu Zhujiaqiao Terminal", "operator", None),
]

DEMO_USERS = [
    DemoUser("admin", "onewindow-admin", "系统管理员 Administrator", Role.ADMIN, None, "ow_demo_admin"),
    DemoUser(
        "port-office", "anhui-port-office", "口岸办 Wang Li", Role.PORT_OFFICE, None, "ow_demo_port_office"
    ),
    DemoUser(
        "customs-officer", "hefei-customs", "海关关员 Zhang Wei", Role.OFFICER, "customs", "ow_demo_customs"
    ),
    DemoUser("ciq-officer", "anhui-ciq", "检验检疫 Li Na", Role.OFFICER, "quarantine", "ow_demo_quarantine"),
    DemoUser("border-officer", "wuhu-border", "边检 Chen Jie", Role.OFFICER, "border", "ow_demo_border"),
    DemoUser("msa-officer", "wuhu-msa", "海事 Zhao Min", Role.OFFICER, "maritime", "ow_demo_maritime"),
    DemoUser(
        "jianghuai-clerk", "jianghuai-trade", "江淮报关员 Liu Yang", Role.DECLARANT, None, "ow_demo_importer"
    ),
    DemoUser(
        "gangtong-broker", "gangtong-broker", "港通报关员 Sun Hao", Role.DECLARANT, None, "ow_demo_broker"
    ),
    DemoUser(
        "penavico-agent",
        "penavico-wuhu",
        "外代船代 Zhou Qiang",
        Role.DECLARANT,
        None,
        "ow_demo_shipping_agent",
    ),
    DemoUser(
        "gate-operator", "wuhu-terminal", "卡口值班员 Wu Gang", Role.GATE_OPERATOR, None, "ow_demo_gate"
    ),
]
DEMO_PASSWORD = "onewindow-demo-1"  # every demo user's portal password (the demo is not for real data)


@cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)  # one argon2 hash, computed once per process


# A one-page PDF: the demo's commercial invoices.
INVOICE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def already_loaded(ow: OneWindow) -> bool:
    with ow.engines.read.connect() as conn:
        return (
            conn.execute(sa.select(organisations.c.id).where(organisations.c.id == "onewindow-admin")).first()
            is not None
        )


async def load_demo(
    ow: OneWindow,
    declarations_count: int = 300,
    seed: int = 2015,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Create the demo organisations, users (with the tokens printed by ``onewindow run``) and
    ``declarations_count`` declarations with the credit register and the officers' risk rules
    (none of them for 0: the identities alone); ``ow`` must be started."""
    rng = random.Random(seed)
    usccs = await create_identities(ow, rng)
    consignees = await load_risk_picture(ow, rng, usccs) if declarations_count else {}
    invoice = await asyncio.to_thread(ow.blobs.put, INVOICE_PDF)
    for org in usccs:
        await ow.committer.run(
            RegisterDocument(
                org, invoice, "invoice", "application/pdf", len(INVOICE_PDF), "invoice.pdf", "demo"
            )
        )
    plan = _Plan(ow, rng, usccs, invoice, consignees)
    numbers = await plan.submit_all(declarations_count, progress)
    await drain(ow)
    await plan.officers_act(numbers)
    await drain(ow)
    with ow.engines.read.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(declarations.c.status, sa.func.count()).group_by(declarations.c.status)
            ).all()
        )
    return {"declarations": sum(counts.values()), "by_status": counts}


async def create_identities(ow: OneWindow, rng: random.Random) -> dict[str, str]:
    """The demo organisations, users and tokens; returns each enterprise's credit code."""
    usccs = {org: samples.uscc_code(rng, prefix[2:]) for org, _, _, prefix in DEMO_ORGS if prefix}
    for org, name, kind, _ in DEMO_ORGS:
        await ow.committer.run(CreateOrganisation(org, name, kind, usccs.get(org)))
    for u in DEMO_USERS:
        await ow.committer.run(CreateUser(u.user_id, u.org_id, u.name, u.role, u.agency))
        await ow.committer.run(IssueToken(u.user_id, "demo", u.token))
        await ow.committer.run(SetPassword(u.user_id, _demo_password_hash()))
    return usccs


async def drain(ow: OneWindow) -> None:
    """Wait until the relay has published everything and the consumers had a moment to act."""
    for _ in range(600):
        with ow.engines.read.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
        if not left:
            await asyncio.sleep(0.3)
            with ow.engines.read.connect() as conn:
                left = conn.execute(sa.text("SELECT count(*) FROM events WHERE published = false")).scalar()
            if not left:
                return
        await asyncio.sleep(0.1)


class _Plan:
    def __init__(
        self,
        ow: OneWindow,
        rng: random.Random,
        usccs: dict[str, str],
        invoice: str,
        consignees: dict[str, str],
    ) -> None:
        self.ow, self.rng, self.usccs, self.invoice = ow, rng, usccs, invoice
        self.consignees = [("安徽江淮进出口有限公司", usccs["jianghuai-trade"]), *consignees.items()]
        self.today = ow.clock.now().astimezone(CHINA).date()

    def _goods(self, org: str) -> dict[str, Any]:
        with_invoice = self.rng.random() < 0.8
        docs = [{"type": "invoice", "sha256": self.invoice}] if with_invoice else []
        kind = "import" if self.rng.random() < 0.75 else "export"
        name, consignee = self.consignees[0] if org == "jianghuai-trade" else self.rng.choice(self.consignees)
        return samples.goods_declaration(
            self.rng,
            consignee_uscc=consignee,
            consignee_name=name,
            declarant_uscc=self.usccs[org],
            kind=kind,
            items=self.rng.randrange(1, 12),
            today=self.today,
            documents=docs,
        )

    async def submit_all(self, n: int, progress: Callable[[int], None] | None) -> list[tuple[str, str]]:
        """Goods and vessel reports; the demo is a snapshot of a working day, so some dossiers
        are still waiting for an officer (border checks some crews by hand; a few declarations
        arrived just now and nobody has looked at them yet)."""
        waiting = discover({code: {"rules": [], "default_decision": None} for code in self.codes})
        border_by_hand = discover({"border": {"default_decision": None}})
        out = []
        for i in range(n):
            agencies = self.ow.agencies
            if i % 10 == 9:
                org, raw = "penavico-wuhu", self._vessel()
                agencies = border_by_hand if i % 20 == 19 else agencies
            else:
                org = self.rng.choice(["jianghuai-trade", "gangtong-broker"])
                raw = self._goods(org)
                agencies = waiting if i % 25 == 0 else agencies
            data = parse_and_check(orjson.dumps(raw), self.today)
            user = next(u for u in DEMO_USERS if u.org_id == org)
            op = SubmitDeclaration(org, f"user:{user.user_id}", data, agencies.route(data), risk=self.ow.risk)
            receipt: Receipt = await self.ow.committer.run(op)
            out.append((receipt.number, org))
            if progress:
                progress(1)
        return out

    @property
    def codes(self) -> list[str]:
        return [a.code for a in self.ow.agencies]

    def _vessel(self) -> dict[str, Any]:
        return samples.conveyance_report(
            self.rng,
            agent_uscc=self.usccs["penavico-wuhu"],
            today=self.today,
            sick=int(self.rng.random() < 0.2),
            dangerous=self.rng.random() < 0.2,
        )

    async def officers_act(self, numbers: list[tuple[str, str]]) -> None:
        """Officers work part of their queues: most inspections concluded (a few refused), some
        declarants withdraw what waits for their documents, and the agencies approve most."""
        for number, org in numbers:
            with self.ow.engines.read.connect() as conn:
                rows = conn.execute(
                    sa.select(dossiers.c.agency, dossiers.c.category).where(dossiers.c.number == number)
                ).all()
            roll = self.rng.random()
            for agency, category in rows:
                if category == "inspection" and roll < 0.6:
                    refuse = roll < 0.08
                    await self._inspected(number, agency, fraud=refuse)
                    await self._try(
                        number,
                        agency,
                        "refuse" if refuse else "release",
                        "检出不合格，不予放行 / failed the laboratory test"
                        if refuse
                        else "查验未见异常 / inspection found nothing irregular",
                    )
            if any(c == "action_required" for _, c in rows) and roll < 0.45:
                user = next(u for u in DEMO_USERS if u.org_id == org)
                await self._withdraw(number, org, user.user_id, approve=roll < 0.22)

    async def _inspected(self, number: str, agency: str, fraud: bool) -> None:
        """The inspection's outcome goes to the shared register first (what the model learns from)."""
        officer = next(u for u in DEMO_USERS if u.agency == agency)
        fields = {
            "number": number,
            "container": None,
            "vessel_imo": None,
            "kind": "manual",
            "checked": "开箱查验品名、数量、价格 goods, quantity and value checked",
            "findings": "申报不实 mis-declared" if fraud else "",
            "fraud": fraud,
            "critical": False,
            "inspected_at": self.ow.clock.now() - timedelta(hours=2),
        }
        with contextlib.suppress(OneWindowError):
            await self.ow.committer.run(
                RecordResult(agency, officer.org_id, f"user:{officer.user_id}", fields)
            )

    async def _try(self, number: str, agency: str, decision: str, reason: str) -> None:
        officer = next(u for u in DEMO_USERS if u.agency == agency)
        op = DecideDossier(number, self.ow.agencies.get(agency), decision, reason, f"user:{officer.user_id}")
        with contextlib.suppress(OneWindowError):
            await self.ow.committer.run(op)

    async def _withdraw(self, number: str, org: str, user_id: str, approve: bool) -> None:
        reason = "合同取消 / contract cancelled"
        with contextlib.suppress(OneWindowError):
            await self.ow.committer.run(WithdrawDeclaration(number, org, f"user:{user_id}", reason))
        if not approve:
            return
        with self.ow.engines.read.connect() as conn:
            pending = (
                conn.execute(
                    sa.select(dossiers.c.agency).where(
                        dossiers.c.number == number, dossiers.c.withdrawal == "pending"
                    )
                )
                .scalars()
                .all()
            )
        for agency in pending:
            officer = next(u for u in DEMO_USERS if u.agency == agency)
            op = DecideWithdrawal(
                number, self.ow.agencies.get(agency), True, "同意撤单 / approved", f"user:{officer.user_id}"
            )
            with contextlib.suppress(OneWindowError):
                await self.ow.committer.run(op)
