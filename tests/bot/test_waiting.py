"""A background worker parked in ``wait_at_most`` ends when it is stopped, whenever that is."""

from __future__ import annotations

import asyncio

import pytest

from bot.waiting import wait_at_most


async def test_a_wake_up_ends_the_wait_early() -> None:
    wake = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, wake.set)
    assert await wait_at_most(5.0, wake.wait()) is True


async def test_without_a_wake_up_the_wait_ends_after_its_time() -> None:
    assert await wait_at_most(0.01, asyncio.Event().wait()) is False


@pytest.mark.parametrize("turns", range(6))
async def test_a_worker_stopped_as_it_is_woken_ends(turns: int) -> None:
    """The stop lands 0..5 loop turns after the wake-up: whichever turn, the worker ends."""
    wake = asyncio.Event()

    async def worker() -> None:
        while True:
            wake.clear()
            await wait_at_most(0.5, wake.wait())

    task = asyncio.create_task(worker())
    await asyncio.sleep(0.01)  # parked in the wait
    wake.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2.0)
    try:
        assert done == {task}, "the worker went on after it was cancelled"
        assert task.cancelled()
    finally:
        while not task.done():  # do not leave it running for the next test
            task.cancel()
            await asyncio.sleep(0.01)
