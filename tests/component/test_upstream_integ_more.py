"""More of upstream's test/integration, for our kinds, against a real apiserver on loopback.

Sources (kubernetes/kubernetes, test/integration/): service/service_test.go (the traffic-policy
drops, Test_ServiceClusterIPSelector, Test_ServiceWatchUntil, Test_TransitionsForTrafficDistribution),
network/services_test.go (TestServicesFinalizersRepairLoop),
network/services_resourceversion_test.go (TestServiceListResourceVersionContract),
apiserver/apply/status_test.go (TestApplyStatus), apiserver/apply/reset_fields_test.go
(TestApplyResetFields) with the etcd storage stubs of our kinds, apiserver/apply/apply_test.go
(unsetting and transferring fields), apiserver/delete_with_result_test.go,
apiserver/cve_2021_29923_test.go, servicecidr/allocator_test.go (TestServiceAlloc),
endpoints/endpoints_test.go, endpointslice/endpointslice_test.go and
endpointslicemirroring_test.go, namespace/ns_conditions_test.go (TestNamespaceLabels),
events/events_test.go and garbagecollector/garbage_collector_test.go.  Each test names the case
it ports; controllers run in this process over HTTP list+watch, as upstream's tests run them.
Earlier ports live in test_upstream_{apiserver,apply,listwatch,fieldvalidation,controllers}.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.component.test_upstream_apiserver import new_namespace
from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.controllers import running
from tests.support.waiting import eventually

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
WAIT = 30.0  # generous: the machine may be busy

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("upstream-integ-more") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


def ok(result: tuple[int, Any, dict[str, str]], *codes: int) -> Any:
    st, body, _ = result
    assert st in (codes or (200, 201)), (st, body)
    return body


async def watch_until(
    srv: ApiServer, path: str, rv: str, pred: Any, *, label_selector: str = "", timeout: float = WAIT
) -> Obj:
    """watchtools.Until: watch `path` from `rv` and return the first event `pred` accepts."""
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": str(int(timeout) + 5)}
    if label_selector:
        params["labelSelector"] = label_selector
    async with srv.session() as s, s.get(path, params=params) as resp:
        assert resp.status == 200, await resp.text()

        async def run() -> Obj:
            async for line in resp.content:
                if line.strip():
                    ev = json.loads(line)
                    if pred(ev):
                        return ev  # type: ignore[no-any-return]
            raise AssertionError("watch ended before the event")

        return await asyncio.wait_for(run(), timeout)


# -- service/service_test.go: traffic policies ---------------------------------------------------


def test_external_name_service_stops_defaulting_internal_traffic_policy(apiserver: ApiServer) -> None:
    """Test_ExternalNameServiceStopsDefaultingInternalTrafficPolicy."""
    ns = new_namespace(apiserver, "en-itp")
    svc = {"metadata": {"name": "test-123"}, "spec": {"type": "ExternalName", "externalName": "foo.bar.com"}}
    created = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))
    assert "internalTrafficPolicy" not in created["spec"]
    got = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/test-123"))
    assert "internalTrafficPolicy" not in got["spec"]


def test_external_name_service_drops_internal_traffic_policy(apiserver: ApiServer) -> None:
    """Test_ExternalNameServiceDropsInternalTrafficPolicy: accepted on create, never served."""
    ns = new_namespace(apiserver, "en-itp-drop")
    svc = {
        "metadata": {"name": "test-123"},
        "spec": {"type": "ExternalName", "externalName": "foo.bar.com", "internalTrafficPolicy": "Cluster"},
    }
    created = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))
    assert "internalTrafficPolicy" not in created["spec"]
    got = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/test-123"))
    assert "internalTrafficPolicy" not in got["spec"]
    listed = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/services"))
    assert ["internalTrafficPolicy" in i["spec"] for i in listed["items"]] == [False]


def test_converting_to_external_name_service_drops_internal_traffic_policy(apiserver: ApiServer) -> None:
    """Test_ConvertingToExternalNameServiceDropsInternalTrafficPolicy."""
    ns = new_namespace(apiserver, "to-en")
    path = f"/api/v1/namespaces/{ns}/services"
    svc = {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}], "selector": {"foo": "bar"}}}
    created = ok(apiserver.call("POST", path, svc))
    assert created["spec"]["internalTrafficPolicy"] == "Cluster"
    created["spec"]["type"] = "ExternalName"
    created["spec"]["externalName"] = "foo.bar.com"
    updated = ok(apiserver.call("PUT", f"{path}/test-123", created))
    assert "internalTrafficPolicy" not in updated["spec"]
    got = ok(apiserver.call("GET", f"{path}/test-123"))
    assert "internalTrafficPolicy" not in got["spec"]


def test_removing_external_ips_drops_external_traffic_policy(apiserver: ApiServer) -> None:
    """Test_RemovingExternalIPsFromClusterIPServiceDropsExternalTrafficPolicy."""
    ns = new_namespace(apiserver, "eips-etp")
    path = f"/api/v1/namespaces/{ns}/services"
    svc = {
        "metadata": {"name": "test-123"},
        "spec": {"ports": [{"port": 80}], "selector": {"foo": "bar"}, "externalIPs": ["1.1.1.1"]},
    }
    created = ok(apiserver.call("POST", path, svc))
    assert created["spec"]["externalTrafficPolicy"] == "Cluster"
    created["spec"]["externalIPs"] = []
    updated = ok(apiserver.call("PUT", f"{path}/test-123", created))
    assert updated["spec"].get("externalTrafficPolicy", "") == ""
    got = ok(apiserver.call("GET", f"{path}/test-123"))
    assert got["spec"].get("externalTrafficPolicy", "") == ""
    got["spec"]["externalIPs"] = ["1.1.1.1"]
    updated = ok(apiserver.call("PUT", f"{path}/test-123", got))
    assert updated["spec"]["externalTrafficPolicy"] == "Cluster"
    got = ok(apiserver.call("GET", f"{path}/test-123"))
    assert got["spec"]["externalTrafficPolicy"] == "Cluster"


# -- service/service_test.go: Test_ServiceClusterIPSelector ----------------------------------------


def test_service_cluster_ip_selector(apiserver: ApiServer) -> None:
    """Test_ServiceClusterIPSelector: `spec.clusterIP!=None` leaves headless Services out, and a
    Service that stops (ExternalName) or starts (ClusterIP again) having an IP is in."""
    ns = new_namespace(apiserver, "cip-selector")
    path = f"/api/v1/namespaces/{ns}/services"
    selected = f"{path}?fieldSelector=spec.clusterIP!%3DNone"
    headless = {
        "metadata": {"name": "test-headless"},
        "spec": {
            "clusterIP": "None",
            "type": "ClusterIP",
            "ports": [{"port": 80}],
            "selector": {"foo": "bar"},
        },
    }
    stored = ok(apiserver.call("POST", path, headless))

    def names() -> list[str]:
        return sorted(i["metadata"]["name"] for i in ok(apiserver.call("GET", selected))["items"])

    assert names() == []
    second = json.loads(json.dumps(headless))
    second["metadata"]["name"] = "test-clusterip"
    second["spec"]["clusterIP"] = ""
    ok(apiserver.call("POST", path, second))
    assert names() == ["test-clusterip"]

    stored["spec"].update({"externalName": "test", "type": "ExternalName"})
    stored = ok(apiserver.call("PUT", f"{path}/test-headless", stored))
    assert "clusterIP" not in stored["spec"]
    assert names() == ["test-clusterip", "test-headless"]

    stored["spec"].update({"externalName": "", "clusterIP": "", "type": "ClusterIP"})
    stored = ok(apiserver.call("PUT", f"{path}/test-headless", stored))
    assert stored["spec"]["clusterIP"] not in ("", "None")
    assert names() == ["test-clusterip", "test-headless"]


# -- service/service_test.go: Test_ServiceWatchUntil -----------------------------------------------


async def test_service_watch_until(apiserver: ApiServer) -> None:
    """Test_ServiceWatchUntil (issue 123853): every step of a Service's life reaches a watch
    with a label selector started at the resourceVersion of an earlier list."""
    ns = new_namespace(apiserver, "svc-watchuntil")
    name = "test-service-abcde"
    labels = "test-service-static=true"
    svc_list = ok(apiserver.call("GET", f"/api/v1/services?labelSelector={labels}"))
    rv = svc_list["metadata"]["resourceVersion"]
    path = f"/api/v1/namespaces/{ns}/services"
    svc = {
        "metadata": {"name": name, "labels": {"test-service-static": "true"}},
        "spec": {
            "type": "LoadBalancer",
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80}],
            "loadBalancerClass": "example.com/internal-vip",
        },
    }
    ok(apiserver.call("POST", path, svc))

    def is_ours(ev: Obj) -> bool:
        meta = ev["object"]["metadata"]
        return bool(meta["name"] == name and meta["namespace"] == ns)

    await watch_until(apiserver, path, rv, is_ours, label_selector=labels)

    patch = {
        "metadata": {"annotations": {"patchedstatus": "true"}},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}},
    }
    patched = ok(apiserver.call("PATCH", f"{path}/{name}/status", patch, content_type=MERGE))
    assert patched["metadata"]["annotations"] == {"patchedstatus": "true"}

    def annotated(ev: Obj) -> bool:
        return (
            is_ours(ev) and (ev["object"]["metadata"].get("annotations") or {}).get("patchedstatus") == "true"
        )

    await watch_until(apiserver, path, rv, annotated, label_selector=labels)

    current = ok(apiserver.call("GET", f"{path}/{name}"))
    current["status"].setdefault("conditions", []).append(
        {
            "type": "StatusUpdate",
            "status": "True",
            "reason": "E2E",
            "message": "Set from e2e test",
            "lastTransitionTime": None,
        }
    )
    # metav1.Condition's lastTransitionTime is a required field: the Go client sends the zero time
    current["status"]["conditions"][-1]["lastTransitionTime"] = "2024-01-01T00:00:00Z"
    ok(apiserver.call("PUT", f"{path}/{name}/status", current))

    def conditioned(ev: Obj) -> bool:
        conds = ev["object"]["status"].get("conditions") or []
        return annotated(ev) and any(
            c["type"] == "StatusUpdate" and c["reason"] == "E2E" and c["message"] == "Set from e2e test"
            for c in conds
        )

    await watch_until(apiserver, path, rv, conditioned, label_selector=labels)

    ok(
        apiserver.call(
            "PATCH", f"{path}/{name}", {"metadata": {"labels": {"test-service": "patched"}}}, content_type=SMP
        )
    )

    def relabeled(ev: Obj) -> bool:
        return is_ours(ev) and ev["object"]["metadata"]["labels"].get("test-service") == "patched"

    await watch_until(apiserver, path, rv, relabeled, label_selector=labels)

    ok(apiserver.call("DELETE", f"{path}/{name}"))

    def deleted(ev: Obj) -> bool:
        return ev["type"] == "DELETED" and is_ours(ev)

    await watch_until(apiserver, path, rv, deleted, label_selector=labels)


# -- network/services_test.go: TestServicesFinalizersRepairLoop --------------------------------------


def test_services_finalizers_repair_loop(apiserver: ApiServer) -> None:
    """TestServicesFinalizersRepairLoop (issue 87603): a Service held by a finalizer keeps its
    ClusterIP and NodePort while it is being deleted; once the finalizer is removed it is gone
    and the same Service can be created again with the same IP and port."""
    ns = new_namespace(apiserver, "svc-finalizers")
    path = f"/api/v1/namespaces/{ns}/services"
    cluster_ip = "10.96.0.20"
    svc = {
        "metadata": {"name": "svc", "finalizers": ["foo.bar/some-finalizer"]},
        "spec": {
            "clusterIP": cluster_ip,
            "ports": [{"port": 8443, "nodePort": 30443, "targetPort": 8443, "protocol": "TCP"}],
            "type": "NodePort",
        },
    }
    ok(apiserver.call("POST", path, svc))
    assert ok(apiserver.call("GET", f"{path}/svc"))["spec"]["clusterIP"] == cluster_ip
    ok(apiserver.call("DELETE", f"{path}/svc"))
    kept = ok(apiserver.call("GET", f"{path}/svc"))
    assert kept["spec"]["clusterIP"] == cluster_ip
    assert kept["metadata"]["deletionTimestamp"]
    # while it is held, its IP and port are still taken
    other = json.loads(json.dumps(svc))
    other["metadata"] = {"name": "svc-other"}
    st, body, _ = apiserver.call("POST", path, other)
    assert st == 422, body
    ok(
        apiserver.call(
            "PATCH",
            f"{path}/svc",
            [{"op": "remove", "path": "/metadata/finalizers"}],
            content_type=JSON_PATCH,
        )
    )
    st, body, _ = apiserver.call("GET", f"{path}/svc")
    assert st == 404, body
    again = ok(apiserver.call("POST", path, svc))
    assert again["spec"]["clusterIP"] == cluster_ip
    assert again["spec"]["ports"][0]["nodePort"] == 30443
    # clean up: let the namespace go without the finalizer holding it
    ok(apiserver.call("PATCH", f"{path}/svc", {"metadata": {"finalizers": None}}, content_type=MERGE))
    ok(apiserver.call("DELETE", f"{path}/svc"))


# -- network/services_resourceversion_test.go: TestServiceListResourceVersionContract ----------------


@pytest.mark.parametrize(
    ("create", "delete", "limit"),
    [(1, 0, 1), (25, 0, 1), (5, 0, 0), (6, 4, 1)],
    ids=["single-service", "burst-larger-than-page", "unpaginated", "deletes"],
)
async def test_service_list_resource_version_contract(
    apiserver: ApiServer, create: int, delete: int, limit: int
) -> None:
    """TestServiceListResourceVersionContract: a list with resourceVersion="" answers a
    collection resourceVersion at least as new as every Service write that completed before
    it (also when `limit` cuts the page to one item); a watch from there (an informer) then
    holds every created Service and none of the deleted ones."""
    ns = new_namespace(apiserver, "svc-rv")
    path = f"/api/v1/namespaces/{ns}/services"
    max_rv = 0
    created = []
    for i in range(create):
        body = {"metadata": {"name": f"svc-{i}"}, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}
        svc = ok(apiserver.call("POST", path, body))
        created.append(svc["metadata"]["name"])
        max_rv = max(max_rv, int(svc["metadata"]["resourceVersion"]))
    deleted, remaining = created[:delete], created[delete:]
    for name in deleted:
        ok(apiserver.call("DELETE", f"{path}/{name}"))
    query = f"?limit={limit}" if limit else ""
    listed = ok(apiserver.call("GET", f"/api/v1/services{query}"))
    if limit:
        assert len(listed["items"]) <= limit
    list_rv = int(listed["metadata"]["resourceVersion"])
    assert list_rv >= max_rv

    # an informer's cache: a full list, then a watch from its resourceVersion up to a nudge write
    full = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/services"))
    cache = {i["metadata"]["name"] for i in full["items"]}
    nudge = ok(
        apiserver.call("POST", path, {"metadata": {"name": "nudge"}, "spec": {"ports": [{"port": 80}]}})
    )
    seen_rv = int(full["metadata"]["resourceVersion"])

    def apply(ev: Obj) -> bool:
        nonlocal seen_rv
        name = ev["object"]["metadata"]["name"]
        (cache.discard if ev["type"] == "DELETED" else cache.add)(name)
        seen_rv = int(ev["object"]["metadata"]["resourceVersion"])
        return seen_rv >= int(nudge["metadata"]["resourceVersion"])

    if seen_rv < int(nudge["metadata"]["resourceVersion"]):
        await watch_until(apiserver, f"/api/v1/namespaces/{ns}/services", str(seen_rv), apply)
    assert seen_rv >= list_rv
    assert set(remaining) <= cache
    assert not set(deleted) & cache


# -- apiserver/apply/status_test.go and reset_fields_test.go ----------------------------------------

STATUS_NS = "statusnamespace"
RESET_NS = "reset-fields-namespace"

# The etcd storage stubs of our kinds with a status subresource (test/integration/etcd/data.go).
STATUS_STUBS: dict[str, tuple[str, Obj]] = {
    "services": (
        "Service",
        {
            "metadata": {"name": "service1"},
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"port": 10000, "targetPort": 11000}],
                "selector": {"test": "data"},
            },
        },
    ),
    "pods": (
        "Pod",
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
    "nodes": ("Node", {"metadata": {"name": "node1"}, "spec": {"unschedulable": True}}),
    "namespaces": ("Namespace", {"metadata": {"name": "namespace1"}, "spec": {"finalizers": ["kubernetes"]}}),
}

STATUS_DATA = {"services": {"status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}}}
STATUS_DEFAULT: Obj = {"status": {"conditions": [{"type": "MyStatus", "status": "True"}]}}
RESET_STATUS_DATA = {
    "services": {"status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.2", "ipMode": "VIP"}]}}}
}
RESET_STATUS_DEFAULT: Obj = {"status": {"conditions": [{"type": "MyStatus", "status": "False"}]}}
IMAGE2 = "registry.k8s.io/etcd:3.5.21-0"  # image.GetE2EImage(image.Etcd)
RESET_SPEC_DATA: dict[str, Obj] = {
    "namespaces": {"spec": {"finalizers": ["kubernetes2"]}},
    "nodes": {"spec": {"unschedulable": False}},
    "pods": {
        "metadata": {"deletionTimestamp": "2020-01-01T00:00:00Z", "ownerReferences": []},
        "spec": {"containers": [{"image": IMAGE2, "name": "container7"}]},
    },
    "services": {"spec": {"type": "ClusterIP"}},
}
NO_CONFLICTS = {"namespaces"}


def status_resources(srv: ApiServer) -> list[str]:
    """The core/v1 resources discovery lists with a /status subresource."""
    disc = ok(srv.call("GET", "/api/v1"))
    return sorted(
        r["name"].removesuffix("/status") for r in disc["resources"] if r["name"].endswith("/status")
    )


def object_path(resource: str, namespace: str, name: str, sub: str = "") -> str:
    base = "/api/v1" + ("" if resource in ("nodes", "namespaces") else f"/namespaces/{namespace}")
    return f"{base}/{resource}/{name}" + (f"/{sub}" if sub else "")


def managers(obj: Obj) -> set[str]:
    return {e["manager"] for e in obj["metadata"].get("managedFields") or []}


def test_status_subresources_are_ours(apiserver: ApiServer) -> None:
    """The loops below run over discovery's */status resources, as upstream's do."""
    assert status_resources(apiserver) == sorted(STATUS_STUBS)


@pytest.mark.parametrize("resource", sorted(STATUS_STUBS))
def test_apply_status(apiserver: ApiServer, resource: str) -> None:
    """TestApplyStatus: apply-create the stub, then apply its status (forced): both managers
    are in managedFields."""
    with contextlib.suppress(AssertionError):
        ok(apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": STATUS_NS}}), 201, 409)
    kind, stub = STATUS_STUBS[resource]
    obj = {"apiVersion": "v1", "kind": kind, **json.loads(json.dumps(stub))}
    name = obj["metadata"]["name"]
    if resource == "namespaces":
        name = obj["metadata"]["name"] = "namespace1-status"
    ok(
        apiserver.call(
            "PATCH",
            object_path(resource, STATUS_NS, name) + "?fieldManager=create_test",
            obj,
            content_type=APPLY,
        )
    )
    status = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name},
        **STATUS_DATA.get(resource, STATUS_DEFAULT),
    }
    applied = ok(
        apiserver.call(
            "PATCH",
            object_path(resource, STATUS_NS, name, "status") + "?fieldManager=apply_status_test&force=true",
            status,
            content_type=APPLY,
        )
    )
    assert {"apply_status_test", "create_test"} <= managers(applied), applied["metadata"].get("managedFields")
    ok(apiserver.call("DELETE", object_path(resource, STATUS_NS, name), {"gracePeriodSeconds": 0}))


def _merged(*parts: Obj) -> Obj:
    """json.Unmarshal of each part into the same map: top-level keys replace, maps merge."""
    out: Obj = {}

    def into(dst: Obj, src: Obj) -> None:
        for k, v in src.items():
            if isinstance(v, dict) and isinstance(dst.get(k), dict):
                into(dst[k], v)
            else:
                dst[k] = json.loads(json.dumps(v))

    for p in parts:
        into(out, p)
    return out


@pytest.mark.parametrize("resource", sorted(STATUS_STUBS))
def test_apply_reset_fields(apiserver: ApiServer, resource: str) -> None:
    """TestApplyResetFields: the strategy's reset fields are not owned by who sent them: obj1
    applied to the main resource owns no status, obj2 applied to /status owns no spec, so
    neither apply conflicts; obj2 to the main resource and obj1 to /status then do."""
    with contextlib.suppress(AssertionError):
        ok(apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": RESET_NS}}), 201, 409)
    kind, stub = STATUS_STUBS[resource]
    obj1 = _merged({"apiVersion": "v1", "kind": kind}, stub, STATUS_DATA.get(resource, STATUS_DEFAULT))
    if resource == "namespaces":
        obj1["metadata"]["name"] = "namespace1-reset"
    name = obj1["metadata"]["name"]
    main = object_path(resource, RESET_NS, name)
    status = object_path(resource, RESET_NS, name, "status")
    ok(apiserver.call("PATCH", main + "?fieldManager=fieldmanager1", obj1, content_type=APPLY))
    obj2 = _merged(obj1, RESET_SPEC_DATA[resource], RESET_STATUS_DATA.get(resource, RESET_STATUS_DEFAULT))
    assert obj1 != obj2
    ok(apiserver.call("PATCH", status + "?fieldManager=fieldmanager2", obj2, content_type=APPLY))
    if resource not in NO_CONFLICTS:
        st, body, _ = apiserver.call("PATCH", main + "?fieldManager=fieldmanager2", obj2, content_type=APPLY)
        assert st == 409 and "conflict" in body["message"], (st, body)
        st, body, _ = apiserver.call(
            "PATCH", status + "?fieldManager=fieldmanager1", obj1, content_type=APPLY
        )
        assert st == 409 and "conflict" in body["message"], (st, body)
    ok(apiserver.call("DELETE", main, {"gracePeriodSeconds": 0}))


# -- apiserver/delete_with_result_test.go: TestDeleteResult, TestDeletionResponseMatrix ------------
# Our kinds in place of upstream's: Services answer a DELETE with the object as ServiceAccounts do
# (ReturnDeletedObject), Endpoints with a Status as ConfigMaps do.


def test_delete_result(apiserver: ApiServer) -> None:
    """TestDeleteResult: a Pod's DELETE answers the Pod, an Endpoints' a Status Success; both
    carry a resourceVersion; a missing object is a 404 Status."""
    ns = new_namespace(apiserver, "delete-status")
    pod = {"metadata": {"name": "pod1"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", pod))
    st, body, _ = apiserver.call("DELETE", f"/api/v1/namespaces/{ns}/pods/pod1")
    assert st in (200, 202) and body["kind"] == "Pod" and body["metadata"]["resourceVersion"], (st, body)

    created = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/endpoints", {"metadata": {"name": "cm1"}}))
    st, body, _ = apiserver.call("DELETE", f"/api/v1/namespaces/{ns}/endpoints/cm1")
    assert st == 200 and body["kind"] == "Status" and body["status"] == "Success", (st, body)
    assert int(body["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert body["details"] == {"name": "cm1", "kind": "endpoints", "uid": created["metadata"]["uid"]}

    st, body, _ = apiserver.call("DELETE", f"/api/v1/namespaces/{ns}/pods/non-existent-pod")
    assert st == 404 and body["kind"] == "Status" and body["code"] == 404, (st, body)


MATRIX = [
    # name, resource, initial deletionTimestamp, initial finalizer, delete type, answer kind, RV grows
    ("Pod_No_dT_No_Fin_Normal_Normal", "pods", False, False, "Normal", "Pod", True),
    ("Pod_No_dT_No_Fin_Orphan_Normal", "pods", False, False, "Orphan", "Pod", True),
    ("Pod_No_dT_No_Fin_Foreground_Normal", "pods", False, False, "Foreground", "Pod", True),
    ("Pod_No_dT_No_Fin_Shorten_Future_Normal", "pods", False, False, "Shorten Future", "Pod", True),
    ("Pod_No_dT_No_Fin_Shorten_Past_Normal", "pods", False, False, "Shorten Past", "Pod", True),
    ("Pod_dT_set_No_Fin_Normal_Normal", "pods", True, False, "Normal", "Pod", False),
    ("Pod_dT_set_No_Fin_Shorten_Future_Normal", "pods", True, False, "Shorten Future", "Pod", True),
    ("Pod_dT_set_No_Fin_Shorten_Past_Normal", "pods", True, False, "Shorten Past", "Pod", True),
    ("Pod_dT_set_Active_Fin_Normal_Normal", "pods", True, True, "Normal", "Pod", False),
    ("Pod_dT_set_Active_Fin_Orphan_Normal", "pods", True, True, "Orphan", "Pod", False),
    ("Pod_dT_set_Active_Fin_Foreground_Normal", "pods", True, True, "Foreground", "Pod", False),
    ("Pod_dT_set_Active_Fin_Shorten_Future_Normal", "pods", True, True, "Shorten Future", "Pod", True),
    ("Pod_dT_set_Active_Fin_Shorten_Past_Normal", "pods", True, True, "Shorten Past", "Pod", True),
    ("SVC_No_dT_No_Fin_Normal_Normal", "services", False, False, "Normal", "Service", True),
    ("SVC_No_dT_No_Fin_Orphan_Normal", "services", False, False, "Orphan", "Service", True),
    ("SVC_No_dT_No_Fin_Foreground_Normal", "services", False, False, "Foreground", "Service", True),
    ("SVC_dT_set_Active_Fin_Normal_Normal", "services", True, True, "Normal", "Service", False),
    ("SVC_dT_set_Active_Fin_Orphan_Normal", "services", True, True, "Orphan", "Service", True),
    ("SVC_dT_set_Active_Fin_Foreground_Normal", "services", True, True, "Foreground", "Service", True),
    ("EP_No_dT_No_Fin_Normal_Normal", "endpoints", False, False, "Normal", "Status", True),
    ("EP_No_dT_No_Fin_Orphan_Normal", "endpoints", False, False, "Orphan", "Endpoints", True),
    ("EP_No_dT_No_Fin_Foreground_Normal", "endpoints", False, False, "Foreground", "Endpoints", True),
    ("EP_dT_set_Active_Fin_Normal_Normal", "endpoints", True, True, "Normal", "Endpoints", False),
    ("EP_dT_set_Active_Fin_Orphan_Normal", "endpoints", True, True, "Orphan", "Endpoints", True),
    ("EP_dT_set_Active_Fin_Foreground_Normal", "endpoints", True, True, "Foreground", "Endpoints", True),
]


@pytest.fixture(scope="module")
def matrix_ns(apiserver: ApiServer) -> str:
    return new_namespace(apiserver, "matrix-test")


@pytest.mark.parametrize(
    ("name", "resource", "initial_dt", "initial_fin", "delete_type", "kind", "rv_grows"),
    MATRIX,
    ids=[m[0] for m in MATRIX],
)
def test_deletion_response_matrix(
    apiserver: ApiServer,
    matrix_ns: str,
    name: str,
    resource: str,
    initial_dt: bool,
    initial_fin: bool,
    delete_type: str,
    kind: str,
    rv_grows: bool,
) -> None:
    """TestDeletionResponseMatrix: what a DELETE answers (the object or a Status), and whether
    the resourceVersion it carries is the one before the call or a newer one."""
    obj_name = ("obj-" + name).lower().replace("_", "-")
    path = f"/api/v1/namespaces/{matrix_ns}/{resource}"
    meta: Obj = {"name": obj_name}
    if initial_fin:
        meta["finalizers"] = ["kubernetes.io/finalizer"]
    body: Obj = {"metadata": meta}
    if resource == "pods":
        body["spec"] = {"nodeName": "node1", "containers": [{"name": "c", "image": "nginx"}]}
    elif resource == "services":
        body["spec"] = {"ports": [{"port": 80}]}
    ok(apiserver.call("POST", path, body))
    if initial_dt:
        opts = {"gracePeriodSeconds": 30} if resource == "pods" else {}
        ok(apiserver.call("DELETE", f"{path}/{obj_name}", opts))
    pre_rv = int(ok(apiserver.call("GET", f"{path}/{obj_name}"))["metadata"]["resourceVersion"])
    options = {
        "Normal": {},
        "Orphan": {"propagationPolicy": "Orphan"},
        "Foreground": {"propagationPolicy": "Foreground"},
        "Shorten Future": {"gracePeriodSeconds": 15},
        "Shorten Past": {"gracePeriodSeconds": 0},
    }[delete_type]
    st, answer, _ = apiserver.call("DELETE", f"{path}/{obj_name}", options)
    assert st == 200, answer
    assert answer["kind"] == kind, answer
    rv = int(answer["metadata"]["resourceVersion"])
    if rv_grows:
        assert rv > pre_rv
    else:
        assert rv == pre_rv
    # leave nothing held by the finalizer behind
    if initial_fin:
        apiserver.call("PATCH", f"{path}/{obj_name}", {"metadata": {"finalizers": None}}, content_type=MERGE)


# -- apiserver/cve_2021_29923_test.go: TestCanaryCVE_2021_29923 ------------------------------------

CVE_NS = "test-cve-2021-29923"
CVE_OBJECTS: list[tuple[str, Obj]] = [
    (
        "/api/v1/nodes",
        {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": "node-cve-1"},
            "spec": {"unschedulable": True},
            "status": {"addresses": [{"address": "172.18.0.012", "type": "InternalIP"}]},
        },
    ),
    (
        f"/api/v1/namespaces/{CVE_NS}/pods",
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": "pod1", "namespace": CVE_NS},
            "spec": {
                "containers": [
                    {
                        "image": "image",
                        "name": "container7",
                        "resources": {"limits": {"cpu": "1M"}, "requests": {"cpu": "1M"}},
                    }
                ]
            },
            "status": {"podIP": "10.244.0.05", "podIPs": [{"ip": "10.244.0.05"}]},
        },
    ),
    (
        # upstream's test server range is 10.0.0.0/24 (10.0.0.011); ours is 10.96.0.0/12
        f"/api/v1/namespaces/{CVE_NS}/services",
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "service1", "namespace": CVE_NS},
            "spec": {
                "clusterIP": "10.96.0.011",
                "externalIP": "192.168.0.012",
                "externalName": "service1name",
                "ports": [{"port": 10000, "targetPort": 11000}],
                "selector": {"test": "data"},
            },
        },
    ),
    (
        f"/api/v1/namespaces/{CVE_NS}/endpoints",
        {
            "kind": "Endpoints",
            "apiVersion": "v1",
            "metadata": {"name": "ep1name", "namespace": CVE_NS},
            "subsets": [
                {"addresses": [{"hostname": "bar-001", "ip": "192.168.3.011"}], "ports": [{"port": 8000}]}
            ],
        },
    ),
    (
        f"/apis/discovery.k8s.io/v1/namespaces/{CVE_NS}/endpointslices",
        {
            "kind": "EndpointSlice",
            "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": "slicev1", "namespace": CVE_NS},
            "addressType": "IPv4",
            "protocol": "TCP",
            "ports": [],
            "endpoints": [
                {
                    "addresses": ["10.244.0.011"],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": "control-plane",
                }
            ],
        },
    ),
]


@pytest.fixture(scope="module")
def cve_ns(apiserver: ApiServer) -> str:
    ok(apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": CVE_NS}}))
    return CVE_NS


@pytest.mark.parametrize(("path", "obj"), CVE_OBJECTS, ids=[o["kind"] for _, o in CVE_OBJECTS])
def test_canary_cve_2021_29923(apiserver: ApiServer, cve_ns: str, path: str, obj: Obj) -> None:
    """TestCanaryCVE_2021_29923: IPv4 addresses with leading zeros are still accepted where
    objects carry IPs (StrictIPCIDRValidation off)."""
    ok(apiserver.call("POST", path, obj))


def test_leading_zero_cluster_ip_is_allocated_as_its_decimal_value(apiserver: ApiServer, cve_ns: str) -> None:
    """The allocator reads 10.96.0.021 as ParseIPSloppy does (10.96.0.21, decimal): that address
    is then taken, and the Service is warned about the spelling (GetWarningsForService)."""
    path = f"/api/v1/namespaces/{cve_ns}/services"
    svc = {"metadata": {"name": "zeros"}, "spec": {"clusterIP": "10.96.0.021", "ports": [{"port": 80}]}}
    st, body, headers = apiserver.call("POST", path, svc)
    assert st == 201, body
    assert body["spec"]["clusterIPs"] == ["10.96.0.021"]
    assert warnings_of(headers) == [
        'spec.clusterIPs[0]: non-standard IP address "10.96.0.021" will be considered invalid in a future '
        'Kubernetes release: use "10.96.0.21"'
    ]
    clash = {"metadata": {"name": "clash"}, "spec": {"clusterIP": "10.96.0.21", "ports": [{"port": 80}]}}
    st, body, _ = apiserver.call("POST", path, clash)
    assert st == 422, body
    assert body["message"] == (
        'Service "clash" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.21"}: '
        "failed to allocate IP 10.96.0.21: provided IP is already allocated"
    )


def warnings_of(headers: dict[str, str]) -> list[str]:
    out = []
    for line in headers.get("Warning", "").split("\n"):
        if line:
            assert line.startswith('299 - "') and line.endswith('"'), line
            out.append(json.loads(line[len("299 - ") :]))
    return out


# -- Service warnings (pkg/registry/core/service/strategy.go WarningsOnCreate/WarningsOnUpdate) ---


def test_service_warnings_on_create_update_and_patch(apiserver: ApiServer) -> None:
    """svcStrategy.WarningsOnCreate / WarningsOnUpdate = GetWarningsForService: kubectl prints
    them; the status subresource has none."""
    ns = new_namespace(apiserver, "svc-warnings")
    path = f"/api/v1/namespaces/{ns}/services"
    ignored = 'spec.externalName is ignored when spec.type is not "ExternalName"'
    svc = {"metadata": {"name": "w"}, "spec": {"externalName": "x.example.com", "ports": [{"port": 80}]}}
    st, created, headers = apiserver.call("POST", path, svc)
    assert st == 201 and warnings_of(headers) == [ignored], (created, headers)
    st, updated, headers = apiserver.call("PUT", f"{path}/w", created)
    assert st == 200 and warnings_of(headers) == [ignored], (updated, headers)
    st, body, headers = apiserver.call(
        "PATCH", f"{path}/w", {"metadata": {"labels": {"a": "b"}}}, content_type=MERGE
    )
    assert st == 200 and warnings_of(headers) == [ignored], (body, headers)
    st, body, headers = apiserver.call(
        "PATCH", f"{path}/w/status", {"metadata": {"labels": {"a": "c"}}}, content_type=MERGE
    )
    assert st == 200 and warnings_of(headers) == [], (body, headers)
    applied = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": svc["spec"]}
    st, body, headers = apiserver.call("PATCH", f"{path}/a?fieldManager=t", applied, content_type=APPLY)
    assert st == 201 and warnings_of(headers) == [ignored], (body, headers)


# -- service/service_test.go: Test_TransitionsForTrafficDistribution -------------------------------


@pytest.fixture
async def slice_controller(apiserver: ApiServer) -> AsyncIterator[Any]:
    """The EndpointSlice controller, in this process, over HTTP list+watch (as upstream's test
    runs endpointslice.NewController against its test server)."""
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.endpointslice.controller import EndpointSliceController

    client = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    factory = InformerFactory(client)
    controller = EndpointSliceController.from_factory(client, factory)
    try:
        async with running(factory, controller):
            yield controller
    finally:
        await client.close()


async def test_transitions_for_traffic_distribution(apiserver: ApiServer, slice_controller: Any) -> None:
    """Test_TransitionsForTrafficDistribution: hints follow `trafficDistribution` (PreferClose and
    PreferSameZone: zone hints; PreferSameNode: zone and node hints), the topology-mode=Auto
    annotation wins over the field (one endpoint: no hints), and a Node without a zone label
    gets node hints only."""
    ns = new_namespace(apiserver, "test-service-traffic-distribution")
    node_name = f"fake-node-{ns}"
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node_name, "labels": {"topology.kubernetes.io/zone": "fake-zone-1"}},
    }
    ok(apiserver.call("POST", "/api/v1/nodes", node))
    pod = {
        "metadata": {"name": "test-pod", "labels": {"foo": "bar"}},
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": "fake-name",
                    "image": "fake-image",
                    "ports": [{"name": "port-443", "containerPort": 443}],
                }
            ],
        },
    }
    created_pod = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", pod))
    created_pod["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "podIP": "10.0.0.1",
        "podIPs": [{"ip": "10.0.0.1"}],
    }
    ok(apiserver.call("PUT", f"/api/v1/namespaces/{ns}/pods/test-pod/status", created_pod))
    path = f"/api/v1/namespaces/{ns}/services/test-service"
    svc: Obj = {
        "metadata": {"name": "test-service"},
        "spec": {
            "selector": {"foo": "bar"},
            "ports": [{"name": "port-443", "port": 443, "protocol": "TCP", "targetPort": 443}],
        },
    }
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))

    async def assert_hints(zone_hints: bool, node_hints: bool) -> None:
        async def check() -> bool:
            st, slices, _ = apiserver.call(
                "GET",
                f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"
                "?labelSelector=kubernetes.io/service-name%3Dtest-service",
            )
            if st != 200 or not slices["items"]:
                return False
            eps = [ep for s in slices["items"] for ep in s.get("endpoints") or []]
            if not eps:
                return False
            for ep in eps:
                hints = ep.get("hints")
                if hints is None:
                    if zone_hints or node_hints:
                        return False
                    continue
                zones = hints.get("forZones") or []
                nodes = hints.get("forNodes") or []
                if zone_hints != (zones == [{"name": ep.get("zone")}]) or (not zone_hints and zones):
                    return False
                if node_hints != (nodes == [{"name": ep.get("nodeName")}]) or (not node_hints and nodes):
                    return False
            return True

        await eventually(check, timeout=WAIT)

    async def update(mutate: Any) -> None:
        current = ok(apiserver.call("GET", path))
        mutate(current)
        ok(apiserver.call("PUT", path, current))

    try:
        await assert_hints(False, False)
        await update(lambda s: s["spec"].update(trafficDistribution="PreferClose"))
        await assert_hints(True, False)
        await update(
            lambda s: s["metadata"].update(annotations={"service.kubernetes.io/topology-mode": "Auto"})
        )
        await assert_hints(False, False)
        await update(lambda s: s["metadata"].update(annotations={}))
        await assert_hints(True, False)
        await update(lambda s: s["spec"].pop("trafficDistribution"))
        await assert_hints(False, False)
        await update(lambda s: s["spec"].update(trafficDistribution="PreferSameZone"))
        await assert_hints(True, False)
        await update(lambda s: s["spec"].update(trafficDistribution="PreferSameNode"))
        await assert_hints(True, True)
        await update(lambda s: s["spec"].pop("trafficDistribution"))
        await assert_hints(False, False)

        current_node = ok(apiserver.call("GET", f"/api/v1/nodes/{node_name}"))
        current_node["metadata"]["labels"].pop("topology.kubernetes.io/zone")
        ok(apiserver.call("PUT", f"/api/v1/nodes/{node_name}", current_node))
        await update(lambda s: s["spec"].update(trafficDistribution="PreferSameNode"))
        await assert_hints(False, True)
    finally:
        apiserver.call("DELETE", f"/api/v1/nodes/{node_name}")


# -- Pod volume defaults (pkg/apis/core/v1/defaults.go, as TestApplyEmptyMarkerStructDifferentFromNil
# relies on: a volume whose source was dropped is an emptyDir again) ------------------------------


def test_pod_volume_defaults(apiserver: ApiServer) -> None:
    """SetDefaults_Volume and the volume sources' defaults: no source is an emptyDir; secret,
    configMap, downwardAPI and projected volumes get defaultMode 0644 (420); a hostPath type ""
    (HostPathUnset); a downward fieldRef apiVersion v1; a token projection 3600 seconds."""
    ns = new_namespace(apiserver, "volume-defaults")
    pod = {
        "metadata": {"name": "volumes"},
        "spec": {
            "containers": [{"name": "c", "image": "nginx"}],
            "volumes": [
                {"name": "none"},
                {"name": "secret", "secret": {"secretName": "s"}},
                {"name": "config", "configMap": {"name": "cm", "defaultMode": 256}},
                {"name": "host", "hostPath": {"path": "/tmp"}},
                {
                    "name": "down",
                    "downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]},
                },
                {
                    "name": "proj",
                    "projected": {
                        "sources": [
                            {"serviceAccountToken": {"path": "token"}},
                            {
                                "downwardAPI": {
                                    "items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                                }
                            },
                        ]
                    },
                },
            ],
        },
    }
    created = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", pod))
    assert created["spec"]["volumes"] == [
        {"name": "none", "emptyDir": {}},
        {"name": "secret", "secret": {"secretName": "s", "defaultMode": 420}},
        {"name": "config", "configMap": {"name": "cm", "defaultMode": 256}},
        {"name": "host", "hostPath": {"path": "/tmp", "type": ""}},
        {
            "name": "down",
            "downwardAPI": {
                "items": [{"path": "n", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}],
                "defaultMode": 420,
            },
        },
        {
            "name": "proj",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3600, "path": "token"}},
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "ns",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                }
                            ]
                        }
                    },
                ],
                "defaultMode": 420,
            },
        },
    ]
    # served in Go's field order, as kube-apiserver encodes the structs
    got = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/pods/volumes"))["spec"]["volumes"]
    assert list(got[1]["secret"]) == ["secretName", "defaultMode"]
    assert list(got[4]["downwardAPI"]) == ["items", "defaultMode"]
    assert list(got[4]["downwardAPI"]["items"][0]["fieldRef"]) == ["apiVersion", "fieldPath"]
    assert list(got[5]["projected"]["sources"][0]["serviceAccountToken"]) == ["expirationSeconds", "path"]


# -- servicecidr/allocator_test.go: TestServiceAlloc ------------------------------------------------


def test_service_alloc(apiserver_factory: Any) -> None:
    """TestServiceAlloc: in 192.168.0.0/29 the `kubernetes` Service and five more take every
    address; the next create fails with "range is full" until one Service is deleted."""
    srv = apiserver_factory("--service-cluster-ip-range", "192.168.0.0/29", backend="memory")

    async def kubernetes_service() -> bool:
        st, _, _ = srv.call("GET", "/api/v1/namespaces/default/services/kubernetes")
        return st == 200

    asyncio.run(eventually(kubernetes_service, timeout=WAIT))

    def svc(i: int) -> Obj:
        return {"metadata": {"name": f"svc-{i}"}, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}

    path = "/api/v1/namespaces/default/services"
    for i in range(5):
        ok(srv.call("POST", path, svc(i)))
    st, body, _ = srv.call("POST", path, svc(8))
    # upstream's allocator answers an InternalError (500) here
    assert st == 500 and body["reason"] == "InternalError", (st, body)
    assert body["message"] == "Internal error occurred: failed to allocate a serviceIP: range is full"
    ok(srv.call("DELETE", f"{path}/svc-1"))
    ok(srv.call("POST", path, svc(8)))


# -- endpoints/endpoints_test.go ------------------------------------------------------------------


@pytest.fixture
async def endpoints_controller(apiserver: ApiServer) -> AsyncIterator[Any]:
    """The Endpoints controller with one worker, in this process, over HTTP list+watch (as
    upstream's tests run endpoint.NewEndpointController ... Run(ctx, 1))."""
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.endpoints.controller import EndpointsController

    client = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    factory = InformerFactory(client)
    controller = EndpointsController.from_factory(client, factory, workers=1)
    try:
        async with running(factory, controller):
            yield controller
    finally:
        await client.close()


def endpoints_service(name: str, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name, "labels": {"foo": "bar"}},
        "spec": {
            "selector": {"foo": "bar"},
            "ports": [
                {"name": "port-1338", "port": 1338, "protocol": "TCP", "targetPort": 1338},
                {"name": "port-1337", "port": 1337, "protocol": "TCP", "targetPort": 1337},
            ],
            **spec,
        },
    }


def running_pod(srv: ApiServer, ns: str, status: Obj, **spec: Any) -> None:
    pod = {
        "metadata": {"name": "test-pod", "labels": {"foo": "bar"}},
        "spec": {"nodeName": "fakenode", "containers": [{"name": "fake-name", "image": "fakeimage"}], **spec},
    }
    created = ok(srv.call("POST", f"/api/v1/namespaces/{ns}/pods", pod))
    created["status"] = status
    ok(srv.call("PUT", f"/api/v1/namespaces/{ns}/pods/test-pod/status", created))


async def endpoints_exist(srv: ApiServer, ns: str, name: str) -> Obj | None:
    st, body, _ = srv.call("GET", f"/api/v1/namespaces/{ns}/endpoints/{name}")
    return body if st == 200 else None


async def test_endpoint_updates(apiserver: ApiServer, endpoints_controller: Any) -> None:
    """TestEndpointUpdates: a Service change that changes nothing of its Endpoints (an
    annotation) does not rewrite them: their resourceVersion stays."""
    ns = new_namespace(apiserver, "test-endpoints-updates")
    running_pod(apiserver, ns, {"phase": "Running", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "2001:db8::"}]})
    svc1 = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", endpoints_service("foo1")))
    first = await eventually(lambda: endpoints_exist(apiserver, ns, "foo1"), timeout=WAIT)
    svc1["metadata"]["annotations"] = {"foo": "bar"}
    ok(apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/foo1", svc1))
    # a second Service, processed after the first one's update (one worker, in order)
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", endpoints_service("foo2")))
    await eventually(lambda: endpoints_exist(apiserver, ns, "foo2"), timeout=WAIT)
    again = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/endpoints/foo1"))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_external_name_to_cluster_ip_transition(
    apiserver: ApiServer, endpoints_controller: Any
) -> None:
    """TestExternalNameToClusterIPTransition: an ExternalName Service gets no Endpoints; once it
    is a ClusterIP Service it gets them, without the headless label."""
    ns = new_namespace(apiserver, "test-endpoints-updates")
    running_pod(apiserver, ns, {"phase": "Running", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "2001:db8::"}]})
    path = f"/api/v1/namespaces/{ns}/services"
    svc1 = ok(
        apiserver.call(
            "POST", path, endpoints_service("foo1", type="ExternalName", externalName="google.com")
        )
    )
    # a later Service's Endpoints show the controller has seen the ExternalName one
    ok(apiserver.call("POST", path, endpoints_service("sentinel")))
    await eventually(lambda: endpoints_exist(apiserver, ns, "sentinel"), timeout=WAIT)
    assert await endpoints_exist(apiserver, ns, "foo1") is None
    svc1["spec"]["type"] = "ClusterIP"
    ok(apiserver.call("PUT", f"{path}/foo1", svc1))
    ep = await eventually(lambda: endpoints_exist(apiserver, ns, "foo1"), timeout=WAIT)
    assert "service.kubernetes.io/headless" not in (ep["metadata"].get("labels") or {})


async def test_endpoint_with_terminating_pod(apiserver: ApiServer, endpoints_controller: Any) -> None:
    """TestEndpointWithTerminatingPod: a Pod being deleted (deletionTimestamp set, still there)
    leaves the Endpoints."""
    ns = new_namespace(apiserver, "test-endpoints-terminating")
    status = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "podIP": "10.0.0.1",
        "podIPs": [{"ip": "10.0.0.1"}],
    }
    running_pod(
        apiserver,
        ns,
        status,
        nodeName="fake-node",
        containers=[
            {"name": "fakename", "image": "fakeimage", "ports": [{"name": "port-443", "containerPort": 443}]}
        ],
    )
    svc = {
        "metadata": {"name": "test-service", "labels": {"foo": "bar"}},
        "spec": {
            "selector": {"foo": "bar"},
            "ports": [{"name": "port-443", "port": 443, "protocol": "TCP", "targetPort": 443}],
        },
    }
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))

    async def addresses() -> int:
        ep = await endpoints_exist(apiserver, ns, "test-service")
        return sum(len(s.get("addresses") or []) for s in (ep or {}).get("subsets") or [])

    await eventually(addresses, timeout=WAIT)
    ok(apiserver.call("DELETE", f"/api/v1/namespaces/{ns}/pods/test-pod"))

    async def gone_but_terminating() -> bool:
        pod = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/pods/test-pod"))
        assert pod["metadata"].get("deletionTimestamp"), pod
        return await addresses() == 0

    await eventually(gone_but_terminating, timeout=WAIT)


# -- namespace/ns_conditions_test.go: TestNamespaceLabels -------------------------------------------


def test_namespace_labels(apiserver: ApiServer) -> None:
    """TestNamespaceLabels: every Namespace, a generated name's too, carries
    kubernetes.io/metadata.name with its name."""
    ns = ok(
        apiserver.call(
            "POST", "/api/v1/namespaces", {"metadata": {"generateName": "test-namespace-labels-generated"}}
        )
    )
    assert ns["metadata"]["name"].startswith("test-namespace-labels-generated")
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == ns["metadata"]["name"]
    listed = ok(apiserver.call("GET", "/api/v1/namespaces"))
    assert listed["items"]
    for item in listed["items"]:
        assert item["metadata"]["labels"]["kubernetes.io/metadata.name"] == item["metadata"]["name"]


# -- events/events_test.go: TestEventCompatibility --------------------------------------------------


def test_event_compatibility(apiserver: ApiServer) -> None:
    """TestEventCompatibility: an Event recorded through core/v1 (record.EventRecorder) and one
    through events.k8s.io/v1 (events.EventRecorder) are both served by both APIs."""
    ns = new_namespace(apiserver, "event-compat")
    regarding = {"kind": "Pod", "namespace": ns, "name": "foo", "uid": "bar", "apiVersion": "v1"}
    old_style = {
        "metadata": {"name": "foo.17a1b2c3d4e5f601", "namespace": ns},
        "involvedObject": regarding,
        "reason": "started",
        "message": "note",
        "source": {"component": "integration"},
        "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:00:00Z",
        "count": 1,
        "type": "Normal",
        "reportingComponent": "integration",
        "reportingInstance": "",
    }
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/events", old_style))
    new_style = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "foo.17a1b2c3d4e5f602", "namespace": ns},
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "reportingController": "k8s.io/kube-scheduler",
        "reportingInstance": "k8s.io/kube-scheduler-host",
        "action": "killed",
        "reason": "memoryPressure",
        "regarding": regarding,
        "related": {**regarding, "fieldPath": ".spec.containers[0]"},
        "note": "memory pressure",
        "type": "Normal",
    }
    ok(apiserver.call("POST", f"/apis/events.k8s.io/v1/namespaces/{ns}/events", new_style))
    v1_events = ok(apiserver.call("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events"))["items"]
    core_events = ok(apiserver.call("GET", f"/api/v1/namespaces/{ns}/events"))["items"]
    assert len(v1_events) == len(core_events) == 2
    by_name = {e["metadata"]["name"]: e for e in v1_events}
    assert by_name["foo.17a1b2c3d4e5f601"]["note"] == "note"
    assert by_name["foo.17a1b2c3d4e5f601"]["regarding"] == regarding
    core = {e["metadata"]["name"]: e for e in core_events}
    assert core["foo.17a1b2c3d4e5f602"]["message"] == "memory pressure"
    assert core["foo.17a1b2c3d4e5f602"]["related"]["fieldPath"] == ".spec.containers[0]"
    assert core["foo.17a1b2c3d4e5f602"]["action"] == "killed"


# -- endpointslice/endpointslice_test.go: label semantics --------------------------------------------


@pytest.fixture
async def both_controllers(apiserver: ApiServer) -> AsyncIterator[None]:
    """The Endpoints and EndpointSlice controllers, in this process (one worker each)."""
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.endpoints.controller import EndpointsController
    from kubesvc.controllers.endpointslice.controller import EndpointSliceController

    client = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    factory = InformerFactory(client)
    slices = EndpointSliceController.from_factory(client, factory, workers=1)
    endpoints = EndpointsController.from_factory(client, factory, workers=1)
    try:
        async with running(factory, slices, endpoints):
            yield None
    finally:
        await client.close()


async def labels_settle(srv: ApiServer, ns: str, name: str, want: list[str], not_want: list[str]) -> None:
    """validateLabelsOnEndpointAndEndpointSlice."""

    def fits(labels: dict[str, str]) -> bool:
        return all(k in labels for k in want) and not any(k in labels for k in not_want)

    async def endpoints_fit() -> bool:
        ep = await endpoints_exist(srv, ns, name)
        return ep is not None and fits(ep["metadata"].get("labels") or {})

    async def slice_fits() -> bool:
        st, body, _ = srv.call(
            "GET",
            f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?labelSelector=kubernetes.io/service-name%3D{name}",
        )
        return (
            st == 200 and len(body["items"]) == 1 and fits(body["items"][0]["metadata"].get("labels") or {})
        )

    await eventually(endpoints_fit, timeout=WAIT)
    await eventually(slice_fits, timeout=WAIT)


HEADLESS = "service.kubernetes.io/headless"


async def test_endpoints_controllers_label_semantics(apiserver: ApiServer, both_controllers: None) -> None:
    """TestEndpointsControllersLabelSemantics: a headless Service's Endpoints and EndpointSlice
    carry the headless label and the Service's labels, and follow when those change."""
    ns = new_namespace(apiserver, "test-endpoints-semantics")
    svc = {
        "metadata": {"name": "test-123", "labels": {"app": "test"}},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "None",
            "selector": {"app": "test"},
            "ports": [{"port": 80, "targetPort": 8080}],
        },
    }
    created = ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))
    await labels_settle(apiserver, ns, "test-123", [HEADLESS, "app"], [])
    created["metadata"]["labels"] = {"new-label": "new-label-value"}
    ok(apiserver.call("PUT", f"/api/v1/namespaces/{ns}/services/test-123", created))
    await labels_settle(apiserver, ns, "test-123", [HEADLESS, "new-label"], ["app"])


@pytest.mark.parametrize(
    ("labels", "headless"),
    [(None, False), (None, True), ({HEADLESS: ""}, False), ({HEADLESS: ""}, True)],
    ids=[
        "non-headless service with no labels",
        "headless service with no labels",
        "non-headless service with headless label",
        "headless service with headless label",
    ],
)
async def test_endpoints_headless_label(
    apiserver: ApiServer, both_controllers: None, labels: dict[str, str] | None, headless: bool
) -> None:
    """TestEndpointsHeadlessLabel: the headless label is the controllers' to set, from the
    Service's clusterIP alone (a Service's own headless label is not copied)."""
    ns = new_namespace(apiserver, "test-headless-label")
    svc: Obj = {
        "metadata": {"name": "test-svc", **({"labels": labels} if labels is not None else {})},
        "spec": {"selector": {"app": "test"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    if headless:
        svc["spec"]["clusterIP"] = "None"
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc))
    if headless:
        await labels_settle(apiserver, ns, "test-svc", [HEADLESS], [])
    else:
        await labels_settle(apiserver, ns, "test-svc", [], [HEADLESS])


# -- endpointslice/endpointslicemirroring_test.go ----------------------------------------------------


@contextlib.asynccontextmanager
async def manager_controllers(srv: ApiServer, *names: str) -> AsyncIterator[None]:
    """The named controllers of the controller-manager, in this process, sharing informers."""
    from kubesvc.client.informer import InformerFactory
    from kubesvc.client.rest import RestClient
    from kubesvc.controllers.manager import ManagerOptions, build_controllers

    client = RestClient.from_kubeconfig(str(srv.kubeconfig))
    factory = InformerFactory(client)
    built = build_controllers(client, factory, ManagerOptions(kubeconfig=str(srv.kubeconfig)), names)
    try:
        async with running(factory, *built):
            yield None
    finally:
        await client.close()


MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
MIRROR_CASES: list[tuple[str, Obj | None, Obj | None, int, str]] = [
    (
        "Service with selector",
        {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}], "selector": {"foo": "bar"}}},
        None,
        1,
        "endpointslice-controller.k8s.io",
    ),
    (
        "Service without selector",
        {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}]}},
        {
            "metadata": {"name": "test-123"},
            "subsets": [{"ports": [{"port": 80}], "addresses": [{"ip": "10.0.0.1"}]}],
        },
        1,
        "endpointslicemirroring-controller.k8s.io",
    ),
    (
        "Service without selector Endpoint multiple subsets and same address",
        {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}]}},
        {
            "metadata": {"name": "test-123"},
            "subsets": [
                {"ports": [{"name": "port1", "port": 80}], "addresses": [{"ip": "10.0.0.1"}]},
                {"ports": [{"name": "port2", "port": 90}], "addresses": [{"ip": "10.0.0.1"}]},
            ],
        },
        1,
        "endpointslicemirroring-controller.k8s.io",
    ),
    (
        "Service without selector Endpoint multiple subsets",
        {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}]}},
        {
            "metadata": {"name": "test-123"},
            "subsets": [
                {"ports": [{"name": "port1", "port": 80}], "addresses": [{"ip": "10.0.0.1"}]},
                {"ports": [{"name": "port2", "port": 90}], "addresses": [{"ip": "10.0.0.2"}]},
            ],
        },
        2,
        "endpointslicemirroring-controller.k8s.io",
    ),
    (
        "Service without Endpoints",
        {"metadata": {"name": "test-123"}, "spec": {"ports": [{"port": 80}], "selector": {"foo": "bar"}}},
        None,
        1,
        "endpointslice-controller.k8s.io",
    ),
    (
        "Endpoints without Service",
        None,
        {
            "metadata": {"name": "test-123"},
            "subsets": [{"ports": [{"port": 80}], "addresses": [{"ip": "10.0.0.1"}]}],
        },
        0,
        "",
    ),
]


def slices_for(srv: ApiServer, ns: str, name: str) -> list[Obj]:
    body = ok(
        srv.call(
            "GET",
            f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?labelSelector=kubernetes.io/service-name%3D{name}",
        )
    )
    return list(body["items"])


async def test_endpoint_slice_mirroring(apiserver: ApiServer) -> None:
    """TestEndpointSliceMirroring: who makes a Service's EndpointSlices (the EndpointSlice
    controller for a selector, the mirroring controller for a selectorless Service's own
    Endpoints, one slice per distinct subset), and none for Endpoints without a Service."""
    async with manager_controllers(
        apiserver, "endpoints-controller", "endpointslice-controller", "endpointslice-mirroring-controller"
    ):
        for name, service, endpoints, want, managed_by in MIRROR_CASES:
            ns = new_namespace(apiserver, "test-endpointslice-mirroring")
            if service is not None:
                ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", service))
            if endpoints is not None:
                ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/endpoints", endpoints))

            async def settled(
                ns: str = ns, want: int = want, managed_by: str = managed_by, name: str = name
            ) -> bool:
                items = slices_for(apiserver, ns, "test-123")
                if want == 0:
                    return not items
                if len(items) < want:
                    return False
                assert len(items) == want, (name, items)
                assert items[0]["metadata"]["labels"][MANAGED_BY] == managed_by, (name, items)
                return True

            await eventually(settled, timeout=WAIT)


@pytest.mark.parametrize(
    "tweak",
    ["Update labels", "Update annotations", "Update annotations but triggertime", "Update addresses"],
)
async def test_endpoint_slice_mirroring_updates(apiserver: ApiServer, tweak: str) -> None:
    """TestEndpointSliceMirroringUpdates: an update of a selectorless Service's Endpoints is
    mirrored: addresses, labels, and annotations but the last-change-trigger-time."""
    ns = new_namespace(apiserver, "test-endpointslice-mirroring")
    async with manager_controllers(apiserver, "endpointslice-mirroring-controller"):
        ok(apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", MIRROR_CASES[1][1]))
        ep = ok(
            apiserver.call(
                "POST",
                f"/api/v1/namespaces/{ns}/endpoints",
                {
                    "metadata": {"name": "test-123", "labels": {}, "annotations": {}},
                    "subsets": [{"ports": [{"port": 80}], "addresses": [{"ip": "10.0.0.1"}]}],
                },
            )
        )
        ep["metadata"].setdefault("labels", {})
        ep["metadata"].setdefault("annotations", {})
        if tweak == "Update labels":
            ep["metadata"]["labels"]["foo"] = "bar"
        elif tweak == "Update annotations":
            ep["metadata"]["annotations"]["foo2"] = "bar2"
        elif tweak == "Update annotations but triggertime":
            ep["metadata"]["annotations"]["foo2"] = "bar2"
            ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = "date"
        else:
            ep["subsets"][0]["addresses"] = [{"ip": "1.2.3.4"}, {"ip": "1.2.3.6"}]
        ep = ok(apiserver.call("PUT", f"/api/v1/namespaces/{ns}/endpoints/test-123", ep))
        want_addresses = sorted(a["ip"] for a in ep["subsets"][0]["addresses"])
        want_labels = ep["metadata"].get("labels") or {}
        want_annotations = {
            k: v
            for k, v in (ep["metadata"].get("annotations") or {}).items()
            if k != "endpoints.kubernetes.io/last-change-trigger-time"
        }

        async def mirrored() -> bool:
            items = slices_for(apiserver, ns, "test-123")
            if not items:
                return False
            for s in items:
                assert s["metadata"]["labels"][MANAGED_BY] == "endpointslicemirroring-controller.k8s.io"
                got = sorted(a for e in s.get("endpoints") or [] for a in e["addresses"])
                labels = s["metadata"].get("labels") or {}
                if got != want_addresses or not want_labels.items() <= labels.items():
                    return False
                if (s["metadata"].get("annotations") or {}) != want_annotations:
                    return False
            return True

        await eventually(mirrored, timeout=WAIT)


# -- garbagecollector/garbage_collector_test.go (Services as owners: the RCs of upstream's cases) ----


def owned_pod(name: str, owners: list[Obj]) -> Obj:
    return {
        "metadata": {"name": name, "ownerReferences": owners},
        "spec": {"containers": [{"name": "fake-name", "image": "fakeimage"}]},
    }


def owner_ref(svc: Obj, **extra: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": svc["metadata"]["name"],
        "uid": svc["metadata"]["uid"],
        **extra,
    }


def exists(srv: ApiServer, path: str) -> bool:
    st, body, _ = srv.call("GET", path)
    assert st in (200, 404), (st, body)
    return st == 200


async def test_garbage_collector_cases(apiserver: ApiServer) -> None:
    """One garbage collector for four of upstream's cases, each in its own namespace:
    TestCreateWithNonExistentOwner (an object whose only owner does not exist is collected);
    TestCascadingDeletion (deleting an owner collects what it alone owns, keeps what another
    live owner holds and the independent objects); TestOrphaning (an owner deleted with
    propagationPolicy=Orphan goes once its dependents no longer reference it; they stay); and a
    foreground deletion, which waits for a dependent with blockOwnerDeletion (here held by a
    finalizer of its own) and finishes once that dependent is gone."""
    port = {"spec": {"ports": [{"port": 80}]}}
    ns1 = new_namespace(apiserver, "gc-non-existing-owner")
    ghost = {"apiVersion": "v1", "kind": "Service", "name": "to-be-deleted-rc", "uid": "doesn't matter"}
    ok(apiserver.call("POST", f"/api/v1/namespaces/{ns1}/pods", owned_pod("test.pod.1", [ghost])))

    ns2 = new_namespace(apiserver, "gc-cascading-deletion")
    svcs2, pods2 = f"/api/v1/namespaces/{ns2}/services", f"/api/v1/namespaces/{ns2}/pods"
    to_delete = ok(apiserver.call("POST", svcs2, {"metadata": {"name": "to-be-deleted-rc"}, **port}))
    remaining = ok(apiserver.call("POST", svcs2, {"metadata": {"name": "remaining-rc"}, **port}))
    ok(apiserver.call("POST", pods2, owned_pod("test.pod.1", [owner_ref(to_delete)])))
    ok(apiserver.call("POST", pods2, owned_pod("test.pod.2", [owner_ref(to_delete), owner_ref(remaining)])))
    ok(apiserver.call("POST", pods2, owned_pod("test.pod.3", [])))

    ns3 = new_namespace(apiserver, "gc-orphaning")
    svcs3, pods3 = f"/api/v1/namespaces/{ns3}/services", f"/api/v1/namespaces/{ns3}/pods"
    orphaner = ok(apiserver.call("POST", svcs3, {"metadata": {"name": "to-be-deleted-rc"}, **port}))
    for i in range(3):
        ok(apiserver.call("POST", pods3, owned_pod(f"pod-{i}", [owner_ref(orphaner)])))

    ns4 = new_namespace(apiserver, "gc-foreground")
    svcs4, pods4 = f"/api/v1/namespaces/{ns4}/services", f"/api/v1/namespaces/{ns4}/pods"
    blocked = ok(apiserver.call("POST", svcs4, {"metadata": {"name": "to-be-deleted-rc"}, **port}))
    held = owned_pod("test.pod.1", [owner_ref(blocked, blockOwnerDeletion=True)])
    held["metadata"]["finalizers"] = ["x/hold"]
    ok(apiserver.call("POST", pods4, held))

    def gone(path: str) -> Any:
        return lambda: asyncio.sleep(0, not exists(apiserver, path))

    async with manager_controllers(apiserver, "garbage-collector-controller"):
        ok(apiserver.call("DELETE", f"{svcs2}/to-be-deleted-rc"))
        ok(apiserver.call("DELETE", f"{svcs3}/to-be-deleted-rc", {"propagationPolicy": "Orphan"}))
        deleting = ok(
            apiserver.call("DELETE", f"{svcs4}/to-be-deleted-rc", {"propagationPolicy": "Foreground"})
        )
        assert deleting["metadata"]["finalizers"] == ["foregroundDeletion"]

        await eventually(gone(f"/api/v1/namespaces/{ns1}/pods/test.pod.1"), timeout=WAIT)

        await eventually(gone(f"{pods2}/test.pod.1"), timeout=WAIT)
        assert exists(apiserver, f"{pods2}/test.pod.2")
        assert exists(apiserver, f"{pods2}/test.pod.3")

        await eventually(gone(f"{svcs3}/to-be-deleted-rc"), timeout=WAIT)
        for i in range(3):
            pod = ok(apiserver.call("GET", f"{pods3}/pod-{i}"))
            assert not pod["metadata"].get("ownerReferences"), pod["metadata"]

        async def dependent_deleting() -> bool:
            p = ok(apiserver.call("GET", f"{pods4}/test.pod.1"))
            return bool(p["metadata"].get("deletionTimestamp"))

        await eventually(dependent_deleting, timeout=WAIT)
        assert exists(apiserver, f"{svcs4}/to-be-deleted-rc")  # the dependent still blocks it
        ok(
            apiserver.call(
                "PATCH", f"{pods4}/test.pod.1", {"metadata": {"finalizers": None}}, content_type=MERGE
            )
        )
        await eventually(gone(f"{svcs4}/to-be-deleted-rc"), timeout=WAIT)


# -- apiserver/apply/apply_test.go: unsetting and transferring fields (a Service in place of
# upstream's Deployment: sessionAffinity is its optional defaulted field, publishNotReadyAddresses
# an optional non-defaulted one, ports its associative list) ---------------------------------------


def applied_service(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": "nginx"}},
        "spec": {"selector": {"app": "nginx"}, "ports": [{"name": "http", "port": 80}], **spec},
    }


def test_apply_unset_exclusively_owned_fields(apiserver: ApiServer) -> None:
    """TestApplyUnsetExclusivelyOwnedFields: fields the applier alone owned and no longer
    applies are removed (a defaulted one comes back as its default)."""
    ns = new_namespace(apiserver, "apply-unset")
    path = f"/api/v1/namespaces/{ns}/services/svc-exclusive-unset?fieldManager=apply_test"
    first = applied_service("svc-exclusive-unset", sessionAffinity="ClientIP", publishNotReadyAddresses=True)
    ok(apiserver.call("PATCH", path, first, content_type=APPLY))
    patched = ok(apiserver.call("PATCH", path, applied_service("svc-exclusive-unset"), content_type=APPLY))
    assert patched["spec"]["sessionAffinity"] == "None"
    assert "sessionAffinityConfig" not in patched["spec"]
    assert not patched["spec"].get("publishNotReadyAddresses")


def test_apply_unset_shared_fields(apiserver: ApiServer) -> None:
    """TestApplyUnsetSharedFields: a field another applier also owns stays when one of them
    stops applying it."""
    ns = new_namespace(apiserver, "apply-unset-shared")
    base = f"/api/v1/namespaces/{ns}/services/svc-shared-unset?fieldManager="
    first = applied_service("svc-shared-unset", sessionAffinity="ClientIP", publishNotReadyAddresses=True)
    for manager in ("shared_owner_1", "shared_owner_2"):
        ok(apiserver.call("PATCH", base + manager, first, content_type=APPLY))
    patched = ok(
        apiserver.call(
            "PATCH", base + "shared_owner_1", applied_service("svc-shared-unset"), content_type=APPLY
        )
    )
    assert patched["spec"]["sessionAffinity"] == "ClientIP"
    assert patched["spec"]["publishNotReadyAddresses"] is True


def test_apply_can_transfer_field_ownership_to_controller(apiserver: ApiServer) -> None:
    """TestApplyCanTransferFieldOwnershipToController: a field a controller changed by update
    is the controller's; the applier omitting it leaves the controller's value."""
    ns = new_namespace(apiserver, "apply-transfer")
    path = f"/api/v1/namespaces/{ns}/services/svc-transfer"
    first = applied_service(
        "svc-transfer",
        sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 100}},
    )
    applied = ok(apiserver.call("PATCH", path + "?fieldManager=test_applier", first, content_type=APPLY))
    applied["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] = 200
    ok(apiserver.call("PUT", path + "?fieldManager=test_updater", applied))
    second = applied_service("svc-transfer", sessionAffinity="ClientIP")
    patched = ok(apiserver.call("PATCH", path + "?fieldManager=test_applier", second, content_type=APPLY))
    assert patched["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 200


def test_apply_can_remove_map_items_contributed_to_by_controllers(apiserver: ApiServer) -> None:
    """TestApplyCanRemoveMapItemsContributedToByControllers: an item of an associative list the
    applier stops applying is removed even though a controller changed a field inside it."""
    ns = new_namespace(apiserver, "apply-remove-item")
    path = f"/api/v1/namespaces/{ns}/services/svc-map-item-removal"
    applied = ok(
        apiserver.call(
            "PATCH",
            path + "?fieldManager=test_applier",
            applied_service("svc-map-item-removal"),
            content_type=APPLY,
        )
    )
    applied["spec"]["ports"][0]["targetPort"] = 8080
    ok(apiserver.call("PUT", path + "?fieldManager=test_updater", applied))
    other = applied_service("svc-map-item-removal")
    other["spec"]["ports"] = [{"name": "other-port", "port": 81}]
    patched = ok(apiserver.call("PATCH", path + "?fieldManager=test_applier", other, content_type=APPLY))
    assert [p["name"] for p in patched["spec"]["ports"]] == ["other-port"]
