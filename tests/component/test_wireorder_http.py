"""Raw bytes over HTTPS: every answer's JSON keys come in the order of kube-apiserver's Go structs
(create, GET, LIST, WATCH, patch, dry-run, Status errors, discovery), Go maps with sorted keys,
and YAML answers with sorted keys (as sigs.k8s.io/yaml writes them)."""

from __future__ import annotations

import http.client
import itertools
import json
from typing import Any

import pytest

from tests.support.apiserver import ApiServer

_ns_counter = itertools.count()

TOP = ["kind", "apiVersion", "metadata"]
# metav1.ObjectMeta's fields as Go declares them
OBJECT_META = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
]
SORTED = ["<a Go map: keys sorted>"]
META_CREATED = ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"]


def raw(
    srv: ApiServer,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=30)
    headers = {"Accept": accept, "Authorization": f"Bearer {srv.admin_token}"}
    if body is not None:
        headers["Content-Type"] = content_type
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def doc(data: bytes) -> Any:
    """The JSON as sent: Python dicts keep the order of the bytes."""
    return json.loads(data)


def keys(d: dict[str, Any]) -> list[str]:
    return list(d)


def scrambled(d: Any) -> Any:
    """The same document with every object's keys reversed (kind and apiVersion last)."""
    if isinstance(d, dict):
        return {k: scrambled(v) for k, v in reversed(list(d.items()))}
    if isinstance(d, list):
        return [scrambled(v) for v in d]
    return d


def body(d: Any) -> bytes:
    return json.dumps(scrambled(d)).encode()


@pytest.fixture
def ns(apiserver: ApiServer) -> str:
    name = f"wire-{next(_ns_counter)}"
    st, data = raw(
        apiserver,
        "POST",
        "/api/v1/namespaces",
        body(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {"b": "1", "a": "2"}},
            }
        ),
    )
    assert st == 201, data
    ns_doc = doc(data)
    assert keys(ns_doc) == [*TOP, "spec", "status"]
    assert keys(ns_doc["metadata"]) == [
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
        "managedFields",
    ]
    assert keys(ns_doc["metadata"]["labels"]) == ["a", "b", "kubernetes.io/metadata.name"]
    return name


SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "s1", "labels": {"zz": "1", "aa": "2"}, "annotations": {"y": "1", "x": "2"}},
    "spec": {
        "type": "NodePort",
        "selector": {"b": "1", "a": "2"},
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
        "externalTrafficPolicy": "Local",
    },
}

SERVICE_SPEC = [
    "ports",
    "selector",
    "clusterIP",
    "clusterIPs",
    "type",
    "sessionAffinity",
    "externalTrafficPolicy",
    "sessionAffinityConfig",
    "ipFamilies",
    "ipFamilyPolicy",
    "internalTrafficPolicy",
]

# (collection under the namespace, body, expected top-level keys, nested checks: path -> keys)
KINDS: list[tuple[str, dict[str, Any], list[str], dict[tuple[Any, ...], list[str]]]] = [
    (
        "/api/v1/namespaces/{ns}/services",
        SERVICE,
        [*TOP, "spec", "status"],
        {
            ("spec",): SERVICE_SPEC,
            ("spec", "ports", 0): ["name", "protocol", "port", "targetPort", "nodePort"],
            ("spec", "selector"): SORTED,
            ("metadata", "labels"): SORTED,
            ("metadata", "annotations"): SORTED,
            ("metadata", "managedFields", 0): [
                "manager",
                "operation",
                "apiVersion",
                "time",
                "fieldsType",
                "fieldsV1",
            ],
        },
    ),
    (
        "/api/v1/namespaces/{ns}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p1"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "ports": [{"protocol": "TCP", "containerPort": 80, "name": "http"}],
                        "resources": {"requests": {"memory": "1Mi", "cpu": "1m"}},
                    }
                ]
            },
        },
        [*TOP, "spec", "status"],
        {
            ("spec", "containers", 0): [
                "name",
                "image",
                "ports",
                "resources",
                "terminationMessagePath",
                "terminationMessagePolicy",
                "imagePullPolicy",
            ],
            ("spec", "containers", 0, "ports", 0): ["name", "containerPort", "protocol"],
            ("spec", "containers", 0, "resources", "requests"): SORTED,
        },
    ),
    (
        "/api/v1/namespaces/{ns}/endpoints",
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "e1"},
            "subsets": [
                {
                    "ports": [{"protocol": "TCP", "port": 8080, "name": "http"}],
                    "addresses": [{"nodeName": "n1", "ip": "10.244.0.5"}],
                }
            ],
        },
        [*TOP, "subsets"],
        {
            ("subsets", 0): ["addresses", "ports"],
            ("subsets", 0, "addresses", 0): ["ip", "nodeName"],
            ("subsets", 0, "ports", 0): ["name", "port", "protocol"],
        },
    ),
    (
        "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "es1", "labels": {"kubernetes.io/service-name": "s1"}},
            "addressType": "IPv4",
            "endpoints": [
                {"zone": "z", "conditions": {"ready": True}, "addresses": ["10.244.0.5"], "nodeName": "n"}
            ],
            "ports": [{"port": 8080, "protocol": "TCP", "name": "http"}],
        },
        [*TOP, "addressType", "endpoints", "ports"],
        {
            ("endpoints", 0): ["addresses", "conditions", "nodeName", "zone"],
            ("ports", 0): ["name", "protocol", "port"],
        },
    ),
    (
        "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "l1"},
            "spec": {"leaseDurationSeconds": 15, "holderIdentity": "me"},
        },
        [*TOP, "spec"],
        {("spec",): ["holderIdentity", "leaseDurationSeconds"]},
    ),
    (
        "/api/v1/namespaces/{ns}/events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "ev1"},
            "involvedObject": {"name": "s1", "kind": "Service", "namespace": "{ns}"},
            "reason": "Test",
            "message": "hello",
            "type": "Normal",
            "source": {"host": "h", "component": "test"},
            "firstTimestamp": "2024-01-01T00:00:00Z",
            "lastTimestamp": "2024-01-01T00:00:00Z",
            "count": 1,
        },
        [
            *TOP,
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "eventTime",
            "reportingComponent",
            "reportingInstance",
        ],
        {("involvedObject",): ["kind", "namespace", "name"], ("source",): ["component", "host"]},
    ),
    (
        "/apis/events.k8s.io/v1/namespaces/{ns}/events",
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "ev2"},
            "eventTime": "2024-01-01T00:00:00.000000Z",
            "regarding": {"name": "s1", "kind": "Service", "namespace": "{ns}"},
            "reportingController": "me",
            "reportingInstance": "me-1",
            "action": "Did",
            "reason": "Test",
            "note": "hello",
            "type": "Normal",
        },
        [
            *TOP,
            "eventTime",
            "reportingController",
            "reportingInstance",
            "action",
            "reason",
            "regarding",
            "note",
            "type",
            "deprecatedSource",
            "deprecatedFirstTimestamp",
            "deprecatedLastTimestamp",
        ],
        {("regarding",): ["kind", "namespace", "name"]},
    ),
]


def _fill(obj: Any, ns: str) -> Any:
    if isinstance(obj, dict):
        return {k: _fill(v, ns) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, ns) for v in obj]
    return ns if obj == "{ns}" else obj


def _at(d: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        d = d[p]
    return d


def _check(
    obj: dict[str, Any], top: list[str], nested: dict[tuple[Any, ...], list[str]], *, in_list: bool = False
) -> None:
    assert keys(obj) == (top[2:] if in_list else top), obj
    meta = obj["metadata"]
    assert keys(meta) == [k for k in OBJECT_META if k in meta], meta
    assert set(META_CREATED) <= set(meta) and "managedFields" in meta
    for path, want in nested.items():
        value = _at(obj, path)
        if want == SORTED:
            assert keys(value) == sorted(value), (path, value)
        else:
            assert keys(value) == want, (path, value)


@pytest.mark.parametrize(
    ("collection", "manifest", "top", "nested"),
    KINDS,
    ids=[f"{m['apiVersion']}/{m['kind']}" for _, m, _, _ in KINDS],
)
def test_create_get_list_watch_in_go_order(
    apiserver: ApiServer,
    ns: str,
    collection: str,
    manifest: dict[str, Any],
    top: list[str],
    nested: dict[tuple[Any, ...], list[str]],
) -> None:
    coll = collection.format(ns=ns)
    name = manifest["metadata"]["name"]
    st, data = raw(apiserver, "POST", coll, body(_fill(manifest, ns)))
    assert st == 201, data
    created = doc(data)
    _check(created, top, nested)

    st, data = raw(apiserver, "GET", f"{coll}/{name}")
    assert st == 200
    _check(doc(data), top, nested)

    st, data = raw(apiserver, "GET", coll)
    assert st == 200
    lst = doc(data)
    assert keys(lst) == ["kind", "apiVersion", "metadata", "items"]
    assert keys(lst["metadata"]) == ["resourceVersion"]
    _check(lst["items"][0], top, nested, in_list=True)

    # a change after the create: the watch event (type, object) and its object in Go order
    rv = created["metadata"]["resourceVersion"]
    patch = json.dumps({"metadata": {"labels": {"watched": "yes", "a-first": "1"}}}).encode()
    st, data = raw(apiserver, "PATCH", f"{coll}/{name}", patch, content_type="application/merge-patch+json")
    assert st == 200, data
    patched = doc(data)
    _check(patched, top, nested)
    assert keys(patched["metadata"]["labels"]) == sorted(patched["metadata"]["labels"])

    st, data = raw(apiserver, "GET", f"{coll}?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    assert st == 200
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert events, data
    ev = events[0]
    assert keys(ev) == ["type", "object"] and ev["type"] == "MODIFIED"
    _check(ev["object"], top, nested)


def test_status_bodies_in_go_order(apiserver: ApiServer, ns: str) -> None:
    st, data = raw(apiserver, "GET", f"/api/v1/namespaces/{ns}/services/nope")
    assert st == 404
    status = doc(data)
    assert keys(status) == [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "details",
        "code",
    ]
    assert keys(status["details"]) == ["name", "kind"]

    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "Bad_Name"},
        "spec": {"ports": [{"port": 0}]},
    }
    st, data = raw(apiserver, "POST", f"/api/v1/namespaces/{ns}/services", body(bad))
    assert st == 422
    status = doc(data)
    assert keys(status) == [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "details",
        "code",
    ]
    assert keys(status["details"]) == ["name", "kind", "causes"]
    assert all(keys(c) == ["reason", "message", "field"] for c in status["details"]["causes"])

    st, data = raw(apiserver, "DELETE", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/nope")
    assert st == 404
    st, data = raw(
        apiserver,
        "POST",
        f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
        body({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "gone"}}),
    )
    assert st == 201
    st, data = raw(apiserver, "DELETE", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/gone")
    assert st == 200
    success = doc(data)
    assert keys(success) == ["kind", "apiVersion", "metadata", "status", "details"]
    assert keys(success["details"]) == ["name", "group", "kind", "uid"]


def test_dry_run_and_update_answers_in_go_order(apiserver: ApiServer, ns: str) -> None:
    coll = f"/api/v1/namespaces/{ns}/services"
    st, data = raw(apiserver, "POST", coll + "?dryRun=All", body(_fill(SERVICE, ns)))
    assert st == 201, data
    dry = doc(data)
    assert keys(dry) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert keys(dry["metadata"])[:4] == ["name", "namespace", "uid", "creationTimestamp"]
    assert keys(dry["spec"]) == SERVICE_SPEC

    st, data = raw(apiserver, "POST", coll, body(SERVICE))
    assert st == 201, data
    current = doc(data)
    current["spec"]["externalIPs"] = ["192.0.2.10"]
    st, data = raw(apiserver, "PUT", f"{coll}/s1", body(current))
    assert st == 200, data
    updated = doc(data)
    assert keys(updated) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert keys(updated["spec"])[:6] == [
        "ports",
        "selector",
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
    ]

    st, data = raw(apiserver, "DELETE", f"{coll}/s1?dryRun=All")
    assert st == 200
    assert keys(doc(data)) == ["kind", "apiVersion", "metadata", "spec", "status"]


def test_discovery_group_in_go_order(apiserver: ApiServer) -> None:
    st, data = raw(apiserver, "GET", "/apis/discovery.k8s.io")
    assert st == 200
    assert keys(doc(data)) == ["kind", "apiVersion", "name", "versions", "preferredVersion"]
    st, data = raw(apiserver, "GET", "/apis/discovery.k8s.io/v1")
    assert keys(doc(data)) == ["kind", "apiVersion", "groupVersion", "resources"]


def test_yaml_answers_have_sorted_keys(apiserver: ApiServer, ns: str) -> None:
    st, data = raw(
        apiserver,
        "POST",
        f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
        body({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "y1"}}),
    )
    assert st == 201
    st, data = raw(
        apiserver, "GET", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/y1", accept="application/yaml"
    )
    assert st == 200
    top = [line.split(":")[0] for line in data.decode().splitlines() if line and not line.startswith(" ")]
    assert top == ["apiVersion", "kind", "metadata", "spec"]


@pytest.mark.parametrize(
    ("collection", "body"),
    [
        ("/api/v1/namespaces/{ns}/services", {"spec": {}, "status": {"loadBalancer": {}}}),
        ("/api/v1/namespaces/{ns}/pods", {"spec": {"containers": None}, "status": {}}),
        (
            "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
            {"addressType": "", "endpoints": None, "ports": None},
        ),
        ("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", {"spec": {}}),
    ],
)
def test_bookmark_is_the_empty_object_as_go_writes_it(
    apiserver: ApiServer, ns: str, collection: str, body: dict[str, Any]
) -> None:
    coll = collection.format(ns=ns)
    query = "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    st, data = raw(apiserver, "GET", f"{coll}?{query}")
    assert st == 200
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    mark = next(e for e in events if e["type"] == "BOOKMARK")["object"]
    assert keys(mark)[:3] == ["kind", "apiVersion", "metadata"]
    assert keys(mark["metadata"]) == ["resourceVersion", "creationTimestamp", "annotations"]
    assert mark["metadata"]["creationTimestamp"] is None
    assert {k: v for k, v in mark.items() if k not in ("kind", "apiVersion", "metadata")} == body


def _get(srv: ApiServer, path: str, user_agent: str) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=30)
    try:
        conn.request(
            "GET", path, headers={"Authorization": f"Bearer {srv.admin_token}", "User-Agent": user_agent}
        )
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_json_bytes_as_go_writes_them(apiserver: ApiServer, ns: str) -> None:
    """Compact JSON ends with a newline (json.Encoder); curl, Wget and browsers (or ?pretty=true)
    get MarshalIndent's two-space form; `<`, `>` and `&` are escaped in strings."""
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "html", "annotations": {"note": "<a & b>"}},
    }
    st, data = raw(apiserver, "POST", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", body(lease))
    assert st == 201
    path = f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/html"

    st, data = _get(apiserver, path, "kubectl/v1.31.0 (linux/amd64) kubernetes/abc")
    assert st == 200 and data.endswith(b"}\n") and b"\n" not in data[:-1]
    assert b'"note":"\\u003ca \\u0026 b\\u003e"' in data
    assert json.loads(data)["metadata"]["annotations"]["note"] == "<a & b>"

    for agent, query in (("curl/8.5.0", ""), ("Wget/1.21", ""), ("kubectl/v1.31.0", "?pretty=true")):
        st, data = _get(apiserver, path + query, agent)
        assert st == 200
        assert data.startswith(
            b'{\n  "kind": "Lease",\n  "apiVersion": "coordination.k8s.io/v1",\n  "metadata": {\n'
        )
        assert data.endswith(b"\n}")
        assert b'"note": "\\u003ca \\u0026 b\\u003e"' in data

    st, data = _get(apiserver, path + "?pretty=false", "curl/8.5.0")
    assert data.startswith(b'{"kind":"Lease"') and data.endswith(b"}\n")

    st, data = _get(apiserver, f"/api/v1/namespaces/{ns}/services/nope", "curl/8.5.0")
    assert st == 404 and data.startswith(b'{\n  "kind": "Status",\n')

    st, data = _get(apiserver, "/version", "kubectl/v1.31.0")
    assert st == 200 and data.startswith(b'{\n  "major": ') and data.endswith(b"\n}")
