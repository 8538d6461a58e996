"""The Store: an etcd-shaped, revisioned key-value store.  Only the apiserver touches it.

Theory of operation
-------------------
Every successful write (put or delete, alone or in a transaction) advances one global revision
counter by exactly one, as etcd's does; all keys written by one transaction share that revision.
Each key remembers the revision that created it (`create_revision`) and the one that last
changed it (`mod_revision`); `mod_revision` is what the API exposes as `resourceVersion`.

Writes are conditional: `txn(compares, ops)` applies `ops` only when every `Compare` holds,
atomically.  The convenience writers (`create`, `update`, `delete`) are transactions too.

`watch(prefix, start_revision)` yields every change under `prefix` with revision
>= `start_revision`, in revision order and without gaps.  After `compact(rev)` history below
`rev` is gone and a watch or list at an older revision raises `CompactedError`
(the API maps it to 410 Expired "too old resource version").

Keys are `str` (`/registry/services/default/web`), values `bytes` (JSON documents).

Precisions and additions made with the backends (see `README.md` beside this file):
- An empty store is at revision 1, the first write gets 2 (etcd).  A txn that changes nothing
  does not advance the revision (etcd).  A txn touching one key twice raises ValueError (etcd).
- `TxnResult.current` is filled on success too (state before the txn).
- A DELETE event's `kv` has `version` 0 (an etcd tombstone) and the last value; `prev` is the
  deleted version.  Events of one txn come in key order.
- `compact(rev)` with `rev <= compacted_revision()` raises CompactedError, with `rev` above the
  current revision FutureRevisionError.
- The backends also offer `stats() -> dict`, `start_background_compaction(interval_s,
  keep_revisions)` and `stop_background_compaction()` (not part of the Protocol, so that a thin
  etcd adapter need not have them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


class StoreError(Exception):
    """Base of the storage errors."""


class KeyExistsError(StoreError):
    """create: the key already exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class KeyNotFoundError(StoreError):
    """update/delete: the key does not exist."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class RevisionMismatchError(StoreError):
    """update/delete: the key's mod_revision is not the expected one."""

    def __init__(self, key: str, expected: int, actual: int) -> None:
        super().__init__(f"revision mismatch on {key}: expected {expected}, is {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class CompactedError(StoreError):
    """The requested revision has been compacted away."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"required revision {requested} has been compacted (compacted revision {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StoreError):
    """The requested revision is newer than the store's current revision."""

    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"required revision {requested} is a future revision (current {current})")
        self.requested = requested
        self.current = current


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int = 1  # number of writes since creation, as etcd counts


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[KeyValue]
    revision: int  # the store revision the list was read at
    more: bool  # True when `limit` cut the list short


@dataclass(frozen=True, slots=True)
class Compare:
    """A transaction guard on one key.  `mod_revision == 0` means "the key does not exist"."""

    key: str
    target: Literal["mod_revision", "create_revision", "version"] = "mod_revision"
    op: Literal["=", "!=", "<", ">"] = "="
    value: int = 0


@dataclass(frozen=True, slots=True)
class Put:
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class Delete:
    key: str


Op = Put | Delete


@dataclass(frozen=True, slots=True)
class TxnResult:
    succeeded: bool
    revision: int  # the new revision when succeeded, else the current one
    # The state of every compared key before the txn (None when absent): on failure for
    # diagnostics, on success e.g. the value a Delete removed.
    current: dict[str, KeyValue | None]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: Literal["PUT", "DELETE"]
    kv: KeyValue  # for DELETE: key, the last value, mod_revision = the delete's revision
    prev: KeyValue | None = None  # the value before this change, when known


class Store(Protocol):
    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None: ...

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str = ""
    ) -> ListResult:
        """Keys under `prefix` in key order, at `revision` (0 = now), after `start_after`."""
        ...

    async def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnResult: ...

    async def create(self, key: str, value: bytes) -> int:
        """Put `key` if absent; returns the new revision.  Raises KeyExistsError."""
        ...

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        """Compare-and-swap on mod_revision (0 = unconditional).  Raises KeyNotFoundError,
        RevisionMismatchError."""
        ...

    async def delete(self, key: str, *, expected_revision: int = 0) -> tuple[int, KeyValue]:
        """Delete; returns (revision, last value).  Raises KeyNotFoundError, RevisionMismatchError."""
        ...

    def watch(self, prefix: str, *, start_revision: int) -> AsyncIterator[WatchEvent]:
        """Changes under `prefix` from `start_revision` (inclusive) on; `0` = only new changes.
        Raises CompactedError (on first iteration) when history is gone."""
        ...

    async def current_revision(self) -> int: ...

    async def compacted_revision(self) -> int: ...

    async def compact(self, revision: int) -> None: ...

    async def close(self) -> None: ...
