"""The receipt (回执): a PDF in Chinese and English naming the declaration, every agency's status,
the release time once released, and the SHA-256 of the declaration as stored."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from datetime import UTC, datetime
from typing import Any

from onewindow.declarations.receipt import receipt_facts, render_receipt, stored_digest

NUMBER = "330120261000000042"
NAMES = {"customs": ("海关", "Customs"), "quarantine": ("检验检疫", "Inspection and quarantine")}
NOW = datetime(2026, 1, 6, 2, 0, tzinfo=UTC)


def view(status: str = "released", **data: Any) -> dict[str, Any]:
    return {
        "number": NUMBER,
        "kind": "import",
        "office": "3301",
        "status": status,
        "version": 2,
        "submitted_at": "2026-01-05T01:02:03+00:00",
        "data": {
            "kind": "import",
            "declarant": {"name": "芜湖港通报关有限公司", "uscc": "91340200MA2N0X1234"},
            **data,
        },
        "dossiers": [
            {"agency": "customs", "state": "released", "updated_at": "2026-01-05T02:00:00+00:00"},
            {"agency": "quarantine", "state": "sampling", "updated_at": "2026-01-05T03:00:00+00:00"},
        ],
    }


RELEASED = [{"type": "DeclarationReleased", "occurred_at": "2026-01-05T04:30:00+00:00"}]


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        c = literal[i]
        if c == 0x5C:  # backslash
            nxt = literal[i + 1 : i + 4]
            octal = re.match(rb"[0-7]{1,3}", nxt)
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt[:1], nxt[:1])
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def text_of(pdf: bytes) -> str:
    """Every string shown on the pages: in a Type 1 font as it is, in the CID font as UTF-16BE."""
    simple = set(
        re.findall(
            rb"/BaseFont /(?:Helvetica|Courier|Times)[\w-]* /Encoding /WinAnsiEncoding /Name /(F\d+)", pdf
        )
    )
    shown = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        raw = raw.strip()
        content = zlib.decompress(base64.a85decode(raw[:-2] if raw.endswith(b"~>") else raw))
        font = b""
        for name, literal in re.findall(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", content):
            if name:
                font = name
                continue
            data = _unescape(literal)
            shown.append(data.decode("latin-1") if font in simple else data.decode("utf-16-be"))
    return "\n".join(shown)


def test_the_receipt_is_a_pdf_in_chinese_and_english_naming_the_declaration() -> None:
    pdf = render_receipt(receipt_facts(view(), RELEASED, NAMES, NOW))

    assert pdf.startswith(b"%PDF-")
    assert b"/BaseFont /STSong-Light" in pdf and b"UniGB-UCS2-H" in pdf  # the built-in CID font
    text = text_of(pdf)
    assert NUMBER in text
    assert "申报回执" in text and "Declaration receipt" in text
    assert "芜湖港通报关有限公司" in text and "91340200MA2N0X1234" in text
    assert "3301 芜湖海关" in text
    assert "2026-01-05 09:02:03" in text  # submitted, in China Standard Time


def test_every_agency_status_and_the_release_time_are_stated() -> None:
    text = text_of(render_receipt(receipt_facts(view(), RELEASED, NAMES, NOW)))

    assert "海关 Customs" in text and "检验检疫 Inspection and quarantine" in text
    assert "已放行 / released" in text and "采样送检 / sampling" in text
    assert "2026-01-05 12:30:00" in text  # released at 04:30 UTC


def test_a_declaration_not_released_has_no_release_time() -> None:
    facts = receipt_facts(view(status="inspection"), [], NAMES, NOW)

    assert facts.released_at is None
    text = text_of(render_receipt(facts))
    assert "查验中 / under inspection" in text


def test_the_digest_is_the_sha256_of_the_stored_data_as_canonical_json() -> None:
    data = {"b": [1, {"z": "货物", "a": "1.50"}], "a": None}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    assert stored_digest(data) == hashlib.sha256(canonical).hexdigest()
    assert stored_digest({"a": None, "b": [1, {"a": "1.50", "z": "货物"}]}) == stored_digest(data)


def test_the_receipt_carries_the_digest_of_exactly_the_stored_data() -> None:
    first = receipt_facts(view(remarks="one"), RELEASED, NAMES, NOW)
    amended = receipt_facts(view(remarks="two"), RELEASED, NAMES, NOW)

    assert first.digest != amended.digest
    assert first.digest == stored_digest(view(remarks="one")["data"])
    assert first.digest in text_of(render_receipt(first))
