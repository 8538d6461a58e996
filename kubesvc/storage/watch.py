"""Watch fan-out shared by the Store backends: one event log, many cheap watchers.

Theory of operation
-------------------
Every committed revision is appended once to an `EventLog`: a ring of the most recent revisions
(`rev -> events of that revision`, contiguous, no holes).  A writer never waits for a watcher: it
appends and wakes the sleepers, nothing else.  There are no per-watcher queues; each `Watcher`
owns a cursor (`next revision to deliver`) and a small private buffer of at most one batch.

A watcher whose cursor is inside the ring copies the matching events from it.  A watcher whose
cursor is older than the ring (a watch that starts in the past, or a consumer that fell behind
while writers raced on) reads the missing revisions from the backend's MVCC history in chunks
(`HistoryReader`) and then rejoins the ring.  Because the cursor is a revision number and the
revisions are contiguous, the hand-over between history and ring can neither drop nor repeat an
event, whatever the writers do meanwhile.  A history read below the compacted revision raises
`CompactedError`, which ends the watch (the API maps it to 410 Gone; the client re-lists).

Memory cost is the ring (shared) plus one batch per watcher, so hundreds of watchers are cheap and
a slow watcher costs nothing but its own history reads.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from kubesvc.storage.interface import CompactedError, WatchEvent

# How many revisions a watcher copies out of the ring / history per step.
BATCH_REVISIONS = 512


class HistoryReader(Protocol):
    def __call__(self, prefix: str, from_rev: int, max_revs: int) -> Awaitable[tuple[list[WatchEvent], int]]:
        """Events under `prefix` with `from_rev <= revision <= through`, in revision order, and
        `through` (>= from_rev - 1): the last revision the answer covers.  Raises CompactedError."""
        ...


class EventLog:
    """The recent revisions, in order, for the watchers to read.  Loop-thread only."""

    def __init__(self, revision: int, capacity: int | None = None) -> None:
        self._entries: dict[int, tuple[WatchEvent, ...]] = {}
        self.first_rev = revision + 1  # oldest revision held (== last_rev + 1 when empty)
        self.last_rev = revision  # newest revision appended
        self.capacity = capacity  # None: unbounded (trimmed only by `trim_below`)
        self.closed = False
        self._changed = asyncio.Event()
        self.watchers = 0

    def append(self, revision: int, events: Iterable[WatchEvent]) -> None:
        """Record one committed revision; call `notify()` after a batch of appends."""
        if revision != self.last_rev + 1:
            raise ValueError(f"event log out of order: got revision {revision} after {self.last_rev}")
        self._entries[revision] = tuple(events)
        self.last_rev = revision
        if self.capacity is not None:
            while self.last_rev - self.first_rev + 1 > self.capacity:
                del self._entries[self.first_rev]
                self.first_rev += 1

    def trim_below(self, revision: int) -> None:
        """Forget revisions older than `revision` (compaction)."""
        while self.first_rev < revision and self.first_rev <= self.last_rev:
            del self._entries[self.first_rev]
            self.first_rev += 1

    def notify(self) -> None:
        """Wake every sleeping watcher (after appends, on close, when a watcher closes)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def close(self) -> None:
        self.closed = True
        self.notify()

    def events(self, from_rev: int, to_rev: int) -> Iterable[tuple[int, tuple[WatchEvent, ...]]]:
        for rev in range(from_rev, to_rev + 1):
            yield rev, self._entries[rev]

    async def wait_changed(self) -> None:
        await self._changed.wait()


class Watcher:
    """An async iterator of the WatchEvents under one prefix from one revision on.

    `aclose()` (or the store's `close()`) ends it; so does dropping the last reference, since it
    holds nothing but a cursor.
    """

    def __init__(
        self,
        log: EventLog,
        prefix: str,
        start_revision: int,
        history: HistoryReader,
        compacted: Callable[[], int],
    ) -> None:
        self._log = log
        self._prefix = prefix
        # 0 means "only changes after now"; now is the newest revision in the log.
        self._next = start_revision if start_revision > 0 else log.last_rev + 1
        self._start = start_revision
        self._history = history
        self._compacted = compacted
        self._buf: deque[WatchEvent] = deque()
        self._started = False
        self._closed = False
        log.watchers += 1

    @property
    def next_revision(self) -> int:
        """The revision the watcher will deliver from next (its cursor)."""
        return self._next

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> WatchEvent:
        if not self._started:
            self._started = True
            compacted = self._compacted()
            if self._start > 0 and self._start < compacted:
                self._finish()
                raise CompactedError(self._start, compacted)
        while True:
            if self._buf:
                return self._buf.popleft()
            if self._closed or self._log.closed:
                self._finish()
                raise StopAsyncIteration
            log = self._log
            if self._next <= log.last_rev:
                if self._next >= log.first_rev:
                    self._copy_from_ring(min(log.last_rev, self._next + BATCH_REVISIONS - 1))
                else:
                    try:
                        events, through = await self._history(self._prefix, self._next, BATCH_REVISIONS)
                    except BaseException:
                        self._finish()
                        if self._log.closed:  # the store closed under the read: a clean end
                            raise StopAsyncIteration from None
                        raise
                    self._buf.extend(events)
                    self._next = max(self._next, through + 1)
                continue
            await log.wait_changed()

    def poll(self) -> list[WatchEvent] | None:
        """Without waiting: every event under the prefix committed after the cursor, up to the
        newest revision of the log (so, for the in-process backends, every write acknowledged so
        far).  None when memory cannot answer: the cursor fell behind the ring (or below a
        compaction), or the watch has ended; the caller then starts over from a list.

        For a consumer that reads only when it needs to be current (an admission cache), not
        mixed with `async for` on the same watcher."""
        if self._closed or self._log.closed:
            return None
        if not self._started:
            if self._start > 0 and self._start < self._compacted():
                return None
            self._started = True
        log = self._log
        if self._next <= log.last_rev:
            if self._next < log.first_rev:
                return None
            self._copy_from_ring(log.last_rev)
        out = list(self._buf)
        self._buf.clear()
        return out

    def _copy_from_ring(self, to_rev: int) -> None:
        prefix = self._prefix
        for _, events in self._log.events(self._next, to_rev):
            for ev in events:
                if ev.kv.key.startswith(prefix):
                    self._buf.append(ev)
        self._next = to_rev + 1

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            self._log.watchers -= 1

    async def aclose(self) -> None:
        if not self._closed:
            self._finish()
            self._buf.clear()
            self._log.notify()  # a concurrent __anext__ sleeping on the log sees _closed

    def __del__(self) -> None:
        if not self._closed:
            self._closed = True
            self._log.watchers -= 1
