"""Informer logic over a scripted client: bookmarks, resume RV, 410 → re-list, errors → back off."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from kubesvc.aio.backoff import Backoff
from kubesvc.api.scheme import SERVICES
from kubesvc.client.errors import GoneError, TransportError
from kubesvc.client.informer import Informer

Obj = dict[str, Any]


def svc(name: str, rv: str) -> Obj:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


class ScriptedClient:
    """list() answers from `lists`; each watch() call plays the next script (a list of events or
    an exception); the resourceVersion each watch asked for is recorded."""

    def __init__(self, lists: list[Obj], watches: list[Any]) -> None:
        self.lists = lists
        self.watches = watches
        self.watch_rvs: list[str | None] = []
        self.list_calls = 0

    async def list_all(self, info: Any, **kw: Any) -> Obj:
        result = self.lists[min(self.list_calls, len(self.lists) - 1)]
        self.list_calls += 1
        return result

    async def watch(self, info: Any, *, resource_version: str | None, **kw: Any) -> AsyncIterator[Obj]:
        self.watch_rvs.append(resource_version)
        script = self.watches.pop(0) if self.watches else None
        if script is None:
            await asyncio.sleep(3600)
            return
        if isinstance(script, BaseException):
            raise script
        for ev in script:
            yield ev


def gone() -> GoneError:
    return GoneError(
        {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"}
    )


async def run_until(inf: Informer, client: ScriptedClient, watches: int) -> None:
    task = asyncio.create_task(inf.run())
    try:
        for _ in range(400):
            if len(client.watch_rvs) >= watches:
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_bookmark_advances_rv_and_watch_resumes_from_last_rv() -> None:
    client = ScriptedClient(
        [{"metadata": {"resourceVersion": "10"}, "items": [svc("a", "9")]}],
        [
            [
                {"type": "BOOKMARK", "object": {"kind": "Service", "metadata": {"resourceVersion": "15"}}},
                {"type": "MODIFIED", "object": svc("a", "17")},
                {"type": "BOOKMARK", "object": {"kind": "Service", "metadata": {"resourceVersion": "20"}}},
            ],
            None,
        ],
    )
    inf = Informer(client, SERVICES)  # type: ignore[arg-type]
    seen: list[str] = []
    inf.add_handler(on_update=lambda old, new: seen.append(new["metadata"]["resourceVersion"]))
    await run_until(inf, client, 2)
    assert client.watch_rvs == ["10", "20"]
    assert seen == ["17"], "bookmarks call no handler"
    assert inf.store.get("ns/a")["metadata"]["resourceVersion"] == "17"


async def test_gone_relists_and_reports_the_difference() -> None:
    client = ScriptedClient(
        [
            {"metadata": {"resourceVersion": "10"}, "items": [svc("a", "9"), svc("b", "8")]},
            {"metadata": {"resourceVersion": "30"}, "items": [svc("a", "25"), svc("c", "28")]},
        ],
        [gone(), None],
    )
    inf = Informer(client, SERVICES)  # type: ignore[arg-type]
    events: list[tuple[str, str]] = []
    inf.add_handler(
        on_add=lambda o: events.append(("add", o["metadata"]["name"])),
        on_update=lambda old, new: events.append(("update", new["metadata"]["name"])),
        on_delete=lambda o: events.append(("delete", o["metadata"]["name"])),
    )
    await run_until(inf, client, 2)
    assert client.list_calls == 2
    assert client.watch_rvs == ["10", "30"]
    assert events == [("add", "a"), ("add", "b"), ("update", "a"), ("add", "c"), ("delete", "b")]
    assert sorted(inf.store.keys()) == ["ns/a", "ns/c"]


async def test_transport_error_backs_off_then_relists() -> None:
    client = ScriptedClient(
        [{"metadata": {"resourceVersion": "10"}, "items": []}],
        [TransportError("connection reset"), None],
    )
    inf = Informer(client, SERVICES, backoff=Backoff(initial=0.01, maximum=0.01, jitter=0.0))  # type: ignore[arg-type]
    await run_until(inf, client, 2)
    assert client.list_calls == 2
    assert inf.has_synced


async def test_resync_replays_cached_objects_as_updates() -> None:
    client = ScriptedClient([{"metadata": {"resourceVersion": "10"}, "items": [svc("a", "9")]}], [None])
    inf = Informer(client, SERVICES, resync_period=0.01)  # type: ignore[arg-type]
    seen: list[tuple[str, str]] = []
    inf.add_handler(
        on_update=lambda old, new: seen.append((old["metadata"]["name"], new["metadata"]["name"]))
    )
    task = asyncio.create_task(inf.run())
    try:
        for _ in range(200):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.005)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert seen[:2] == [("a", "a"), ("a", "a")]
