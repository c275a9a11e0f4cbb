"""Stopping background tasks for certain.

Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that lands just as the awaited
future completes (fixed in 3.12): a task looping over ``wait_for`` then carries on as if nothing
happened, and ``task.cancel(); await task`` waits for ever. So cancellation is repeated until the
tasks are done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel the tasks, again every 0.1 s, until every one is done (at most about ten seconds,
    after which the ones left are abandoned: a stop must not hang)."""
    pending = {t for t in tasks if not t.done()}
    for _ in range(100):
        if not pending:
            return
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
