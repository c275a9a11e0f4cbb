"""Event ids are unique across processes, including forked ones (bulk import workers)."""

from __future__ import annotations

import multiprocessing

from onewindow.kernel.messages import new_event_id


def _ids(q: multiprocessing.SimpleQueue[list[str]]) -> None:
    q.put([new_event_id() for _ in range(1000)])


def test_forked_processes_never_repeat_their_parents_event_ids() -> None:
    ctx = multiprocessing.get_context("fork")
    q: multiprocessing.SimpleQueue[list[str]] = ctx.SimpleQueue()
    procs = [ctx.Process(target=_ids, args=(q,)) for _ in range(3)]
    for p in procs:
        p.start()
    ids = [i for _ in procs for i in q.get()] + [new_event_id() for _ in range(1000)]
    for p in procs:
        p.join(10)
    assert len(ids) == len(set(ids)) == 4000
    assert all(len(i) == 32 for i in ids)
