"""Uploading a file of declarations (JSON Lines, one data set per line) from the browser.

The file goes through the bulk importer ``onewindow submit`` uses (``declarations.bulk``): each
line is wholly stored or reported with its field errors, and its idempotency key comes from its
content, so uploading the same file again stores nothing twice. The import runs in a thread of
this process; its progress is kept in this process's memory under a random id that only the
uploading organisation can read (so with several API processes, the progress page must reach
the process that took the upload, as a sticky session does).

A file is refused as a whole, storing nothing, when it is larger than ``MAX_BYTES``, is not UTF-8
text, has no line, or its first line is not a JSON object (a JSON array or a spreadsheet, say).
"""

from __future__ import annotations

import io
import logging
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from onewindow.bootstrap import OneWindow
from onewindow.declarations.bulk import BulkImporter, ImportReport
from onewindow.declarations.handlers import CHINA
from onewindow.identity.model import Principal
from onewindow.kernel.errors import FieldError, InvalidInput, NotFound

from ..web import Form, Page, SignedIn, page, redirect
from .declarant_form import declarant

__all__ = ["MAX_BYTES", "UploadJob", "router"]

log = logging.getLogger(__name__)
router = APIRouter()
MAX_BYTES = 5 * 1024 * 1024  # about two thousand declarations; larger files go through `onewindow submit`
KEPT = 200  # finished uploads remembered by this process (the oldest are forgotten first)
BATCH = 100  # declarations per transaction


@dataclass
class UploadJob:
    id: str
    org_id: str
    user_id: str
    filename: str
    size: int
    started_at: datetime
    read: int = 0  # bytes read and checked so far
    lines: int = 0
    state: str = "running"  # running | done | failed
    report: ImportReport | None = None
    finished_at: datetime | None = None
    error: str | None = field(default=None, repr=False)

    @property
    def done(self) -> int:
        """Bytes done, for the progress bar: all of them only once every line is stored."""
        return self.size if self.state != "running" else min(self.read, max(self.size - 1, 0))

    @property
    def percent(self) -> float:
        return self.done / self.size if self.size else 1.0


class _Jobs:
    def __init__(self) -> None:
        self._jobs: OrderedDict[str, UploadJob] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, job: UploadJob) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].state == "running":
                    break
                self._jobs.pop(oldest)

    def get(self, job_id: str, org_id: str) -> UploadJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.org_id != org_id:
            raise NotFound("upload", "上传任务", job_id)
        return job

    def of(self, org_id: str) -> list[UploadJob]:
        with self._lock:
            return [j for j in reversed(self._jobs.values()) if j.org_id == org_id]


jobs = _Jobs()


class _Counted(io.BytesIO):
    """The file as the importer reads it, line by line, counting what it read."""

    def __init__(self, data: bytes, job: UploadJob) -> None:
        super().__init__(data)
        self.job = job

    def __next__(self) -> bytes:
        line = super().__next__()
        self.job.read += len(line)
        self.job.lines += 1
        return line


def _refuse(code: str, message: str, message_zh: str) -> InvalidInput:
    return InvalidInput([FieldError("file", code, message, message_zh)])


def check_file(data: bytes) -> None:
    """Refuse, as a whole, what is not a JSON Lines file of a size the portal takes."""
    if len(data) > MAX_BYTES:
        raise _refuse(
            "too_large",
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it, or use `onewindow submit`.",
            f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请拆分后上传，或使用 onewindow submit 命令。",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(
            "not_text",
            "The file is not UTF-8 text: upload a JSON Lines file.",
            "文件不是 UTF-8 文本，请上传 JSON Lines 文件。",
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise _refuse("empty", "The file has no declaration in it.", "文件中没有报关数据。")
    try:
        parsed = orjson.loads(first)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise _refuse(
            "not_json_lines",
            "This is not a JSON Lines file: its first line is not a JSON object. Put one declaration "
            "per line, each a JSON object.",
            "这不是 JSON Lines 文件：首行不是 JSON 对象。请每行填写一份报关数据（一个 JSON 对象）。",
        )


def start(ow: OneWindow, user: Principal, filename: str, data: bytes) -> UploadJob:
    job = UploadJob(secrets.token_urlsafe(18), user.org_id, user.user_id, filename, len(data), ow.clock.now())
    importer = BulkImporter(
        ow.engines,
        ow.committer,
        ow.agencies,
        user.org_id,
        user.actor,
        ow.clock.now().astimezone(CHINA).date(),
        user.uscc,
        batch=BATCH,
        risk=ow.risk,
    )

    def run() -> None:
        try:
            job.report = importer.run(_Counted(data, job))
            job.state = "done"
        except Exception as exc:  # the report says so; the lines stored so far stay stored
            log.exception("upload %s failed", job.id)
            job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"
        job.finished_at = ow.clock.now()

    jobs.add(job)
    threading.Thread(target=run, name=f"upload-{job.id[:8]}", daemon=True).start()
    return job


@router.get("/my/uploads")
def uploads(request: Request, visitor: Page, user: SignedIn) -> Response:
    declarant(user)
    return page(request, "declarant/uploads.html", recent=jobs.of(user.org_id), error=None, limit=MAX_BYTES)


@router.post("/my/uploads")
async def upload(request: Request, visitor: Page, user: SignedIn, posted: Form) -> Response:
    declarant(user)
    file = posted.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise _refuse("required", "Choose a JSON Lines file.", "请选择一个 JSON Lines 文件。")
        data = await file.read(MAX_BYTES + 1)
        check_file(data)
    except InvalidInput as bad:
        recent = jobs.of(user.org_id)
        return page(request, "declarant/uploads.html", status=422, recent=recent, error=bad, limit=MAX_BYTES)
    finally:
        await posted.close()
    job = start(request.app.state.onewindow, user, file.filename, data)
    return redirect(f"/my/uploads/{job.id}")


@router.get("/my/uploads/{job_id}")
def upload_page(request: Request, visitor: Page, user: SignedIn, job_id: str) -> Response:
    declarant(user)
    return page(request, "declarant/upload.html", job=jobs.get(job_id, user.org_id))


@router.get("/my/uploads/{job_id}/progress")
def progress(request: Request, visitor: Page, user: SignedIn, job_id: str) -> Response:
    """The progress bar and, once finished, the report (polled by the upload's page)."""
    declarant(user)
    return page(request, "declarant/_job.html", job=jobs.get(job_id, user.org_id))
