"""Upstream's own list/watch cases, carried over as facts and run over HTTP against our apiserver.

Sources (kubernetes/kubernetes): test/integration/apiserver/apiserver_test.go (TestListOptions,
TestListResourceVersion0, TestAPIListChunking, TestAPIListChunkingWithLabelSelector,
TestNameInFieldSelector, TestMetadataClient), staging/.../storage/testing/store_tests.go
(continue after compaction: 410 with an inconsistent-continue token) and watch_tests.go
(sendInitialEvents, initial-events-end bookmark, selector transitions, delete events).
The expectations follow kube-apiserver with its watch cache enabled (the default).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.support.apiserver import ApiServer, start_apiserver

# The compacting server keeps only the last few revisions, so an early revision is compacted
# within a fraction of a second, as the etcd compaction in upstream's TestListOptions does.
KEEP_REVISIONS = "5"

_ns_counter = itertools.count()


def service(name: str, labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels or {}, **meta},
        "spec": {"ports": [{"port": 80}], "selector": {"app": name}},
    }


def new_namespace(srv: ApiServer, prefix: str = "ulw") -> str:
    name = f"{prefix}-{next(_ns_counter)}"
    st, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201, body
    return name


def get(srv: ApiServer, path: str, **params: str) -> tuple[int, Any]:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v != ""})
    st, body, _ = srv.call("GET", path + ("?" + query if query else ""))
    return st, body


async def take(resp: aiohttp.ClientResponse, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def run() -> None:
        async for line in resp.content:
            if line.strip():
                out.append(json.loads(line))
                if len(out) >= n:
                    return

    await asyncio.wait_for(run(), timeout)
    return out


async def nothing_within(resp: aiohttp.ClientResponse, seconds: float) -> list[dict[str, Any]]:
    """The events that arrive within `seconds` (expected: none)."""
    out: list[dict[str, Any]] = []

    async def run() -> None:
        async for line in resp.content:
            if line.strip():
                out.append(json.loads(line))

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run(), seconds)
    return out


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """This module's shared server: the memory store (the list/watch semantics are the
    registry's, the same over every backend; the contract suite covers the backends)."""
    srv = start_apiserver(tmp_path_factory.mktemp("upstream-lw-shared") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


# -- a server whose history is compacted (TestListOptions) -------------------------------------


@dataclass
class Fixture:
    srv: ApiServer
    coll: str
    compacted_rv: str
    valid_continue: str


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(
        tmp_path_factory.mktemp("upstream-lw") / "data",
        "--storage-compaction-revisions",
        KEEP_REVISIONS,
        "--storage-compaction-interval",
        "0.1",
        "--watch-bookmark-interval",
        "0.3",
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


def _wait_compacted(srv: ApiServer, coll: str, rv: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        st, _ = get(srv, coll, resourceVersion=rv, resourceVersionMatch="Exact")
        if st == 410:
            return
        time.sleep(0.1)
    raise AssertionError(f"revision {rv} was never compacted")


@pytest.fixture(scope="module")
def list_options(compacting: ApiServer) -> Fixture:
    """15 Services, the first 5 deleted again (10 left), the first revision compacted, and a
    continue token from a limit=6 list (4 items left after it)."""
    ns = new_namespace(compacting, "list-options")
    coll = f"/api/v1/namespaces/{ns}/services"
    compacted = ""
    for i in range(15):
        st, created, _ = compacting.call("POST", coll, service(f"test-{i}"))
        assert st == 201, created
        if i == 0:
            compacted = created["metadata"]["resourceVersion"]
        if i < 5:
            st, body, _ = compacting.call("DELETE", f"{coll}/test-{i}")
            assert st == 200, body
    _wait_compacted(compacting, coll, compacted)
    st, page = get(compacting, coll, limit="6")
    assert st == 200 and len(page["items"]) == 6, page
    return Fixture(compacting, coll, compacted, page["metadata"]["continue"])


INVALID_CONTINUE = "invalidContinueToken"
INVALID_RV = "invalid"
INVALID_MATCH = "InvalidMatch"


@dataclass(frozen=True)
class Expect:
    status: int
    message: str = ""  # a part of the Status message
    count: int = -1  # the number of items of a 200


def expected(limit: int, cont: str, rv: str, match: str) -> Expect:
    """kube-apiserver's answer (watch cache on) to one combination, in upstream's order of checks."""
    if rv == "" and match:
        return Expect(422, "resourceVersionMatch is forbidden unless resourceVersion is provided")
    if cont and match:
        return Expect(422, "resourceVersionMatch is forbidden when continue is provided")
    if match == INVALID_MATCH:
        return Expect(422, 'supported values: "Exact", "NotOlderThan"')
    if match == "Exact" and rv == "0":
        return Expect(422, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
    if rv == "invalid":
        return Expect(
            400,
            'invalid resource version: resourceVersion: Invalid value: "invalid": '
            'strconv.ParseUint: parsing "invalid": invalid syntax',
        )
    if cont == "invalid":
        return Expect(400, "invalid continue token: continue key is not valid")
    if cont and rv not in ("", "0"):
        return Expect(400, "specifying resource version is not allowed when using continue")
    exact = match == "Exact"
    legacy_exact = limit > 0 and match == ""
    if rv == "compacted" and (exact or legacy_exact):
        return Expect(410, "The resourceVersion for the provided list is too old")
    # The watch cache serves rv="0" and NotOlderThan reads without a limit; it is skipped
    # for continue, for a limit with rv other than "0", for Exact and for rv="".
    from_cache = rv != "" and not cont and not (limit > 0 and rv != "0") and not exact
    if from_cache:
        return Expect(200, count=10)
    if cont:
        return Expect(200, count=4)
    return Expect(200, count=limit or 10)


MATRIX = [
    (limit, cont, rv, match)
    for limit in (0, 6)
    for cont in ("", "valid", "invalid")
    for rv in ("", "0", "compacted", "invalid")
    for match in ("", "NotOlderThan", "Exact", INVALID_MATCH)
]


@pytest.mark.parametrize(
    ("limit", "cont", "rv", "match"),
    MATRIX,
    ids=[f"limit={lim} continue={c or 'empty'} rv={r or 'empty'} rvMatch={m}" for lim, c, r, m in MATRIX],
)
def test_list_options(list_options: Fixture, limit: int, cont: str, rv: str, match: str) -> None:
    fx = list_options
    params = {
        "limit": str(limit) if limit else "",
        "continue": {"": "", "valid": fx.valid_continue, "invalid": INVALID_CONTINUE}[cont],
        "resourceVersion": {"compacted": fx.compacted_rv}.get(rv, rv),
        "resourceVersionMatch": match,
    }
    st, body = get(fx.srv, fx.coll, **params)
    want = expected(limit, cont, rv, match)
    assert st == want.status, body
    if st == 200:
        assert len(body["items"]) == want.count, [i["metadata"]["name"] for i in body["items"]]
        if want.count == 4:
            # Names sort as strings: test-10..test-14, test-5 were the first page.
            assert [i["metadata"]["name"] for i in body["items"]] == [f"test-{i}" for i in (6, 7, 8, 9)]
    else:
        assert body["kind"] == "Status" and body["code"] == st
        assert want.message in body["message"], body["message"]
        reason = {400: "BadRequest", 410: "Expired", 422: "Invalid"}[st]
        assert body["reason"] == reason


def test_continue_after_compaction_hands_out_an_inconsistent_token(list_options: Fixture) -> None:
    """store_tests: a continue token whose revision is compacted gets 410 Expired with the
    message telling about the inconsistent list, and a token (in the Status's metadata) that
    goes on from the same key at the latest revision."""
    srv = list_options.srv
    ns = new_namespace(srv, "inconsistent")
    coll = f"/api/v1/namespaces/{ns}/services"
    for name in ("a", "b", "c", "d"):
        st, body, _ = srv.call("POST", coll, service(name))
        assert st == 201, body
    st, first = get(srv, coll, limit="2")
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    token = first["metadata"]["continue"]
    # Changes after the first page: one item removed, one added past the page boundary.
    srv.call("DELETE", f"{coll}/c")
    srv.call("POST", coll, service("e"))
    filler = new_namespace(srv, "filler")
    for i in range(int(KEEP_REVISIONS) + 1):
        srv.call("POST", f"/api/v1/namespaces/{filler}/services", service(f"f{i}"))
    _wait_compacted(srv, coll, first["metadata"]["resourceVersion"])
    st, status = get(srv, coll, limit="2", **{"continue": token})
    assert st == 410, status
    assert status["reason"] == "Expired"
    assert status["message"] == (
        "The provided continue parameter is too old to display a consistent list result. You can "
        "start a new list without the continue parameter, or use the continue token in this "
        "response to retrieve the remainder of the results. Continuing with the provided token "
        "results in an inconsistent list - objects that were created, modified, or deleted "
        "between the time the first chunk was returned and now may show up in the list."
    )
    inconsistent = status["metadata"]["continue"]
    assert inconsistent and inconsistent != token
    st, rest = get(srv, coll, limit="2", **{"continue": inconsistent})
    assert st == 200, rest
    assert [i["metadata"]["name"] for i in rest["items"]] == ["d", "e"]
    assert int(rest["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


# -- the shared server: paging, rv=0, field selectors, watch -----------------------------------


def test_list_resource_version_0_pager_gets_everything(apiserver: ApiServer) -> None:
    """TestListResourceVersion0: a pager of page size 3 starting at rv=0 ends with all 10."""
    ns = new_namespace(apiserver, "list-paging")
    coll = f"/api/v1/namespaces/{ns}/services"
    for i in range(10):
        apiserver.call("POST", coll, service(f"test-{i}"))
    names: list[str] = []
    params = {"limit": "3", "resourceVersion": "0"}
    while True:
        st, page = get(apiserver, coll, **params)
        assert st == 200, page
        names += [i["metadata"]["name"] for i in page["items"]]
        if not page["metadata"].get("continue"):
            break
        params = {"limit": "3", "continue": page["metadata"]["continue"]}
    assert sorted(names) == sorted(f"test-{i}" for i in range(10))


def test_api_list_chunking_is_one_snapshot(apiserver: ApiServer) -> None:
    """TestAPIListChunking: page size 1 over 4 items takes 4 calls, a create during paging
    does not show up, and every page carries the first page's resourceVersion."""
    ns = new_namespace(apiserver, "list-chunking")
    coll = f"/api/v1/namespaces/{ns}/services"
    for i in range(4):
        apiserver.call("POST", coll, service(f"test-{i}"))
    calls, names, rvs = 0, [], set()
    params = {"limit": "1"}
    while True:
        st, page = get(apiserver, coll, **params)
        assert st == 200, page
        calls += 1
        if calls == 2:
            apiserver.call("POST", coll, service("test-5"))
        names += [i["metadata"]["name"] for i in page["items"]]
        rvs.add(page["metadata"]["resourceVersion"])
        token = page["metadata"].get("continue", "")
        if not token:
            break
        params = {"limit": "1", "continue": token}
    # The page holding the last item carries no continue: exactly one call per item.
    assert calls == 4
    assert names == ["test-0", "test-1", "test-2", "test-3"]
    assert len(rvs) == 1


def test_api_list_chunking_with_label_selector(apiserver: ApiServer) -> None:
    """TestAPIListChunkingWithLabelSelector: limit 3 over 10 items of which 5 match."""
    ns = new_namespace(apiserver, "chunk-selector")
    coll = f"/api/v1/namespaces/{ns}/services"
    for i in range(10):
        apiserver.call("POST", coll, service(f"test-{i}", {"odd-index": str(i % 2 != 0).lower()}))
    calls, names = 0, []
    params = {"limit": "3", "labelSelector": "odd-index=true"}
    while True:
        st, page = get(apiserver, coll, **params)
        assert st == 200, page
        calls += 1
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
        params = {"limit": "3", "labelSelector": "odd-index=true", "continue": token}
    assert calls == 2
    assert names == ["test-1", "test-3", "test-5", "test-7", "test-9"]


@pytest.mark.parametrize(
    ("where", "selector", "count"),
    [
        ("all", "metadata.name=foo", 3),
        ("all", "metadata.name=foo,metadata.name=bar", 0),
        ("all", "metadata.name=foo,metadata.namespace={ns1}", 1),
        ("ns1", "metadata.name=foo,metadata.namespace={ns1}", 1),
        ("ns1", "metadata.name=foo,metadata.namespace={ns2}", 0),
        ("ns1", "metadata.name=foo,metadata.namespace=", 0),
    ],
    ids=["name-everywhere", "two-names", "name-and-namespace", "in-namespace", "other-namespace", "empty-ns"],
)
def test_name_in_field_selector(apiserver: ApiServer, where: str, selector: str, count: int) -> None:
    """TestNameInFieldSelector, over Services in three namespaces named foo and bar."""
    global _field_ns
    if not _field_ns:
        _field_ns = [new_namespace(apiserver, "fs") for _ in range(3)]
        for ns in _field_ns:
            for name in ("foo", "bar"):
                apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", service(name))
    ns1, ns2 = _field_ns[1], _field_ns[2]
    sel = selector.format(ns1=ns1, ns2=ns2)
    path = f"/api/v1/namespaces/{ns1}/services" if where == "ns1" else "/api/v1/services"
    st, body = get(apiserver, path, fieldSelector=sel)
    assert st == 200, body
    mine = [i for i in body["items"] if i["metadata"]["namespace"] in _field_ns]
    assert len(mine) == count, [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in mine]


_field_ns: list[str] = []


# -- watch (watch_tests.go) ------------------------------------------------------------------


async def test_watch_send_initial_events_false_starts_at_most_recent(apiserver: ApiServer) -> None:
    """sendInitialEvents=false with rv "" or "0": no synthetic ADDED (nor replayed history),
    only what happens after the watch started."""
    ns = new_namespace(apiserver, "sie-false")
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, service("old"))
    for rv in ("", "0"):
        params = {"watch": "true", "sendInitialEvents": "false", "resourceVersionMatch": "NotOlderThan"}
        if rv:
            params["resourceVersion"] = rv
        async with apiserver.session() as s, s.get(coll, params=params) as resp:
            assert resp.status == 200, await resp.text()
            assert await nothing_within(resp, 0.5) == []
            await asyncio.to_thread(apiserver.call, "POST", coll, service(f"new{rv or 'x'}"))
            evs = await take(resp, 1)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [("ADDED", f"new{rv or 'x'}")]


async def test_watch_send_initial_events_true_ends_with_bookmark(apiserver: ApiServer) -> None:
    """sendInitialEvents=true: an ADDED per existing object, then a BOOKMARK annotated
    k8s.io/initial-events-end, at a resourceVersion not older than the objects'."""
    ns = new_namespace(apiserver, "sie-true")
    coll = f"/api/v1/namespaces/{ns}/services"
    created = [apiserver.call("POST", coll, service(n))[1] for n in ("x", "y")]
    params = {
        "watch": "true",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
        "resourceVersion": created[0]["metadata"]["resourceVersion"],
    }
    async with apiserver.session() as s, s.get(coll, params=params) as resp:
        evs = await take(resp, 3)
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in evs[:2]] == [
        ("ADDED", "x"),
        ("ADDED", "y"),
    ]
    assert evs[2]["type"] == "BOOKMARK"
    mark = evs[2]["object"]
    assert mark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(mark["metadata"]["resourceVersion"]) >= int(created[1]["metadata"]["resourceVersion"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"sendInitialEvents": "true"},
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            {"resourceVersionMatch": "NotOlderThan", "resourceVersion": "1"},
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ),
        (
            {"sendInitialEvents": "true", "allowWatchBookmarks": "true", "resourceVersionMatch": "Exact"},
            'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
        ),
        (
            {
                "sendInitialEvents": "true",
                "allowWatchBookmarks": "true",
                "resourceVersionMatch": "NotOlderThan",
                "continue": "x",
            },
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided",
        ),
    ],
    ids=["initial-events-without-match", "match-without-initial-events", "exact-match", "match-and-continue"],
)
def test_watch_option_validation(apiserver: ApiServer, params: dict[str, str], message: str) -> None:
    st, body = get(apiserver, "/api/v1/namespaces/default/services", watch="true", **params)
    assert st == 422, body
    assert body["reason"] == "Invalid" and message in body["message"]


def test_watch_invalid_resource_version(apiserver: ApiServer) -> None:
    st, body = get(apiserver, "/api/v1/namespaces/default/services", watch="true", resourceVersion="abc")
    assert st == 400, body
    assert 'resourceVersion: Invalid value: "abc"' in body["message"]


async def test_watch_from_rv_0_and_empty_start_with_current_state(apiserver: ApiServer) -> None:
    """A watch from "" or "0" begins with a synthetic ADDED for each object there is (and
    not for one created and deleted before)."""
    ns = new_namespace(apiserver, "from-zero")
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, service("gone"))
    apiserver.call("DELETE", f"{coll}/gone")
    apiserver.call("POST", coll, service("here"))
    for rv in ("", "0"):
        params = {"watch": "true", **({"resourceVersion": rv} if rv else {})}
        async with apiserver.session() as s, s.get(coll, params=params) as resp:
            evs = await take(resp, 1)
            rest = await nothing_within(resp, 0.3)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs + rest] == [("ADDED", "here")]


async def test_watch_delete_carries_last_state_with_new_rv(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver, "del-state")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, obj, _ = apiserver.call("POST", coll, service("d", {"k": "v"}))
    rv = obj["metadata"]["resourceVersion"]
    async with apiserver.session() as s, s.get(coll, params={"watch": "true", "resourceVersion": rv}) as resp:
        await asyncio.to_thread(apiserver.call, "DELETE", f"{coll}/d")
        (ev,) = await take(resp, 1)
    assert ev["type"] == "DELETED"
    assert ev["object"]["metadata"]["labels"] == {"k": "v"}
    assert ev["object"]["metadata"]["uid"] == obj["metadata"]["uid"]
    assert int(ev["object"]["metadata"]["resourceVersion"]) > int(rv)


async def test_watch_field_selector_transitions(apiserver: ApiServer) -> None:
    """A field-selector watch turns the MODIFIED that brings an object into the selection
    into ADDED, and the one that takes it out into DELETED (with the old state, new rv)."""
    ns = new_namespace(apiserver, "fs-watch")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, obj, _ = apiserver.call("POST", coll, service("t"))
    rv = obj["metadata"]["resourceVersion"]
    params = {"watch": "true", "resourceVersion": rv, "fieldSelector": "spec.type=NodePort"}
    async with apiserver.session() as s, s.get(coll, params=params) as resp:
        patch = {"spec": {"type": "NodePort"}}
        await asyncio.to_thread(
            apiserver.call, "PATCH", f"{coll}/t", patch, content_type="application/merge-patch+json"
        )
        back = {"spec": {"type": "ClusterIP", "ports": [{"port": 80, "nodePort": None}]}}
        st, cip, _ = await asyncio.to_thread(
            apiserver.call, "PATCH", f"{coll}/t", back, content_type="application/merge-patch+json"
        )
        assert st == 200, cip
        evs = await take(resp, 2)
    assert [e["type"] for e in evs] == ["ADDED", "DELETED"]
    assert evs[0]["object"]["spec"]["type"] == "NodePort"
    assert evs[1]["object"]["spec"]["type"] == "NodePort", "DELETED carries the last matching state"
    assert evs[1]["object"]["metadata"]["resourceVersion"] == cip["metadata"]["resourceVersion"]


# -- metadata-only (PartialObjectMetadata) -----------------------------------------------------

PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PARTIAL = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"


def test_metadata_client_list_and_get(apiserver: ApiServer) -> None:
    """TestMetadataClient (JSON form): list and get answer metadata only."""
    ns = new_namespace(apiserver, "metadata-builtin")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, svc, _ = apiserver.call("POST", coll, service("test-1", annotations={"foo": "bar"}))
    st, lst, _ = apiserver.call("GET", coll, headers={"Accept": PARTIAL_LIST})
    assert st == 200, lst
    assert lst["kind"] == "PartialObjectMetadataList" and lst["apiVersion"] == "meta.k8s.io/v1"
    assert lst["metadata"]["resourceVersion"]
    (item,) = lst["items"]
    assert item["kind"] == "PartialObjectMetadata" and "spec" not in item
    assert item["metadata"]["uid"] == svc["metadata"]["uid"]
    assert item["metadata"]["annotations"] == {"foo": "bar"}
    st, one, _ = apiserver.call("GET", f"{coll}/test-1", headers={"Accept": PARTIAL})
    assert st == 200 and one["kind"] == "PartialObjectMetadata" and "spec" not in one
    assert one["metadata"]["resourceVersion"] == svc["metadata"]["resourceVersion"]


async def test_metadata_watch(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver, "metadata-watch")
    coll = f"/api/v1/namespaces/{ns}/services"
    apiserver.call("POST", coll, service("w", annotations={"foo": "bar"}))
    async with (
        apiserver.session() as s,
        s.get(coll, params={"watch": "true", "resourceVersion": "0"}, headers={"Accept": PARTIAL}) as resp,
    ):
        (ev,) = await take(resp, 1)
    assert ev["type"] == "ADDED"
    assert ev["object"]["kind"] == "PartialObjectMetadata" and "spec" not in ev["object"]
    assert ev["object"]["metadata"]["annotations"] == {"foo": "bar"}


@pytest.mark.parametrize(
    ("accept", "on_list", "message"),
    [
        (
            PARTIAL_LIST,
            False,
            "you requested PartialObjectMetadataList, but the requested object is not a list (*core.Service)",
        ),
        (
            PARTIAL,
            True,
            "you requested PartialObjectMetadata, but the requested object is a list (*core.ServiceList)",
        ),
    ],
    ids=["list-form-for-an-object", "object-form-for-a-list"],
)
def test_metadata_form_must_fit_the_response(
    apiserver: ApiServer, accept: str, on_list: bool, message: str
) -> None:
    coll = "/api/v1/namespaces/default/services"
    st, body, _ = apiserver.call("GET", coll if on_list else f"{coll}/kubernetes", headers={"Accept": accept})
    assert st == 406, body
    assert body["reason"] == "NotAcceptable" and body["message"] == message


def test_metadata_client_accept_header_falls_back_from_protobuf(apiserver: ApiServer) -> None:
    """client-go's metadata client offers protobuf first, then JSON of the same form."""
    accept = (
        "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    )
    st, body, _ = apiserver.call("GET", "/api/v1/namespaces/default/services", headers={"Accept": accept})
    assert st == 200, body
    assert body["kind"] == "PartialObjectMetadataList"
    assert any(i["metadata"]["name"] == "kubernetes" for i in body["items"])


@pytest.mark.parametrize("value", ["true", "false"])
def test_send_initial_events_is_forbidden_for_list(apiserver: ApiServer, value: str) -> None:
    st, body = get(apiserver, "/api/v1/namespaces/default/services", sendInitialEvents=value)
    assert st == 422, body
    assert body["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'
    )


def test_unsupported_list_match_lists_the_empty_value(apiserver: ApiServer) -> None:
    st, body = get(
        apiserver, "/api/v1/namespaces/default/services", resourceVersion="1", resourceVersionMatch="Bad"
    )
    assert st == 422, body
    assert body["message"].endswith(
        'resourceVersionMatch: Unsupported value: "Bad": supported values: "Exact", "NotOlderThan", ""'
    )


# RunWatchSemantics: resourceVersion x allowWatchBookmarks x sendInitialEvents.  "old" is a
# revision before the objects were created (upstream uses "1"), "current" the revision after.
WATCH_SEMANTICS = [
    (rv, bookmarks, initial)
    for rv in ("unset", "0", "old", "current")
    for bookmarks in (True, False)
    for initial in (True, False)
] + [("0", False, None), ("unset", False, None)]


def _expect_initial(rv: str, initial: bool | None) -> bool:
    """Whether the three existing objects arrive first as ADDED events."""
    if initial is None:  # legacy: "" and "0" start with the state
        return True
    if initial:
        return True
    return rv == "old"  # sendInitialEvents=false replays what happened after an old revision


@pytest.mark.parametrize(
    ("rv", "bookmarks", "initial"),
    WATCH_SEMANTICS,
    ids=[
        f"allowWatchBookmarks={b}, sendInitialEvents={i}, RV={r}" if i is not None else f"legacy, RV={r}"
        for r, b, i in WATCH_SEMANTICS
    ],
)
async def test_watch_semantics(apiserver: ApiServer, rv: str, bookmarks: bool, initial: bool | None) -> None:
    ns = new_namespace(apiserver, "ws")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, ns_obj, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}")
    created = [apiserver.call("POST", coll, service(n))[1] for n in ("p1", "p2", "p3")]
    params = {"watch": "true"}
    if bookmarks:
        params["allowWatchBookmarks"] = "true"
    if initial is not None:
        params["sendInitialEvents"] = str(initial).lower()
        params["resourceVersionMatch"] = "NotOlderThan"
    rv_value = {
        "unset": "",
        "0": "0",
        "old": ns_obj["metadata"]["resourceVersion"],
        "current": created[-1]["metadata"]["resourceVersion"],
    }[rv]
    if rv_value:
        params["resourceVersion"] = rv_value
    want_initial = _expect_initial(rv, initial)
    want_mark = bool(initial) and bookmarks
    async with apiserver.session() as s, s.get(coll, params=params) as resp:
        assert resp.status == 200, await resp.text()
        first = (
            await take(resp, (3 if want_initial else 0) + (1 if want_mark else 0))
            if (want_initial or want_mark)
            else []
        )
        for n in ("p4", "p5"):
            await asyncio.to_thread(apiserver.call, "POST", coll, service(n))
        later = [e for e in await take(resp, 2) if e["type"] != "BOOKMARK"]
        later += [e for e in await nothing_within(resp, 0.2) if e["type"] != "BOOKMARK"]
    got_initial = [(e["type"], e["object"]["metadata"]["name"]) for e in first if e["type"] != "BOOKMARK"]
    assert got_initial == ([("ADDED", f"p{i}") for i in (1, 2, 3)] if want_initial else [])
    marks = [e for e in first if e["type"] == "BOOKMARK"]
    if want_mark:
        assert first[-1]["type"] == "BOOKMARK"
        assert marks[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert int(marks[-1]["object"]["metadata"]["resourceVersion"]) >= int(
            created[-1]["metadata"]["resourceVersion"]
        )
    else:
        assert marks == []
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in later] == [("ADDED", "p4"), ("ADDED", "p5")]


async def test_bookmarks_carry_progress_past_filtered_out_events(compacting: ApiServer) -> None:
    """RunTestOptionalWatchBookmarksWithCorrectResourceVersion: a watch whose selector
    matches nothing still gets bookmarks, at the revision of the changes it did not see."""
    ns = new_namespace(compacting, "bookmark-progress")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, first, _ = compacting.call("POST", coll, service("seen-not", {"app": "other"}))
    params = {
        "watch": "true",
        "allowWatchBookmarks": "true",
        "labelSelector": "app=nothing",
        "resourceVersion": first["metadata"]["resourceVersion"],
    }
    async with compacting.session() as s, s.get(coll, params=params) as resp:
        _, last, _ = await asyncio.to_thread(compacting.call, "POST", coll, service("b", {"app": "other"}))
        target = int(last["metadata"]["resourceVersion"])

        async def until_progress() -> list[dict[str, Any]]:
            got: list[dict[str, Any]] = []
            async for line in resp.content:
                if line.strip():
                    got.append(json.loads(line))
                    if int(got[-1]["object"]["metadata"]["resourceVersion"]) >= target:
                        return got
            raise AssertionError(f"stream ended: {got}")

        evs = await asyncio.wait_for(until_progress(), 30)
    assert {e["type"] for e in evs} == {"BOOKMARK"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
    assert rvs == sorted(rvs)
    assert evs[-1]["object"]["kind"] == "Service" and evs[-1]["object"]["apiVersion"] == "v1"


async def test_watch_from_a_future_revision(apiserver: ApiServer) -> None:
    """The watch cache: a plain watch from a revision ahead of the store is established and
    delivers what comes once the store gets there; with sendInitialEvents it waits 3 s and
    then ends with an ERROR event: 504 Timeout "Too large resource version"."""
    ns = new_namespace(apiserver, "future")
    coll = f"/api/v1/namespaces/{ns}/services"
    _, lst, _ = apiserver.call("GET", coll)
    ahead = int(lst["metadata"]["resourceVersion"]) + 2
    async with (
        apiserver.session() as s,
        s.get(coll, params={"watch": "true", "resourceVersion": str(ahead)}) as resp,
    ):
        assert resp.status == 200
        for n in ("f1", "f2", "f3"):
            await asyncio.to_thread(apiserver.call, "POST", coll, service(n))
        evs = await take(resp, 1)
    assert evs[0]["type"] == "ADDED" and int(evs[0]["object"]["metadata"]["resourceVersion"]) > ahead
    params = {
        "watch": "true",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
        "resourceVersion": "99999999",
    }
    async with apiserver.session() as s, s.get(coll, params=params) as resp:
        assert resp.status == 200
        (ev,) = await take(resp, 1)
    assert ev["type"] == "ERROR"
    status = ev["object"]
    assert (status["code"], status["reason"]) == (504, "Timeout")
    assert status["message"].startswith("Too large resource version: 99999999, current: ")
    assert status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    assert status["details"]["retryAfterSeconds"] == 1
