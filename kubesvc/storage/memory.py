"""The in-memory Store: the reference implementation of the contract and the test fake.

Same semantics as the SQLite backend (MVCC history, revisions, compaction, watch) in plain Python.
Every key keeps its versions (oldest first; a delete is a tombstone with version 0 that carries
the last value); a sorted key list serves prefix ranges; the watch event log is unbounded and is
trimmed only by compaction, so a watcher can always catch up unless history was compacted.
Operations never await between reading and writing state, so each is atomic on the event loop.
"""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Sequence
from typing import Any

from kubesvc.storage._base import (
    StoreBase,
    apply_op,
    check_compaction,
    check_ops,
    compare_holds,
    prefix_end,
    resolve_revision,
)
from kubesvc.storage.interface import (
    CompactedError,
    Compare,
    KeyValue,
    ListResult,
    Op,
    TxnResult,
    WatchEvent,
)
from kubesvc.storage.watch import EventLog


class MemoryStore(StoreBase):
    def __init__(self) -> None:
        self._rev = 1  # an empty store is at revision 1, as etcd; the first write gets 2
        self._compacted = 0
        self._versions: dict[str, list[KeyValue]] = {}
        self._keys: list[str] = []  # sorted; every key with at least one stored version
        self._log = EventLog(self._rev, capacity=None)
        self._closed = False
        self._txns = 0

    # -- reads --------------------------------------------------------------------------------

    def _at(self, key: str, revision: int) -> KeyValue | None:
        """The live version of `key` at `revision` (None when absent or deleted)."""
        versions = self._versions.get(key)
        if not versions:
            return None
        if revision >= self._rev:
            kv = versions[-1]
        else:
            i = bisect.bisect_right(versions, revision, key=lambda v: v.mod_revision)
            if i == 0:
                return None
            kv = versions[i - 1]
        return kv if kv.version else None

    def _check_revision(self, revision: int) -> int:
        self._check_open()
        return resolve_revision(revision, self._rev, self._compacted)

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        return self._at(key, self._check_revision(revision))

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str = ""
    ) -> ListResult:
        rev = self._check_revision(revision)
        end = prefix_end(prefix)
        if start_after and start_after >= prefix:
            i = bisect.bisect_right(self._keys, start_after)
        else:
            i = bisect.bisect_left(self._keys, prefix)
        items: list[KeyValue] = []
        more = False
        keys = self._keys
        while i < len(keys) and (end is None or keys[i] < end):
            kv = self._at(keys[i], rev)
            i += 1
            if kv is None:
                continue
            if limit and len(items) == limit:
                more = True
                break
            items.append(kv)
        return ListResult(items, rev, more)

    async def count(self, prefix: str, *, revision: int = 0, start_after: str = "") -> int:
        """How many keys under `prefix` (after `start_after`) live at `revision` (etcd's count)."""
        return len((await self.list(prefix, revision=revision, start_after=start_after)).items)

    async def current_revision(self) -> int:
        return self._rev

    # -- writes -------------------------------------------------------------------------------

    async def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnResult:
        self._check_open()
        check_ops(ops)
        current = {c.key: self._at(c.key, self._rev) for c in compares}
        if not all(compare_holds(c, current[c.key]) for c in compares):
            return TxnResult(False, self._rev, current)
        self._txns += 1
        revision = self._rev + 1
        events: list[WatchEvent] = []
        for op in ops:
            applied = apply_op(op, self._at(op.key, self._rev), revision)
            if applied is None:
                continue
            kv, event = applied
            versions = self._versions.get(op.key)
            if versions is None:
                self._versions[op.key] = [kv]
                bisect.insort(self._keys, op.key)
            else:
                versions.append(kv)
            events.append(event)
        events.sort(key=lambda e: e.kv.key)  # one txn's events come in key order
        if events:  # as etcd: a transaction that changes nothing does not advance the revision
            self._rev = revision
            self._log.append(revision, events)
            self._log.notify()
        return TxnResult(True, self._rev, current)

    # -- watch --------------------------------------------------------------------------------

    async def _history(
        self, prefix: str, from_rev: int, max_revs: int
    ) -> tuple[builtins.list[WatchEvent], int]:
        # The log holds every revision since the compacted one (and the empty store's revision 1
        # has no events), so below the log there is either nothing or compacted history.
        if from_rev < self._compacted:
            raise CompactedError(from_rev, self._compacted)
        return [], self._log.first_rev - 1

    # -- compaction and lifecycle -------------------------------------------------------------

    async def compact(self, revision: int) -> None:
        self._check_open()
        check_compaction(revision, self._rev, self._compacted)
        # Keep every version at or after `revision`, plus the one live at `revision` if it is no
        # tombstone; that keeps reads at `revision` and all later history intact.
        dead: builtins.list[str] = []
        for key, versions in self._versions.items():
            i = bisect.bisect_left(versions, revision, key=lambda v: v.mod_revision)
            if i == 0:
                continue
            keep_from = i - 1 if versions[i - 1].version else i
            if keep_from:
                del versions[:keep_from]
            if not versions:
                dead.append(key)
        for key in dead:
            del self._versions[key]
        if dead:
            gone = set(dead)
            self._keys = [k for k in self._keys if k not in gone]
        self._compacted = revision
        self._log.trim_below(revision)

    def stats(self) -> dict[str, Any]:
        return {
            "backend": "memory",
            "revision": self._rev,
            "compacted_revision": self._compacted,
            "txns": self._txns,
            "commits": self._txns,
            "watchers": self._log.watchers,
            "keys": len(self._keys),
        }

    async def close(self) -> None:
        self._closed = True
        await self.stop_background_compaction()
        self._log.close()
