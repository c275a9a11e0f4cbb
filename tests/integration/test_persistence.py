"""The same repositories and committer on SQLite and on PostgreSQL (each test runs on both)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from onewindow.agencies.registry import discover
from onewindow.declarations import repository
from onewindow.declarations.handlers import DecideDossier, SubmitDeclaration
from onewindow.declarations.tables import declarations, dossiers
from onewindow.declarations.validation import parse_and_check
from onewindow.demo import samples
from onewindow.kernel.clock import SystemClock
from onewindow.kernel.errors import IdempotencyKeyReused
from onewindow.persistence.committer import Committer, Transaction
from onewindow.persistence.engine import Engines, create_engines
from onewindow.persistence.outbox import events

AGENCIES = discover()
RNG = random.Random(11)
USCC = samples.uscc_code(RNG)


def submission(key: str | None = None, body_hash: str = "h", **kwargs: Any) -> SubmitDeclaration:
    raw = samples.goods_declaration(
        RNG, consignee_uscc=USCC, declarant_uscc=USCC, today=datetime.now(UTC).date(), **kwargs
    )
    data = parse_and_check(orjson.dumps(raw), datetime.now(UTC).date())
    return SubmitDeclaration("org-a", "user:a", data, AGENCIES.route(data), key, body_hash)


def count(engines: Engines, table: sa.Table) -> int:
    with engines.read.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_declaration_is_stored_whole_with_its_dossiers_and_events(
    engines: Engines, committer: Committer
) -> None:
    op = submission(commodities=[samples.COMMODITIES[9]])  # chilled beef: customs and quarantine
    receipt = committer.run_sync(op)
    with engines.read.connect() as conn:
        loaded = repository.load(conn, receipt.number)
    assert loaded.data == op.data
    assert set(loaded.dossiers) == {"customs", "quarantine"}
    with engines.read.connect() as conn:
        types = conn.execute(sa.select(events.c.type).order_by(events.c.seq)).scalars().all()
    # submitted, a dossier per agency, and each agency's rules on receipt: customs releases,
    # quarantine samples the meat, so the declaration is under inspection
    decisive = [t for t in types if t != "DeclarationStatusChanged"]
    assert sorted(decisive) == [
        "DeclarationSubmitted",
        "DossierDecided",
        "DossierDecided",
        "DossierOpened",
        "DossierOpened",
    ]
    # without an invoice customs asks for it; quarantine samples the meat: the declarant must act
    assert "DeclarationStatusChanged" in types and loaded.status.value == "action_required"


@contextmanager
def two_writers(engines: Engines, db_url: str) -> Iterator[list[Committer]]:
    """Two group committers on their own engines, as two processes would have."""
    second = create_engines(db_url)
    writers = [Committer(engines.write, SystemClock()), Committer(second.write, SystemClock())]
    for w in writers:
        w.start()
    try:
        yield writers
    finally:
        for w in writers:
            w.stop()
        second.dispose()


def in_threads(calls: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
    threads = [threading.Thread(target=fn, args=args) for fn, args in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_numbers_are_unique_per_office_and_year_and_gapless_under_concurrency(
    engines: Engines, db_url: str
) -> None:
    """Two writers (as two processes would be) submit at once to the same office."""
    numbers: list[str] = []
    lock = threading.Lock()

    def drive(w: Committer) -> None:
        futures = [w.submit(submission(office="3301")) for _ in range(60)]
        got = [f.result(30).number for f in futures]
        with lock:
            numbers.extend(got)

    with two_writers(engines, db_url) as writers:
        in_threads([(drive, (w,)) for w in writers for _ in range(2)])
    assert len(numbers) == len(set(numbers)) == 240
    serials = sorted(int(n[-9:]) for n in numbers)
    assert serials == list(range(1, 241))
    assert all(n.startswith("3301") and len(n) == 18 for n in numbers)


def test_batches_of_several_offices_from_two_writers_number_each_office_without_gaps(
    engines: Engines, db_url: str
) -> None:
    """Each writer's batches mix three offices, in opposite orders: every office's serials are
    taken in one statement per batch, rows locked in office order, so neither writer waits on the
    other in a circle (PostgreSQL would abort one as a deadlock)."""
    offices = ["3300", "3301", "3302"]
    numbers: list[str] = []
    lock = threading.Lock()

    def drive(w: Committer, order: list[str]) -> None:
        ops = [submission(office=order[i % 3]) for i in range(90)]
        got = [f.result(30).number for f in w.submit_all(ops[:45]) + w.submit_all(ops[45:])]
        with lock:
            numbers.extend(got)

    with two_writers(engines, db_url) as writers:
        in_threads([(drive, (w, offices if k == 0 else offices[::-1])) for k, w in enumerate(writers)])
    assert len(numbers) == len(set(numbers)) == 180
    for office in offices:
        serials = sorted(int(n[-9:]) for n in numbers if n.startswith(office))
        assert serials == list(range(1, 61))


def test_an_operation_that_fails_changes_nothing_and_spares_its_batch(
    engines: Engines, committer: Committer
) -> None:
    class Explodes:
        def run(self, tx: Transaction) -> None:
            tx.conn.execute(declarations.delete())
            raise RuntimeError("boom")

    ok = committer.submit(submission())
    bad = committer.submit(Explodes())
    ok2 = committer.submit(submission())
    assert ok.result(10).number != ok2.result(10).number
    with pytest.raises(RuntimeError):
        bad.result(10)
    assert count(engines, declarations) == 2


def test_an_idempotency_key_returns_the_first_result_and_refuses_another_body(
    engines: Engines, committer: Committer
) -> None:
    first = committer.run_sync(submission("key-1", "hash-1"))
    again = committer.run_sync(submission("key-1", "hash-1"))
    assert again.number == first.number and again.replayed
    same_batch = [committer.submit(submission("key-2", "hash-2")) for _ in range(5)]
    assert len({f.result(10).number for f in same_batch}) == 1
    with pytest.raises(IdempotencyKeyReused):
        committer.run_sync(submission("key-1", "other-hash"))
    assert count(engines, declarations) == 2


def test_concurrent_releases_by_two_agencies_announce_one_release(engines: Engines, db_url: str) -> None:
    """Customs and quarantine release at the same moment through two writers: one release."""
    with two_writers(engines, db_url) as writers:
        numbers = [
            writers[0].run_sync(submission(commodities=[samples.COMMODITIES[9]])).number for _ in range(20)
        ]
        futures = []
        for n in numbers:
            futures.append(
                writers[0].submit(DecideDossier(n, AGENCIES.get("customs"), "release", "ok", "user:c"))
            )
            futures.append(
                writers[1].submit(DecideDossier(n, AGENCIES.get("quarantine"), "release", "ok", "user:q"))
            )
        for f in futures:
            f.result(30)
    with engines.read.connect() as conn:
        released = (
            conn.execute(sa.select(events.c.number).where(events.c.type == "DeclarationReleased"))
            .scalars()
            .all()
        )
        statuses = set(conn.execute(sa.select(declarations.c.status)).scalars())
        states = set(conn.execute(sa.select(dossiers.c.state)).scalars())
    assert sorted(released) == sorted(numbers)
    assert statuses == {"released"} and states == {"released"}
