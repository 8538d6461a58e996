"""A work queue with client-go's rules (util/workqueue/doc.go), plus delays and rate limiting.

Theory of operation
-------------------
Three sets hold a key: `queue` (waiting to be handed out, fair FIFO order), `dirty` (needs
processing) and `processing` (handed out by `get`, not yet `done`).

- `add(key)`: a key already dirty is merged (one entry however many adds); a key being
  processed is only marked dirty and goes back into the queue when its worker calls `done`.
  So a key is never handed to two workers at once, and a change arriving while a key is being
  processed is never lost.
- `add_after(key, delay)`: the key is added when the clock reaches now+delay; a key already
  waiting keeps the earlier time.
- `add_rate_limited(key)`: `add_after` with the rate limiter's delay.  The default limiter is
  client-go's `DefaultControllerRateLimiter`: the larger of a per-key exponential delay (5 ms
  doubling per failure up to 1000 s) and an overall token bucket (10 per second, burst 100).
  `forget(key)` resets the key's failures; `num_requeues(key)` counts them.
- `shutdown()`: no more adds; `get()` raises `ShutDownError` once the queue is empty.

The clock is injectable (`kubesvc.aio.clock`), so tests run without sleeping.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from prometheus_client import Counter, Gauge

from kubesvc.aio.clock import Clock, LoopClock, TimerHandle

K = TypeVar("K", bound=Hashable)

QUEUE_DEPTH = Gauge("kubesvc_workqueue_depth", "Current depth of the work queue.", ["name"])
QUEUE_ADDS = Counter("kubesvc_workqueue_adds_total", "Keys added to the work queue.", ["name"])
QUEUE_RETRIES = Counter("kubesvc_workqueue_retries_total", "Rate-limited re-adds.", ["name"])


class ShutDownError(Exception):
    """The queue was shut down and has nothing left to hand out."""


class RateLimiter(Protocol[K]):  # type: ignore[misc]
    def when(self, key: K) -> float: ...

    def forget(self, key: K) -> None: ...

    def num_requeues(self, key: K) -> int: ...


class ItemExponentialRateLimiter(Generic[K]):
    """base * 2**failures, capped at `maximum` (client-go ItemExponentialFailureRateLimiter)."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        self.base = base
        self.maximum = maximum
        self._failures: dict[K, int] = {}

    def when(self, key: K) -> float:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        if n > 62:  # avoid float overflow; anything this large is capped anyway
            return self.maximum
        return float(min(self.base * float(2**n), self.maximum))

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: K) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter(Generic[K]):
    """An overall token bucket: `qps` tokens per second, at most `burst` saved up."""

    def __init__(self, clock: Clock, qps: float = 10.0, burst: int = 100) -> None:
        self.clock = clock
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None

    def when(self, key: K) -> float:
        now = self.clock.now()
        if self._last is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0  # reserve one token, possibly going into debt
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: K) -> None:
        pass

    def num_requeues(self, key: K) -> int:
        return 0


class MaxOfRateLimiter(Generic[K]):
    """The longest delay of several limiters (client-go MaxOfRateLimiter)."""

    def __init__(self, *limiters: RateLimiter[K]) -> None:
        self.limiters = limiters

    def when(self, key: K) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: K) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock) -> MaxOfRateLimiter[K]:
    return MaxOfRateLimiter(ItemExponentialRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10.0, 100))


class WorkQueue(Generic[K]):
    """Rate-limited, delaying, de-duplicating work queue for one asyncio loop."""

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        rate_limiter: RateLimiter[K] | None = None,
    ) -> None:
        self.name = name
        self.clock: Clock = clock or LoopClock()
        self.rate_limiter: RateLimiter[K] = rate_limiter or default_controller_rate_limiter(self.clock)
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiting: dict[K, tuple[float, TimerHandle]] = {}
        self._shutting_down = False
        self._getters: deque[asyncio.Future[None]] = deque()

    # -- adding ------------------------------------------------------------------------------

    def add(self, key: K) -> None:
        if self._shutting_down:
            return
        if key in self._dirty:
            return
        QUEUE_ADDS.labels(self.name).inc()
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._update_depth()
        self._wake_one()

    def add_after(self, key: K, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self.clock.now() + delay
        waiting = self._waiting.get(key)
        if waiting is not None:
            if waiting[0] <= ready_at:
                return
            waiting[1].cancel()

        def fire() -> None:
            current = self._waiting.get(key)
            if current is not None and current[0] == ready_at:
                del self._waiting[key]
            self.add(key)

        self._waiting[key] = (ready_at, self.clock.call_later(delay, fire))

    def add_rate_limited(self, key: K) -> None:
        QUEUE_RETRIES.labels(self.name).inc()
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)

    # -- taking ------------------------------------------------------------------------------

    def get_nowait(self) -> K | None:
        """The next key, or None when none is ready (raises ShutDownError when shut down)."""
        if not self._queue:
            if self._shutting_down:
                raise ShutDownError(self.name)
            return None
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        self._update_depth()
        return key

    async def get(self) -> K:
        while True:
            key = self.get_nowait()
            if key is not None:
                return key
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                # pass a wake-up we may have consumed on to another getter
                if fut.done() and not fut.cancelled() and self._queue:
                    self._wake_one()
                raise

    def done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._update_depth()
            self._wake_one()

    def shutdown(self) -> None:
        self._shutting_down = True
        for _, handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def len(self) -> int:
        return len(self._queue)

    def __len__(self) -> int:
        return len(self._queue)

    def is_processing(self, key: K) -> bool:
        return key in self._processing

    def waiting(self) -> int:
        """Keys scheduled by add_after that are not yet added."""
        return len(self._waiting)

    # -- internals ---------------------------------------------------------------------------

    def _wake_one(self) -> None:
        while self._getters:
            fut = self._getters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def _update_depth(self) -> None:
        QUEUE_DEPTH.labels(self.name).set(len(self._queue))
