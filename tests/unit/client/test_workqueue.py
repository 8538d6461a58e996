"""WorkQueue: client-go's rules (dedup, never twice at once, re-add after done), delays, backoff."""

from __future__ import annotations

import asyncio

import pytest

from kubesvc.aio.clock import FakeClock
from kubesvc.client.workqueue import (
    BucketRateLimiter,
    ItemExponentialRateLimiter,
    ShutDownError,
    WorkQueue,
)


def make_queue() -> tuple[WorkQueue[str], FakeClock]:
    clock = FakeClock()
    return WorkQueue("test", clock=clock), clock


def drain(q: WorkQueue[str]) -> list[str]:
    out = []
    while (k := q.get_nowait()) is not None:
        out.append(k)
    return out


def test_fifo_order_and_duplicates_merged() -> None:
    q, _ = make_queue()
    for k in ["a", "b", "a", "c", "b", "a"]:
        q.add(k)
    assert len(q) == 3
    assert drain(q) == ["a", "b", "c"]


def test_key_being_processed_is_not_handed_out_again_until_done() -> None:
    q, _ = make_queue()
    q.add("a")
    assert q.get_nowait() == "a"
    q.add("a")  # changed while being processed
    q.add("a")
    assert q.get_nowait() is None, "must not hand out a key that is being processed"
    q.done("a")
    assert q.get_nowait() == "a", "re-added while processing: processed again after done"
    q.done("a")
    assert q.get_nowait() is None


def test_done_without_readd_does_not_requeue() -> None:
    q, _ = make_queue()
    q.add("a")
    assert q.get_nowait() == "a"
    q.done("a")
    assert len(q) == 0


def test_add_after_waits_for_the_clock_and_keeps_earliest() -> None:
    q, clock = make_queue()
    q.add_after("a", 10)
    q.add_after("a", 5)  # earlier wins
    q.add_after("a", 20)  # later is ignored
    clock.advance(4.9)
    assert len(q) == 0
    clock.advance(0.1)
    assert drain(q) == ["a"]
    clock.advance(100)
    assert len(q) == 0, "the superseded timers must not add the key again"


def test_add_after_nonpositive_adds_now() -> None:
    q, _ = make_queue()
    q.add_after("a", 0)
    assert drain(q) == ["a"]


def test_item_exponential_backoff_sequence() -> None:
    rl: ItemExponentialRateLimiter[str] = ItemExponentialRateLimiter(0.005, 1000.0)
    delays = [rl.when("k") for _ in range(20)]
    assert delays[:5] == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])
    assert delays[-1] == 1000.0
    assert rl.num_requeues("k") == 20
    assert rl.when("other") == pytest.approx(0.005), "per item"
    rl.forget("k")
    assert rl.num_requeues("k") == 0
    assert rl.when("k") == pytest.approx(0.005)


def test_bucket_limits_overall_rate_after_burst() -> None:
    clock = FakeClock()
    rl: BucketRateLimiter[str] = BucketRateLimiter(clock, qps=10, burst=100)
    assert all(rl.when(str(i)) == 0 for i in range(100))
    assert rl.when("x") == pytest.approx(0.1)
    assert rl.when("y") == pytest.approx(0.2)
    clock.advance(10)
    assert rl.when("z") == 0


def test_rate_limited_readd_uses_per_item_backoff() -> None:
    q, clock = make_queue()
    q.add("k")
    assert q.get_nowait() == "k"
    q.add_rate_limited("k")
    q.done("k")
    assert q.num_requeues("k") == 1
    assert len(q) == 0
    clock.advance(0.005)
    assert q.get_nowait() == "k"
    q.add_rate_limited("k")
    q.done("k")
    clock.advance(0.009)
    assert len(q) == 0, "second failure waits 10 ms"
    clock.advance(0.001)
    assert q.get_nowait() == "k"
    q.forget("k")
    assert q.num_requeues("k") == 0


async def test_get_waits_and_shutdown_wakes_getters() -> None:
    q, _ = make_queue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.add("a")
    assert await asyncio.wait_for(getter, 10) == "a"
    waiting = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.shutdown()
    with pytest.raises(ShutDownError):
        await asyncio.wait_for(waiting, 10)
    q.add("b")
    assert len(q) == 0, "no adds after shutdown"


async def test_concurrent_workers_never_share_a_key() -> None:
    q: WorkQueue[str] = WorkQueue("conc")
    active: set[str] = set()
    seen: list[str] = []
    violations: list[str] = []

    async def worker() -> None:
        while True:
            try:
                k = await q.get()
            except ShutDownError:
                return
            if k in active:
                violations.append(k)
            active.add(k)
            await asyncio.sleep(0)
            seen.append(k)
            active.discard(k)
            q.done(k)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for i in range(200):
        q.add(f"k{i % 7}")
        if i % 3 == 0:
            await asyncio.sleep(0)
    for _ in range(50):
        await asyncio.sleep(0)
    q.shutdown()
    await asyncio.gather(*workers)
    assert not violations
    assert set(seen) == {f"k{i}" for i in range(7)}
