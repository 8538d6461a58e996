"""Upstream's EndpointSlice reconciler and controller cases, run against our pure plan.

Carried over (facts: inputs and expected outcomes, in our words) from
staging/src/k8s.io/endpointslice/reconciler_test.go, utils.go/utils_test.go, trafficdist and
pkg/controller/endpointslice/endpointslice_controller_test.go (TestSyncService*).  Each case
names the upstream test it comes from.  Where upstream counts client actions we count the
writes of the plan (creates + updates + deletes), applied to a small fake API.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from kubesvc.controllers.endpointslice.reconciler import (
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    SlicePlan,
    plan_slices,
)

Obj = dict[str, Any]
NS = "test"
CONTROLLER = "endpointslice-controller.k8s.io"
ZONE = "topology.kubernetes.io/zone"
TRIGGER = "2024-05-06T07:08:09.5Z"


# -- builders shaped like upstream's test helpers --------------------------------------------


def svc_and_ports(name: str = "foo", namespace: str = NS) -> tuple[Obj, list[Obj]]:
    """newServiceAndEndpointMeta: one TCP port named after the Service targeting 80, IPv4, no ClusterIP."""
    svc: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "uid": f"{namespace}-{name}"},
        "spec": {
            "ports": [{"name": name, "protocol": "TCP", "port": 80, "targetPort": 80}],
            "selector": {"foo": "bar"},
            "ipFamilies": ["IPv4"],
        },
    }
    return svc, [{"name": name, "protocol": "TCP", "port": 80}]


def new_pod(n: int, ready: bool = True, terminating: bool = False, namespace: str = NS) -> Obj:
    """newPod: pod<n>, labelled foo=bar, on node-1, one IPv4 address, Ready as asked."""
    ip = f"10.{n // 65536}.{(n // 256) % 256}.{n % 256 + 1}" if n % 256 < 255 else f"10.200.{n // 256}.1"
    meta: Obj = {
        "name": f"pod{n}",
        "namespace": namespace,
        "labels": {"foo": "bar"},
        "resourceVersion": str(n),
    }
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "container-1"}], "nodeName": "node-1"},
        "status": {
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def new_node(name: str, zone: str | None = None, **labels: str) -> Obj:
    lab = dict(labels)
    if zone:
        lab[ZONE] = zone
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": lab}}


def owner_ref(svc: Mapping[str, Any]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": svc["metadata"]["name"],
        "uid": svc["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def endpoint_of(pod: Mapping[str, Any], zone: str | None = None) -> Obj:
    """podToEndpoint for an IPv4 Service whose Node is known (zone as given)."""
    ready = pod["status"]["conditions"][0]["status"] == "True"
    term = "deletionTimestamp" in pod["metadata"]
    ep: Obj = {
        "addresses": [pod["status"]["podIPs"][0]["ip"]],
        "conditions": {"ready": ready and not term, "serving": ready, "terminating": term},
        "targetRef": {
            "kind": "Pod",
            "namespace": pod["metadata"]["namespace"],
            "name": pod["metadata"]["name"],
        },
        "nodeName": pod["spec"]["nodeName"],
    }
    if zone:
        ep["zone"] = zone
    return ep


def existing_slice(
    n: int,
    svc: Mapping[str, Any],
    ports: list[Obj],
    endpoints: Iterable[Obj] = (),
    address_type: str = "IPv4",
) -> Obj:
    """newEmptyEndpointSlice (filled with the given endpoints), as stored: named, owned, labelled."""
    name = svc["metadata"]["name"]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{name}-{n}",
            "namespace": svc["metadata"]["namespace"],
            "uid": f"slice-uid-{n}",
            "resourceVersion": str(100 + n),
            "generation": 1,
            "labels": {LABEL_SERVICE_NAME: name, LABEL_MANAGED_BY: CONTROLLER, LABEL_HEADLESS: ""},
            "ownerReferences": [owner_ref(svc)],
        },
        "addressType": address_type,
        "ports": copy.deepcopy(ports),
        "endpoints": [copy.deepcopy(e) for e in endpoints],
    }


class FakeApi:
    """Applies plans the way the API server would and counts the writes by verb."""

    def __init__(self, slices: Iterable[Obj] = ()) -> None:
        self.slices: dict[str, Obj] = {s["metadata"]["name"]: copy.deepcopy(s) for s in slices}
        self._n = itertools.count(1000)
        self.creates = self.updates = self.deletes = 0

    def apply(self, plan: SlicePlan) -> None:
        for s in plan.to_create:
            new = copy.deepcopy(s)
            n = next(self._n)
            new["metadata"]["name"] = f"{s['metadata']['generateName']}{n}"
            new["metadata"]["uid"] = f"created-{n}"
            new["metadata"]["resourceVersion"] = str(n)
            self.slices[new["metadata"]["name"]] = new
        for s in plan.to_update:
            assert s["metadata"]["name"] in self.slices, "update of a slice that does not exist"
            self.slices[s["metadata"]["name"]] = copy.deepcopy(s)
        for s in plan.to_delete:
            del self.slices[s["metadata"]["name"]]
        self.creates += len(plan.to_create)
        self.updates += len(plan.to_update)
        self.deletes += len(plan.to_delete)

    def list(self) -> list[Obj]:
        return [copy.deepcopy(s) for s in self.slices.values()]

    def lengths(self) -> list[int]:
        return sorted(len(s["endpoints"]) for s in self.slices.values())


NODE1 = {"node-1": new_node("node-1")}


def reconcile(
    api: FakeApi,
    svc: Obj,
    pods: list[Obj],
    nodes: Mapping[str, Obj] | None = None,
    existing: list[Obj] | None = None,
    max_per_slice: int = 100,
) -> SlicePlan:
    current = api.list() if existing is None else existing
    p = plan_slices(
        svc,
        pods,
        NODE1 if nodes is None else nodes,
        current,
        max_endpoints_per_slice=max_per_slice,
        trigger_time=TRIGGER,
    )
    api.apply(p)
    return p


def pods_range(count: int, not_ready_every: int = 3) -> list[Obj]:
    return [new_pod(i, ready=(i % not_ready_every != 0)) for i in range(count)]


# -- TestReconcileEmpty / TestReconcile1EndpointSlice / TestPlaceHolderSliceCompare --------------


def test_no_pods_makes_one_placeholder_slice() -> None:
    svc, _ = svc_and_ports()
    api = FakeApi()
    reconcile(api, svc, [])
    assert (api.creates, api.updates, api.deletes) == (1, 0, 0)
    (s,) = api.list()
    assert s["metadata"]["name"].startswith("foo")
    assert s["metadata"]["labels"][LABEL_SERVICE_NAME] == "foo"
    assert s["ports"] == [] and s["endpoints"] == []


@pytest.mark.parametrize(
    ("name", "existing_kind", "want_writes"),
    [
        ("no existing placeholder", None, (1, 0, 0)),
        ("existing placeholder that's the same", "same", (0, 0, 0)),
        ("existing placeholder that's different (labels, ports)", "different", (0, 1, 0)),
    ],
)
def test_placeholder_kept_replaced_or_created(
    name: str, existing_kind: str | None, want_writes: tuple[int, int, int]
) -> None:
    svc, ports = svc_and_ports()
    existing: list[Obj] = []
    if existing_kind == "same":
        s = existing_slice(1, svc, [])
        existing = [s]
    elif existing_kind == "different":
        s = existing_slice(1, svc, ports)
        s["metadata"]["labels"] = {"bar": "baz"}
        existing = [s]
    api = FakeApi(existing)
    reconcile(api, svc, [])
    assert (api.creates, api.updates, api.deletes) == want_writes
    (s,) = api.list()
    assert s["ports"] == [] and s["endpoints"] == []
    assert s["metadata"]["labels"][LABEL_SERVICE_NAME] == "foo"


def test_placeholder_compare_ignores_name_and_creation_time() -> None:
    svc, _ = svc_and_ports()
    s = existing_slice(7, svc, [])
    s["metadata"]["name"] = "some-other-name"
    s["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    api = FakeApi([s])
    reconcile(api, svc, [])
    assert (api.creates, api.updates, api.deletes) == (0, 0, 0)


def test_placeholder_compare_ignores_owners() -> None:
    """placeholderSliceCompare looks at namespace and labels only: an empty placeholder left by an
    older Service of the same name is kept (the garbage collector removes it with its owner)."""
    svc, _ = svc_and_ports()
    s = existing_slice(1, svc, [])
    s["metadata"]["ownerReferences"][0]["uid"] = "older-service"
    api = FakeApi([s])
    reconcile(api, svc, [])
    assert (api.creates, api.updates, api.deletes) == (0, 0, 0)


def test_placeholder_of_other_address_type_is_replaced() -> None:
    svc, _ = svc_and_ports()
    s = existing_slice(1, svc, [], address_type="IPv6")
    api = FakeApi([s])
    reconcile(api, svc, [])
    assert [x["addressType"] for x in api.list()] == ["IPv4"]


# -- TestReconcile1Pod ----------------------------------------------------------------------


def _one_pod() -> tuple[Obj, Obj]:
    p = new_pod(1)
    p["status"]["podIPs"] = [{"ip": "1.2.3.4"}, {"ip": "1234::5678:0000:0000:9abc:def0"}]
    p["status"]["podIP"] = "1.2.3.4"
    p["spec"]["hostname"] = "example-hostname"
    node = new_node("node-1", "us-central1-a", **{"topology.kubernetes.io/region": "us-central1"})
    return p, node


def _ep(addr: str) -> Obj:
    return {
        "addresses": [addr],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "targetRef": {"kind": "Pod", "namespace": NS, "name": "pod1"},
        "nodeName": "node-1",
        "zone": "us-central1-a",
    }


V4, V6 = "1.2.3.4", "1234::5678:0:0:9abc:def0"
BASE_LABELS = {LABEL_MANAGED_BY: CONTROLLER, LABEL_SERVICE_NAME: "foo"}


def _svc_variant(variant: str) -> Obj:
    svc, _ = svc_and_ports()
    spec = svc["spec"]
    if variant == "no-family-service":
        spec["clusterIP"] = "10.0.0.10"
        del spec["ipFamilies"]
    elif variant == "ipv4-clusterip":
        spec["clusterIP"] = "1.1.1.1"
    elif variant == "ipv4-labels":
        svc["metadata"]["labels"] = {"foo": "bar"}
    elif variant == "ipv4-bad-labels":
        svc["metadata"]["labels"] = {
            LABEL_SERVICE_NAME: "bad",
            LABEL_MANAGED_BY: "actor",
            LABEL_HEADLESS: "invalid",
        }
    elif variant == "ipv6":
        spec["ipFamilies"] = ["IPv6"]
    elif variant == "ipv6-clusterip":
        spec["clusterIP"] = "1234::5678:0000:0000:9abc:def1"
        spec["ipFamilies"] = ["IPv6"]
    elif variant == "dualstack-service":
        spec["ipFamilies"] = ["IPv4", "IPv6"]
        spec["clusterIP"] = "10.0.0.10"
        spec["clusterIPs"] = ["10.0.0.10", "2000::1"]
    return svc


@pytest.mark.parametrize(
    ("variant", "want_by_type", "want_labels"),
    [
        ("no-family-service", {"IPv4": V4}, BASE_LABELS),
        ("ipv4", {"IPv4": V4}, {**BASE_LABELS, LABEL_HEADLESS: ""}),
        ("ipv4-clusterip", {"IPv4": V4}, BASE_LABELS),
        ("ipv4-labels", {"IPv4": V4}, {**BASE_LABELS, "foo": "bar", LABEL_HEADLESS: ""}),
        ("ipv4-bad-labels", {"IPv4": V4}, {**BASE_LABELS, LABEL_HEADLESS: ""}),
        ("ipv6", {"IPv6": V6}, {**BASE_LABELS, LABEL_HEADLESS: ""}),
        ("ipv6-clusterip", {"IPv6": V6}, BASE_LABELS),
        ("dualstack-service", {"IPv4": V4, "IPv6": V6}, BASE_LABELS),
    ],
)
def test_one_pod(variant: str, want_by_type: dict[str, str], want_labels: dict[str, str]) -> None:
    p, node = _one_pod()
    svc = _svc_variant(variant)
    api = FakeApi()
    reconcile(api, svc, [p], nodes={"node-1": node})
    assert api.creates == len(want_by_type) and api.updates == api.deletes == 0
    slices = api.list()
    assert {s["addressType"] for s in slices} == set(want_by_type)
    for s in slices:
        assert s["metadata"]["name"].startswith("foo")
        assert s["metadata"]["labels"] == want_labels
        assert s["metadata"]["annotations"][ANNOTATION_TRIGGER_TIME] == TRIGGER
        # the hostname is not set: the Pod's subdomain is not the Service's name
        assert s["endpoints"] == [_ep(want_by_type[s["addressType"]])]


# -- allocation: TestReconcileManyPods ... TestReconcileMaxEndpointsPerSlice ---------------------


def test_publish_not_ready_addresses_makes_every_endpoint_ready() -> None:
    svc, _ = svc_and_ports()
    svc["spec"]["publishNotReadyAddresses"] = True
    api = FakeApi()
    reconcile(api, svc, pods_range(50))
    assert api.creates == 1 and api.lengths() == [50]
    assert all(ep["conditions"]["ready"] for s in api.list() for ep in s["endpoints"])


def test_250_pods_make_three_slices_in_three_creates() -> None:
    svc, _ = svc_and_ports()
    api = FakeApi()
    reconcile(api, svc, pods_range(250))
    assert (api.creates, api.updates, api.deletes) == (3, 0, 0)
    assert api.lengths() == [50, 100, 100]


def _quarter_slices(svc: Obj, ports: list[Obj], pods: list[Obj]) -> list[Obj]:
    s1 = existing_slice(1, svc, ports, [endpoint_of(pods[i]) for i in range(1, len(pods) - 4, 4)])
    s2 = existing_slice(2, svc, ports, [endpoint_of(pods[i]) for i in range(3, len(pods) - 4, 4)])
    return [s1, s2]


def test_some_preexisting_remainder_goes_to_the_slice_it_fills_best() -> None:
    svc, ports = svc_and_ports()
    pods = pods_range(250)
    existing = _quarter_slices(svc, ports, pods)
    assert [len(s["endpoints"]) for s in existing] == [62, 61]
    cache = copy.deepcopy(existing)
    api = FakeApi(existing)
    reconcile(api, svc, pods, existing=existing)
    assert (api.creates, api.updates, api.deletes) == (1, 1, 0)
    assert api.lengths() == [61, 89, 100]
    assert existing == cache  # the cached slices were not changed


def test_some_preexisting_worse_allocation_prefers_creates_over_updates() -> None:
    svc, ports = svc_and_ports()
    pods = pods_range(300)
    existing = _quarter_slices(svc, ports, pods)
    assert [len(s["endpoints"]) for s in existing] == [74, 74]
    api = FakeApi(existing)
    reconcile(api, svc, pods, existing=existing)
    assert (api.creates, api.updates, api.deletes) == (2, 0, 0)
    assert api.lengths() == [52, 74, 74, 100]


def test_target_port_change_updates_every_slice_in_place() -> None:
    svc, _ = svc_and_ports()
    pods = pods_range(250)
    api = FakeApi()
    reconcile(api, svc, pods)
    before = set(api.slices)
    svc["spec"]["ports"][0]["targetPort"] = 81
    reconcile(api, svc, pods)
    assert (api.creates, api.updates, api.deletes) == (3, 3, 0)
    assert set(api.slices) == before
    assert api.lengths() == [50, 100, 100]
    assert all(s["ports"] == [{"name": "foo", "protocol": "TCP", "port": 81}] for s in api.list())


def test_service_label_change_updates_every_slice() -> None:
    svc, _ = svc_and_ports()
    pods = pods_range(250)
    api = FakeApi()
    reconcile(api, svc, pods)
    svc["metadata"]["labels"] = {"foo": "bar"}
    reconcile(api, svc, pods)
    assert (api.creates, api.updates) == (3, 3)
    assert api.lengths() == [50, 100, 100]
    assert all(s["metadata"]["labels"]["foo"] == "bar" for s in api.list())


def test_reserved_service_labels_change_nothing() -> None:
    svc, _ = svc_and_ports()
    pods = pods_range(250)
    api = FakeApi()
    reconcile(api, svc, pods)
    svc["metadata"]["labels"] = {
        LABEL_SERVICE_NAME: "bad",
        LABEL_MANAGED_BY: "actor",
        LABEL_HEADLESS: "invalid",
    }
    p = reconcile(api, svc, pods)
    assert p.is_empty()


def test_recycling_repacks_ten_thin_slices_into_three() -> None:
    svc, ports = svc_and_ports()
    pods = pods_range(300)
    existing = [
        existing_slice(i, svc, ports, [endpoint_of(p) for p in pods[i * 30 : (i + 1) * 30]])
        for i in range(10)
    ]
    api = FakeApi(existing)
    assert reconcile(api, svc, pods).is_empty()  # everything is in place: no repacking
    svc["spec"]["ports"][0]["targetPort"] = 81
    reconcile(api, svc, pods)
    assert (api.creates, api.updates, api.deletes) == (0, 3, 7)
    assert api.lengths() == [100, 100, 100]


def test_update_packing_puts_new_endpoints_in_the_fuller_updated_slice() -> None:
    svc, ports = svc_and_ports()
    pods = [new_pod(i) for i in range(80)] + [new_pod(i) for i in range(100, 120)]
    s1 = existing_slice(1, svc, ports, [endpoint_of(p) for p in pods[:80]])
    s2 = existing_slice(2, svc, ports, [endpoint_of(p) for p in pods[80:]])
    for i, p in enumerate(pods):
        if i % 10 == 0:
            p["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    pods += [new_pod(i) for i in range(200, 215)]
    api = FakeApi([s1, s2])
    reconcile(api, svc, pods)
    assert (api.creates, api.updates, api.deletes) == (0, 2, 0)
    assert api.lengths() == [20, 95]


def test_deprecated_ip_address_type_slices_are_replaced() -> None:
    svc, ports = svc_and_ports()
    pods = [new_pod(i) for i in range(80)] + [new_pod(i) for i in range(100, 150)]
    s1 = existing_slice(1, svc, ports, [endpoint_of(p) for p in pods[:80]], address_type="IP")
    s2 = existing_slice(2, svc, ports, [endpoint_of(p) for p in pods[80:]], address_type="IP")
    api = FakeApi([s1, s2])
    reconcile(api, svc, pods)
    assert api.deletes == 2
    assert "foo-1" not in api.slices and "foo-2" not in api.slices
    assert api.lengths() == [30, 100]
    assert {s["addressType"] for s in api.list()} == {"IPv4"}


@pytest.mark.parametrize(
    ("name", "owned", "want_writes"),
    [("slice owned by Service", True, (0, 0, 0)), ("slice owned by other Service UID", False, (1, 0, 1))],
)
def test_service_recreation(name: str, owned: bool, want_writes: tuple[int, int, int]) -> None:
    svc, ports = svc_and_ports()
    p = new_pod(1)
    s = existing_slice(1, svc, ports, [endpoint_of(p)])
    if not owned:
        s["metadata"]["ownerReferences"][0]["uid"] = "different"
    api = FakeApi([s])
    reconcile(api, svc, [p])
    assert (api.creates, api.updates, api.deletes) == want_writes
    assert len(api.slices) == 1


def test_named_ports_group_pods_by_resolved_number() -> None:
    svc: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "named-port-example", "namespace": NS, "uid": "u1"},
        "spec": {
            "ports": [{"targetPort": "http", "protocol": "TCP"}],
            "selector": {"foo": "bar"},
            "ipFamilies": ["IPv4"],
        },
    }
    pods = []
    for i in range(300):
        p = new_pod(i, ready=(i % 3 != 0))
        p["spec"]["containers"][0]["ports"] = [
            {"name": "http", "containerPort": 8080 + i % 5, "protocol": "TCP"}
        ]
        pods.append(p)
    api = FakeApi()
    reconcile(api, svc, pods)
    assert api.creates == 5
    assert api.lengths() == [60] * 5
    assert sorted(s["ports"][0]["port"] for s in api.list()) == [8080, 8081, 8082, 8083, 8084]
    assert all(
        s["ports"] == [{"name": "", "protocol": "TCP", "port": s["ports"][0]["port"]}] for s in api.list()
    )
    assert {s["addressType"] for s in api.list()} == {"IPv4"}


@pytest.mark.parametrize(
    ("max_per_slice", "want"),
    [(50, [50] * 5), (80, [10, 80, 80, 80]), (150, [100, 150]), (250, [250]), (500, [250])],
)
def test_max_endpoints_per_slice(max_per_slice: int, want: list[int]) -> None:
    svc, _ = svc_and_ports()
    api = FakeApi()
    reconcile(api, svc, pods_range(250), max_per_slice=max_per_slice)
    assert api.lengths() == want
    assert api.creates == len(want)


def test_removing_half_the_pods_updates_the_one_slice() -> None:
    """TestReconcileEndpointSlicesMetrics: 20 then 10 Pods → 1 create, then 1 update."""
    svc, _ = svc_and_ports()
    pods = [new_pod(i) for i in range(20)]
    api = FakeApi()
    reconcile(api, svc, pods)
    reconcile(api, svc, pods[:10])
    assert (api.creates, api.updates, api.deletes) == (1, 1, 0)
    assert api.lengths() == [10]


# -- TestReconcilerFinalizeSvcDeletionTimestamp ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "deleting", "want_create"),
    [
        ("no deletion timestamp: slices are created", False, 1),
        ("deletion timestamp set: no new slices", True, 0),
    ],
)
def test_service_being_deleted_gets_no_new_slices(name: str, deleting: bool, want_create: int) -> None:
    svc, _ = svc_and_ports()
    if deleting:
        svc["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    p = plan_slices(svc, [new_pod(1)], NODE1, [], trigger_time=TRIGGER)
    assert len(p.to_create) == want_create


def test_service_being_deleted_still_updates_and_recycles() -> None:
    """Updates and deletes go through while the Service is being deleted; a slice to create
    is turned into an update of a slice that was to be deleted (recycling)."""
    svc, ports = svc_and_ports()
    svc["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    keep = existing_slice(1, svc, ports, [endpoint_of(new_pod(1))])
    stale = existing_slice(2, svc, [{"name": "old", "protocol": "TCP", "port": 9}], [endpoint_of(new_pod(2))])
    p = plan_slices(svc, [new_pod(1), new_pod(3)], NODE1, [keep, stale], trigger_time=TRIGGER)
    assert p.to_create == []
    assert sorted(s["metadata"]["name"] for s in p.to_update) == ["foo-1"]
    # nothing is recreated for the Service, so the stale slice simply goes
    assert [s["metadata"]["name"] for s in p.to_delete] == ["foo-2"]


# -- TestReconcilerPodMissingNode ---------------------------------------------------------------


def _two_pods_two_nodes() -> tuple[list[Obj], dict[str, Obj]]:
    pods = [new_pod(0), new_pod(1)]
    pods[0]["spec"]["nodeName"] = "node-0"
    pods[1]["spec"]["nodeName"] = "node-1"
    return pods, {"node-0": new_node("node-0"), "node-1": new_node("node-1")}


@pytest.mark.parametrize(
    ("name", "publish", "known_nodes", "with_existing", "want_writes", "want_endpoints", "want_error"),
    [
        ("create and publishNotReady false", False, ["node-0"], False, (1, 0, 0), 1, True),
        ("create and publishNotReady true", True, ["node-0"], False, (1, 0, 0), 2, False),
        ("update and publishNotReady false", False, ["node-0"], True, (0, 1, 0), 1, True),
        ("update and publishNotReady true and all nodes missing", True, [], True, (0, 0, 0), 2, False),
        ("update and publishNotReady true", True, ["node-0"], True, (0, 0, 0), 2, False),
        ("update if publishNotReady false and no nodes are present", False, [], True, (0, 1, 0), 0, True),
    ],
)
def test_pod_on_missing_node(
    name: str,
    publish: bool,
    known_nodes: list[str],
    with_existing: bool,
    want_writes: tuple[int, int, int],
    want_endpoints: int,
    want_error: bool,
) -> None:
    pods, nodes = _two_pods_two_nodes()
    svc, ports = svc_and_ports()
    svc["spec"]["publishNotReadyAddresses"] = publish
    existing = []
    if with_existing:
        existing = [existing_slice(1, svc, ports, [endpoint_of(p) for p in pods])]
        if publish:
            for ep in existing[0]["endpoints"]:
                ep["conditions"]["ready"] = True
    api = FakeApi(existing)
    p = reconcile(api, svc, pods, nodes={n: nodes[n] for n in known_nodes})
    assert (api.creates, api.updates, api.deletes) == want_writes
    assert bool(p.errors) == want_error
    assert len(api.slices) == 1  # the slice is updated, never deleted
    assert sum(len(s["endpoints"]) for s in api.list()) == want_endpoints


def test_missing_node_error_names_pod_service_and_node() -> None:
    pods, nodes = _two_pods_two_nodes()
    svc, _ = svc_and_ports()
    p = plan_slices(svc, pods, {"node-0": nodes["node-0"]}, [])
    assert p.errors == ["skipping Pod pod1 for Service test/foo: Node node-1 Not Found"]


# -- TestReconcile_TrafficDistribution and trafficdist ----------------------------------------


def _zoned_pods() -> tuple[list[Obj], dict[str, Obj]]:
    """node-0 in zone-a {pod0}; node-1 in zone-b {pod1, pod2, pod3}; node-2 in zone-c {pod4, pod5}."""
    nodes = {f"node-{i}": new_node(f"node-{i}", f"zone-{'abc'[i]}") for i in range(3)}
    pods = [new_pod(i) for i in range(6)]
    for p, node in zip(pods, ["node-0", "node-1", "node-1", "node-1", "node-2", "node-2"]):
        p["spec"]["nodeName"] = node
    return pods, nodes


def _hint_counts(slices: list[Obj]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in slices:
        for ep in s["endpoints"]:
            fz = (ep.get("hints") or {}).get("forZones") or []
            key = fz[0]["name"] if len(fz) == 1 else ""
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("name", "traffic_distribution", "topology_annotation", "want"),
    [
        (
            "PreferClose, annotation Disabled",
            "PreferClose",
            "Disabled",
            {"zone-a": 1, "zone-b": 3, "zone-c": 2},
        ),
        ("PreferSameZone", "PreferSameZone", "", {"zone-a": 1, "zone-b": 3, "zone-c": 2}),
        ("no trafficDistribution, no annotation", None, "", {"": 6}),
    ],
)
def test_traffic_distribution_hints(
    name: str, traffic_distribution: str | None, topology_annotation: str, want: dict[str, int]
) -> None:
    pods, nodes = _zoned_pods()
    svc, _ = svc_and_ports()
    if traffic_distribution:
        svc["spec"]["trafficDistribution"] = traffic_distribution
    svc["metadata"]["annotations"] = {"service.kubernetes.io/topology-aware-hints": topology_annotation}
    api = FakeApi()
    reconcile(api, svc, pods, nodes=nodes)
    assert api.creates == 1
    assert _hint_counts(api.list()) == want
    for s in api.list():
        for ep in s["endpoints"]:
            if ep.get("hints"):
                assert ep["hints"]["forZones"] == [{"name": ep["zone"]}]  # never a cross-zone hint


def test_prefer_same_node_adds_node_hints() -> None:
    pods, nodes = _zoned_pods()
    svc, _ = svc_and_ports()
    svc["spec"]["trafficDistribution"] = "PreferSameNode"
    api = FakeApi()
    reconcile(api, svc, pods, nodes=nodes)
    for s in api.list():
        for ep in s["endpoints"]:
            assert ep["hints"] == {"forZones": [{"name": ep["zone"]}], "forNodes": [{"name": ep["nodeName"]}]}


def test_hints_only_on_ready_endpoints_and_none_without_zone() -> None:
    svc, _ = svc_and_ports()
    svc["spec"]["trafficDistribution"] = "PreferClose"
    pods = [new_pod(0), new_pod(1, ready=False), new_pod(2)]
    pods[2]["spec"]["nodeName"] = "node-z"
    nodes = {"node-1": new_node("node-1", "zone-a"), "node-z": new_node("node-z")}
    api = FakeApi()
    reconcile(api, svc, pods, nodes=nodes)
    (s,) = api.list()
    by_name = {ep["targetRef"]["name"]: ep for ep in s["endpoints"]}
    assert by_name["pod0"]["hints"] == {"forZones": [{"name": "zone-a"}]}
    assert "hints" not in by_name["pod1"]  # not ready
    assert "hints" not in by_name["pod2"]  # no zone


@pytest.mark.parametrize(
    ("name", "start", "then", "want_update", "want_hints"),
    [
        ("hints removed when trafficDistribution is unset", "PreferClose", None, True, False),
        ("hints added to unchanged slices when PreferClose is set", None, "PreferClose", True, True),
        ("nothing to do when hints are right", "PreferClose", "PreferClose", False, True),
        (
            "topology annotation Auto wins; Nodes without CPU information: hints removed",
            "PreferClose",
            "auto",
            True,
            False,
        ),
    ],
)
def test_hints_reconciled_on_unchanged_slices(
    name: str, start: str | None, then: str | None, want_update: bool, want_hints: bool
) -> None:
    pods, nodes = _zoned_pods()
    svc, _ = svc_and_ports()
    if start:
        svc["spec"]["trafficDistribution"] = start
    api = FakeApi()
    reconcile(api, svc, pods, nodes=nodes)
    svc["spec"].pop("trafficDistribution", None)
    if then == "auto":
        svc["spec"]["trafficDistribution"] = "PreferClose"
        svc["metadata"]["annotations"] = {"service.kubernetes.io/topology-mode": "Auto"}
    elif then:
        svc["spec"]["trafficDistribution"] = then
    p = reconcile(api, svc, pods, nodes=nodes)
    assert (len(p.to_update) == 1) == want_update
    assert not p.to_create and not p.to_delete
    has = [("hints" in ep) for s in api.list() for ep in s["endpoints"]]
    assert all(h == want_hints for h in has)


# -- TestSyncService (controller cases, through the plan) ---------------------------------------


def _sync_service(family: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "foobar",
            "namespace": "default",
            "uid": "u",
            "creationTimestamp": "2024-01-01T00:00:00Z",
        },
        "spec": {
            "ports": [
                {"name": "tcp-example", "targetPort": 80, "protocol": "TCP"},
                {"name": "udp-example", "targetPort": 161, "protocol": "UDP"},
                {"name": "sctp-example", "targetPort": 3456, "protocol": "SCTP"},
            ],
            "selector": {"foo": "bar"},
            "ipFamilies": [family],
        },
    }


def _sync_pod(name: str, ips: list[str], ready: bool, terminating: bool = False) -> Obj:
    meta: Obj = {"namespace": "default", "name": name, "labels": {"foo": "bar"}}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:01Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "container-1"}], "nodeName": "node-1"},
        "status": {
            "podIP": ips[0],
            "podIPs": [{"ip": ip} for ip in ips],
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True" if ready else "False"},
                {"type": "ContainersReady", "status": "True" if ready else "False"},
            ],
        },
    }


def _want(name: str, addr: str, ready: bool, serving: bool, terminating: bool) -> Obj:
    return {
        "addresses": [addr],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "targetRef": {"kind": "Pod", "namespace": "default", "name": name},
        "nodeName": "node-1",
    }


SYNC_PORTS = [
    {"name": "sctp-example", "protocol": "SCTP", "port": 3456},
    {"name": "tcp-example", "protocol": "TCP", "port": 80},
    {"name": "udp-example", "protocol": "UDP", "port": 161},
]


@pytest.mark.parametrize(
    ("name", "family", "pods", "want"),
    [
        (
            "pods with multiple IPs and Service with ipFamilies=ipv4",
            "IPv4",
            [
                _sync_pod("pod0", ["10.0.0.1"], True),
                _sync_pod("pod1", ["10.0.0.2", "fd08::5678:0000:0000:9abc:def0"], True),
            ],
            [_want("pod0", "10.0.0.1", True, True, False), _want("pod1", "10.0.0.2", True, True, False)],
        ),
        (
            "pods with multiple IPs and Service with ipFamilies=ipv6",
            "IPv6",
            [
                _sync_pod("pod0", ["10.0.0.1"], True),
                _sync_pod("pod1", ["10.0.0.2", "fd08::5678:0000:0000:9abc:def0"], True),
            ],
            [_want("pod1", "fd08::5678:0:0:9abc:def0", True, True, False)],
        ),
        (
            "terminating pods",
            "IPv4",
            [_sync_pod("pod0", ["10.0.0.1"], True), _sync_pod("pod1", ["10.0.0.2"], True, terminating=True)],
            [_want("pod0", "10.0.0.1", True, True, False), _want("pod1", "10.0.0.2", False, True, True)],
        ),
        (
            "not ready terminating pods",
            "IPv4",
            [_sync_pod("pod0", ["10.0.0.1"], True), _sync_pod("pod1", ["10.0.0.2"], False, terminating=True)],
            [_want("pod0", "10.0.0.1", True, True, False), _want("pod1", "10.0.0.2", False, False, True)],
        ),
        (
            "ready and complete pods with same IPs",
            "IPv4",
            [_sync_pod("pod0", ["10.0.0.1"], True), _sync_pod("pod1", ["10.0.0.1"], False)],
            [_want("pod0", "10.0.0.1", True, True, False), _want("pod1", "10.0.0.1", False, False, False)],
        ),
        (
            "two ready pods with same IPs",
            "IPv4",
            [_sync_pod("pod0", ["10.0.0.1"], True), _sync_pod("pod1", ["10.0.0.1"], True)],
            [_want("pod0", "10.0.0.1", True, True, False), _want("pod1", "10.0.0.1", True, True, False)],
        ),
    ],
)
def test_sync_service(name: str, family: str, pods: list[Obj], want: list[Obj]) -> None:
    svc = _sync_service(family)
    p = plan_slices(svc, pods, NODE1, [], trigger_time="2024-01-01T00:00:00Z")
    assert len(p.to_create) == 1 and not p.to_update and not p.to_delete
    (s,) = p.to_create
    assert s["metadata"]["annotations"][ANNOTATION_TRIGGER_TIME] == "2024-01-01T00:00:00Z"
    assert sorted(s["ports"], key=lambda x: x["name"]) == SYNC_PORTS
    key = lambda e: (e["targetRef"]["name"], e["addresses"][0])  # noqa: E731
    assert sorted(s["endpoints"], key=key) == sorted(want, key=key)


def test_sync_service_with_selector_and_no_pods_writes_a_placeholder() -> None:
    svc, _ = svc_and_ports("testing-1", "default")
    p = plan_slices(svc, [], NODE1, [], trigger_time=TRIGGER)
    (s,) = p.to_create
    assert s["metadata"]["generateName"] == "testing-1-"
    assert s["ports"] == [] and s["endpoints"] == []
    assert s["metadata"]["annotations"][ANNOTATION_TRIGGER_TIME] == TRIGGER


def test_sync_service_pod_selection_is_the_callers_and_target_ref_has_no_uid_when_pod_has_none() -> None:
    svc, _ = svc_and_ports("testing-1", "default")
    p = plan_slices(svc, [new_pod(1, namespace="default")], NODE1, [])
    (ep,) = p.to_create[0]["endpoints"]
    assert ep["targetRef"] == {"kind": "Pod", "namespace": "default", "name": "pod1"}


def test_pending_deletion_service_without_slices_makes_no_writes() -> None:
    """TestSyncServicePendingDeletion."""
    svc, _ = svc_and_ports("testing-1", "default")
    svc["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert plan_slices(svc, [], NODE1, []).is_empty()


def test_label_selection_unowned_slice_is_deleted_and_owned_kept_as_placeholder() -> None:
    """TestSyncServiceEndpointSliceLabelSelection: of the slices the controller passes in (service
    name + our managed-by), two are owned placeholders-to-be: one is updated to the placeholder,
    the other deleted."""
    svc, _ = svc_and_ports("testing-1", "default")
    svc["spec"]["ports"] = [{"targetPort": 80, "protocol": "TCP", "port": 80, "name": ""}]
    a = existing_slice(1, svc, [])
    b = existing_slice(2, svc, [])
    for s in (a, b):
        s["metadata"]["labels"] = {LABEL_SERVICE_NAME: "testing-1", LABEL_MANAGED_BY: CONTROLLER}
    api = FakeApi([a, b])
    reconcile(api, svc, [])
    assert (api.creates, api.updates, api.deletes) == (0, 1, 1)
    (s,) = api.list()
    assert s["metadata"]["labels"] == {
        LABEL_SERVICE_NAME: "testing-1",
        LABEL_MANAGED_BY: CONTROLLER,
        LABEL_HEADLESS: "",
    }


# -- utils: podToEndpoint details ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ip", "family", "want"),
    [
        ("IPv6 re-stringified", "2001:0db8:0000:0000:0000:0000:0000:0001", "IPv6", ["2001:db8::1"]),
        ("IPv4 with leading zeros parsed as decimal", "010.000.000.001", "IPv4", ["10.0.0.1"]),
        ("IPv4-mapped IPv6 counts as IPv4", "::ffff:10.1.2.3", "IPv4", ["10.1.2.3"]),
        ("IPv4-mapped IPv6 not in an IPv6 slice", "::ffff:10.1.2.3", "IPv6", []),
    ],
)
def test_pod_addresses_are_parsed_and_restringified(name: str, ip: str, family: str, want: list[str]) -> None:
    svc, _ = svc_and_ports()
    svc["spec"]["ipFamilies"] = [family]
    pod = new_pod(1)
    pod["status"]["podIPs"] = [{"ip": ip}]
    pod["status"]["podIP"] = ip
    p = plan_slices(svc, [pod], NODE1, [])
    (s,) = p.to_create
    assert [a for ep in s["endpoints"] for a in ep["addresses"]] == want


@pytest.mark.parametrize(
    ("name", "hostname", "subdomain", "want"),
    [
        ("hostname and subdomain matching the Service", "pod-a", "foo", "pod-a"),
        ("subdomain of another Service", "pod-a", "bar", None),
        ("no hostname", "", "foo", None),
    ],
)
def test_hostname_set_only_when_subdomain_is_the_service(
    name: str, hostname: str, subdomain: str, want: str | None
) -> None:
    svc, _ = svc_and_ports()
    pod = new_pod(1)
    if hostname:
        pod["spec"]["hostname"] = hostname
    pod["spec"]["subdomain"] = subdomain
    (ep,) = plan_slices(svc, [pod], NODE1, []).to_create[0]["endpoints"]
    assert ep.get("hostname") == want


def test_sidecar_named_port_resolves_and_plain_init_container_does_not() -> None:
    svc, _ = svc_and_ports()
    svc["spec"]["ports"] = [{"name": "web", "protocol": "TCP", "port": 80, "targetPort": "http"}]
    with_sidecar = new_pod(1)
    with_sidecar["spec"]["initContainers"] = [
        {
            "name": "proxy",
            "restartPolicy": "Always",
            "ports": [{"name": "http", "containerPort": 9000, "protocol": "TCP"}],
        }
    ]
    plain_init = new_pod(2)
    plain_init["spec"]["initContainers"] = [
        {"name": "setup", "ports": [{"name": "http", "containerPort": 9001, "protocol": "TCP"}]}
    ]
    p = plan_slices(svc, [with_sidecar, plain_init], NODE1, [])
    ports = sorted(tuple(p2["port"] for p2 in s["ports"]) for s in p.to_create)
    assert ports == [(), (9000,)]


def test_headless_service_without_ports_gets_portless_slice() -> None:
    svc, _ = svc_and_ports()
    svc["spec"]["clusterIP"] = "None"
    svc["spec"]["ports"] = []
    (s,) = plan_slices(svc, [new_pod(1)], NODE1, []).to_create
    assert s["ports"] == [] and len(s["endpoints"]) == 1
    assert s["metadata"]["labels"][LABEL_HEADLESS] == ""


def test_slice_name_prefix_drops_the_dash_for_a_253_char_service_name() -> None:
    svc, _ = svc_and_ports("a" * 253)
    (s,) = plan_slices(svc, [], NODE1, []).to_create
    assert s["metadata"]["generateName"] == "a" * 253
