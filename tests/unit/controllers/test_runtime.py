"""Controller runtime: sync retries with rate-limited backoff, forget on success, drop after max."""

from __future__ import annotations

import asyncio

from kubesvc.aio.clock import FakeClock
from kubesvc.controllers.runtime import Controller


class Flaky(Controller):
    name = "test-flaky"

    def __init__(self, failures: int, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.failures = failures
        self.calls: list[str] = []

    async def sync(self, key: str) -> None:
        self.calls.append(key)
        if len(self.calls) <= self.failures:
            raise RuntimeError("boom")


async def step(ctrl: Controller) -> bool:
    key = ctrl.queue.get_nowait()
    assert key is not None
    return await ctrl.process(key)


async def test_failed_sync_is_retried_with_exponential_delay_then_forgotten() -> None:
    clock = FakeClock()
    ctrl = Flaky(3, clock=clock)
    ctrl.enqueue("ns/a")
    assert not await step(ctrl)
    assert ctrl.queue.num_requeues("ns/a") == 1
    assert len(ctrl.queue) == 0
    clock.advance(0.005)
    assert not await step(ctrl)
    clock.advance(0.009)
    assert len(ctrl.queue) == 0, "second retry waits 10 ms"
    clock.advance(0.001)
    assert not await step(ctrl)
    clock.advance(0.02)
    assert await step(ctrl)
    assert ctrl.queue.num_requeues("ns/a") == 0, "success forgets the failures"
    assert ctrl.calls == ["ns/a"] * 4


async def test_key_dropped_after_max_retries() -> None:
    clock = FakeClock()
    ctrl = Flaky(100, clock=clock, max_retries=2)
    ctrl.enqueue("k")
    for _ in range(3):
        await step(ctrl)
        clock.advance(10)
    assert len(ctrl.queue) == 0 and ctrl.queue.waiting() == 0
    assert ctrl.calls == ["k"] * 3


async def test_run_processes_keys_with_workers_until_cancelled() -> None:
    ctrl = Flaky(0, workers=3)
    task = asyncio.create_task(ctrl.run())
    for k in ("a", "b", "c", "a"):
        ctrl.enqueue(k)
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sorted(ctrl.calls) == ["a", "b", "c"]
    assert ctrl.queue.shutting_down
