"""Upstream's server-side apply and PATCH cases, over HTTP against one apiserver per module.

The cases are those of kube-apiserver's integration tests (test/integration/apiserver/apply and
patch_test.go): the requests and the answers they expect, restated in our words for the kinds we
serve. Deployment-based cases are carried over to a Service where the point survives (a Pod's
containers cannot change after creation, so "remove a container port" became "remove a Service
port").
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

import pytest

from tests.support.apiserver import ApiServer

MERGE = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"
JSONPATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_ns_counter = itertools.count()


def new_namespace(srv: ApiServer) -> str:
    name = f"upstream-apply-{next(_ns_counter)}"
    st, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201, body
    return name


def send(srv: ApiServer, path: str, body: Any, ctype: str, query: str = "") -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    st, resp, _ = srv.call("PATCH", path + query, data, content_type=ctype)
    return st, resp


def service(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": 80}], **spec},
    }


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "test-container", "image": "test-image"}]},
    }


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["manager"], m["operation"]) for m in obj["metadata"].get("managedFields") or []]


def without_time(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        assert e["time"].endswith("Z") and len(e["time"]) == 20, e["time"]  # RFC 3339, seconds
        out.append({k: v for k, v in e.items() if k != "time"})
    return out


# ------------------------------------------------------------------------------ create on apply
@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("pods", pod("test-pod")),
        ("services", service("test-svc", ports=[{"port": 8080, "protocol": "UDP"}])),
    ],
)
def test_apply_also_creates(apiserver: ApiServer, resource: str, body: dict[str, Any]) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/{resource}/{body['metadata']['name']}"
    st, created = send(apiserver, path, body, APPLY, "?fieldManager=apply_test")
    assert st == 201, created
    assert created["metadata"]["uid"] and created["metadata"]["namespace"] == ns
    st, got, _ = apiserver.call("GET", path)
    assert st == 200 and got["metadata"]["uid"] == created["metadata"]["uid"]
    # The same configuration from a second applier shares the fields: no conflict.
    st, again = send(apiserver, path, body, APPLY, "?fieldManager=apply_test_2")
    assert st == 200, again
    assert managers(again) == [("apply_test", "Apply"), ("apply_test_2", "Apply")]


def test_create_on_apply_fails_with_uid(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = pod("test-pod-uid")
    body["metadata"]["uid"] = "88e00824-7f0e-11e8-94a1-c8d3ffb15800"
    path = f"/api/v1/namespaces/{ns}/pods/test-pod-uid"
    st, resp = send(apiserver, path, body, APPLY, "?fieldManager=apply_test")
    assert st == 409, resp
    assert resp["reason"] == "Conflict"
    assert resp["message"] == (
        'Operation cannot be fulfilled on pods "test-pod-uid": uid mismatch: the provided object '
        "specified uid 88e00824-7f0e-11e8-94a1-c8d3ffb15800, and no existing object was found"
    )
    assert apiserver.call("GET", path)[0] == 404, "nothing was created"


# ------------------------------------------------------------------------------ conflicts
def test_apply_update_apply_conflict_forced(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/svc"
    body = service("svc", selector={"app": "nginx"}, sessionAffinity="None")
    body["metadata"]["labels"] = {"app": "nginx"}
    assert send(apiserver, path, body, APPLY, "?fieldManager=apply_test")[0] == 201
    # An update without a fieldManager takes the field (the manager is "" without a User-Agent).
    st, resp = send(apiserver, path, {"spec": {"sessionAffinity": "ClientIP"}}, MERGE)
    assert st == 200, resp
    st, resp = send(apiserver, path, body, APPLY, "?fieldManager=apply_test")
    assert st == 409, resp
    assert resp["reason"] == "Conflict" and resp["code"] == 409
    assert resp["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "" using v1',
            "field": ".spec.sessionAffinity",
        }
    ]
    assert resp["message"] == (
        'Apply failed with 1 conflict: conflict with "" using v1: .spec.sessionAffinity'
    )
    st, resp = send(apiserver, path, body, APPLY, "?fieldManager=apply_test&force=true")
    assert st == 200, resp
    assert resp["spec"]["sessionAffinity"] == "None"


def test_default_missing_keys(apiserver: ApiServer) -> None:
    """A port applied without `protocol` is the same list item as the one naming TCP: the
    defaulted key joins the two appliers on one item and they conflict on its fields."""
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/dmk"
    first = service("dmk", ports=[{"port": 80, "targetPort": 8080}])
    assert send(apiserver, path, first, APPLY, "?fieldManager=apply_test")[0] == 201
    first["spec"]["ports"][0]["name"] = "foo"
    st, resp = send(apiserver, path, first, APPLY, "?fieldManager=apply_test")
    assert st == 200 and resp["spec"]["ports"] == [
        {"port": 80, "targetPort": 8080, "protocol": "TCP", "name": "foo"}
    ]
    second = service("dmk", ports=[{"port": 80, "protocol": "TCP", "name": "foo", "targetPort": 9090}])
    st, resp = send(apiserver, path, second, APPLY, "?fieldManager=apply_test_2")
    assert st == 409, resp
    assert resp["message"] == (
        'Apply failed with 1 conflict: conflict with "apply_test": '
        '.spec.ports[port=80,protocol="TCP"].targetPort'
    )
    st, resp = send(apiserver, path, second, APPLY, "?fieldManager=apply_test_2&force=true")
    assert st == 200 and len(resp["spec"]["ports"]) == 1
    assert resp["spec"]["ports"][0]["targetPort"] == 9090


# ------------------------------------------------------------------------------ managedFields
def test_apply_managed_fields_shape(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/test-svc"
    body = service("test-svc", selector={"key": "value"})
    body["metadata"].update({"namespace": ns, "labels": {"test-label": "test"}})
    assert send(apiserver, path, body, APPLY, "?fieldManager=apply_test")[0] == 201
    st, resp = send(
        apiserver, path, {"spec": {"selector": {"key": "new-value"}}}, MERGE, "?fieldManager=updater"
    )
    assert st == 200, resp
    _, got, _ = apiserver.call("GET", path)
    port_key = 'k:{"port":80,"protocol":"TCP"}'
    assert without_time(got["metadata"]["managedFields"]) == [
        {
            "manager": "apply_test",
            "operation": "Apply",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:test-label": {}}},
                "f:spec": {"f:ports": {port_key: {".": {}, "f:port": {}}}},
            },
        },
        {
            "manager": "updater",
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:selector": {}}},  # the selector is an atomic map
        },
    ]
    assert list(got["metadata"]["managedFields"][0]) == [
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
    ]


def test_apply_removes_empty_managed_fields(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/endpoints/empty"
    body = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "empty", "namespace": ns}}
    assert send(apiserver, path, body, APPLY, "?fieldManager=apply_test")[0] == 201
    assert send(apiserver, path, body, APPLY, "?fieldManager=apply_test")[0] == 200
    _, got, _ = apiserver.call("GET", path)
    assert "managedFields" not in got["metadata"], "a manager owning nothing is not listed"


def test_no_op_apply_keeps_resource_version_and_time(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/pods/no-op"
    st, first = send(apiserver, path, pod("no-op"), APPLY, "?fieldManager=apply_test")
    assert st == 201
    time.sleep(1.05)  # a changed entry would carry a later second
    st, second = send(apiserver, path, pod("no-op"), APPLY, "?fieldManager=apply_test")
    assert st == 200
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert second["metadata"]["managedFields"] == first["metadata"]["managedFields"]


def test_apply_groups_many_separate_updates(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/grp"
    body = service("grp")
    body["metadata"]["labels"] = {"applier": "true"}
    assert send(apiserver, path, body, APPLY, "?fieldManager=apply_test")[0] == 201
    obj: Any = None
    for i in range(20):
        unique = f"updater{i}"
        st, obj = send(
            apiserver, path, {"metadata": {"labels": {unique: "new"}}}, MERGE, f"?fieldManager={unique}"
        )
        assert st == 200, obj
    entries = obj["metadata"]["managedFields"]
    assert len(entries) == 11, "ten updaters and one applier"
    assert entries[0]["manager"] == "apply_test"
    # Upstream's test sees the bucket second: its entries are ordered by operation, then time
    # (seconds), then name, and its updates all land in one second. Ours may straddle one.
    names = [e["manager"] for e in entries]
    assert (
        names.count("ancient-changes") == 1
        and entries[names.index("ancient-changes")]["operation"] == "Update"
    )
    owned: set[str] = set()
    for e in entries[1:]:
        owned |= set(e["fieldsV1"]["f:metadata"]["f:labels"])
    assert owned == {f"f:updater{i}" for i in range(20)}, "the merged updaters' fields are kept"


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        pytest.param(MERGE, {"metadata": {"managedFields": [{}]}}, id="merge"),
        pytest.param(SMP, {"metadata": {"managedFields": [{}]}}, id="strategic"),
        pytest.param(
            JSONPATCH, [{"op": "replace", "path": "/metadata/managedFields", "value": [{}]}], id="json"
        ),
    ],
)
def test_clear_managed_fields_with_patch(apiserver: ApiServer, ctype: str, body: Any) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/clr"
    applied = service("clr")
    applied["metadata"]["labels"] = {"test-label": "test"}
    assert send(apiserver, path, applied, APPLY, "?fieldManager=apply_test")[0] == 201
    st, resp = send(apiserver, path, body, ctype)
    assert st == 200, resp
    assert "managedFields" not in resp["metadata"]
    _, got, _ = apiserver.call("GET", path)
    assert "managedFields" not in got["metadata"]
    assert got["metadata"]["labels"] == {"test-label": "test"}, "only the bookkeeping goes"


@pytest.mark.parametrize("reset", [[{}], []], ids=["one-empty-entry", "empty-list"])
def test_clear_managed_fields_with_update(apiserver: ApiServer, reset: list[Any]) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/clr"
    applied = service("clr")
    applied["metadata"]["labels"] = {"test-label": "test"}
    assert send(apiserver, path, applied, APPLY, "?fieldManager=apply_test")[0] == 201
    _, current, _ = apiserver.call("GET", path)
    current["metadata"]["managedFields"] = reset
    st, resp, _ = apiserver.call("PUT", path, current)
    assert st == 200, resp
    assert "managedFields" not in resp["metadata"]
    # A later update that changes nothing leaves the object untracked.
    st, resp = send(apiserver, path, {"metadata": {"labels": {"test-label": "test"}}}, MERGE)
    assert st == 200 and "managedFields" not in resp["metadata"]


def test_errors_dont_update_managed_fields(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/edum"
    st, first = send(apiserver, path, service("edum"), APPLY, "?fieldManager=apply_test")
    assert st == 201
    bad = service("edum", ports=[{"port": 99999}])
    st, resp = send(apiserver, path, bad, APPLY, "?fieldManager=apply_test")
    assert st == 422 and resp["reason"] == "Invalid", resp
    _, got, _ = apiserver.call("GET", path)
    assert got["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    assert got["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


# ------------------------------------------------------------------------------ subresources
def test_apply_status(apiserver: ApiServer) -> None:
    """Applying to /status sets the status only; the entry names the subresource."""
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/lb"
    assert send(apiserver, path, service("lb", type="LoadBalancer"), APPLY, "?fieldManager=a")[0] == 201
    body = service("lb", sessionAffinity="ClientIP")
    body["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
    st, resp = send(apiserver, path + "/status", body, APPLY, "?fieldManager=status_mgr")
    assert st == 200, resp
    assert resp["spec"]["sessionAffinity"] == "None", "the spec is not the status subresource's"
    assert [i["ip"] for i in resp["status"]["loadBalancer"]["ingress"]] == ["10.0.0.1"]
    entry = [m for m in resp["metadata"]["managedFields"] if m["manager"] == "status_mgr"]
    assert len(entry) == 1 and entry[0]["subresource"] == "status"
    assert entry[0]["operation"] == "Apply"
    assert entry[0]["fieldsV1"] == {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}


def test_subresource_updates_record_subresource_and_keep_managed_fields(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/lb"
    st, created = send(apiserver, path, service("lb", type="LoadBalancer"), APPLY, "?fieldManager=a")
    assert st == 201
    # managedFields sent through /status are ignored, by PUT and by patch alike.
    current = json.loads(json.dumps(created))
    current["metadata"]["managedFields"] = [
        {
            "manager": "hacker",
            "operation": "Apply",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {},
        }
    ]
    current["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}]}}
    st, resp, _ = apiserver.call("PUT", path + "/status?fieldManager=lb-controller", current)
    assert st == 200, resp
    assert managers(resp) == [("a", "Apply"), ("lb-controller", "Update")]
    entry = resp["metadata"]["managedFields"][1]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}
    st, resp = send(apiserver, path + "/status", {"metadata": {"managedFields": [{}]}}, MERGE)
    assert st == 200 and managers(resp) == [("a", "Apply"), ("lb-controller", "Update")]


# ------------------------------------------------------------------------------ client-side apply
def test_upgrade_client_side_to_server_side_apply(apiserver: ApiServer) -> None:
    """kubectl's own manager may take over what its client-side apply set: the fields whose
    value the last-applied annotation records are no conflict, and the annotation follows."""
    ns = new_namespace(apiserver)
    config = service("csa", selector={"app": "a"}, ports=[{"port": 80, "targetPort": 8080}])
    created = json.loads(json.dumps(config))
    created["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(config)}
    st, resp, _ = apiserver.call(
        "POST", f"/api/v1/namespaces/{ns}/services?fieldManager=kubectl-client-side-apply", created
    )
    assert st == 201, resp
    changed = service("csa", selector={"app": "a"}, ports=[{"port": 80, "targetPort": 9090}])
    path = f"/api/v1/namespaces/{ns}/services/csa"
    st, resp = send(apiserver, path, changed, APPLY, "?fieldManager=kubectl")
    assert st == 200, resp
    assert resp["spec"]["ports"][0]["targetPort"] == 9090
    assert json.loads(resp["metadata"]["annotations"][LAST_APPLIED]) == changed
    assert resp["metadata"]["annotations"][LAST_APPLIED].endswith("\n")
    # Any other manager does conflict with the client-side apply's fields.
    other = service("csa", selector={"app": "b"})
    st, resp = send(apiserver, path, other, APPLY, "?fieldManager=someone-else")
    assert st == 409, resp


# ------------------------------------------------------------------------------ request checks
def test_apply_requires_field_manager(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/fm"
    st, resp = send(apiserver, path, service("fm"), APPLY)
    assert st == 422, resp
    assert resp["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    assert resp["details"] == {
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: is required for apply patch",
                "field": "fieldManager",
            }
        ],
    }
    assert send(apiserver, path, service("fm"), APPLY, "?fieldManager=apply_test")[0] == 201


@pytest.mark.parametrize(
    ("ctype", "query", "message"),
    [
        (MERGE, "?force=true", "force: Forbidden: may not be specified for non-apply patch"),
        (SMP, "?force=false", "force: Forbidden: may not be specified for non-apply patch"),
        (
            APPLY,
            "?fieldManager=" + "m" * 129,
            "fieldManager: Too long: may not be more than 128 bytes",
        ),
        (
            APPLY,
            "?fieldManager=a&fieldValidation=Foo",
            'fieldValidation: Unsupported value: "Foo": supported values: "", "Ignore", "Strict", "Warn"',
        ),
        (
            MERGE,
            "?dryRun=Foo",
            'dryRun: Unsupported value: []string{"Foo"}: supported values: "All"',
        ),
    ],
)
def test_patch_options_validation(apiserver: ApiServer, ctype: str, query: str, message: str) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/opts"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", service("opts"))
    body: Any = service("opts") if ctype == APPLY else {"metadata": {"labels": {"a": "b"}}}
    st, resp = send(apiserver, path, body, ctype, query)
    assert st == 422, resp
    assert resp["message"] == f'PatchOptions.meta.k8s.io "" is invalid: {message}'
    _, got, _ = apiserver.call("GET", path)
    assert "labels" not in got["metadata"]


def test_apply_fails_with_version_mismatch(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/vm"
    assert send(apiserver, path, service("vm"), APPLY, "?fieldManager=apply_test")[0] == 201
    wrong = service("vm")
    wrong["apiVersion"] = "extensions/v1beta"
    st, resp = send(apiserver, path, wrong, APPLY, "?fieldManager=apply_test")
    assert st == 400 and resp["reason"] == "BadRequest", resp
    assert resp["message"] == "invalid object type: extensions/v1beta, Kind=Service"
    wrong = service("vm")
    wrong["kind"] = "Pod"
    st, resp = send(apiserver, path, wrong, APPLY, "?fieldManager=apply_test")
    assert st == 400 and resp["message"] == "invalid object type: /v1, Kind=Pod", resp
    del wrong["kind"]
    st, resp = send(apiserver, path, wrong, APPLY, "?fieldManager=apply_test")
    assert st == 400 and resp["message"] == "invalid object type: /v1, Kind=", resp


def test_apply_with_managed_fields_in_body_is_rejected(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = service("mfb")
    body["metadata"]["managedFields"] = [{"manager": "x", "operation": "Apply"}]
    st, resp = send(apiserver, f"/api/v1/namespaces/{ns}/services/mfb", body, APPLY, "?fieldManager=a")
    assert st == 400 and resp["message"] == "metadata.managedFields must be nil", resp


def test_apply_with_undeclared_field_fails_whatever_the_validation(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/unk"
    body = service("unk")
    body["spec"]["prots"] = [80]
    for query in (
        "?fieldManager=a",
        "?fieldManager=a&fieldValidation=Ignore",
        "?fieldManager=a&fieldValidation=Strict",
    ):
        st, resp = send(apiserver, path, body, APPLY, query)
        assert st == 500, resp
        assert resp["message"] == (
            "failed to create typed patch object (/unk; /v1, Kind=Service): "
            ".spec.prots: field not declared in schema"
        )
        assert "reason" not in resp
    assert apiserver.call("GET", path)[0] == 404


# ------------------------------------------------------------------------------ sizes
def test_very_large_bodies(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/big"
    big = service("big")
    big["metadata"]["annotations"] = {"a": "x" * (3 * 1024 * 1024)}
    for method, target, ctype in (
        ("POST", f"/api/v1/namespaces/{ns}/services", "application/json"),
        ("PATCH", path + "?fieldManager=a", APPLY),
    ):
        st, resp, _ = apiserver.call(method, target, json.dumps(big).encode(), content_type=ctype)
        assert st == 413, resp
        assert resp["reason"] == "RequestEntityTooLarge"
        assert resp["message"] == "Request entity too large: limit is 3145728"
    # Under the body limit but over the annotations budget: a validation error.
    big["metadata"]["annotations"] = {"a": "x" * (300 * 1024)}
    st, resp = send(apiserver, path, big, APPLY, "?fieldManager=a")
    assert st == 422, resp
    assert resp["message"] == (
        'Service "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes'
    )
    assert apiserver.call("GET", path)[0] == 404


def test_json_patch_with_too_many_operations(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/ops"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", service("ops"))
    ops = [{"op": "test", "path": "/kind", "value": "Service"}] * 10001
    st, resp = send(apiserver, path, ops, JSONPATCH)
    assert st == 413, resp
    assert resp["message"] == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    )
    st, resp = send(apiserver, path, ops[:10000], JSONPATCH)
    assert st == 200, resp


# ------------------------------------------------------------------------------ patch failures
@pytest.mark.parametrize(
    ("ops", "cause"),
    [
        (
            [{"op": "test", "path": "/spec/type", "value": "NodePort"}],
            "testing value /spec/type failed: test failed",
        ),
        (
            [{"op": "remove", "path": "/metadata/labels/nope"}],
            "Unable to remove nonexistent key: nope: missing value",
        ),
    ],
)
def test_json_patch_failure_status(apiserver: ApiServer, ops: list[Any], cause: str) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/jp"
    _, created, _ = apiserver.call(
        "POST", f"/api/v1/namespaces/{ns}/services", service("jp", type="ClusterIP")
    )
    created_rv = created["metadata"]["resourceVersion"]
    if ops[0]["op"] == "remove":
        st, _ = send(apiserver, path, {"metadata": {"labels": {"x": "y"}}}, MERGE)
        created_rv = apiserver.call("GET", path)[1]["metadata"]["resourceVersion"]
    st, resp = send(apiserver, path, ops, JSONPATCH)
    assert st == 422, resp
    assert resp["reason"] == "Invalid"
    assert resp["message"] == "the server rejected our request due to an error in our request"
    # The patch library's text (`cause`) is not passed on: no causes, only the generic message.
    assert not (resp.get("details") or {}).get("causes"), cause
    assert apiserver.call("GET", path)[1]["metadata"]["resourceVersion"] == created_rv


def test_concurrent_patches_all_apply(apiserver: ApiServer) -> None:
    """TestPatchConflicts: patches without a resourceVersion retry on conflicts; none is lost."""
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/busy"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", service("busy"))
    results: list[int] = []

    def worker(i: int) -> None:
        ctype = SMP if i % 2 else MERGE
        st, _ = send(apiserver, path, {"metadata": {"labels": {f"k{i}": "v"}}}, ctype)
        results.append(st)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 10
    _, got, _ = apiserver.call("GET", path)
    assert set(got["metadata"]["labels"]) == {f"k{i}" for i in range(10)}


# ------------------------------------------------------------------------------ strategic merge
def test_strategic_merge_directives_on_served_kinds(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/smp"
    body = service(
        "smp",
        externalIPs=["192.0.2.1", "192.0.2.2"],
        ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81, "protocol": "UDP"}],
    )
    body["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    assert apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)[0] == 201

    # finalizers merge (patchStrategy merge); $deleteFromPrimitiveList removes values.
    st, resp = send(apiserver, path, {"metadata": {"finalizers": ["example.com/c"]}}, SMP)
    assert st == 200 and resp["metadata"]["finalizers"] == ["example.com/a", "example.com/b", "example.com/c"]
    patch = {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]},
        "spec": {"$deleteFromPrimitiveList/externalIPs": ["192.0.2.1"]},
    }
    st, resp = send(apiserver, path, patch, SMP)
    assert st == 200, resp
    assert resp["metadata"]["finalizers"] == ["example.com/b", "example.com/c"]
    assert resp["spec"]["externalIPs"] == ["192.0.2.2"]
    # externalIPs has no merge strategy: a list in the patch replaces it.
    st, resp = send(apiserver, path, {"spec": {"externalIPs": ["192.0.2.9"]}}, SMP)
    assert st == 200 and resp["spec"]["externalIPs"] == ["192.0.2.9"]

    # ports merge on `port` alone in strategic merge (upstream's patchMergeKey), although the
    # list-map keys of apply are (port, protocol): the same port with UDP rewrites the TCP item.
    st, resp = send(apiserver, path, {"spec": {"ports": [{"name": "c", "port": 80, "protocol": "UDP"}]}}, SMP)
    assert st == 200, resp
    assert [(p["name"], p["port"], p["protocol"]) for p in resp["spec"]["ports"]] == [
        ("c", 80, "UDP"),
        ("b", 81, "UDP"),
    ]
    # $patch: delete removes one item; $setElementOrder orders the result.
    patch = {
        "spec": {
            "$setElementOrder/ports": [{"port": 82}, {"port": 80}],
            "ports": [{"name": "d", "port": 82}, {"$patch": "delete", "port": 81}],
        }
    }
    st, resp = send(apiserver, path, patch, SMP)
    assert st == 200, resp
    assert [(p["name"], p["port"]) for p in resp["spec"]["ports"]] == [("d", 82), ("c", 80)]
    # $patch: replace on the list replaces it whole.
    st, resp = send(
        apiserver, path, {"spec": {"ports": [{"name": "z", "port": 90}, {"$patch": "replace"}]}}, SMP
    )
    assert st == 200, resp
    assert [(p["name"], p["port"]) for p in resp["spec"]["ports"]] == [("z", 90)]
    # $patch: delete on a map removes the map.
    send(apiserver, path, {"metadata": {"labels": {"x": "1"}}}, SMP)
    st, resp = send(apiserver, path, {"metadata": {"labels": {"$patch": "delete"}}}, SMP)
    assert st == 200 and "labels" not in resp["metadata"]
    # An unknown directive is a plain error of the patch library: a reason-less 500.
    st, resp = send(apiserver, path, {"spec": {"ports": [{"$patch": "frob", "port": 90}]}}, SMP)
    assert st == 500 and "reason" not in resp, resp
    assert resp["message"] == "unknown patch type: frob in map: map[$patch:frob port:90]"
    # So is an item without the merge key (kubectl prints "Error from server: map: ...").
    st, resp = send(apiserver, path, {"spec": {"ports": [{"targetPort": 441}]}}, SMP)
    assert (
        st == 500 and resp["message"] == "map: map[targetPort:441] does not contain declared merge key: port"
    )


def test_strategic_merge_pod_containers_and_endpointslice_lists(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    body = pod("smp")
    body["spec"]["containers"] = [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]
    assert apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", body)[0] == 201
    st, resp = send(
        apiserver,
        f"/api/v1/namespaces/{ns}/pods/smp",
        {"spec": {"containers": [{"name": "b", "image": "z"}]}},
        SMP,
    )
    assert st == 200, resp
    assert [(c["name"], c["image"]) for c in resp["spec"]["containers"]] == [("a", "x"), ("b", "z")]

    base = f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "es"},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"]}],
        "ports": [{"name": "a", "port": 80}],
    }
    assert apiserver.call("POST", base, slice_)[0] == 201
    patch = {"endpoints": [{"addresses": ["10.0.0.2"]}], "ports": [{"name": "b", "port": 81}]}
    st, resp = send(apiserver, base + "/es", patch, SMP)
    assert st == 200, resp
    # Both lists are atomic in upstream's types: the patch's list replaces the stored one.
    assert [e["addresses"] for e in resp["endpoints"]] == [["10.0.0.2"]]
    assert [(p["name"], p["port"]) for p in resp["ports"]] == [("b", 81)]


def test_merge_patch_null_deletes(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/null"
    body = service("null")
    body["metadata"]["labels"] = {"a": "1", "b": "2"}
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)
    st, resp = send(apiserver, path, {"metadata": {"labels": {"a": None}}}, MERGE)
    assert st == 200 and resp["metadata"]["labels"] == {"b": "2"}
    st, resp = send(apiserver, path, {"metadata": {"labels": None}}, MERGE)
    assert st == 200 and "labels" not in resp["metadata"]


# ------------------------------------------------------------------------------ apply bodies
def test_apply_body_decoding(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/yml?fieldManager=a"
    for body, message in (
        (b"", "invalid object type: /, Kind="),
        (b"null", "invalid object type: /, Kind="),
        (
            b"- a\n- b\n",
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            "array into Go value of type map[string]interface {}",
        ),
        (
            b"apiVersion: v1\nkind: [\n",
            "error decoding YAML: error converting YAML to JSON: yaml: line 3: did not find expected node content",
        ),
    ):
        st, resp = send(apiserver, path, body, APPLY)
        assert (st, resp["message"]) == (400, message)


def test_apply_duplicate_keys_follow_field_validation(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/dup"
    body = (
        b"apiVersion: v1\nkind: Service\nmetadata:\n  name: dup\n  name: dup\nspec:\n  ports:\n  - port: 80\n"
    )
    st, resp = send(apiserver, path, body, APPLY, "?fieldManager=a&fieldValidation=Strict")
    assert st == 400, resp
    assert resp["message"] == (
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n"
        '  line 5: key "name" already set in map'
    )
    assert apiserver.call("GET", path)[0] == 404
    st, resp, headers = apiserver.call("PATCH", path + "?fieldManager=a", body, content_type=APPLY)
    assert st == 201, resp
    assert headers.get("Warning") == '299 - "line 5: key \\"name\\" already set in map"'
    st, resp, headers = apiserver.call(
        "PATCH", path + "?fieldManager=a&fieldValidation=Ignore", body, content_type=APPLY
    )
    assert st == 200 and "Warning" not in headers


def test_apply_resource_version_is_a_precondition(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/rv"
    st, created = send(apiserver, path, service("rv"), APPLY, "?fieldManager=a")
    assert st == 201
    stale = service("rv", sessionAffinity="ClientIP")
    stale["metadata"]["resourceVersion"] = "1"
    st, resp = send(apiserver, path, stale, APPLY, "?fieldManager=a")
    assert st == 409, resp
    assert resp["message"] == (
        'Operation cannot be fulfilled on services "rv": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    stale["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    st, resp = send(apiserver, path, stale, APPLY, "?fieldManager=a")
    assert st == 200 and resp["spec"]["sessionAffinity"] == "ClientIP", resp
