"""Attached documents: what may be uploaded, how the bytes are kept, and who registered them."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onewindow.documents.store import (
    BlobStore,
    RegisterDocument,
    known_documents,
    sniff_media_type,
    validate_upload,
)
from onewindow.kernel.clock import SystemClock
from onewindow.kernel.errors import InvalidInput, PayloadTooLarge
from onewindow.persistence.committer import Committer
from onewindow.persistence.engine import Engines
from tests.fixtures.database import make_engines

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
TIFF_LITTLE = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 16
TIFF_BIG = b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 16
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice><No>INV-1</No></Invoice>\n'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 16
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
MB = 1024 * 1024


def codes(exc: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in exc.value.fields]


# -- what may be uploaded ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (TIFF_LITTLE, "image/tiff"),
        (TIFF_BIG, "image/tiff"),
        (XML, "application/xml"),
        (b"\xef\xbb\xbf" + XML, "application/xml"),
        (b"\r\n  \t" + XML, "application/xml"),
        ("\ufeff".encode("utf-16-le") + XML.decode().encode("utf-16-le"), "application/xml"),
    ],
    ids=["pdf", "png", "jpeg", "tiff-ii", "tiff-mm", "xml", "xml-bom", "xml-whitespace", "xml-utf16"],
)
def test_each_accepted_format_is_recognised_by_its_first_bytes(data: bytes, media_type: str) -> None:
    assert sniff_media_type(data) == media_type
    assert validate_upload(data, media_type, "invoice", MB) == media_type


@pytest.mark.parametrize(
    "data",
    [EXE, HTML, b"plain text", b"PK\x03\x04zip", b"<Invoice/>"],
    ids=["exe", "html", "text", "zip", "no-decl"],
)
def test_formats_other_than_pdf_images_and_xml_are_not_recognised(data: bytes) -> None:
    assert sniff_media_type(data) is None


def test_an_executable_disguised_as_a_pdf_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_upload(EXE, "application/pdf", "invoice", MB)
    assert codes(exc) == [("file", "media_type_not_allowed")]
    assert exc.value.fields[0].message_zh


def test_a_web_page_is_refused_even_without_a_declared_type() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_upload(HTML, None, "invoice", MB)
    assert codes(exc) == [("file", "media_type_not_allowed")]


def test_a_png_sent_as_a_pdf_is_refused_as_a_mismatch() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_upload(PNG, "application/pdf", "certificate", MB)
    assert codes(exc) == [("file", "media_type_mismatch")]
    assert "image/png" in exc.value.fields[0].message


@pytest.mark.parametrize(
    "declared", ["application/pdf; name=x.pdf", "APPLICATION/PDF", None, "application/octet-stream"]
)
def test_a_declared_type_with_parameters_other_case_or_no_claim_is_accepted(declared: str | None) -> None:
    assert validate_upload(PDF, declared, "invoice", MB) == "application/pdf"


def test_xml_sent_as_text_xml_is_stored_as_application_xml() -> None:
    assert validate_upload(XML, "text/xml", "other", MB) == "application/xml"


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_upload(b"", "application/pdf", "invoice", MB)
    assert codes(exc) == [("file", "document_empty")]


def test_a_file_above_the_size_limit_is_refused_as_too_large() -> None:
    with pytest.raises(PayloadTooLarge) as exc:
        validate_upload(PDF + b"\x00" * 100, "application/pdf", "invoice", len(PDF))
    assert exc.value.status == 413


def test_a_file_exactly_at_the_size_limit_is_accepted() -> None:
    assert validate_upload(PDF, "application/pdf", "invoice", len(PDF)) == "application/pdf"


def test_an_unknown_document_type_is_refused_together_with_a_bad_file() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_upload(EXE, None, "passport", MB)
    assert codes(exc) == [("type", "document_type_unknown"), ("file", "media_type_not_allowed")]
    assert "bill_of_lading" in exc.value.fields[0].message


# -- how the bytes are kept ----------------------------------------------------------------------


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_same_bytes_are_stored_once_under_their_hash(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "documents")
    first = blobs.put(PDF)
    second = blobs.put(PDF)
    assert first == second == hashlib.sha256(PDF).hexdigest()
    assert stored_files(tmp_path / "documents") == [tmp_path / "documents" / first[:2] / first[2:4] / first]
    assert blobs.exists(first)
    assert blobs.open(first) == PDF


def test_different_bytes_are_stored_as_different_files(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "documents")
    hashes = {blobs.put(PDF), blobs.put(PNG), blobs.put(XML)}
    assert len(hashes) == 3
    assert len(stored_files(tmp_path / "documents")) == 3
    assert {blobs.open(h) for h in hashes} == {PDF, PNG, XML}


def test_writing_leaves_no_temporary_files_behind(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "documents")
    for data in (PDF, PNG, PDF, JPEG):
        blobs.put(data)
    assert not [p for p in (tmp_path / "documents").rglob("*") if p.name.startswith(".tmp")]


def test_a_failed_write_leaves_neither_the_blob_nor_a_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = BlobStore(tmp_path / "documents")
    fsync = os.fsync

    def disk_full(fd: int) -> None:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr("onewindow.documents.store.os.fsync", disk_full)
    with pytest.raises(OSError):
        blobs.put(PDF)
    assert stored_files(tmp_path / "documents") == []
    assert not blobs.exists(hashlib.sha256(PDF).hexdigest())


def test_the_store_touches_the_disk_only_when_something_is_written(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "documents")
    assert not blobs.exists(hashlib.sha256(PDF).hexdigest())
    assert not (tmp_path / "documents").exists()


def test_a_hash_that_is_not_a_hash_cannot_reach_outside_the_store(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "documents")
    assert not blobs.exists("../../etc/passwd")
    with pytest.raises(ValueError):
        blobs.open("../../etc/passwd")


def test_reading_bytes_that_were_never_stored_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        BlobStore(tmp_path).open(hashlib.sha256(b"never").hexdigest())


# -- who registered them -------------------------------------------------------------------------


@pytest.fixture
def sqlite_engines(tmp_path: Path) -> Iterator[Engines]:
    engines = make_engines(f"sqlite:///{tmp_path}/t.db")
    yield engines
    engines.dispose()


@pytest.fixture
def writer(sqlite_engines: Engines) -> Iterator[Committer]:
    committer = Committer(sqlite_engines.write, SystemClock())
    committer.start()
    yield committer
    committer.stop()


def register(
    org_id: str, data: bytes, doc_type: str = "invoice", filename: str | None = "a.pdf"
) -> RegisterDocument:
    return RegisterDocument(
        org_id=org_id,
        sha256=hashlib.sha256(data).hexdigest(),
        doc_type=doc_type,
        media_type=sniff_media_type(data) or "",
        size=len(data),
        filename=filename,
        uploaded_by="user:u1",
    )


def test_a_registered_document_is_described_as_uploaded(writer: Committer) -> None:
    sha = hashlib.sha256(PDF).hexdigest()
    assert writer.run_sync(register("org-a", PDF)) == {
        "sha256": sha,
        "type": "invoice",
        "media_type": "application/pdf",
        "size": len(PDF),
        "filename": "a.pdf",
    }


def test_uploading_the_same_document_again_keeps_the_first_registration(writer: Committer) -> None:
    writer.run_sync(register("org-a", PDF, "invoice", "first.pdf"))
    again = writer.run_sync(register("org-a", PDF, "contract", "second.pdf"))
    assert (again["type"], again["filename"]) == ("invoice", "first.pdf")


def test_an_organisation_knows_only_the_documents_it_registered(
    writer: Committer, sqlite_engines: Engines
) -> None:
    writer.run_sync(register("org-a", PDF))
    writer.run_sync(register("org-a", PNG))
    writer.run_sync(register("org-b", PNG))
    pdf, png, xml = (hashlib.sha256(d).hexdigest() for d in (PDF, PNG, XML))
    with sqlite_engines.read.connect() as conn:
        assert known_documents(conn, "org-a", [pdf, png, xml]) == {pdf, png}
        assert known_documents(conn, "org-b", [pdf, png, xml]) == {png}
        assert known_documents(conn, "org-c", [pdf, png]) == set()
        assert known_documents(conn, "org-a", []) == set()
