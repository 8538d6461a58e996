"""Upstream's apiserver integration cases not ported elsewhere, over HTTP against our apiserver.

Sources (kubernetes/kubernetes, test/integration/): dryrun/dryrun_test.go (TestDryRun, with the
etcd storage stubs of our kinds), apiserver/max_request_body_bytes_test.go (TestMaxResourceSize),
apiserver/apiserver_test.go (TestEmptyList, TestTransform, TestDedupOwnerReferences).  Each test
names the upstream case it ports.  List/watch options, chunking, the metadata client and
apply/patch cases live in test_upstream_listwatch.py and test_upstream_apply.py; field
validation in test_upstream_fieldvalidation.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.apiserver import ApiServer, start_apiserver

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
LIMIT = 3 * 1024 * 1024

_counter = itertools.count()


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("upstream-apiserver") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


def new_namespace(srv: ApiServer, prefix: str) -> str:
    name = f"{prefix}-{next(_counter)}"
    st, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201, body
    return name


def warnings_of(headers: dict[str, str]) -> list[str]:
    out = []
    for line in headers.get("Warning", "").split("\n"):
        if line:
            assert line.startswith('299 - "') and line.endswith('"'), line
            out.append(json.loads(line[len("299 - ") :]))
    return out


# -- TestDryRun ---------------------------------------------------------------------------------

DRY_NS = "dryrunnamespace"

# The etcd storage stubs upstream's TestDryRun creates (test/integration/etcd/data.go), with
# its own override for core Events (involvedObject in the test namespace).
STUBS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "",
        "services",
        {
            "metadata": {"name": "service1"},
            "spec": {
                "externalName": "service1name",
                "ports": [{"port": 10000, "targetPort": 11000}],
                "selector": {"test": "data"},
            },
        },
    ),
    (
        "",
        "pods",
        {
            "metadata": {"name": "pod1"},
            "spec": {
                "containers": [
                    {
                        "image": "fedora:latest",
                        "name": "container7",
                        "resources": {"limits": {"cpu": "1M"}, "requests": {"cpu": "1M"}},
                    }
                ]
            },
        },
    ),
    ("", "nodes", {"metadata": {"name": "node1"}, "spec": {"unschedulable": True}}),
    ("", "namespaces", {"metadata": {"name": "namespace1"}, "spec": {"finalizers": ["kubernetes"]}}),
    (
        "",
        "endpoints",
        {
            "metadata": {"name": "ep1name"},
            "subsets": [
                {"addresses": [{"hostname": "bar-001", "ip": "192.168.3.1"}], "ports": [{"port": 8000}]}
            ],
        },
    ),
    (
        "",
        "events",
        {
            "involvedObject": {"namespace": DRY_NS},
            "message": "some data here",
            "metadata": {"name": "event1"},
        },
    ),
    (
        "events.k8s.io/v1",
        "events",
        {
            "metadata": {"name": "event2"},
            "regarding": {"namespace": DRY_NS},
            "note": "some data here",
            "eventTime": "2017-08-09T15:04:05.000000Z",
            "reportingInstance": "node-xyz",
            "reportingController": "k8s.io/my-controller",
            "action": "DidNothing",
            "reason": "Laziness",
            "type": "Normal",
        },
    ),
    (
        "discovery.k8s.io/v1",
        "endpointslices",
        {
            "metadata": {"name": "slicev1"},
            "addressType": "IPv4",
            "protocol": "TCP",
            "ports": [],
            "endpoints": [],
        },
    ),
    (
        "coordination.k8s.io/v1",
        "leases",
        {"metadata": {"name": "leasev1"}, "spec": {"holderIdentity": "holder", "leaseDurationSeconds": 5}},
    ),
]


@pytest.fixture(scope="module")
def dry_ns(apiserver: ApiServer) -> str:
    st, body, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": DRY_NS}})
    assert st == 201, body
    return DRY_NS


def _collection(srv: ApiServer, group_version: str, resource: str) -> tuple[str, bool, bool]:
    """(collection path, namespaced, has deletecollection) from discovery."""
    base = f"/apis/{group_version}" if group_version else "/api/v1"
    st, disc, _ = srv.call("GET", base)
    assert st == 200
    res = next(r for r in disc["resources"] if r["name"] == resource)
    path = f"{base}/namespaces/{DRY_NS}/{resource}" if res["namespaced"] else f"{base}/{resource}"
    return path, res["namespaced"], "deletecollection" in res["verbs"]


@pytest.mark.parametrize(
    ("group_version", "resource", "stub"), STUBS, ids=[f"{g or 'v1'}/{r}" for g, r, _ in STUBS]
)
def test_dry_run(
    apiserver: ApiServer, dry_ns: str, group_version: str, resource: str, stub: dict[str, Any]
) -> None:
    """TestDryRun: DryRunCreateTest, DryRunUpdateTest, DryRunPatchTest, DryRunDeleteCollectionTest,
    DryRunDeleteTest on every served kind, then a real delete with grace period 0."""
    coll, _, has_delete_collection = _collection(apiserver, group_version, resource)
    name = stub["metadata"]["name"]
    obj_path = f"{coll}/{name}"
    api_version = group_version or "v1"

    # DryRunCreateTest: the answer has the kind of the object sent, nothing is stored.
    st, created, _ = apiserver.call("POST", coll + "?dryRun=All", stub)
    assert st == 201, created
    assert (created["apiVersion"], created["metadata"]["name"]) == (api_version, name)
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    assert apiserver.call("GET", obj_path)[0] == 404

    st, real, _ = apiserver.call("POST", coll, stub)
    assert st == 201, real

    # DryRunUpdateTest: the answer carries the change, the stored object does not.
    current = apiserver.call("GET", obj_path)[1]
    current["metadata"]["annotations"] = {"update": "true"}
    st, updated, _ = apiserver.call("PUT", obj_path + "?dryRun=All", current)
    assert st == 200, updated
    assert updated["metadata"]["annotations"] == {"update": "true"}
    assert updated["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    stored = apiserver.call("GET", obj_path)[1]
    assert "update" not in (stored["metadata"].get("annotations") or {})

    # DryRunPatchTest
    st, patched, _ = apiserver.call(
        "PATCH",
        obj_path + "?dryRun=All",
        {"metadata": {"annotations": {"patch": "true"}}},
        content_type=MERGE,
    )
    assert st == 200, patched
    assert patched["metadata"]["annotations"]["patch"] == "true"
    stored = apiserver.call("GET", obj_path)[1]
    assert "patch" not in (stored["metadata"].get("annotations") or {})
    assert stored["metadata"]["resourceVersion"] == real["metadata"]["resourceVersion"]

    # DryRunDeleteCollectionTest (for kinds serving deletecollection)
    if has_delete_collection:
        st, body, _ = apiserver.call("DELETE", coll + "?dryRun=All")
        assert st == 200, body
        stored = apiserver.call("GET", obj_path)[1]
        assert "deletionTimestamp" not in stored["metadata"]

    # DryRunDeleteTest
    st, body, _ = apiserver.call(
        "DELETE", obj_path, {"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"]}
    )
    assert st == 200, body
    st, stored, _ = apiserver.call("GET", obj_path)
    assert st == 200 and "deletionTimestamp" not in stored["metadata"]
    assert stored["metadata"]["resourceVersion"] == real["metadata"]["resourceVersion"]

    # the final real delete (NewDeleteOptions(0))
    st, body, _ = apiserver.call(
        "DELETE", obj_path, {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}
    )
    assert st in (200, 202), body


def test_dry_run_create_with_generate_name(apiserver: ApiServer, dry_ns: str) -> None:
    """TestDryRun's DryRunCreateWithGenerateNameTest: the generated name is returned, nothing stored."""
    body = {"metadata": {"generateName": "gen-"}, "spec": {"ports": [{"port": 80}]}}
    st, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{dry_ns}/services?dryRun=All", body)
    assert st == 201, created
    name = created["metadata"]["name"]
    assert name.startswith("gen-") and len(name) == len("gen-") + 5
    assert apiserver.call("GET", f"/api/v1/namespaces/{dry_ns}/services/{name}")[0] == 404


def test_dry_run_service_allocations_are_not_consumed(apiserver: ApiServer) -> None:
    """TestDryRun on Services (and the registry's dry-run allocator): a dry-run create, update or
    delete neither takes nor gives back a ClusterIP or a NodePort."""
    ns = new_namespace(apiserver, "dry-alloc")
    coll = f"/api/v1/namespaces/{ns}/services"

    def svc(name: str, **spec: Any) -> dict[str, Any]:
        return {"metadata": {"name": name}, "spec": {"ports": [{"port": 80}], **spec}}

    # a dry-run create answers with allocations, and keeps none of them
    st, dry, _ = apiserver.call(
        "POST",
        coll + "?dryRun=All",
        svc("a", type="NodePort", clusterIP="10.96.200.10", ports=[{"port": 80, "nodePort": 30410}]),
    )
    assert st == 201, dry
    assert dry["spec"]["clusterIP"] == "10.96.200.10" and dry["spec"]["clusterIPs"] == ["10.96.200.10"]
    assert dry["spec"]["ports"][0]["nodePort"] == 30410
    st, real, _ = apiserver.call(
        "POST",
        coll,
        svc("b", type="NodePort", clusterIP="10.96.200.10", ports=[{"port": 80, "nodePort": 30410}]),
    )
    assert st == 201, real

    # a dry-run auto-allocation shows an address without taking it
    st, dry, _ = apiserver.call("POST", coll + "?dryRun=All", svc("c"))
    assert st == 201, dry
    assert dry["spec"]["clusterIP"].startswith("10.") and dry["spec"]["clusterIPs"] == [
        dry["spec"]["clusterIP"]
    ]

    # a dry-run delete gives nothing back: the address and port stay taken
    st, _, _ = apiserver.call("DELETE", f"{coll}/b?dryRun=All")
    assert st == 200
    st, body, _ = apiserver.call("POST", coll, svc("d", clusterIP="10.96.200.10"))
    assert st == 422, body
    assert body["details"]["causes"][0]["field"] == "spec.clusterIPs"
    assert "provided IP is already allocated" in body["message"]
    st, body, _ = apiserver.call(
        "POST", coll, svc("e", type="NodePort", ports=[{"port": 80, "nodePort": 30410}])
    )
    assert st == 422, body
    assert "provided port is already allocated" in body["message"]

    # a dry-run update to NodePort takes no port
    current = apiserver.call("GET", f"{coll}/b")[1]
    st, _, _ = apiserver.call("POST", coll, svc("f"))
    assert st == 201
    f = apiserver.call("GET", f"{coll}/f")[1]
    f["spec"]["type"] = "NodePort"
    f["spec"]["ports"][0]["nodePort"] = 30411
    st, dry, _ = apiserver.call("PUT", f"{coll}/f?dryRun=All", f)
    assert st == 200 and dry["spec"]["ports"][0]["nodePort"] == 30411, dry
    st, body, _ = apiserver.call(
        "POST", coll, svc("g", type="NodePort", ports=[{"port": 80, "nodePort": 30411}])
    )
    assert st == 201, body
    assert current["spec"]["clusterIP"] == "10.96.200.10"


# -- TestMaxResourceSize ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def size_target(apiserver: ApiServer) -> str:
    ns = new_namespace(apiserver, "max-size")
    path = f"/api/v1/namespaces/{ns}/services/test"
    st, body, _ = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/services",
        {"metadata": {"name": "test"}, "spec": {"ports": [{"port": 80}]}},
    )
    assert st == 201, body
    return path


HUGE = b"x" * (LIMIT + 1)


@pytest.mark.parametrize(
    ("method", "ctype"),
    [
        ("POST", "application/json"),
        ("PUT", "application/json"),
        ("PATCH", JSON_PATCH),
        ("DELETE", "application/json"),
    ],
)
def test_request_body_over_the_limit(apiserver: ApiServer, size_target: str, method: str, ctype: str) -> None:
    """TestMaxResourceSize: Create/Update/Patch/Delete should limit the request body size."""
    path = size_target.rsplit("/", 1)[0] if method == "POST" else size_target
    st, body, _ = apiserver.call(method, path, HUGE, content_type=ctype)
    assert st == 413, body
    assert body["reason"] == "RequestEntityTooLarge"
    assert body["message"] == f"Request entity too large: limit is {LIMIT}"


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        (JSON_PATCH, b'[{"op":"add","path":"/foo","value":0' + b" " * (LIMIT - 100) + b"}]"),
        (MERGE, b'{"value":0' + b" " * (LIMIT - 100) + b"}"),
        (SMP, b'{"value":0' + b" " * (LIMIT - 100) + b"}"),
        (APPLY, b'{"apiVersion":"v1","kind":"Service"' + b" " * (LIMIT - 100) + b"}"),
    ],
    ids=["json-patch", "merge-patch", "strategic-merge-patch", "apply"],
)
def test_valid_patch_just_under_the_limit(
    apiserver: ApiServer, size_target: str, ctype: str, body: bytes
) -> None:
    """TestMaxResourceSize: <patch type> should handle a valid patch just under the max limit."""
    query = "?fieldManager=test" if ctype == APPLY else ""
    st, resp, _ = apiserver.call("PATCH", size_target + query, body, content_type=ctype)
    assert st == 200, resp


@pytest.mark.parametrize("ctype", [JSON_PATCH, MERGE, SMP, APPLY])
def test_deeply_nested_patch_just_under_the_limit(apiserver: ApiServer, size_target: str, ctype: str) -> None:
    """TestMaxResourceSize: <patch type> should handle a patch just under the max limit (nesting
    1.5 M levels deep): success or 400, never a crash or a hang."""
    depth = LIMIT // 2 - 100
    nested = b"[" * depth + b"]" * depth
    body = (
        b'[{"op":"add","path":"/foo","value":' + nested + b"}]"
        if ctype == JSON_PATCH
        else b'{"value":' + nested + b"}"
    )
    query = "?fieldManager=test" if ctype == APPLY else ""
    st, resp, _ = apiserver.call("PATCH", size_target + query, body, content_type=ctype)
    assert st in (200, 400), resp
    assert apiserver.call("GET", size_target)[0] == 200


@pytest.mark.parametrize(
    ("ctype", "body", "code"),
    [
        # over the limit: 413 before any parsing
        (
            "application/yaml",
            b"\napiVersion: v1\nkind: Service\nmetadata:\n  name: mytest\nvalues: " + b"[" * LIMIT,
            413,
        ),
        (
            "application/json",
            b'{"apiVersion":"v1","kind":"Service","metadata":{"name":"mytest"},"values":'
            + b"[" * (LIMIT // 2)
            + b"]" * (LIMIT // 2)
            + b"}",
            413,
        ),
        # just under it, nested or unbalanced: a 400
        (
            "application/yaml",
            b"\napiVersion: v1\nkind: Service\nmetadata:\n  name: mytest\nvalues: "
            + b"[" * (LIMIT // 2 - 500)
            + b"]" * (LIMIT // 2 - 500),
            400,
        ),
        (
            "application/yaml",
            b"\napiVersion: v1\nkind: Service\nmetadata:\n  name: mytest\nvalues: " + b"[" * (LIMIT - 1000),
            400,
        ),
        (
            "application/json",
            b'{"apiVersion":"v1","kind":"Service","metadata":{"name":"mytest"},"values":'
            + b"[" * (LIMIT - 1000)
            + b"}",
            400,
        ),
    ],
    ids=["yaml-over", "json-over", "yaml-nested-under", "yaml-unbalanced-under", "json-unbalanced-under"],
)
def test_create_body_parsing_limits(
    apiserver: ApiServer, size_target: str, ctype: str, body: bytes, code: int
) -> None:
    """TestMaxResourceSize: create should limit yaml/json parsing, and handle documents just
    under the maximum size (correct or unbalanced nesting) with a 400."""
    coll = size_target.rsplit("/", 1)[0]
    st, resp, _ = apiserver.call("POST", coll, body, content_type=ctype)
    assert st == code, resp
    assert apiserver.call("GET", f"{coll}/mytest")[0] == 404


# -- TestEmptyList ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v1/namespaces/{ns}/services", "ServiceList"),
        ("/api/v1/namespaces/{ns}/pods", "PodList"),
        ("/api/v1/namespaces/{ns}/endpoints", "EndpointsList"),
        ("/api/v1/namespaces/{ns}/events", "EventList"),
        ("/apis/events.k8s.io/v1/namespaces/{ns}/events", "EventList"),
        ("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", "EndpointSliceList"),
        ("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", "LeaseList"),
    ],
)
def test_empty_list(apiserver: ApiServer, path: str, kind: str) -> None:
    """TestEmptyList: an empty list has `"items": []` (never null or absent) and a resourceVersion."""
    ns = new_namespace(apiserver, "empty")
    st, raw, _ = apiserver.call("GET", path.format(ns=ns), headers={"Accept": "application/json"})
    assert st == 200
    assert raw["kind"] == kind and raw["items"] == []
    assert raw["metadata"]["resourceVersion"]
    # the metadata-only form too
    st, meta, _ = apiserver.call(
        "GET",
        path.format(ns=ns),
        headers={"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"},
    )
    assert st == 200 and meta["kind"] == "PartialObjectMetadataList" and meta["items"] == []


# -- TestTransform (watch) ----------------------------------------------------------------------


async def _watch_events(
    srv: ApiServer, path: str, accept: str, params: dict[str, str], count: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with (
        srv.session() as s,
        s.get(path, params={"watch": "true", **params}, headers={"Accept": accept}) as resp,
    ):
        assert resp.status == 200, await resp.text()

        async def read() -> None:
            async for line in resp.content:
                if line.strip():
                    out.append(json.loads(line))
                    if len(out) >= count:
                        return

        await asyncio.wait_for(read(), 30)
    return out


def _created_and_patched(srv: ApiServer, ns: str, name: str) -> str:
    """Create a Service (port 1000), annotate it; return the resourceVersion before both."""
    rv = srv.call("GET", f"/api/v1/namespaces/{ns}/services")[1]["metadata"]["resourceVersion"]
    st, _, _ = srv.call(
        "POST",
        f"/api/v1/namespaces/{ns}/services",
        {"metadata": {"name": name}, "spec": {"ports": [{"port": 1000}]}},
    )
    assert st == 201
    st, _, _ = srv.call(
        "PATCH",
        f"/api/v1/namespaces/{ns}/services/{name}",
        {"metadata": {"annotations": {"test": "1"}}},
        content_type=MERGE,
    )
    assert st == 200
    return str(rv)


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
@pytest.mark.parametrize("include", ["", "None", "Object"])
async def test_transform_watch_tables_on_services(apiserver: ApiServer, version: str, include: str) -> None:
    """TestTransform: "verify columns on services" (with no object, with full object), v1 and
    v1beta1: two events; the first table has the 7 columns, the second none; one row of 7
    cells each; the row object per includeObject (PartialObjectMetadata of the Table's version
    by default, absent for None, the whole Service for Object)."""
    ns = new_namespace(apiserver, "transform")
    rv = _created_and_patched(apiserver, ns, "test-1")
    params = {"resourceVersion": rv, "fieldSelector": "metadata.name=test-1"}
    if include:
        params["includeObject"] = include
    events = await _watch_events(
        apiserver,
        f"/api/v1/namespaces/{ns}/services",
        f"application/json;as=Table;g=meta.k8s.io;v={version}",
        params,
        2,
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    for i, event in enumerate(events):
        table = event["object"]
        assert (table["kind"], table["apiVersion"]) == ("Table", f"meta.k8s.io/{version}")
        assert len(table.get("columnDefinitions") or []) == (7 if i == 0 else 0)
        assert len(table["rows"]) == 1 and len(table["rows"][0]["cells"]) == 7
        row_object = table["rows"][0].get("object")
        if include == "None":
            assert row_object is None
        elif include == "Object":
            assert row_object["kind"] == "Service"
        else:
            assert (row_object["kind"], row_object["apiVersion"]) == (
                "PartialObjectMetadata",
                f"meta.k8s.io/{version}",
            )
    if include == "Object":
        svc = events[1]["object"]["rows"][0]["object"]
        assert svc["metadata"]["annotations"]["test"] == "1" and svc["spec"]["ports"][0]["port"] == 1000


async def test_transform_watch_table_on_cluster_scoped_resources(apiserver: ApiServer) -> None:
    """TestTransform: "v1 verify columns on cluster scoped resources": the default namespace
    watched from 0 is one event, a table of 3 columns."""
    events = await _watch_events(
        apiserver,
        "/api/v1/namespaces",
        "application/json;as=Table;g=meta.k8s.io;v=v1",
        {"resourceVersion": "0", "fieldSelector": "metadata.name=default"},
        1,
    )
    table = events[0]["object"]
    assert len(table["columnDefinitions"]) == 3 and [len(r["cells"]) for r in table["rows"]] == [3]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
async def test_transform_watch_partial_object_metadata(apiserver: ApiServer, version: str) -> None:
    """TestTransform: "verify partial metadata object": each event is a PartialObjectMetadata
    of the requested version, carrying the annotation of its moment ("0", then "1")."""
    ns = new_namespace(apiserver, "transform-pom")
    rv = apiserver.call("GET", f"/api/v1/namespaces/{ns}/endpoints")[1]["metadata"]["resourceVersion"]
    st, _, _ = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/endpoints",
        {"metadata": {"name": "test-1", "annotations": {"test": "0"}}},
    )
    assert st == 201
    st, _, _ = apiserver.call(
        "PATCH",
        f"/api/v1/namespaces/{ns}/endpoints/test-1",
        {"metadata": {"annotations": {"test": "1"}}},
        content_type=MERGE,
    )
    assert st == 200
    events = await _watch_events(
        apiserver,
        f"/api/v1/namespaces/{ns}/endpoints",
        f"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v={version}",
        {"resourceVersion": str(rv), "fieldSelector": "metadata.name=test-1"},
        2,
    )
    for event, value in zip(events, ["0", "1"], strict=True):
        obj = event["object"]
        assert (obj["kind"], obj["apiVersion"]) == ("PartialObjectMetadata", f"meta.k8s.io/{version}")
        assert obj["metadata"]["annotations"]["test"] == value
        assert set(obj) == {"kind", "apiVersion", "metadata"}


GENERAL_406 = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
STREAM_406 = (
    "only the following media types are accepted: application/json;stream=watch, "
    "application/vnd.kubernetes.protobuf;stream=watch"
)


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        # no Table in protobuf (for a watch too, the general message: "TODO: more specific")
        ("application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1", STREAM_406),
        ("application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1beta1", STREAM_406),
        ("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1alpha1", STREAM_406),  # bad version
        ("application/json;as=PartialObjectMetadata;g=k8s.io;v=v1", STREAM_406),  # bad group
        ("application/json;as=PartialObject;g=meta.k8s.io;v=v1", STREAM_406),  # bad kind
        ("application/json;as=Service;g=;v=v1", STREAM_406),  # only meta kinds
        ("application/json;g=meta.k8s.io;v=v1", STREAM_406),  # missing kind
        ("application/json;g=meta.k8s.io;v=v1beta1", STREAM_406),
        ("application/yaml;as=Table;g=meta.k8s.io;v=v1", STREAM_406),  # no YAML watch
    ],
)
def test_transform_not_acceptable(apiserver: ApiServer, accept: str, message: str) -> None:
    """TestTransform: "verify error on invalid mimetype - bad version/group/kind, missing kind,
    only meta kinds accepted", "unsupported mimetype protobuf for table conversion", "columns
    on CRDs in yaml": 406 NotAcceptable, for the watch and (general wording) for the list."""
    path = "/api/v1/namespaces/default/services"
    st, body, _ = apiserver.call(
        "GET", path + "?watch=true&fieldSelector=metadata.name%3Dkubernetes", headers={"Accept": accept}
    )
    assert (st, body["reason"]) == (406, "NotAcceptable"), body
    assert body["message"] == message
    if accept.startswith("application/yaml"):
        # a list or get may be a Table in YAML
        st, raw, headers = apiserver.call("GET", path, headers={"Accept": accept})
        assert st == 200 and headers["Content-Type"].startswith("application/yaml")
        table = yaml.safe_load(raw)
        assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
        assert table["rows"][0]["cells"][0] == "kubernetes"
        return
    st, body, _ = apiserver.call("GET", path, headers={"Accept": accept})
    assert (st, body["message"]) == (406, GENERAL_406), body
    st, body, _ = apiserver.call("GET", path + "/kubernetes", headers={"Accept": accept})
    assert (st, body["message"]) == (406, GENERAL_406), body


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
@pytest.mark.parametrize("watch", [True, False])
def test_transform_invalid_include_object(apiserver: ApiServer, version: str, watch: bool) -> None:
    """TestTransform: "verify error on invalid transform parameter": a 400 BadRequest."""
    query = "?includeObject=unrecognized" + ("&watch=true" if watch else "")
    st, body, _ = apiserver.call(
        "GET",
        "/api/v1/namespaces/default/services" + query,
        headers={"Accept": f"application/json;as=Table;g=meta.k8s.io;v={version}"},
    )
    assert (st, body["reason"]) == (400, "BadRequest"), body
    assert body["message"] == (
        'Unable to convert to Table as requested: includeObject: Invalid value: "unrecognized": '
        "must be 'Metadata', 'Object', 'None', or empty"
    )
    # without a Table conversion the parameter means nothing
    st, _, _ = apiserver.call("GET", "/api/v1/namespaces/default/services?includeObject=unrecognized")
    assert st == 200


# -- TestDedupOwnerReferences -------------------------------------------------------------------

DEDUP = (
    ".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, "
    "and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: {}"
)
DEDUP_AFTER_ADMISSION = (
    ".metadata.ownerReferences contains duplicate entries after mutating admission happens; API server "
    "dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your "
    "requests; duplicate UID(s) observed: {}"
)


def test_dedup_owner_references(apiserver: ApiServer) -> None:
    """TestDedupOwnerReferences: create and update drop repeated identical owner references with
    a warning; a JSON patch appending one again is deduplicated "after mutating admission";
    different references are kept, silently."""
    ns = new_namespace(apiserver, "dedup")
    coll = f"/api/v1/namespaces/{ns}/endpoints"
    ref_a = {"apiVersion": "v1", "kind": "ConfigMap", "name": "fake-configmap", "uid": "2d5e1a38-0001"}
    ref_b = {"apiVersion": "v1", "kind": "Node", "name": "fake-node", "uid": "2d5e1a38-0002"}
    ref_c = {"apiVersion": "cr.bar.com/v1", "kind": "Foo", "name": "fake-foo", "uid": "2d5e1a38-0003"}

    st, dep, headers = apiserver.call(
        "POST", coll, {"metadata": {"name": "dependent", "ownerReferences": [ref_a, ref_a]}}
    )
    assert st == 201, dep
    assert dep["metadata"]["ownerReferences"] == [ref_a]
    assert dep["metadata"]["managedFields"]
    assert warnings_of(headers) == [DEDUP.format(ref_a["uid"])]

    dep["metadata"]["ownerReferences"] = [ref_a, ref_a]
    st, dep, headers = apiserver.call("PUT", f"{coll}/dependent", dep)
    assert st == 200, dep
    assert dep["metadata"]["ownerReferences"] == [ref_a]
    assert dep["metadata"]["managedFields"]
    assert warnings_of(headers) == [DEDUP.format(ref_a["uid"])]

    patch = [{"op": "add", "path": "/metadata/ownerReferences/-", "value": ref_a}]
    st, dep, headers = apiserver.call("PATCH", f"{coll}/dependent", patch, content_type=JSON_PATCH)
    assert st == 200, dep
    assert dep["metadata"]["ownerReferences"] == [ref_a]
    assert warnings_of(headers) == [DEDUP_AFTER_ADMISSION.format(ref_a["uid"])]

    dep["metadata"]["ownerReferences"] = [ref_a, ref_b]
    st, dep, headers = apiserver.call("PUT", f"{coll}/dependent", dep)
    assert st == 200 and dep["metadata"]["ownerReferences"] == [ref_a, ref_b]
    assert warnings_of(headers) == []

    patch = [{"op": "add", "path": "/metadata/ownerReferences/-", "value": ref_c}]
    st, dep, headers = apiserver.call("PATCH", f"{coll}/dependent", patch, content_type=JSON_PATCH)
    assert st == 200 and dep["metadata"]["ownerReferences"] == [ref_a, ref_b, ref_c]
    assert warnings_of(headers) == []

    st, _, headers = apiserver.call("DELETE", f"{coll}/dependent")
    assert st == 200 and warnings_of(headers) == []


def test_same_uid_with_other_fields_is_not_a_duplicate(apiserver: ApiServer) -> None:
    """dedupOwnerReferences: only entries equal in every field are duplicates."""
    ns = new_namespace(apiserver, "dedup")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "same-uid"}
    other = {**ref, "controller": True}
    st, dep, headers = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/endpoints",
        {"metadata": {"name": "d", "ownerReferences": [ref, other]}},
    )
    assert st == 201, dep
    assert dep["metadata"]["ownerReferences"] == [ref, other]
    assert warnings_of(headers) == []


# -- TestNamespaceCondition (test/integration/namespace/ns_conditions_test.go) -------------------


async def test_namespace_condition(apiserver: ApiServer) -> None:
    """TestNamespaceCondition: a deleted namespace holding a Pod and an object with a custom
    finalizer (a Service in the Deployment's place) shows the five deletion conditions, worded
    as upstream's namespace deleter words them."""
    from kubesvc.api.scheme import NAMESPACES
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.namespace.controller import NamespaceController

    ns = new_namespace(apiserver, "test-namespace-conditions")
    pod = STUBS[1][2]
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", pod)
    assert st == 201, body
    svc = {
        "metadata": {"name": "held", "finalizers": ["custom.io/finalizer"]},
        "spec": {"ports": [{"port": 80}]},
    }
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc)
    assert st == 201, body
    st, body, _ = apiserver.call("DELETE", f"/api/v1/namespaces/{ns}")
    assert st == 200, body

    expected = {
        "NamespaceDeletionGroupVersionParsingFailure": ("False", "All legacy kube types successfully parsed"),
        "NamespaceDeletionDiscoveryFailure": ("False", "All resources successfully discovered"),
        "NamespaceDeletionContentFailure": (
            "False",
            "All content successfully deleted, may be waiting on finalization",
        ),
        "NamespaceContentRemaining": (
            "True",
            "Some resources are remaining: services. has 1 resource instances",
        ),
        "NamespaceFinalizersRemaining": (
            "True",
            "Some content in the namespace has finalizers remaining: custom.io/finalizer in 1 resource instances",
        ),
    }
    client = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    factory = InformerFactory(client)
    ctrl = NamespaceController(client, namespaces=factory.informer(NAMESPACES))
    factory.start()
    task = asyncio.create_task(ctrl.run())
    try:
        found: dict[str, tuple[str, str]] = {}
        for _ in range(200):
            cur = apiserver.call("GET", f"/api/v1/namespaces/{ns}")[1]
            found = {
                c["type"]: (c["status"], c["message"])
                for c in (cur.get("status") or {}).get("conditions") or []
            }
            if found == expected:
                break
            await asyncio.sleep(0.1)
        assert found == expected
        reasons = {c["type"]: c["reason"] for c in cur["status"]["conditions"]}
        assert reasons["NamespaceContentRemaining"] == "SomeResourcesRemain"
        assert reasons["NamespaceFinalizersRemaining"] == "SomeFinalizersRemain"
        assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/pods/pod1")[0] == 404

        # the finalizer lifted, the namespace goes
        st, _, _ = apiserver.call(
            "PATCH",
            f"/api/v1/namespaces/{ns}/services/held",
            {"metadata": {"finalizers": None}},
            content_type=MERGE,
        )
        assert st == 200
        for _ in range(300):
            if apiserver.call("GET", f"/api/v1/namespaces/{ns}")[0] == 404:
                break
            await asyncio.sleep(0.1)
        assert apiserver.call("GET", f"/api/v1/namespaces/{ns}")[0] == 404
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await factory.stop()
        await client.close()


# -- apiserver_test.go: Test4xxStatusCodeInvalidPatch, TestCacheControl, Test202StatusCode -------


@pytest.mark.parametrize("ctype", [MERGE, SMP])
def test_4xx_status_code_invalid_patch(apiserver: ApiServer, ctype: str) -> None:
    """Test4xxStatusCodeInvalidPatch: a patch making an annotation a list is a 422 (the patched
    object does not decode), and nothing changes."""
    ns = new_namespace(apiserver, "invalid-patch")
    path = f"/api/v1/namespaces/{ns}/services/s"
    st, created, _ = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/services",
        {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}},
    )
    assert st == 201
    st, body, _ = apiserver.call(
        "PATCH", path, b'{"metadata":{"annotations":{"foo":["bar"]}}}', content_type=ctype
    )
    assert (st, body["reason"]) == (422, "Invalid"), body
    assert body["details"]["causes"][0]["field"] == "patch"
    if ctype == MERGE:
        # the patched JSON fails the typed decode (a strategic merge fails in the converter)
        assert body["message"].endswith(
            ": json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type string"
        )
    stored = apiserver.call("GET", path)[1]
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"metadata": {"name": "a", "annotations": {"foo": ["bar"]}}},
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type string",
        ),
        (
            {"metadata": {"name": "a", "labels": {"foo": 1}}},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            {"metadata": {"name": "a"}, "spec": {"ports": [{"port": "80"}]}},
            "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32",
        ),
        (
            {"metadata": {"name": "a"}, "spec": {"ports": [{"port": 80.5}]}},
            "json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.port of type int32",
        ),
        (
            {"metadata": {"name": "a"}, "spec": {"ports": {"port": 80}}},
            "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort",
        ),
        (
            {"metadata": {"name": "a"}, "spec": "x"},
            "json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec",
        ),
        (
            {"metadata": {"name": "a"}, "spec": {"ports": [{"port": 80}], "publishNotReadyAddresses": "yes"}},
            "json: cannot unmarshal string into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool",
        ),
    ],
)
def test_wrong_json_types_fail_the_decode(apiserver: ApiServer, body: dict[str, Any], message: str) -> None:
    """The typed decode behind every upstream write: a value of the wrong JSON type is a 400
    naming the Go struct field and type, whatever fieldValidation says, and nothing is stored."""
    ns = new_namespace(apiserver, "types")
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services?fieldValidation=Ignore", body)
    assert (st, resp["reason"]) == (400, "BadRequest"), resp
    assert resp["message"] == 'Service in version "v1" cannot be handled as a Service: ' + message
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/a")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/healthz",
        "/openapi/v2",
        "/api",
        "/api/v1",
        "/apis",
        "/apis/discovery.k8s.io",
        "/apis/discovery.k8s.io/v1",
        "/api/v1/namespaces",
        "/apis/discovery.k8s.io/v1/endpointslices",
        "/api/v1/namespaces/nope/services/missing",
    ],
)
def test_cache_control(apiserver: ApiServer, path: str) -> None:
    """TestCacheControl: every answer (errors too) is `Cache-Control: no-cache, private`."""
    _, _, headers = apiserver.call("GET", path)
    assert "private" in headers.get("Cache-Control", ""), headers


async def test_cache_control_on_watch(apiserver: ApiServer) -> None:
    """TestCacheControl, for a watch stream."""
    async with (
        apiserver.session() as s,
        s.get("/api/v1/namespaces?watch=true&timeoutSeconds=1") as resp,
    ):
        assert resp.status == 200
        assert resp.headers.get("Cache-Control") == "no-cache, private"


def test_202_status_code(apiserver: ApiServer) -> None:
    """Test202StatusCode: DELETE answers 200 whether the object goes at once or (with a finalizer)
    stays, unless the client asked orphanDependents=false of an object that stays: 202."""
    ns = new_namespace(apiserver, "status-code")
    coll = f"/api/v1/namespaces/{ns}/services"
    cascade = {"kind": "DeleteOptions", "apiVersion": "v1", "orphanDependents": False}
    cases = [([], None, 200), (["kube.io/dummy-finalizer"], None, 200), ([], cascade, 200)]
    cases.append((["kube.io/dummy-finalizer"], cascade, 202))
    for i, (finalizers, options, code) in enumerate(cases):
        body = {"metadata": {"name": f"s{i}", "finalizers": finalizers}, "spec": {"ports": [{"port": 80}]}}
        assert apiserver.call("POST", coll, body)[0] == 201
        st, resp, _ = apiserver.call("DELETE", f"{coll}/s{i}", options)
        assert st == code, (i, resp)


# -- apply_test.go: TestNoSemanticUpdatePutSameResourceVersion, TestNoSemanticUpdateApply... --------


def _pod_with_quantities(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "nginx"}},
        "spec": {
            "serviceAccountName": "default",
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx",
                    "resources": {"limits": {"memory": "2048Mi", "cpu": "0.5"}},
                }
            ],
        },
    }


@pytest.mark.parametrize("verb", ["PUT", "APPLY"])
def test_no_semantic_update_keeps_resource_version(apiserver: ApiServer, verb: str) -> None:
    """TestNoSemanticUpdatePutSameResourceVersion / ...ApplySameResourceVersion: quantities are
    stored in canonical form (2048Mi -> 2Gi, 0.5 -> 500m), so writing the same body again is
    no change: the resourceVersion stays."""
    ns = new_namespace(apiserver, "no-semantic")
    path = f"/api/v1/namespaces/{ns}/pods/nginx"
    body = _pod_with_quantities("nginx")
    if verb == "PUT":
        st, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods?fieldManager=apply_test", body)
    else:
        st, created, _ = apiserver.call("PATCH", path + "?fieldManager=apply_test", body, content_type=APPLY)
    assert st == 201, created
    resources = created["spec"]["containers"][0]["resources"]
    assert resources["limits"] == {"memory": "2Gi", "cpu": "500m"}
    assert resources["requests"] == {"memory": "2Gi", "cpu": "500m"}
    time.sleep(1.1)  # a later second: a no-op must not even touch managedFields times
    if verb == "PUT":
        st, again, _ = apiserver.call("PUT", path + "?fieldManager=apply_test", body)
    else:
        st, again, _ = apiserver.call("PATCH", path + "?fieldManager=apply_test", body, content_type=APPLY)
    assert st == 200, again
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_invalid_quantity_fails_the_decode(apiserver: ApiServer) -> None:
    """resource.Quantity's UnmarshalJSON: a string that is no quantity is a 400."""
    ns = new_namespace(apiserver, "quantity")
    body = _pod_with_quantities("bad")
    body["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1 core"
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", body)
    assert st == 400, resp
    assert resp["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_noop_apply_with_null_creation_time(apiserver: ApiServer) -> None:
    """TestNoopChangeCreationTime: applying `creationTimestamp: null, resourceVersion: null`
    twice answers the same object (a Lease in the ConfigMap's place)."""
    ns = new_namespace(apiserver, "noop-ct")
    path = f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/myconfig?fieldManager=apply_test"
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "myconfig", "creationTimestamp": None, "resourceVersion": None},
        "spec": {"holderIdentity": "value"},
    }
    st, first, _ = apiserver.call("PATCH", path, body, content_type=APPLY)
    assert st == 201, first
    st, second, _ = apiserver.call("PATCH", path, body, content_type=APPLY)
    assert st == 200 and second == first


def test_apply_empty_marker_struct_differs_from_nil(apiserver: ApiServer) -> None:
    """TestApplyEmptyMarkerStructDifferentFromNil."""
    ns = new_namespace(apiserver, "marker")
    path = f"/api/v1/namespaces/{ns}/pods/pod-with-empty-dir?fieldManager=apply_test"
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pod-with-empty-dir"},
        "spec": {
            "containers": [
                {
                    "name": "test-container-a",
                    "image": "test-image-one",
                    "volumeMounts": [{"mountPath": "/cache", "name": "cache-volume"}],
                }
            ],
            "volumes": [{"name": "cache-volume", "emptyDir": {}}],
        },
    }
    st, created, _ = apiserver.call("PATCH", path, pod, content_type=APPLY)
    assert st == 201, created
    pod["spec"]["volumes"] = [{"name": "cache-volume"}]
    st, updated, _ = apiserver.call("PATCH", path, pod, content_type=APPLY)
    assert st == 200, updated
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]


# -- test/integration/apimachinery: TestCheckFieldItemsInEmptyList, TestWatchNamespaceEvent ------


def test_check_field_items_in_empty_list(apiserver: ApiServer) -> None:
    """TestCheckFieldItemsInEmptyList: every listable resource discovery names, listed in a
    namespace that does not exist with a selector nothing matches, has `"items": []`."""
    st, groups, _ = apiserver.call("GET", "/apis")
    assert st == 200
    versions = ["/api/v1"] + [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups["groups"]]
    listed = 0
    for base in versions:
        st, disc, _ = apiserver.call("GET", base)
        assert st == 200, base
        for res in disc["resources"]:
            if "list" not in res["verbs"] or "/" in res["name"]:
                continue
            path = (
                f"{base}/namespaces/non-exist/{res['name']}" if res["namespaced"] else f"{base}/{res['name']}"
            )
            st, body, _ = apiserver.call("GET", path + "?labelSelector=non-exist%3Dnon-exist")
            assert st == 200, (path, body)
            assert body["items"] == [], path
            listed += 1
    assert listed >= 9


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("rv", ["", "0"])
async def test_watch_namespace_event(apiserver: ApiServer, legacy: bool, rv: str) -> None:
    """TestWatchNamespaceEvent: a namespace watched by name (a field selector, or the legacy
    /api/v1/watch/namespaces/<name>), from now or from 0: ADDED, then a MODIFIED per update."""
    name = f"watch-ns-{next(_counter)}"
    st, ns, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201
    if legacy:
        path, params = f"/api/v1/watch/namespaces/{name}", {}
    else:
        path, params = "/api/v1/namespaces", {"watch": "true", "fieldSelector": f"metadata.name={name}"}
    if rv:
        params["resourceVersion"] = rv
    seen: list[tuple[str, str]] = []
    async with apiserver.session() as s, s.get(path, params=params) as resp:
        assert resp.status == 200, await resp.text()

        async def next_event() -> dict[str, Any]:
            while True:
                line = await resp.content.readline()
                if line.strip():
                    return dict(json.loads(line))

        event = await asyncio.wait_for(next_event(), 30)
        seen.append((event["type"], event["object"]["metadata"]["name"]))
        for value in ("update-v1", "update-v2"):
            ns = apiserver.call("GET", f"/api/v1/namespaces/{name}")[1]
            ns["metadata"].setdefault("annotations", {})["e2e-watch-namespace"] = value
            st, ns, _ = apiserver.call("PUT", f"/api/v1/namespaces/{name}", ns)
            assert st == 200, ns
            event = await asyncio.wait_for(next_event(), 30)
            seen.append((event["type"], event["object"]["metadata"]["annotations"]["e2e-watch-namespace"]))
            assert event["object"] == ns
    assert seen == [("ADDED", name), ("MODIFIED", "update-v1"), ("MODIFIED", "update-v2")]


# -- test/integration/garbagecollector/cluster_scoped_owner_test.go --------------------------------


async def test_cluster_scoped_owners(apiserver: ApiServer) -> None:
    """TestClusterScopedOwners (a Node for the PersistentVolume, Leases for the ConfigMaps): a
    namespaced dependent of a live cluster-scoped owner stays; one whose cluster-scoped owner is
    missing is collected; one whose owner's kind is unknown stays (unverifiable)."""
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.gc import GarbageCollector, gc_resources

    ns = new_namespace(apiserver, "gc-cluster-scoped-owners")
    node_name = f"gc-owner-{next(_counter)}"
    st, node, _ = apiserver.call("POST", "/api/v1/nodes", {"metadata": {"name": node_name}})
    assert st == 201, node
    leases = f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
    owners = {
        "lease-valid": {
            "apiVersion": "v1",
            "kind": "Node",
            "name": node_name,
            "uid": node["metadata"]["uid"],
        },
        "lease-missing": {"apiVersion": "v1", "kind": "Node", "name": "missing-name", "uid": "missing-uid"},
        "lease-invalid": {
            "apiVersion": "unknown.group/v1",
            "kind": "UnknownType",
            "name": "invalid-name",
            "uid": "invalid-uid",
        },
    }
    for name, owner in owners.items():
        st, body, _ = apiserver.call("POST", leases, {"metadata": {"name": name, "ownerReferences": [owner]}})
        assert st == 201, body

    client = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    factory = InformerFactory(client)
    informers = {
        info: factory.informer(info, namespace=ns if info.namespaced else None) for info in gc_resources()
    }
    gc = GarbageCollector(client, informers)
    factory.start()
    task = asyncio.create_task(gc.run())
    try:
        await asyncio.wait_for(factory.wait_synced(), 60)
        for _ in range(200):
            if apiserver.call("GET", f"{leases}/lease-missing")[0] == 404:
                break
            await asyncio.sleep(0.1)
        assert apiserver.call("GET", f"{leases}/lease-missing")[0] == 404
        await asyncio.sleep(2)  # time for any wrong deletion to happen
        assert apiserver.call("GET", f"{leases}/lease-invalid")[0] == 200
        assert apiserver.call("GET", f"{leases}/lease-valid")[0] == 200
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await factory.stop()
        await client.close()
        apiserver.call("DELETE", f"/api/v1/nodes/{node_name}")
