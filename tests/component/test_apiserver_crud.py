"""CRUD through HTTPS against a real apiserver subprocess: system fields, Status error bodies,
request-body checks, dry-run, strategies, namespace lifecycle and graceful deletion."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import pytest

from tests.support.apiserver import ApiServer

_ns_counter = itertools.count()


def new_namespace(srv: ApiServer, prefix: str = "crud") -> str:
    name = f"{prefix}-{next(_ns_counter)}"
    st, body, _ = srv.call(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert st == 201, body
    return name


def svc(name: str, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
        "selector": {"app": name},
    }
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": s}


def pod(name: str, node: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
    }


RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# One valid object per served kind: (collection path template, body).
KINDS = [
    ("/api/v1/namespaces/{ns}/services", svc("s1")),
    ("/api/v1/namespaces/{ns}/pods", pod("p1")),
    (
        "/api/v1/namespaces/{ns}/endpoints",
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "e1"},
            "subsets": [{"addresses": [{"ip": "10.244.0.5"}], "ports": [{"name": "http", "port": 8080}]}],
        },
    ),
    (
        "/api/v1/namespaces/{ns}/events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "ev1"},
            "involvedObject": {"kind": "Service", "name": "s1", "namespace": "{ns}"},
            "reason": "Test",
            "message": "hello",
            "type": "Normal",
            "source": {"component": "test"},
            "firstTimestamp": "2024-01-01T00:00:00Z",
            "lastTimestamp": "2024-01-01T00:00:00Z",
            "count": 1,
        },
    ),
    (
        "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "es1", "labels": {"kubernetes.io/service-name": "s1"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.0.5"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        },
    ),
    (
        "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "l1"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15},
        },
    ),
    (
        "/api/v1/nodes",
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "crud-node-1"}, "spec": {}},
    ),
]


def _fill(obj: Any, ns: str) -> Any:
    if isinstance(obj, dict):
        return {k: _fill(v, ns) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, ns) for v in obj]
    if obj == "{ns}":
        return ns
    return obj


@pytest.mark.parametrize(("collection", "body"), KINDS, ids=[b["kind"] for _, b in KINDS])
def test_crud_every_kind(apiserver: ApiServer, collection: str, body: dict[str, Any]) -> None:
    ns = new_namespace(apiserver)
    coll = collection.format(ns=ns)
    name = body["metadata"]["name"]
    st, created, _ = apiserver.call("POST", coll, _fill(body, ns))
    assert st == 201, created
    meta = created["metadata"]
    assert meta["name"] == name
    assert UID.match(meta["uid"])
    assert RFC3339_Z.match(meta["creationTimestamp"])
    assert int(meta["resourceVersion"]) > 0
    assert created["kind"] == body["kind"] and created["apiVersion"] == body["apiVersion"]
    if "{ns}" in collection:
        assert meta["namespace"] == ns

    st, got, _ = apiserver.call("GET", f"{coll}/{name}")
    assert st == 200 and got["metadata"]["uid"] == meta["uid"]
    assert got["metadata"]["resourceVersion"] == meta["resourceVersion"]

    st, lst, _ = apiserver.call("GET", coll)
    assert st == 200
    assert lst["kind"] == body["kind"] + "List" and lst["apiVersion"] == body["apiVersion"]
    assert name in [i["metadata"]["name"] for i in lst["items"]]
    assert int(lst["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"])

    got["metadata"].setdefault("labels", {})["touched"] = "yes"
    st, updated, _ = apiserver.call("PUT", f"{coll}/{name}", got)
    assert st == 200, updated
    assert updated["metadata"]["labels"]["touched"] == "yes"
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert updated["metadata"]["uid"] == meta["uid"]
    assert updated["metadata"]["creationTimestamp"] == meta["creationTimestamp"]

    st, deleted, _ = apiserver.call("DELETE", f"{coll}/{name}")
    assert st == 200, deleted
    st, gone, _ = apiserver.call("GET", f"{coll}/{name}")
    if body["kind"] == "Pod":
        # Unscheduled pods are deleted at once (no kubelet to wait for).
        assert st == 404
    assert st == 404, gone


def test_generate_name(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = svc("")
    body["metadata"] = {"generateName": "web-"}
    names = set()
    for _ in range(3):
        st, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)
        assert st == 201, created
        name = created["metadata"]["name"]
        assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", name)
        assert created["metadata"]["generateName"] == "web-"
        names.add(name)
    assert len(names) == 3


def test_missing_object_status(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    st, body, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/nope")
    assert st == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'services "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "kind": "services"},
        "code": 404,
    }
    st, body, _ = apiserver.call("GET", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/nope")
    assert body["message"] == 'endpointslices.discovery.k8s.io "nope" not found'
    assert body["details"] == {"name": "nope", "group": "discovery.k8s.io", "kind": "endpointslices"}


def test_unknown_path_status(apiserver: ApiServer) -> None:
    st, body, _ = apiserver.call("GET", "/api/v1/namespaces/default/widgets")
    assert st == 404
    assert body["message"] == "the server could not find the requested resource"
    assert body["reason"] == "NotFound"


def test_already_exists_status(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    assert apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))[0] == 201
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    assert st == 409
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'services "web" already exists'
    assert body["details"] == {"name": "web", "kind": "services"}


def test_invalid_status_names_the_kind(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    bad = svc("bad")
    bad["spec"]["ports"][0]["name"] = "my_port"
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", bad)
    assert st == 422, body
    assert body["reason"] == "Invalid"
    assert body["details"]["kind"] == "Service"
    assert body["details"]["name"] == "bad"
    assert body["message"].startswith(
        'Service "bad" is invalid: spec.ports[0].name: Invalid value: "my_port"'
    )
    assert {"reason": "FieldValueInvalid", "field": "spec.ports[0].name"}.items() <= body["details"][
        "causes"
    ][0].items()
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/bad")[0] == 404


def test_update_with_stale_resource_version_conflicts(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    first = dict(created)
    created["metadata"]["labels"] = {"a": "1"}
    assert apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/web", created)[0] == 200
    first["metadata"]["labels"] = {"a": "2"}
    st, body, _ = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/web", first)
    assert st == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on services "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert body["details"] == {"name": "web", "kind": "services"}
    _, now, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/web")
    assert now["metadata"]["labels"] == {"a": "1"}


def test_update_without_resource_version_is_unconditional(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    del created["metadata"]["resourceVersion"]
    created["metadata"]["labels"] = {"x": "y"}
    st, body, _ = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/web", created)
    assert st == 200, body
    assert body["metadata"]["labels"] == {"x": "y"}


def test_noop_update_keeps_resource_version(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    st, body, _ = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/web", created)
    assert st == 200
    assert body["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b["metadata"].update(name="other"),
            "the name of the object (other) does not match the name on the URL (web)",
        ),
        (
            lambda b: b["metadata"].update(namespace="elsewhere"),
            "the namespace of the provided object does not match the namespace sent on the request",
        ),
        (
            lambda b: b.update(apiVersion="v2"),
            'Service in version "v2" cannot be handled as a Service: no kind "Service" is registered for '
            'version "v2" in scheme "pkg/api/legacyscheme/scheme.go:30"',
        ),
    ],
    ids=["name", "namespace", "apiVersion"],
)
def test_body_must_match_url(apiserver: ApiServer, mutate: Any, message: str) -> None:
    ns = new_namespace(apiserver)
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    mutate(created)
    st, body, _ = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/web", created)
    assert st == 400, body
    assert body["reason"] == "BadRequest"
    assert body["message"] == message


def test_create_wrong_namespace_and_wrong_kind(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = svc("web")
    body["metadata"]["namespace"] = "elsewhere"
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)
    assert st == 400
    assert (
        resp["message"]
        == "the namespace of the provided object does not match the namespace sent on the request"
    )
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", pod("p"))
    assert st == 400
    assert resp["message"] == (
        'Pod in version "v1" cannot be handled as a Service: converting (v1.Pod) to (core.Service): unknown conversion'
    )
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/services")[1]["items"] == []


def test_malformed_bodies_store_nothing(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    st, resp, _ = apiserver.call("POST", coll, b'{"apiVersion": "v1", "kind": "Service", ')
    assert st == 400 and resp["reason"] == "BadRequest"
    assert "json" in resp["message"]
    st, resp, _ = apiserver.call("POST", coll, b"kind: [unclosed\n", content_type="application/yaml")
    assert st == 400 and resp["reason"] == "BadRequest"
    assert "yaml" in resp["message"].lower()
    st, resp, _ = apiserver.call("POST", coll, b"[1, 2]")
    assert st == 400
    st, resp, _ = apiserver.call("POST", coll, b"<xml/>", content_type="text/xml")
    assert st == 415 and resp["reason"] == "UnsupportedMediaType"
    assert apiserver.call("GET", coll)[1]["items"] == []


def test_yaml_body(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: y\nspec:\n  ports:\n  - port: 80\n"
    st, resp, _ = apiserver.call(
        "POST", f"/api/v1/namespaces/{ns}/services", body, content_type="application/yaml"
    )
    assert st == 201, resp
    assert resp["spec"]["ports"][0]["targetPort"] == 80


def test_field_validation_modes(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    body = svc("strict")
    body["spec"]["prots"] = [1]
    st, resp, _ = apiserver.call("POST", coll + "?fieldValidation=Strict", body)
    assert st == 400, resp
    assert resp["message"] == (
        'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.prots"'
    )
    assert apiserver.call("GET", coll + "/strict")[0] == 404
    st, resp, headers = apiserver.call("POST", coll + "?fieldValidation=Warn", body)
    assert st == 201
    assert headers.get("Warning") == '299 - "unknown field \\"spec.prots\\""'
    assert "prots" not in resp["spec"]
    body["metadata"]["name"] = "ignored"
    st, resp, headers = apiserver.call("POST", coll + "?fieldValidation=Ignore", body)
    assert st == 201 and "Warning" not in headers
    # The server default is Warn.
    body["metadata"]["name"] = "default"
    st, resp, headers = apiserver.call("POST", coll, body)
    assert st == 201 and "unknown field" in headers.get("Warning", "")


def test_duplicate_field_strict(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    raw = b'{"apiVersion":"v1","kind":"Service","metadata":{"name":"d","name":"d"},"spec":{"ports":[{"port":80}]}}'
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services?fieldValidation=Strict", raw)
    assert st == 400
    assert resp["message"] == (
        'Service in version "v1" cannot be handled as a Service: strict decoding error: '
        'duplicate field "metadata.name"'
    )
    # Both kinds of problems, in document order.
    raw = (
        b'{"apiVersion":"v1","kind":"Service","metadata":{"name":"d2"},'
        b'"spec":{"type":"ClusterIP","bogus":1,"type":"ClusterIP","ports":[{"port":80,"port":81}]}}'
    )
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services?fieldValidation=Strict", raw)
    assert st == 400
    assert resp["message"].endswith(
        'strict decoding error: unknown field "spec.bogus", duplicate field "spec.type", '
        'duplicate field "spec.ports[0].port"'
    )
    st, resp, headers = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services?fieldValidation=Warn", raw)
    assert st == 201, resp
    assert resp["spec"]["ports"][0]["port"] == 81, "the last of duplicate keys wins"
    assert 'duplicate field \\"spec.type\\"' in headers["Warning"]


def test_dry_run_stores_nothing(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    st, resp, _ = apiserver.call("POST", coll + "?dryRun=All", svc("dry"))
    assert st == 201, resp
    assert resp["metadata"]["uid"]
    assert resp["spec"]["ports"][0]["protocol"] == "TCP"
    assert apiserver.call("GET", coll + "/dry")[0] == 404
    _, created, _ = apiserver.call("POST", coll, svc("real"))
    created["metadata"]["labels"] = {"dry": "run"}
    st, resp, _ = apiserver.call("PUT", coll + "/real?dryRun=All", created)
    assert st == 200 and resp["metadata"]["labels"] == {"dry": "run"}
    assert "labels" not in apiserver.call("GET", coll + "/real")[1]["metadata"]
    st, _, _ = apiserver.call("DELETE", coll + "/real?dryRun=All")
    assert st == 200
    assert apiserver.call("GET", coll + "/real")[0] == 200


def test_main_write_keeps_status_and_status_write_keeps_spec(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    body = svc("lb", type="LoadBalancer")
    body["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    _, created, _ = apiserver.call("POST", coll, body)
    assert created["status"] == {"loadBalancer": {}}, "create resets status"
    created["status"] = {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}
    created["spec"]["sessionAffinity"] = "ClientIP"
    created["metadata"]["labels"] = {"via": "status"}
    st, via_status, _ = apiserver.call("PUT", coll + "/lb/status", created)
    assert st == 200, via_status
    assert [i["ip"] for i in via_status["status"]["loadBalancer"]["ingress"]] == ["5.6.7.8"]
    assert via_status["spec"]["sessionAffinity"] == "None", "status writes keep the spec"
    assert via_status["metadata"]["labels"] == {"via": "status"}
    via_status["status"] = {"loadBalancer": {}}
    via_status["spec"]["sessionAffinity"] = "ClientIP"
    st, via_main, _ = apiserver.call("PUT", coll + "/lb", via_status)
    assert st == 200, via_main
    assert via_main["spec"]["sessionAffinity"] == "ClientIP"
    assert [i["ip"] for i in via_main["status"]["loadBalancer"]["ingress"]] == ["5.6.7.8"], (
        "main writes keep status"
    )
    st, got, _ = apiserver.call("GET", coll + "/lb/status")
    assert st == 200 and got["kind"] == "Service"


def test_pod_status_on_create(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = pod("p")
    body["status"] = {"phase": "Running"}
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", body)
    assert created["status"]["phase"] == "Pending"
    assert created["status"]["qosClass"] == "BestEffort"


def test_endpointslice_generation(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"
    body = _fill(KINDS[4][1], ns)
    _, created, _ = apiserver.call("POST", coll, body)
    assert created["metadata"]["generation"] == 1
    created["endpoints"][0]["addresses"] = ["10.244.0.6"]
    _, updated, _ = apiserver.call("PUT", coll + "/es1", created)
    assert updated["metadata"]["generation"] == 2
    updated["metadata"]["annotations"] = {"a": "b"}
    _, again, _ = apiserver.call("PUT", coll + "/es1", updated)
    assert again["metadata"]["generation"] == 2, "metadata-only changes keep the generation"


def test_namespace_lifecycle(apiserver: ApiServer) -> None:
    st, body, _ = apiserver.call("POST", "/api/v1/namespaces/does-not-exist/services", svc("web"))
    assert st == 404
    assert body["message"] == 'namespaces "does-not-exist" not found'
    ns = new_namespace(apiserver, "term")
    _, created_ns, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}")
    assert created_ns["spec"]["finalizers"] == ["kubernetes"]
    assert created_ns["status"]["phase"] == "Active"
    st, deleted, _ = apiserver.call("DELETE", f"/api/v1/namespaces/{ns}")
    assert st == 200
    assert deleted["status"]["phase"] == "Terminating"
    assert deleted["metadata"]["deletionTimestamp"]
    # upstream's namespace Delete sets only the timestamp and phase, no grace period
    assert "deletionGracePeriodSeconds" not in deleted["metadata"]
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    assert st == 403
    assert body["reason"] == "Forbidden"
    assert body["message"] == (
        f'services "web" is forbidden: unable to create new content in namespace {ns} because it is being terminated'
    )
    # Finalizing (what the namespace controller does when the namespace is empty) removes it.
    deleted["spec"]["finalizers"] = []
    st, fin, _ = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/finalize", deleted)
    assert st == 200, fin
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}")[0] == 404


def test_system_namespaces_exist_and_cannot_be_deleted(apiserver: ApiServer) -> None:
    _, lst, _ = apiserver.call("GET", "/api/v1/namespaces")
    names = {i["metadata"]["name"] for i in lst["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    st, body, _ = apiserver.call("DELETE", "/api/v1/namespaces/default")
    assert st == 403
    assert body["message"] == 'namespaces "default" is forbidden: this namespace may not be deleted'


def test_graceful_pod_deletion(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/pods"
    apiserver.call("POST", coll, pod("p", node="node-1"))
    st, body, _ = apiserver.call("DELETE", coll + "/p")
    assert st == 200
    assert body["metadata"]["deletionGracePeriodSeconds"] == 30
    assert body["metadata"]["deletionTimestamp"]
    st, still, _ = apiserver.call("GET", coll + "/p")
    assert st == 200 and still["metadata"]["deletionTimestamp"]
    # What the agent does once the containers stopped: delete with grace 0.
    st, body, _ = apiserver.call("DELETE", coll + "/p", {"gracePeriodSeconds": 0})
    assert st == 200
    assert apiserver.call("GET", coll + "/p")[0] == 404


def test_finalizers_hold_deletion(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    body = svc("fin")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    apiserver.call("POST", coll, body)
    st, deleting, _ = apiserver.call("DELETE", coll + "/fin")
    assert st == 200
    assert deleting["metadata"]["deletionTimestamp"]
    assert deleting["metadata"]["deletionGracePeriodSeconds"] == 0
    assert apiserver.call("GET", coll + "/fin")[0] == 200
    deleting["metadata"]["finalizers"] = []
    st, _, _ = apiserver.call("PUT", coll + "/fin", deleting)
    assert st == 200
    assert apiserver.call("GET", coll + "/fin")[0] == 404


def test_delete_preconditions(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    _, created, _ = apiserver.call("POST", coll, svc("pre"))
    st, body, _ = apiserver.call("DELETE", coll + "/pre", {"preconditions": {"uid": "wrong"}})
    assert st == 409
    assert body["message"] == (
        # rest.BeforeDelete's wording, on the kind (not the resource)
        f'Operation cannot be fulfilled on Service "pre": the UID in the precondition (wrong) does not '
        f"match the UID in record ({created['metadata']['uid']}). The object might have been deleted "
        "and then recreated"
    )
    assert body["details"] == {"name": "pre", "kind": "Service"}
    st, body, _ = apiserver.call(
        "DELETE", coll + "/pre", {"preconditions": {"uid": created["metadata"]["uid"]}}
    )
    assert st == 200 and body["kind"] == "Service"


def test_delete_answers_status_for_kinds_without_return_deleted_object(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/endpoints"
    _, created, _ = apiserver.call("POST", coll, _fill(KINDS[2][1], ns))
    st, body, _ = apiserver.call("DELETE", coll + "/e1")
    assert st == 200
    assert body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"] == {"name": "e1", "kind": "endpoints", "uid": created["metadata"]["uid"]}


def test_create_on_update_per_kind(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    lease = _fill(KINDS[5][1], ns)
    st, body, _ = apiserver.call("PUT", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/l1", lease)
    assert st == 201, body
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "never-created"}}
    st, body, _ = apiserver.call("PUT", "/api/v1/nodes/never-created", node)
    assert st == 404


def test_request_body_too_large(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = svc("big")
    body["metadata"]["annotations"] = {"a": "x" * (3 * 1024 * 1024 + 10)}
    st, resp, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)
    assert st == 413
    assert resp["reason"] == "RequestEntityTooLarge"
    assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/big")[0] == 404


def test_builtin_namespace_finalizer_deletes_content(apiserver_factory: Any) -> None:
    srv = apiserver_factory("--builtin-namespace-finalizer")
    ns = new_namespace(srv, "gone")
    srv.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    srv.call("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", node="node-1"))
    st, _, _ = srv.call("DELETE", f"/api/v1/namespaces/{ns}")
    assert st == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and srv.call("GET", f"/api/v1/namespaces/{ns}")[0] != 404:
        time.sleep(0.2)
    assert srv.call("GET", f"/api/v1/namespaces/{ns}")[0] == 404
    assert srv.call("GET", f"/api/v1/namespaces/{ns}/services")[1]["items"] == []
    assert srv.call("GET", f"/api/v1/namespaces/{ns}/pods")[1]["items"] == []


def test_events_v1_and_core_events_are_the_same_objects(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    ev = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.1"},
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "reportingController": "example.com/ctl",
        "reportingInstance": "ctl-1",
        "action": "Sync",
        "reason": "Synced",
        "regarding": {"kind": "Service", "name": "web", "namespace": ns, "apiVersion": "v1"},
        "note": "all good",
        "type": "Normal",
    }
    st, created, _ = apiserver.call("POST", f"/apis/events.k8s.io/v1/namespaces/{ns}/events", ev)
    assert st == 201, created
    assert created["note"] == "all good" and created["regarding"]["name"] == "web"
    q = f"?fieldSelector=involvedObject.name%3Dweb,involvedObject.kind%3DService,involvedObject.namespace%3D{ns}"
    st, core, _ = apiserver.call("GET", f"/api/v1/namespaces/{ns}/events{q}")
    assert st == 200, core
    [item] = core["items"]
    assert item["message"] == "all good"
    assert item["involvedObject"]["name"] == "web"
    assert item["reportingComponent"] == "example.com/ctl"
    assert item["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def _pb_field(num: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (lengths < 128 here)."""
    assert len(payload) < 128
    return bytes([(num << 3) | 2, len(payload)]) + payload


def test_protobuf_request_body(apiserver: ApiServer) -> None:
    # What kubectl >= 1.32 sends for `create namespace pbns`: the k8s\0 envelope around a
    # runtime.Unknown {typeMeta {apiVersion, kind}, raw: Namespace {metadata {name}}}.
    type_meta = _pb_field(1, b"v1") + _pb_field(2, b"Namespace")
    raw = _pb_field(1, _pb_field(1, b"pbns"))
    body = b"k8s\x00" + _pb_field(1, type_meta) + _pb_field(2, raw)
    st, resp, _ = apiserver.call(
        "POST",
        "/api/v1/namespaces?fieldManager=kubectl-create",
        body,
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert st == 201, resp
    assert resp["metadata"]["name"] == "pbns" and resp["status"]["phase"] == "Active"


def test_delete_collection(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/endpoints"
    for name, tier in [("a", "x"), ("b", "x"), ("c", "y")]:
        ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "labels": {"tier": tier}}}
        assert apiserver.call("POST", coll, ep)[0] == 201
    st, body, _ = apiserver.call("DELETE", coll + "?labelSelector=tier%3Dx")
    assert st == 200, body
    assert body["kind"] == "EndpointsList"
    assert sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    assert [i["metadata"]["name"] for i in apiserver.call("GET", coll)[1]["items"]] == ["c"]


def test_method_not_allowed(apiserver: ApiServer) -> None:
    for method, path in [
        ("POST", "/api/v1/namespaces/default/services/web"),
        ("DELETE", "/api/v1/namespaces/default/services/web/status"),
        ("DELETE", "/api/v1/namespaces"),
        ("PUT", "/api/v1/namespaces/default/services"),
    ]:
        st, body, _ = apiserver.call(method, path, {} if method in ("POST", "PUT") else None)
        assert st == 405, (method, path, body)
        assert body["reason"] == "MethodNotAllowed"
        assert body["message"] == "the server does not allow this method on the requested resource"


def test_removing_last_finalizer_releases_the_cluster_ip(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    coll = f"/api/v1/namespaces/{ns}/services"
    body = svc("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    _, created, _ = apiserver.call("POST", coll, body)
    ip = created["spec"]["clusterIP"]
    _, deleting, _ = apiserver.call("DELETE", coll + "/held")
    deleting["metadata"]["finalizers"] = []
    assert apiserver.call("PUT", coll + "/held", deleting)[0] == 200
    assert apiserver.call("GET", coll + "/held")[0] == 404
    # The IP is free again: a new Service may ask for it.
    again = svc("again", clusterIP=ip)
    st, resp, _ = apiserver.call("POST", coll, again)
    assert st == 201, resp
    assert resp["spec"]["clusterIP"] == ip
