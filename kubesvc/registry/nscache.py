"""The namespaces that create admission looks up, kept in memory from the store's watch.

Upstream's NamespaceLifecycle admission plugin answers "does the namespace exist, is it being
terminated?" from an informer's cache of Namespaces and only asks the storage on a miss.  This is
the same idea inside the apiserver: a copy of every namespace's *terminating* flag, fed by a watch
on the namespaces prefix, so a create does not read the store to admit itself.

Freshness: before each answer the cache takes, without waiting, every namespace event the store
has acknowledged so far (`Watcher.poll`), so it answers exactly as a read of the store at that
moment would (a write still in flight is concurrent with the create either way).  A store whose
watch cannot be polled, a watcher that fell behind the store's in-memory event ring, and a name the
cache does not hold all answer "unknown", and the caller reads the store as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kubesvc.api import codec
from kubesvc.storage.interface import KeyValue, Store, WatchEvent


def is_terminating(ns: Any) -> bool:
    """A namespace in which nothing new may be created (phase Terminating or being deleted)."""
    if not isinstance(ns, dict):
        return False
    return (ns.get("status") or {}).get("phase") == "Terminating" or bool(
        (ns.get("metadata") or {}).get("deletionTimestamp")
    )


class NamespaceCache:
    """name → terminating?, for every namespace of the store; see the module docstring."""

    def __init__(self, store: Store, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        self._terminating: dict[str, bool] = {}
        self._watcher: Any = None
        self._broken = False  # the store's watch cannot be polled: never cache
        self._relisting = asyncio.Lock()
        self.relists = 0  # how many times the cache was (re)built from a list

    async def _relist(self) -> None:
        self._watcher = None
        self._terminating.clear()
        start_after = ""
        revision = 0
        while True:
            res = await self.store.list(self.prefix, revision=revision, limit=1000, start_after=start_after)
            revision = res.revision
            for kv in res.items:
                self._put(kv)
            if not res.more or not res.items:
                break
            start_after = res.items[-1].key
        watcher = self.store.watch(self.prefix, start_revision=revision + 1)
        if not callable(getattr(watcher, "poll", None)):
            self._broken = True
            return
        self._watcher = watcher
        self.relists += 1

    def _put(self, kv: KeyValue) -> None:
        name = kv.key[len(self.prefix) :]
        try:
            ns = codec.loads(kv.value)
        except codec.DecodeError:
            self._terminating.pop(name, None)
            return
        self._terminating[name] = is_terminating(ns)

    def _apply(self, events: list[WatchEvent]) -> None:
        for ev in events:
            if ev.type == "DELETE":
                self._terminating.pop(ev.kv.key[len(self.prefix) :], None)
            else:
                self._put(ev.kv)

    async def terminating(self, name: str) -> bool | None:
        """True/False: the namespace exists and is (not) terminating; None: not known here
        (absent, or the cache cannot be current), so ask the store."""
        if self._broken:
            return None
        events = self._watcher.poll() if self._watcher is not None else None
        if events is None:
            async with self._relisting:
                if self._watcher is None or (events := self._watcher.poll()) is None:
                    try:
                        await self._relist()
                    except (AttributeError, NotImplementedError):
                        self._broken = True  # a store without list/watch: always read it
                        return None
                    except Exception:
                        self._watcher = None  # try again next time; the caller reads the store
                        return None
                    if self._watcher is None:
                        return None
                    events = self._watcher.poll()
            if events is None:
                return None
        self._apply(events)
        return self._terminating.get(name)
