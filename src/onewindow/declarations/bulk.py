"""Bulk submission of a file of declarations (JSON Lines: one data set per line), streamed.

Memory stays flat whatever the file's size: lines are read, validated and committed in batches,
with at most two batches in flight. Each declaration is wholly stored or not at all; a line that
fails validation is reported with its line number and field errors and changes nothing. Every
line carries an idempotency key derived from its content, so re-running a file after fixing its
bad lines stores nothing twice.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from onewindow.agencies.registry import AgencyRegistry
from onewindow.documents.store import known_documents
from onewindow.kernel.errors import FieldError, InvalidInput, OneWindowError
from onewindow.persistence.committer import Committer
from onewindow.persistence.engine import Engines
from onewindow.risk.engine import RiskEngine

from .handlers import Receipt, SubmitDeclaration
from .validation import check, check_declarant, parse, problem

__all__ = ["ImportReport", "import_lines"]

MAX_REPORTED = 1000


@dataclass
class ImportReport:
    accepted: int = 0
    replayed: int = 0
    rejected: int = 0
    problems: list[tuple[int, list[FieldError]]] = field(default_factory=list)

    def reject(self, line_no: int, errors: list[FieldError]) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line_no, errors))

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "replayed": self.replayed,
            "rejected": self.rejected,
            "problems": [{"line": n, "errors": [e.as_dict() for e in errs]} for n, errs in self.problems],
        }


@dataclass
class BulkImporter:
    engines: Engines
    committer: Committer
    agencies: AgencyRegistry
    org_id: str
    actor: str
    today: date
    org_uscc: str | None
    batch: int = 1000
    check_only: bool = False
    progress: Callable[[int], None] | None = None
    shard: int = 0  # this importer takes the file's batches shard, shard + shards, …
    shards: int = 1
    # Declarations go to the committer in chunks of at most this many, two chunks in flight: a
    # parsed 10-item declaration holds about 25 KB, so this, not ``batch``, bounds the memory.
    chunk: int = 250
    report: ImportReport = field(default_factory=ImportReport)
    risk: RiskEngine | None = None

    def run(self, stream: BinaryIO) -> ImportReport:
        in_flight: deque[tuple[list[int], list[Future[Any]]]] = deque()
        for lines, ops in self._batches(stream):
            if self.check_only:
                continue
            # One chunk is written while the next is read and checked: the pipeline is full, and
            # at most two chunks are held in memory whatever the file's size.
            if in_flight:
                self._settle(*in_flight.popleft())
            in_flight.append((lines, self.committer.submit_all(ops)))
        while in_flight:
            self._settle(*in_flight.popleft())
        return self.report

    def _batches(self, stream: BinaryIO) -> Iterator[tuple[list[int], list[SubmitDeclaration]]]:
        lines: list[int] = []
        ops: list[SubmitDeclaration] = []
        read = 0
        for line_no, raw in enumerate(stream, 1):
            if ((line_no - 1) // self.batch) % self.shards != self.shard:
                continue
            read += len(raw)
            if self.progress and line_no % 256 == 0:
                self.progress(read)
                read = 0
            if not raw.strip():
                continue
            op = self._op(line_no, raw)
            if op is not None:
                lines.append(line_no)
                ops.append(op)
            if len(ops) >= min(self.batch, self.chunk):
                yield self._ready(lines, ops)
                lines, ops = [], []
        if ops:
            yield self._ready(lines, ops)
        if self.progress:
            self.progress(read)

    def _op(self, line_no: int, raw: bytes) -> SubmitDeclaration | None:
        try:
            data = parse(raw)
        except OneWindowError as exc:
            self.report.reject(
                line_no, exc.fields or [FieldError("$", exc.code, exc.message, exc.message_zh)]
            )
            return None
        errors = check(data, self.today) + check_declarant(data, self.org_uscc)
        if errors:
            self.report.reject(line_no, errors)
            return None
        digest = hashlib.sha256(raw.strip()).hexdigest()
        return SubmitDeclaration(
            self.org_id,
            self.actor,
            data,
            self.agencies.route(data),
            f"bulk:{digest[:48]}",
            digest,
            source_json=raw.strip(),
            keep_in_memo=False,
            risk=self.risk,
        )

    def _ready(
        self, lines: list[int], ops: list[SubmitDeclaration]
    ) -> tuple[list[int], list[SubmitDeclaration]]:
        """A chunk as the committer takes it: unknown documents refused, learned scores computed
        here, out of the write transaction, where another worker's writes can go on meanwhile."""
        lines, ops = self._known_documents(lines, ops)
        if self.risk is not None and ops:
            for op, scored in zip(ops, self.risk.score_ahead([op.data for op in ops]), strict=True):
                op.scored = scored
        return lines, ops

    def _known_documents(
        self, lines: list[int], ops: list[SubmitDeclaration]
    ) -> tuple[list[int], list[SubmitDeclaration]]:
        hashes = {d.sha256 for op in ops for d in op.data.documents}
        if not hashes:
            return lines, ops
        with self.engines.read.connect() as conn:
            known = known_documents(conn, self.org_id, hashes)
        kept_lines, kept_ops = [], []
        for n, op in zip(lines, ops, strict=True):
            missing = [
                problem(f"documents[{i}].sha256", "document_unknown", x=d.sha256)
                for i, d in enumerate(op.data.documents)
                if d.sha256 not in known
            ]
            if missing:
                self.report.reject(n, missing)
            else:
                kept_lines.append(n)
                kept_ops.append(op)
        return kept_lines, kept_ops

    def _settle(self, lines: list[int], futures: list[Future[Any]]) -> None:
        for n, fut in zip(lines, futures, strict=True):
            try:
                receipt: Receipt = fut.result()
            except InvalidInput as exc:
                self.report.reject(n, exc.fields)
                continue
            except OneWindowError as exc:
                self.report.reject(n, [FieldError("$", exc.code, exc.message, exc.message_zh)])
                continue
            if receipt.replayed:
                self.report.replayed += 1
            else:
                self.report.accepted += 1


def import_lines(importer: BulkImporter, path: Path) -> ImportReport:
    with path.open("rb") as stream:
        return importer.run(stream)
