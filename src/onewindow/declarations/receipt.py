"""The receipt of a declaration (申报回执) as a PDF, in Chinese and English at once.

It states the number, the declarant, the office, when it was submitted, every concerned agency's
status, the release time once released, and the SHA-256 of the declaration as stored, so that
whoever holds the receipt can show later exactly which data set it acknowledged. The digest is
taken over the stored data set as canonical JSON (keys sorted, no spaces, UTF-8) and is printed
with that rule. Chinese is set in the Adobe CID font STSong-Light that every PDF reader carries,
so no font file is embedded.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from onewindow import reference

__all__ = ["ReceiptFacts", "receipt_facts", "render_receipt", "stored_digest"]

CHINA = timezone(timedelta(hours=8), "CST")
SONG = "STSong-Light"
MONO = "Courier"
DIGEST_RULE = (
    "SHA-256 of the stored data set as canonical JSON (keys sorted, no spaces, UTF-8). / "
    "存储数据集规范化 JSON（键排序、无空格、UTF-8）的 SHA-256 摘要。"
)

KINDS = {
    "import": ("进口货物报关单", "import goods declaration"),
    "export": ("出口货物报关单", "export goods declaration"),
    "vessel_arrival": ("船舶进境申报", "vessel arrival report"),
    "vessel_departure": ("船舶出境申报", "vessel departure report"),
}
STATUSES = {
    "submitted": ("已申报", "submitted"),
    "under_review": ("审核中", "under review"),
    "action_required": ("待申报人补正", "action required"),
    "inspection": ("查验中", "under inspection"),
    "withdrawal_requested": ("撤单审批中", "withdrawal requested"),
    "released": ("已放行", "released"),
    "refused": ("不予放行", "refused"),
    "withdrawn": ("已撤单", "withdrawn"),
}
STATES = {
    "received": ("已接收", "received"),
    "under_review": ("审核中", "under review"),
    "documents_requested": ("要求补充单证", "documents requested"),
    "correction_requested": ("要求更正", "correction requested"),
    "inspection_ordered": ("布控查验", "inspection ordered"),
    "sampling": ("采样送检", "sampling"),
    "treatment": ("检疫处理", "treatment"),
    "crew_check": ("船员检查", "crew check"),
    "psc_inspection": ("港口国监督检查", "port state control"),
    "released": ("已放行", "released"),
    "refused": ("不予放行", "refused"),
    "withdrawn": ("已撤单", "withdrawn"),
}


def stored_digest(data: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the stored data set as canonical JSON: see ``DIGEST_RULE``."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class AgencyStatus:
    name_zh: str
    name: str
    state: str
    updated_at: datetime | None


@dataclass(frozen=True)
class ReceiptFacts:
    number: str
    kind: str
    office: str
    office_name: str
    declarant: str
    declarant_uscc: str
    submitted_at: datetime
    status: str
    version: int
    agencies: list[AgencyStatus]
    released_at: datetime | None
    digest: str
    issued_at: datetime


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def receipt_facts(
    view: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    agency_names: Mapping[str, tuple[str, str]],
    now: datetime,
) -> ReceiptFacts:
    """What the receipt states, from a declaration as ``queries.declaration_view`` shows it and
    its timeline; ``agency_names`` maps a code to its (Chinese, English) name."""
    data = view["data"]
    party = data.get("declarant") or data.get("shipping_agent") or {}
    released = next((e for e in events if e["type"] == "DeclarationReleased"), None)
    submitted = _when(view["submitted_at"])
    assert submitted is not None
    return ReceiptFacts(
        number=view["number"],
        kind=view["kind"],
        office=view["office"],
        office_name=reference.table("customs_offices").get(view["office"], ""),
        declarant=str(party.get("name", "")),
        declarant_uscc=str(party.get("uscc", "")),
        submitted_at=submitted,
        status=view["status"],
        version=int(view["version"]),
        agencies=[_agency(d, agency_names) for d in view["dossiers"]],
        released_at=_when(released["occurred_at"]) if released else None,
        digest=stored_digest(data),
        issued_at=now,
    )


def _agency(dossier: Mapping[str, Any], names: Mapping[str, tuple[str, str]]) -> AgencyStatus:
    code = str(dossier["agency"])
    name_zh, name = names.get(code, (code, code))
    return AgencyStatus(name_zh, name, str(dossier["state"]), _when(dossier["updated_at"]))


def _cst(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S (UTC+08:00)") if moment else "—"


def _both(pair: tuple[str, str] | None, code: str) -> str:
    return f"{pair[0]} / {pair[1]}" if pair else code


def _fonts() -> None:
    if SONG not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(SONG))


def render_receipt(facts: ReceiptFacts) -> bytes:
    """The receipt as PDF bytes (A4, one page)."""
    _fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Receipt {facts.number}",
        subject=f"OneWindow declaration {facts.number}",
        author="Anhui International Trade Single Window",
    )
    st = _Styles.make()
    doc.build(
        [
            _para("安徽国际贸易单一窗口 申报回执", st.title),
            _para("Anhui International Trade Single Window — Declaration receipt", st.text),
            Spacer(1, 6 * mm),
            _facts_table(facts, st),
            Spacer(1, 6 * mm),
            _para("各机构状态 Status per agency", st.heading),
            _agencies_table(facts, st),
            Spacer(1, 6 * mm),
            _para("存储数据摘要 Digest of the stored declaration (SHA-256)", st.text),
            Paragraph(facts.digest, st.mono),
            _para(DIGEST_RULE, st.small),
            Spacer(1, 8 * mm),
            _para(f"出具时间 Issued at: {_cst(facts.issued_at)}", st.small),
            _para(
                "本回执由系统自动生成，无需盖章。 This receipt is issued by the system and needs no stamp.",
                st.small,
            ),
        ]
    )
    return out.getvalue()


@dataclass(frozen=True)
class _Styles:
    text: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    small: ParagraphStyle
    mono: ParagraphStyle

    @classmethod
    def make(cls) -> _Styles:
        text = ParagraphStyle("text", fontName=SONG, fontSize=10, leading=14, wordWrap="CJK")
        return cls(
            text=text,
            title=ParagraphStyle("title", parent=text, fontSize=16, leading=22, spaceAfter=2),
            heading=ParagraphStyle("h2", parent=text, fontSize=12, leading=18),
            small=ParagraphStyle("small", parent=text, fontSize=8, leading=11, textColor=_GREY),
            mono=ParagraphStyle("mono", parent=text, fontName=MONO, fontSize=9, leading=12),
        )


_GREY, _RULE, _SHADE = colors.HexColor("#4d5a69"), colors.HexColor("#d5dce4"), colors.HexColor("#eef2f6")


def _para(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(value.replace("&", "&amp;").replace("<", "&lt;"), style)


def _facts_table(facts: ReceiptFacts, st: _Styles) -> Table:
    t = st.text
    rows = [
        ("报关单号 Number", Paragraph(facts.number, ParagraphStyle("no", parent=st.mono, fontSize=12))),
        ("申报类型 Kind", _para(_both(KINDS.get(facts.kind), facts.kind), t)),
        ("申报单位 Declarant", _para(f"{facts.declarant}  {facts.declarant_uscc}", t)),
        ("申报地海关 Office", _para(f"{facts.office} {facts.office_name}", t)),
        ("申报时间 Submitted at", _para(_cst(facts.submitted_at), t)),
        ("当前状态 Status", _para(_both(STATUSES.get(facts.status), facts.status), t)),
        ("放行时间 Released at", _para(_cst(facts.released_at), t)),
        ("数据版本 Version", _para(str(facts.version), t)),
    ]
    table = Table([(_para(k, t), v) for k, v in rows], colWidths=[48 * mm, 126 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SONG, 10),
                ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
                ("BACKGROUND", (0, 0), (0, -1), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _agencies_table(facts: ReceiptFacts, st: _Styles) -> Table:
    t = st.text
    rows = [[_para("机构 Agency", t), _para("状态 Status", t), _para("更新时间 Updated", t)]] + [
        [
            _para(f"{a.name_zh} {a.name}", t),
            _para(_both(STATES.get(a.state), a.state), t),
            _para(_cst(a.updated_at), t),
        ]
        for a in facts.agencies
    ]
    table = Table(rows, colWidths=[60 * mm, 50 * mm, 64 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, _RULE), ("BACKGROUND", (0, 0), (-1, 0), _SHADE)])
    )
    return table
