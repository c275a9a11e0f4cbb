"""The group committer's own behaviour: the SQLite writer lock (the committers of every process take
turns writing one file, and a writer that dies gives its turn back), and who is told of a commit."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onewindow.declarations.events import DossierOpened
from onewindow.kernel.clock import SystemClock
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.engine import Engines, WalCheckpointer, WriterLock, writer_lock
from tests.fixtures.database import make_engines

WAIT = 0.3  # long enough for a committer that was not blocked to have committed many times over


class Note:
    def __init__(self, text: str) -> None:
        self.text = text

    def run(self, tx: Transaction) -> str:
        tx.conn.execute(sa.text("INSERT INTO notes (text) VALUES (:t)"), {"t": self.text})
        return self.text


class NoteWithEvent(Note):
    def run(self, tx: Transaction) -> str:
        tx.emit([DossierOpened(number="OW-NOTE", org_id=None, occurred_at=tx.now, state="received")])
        return super().run(tx)


@pytest.fixture
def sqlite_engines(sqlite_url: str) -> Iterator[Engines]:
    engines = make_engines(sqlite_url)
    with engines.write.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (text TEXT)"))
    yield engines
    engines.dispose()


def lock_file(engines: Engines) -> Path:
    database = engines.write.url.database
    assert database
    return Path(f"{database}-writer.lock")


def test_a_committer_waits_for_another_writers_turn_then_commits(sqlite_engines: Engines) -> None:
    other = WriterLock(lock_file(sqlite_engines))
    committer = Committer(sqlite_engines.write, SystemClock())
    committer.start()
    try:
        with other:
            pending = committer.submit(Note("after the other writer"))
            time.sleep(WAIT)
            assert not pending.done()
        assert pending.result(5) == "after the other writer"
    finally:
        committer.stop()
        other.close()


def test_two_holders_of_one_file_take_turns(sqlite_engines: Engines) -> None:
    first, second = WriterLock(lock_file(sqlite_engines)), WriterLock(lock_file(sqlite_engines))
    order: list[str] = []

    def take_second() -> None:
        with second:
            order.append("second")

    with first:
        waiter = threading.Thread(target=take_second)
        waiter.start()
        time.sleep(WAIT)
        order.append("first done")
    waiter.join(5)
    assert order == ["first done", "second"]
    first.close()
    second.close()


def _hold_forever(path: str, held: multiprocessing.synchronize.Event) -> None:
    lock = WriterLock(Path(path))
    lock.__enter__()
    held.set()
    time.sleep(60)


def test_a_writer_killed_while_holding_its_turn_releases_it(sqlite_engines: Engines) -> None:
    ctx = multiprocessing.get_context("fork")
    held = ctx.Event()
    holder = ctx.Process(target=_hold_forever, args=(str(lock_file(sqlite_engines)), held), daemon=True)
    holder.start()
    assert held.wait(10)
    committer = Committer(sqlite_engines.write, SystemClock())
    committer.start()
    try:
        pending = committer.submit(Note("after a crash"))
        time.sleep(WAIT)
        assert not pending.done()
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(5)
        assert pending.result(5) == "after a crash"
    finally:
        committer.stop()
    with sqlite_engines.read.connect() as conn:
        assert conn.execute(sa.text("SELECT text FROM notes")).scalars().all() == ["after a crash"]


def test_only_a_sqlite_file_has_a_writer_lock(db_url: str) -> None:
    engines = make_engines(db_url)
    try:
        turn = writer_lock(engines.write)
        assert turn.exclusive == (engines.dialect == "sqlite")
        with turn:  # PostgreSQL's orders nothing, and taking it costs nothing
            pass
        turn.close()
        assert not turn.exclusive
    finally:
        engines.dispose()


def test_listeners_hear_of_commits_that_wrote_events_and_only_of_those(sqlite_engines: Engines) -> None:
    heard: list[int] = []
    committer = Committer(sqlite_engines.write, SystemClock(), on_commit=lambda: heard.append(1))
    committer.start()
    try:
        committer.run_sync(Note("no event"))
        committer.run_sync(Note("still none"))
        assert committer.commits == 2
        assert heard == []
        committer.run_sync(NoteWithEvent("an event"))
        assert heard == [1]
    finally:
        committer.stop()


def test_under_writes_that_never_pause_the_log_is_started_over(sqlite_engines: Engines) -> None:
    checkpointer = WalCheckpointer(sqlite_engines.read, interval=0.02, restart_bytes=256 << 10)
    checkpointer.start(sqlite_engines.write)
    committer = Committer(sqlite_engines.write, SystemClock())
    committer.start()
    wal = Path(f"{sqlite_engines.write.url.database}-wal")
    largest = 0
    try:
        deadline = time.monotonic() + 10
        written = 0
        while checkpointer.restarts < 2 and time.monotonic() < deadline:
            committer.submit_all([Note("x" * 2000) for _ in range(50)])[-1].result(5)
            written += 50
            largest = max(largest, wal.stat().st_size)
    finally:
        committer.stop()
        checkpointer.stop()
    assert checkpointer.restarts >= 2
    assert largest < 64 << 20  # a passive checkpoint alone let it grow without end
    with sqlite_engines.read.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM notes")).scalar() == written
