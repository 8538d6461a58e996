"""The namespace cache of create admission: always as current as a read of the store, and an
"unknown" (read the store) whenever it cannot be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from kubesvc.api import errors, scheme
from kubesvc.registry import build_registry
from kubesvc.registry.nscache import NamespaceCache, is_terminating
from kubesvc.storage import open_store
from kubesvc.storage.interface import Delete, Put, Store

PREFIX = "/registry/namespaces/"


@pytest.fixture(params=["memory", "sqlite-small-ring"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "memory":
        s = open_store("memory")
    else:
        s = open_store("sqlite", data_dir=str(tmp_path), ring_capacity=4)
    try:
        yield s
    finally:
        await s.close()


def ns(name: str, *, phase: str = "Active", deleting: bool = False) -> bytes:
    meta: dict[str, Any] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return orjson.dumps({"kind": "Namespace", "metadata": meta, "status": {"phase": phase}})


@pytest.mark.parametrize(
    ("obj", "want"),
    [
        ({"status": {"phase": "Active"}}, False),
        ({}, False),
        ({"status": {"phase": "Terminating"}}, True),
        ({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}, "status": {"phase": "Active"}}, True),
        ("not an object", False),
    ],
)
def test_is_terminating(obj: Any, want: bool) -> None:
    assert is_terminating(obj) is want


async def test_follows_every_write_at_once(store: Store) -> None:
    cache = NamespaceCache(store, PREFIX)
    await store.txn([], [Put(PREFIX + "a", ns("a"))])
    assert await cache.terminating("a") is False
    assert await cache.terminating("b") is None
    # No waiting between a write and the next answer: the cache is as current as the store.
    await store.txn([], [Put(PREFIX + "b", ns("b"))])
    assert await cache.terminating("b") is False
    await store.txn([], [Put(PREFIX + "a", ns("a", phase="Terminating"))])
    assert await cache.terminating("a") is True
    await store.txn([], [Put(PREFIX + "b", ns("b", deleting=True))])
    assert await cache.terminating("b") is True
    await store.txn([], [Delete(PREFIX + "a")])
    assert await cache.terminating("a") is None
    assert cache.relists == 1


async def test_starts_over_from_a_list_when_it_fell_behind(store: Store) -> None:
    cache = NamespaceCache(store, PREFIX)
    assert await cache.terminating("a") is None
    await store.txn([], [Put(PREFIX + "a", ns("a"))])
    for i in range(20):  # more revisions than the small ring holds
        await store.txn([], [Put(f"/other/{i}", b"x")])
    await store.compact(await store.current_revision())
    await store.txn([], [Put(PREFIX + "z", ns("z", phase="Terminating"))])
    assert await cache.terminating("a") is False
    assert await cache.terminating("z") is True
    assert cache.relists == 2


async def test_a_store_whose_watch_cannot_be_polled_is_always_read(store: Store) -> None:
    class NoPoll:
        def __init__(self, inner: Store) -> None:
            self.inner = inner

        async def list(self, prefix: str, **kw: Any) -> Any:
            return await self.inner.list(prefix, **kw)

        def watch(self, prefix: str, *, start_revision: int) -> Any:
            return object()

    await store.txn([], [Put(PREFIX + "a", ns("a"))])
    cache = NamespaceCache(NoPoll(store), PREFIX)  # type: ignore[arg-type]
    assert await cache.terminating("a") is None
    assert await cache.terminating("a") is None


async def test_create_admission_through_the_registry(store: Store) -> None:
    reg = build_registry(store)
    await reg.ensure_system_namespaces()
    cms = reg.get(scheme.CONFIGMAPS) if hasattr(scheme, "CONFIGMAPS") else reg.get(scheme.ENDPOINTS)
    obj = {"apiVersion": "v1", "kind": cms.info.kind, "metadata": {"name": "x"}}
    with pytest.raises(errors.StatusError) as missing:
        await cms.create("nope", dict(obj, metadata={"name": "x"}))
    assert missing.value.code == 404 and missing.value.message == 'namespaces "nope" not found'
    nss = reg.get(scheme.NAMESPACES)
    await nss.create("", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    await cms.create("team", dict(obj, metadata={"name": "x"}))  # right after: admitted
    await nss.delete("", "team")  # finalizers keep it, Terminating
    with pytest.raises(errors.StatusError) as gone:
        await cms.create("team", dict(obj, metadata={"name": "y"}))
    assert gone.value.code == 403
    assert "because it is being terminated" in gone.value.message
    assert reg.namespace_cache.relists == 1


async def test_a_store_without_watch_or_a_failing_list_is_read_instead() -> None:
    class NoWatch:
        async def list(self, prefix: str, **kw: Any) -> Any:
            raise AttributeError("no")

    class Failing:
        calls = 0

        async def list(self, prefix: str, **kw: Any) -> Any:
            Failing.calls += 1
            raise RuntimeError("store down")

    no_watch = NamespaceCache(NoWatch(), PREFIX)  # type: ignore[arg-type]
    assert await no_watch.terminating("a") is None
    assert await no_watch.terminating("a") is None
    failing = NamespaceCache(Failing(), PREFIX)  # type: ignore[arg-type]
    assert await failing.terminating("a") is None
    assert await failing.terminating("a") is None
    assert Failing.calls == 2  # a failed list is retried at the next lookup
