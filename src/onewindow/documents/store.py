"""Documents stored by content hash: what may be uploaded, where the bytes live, who registered them.

The bytes go to a ``BlobStore`` first (durably, under their SHA-256), and only then is the document
registered to the uploading organisation through the committer; a crash between the two leaves an
unregistered blob, never a registration without its bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import sqlalchemy as sa

from onewindow.declarations.dataset import DocumentType
from onewindow.kernel.errors import FieldError, InvalidInput, PayloadTooLarge
from onewindow.persistence.committer import Transaction
from onewindow.persistence.metadata import insert_ignore

from .tables import documents

__all__ = [
    "ALLOWED_MEDIA_TYPES",
    "DOCUMENT_TYPES",
    "BlobStore",
    "RegisterDocument",
    "find_document",
    "is_sha256",
    "known_documents",
    "sniff_media_type",
    "validate_upload",
]

PDF, PNG, JPEG, TIFF, XML = "application/pdf", "image/png", "image/jpeg", "image/tiff", "application/xml"
ALLOWED_MEDIA_TYPES: frozenset[str] = frozenset({PDF, PNG, JPEG, TIFF, XML})
DOCUMENT_TYPES: frozenset[str] = frozenset(get_args(DocumentType))

# Other names clients send for the same types; the stored media type is always the canonical one.
_ALIASES = {"text/xml": XML, "image/jpg": JPEG, "image/pjpeg": JPEG}
# A declared type that claims nothing: the sniffed type is taken as it is.
_UNDECLARED = {"", "application/octet-stream"}

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_XML_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(value: str) -> bool:
    return _SHA256.fullmatch(value) is not None


def sniff_media_type(data: bytes) -> str | None:
    """The allowed media type these bytes are, judged by their first bytes; None for anything else."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    return XML if _looks_like_xml(data) else None


def _looks_like_xml(data: bytes) -> bool:
    encoding = "utf-8"
    for bom, enc in _XML_BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], enc
            break
    head = data[:1024].decode(encoding, errors="ignore")
    return head.lstrip(" \t\r\n").startswith("<?xml")


def _canonical(declared: str | None) -> str:
    base = (declared or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def validate_upload(data: bytes, declared_media_type: str | None, doc_type: str, max_bytes: int) -> str:
    """The media type of an acceptable upload; raises ``PayloadTooLarge`` or ``InvalidInput``."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    problems = [p for p in (_type_problem(doc_type), _content_problem(data, declared_media_type)) if p]
    if problems:
        raise InvalidInput(problems)
    media_type = sniff_media_type(data)
    assert media_type is not None  # _content_problem refused anything else
    return media_type


def _type_problem(doc_type: str) -> FieldError | None:
    if doc_type in DOCUMENT_TYPES:
        return None
    allowed = ", ".join(sorted(DOCUMENT_TYPES))
    return FieldError(
        "type",
        "document_type_unknown",
        f"'{doc_type}' is not a document type; use one of: {allowed}.",
        f"“{doc_type}”不是有效的单证类型；请使用以下之一：{allowed}。",
    )


def _content_problem(data: bytes, declared_media_type: str | None) -> FieldError | None:
    if not data:
        return FieldError("file", "document_empty", "The file is empty.", "上传的文件为空。")
    sniffed = sniff_media_type(data)
    if sniffed is None:
        allowed = ", ".join(sorted(ALLOWED_MEDIA_TYPES))
        return FieldError(
            "file",
            "media_type_not_allowed",
            f"The file is not one of the accepted formats ({allowed}).",
            f"文件格式不在允许范围内（{allowed}）。",
        )
    declared = _canonical(declared_media_type)
    if declared not in _UNDECLARED and declared != sniffed:
        return FieldError(
            "file",
            "media_type_mismatch",
            f"The file was sent as '{declared}' but its content is '{sniffed}'.",
            f"文件声明的类型为“{declared}”，但其内容为“{sniffed}”。",
        )
    return None


class BlobStore:
    """Bytes on disk under ``root/ab/cd/<sha256>``; a blob, once written, is never changed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (durably, atomically) and return its SHA-256; storing it again does nothing."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.is_file():
            return sha256
        _make_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)
        return sha256

    def open(self, sha256: str) -> bytes:
        """The stored bytes; ``FileNotFoundError`` if there are none."""
        return self._path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return is_sha256(sha256) and self._path(sha256).is_file()


def _make_dirs(directory: Path) -> None:
    """``mkdir -p``, fsyncing the parent of each new directory so its entry survives a crash."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir()
        _fsync_dir(d.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory; its renames are durable by other means
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _describe(row: Any) -> dict[str, Any]:
    return {
        "sha256": row.sha256,
        "type": row.doc_type,
        "media_type": row.media_type,
        "size": row.size,
        "filename": row.filename,
    }


@dataclass(frozen=True)
class RegisterDocument:
    """Register stored bytes to an organisation. Registering them again keeps the first registration."""

    org_id: str
    sha256: str
    doc_type: str
    media_type: str
    size: int
    filename: str | None
    uploaded_by: str

    def run(self, tx: Transaction) -> dict[str, Any]:
        row = {
            "sha256": self.sha256,
            "org_id": self.org_id,
            "doc_type": self.doc_type,
            "media_type": self.media_type,
            "size": self.size,
            "filename": self.filename,
            "uploaded_by": self.uploaded_by,
            "uploaded_at": tx.now,
        }
        tx.conn.execute(insert_ignore(tx.conn, documents).values(**row))
        stored = find_document(tx.conn, self.sha256, self.org_id)
        assert stored is not None
        return stored


def find_document(conn: sa.Connection, sha256: str, org_id: str | None) -> dict[str, Any] | None:
    """The document as ``org_id`` registered it, or (``org_id`` None: for officers and the port
    office) as it was first registered by anyone; None if there is no such registration."""
    q = sa.select(documents).where(documents.c.sha256 == sha256)
    if org_id is not None:
        q = q.where(documents.c.org_id == org_id)
    row = conn.execute(q.order_by(documents.c.uploaded_at, documents.c.org_id).limit(1)).one_or_none()
    return _describe(row) if row is not None else None


def known_documents(conn: sa.Connection, org_id: str, hashes: Collection[str]) -> set[str]:
    """Which of ``hashes`` are registered to ``org_id``."""
    if not hashes:
        return set()
    c = documents.c
    q = sa.select(c.sha256).where(c.org_id == org_id, c.sha256.in_(set(hashes)))
    return set(conn.execute(q).scalars())
