"""Stopping a task that swallows a cancellation (what Python 3.11's wait_for can do)."""

from __future__ import annotations

import asyncio

from onewindow.kernel.tasks import cancel_and_wait


async def test_a_task_that_swallows_the_first_cancellation_is_still_stopped() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed == 1:
                    continue  # as wait_for does when the cancellation lands as it completes
                raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait([task]), 5)
    assert task.cancelled()
    assert swallowed == 2


async def test_done_tasks_are_left_alone() -> None:
    async def quick() -> int:
        return 1

    task = asyncio.create_task(quick())
    await task
    await cancel_and_wait([task])
    assert task.result() == 1
