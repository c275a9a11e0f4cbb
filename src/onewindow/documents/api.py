"""HTTP endpoints for documents: a declarant uploads, then refers to the document by its hash."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile

from onewindow.bootstrap import OneWindow
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import NotFound

from .store import DOCUMENT_TYPES, RegisterDocument, find_document, is_sha256, validate_upload

__all__ = ["router"]

router = APIRouter(prefix="/v1/documents", tags=["documents"])

# Officers and the port office see attachments of the declarations they handle; for now, all of them.
_SEE_ALL = (Role.OFFICER, Role.PORT_OFFICE)


@router.post("", status_code=201)
async def upload_document(
    app: App,
    caller: Caller,
    file: Annotated[UploadFile, File()],
    doc_type: Annotated[str, Form(alias="type", json_schema_extra={"enum": sorted(DOCUMENT_TYPES)})],
) -> dict[str, Any]:
    """Upload an attached document (随附单证): PDF, PNG, JPEG, TIFF or XML, up to the size limit."""
    caller.require(Role.DECLARANT)
    limit = app.settings.max_document_bytes
    data = await file.read(limit + 1)  # one byte more than allowed is enough to refuse it (413)
    media_type = validate_upload(data, file.content_type, doc_type, limit)
    sha256 = await asyncio.to_thread(app.blobs.put, data)
    op = RegisterDocument(
        org_id=caller.org_id,
        sha256=sha256,
        doc_type=doc_type,
        media_type=media_type,
        size=len(data),
        filename=_filename(file.filename),
        uploaded_by=caller.actor,
    )
    described: dict[str, Any] = await app.committer.run(op)
    return described


@router.get("/{sha256}")
def get_document(app: App, caller: Caller, sha256: str) -> dict[str, Any]:
    return _visible(app, caller, sha256)


@router.get("/{sha256}/content")
def get_document_content(app: App, caller: Caller, sha256: str) -> Response:
    doc = _visible(app, caller, sha256)
    data = app.blobs.open(sha256)
    disposition = "attachment"
    if doc["filename"]:
        disposition += f"; filename*=UTF-8''{quote(doc['filename'], safe='')}"
    headers = {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    return Response(content=data, media_type=doc["media_type"], headers=headers)


def _visible(app: OneWindow, caller: Principal, sha256: str) -> dict[str, Any]:
    """The document as the caller may see it; ``NotFound`` whether it is absent or not theirs."""
    doc = None
    if is_sha256(sha256):
        org_id = None if caller.role in _SEE_ALL else caller.org_id
        with app.engines.read.connect() as conn:
            doc = find_document(conn, sha256, org_id)
    if doc is None:
        raise NotFound("document", "单证", sha256)
    return doc


def _filename(name: str | None) -> str | None:
    """The last part of a client's file name (some browsers send a full Windows path)."""
    if not name:
        return None
    return PurePosixPath(name.replace("\\", "/")).name[:255] or None
