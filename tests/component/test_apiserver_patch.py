"""PATCH wiring: merge, strategic merge (kubectl apply/edit shapes), JSON patch, server-side
apply with ownership conflicts, status subresource patches, managedFields recording."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.support.apiserver import ApiServer

_ns_counter = itertools.count()

MERGE = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"
JSONPATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


def new_namespace(srv: ApiServer) -> str:
    name = f"patch-{next(_ns_counter)}"
    st, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201, body
    return name


def svc(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


def patch(
    srv: ApiServer, path: str, body: Any, ctype: str, query: str = ""
) -> tuple[int, Any, dict[str, str]]:
    return srv.call("PATCH", path + query, json.dumps(body).encode(), content_type=ctype)


def test_merge_patch_labels(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/web"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    st, body, _ = patch(
        apiserver, path, {"metadata": {"labels": {"k": "v"}}}, MERGE, "?fieldManager=kubectl-label"
    )
    assert st == 200, body
    assert body["metadata"]["labels"] == {"k": "v"}
    st, body, _ = patch(apiserver, path, {"metadata": {"labels": {"k": None}}}, MERGE)
    assert st == 200 and "k" not in (body["metadata"].get("labels") or {})


def test_strategic_merge_patch_as_kubectl_apply_sends_it(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/web"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    body = {
        "spec": {
            "$setElementOrder/ports": [{"port": 81}],
            "ports": [{"name": "http", "port": 81, "targetPort": 8080}, {"$patch": "delete", "port": 80}],
        }
    }
    st, resp, _ = patch(
        apiserver, path, body, SMP, "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"
    )
    assert st == 200, resp
    assert [(p["port"], p["protocol"]) for p in resp["spec"]["ports"]] == [(81, "TCP")]
    assert resp["spec"]["clusterIP"], "patches keep the allocated clusterIP"


def test_json_patch_test_failure_rejects_everything(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/web"
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    ops = [
        {"op": "add", "path": "/metadata/labels", "value": {"a": "b"}},
        {"op": "test", "path": "/spec/type", "value": "NodePort"},
    ]
    st, body, _ = patch(apiserver, path, ops, JSONPATCH)
    assert st == 422, body
    _, now, _ = apiserver.call("GET", path)
    assert "labels" not in now["metadata"]
    assert now["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    ops = [{"op": "replace", "path": "/spec/sessionAffinity", "value": "ClientIP"}]
    st, body, _ = patch(apiserver, path, ops, JSONPATCH)
    assert st == 200 and body["spec"]["sessionAffinity"] == "ClientIP"


def test_patch_with_stale_resource_version_conflicts(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/web"
    _, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    stale = created["metadata"]["resourceVersion"]
    patch(apiserver, path, {"metadata": {"labels": {"x": "1"}}}, MERGE)
    st, body, _ = patch(
        apiserver, path, {"metadata": {"resourceVersion": stale, "labels": {"x": "2"}}}, MERGE
    )
    assert st == 409 and body["reason"] == "Conflict"
    ops = [{"op": "replace", "path": "/metadata/resourceVersion", "value": stale}]
    st, body, _ = patch(apiserver, path, ops, JSONPATCH)
    assert st == 409


def test_patch_missing_object_and_bad_type(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/missing"
    st, body, _ = patch(apiserver, path, {"metadata": {"labels": {"a": "b"}}}, MERGE)
    assert st == 404 and body["message"] == 'services "missing" not found'
    st, body, _ = patch(apiserver, path, {}, "text/plain")
    assert st == 415 and body["reason"] == "UnsupportedMediaType"
    st, body, _ = apiserver.call("PATCH", path, b"{not json", content_type=MERGE)
    assert st == 400


def test_server_side_apply_create_conflict_force(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/ssa"
    manifest = svc("ssa")
    manifest["metadata"]["namespace"] = ns
    st, body, _ = patch(
        apiserver, path, manifest, APPLY, "?fieldManager=kubectl&fieldValidation=Strict&force=false"
    )
    assert st == 201, body
    managers = {(m["manager"], m["operation"]) for m in body["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    other = json.loads(json.dumps(manifest))
    other["spec"]["ports"][0]["targetPort"] = 9090
    st, body, _ = patch(apiserver, path, other, APPLY, "?fieldManager=other&force=false")
    assert st == 409, body
    assert body["reason"] == "Conflict"
    assert body["message"].startswith('Apply failed with 1 conflict: conflict with "kubectl"')
    st, body, _ = patch(apiserver, path, other, APPLY, "?fieldManager=other&force=true")
    assert st == 200, body
    assert body["spec"]["ports"][0]["targetPort"] == 9090
    st, body, _ = patch(apiserver, path, manifest, APPLY)
    assert st == 422, "apply needs a fieldManager"


def test_create_records_managed_fields(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    st, body, _ = apiserver.call(
        "POST", f"/api/v1/namespaces/{ns}/services?fieldManager=kubectl-create", svc("mf")
    )
    assert st == 201
    entry = body["metadata"]["managedFields"][0]
    assert entry["manager"] == "kubectl-create" and entry["operation"] == "Update"
    assert entry["apiVersion"] == "v1" and entry["fieldsType"] == "FieldsV1"
    assert "f:spec" in entry["fieldsV1"]


def test_status_subresource_patch(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    base = f"/api/v1/namespaces/{ns}/services/lb"
    body = svc("lb")
    body["spec"]["type"] = "LoadBalancer"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", body)
    st, resp, _ = patch(
        apiserver,
        base + "/status",
        {
            "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}},
            "spec": {"sessionAffinity": "ClientIP"},
        },
        MERGE,
    )
    assert st == 200, resp
    assert resp["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.255.200"
    assert resp["spec"]["sessionAffinity"] == "None", "status patches do not change the spec"
    st, resp, _ = patch(apiserver, base, {"status": {"loadBalancer": {}}}, MERGE)
    assert st == 200 and resp["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.255.200"


def test_strict_patch_with_unknown_field(apiserver: ApiServer) -> None:
    ns = new_namespace(apiserver)
    path = f"/api/v1/namespaces/{ns}/services/web"
    apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc("web"))
    body = {"spec": {"prots": [80]}}
    st, resp, _ = patch(apiserver, path, body, SMP, "?fieldValidation=Strict")
    assert st == 422, resp
    assert resp["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[prots:[80]]]": '
        'strict decoding error: unknown field "spec.prots"'
    )
    st, resp, headers = patch(apiserver, path, body, MERGE, "?fieldValidation=Warn")
    assert st == 200 and "prots" not in resp["spec"]
    assert 'unknown field \\"spec.prots\\"' in headers["Warning"]
