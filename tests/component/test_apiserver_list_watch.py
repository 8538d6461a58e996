"""List (selectors, limit/continue, resourceVersion semantics) and watch (event order, resume,
replay, selectors, timeout, bookmarks, initial events, 410 on compacted history)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.apiserver import ApiServer

_ns_counter = itertools.count()


def new_namespace(srv: ApiServer) -> str:
    name = f"lw-{next(_ns_counter)}"
    st, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201, body
    return name


def svc(name: str, labels: dict[str, str] | None = None, type_: str = "ClusterIP") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"type": type_, "ports": [{"port": 80}], "selector": {"app": name}},
    }


async def events(resp: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    async for line in resp.content:
        if line.strip():
            yield json.loads(line)


async def take(resp: aiohttp.ClientResponse, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def run() -> None:
        async for ev in events(resp):
            out.append(ev)
            if len(out) >= n:
                return

    await asyncio.wait_for(run(), timeout)
    return out


# -- list ------------------------------------------------------------------------------------


def test_label_and_field_selectors(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, svc("a", {"tier": "web", "env": "prod"}))
    apiserver.call("POST", coll, svc("b", {"tier": "web", "env": "dev"}))
    apiserver.call("POST", coll, svc("c", {"tier": "db"}, type_="NodePort"))

    def names(query: str) -> list[str]:
        st, body, _ = apiserver.call("GET", coll + query)
        assert st == 200, body
        return sorted(i["metadata"]["name"] for i in body["items"])

    assert names("?labelSelector=tier%3Dweb") == ["a", "b"]
    assert names("?labelSelector=tier%3Dweb,env!%3Dprod") == ["b"]
    assert names("?labelSelector=env+in+(prod,dev)") == ["a", "b"]
    assert names("?labelSelector=!env") == ["c"]
    assert names("?fieldSelector=metadata.name%3Db") == ["b"]
    assert names("?fieldSelector=metadata.name!%3Db") == ["a", "c"]
    assert names("?fieldSelector=spec.type%3DNodePort") == ["c"]
    st, body, _ = apiserver.call("GET", coll + "?fieldSelector=spec.nope%3Dx")
    assert st == 400 and body["reason"] == "BadRequest"
    assert "spec.nope" in body["message"]
    # All namespaces: the cluster-wide collection.
    st, body, _ = apiserver.call("GET", "/api/v1/services?labelSelector=tier%3Ddb")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in body["items"]] == [(ns, "c")]


def test_list_items_have_no_type_meta(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("x"))
    _, body, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}/services")
    assert body["kind"] == "ServiceList"
    assert "kind" not in body["items"][0] and "apiVersion" not in body["items"][0]


def test_limit_and_continue(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    for i in range(7):
        apiserver.call("POST", coll, svc(f"s{i}", {"odd": str(i % 2)}))
    seen: list[str] = []
    token = ""
    pages = 0
    rvs = set()
    while True:
        q = "?limit=3" + (f"&continue={token}" if token else "")
        st, body, _ = apiserver.call("GET", coll + q)
        assert st == 200, body
        pages += 1
        seen += [i["metadata"]["name"] for i in body["items"]]
        rvs.add(body["metadata"]["resourceVersion"])
        token = body["metadata"].get("continue", "")
        if not token:
            break
        assert len(body["items"]) == 3
        # Objects created between pages do not show up: the list is a consistent snapshot.
        if pages == 1:
            apiserver.call("POST", coll, svc("s9-late"))
    assert seen == [f"s{i}" for i in range(7)]
    assert pages == 3
    assert len(rvs) == 1
    # With a selector, pages are filled with matching items.
    st, body, _ = apiserver.call("GET", coll + "?limit=2&labelSelector=odd%3D1")
    assert [i["metadata"]["name"] for i in body["items"]] == ["s1", "s3"]
    st, body, _ = apiserver.call(
        "GET", coll + f"?limit=2&labelSelector=odd%3D1&continue={body['metadata']['continue']}"
    )
    assert [i["metadata"]["name"] for i in body["items"]] == ["s5"]
    assert "continue" not in body["metadata"]


def test_bad_continue_and_resource_version_params(apiserver: ApiServer) -> None:
    coll = "/api/v1/namespaces/default/services"
    st, body, _ = apiserver.call("GET", coll + "?continue=notbase64!!")
    assert st == 400
    st, body, _ = apiserver.call("GET", coll + "?resourceVersionMatch=Exact")
    assert st == 422
    assert body["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided"
    )


def test_list_exact_resource_version(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    _, a, _ = apiserver.call("POST", coll, svc("a"))
    rv = a["metadata"]["resourceVersion"]
    apiserver.call("POST", coll, svc("b"))
    st, body, _ = apiserver.call("GET", coll + f"?resourceVersion={rv}&resourceVersionMatch=Exact")
    assert st == 200, body
    assert [i["metadata"]["name"] for i in body["items"]] == ["a"]
    assert body["metadata"]["resourceVersion"] == rv
    st, body, _ = apiserver.call("GET", coll + f"?resourceVersion={rv}")
    assert [i["metadata"]["name"] for i in body["items"]] == ["a", "b"]


# -- watch -----------------------------------------------------------------------------------


async def test_watch_event_order_and_resume(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    _, lst, _ = apiserver.call("GET", coll)
    rv0 = lst["metadata"]["resourceVersion"]
    async with (
        apiserver.session() as s,
        s.get(coll, params={"watch": "true", "resourceVersion": rv0}) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
        assert resp.headers.get("Transfer-Encoding") == "chunked"
        _, created, _ = await asyncio.to_thread(apiserver.call, "POST", coll, svc("w"))
        created["metadata"]["labels"] = {"v": "2"}
        await asyncio.to_thread(apiserver.call, "PUT", coll + "/w", created)
        await asyncio.to_thread(apiserver.call, "DELETE", coll + "/w")
        evs = await take(resp, 3)
    assert [e["type"] for e in evs] == ["ADDED", "MODIFIED", "DELETED"]
    assert evs[0]["object"]["kind"] == "Service" and evs[0]["object"]["apiVersion"] == "v1"
    assert evs[1]["object"]["metadata"]["labels"] == {"v": "2"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3, "DELETED carries its own, newer resourceVersion"
    # Resume after the first event: the rest again, in order.
    async with (
        apiserver.session() as s,
        s.get(coll, params={"watch": "true", "resourceVersion": str(rvs[0])}) as resp,
    ):
        again = await take(resp, 2)
    assert [e["type"] for e in again] == ["MODIFIED", "DELETED"]


async def test_watch_rv0_replays_and_filters_by_name(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, svc("one"))
    apiserver.call("POST", coll, svc("two"))
    async with apiserver.session() as s:
        params = {"watch": "true", "resourceVersion": "0", "fieldSelector": "metadata.name=two"}
        async with s.get(coll, params=params) as resp:
            first = await take(resp, 1)
            _, two, _ = await asyncio.to_thread(apiserver.call, "GET", coll + "/two")
            two["metadata"]["labels"] = {"changed": "yes"}
            await asyncio.to_thread(
                apiserver.call,
                "PUT",
                coll + "/one",
                {**svc("one"), "metadata": {"name": "one", "labels": {"x": "y"}}},
            )
            await asyncio.to_thread(apiserver.call, "PUT", coll + "/two", two)
            second = await take(resp, 1)
    assert first[0]["type"] == "ADDED" and first[0]["object"]["metadata"]["name"] == "two"
    assert second[0]["type"] == "MODIFIED" and second[0]["object"]["metadata"]["name"] == "two"


async def test_watch_label_selector_transitions(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    _, obj, _ = apiserver.call("POST", coll, svc("t", {"sel": "no"}))
    rv = obj["metadata"]["resourceVersion"]
    async with apiserver.session() as s:
        params = {"watch": "true", "resourceVersion": rv, "labelSelector": "sel=yes"}
        async with s.get(coll, params=params) as resp:
            obj["metadata"]["labels"] = {"sel": "yes"}
            _, obj, _ = await asyncio.to_thread(apiserver.call, "PUT", coll + "/t", obj)
            obj["metadata"]["labels"] = {"sel": "no"}
            await asyncio.to_thread(apiserver.call, "PUT", coll + "/t", obj)
            evs = await take(resp, 2)
    assert [e["type"] for e in evs] == ["ADDED", "DELETED"]


async def test_watch_timeout_seconds_closes_stream(apiserver: ApiServer) -> None:
    start = time.monotonic()
    async with (
        apiserver.session() as s,
        s.get(
            "/api/v1/namespaces/default/services",
            params={"watch": "1", "timeoutSeconds": "1", "resourceVersion": "1"},
        ) as resp,
    ):
        assert resp.status == 200
        body = await asyncio.wait_for(resp.read(), 60)
    assert 0.9 <= time.monotonic() - start < 60
    assert b"ERROR" not in body


async def test_watch_legacy_path_and_all_namespaces(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    async with (
        apiserver.session() as s,
        s.get("/api/v1/watch/services", params={"resourceVersion": "0", "timeoutSeconds": "5"}) as resp,
    ):
        assert resp.status == 200
        await asyncio.to_thread(apiserver.call, "POST", f"/api/v1/namespaces/{ns}/services", svc("legacy"))

        async def find() -> dict[str, Any]:
            async for ev in events(resp):
                if ev["object"]["metadata"]["name"] == "legacy":
                    return ev
            raise AssertionError("stream ended")

        ev = await asyncio.wait_for(find(), 30)
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["namespace"] == ns


async def test_watch_bookmarks_and_initial_events(apiserver_factory: Any) -> None:
    srv = apiserver_factory("--watch-bookmark-interval", "0.5")
    srv.call("POST", "/api/v1/namespaces/default/services", svc("bm"))
    async with srv.session() as s:
        params = {
            "watch": "true",
            "sendInitialEvents": "true",
            "resourceVersionMatch": "NotOlderThan",
            "allowWatchBookmarks": "true",
        }
        async with s.get("/api/v1/namespaces/default/services", params=params) as resp:
            evs = await take(resp, 3)
    assert evs[0]["type"] == "ADDED"
    names = [e["object"]["metadata"].get("name") for e in evs if e["type"] == "ADDED"]
    assert "bm" in names
    bookmarks = [e for e in evs if e["type"] == "BOOKMARK"]
    assert bookmarks, evs
    first = bookmarks[0]["object"]
    assert first["kind"] == "Service" and first["apiVersion"] == "v1"
    assert first["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(first["metadata"]["resourceVersion"]) > 0
    # Periodic bookmarks carry the current resourceVersion.
    async with srv.session() as s:
        params = {
            "watch": "true",
            "resourceVersion": first["metadata"]["resourceVersion"],
            "allowWatchBookmarks": "true",
        }
        async with s.get("/api/v1/namespaces/default/services", params=params) as resp:
            evs = await take(resp, 1)
    assert evs[0]["type"] == "BOOKMARK"
    assert evs[0]["object"]["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_send_initial_events_requires_not_older_than(apiserver: ApiServer) -> None:
    st, body, _ = apiserver.call("GET", "/api/v1/services?watch=true&sendInitialEvents=true")
    assert st == 422
    assert "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in body["message"]


async def test_watch_compacted_history_is_410(apiserver_factory: Any) -> None:
    srv = apiserver_factory("--storage-compaction-revisions", "1", "--storage-compaction-interval", "0.2")
    coll = "/api/v1/namespaces/default/services"
    _, first, _ = srv.call("POST", coll, svc("c1"))
    old_rv = first["metadata"]["resourceVersion"]
    srv.call("POST", coll, svc("c1b"))
    _, page, _ = srv.call("GET", coll + "?limit=1")
    token = page["metadata"]["continue"]
    for i in range(5):
        srv.call("POST", coll, svc(f"c{i + 2}"))
    # the background compaction (every 0.2 s) has passed the revision after old_rv
    after_old = int(old_rv) + 1
    deadline = time.monotonic() + 30
    while srv.call("GET", coll + f"?resourceVersion={after_old}&resourceVersionMatch=Exact")[0] != 410:
        assert time.monotonic() < deadline, f"revision {after_old} was never compacted"
        await asyncio.sleep(0.1)
    async with srv.session() as s, s.get(coll, params={"watch": "true", "resourceVersion": old_rv}) as resp:
        evs = await take(resp, 1)
    assert evs[0]["type"] == "ERROR"
    status = evs[0]["object"]
    assert status["kind"] == "Status" and status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {int(old_rv) + 1} (") or status[
        "message"
    ].startswith(f"too old resource version: {old_rv} (")
    st, body, _ = srv.call("GET", coll + f"?resourceVersion={old_rv}&resourceVersionMatch=Exact")
    assert st == 410 and body["reason"] == "Expired"
    st, body, _ = srv.call("GET", coll + f"?limit=1&continue={token}")
    assert st == 410 and body["reason"] == "Expired"
    assert body["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result."
    )


@pytest.mark.parametrize("accept", ["application/json;as=Table;v=v1;g=meta.k8s.io,application/json"])
async def test_watch_table_events(apiserver: ApiServer, accept: str) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, svc("tb"))
    apiserver.call("POST", coll, svc("tc"))
    async with (
        apiserver.session() as s,
        s.get(coll, params={"watch": "true", "resourceVersion": "0"}, headers={"Accept": accept}) as resp,
    ):
        evs = await take(resp, 2)
    assert all(e["object"]["kind"] == "Table" for e in evs)
    assert evs[0]["object"]["columnDefinitions"], "the first event carries the columns"
    assert not evs[1]["object"].get("columnDefinitions"), "later events do not"
    assert evs[0]["object"]["rows"][0]["cells"][0] == "tb"


def test_future_resource_version_is_too_large(apiserver: ApiServer) -> None:
    # (A watch from a future revision is established and waits: test_upstream_listwatch.)
    for query in ("?resourceVersion=99999999",):
        st, body, _ = apiserver.call("GET", "/api/v1/namespaces/default/services" + query)
        assert st == 504, body
        assert body["reason"] == "Timeout"
        assert body["message"].startswith("Too large resource version: 99999999, current: ")
        assert body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
