"""Informer against a real apiserver: list+watch into the cache, handlers, re-list on 410."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from kubesvc.api.scheme import NAMESPACES, SERVICES
from kubesvc.client.errors import GoneError
from kubesvc.client.informer import Informer, InformerFactory
from kubesvc.client.rest import RestClient

Obj = dict[str, Any]
_seq = itertools.count()


async def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        last = check()
        if isinstance(last, Awaitable):
            last = await last
        if last:
            return last
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
        await asyncio.sleep(0.02)


async def make_ns(client: RestClient) -> str:
    name = f"client-inf-{next(_seq)}"
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def svc(name: str, labels: Obj | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
    }


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def add(self, obj: Obj) -> None:
        self.events.append(("add", obj["metadata"]["name"]))

    def update(self, old: Obj, new: Obj) -> None:
        assert old["metadata"]["name"] == new["metadata"]["name"]
        self.events.append(("update", new["metadata"]["name"]))

    def delete(self, obj: Obj) -> None:
        self.events.append(("delete", obj["metadata"]["name"]))


@contextlib.asynccontextmanager
async def running(inf: Informer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(inf.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_list_then_watch_fills_cache_and_calls_handlers(client: RestClient) -> None:
    ns = await make_ns(client)
    await client.create(SERVICES, svc("pre"), namespace=ns)
    inf = Informer(client, SERVICES, namespace=ns)
    rec = Recorder()
    inf.add_handler(on_add=rec.add, on_update=rec.update, on_delete=rec.delete)
    inf.add_index("tier", lambda o: [(o["metadata"].get("labels") or {}).get("tier", "")])
    async with running(inf):
        await asyncio.wait_for(inf.wait_synced(), 60)
        assert inf.has_synced
        assert inf.store.get(f"{ns}/pre") is not None
        assert inf.store.get(f"{ns}/pre")["kind"] == "Service", "list items get kind back"
        await client.create(SERVICES, svc("a", {"tier": "front"}), namespace=ns)
        await client.patch(SERVICES, "a", {"metadata": {"labels": {"tier": "back"}}}, namespace=ns)
        await client.delete(SERVICES, "pre", namespace=ns)
        await eventually(lambda: ("delete", "pre") in rec.events)
        await eventually(lambda: ("update", "a") in rec.events)
    assert rec.events == [("add", "pre"), ("add", "a"), ("update", "a"), ("delete", "pre")]
    assert [o["metadata"]["name"] for o in inf.store.by_index("tier", "back")] == ["a"]
    assert inf.store.by_index("tier", "front") == []
    assert inf.store.get(f"{ns}/pre") is None
    assert [o["metadata"]["name"] for o in inf.store.by_index("namespace", ns)] == ["a"]


async def test_handler_added_after_sync_sees_existing_objects(client: RestClient) -> None:
    ns = await make_ns(client)
    await client.create(SERVICES, svc("x"), namespace=ns)
    inf = Informer(client, SERVICES, namespace=ns)
    async with running(inf):
        await asyncio.wait_for(inf.wait_synced(), 60)
        rec = Recorder()
        inf.add_handler(on_add=rec.add)
        assert rec.events == [("add", "x")]


async def test_failing_handler_does_not_stop_the_informer(client: RestClient) -> None:
    ns = await make_ns(client)
    inf = Informer(client, SERVICES, namespace=ns)
    rec = Recorder()

    def boom(obj: Obj) -> None:
        raise RuntimeError("handler bug")

    inf.add_handler(on_add=boom)
    inf.add_handler(on_add=rec.add)
    async with running(inf):
        await asyncio.wait_for(inf.wait_synced(), 60)
        await client.create(SERVICES, svc("one"), namespace=ns)
        await client.create(SERVICES, svc("two"), namespace=ns)
        await eventually(lambda: len(rec.events) == 2)


async def test_label_selector_and_transform(client: RestClient) -> None:
    ns = await make_ns(client)
    await client.create(SERVICES, svc("in", {"pick": "yes"}), namespace=ns)
    await client.create(SERVICES, svc("out"), namespace=ns)

    def slim(o: Obj) -> Obj:
        return {"kind": o["kind"], "metadata": {"name": o["metadata"]["name"], "namespace": ns}}

    inf = Informer(client, SERVICES, namespace=ns, label_selector="pick=yes", transform=slim)
    async with running(inf):
        await asyncio.wait_for(inf.wait_synced(), 60)
        assert inf.store.keys() == [f"{ns}/in"]
        assert "spec" not in inf.store.get(f"{ns}/in")


async def test_factory_shares_informers(client: RestClient) -> None:
    ns = await make_ns(client)
    factory = InformerFactory(client)
    a = factory.informer(SERVICES, namespace=ns)
    assert factory.informer(SERVICES, namespace=ns) is a
    assert factory.informer(SERVICES, namespace=ns, label_selector="x=y") is not a
    factory.start()
    try:
        await asyncio.wait_for(factory.wait_synced(), 60)
    finally:
        await factory.stop()


async def test_relist_on_410_reports_changes_missed_while_away(apiserver_factory: Any) -> None:
    srv = apiserver_factory(
        "--storage-compaction-revisions", "3", "--storage-compaction-interval", "0.1", backend="memory"
    )
    client = RestClient.from_kubeconfig(str(srv.kubeconfig))
    try:
        ns = await make_ns(client)
        await client.create(SERVICES, svc("stays"), namespace=ns)
        await client.create(SERVICES, svc("goes"), namespace=ns)
        inf = Informer(client, SERVICES, namespace=ns)
        rec = Recorder()
        inf.add_handler(on_add=rec.add, on_update=rec.update, on_delete=rec.delete)
        async with running(inf):
            await asyncio.wait_for(inf.wait_synced(), 60)
        stopped_at = inf.resource_version
        assert inf.lists == 1
        # while the informer is away: a delete, an add, and enough writes to compact history
        await client.delete(SERVICES, "goes", namespace=ns)
        await client.create(SERVICES, svc("new"), namespace=ns)
        for i in range(10):
            await client.patch(SERVICES, "stays", {"metadata": {"labels": {"n": str(i)}}}, namespace=ns)

        async def expired() -> bool:
            try:
                async for _ in client.watch(
                    SERVICES, namespace=ns, resource_version=stopped_at, timeout_seconds=1
                ):
                    return False
            except GoneError:
                return True
            return False

        await eventually(expired)
        async with running(inf):  # resumes the watch from `stopped_at`: 410 → re-list
            await eventually(lambda: inf.lists == 2)
            await eventually(lambda: ("delete", "goes") in rec.events and ("add", "new") in rec.events)
        assert sorted(inf.store.keys()) == [f"{ns}/new", f"{ns}/stays"]
        assert ("update", "stays") in rec.events
    finally:
        await client.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_reconnects_after_apiserver_restart(apiserver_factory: Any) -> None:
    from kubesvc.aio.backoff import Backoff

    srv = apiserver_factory(port=_free_port())
    client = RestClient.from_kubeconfig(str(srv.kubeconfig))
    try:
        ns = await make_ns(client)
        await client.create(SERVICES, svc("before"), namespace=ns)
        inf = Informer(client, SERVICES, namespace=ns, backoff=Backoff(initial=0.1, maximum=0.5, jitter=0.0))
        rec = Recorder()
        inf.add_handler(on_add=rec.add, on_update=rec.update, on_delete=rec.delete)
        async with running(inf):
            await asyncio.wait_for(inf.wait_synced(), 60)
            await asyncio.to_thread(srv.restart)
            await client.create(SERVICES, svc("after"), namespace=ns)
            await eventually(lambda: ("add", "after") in rec.events, timeout=20)
            assert sorted(inf.store.keys()) == [f"{ns}/after", f"{ns}/before"]
        assert rec.events.count(("add", "before")) == 1, "no duplicate add after reconnecting"
    finally:
        await client.close()
