"""Paged lists: `metadata.remainingItemCount` as kube-apiserver sets it (only when a limit cut
the list and no label or field selector filters it) and continue tokens that keep working on the
first page's snapshot, on the sqlite (module server) and memory backends."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, start_apiserver

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def make_namespace(srv: ApiServer, services: int) -> str:
    ns = f"page-{uuid.uuid4().hex[:8]}"
    assert srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})[0] == 201
    for i in range(services):
        svc = {
            "metadata": {"name": f"s{i}", "labels": {"even": str(i % 2 == 0).lower()}},
            "spec": {"ports": [{"port": 80}]},
        }
        status, body, _ = srv.call("POST", f"/api/v1/namespaces/{ns}/services", svc)
        assert status == 201, body
    return ns


def list_page(srv: ApiServer, ns: str, accept: str = "application/json", **params: Any) -> Any:
    query = urllib.parse.urlencode(params)
    status, body, _ = srv.call("GET", f"/api/v1/namespaces/{ns}/services?{query}", headers={"Accept": accept})
    assert status == 200, body
    return body


def walk(srv: ApiServer, ns: str, limit: int, **params: Any) -> tuple[list[str], list[Any]]:
    """Every page of a paged list: (names in order, remainingItemCount of each page)."""
    names: list[str] = []
    counts: list[Any] = []
    token = ""
    while True:
        extra = {"continue": token} if token else {}
        page = list_page(srv, ns, limit=limit, **params, **extra)
        names += [it["metadata"]["name"] for it in page["items"]]
        counts.append(page["metadata"].get("remainingItemCount"))
        token = page["metadata"].get("continue", "")
        if not token:
            return names, counts


@pytest.fixture(scope="module")
def memory_apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("paging-memory") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["sqlite", "memory"])
def server(request: pytest.FixtureRequest, apiserver: ApiServer) -> ApiServer:
    if request.param == "sqlite":
        return apiserver
    memory: ApiServer = request.getfixturevalue("memory_apiserver")
    return memory


def test_remaining_item_count_counts_down_to_the_last_page(server: ApiServer) -> None:
    ns = make_namespace(server, 7)
    names, counts = walk(server, ns, 3)
    assert names == sorted(f"s{i}" for i in range(7))
    assert counts == [4, 1, None]  # the last page has neither continue nor a count


def test_no_count_without_a_cut_or_with_a_selector(server: ApiServer) -> None:
    ns = make_namespace(server, 5)
    whole = list_page(server, ns, limit=5)
    assert "continue" not in whole["metadata"] and "remainingItemCount" not in whole["metadata"]
    # a selector makes the count unknowable without reading everything: upstream leaves it out
    names, counts = walk(server, ns, 2, labelSelector="even=true")
    assert names == ["s0", "s2", "s4"] and counts == [None, None]
    names, counts = walk(server, ns, 1, fieldSelector="metadata.name!=s1")
    assert names == ["s0", "s2", "s3", "s4"] and set(counts) == {None}


def test_continue_reads_the_first_pages_snapshot(server: ApiServer) -> None:
    ns = make_namespace(server, 4)
    first = list_page(server, ns, limit=2)
    assert first["metadata"]["remainingItemCount"] == 2
    # changes after the first page are not in the rest of this list, nor in its count
    assert (
        server.call(
            "POST",
            f"/api/v1/namespaces/{ns}/services",
            {"metadata": {"name": "s9"}, "spec": {"ports": [{"port": 80}]}},
        )[0]
        == 201
    )
    assert server.call("DELETE", f"/api/v1/namespaces/{ns}/services/s3")[0] == 200
    rest = list_page(server, ns, limit=1, **{"continue": first["metadata"]["continue"]})
    assert [it["metadata"]["name"] for it in rest["items"]] == ["s2"]
    assert rest["metadata"]["remainingItemCount"] == 1
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    last = list_page(server, ns, limit=5, **{"continue": rest["metadata"]["continue"]})
    assert [it["metadata"]["name"] for it in last["items"]] == ["s3"]
    # a fresh list sees the present
    names, _ = walk(server, ns, 10)
    assert names == ["s0", "s1", "s2", "s9"]


def test_table_lists_carry_the_count(server: ApiServer) -> None:
    ns = make_namespace(server, 3)
    table = list_page(server, ns, accept=TABLE, limit=1)
    assert table["kind"] == "Table"
    assert table["metadata"]["remainingItemCount"] == 2 and table["metadata"]["continue"]
    assert [row["cells"][0] for row in table["rows"]] == ["s0"]


# -- the store's count (what remainingItemCount is made of) ----------------------------------------


@pytest.fixture(params=["sqlite", "memory"])
async def kv_store(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    from kubesvc.storage.memory import MemoryStore
    from kubesvc.storage.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path)) if request.param == "sqlite" else MemoryStore()
    yield store
    await store.close()


async def test_store_count_at_a_revision_after_a_key(kv_store: Any) -> None:
    from kubesvc.storage.interface import Delete, Put

    p = "/registry/services/ns/"
    await kv_store.txn([], [Put(p + n, b"{}") for n in ("a", "b", "c", "d")])
    await kv_store.txn([], [Put("/registry/services/other/x", b"{}"), Put("/registry/servicesx/y", b"{}")])
    before = await kv_store.current_revision()
    await kv_store.txn([], [Put(p + "b", b'{"v":2}'), Delete(p + "c"), Put(p + "e", b"{}")])
    assert await kv_store.count(p) == 4  # a b d e
    assert await kv_store.count(p, start_after=p + "a") == 3
    assert await kv_store.count(p, start_after=p + "e") == 0
    assert await kv_store.count(p, revision=before) == 4  # a b c d
    assert await kv_store.count(p, revision=before, start_after=p + "b") == 2
    assert await kv_store.count("/registry/services/") == 5
