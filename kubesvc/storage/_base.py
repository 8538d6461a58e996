"""What every backend shares: the convenience writers built on `txn`, and the pure MVCC rules
(which revision a read or compaction may name, compare evaluation, applying a put or delete to a
key's latest version, prefix ranges)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from kubesvc.storage.interface import (
    CompactedError,
    Compare,
    Delete,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Op,
    Put,
    RevisionMismatchError,
    StoreError,
    TxnResult,
    WatchEvent,
)
from kubesvc.storage.watch import EventLog, Watcher


def prefix_end(prefix: str) -> str | None:
    """The smallest key greater than every key that starts with `prefix` (None: no upper bound)."""
    chars = list(prefix)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            chars[-1] = chr(last + 1)
            return "".join(chars)
        chars.pop()
    return None


def compare_holds(cmp: Compare, kv: KeyValue | None) -> bool:
    if kv is None:
        actual = 0
    elif cmp.target == "mod_revision":
        actual = kv.mod_revision
    elif cmp.target == "create_revision":
        actual = kv.create_revision
    else:
        actual = kv.version
    if cmp.op == "=":
        return actual == cmp.value
    if cmp.op == "!=":
        return actual != cmp.value
    if cmp.op == "<":
        return actual < cmp.value
    return actual > cmp.value


def resolve_revision(revision: int, current: int, compacted: int) -> int:
    """The revision a read asked for `revision` is served at: the current one for 0 (or less),
    else `revision` itself, which may be neither in the future nor compacted away."""
    if revision <= 0:
        return current
    if revision > current:
        raise FutureRevisionError(revision, current)
    if revision < compacted:
        raise CompactedError(revision, compacted)
    return revision


def check_compaction(revision: int, current: int, compacted: int) -> None:
    """A compaction to `revision` must move the compacted revision forward, not past the present."""
    if revision > current:
        raise FutureRevisionError(revision, current)
    if revision <= compacted:
        raise CompactedError(revision, compacted)


def check_ops(ops: Sequence[Op]) -> None:
    """etcd refuses a transaction that touches one key twice; so do we."""
    seen: set[str] = set()
    for op in ops:
        if not isinstance(op, Put | Delete):
            raise TypeError(f"unsupported txn op: {op!r}")
        if isinstance(op, Put) and not isinstance(op.value, bytes):
            raise TypeError(f"value of {op.key} must be bytes, not {type(op.value).__name__}")
        if op.key in seen:
            raise ValueError(f"duplicate key given in txn request: {op.key}")
        seen.add(op.key)


def apply_op(op: Op, current: KeyValue | None, revision: int) -> tuple[KeyValue, WatchEvent] | None:
    """The new version of `op.key` (a tombstone for a delete: version 0, the last value) and its
    event, or None when the op changes nothing (delete of an absent key)."""
    if isinstance(op, Put):
        if current is None:
            kv = KeyValue(op.key, op.value, revision, revision, 1)
        else:
            kv = KeyValue(op.key, op.value, current.create_revision, revision, current.version + 1)
        return kv, WatchEvent("PUT", kv, current)
    if current is None:
        return None
    tomb = KeyValue(op.key, current.value, current.create_revision, revision, 0)
    return tomb, WatchEvent("DELETE", tomb, current)


class StoreBase:
    """`create`, `update`, `delete` as transactions, watches served from the event log, and
    periodic compaction: the same for every backend."""

    _compactor: asyncio.Task[None] | None = None
    _closed = False
    # set by each backend: the log of recent events and the compacted revision (as the event
    # loop sees it); `_history` reads what the log no longer holds
    _log: EventLog
    _compacted: int

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("store is closed")

    async def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnResult:
        raise NotImplementedError

    async def current_revision(self) -> int:
        raise NotImplementedError

    async def compacted_revision(self) -> int:
        return self._compacted

    def watch(self, prefix: str, *, start_revision: int) -> Watcher:
        self._check_open()
        return Watcher(self._log, prefix, start_revision, self._history, lambda: self._compacted)

    async def _history(self, prefix: str, from_rev: int, max_revs: int) -> tuple[list[WatchEvent], int]:
        raise NotImplementedError

    async def compact(self, revision: int) -> None:
        raise NotImplementedError

    def start_background_compaction(
        self, interval_s: float = 300.0, keep_revisions: int = 10_000
    ) -> asyncio.Task[None]:
        """Compact every `interval_s` seconds, keeping at least the last `keep_revisions`
        revisions and at least everything written since the previous tick.

        Upstream kube-apiserver compacts every 5 minutes to the revision it saw 5 minutes earlier;
        we keep the more generous of that and a revision count, so a burst of writes does not
        leave watchers that are a few seconds behind with 410 Gone.  Stopped by `close()`.
        """
        if self._compactor is None or self._compactor.done():
            self._compactor = asyncio.get_running_loop().create_task(
                self._compact_forever(interval_s, keep_revisions), name="kubesvc-store-compactor"
            )
        return self._compactor

    async def stop_background_compaction(self) -> None:
        task, self._compactor = self._compactor, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _compact_forever(self, interval_s: float, keep_revisions: int) -> None:
        previous = await self.current_revision()
        while True:
            await asyncio.sleep(interval_s)
            current = await self.current_revision()
            await self.compact_once(min(previous, current - keep_revisions))
            previous = current

    async def compact_once(self, target: int) -> bool:
        """Compact to `target` if that moves the compacted revision forward; True if it did."""
        if target <= await self.compacted_revision():
            return False
        try:
            await self.compact(target)
        except CompactedError:  # a concurrent compaction got there first
            return False
        return True

    async def create(self, key: str, value: bytes) -> int:
        res = await self.txn([Compare(key, "mod_revision", "=", 0)], [Put(key, value)])
        if not res.succeeded:
            raise KeyExistsError(key)
        return res.revision

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        res = await self.txn([_guard(key, expected_revision)], [Put(key, value)])
        if not res.succeeded:
            _raise_guard_failure(key, expected_revision, res.current.get(key))
        return res.revision

    async def delete(self, key: str, *, expected_revision: int = 0) -> tuple[int, KeyValue]:
        # The compare list always holds the key, so `current` carries the value being deleted.
        res = await self.txn([_guard(key, expected_revision)], [Delete(key)])
        if not res.succeeded:
            _raise_guard_failure(key, expected_revision, res.current.get(key))
        last = res.current.get(key)
        assert last is not None
        return res.revision, last


def _guard(key: str, expected_revision: int) -> Compare:
    if expected_revision:
        return Compare(key, "mod_revision", "=", expected_revision)
    return Compare(key, "mod_revision", ">", 0)  # the key exists


def _raise_guard_failure(key: str, expected: int, current: KeyValue | None) -> None:
    if current is None:
        raise KeyNotFoundError(key)
    raise RevisionMismatchError(key, expected, current.mod_revision)
