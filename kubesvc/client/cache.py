"""The informer's cache: objects by key ("ns/name", or "name" when cluster-scoped) with indexes.

Read-only for everyone but the informer that owns it: callers get the cached dicts themselves,
so they must copy before changing anything (client-go's rule for shared caches).

An index is a function from an object to the list of index values it files under
(`add_index("by-node", lambda pod: [pod["spec"].get("nodeName", "")])`); `by_index(name, value)`
returns the objects filed under `value`.  `NAMESPACE_INDEX` ("namespace") is always present.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], Iterable[str]]

NAMESPACE_INDEX = "namespace"


def object_key(obj: Mapping[str, Any]) -> str:
    """client-go's MetaNamespaceKeyFunc: "ns/name", or "name" for cluster-scoped objects."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    name = meta.get("name", "")
    return f"{ns}/{name}" if ns else name


def split_key(key: str) -> tuple[str, str]:
    """("ns", "name") or ("", "name")."""
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def _namespace_of(obj: Obj) -> list[str]:
    return [(obj.get("metadata") or {}).get("namespace", "")]


class Indexer:
    """Key → object map with secondary indexes."""

    def __init__(self) -> None:
        self._items: dict[str, Obj] = {}
        self._index_funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self.add_index(NAMESPACE_INDEX, _namespace_of)

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> Obj | None:
        return self._items.get(key)

    def get_by(self, namespace: str | None, name: str) -> Obj | None:
        return self._items.get(f"{namespace}/{name}" if namespace else name)

    def list(self) -> builtins.list[Obj]:
        return list(self._items.values())

    def keys(self) -> builtins.list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def by_index(self, index_name: str, value: str) -> builtins.list[Obj]:
        keys = self._indices[index_name].get(value, ())
        return [self._items[k] for k in keys]

    def index_keys(self, index_name: str, value: str) -> builtins.list[str]:
        return list(self._indices[index_name].get(value, ()))

    def index_values(self, index_name: str) -> builtins.list[str]:
        return [v for v, keys in self._indices[index_name].items() if keys]

    # -- indexes -----------------------------------------------------------------------------

    def has_index(self, name: str) -> bool:
        return name in self._index_funcs

    def add_index(self, name: str, fn: IndexFunc) -> None:
        if name in self._index_funcs:
            raise ValueError(f"index {name!r} already exists")
        self._index_funcs[name] = fn
        index: dict[str, set[str]] = {}
        self._indices[name] = index
        for key, obj in self._items.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)

    # -- writing (the owning informer only) --------------------------------------------------

    def upsert(self, obj: Obj) -> Obj | None:
        """Store `obj`; returns the object it replaced, if any."""
        key = object_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        self._index(key, obj)
        return old

    def remove(self, key: str) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def replace(self, objs: Iterable[Obj]) -> None:
        self._items = {}
        for index in self._indices.values():
            index.clear()
        for obj in objs:
            self.upsert(obj)

    def _index(self, key: str, obj: Obj) -> None:
        for name, fn in self._index_funcs.items():
            index = self._indices[name]
            for value in fn(obj):
                index.setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, fn in self._index_funcs.items():
            index = self._indices[name]
            for value in fn(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


def ensure_index(indexer: Indexer, name: str, fn: IndexFunc) -> None:
    """Add the index unless one of that name exists (shared informers, several controllers)."""
    if not indexer.has_index(name):
        indexer.add_index(name, fn)
