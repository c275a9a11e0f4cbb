"""The demo's organisations (Anhui's port agencies, the port office, enterprises, a terminal),
their users with the tokens ``onewindow run`` prints and one portal password, and the documents the
demo declarations cite (each enterprise's invoice, the shipping agent's dangerous goods certificate).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from onewindow.bootstrap import OneWindow
from onewindow.documents.store import RegisterDocument
from onewindow.identity.model import Role
from onewindow.identity.passwords import hash_password
from onewindow.identity.service import CreateOrganisation, CreateUser, IssueToken, SetPassword

from . import samples

__all__ = [
    "CERTIFICATE_PDF",
    "DEMO_ORGS",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "INVOICE_PDF",
    "DemoUser",
    "create_identities",
    "register_documents",
]


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


# A one-page PDF: the demo's commercial invoices; another: the dangerous goods certificates.
INVOICE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
CERTIFICATE_PDF = INVOICE_PDF.replace(b"%%EOF", b"% dangerous goods declaration certificate\n%%EOF")


async def create_identities(ow: OneWindow, rng: random.Random) -> dict[str, str]:
    """The demo organisations, users and tokens; returns each enterprise's credit code."""
    usccs = {org: samples.uscc_code(rng, prefix[2:]) for org, _, _, prefix in DEMO_ORGS if prefix}
    ops: list[Any] = [CreateOrganisation(org, name, kind, usccs.get(org)) for org, name, kind, _ in DEMO_ORGS]
    for u in DEMO_USERS:
        ops += [
            CreateUser(u.user_id, u.org_id, u.name, u.role, u.agency),
            IssueToken(u.user_id, "demo", u.token),
            SetPassword(u.user_id, _demo_password_hash()),
        ]
    for done in ow.committer.submit_all(ops):  # one transaction, in this order
        await asyncio.wrap_future(done)
    return usccs


async def register_documents(ow: OneWindow, usccs: dict[str, str]) -> dict[str, str]:
    """Every enterprise's invoice, and the shipping agent's dangerous goods certificate."""
    invoice = await asyncio.to_thread(ow.blobs.put, INVOICE_PDF)
    certificate = await asyncio.to_thread(ow.blobs.put, CERTIFICATE_PDF)
    size = len(INVOICE_PDF)
    for org in usccs:
        op = RegisterDocument(org, invoice, "invoice", "application/pdf", size, "invoice.pdf", "demo")
        await ow.committer.run(op)
    await ow.committer.run(
        RegisterDocument(
            "penavico-wuhu",
            certificate,
            "certificate",
            "application/pdf",
            len(CERTIFICATE_PDF),
            "dg-certificate.pdf",
            "demo",
        )
    )
    return {"invoice": invoice, "certificate": certificate}
