"""Storage: the etcd-shaped `Store` (see `interface.py`) and its backends.

`open_store("memory")` gives the in-memory reference store; `open_store("sqlite", data_dir=...)`
the embedded default (`<data_dir>/kubesvc.db`).  The etcd backend comes in a later issue.
"""

from __future__ import annotations

from typing import Any

from kubesvc.storage.interface import Store

BACKENDS = ("memory", "sqlite", "etcd")


def open_store(backend: str, *, data_dir: str | None = None, **options: Any) -> Store:
    """Open a store (synchronously: call it before serving).  Options go to the backend, e.g.
    `synchronous="FULL"` for sqlite.  A new backend is added here and to
    `BACKENDS` in `tests/contract/test_store_contract.py`."""
    if backend == "memory":
        from kubesvc.storage.memory import MemoryStore

        return MemoryStore(**options)
    if backend == "sqlite":
        if not data_dir:
            raise ValueError("the sqlite storage backend needs a data_dir")
        from kubesvc.storage.sqlite import SQLiteStore

        return SQLiteStore(data_dir, **options)
    if backend == "etcd":
        raise NotImplementedError("the etcd storage backend is not implemented yet (use sqlite or memory)")
    raise ValueError(f"unknown storage backend {backend!r} (supported: memory, sqlite, etcd)")
