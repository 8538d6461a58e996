"""Upstream's Endpoints controller cases (pkg/controller/endpoint/endpoints_controller_test.go)
and trigger-time tracker cases (k8s.io/endpointslice/util/trigger_time_tracker_test.go), run
against our pure `plan_endpoints` / `build_subsets` / `truncate_subsets` and `TriggerTimeTracker`.

Facts carried over in our words; each test names the upstream case.  Upstream's fake Pods have
no nodeName (it writes `nodeName: ""`, which the API would reject); ours are scheduled on
node-1 unless the case is about the existing object, so addresses carry `nodeName: node-1`.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesvc.controllers.endpoints.reconciler import (
    ANNOTATION_OVER_CAPACITY,
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    LABEL_MANAGED_BY,
    MAX_CAPACITY,
    build_subsets,
    plan_endpoints,
    truncate_subsets,
)
from kubesvc.controllers.endpointslice.triggertime import TriggerTimeTracker, format_rfc3339_nano

Obj = dict[str, Any]


def make_test_pod(
    n: int,
    namespace: str = "other",
    n_ports: int = 1,
    ready: bool = True,
    families: tuple[str, ...] = ("IPv4",),
    node: str | None = None,
) -> Obj:
    """testPod: pod<n> labelled foo=bar, named container ports port<j> → 8080+j, IPs 1.2.3.<4+n>
    / 2000::<4+n>."""
    ips = [f"1.2.3.{4 + n}" if f == "IPv4" else f"2000::{4 + n}" for f in families]
    spec: Obj = {
        "containers": [
            {"name": "c", "ports": [{"name": f"port{j}", "containerPort": 8080 + j} for j in range(n_ports)]}
        ]
    }
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "name": f"pod{n}",
            "labels": {"foo": "bar"},
            "resourceVersion": str(n),
        },
        "spec": spec,
        "status": {
            "podIP": ips[0],
            "podIPs": [{"ip": ip} for ip in ips],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pods(namespace: str, ready: int, not_ready: int = 0, n_ports: int = 1) -> list[Obj]:
    return [make_test_pod(i, namespace, n_ports, ready=i < ready) for i in range(ready + not_ready)]


def service(
    namespace: str = "other",
    ports: list[Obj] | None = None,
    labels: Obj | None = None,
    cluster_ip: str | None = None,
    **spec: Any,
) -> Obj:
    meta: Obj = {"name": "foo", "namespace": namespace}
    if labels is not None:
        meta["labels"] = labels
    s: Obj = {
        "selector": {"foo": "bar"},
        "ports": ports if ports is not None else [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
    }
    if cluster_ip is not None:
        s["clusterIP"] = cluster_ip
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": s}


def current(namespace: str = "other", subsets: list[Obj] | None = None, **meta: Any) -> Obj:
    m: Obj = {"name": "foo", "namespace": namespace, "resourceVersion": "1", **meta}
    out: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": m}
    if subsets is not None:
        out["subsets"] = subsets
    return out


def addr(ip: str, pod: str, namespace: str = "other", **extra: Any) -> Obj:
    return {"ip": ip, "targetRef": {"kind": "Pod", "namespace": namespace, "name": pod}, **extra}


#: upstream (1.33+) marks the Endpoints it writes
MB = {LABEL_MANAGED_BY: "endpoint-controller"}
OLD_SUBSETS = [{"addresses": [{"ip": "6.7.8.9"}], "ports": [{"port": 1000, "protocol": "TCP"}]}]


# -- no write ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "existing"),
    [
        ("TestSyncEndpointsExistingNilSubsets", current("default", labels=MB)),
        ("TestSyncEndpointsExistingEmptySubsets", current("default", [], labels=MB)),
        ("TestSyncEndpointsHeadlessServiceLabel", current("default", [], labels={**MB, LABEL_HEADLESS: ""})),
    ],
)
def test_no_pods_and_empty_endpoints_write_nothing(name: str, existing: Obj) -> None:
    svc = service("default", ports=[{"port": 80, "protocol": "TCP", "targetPort": 80}])
    assert plan_endpoints(svc, [], existing).action is None


def test_pod_resource_version_change_only_writes_nothing() -> None:
    """TestSyncEndpointsWithPodResourceVersionUpdateOnly."""
    p0, p1 = make_test_pod(0, "default"), make_test_pod(1, "default", ready=False)
    existing = current(
        "default",
        [
            {
                "addresses": [
                    {
                        "ip": "1.2.3.4",
                        "targetRef": {
                            "kind": "Pod",
                            "name": "pod0",
                            "namespace": "default",
                            "resourceVersion": "1",
                        },
                    }
                ],
                "notReadyAddresses": [
                    {
                        "ip": "1.2.3.5",
                        "targetRef": {
                            "kind": "Pod",
                            "name": "pod1",
                            "namespace": "default",
                            "resourceVersion": "2",
                        },
                    }
                ],
                "ports": [{"port": 8080, "protocol": "TCP"}],
            }
        ],
        labels=MB,
    )
    p0["metadata"]["resourceVersion"], p1["metadata"]["resourceVersion"] = "3", "4"
    assert plan_endpoints(service("default"), [p0, p1], existing).action is None


def test_preexisting_identical_writes_nothing() -> None:
    existing = current(
        "default",
        [{"addresses": [addr("1.2.3.4", "pod0", "default")], "ports": [{"port": 8080, "protocol": "TCP"}]}],
        labels=MB,
    )
    assert plan_endpoints(service("default"), pods("default", 1), existing).action is None


def test_new_service_without_pods_creates_empty_endpoints() -> None:
    """TestSyncEndpointsNewNoSubsets."""
    p = plan_endpoints(service("default"), [], None)
    assert p.action == "create"
    assert p.endpoints is not None and "subsets" not in p.endpoints


# -- protocols, readiness, labels ------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_protocol_is_carried_to_the_port(protocol: str) -> None:
    """TestSyncEndpointsProtocolTCP / UDP / SCTP."""
    svc = service(ports=[{"port": 80, "targetPort": 8080, "protocol": protocol}])
    p = plan_endpoints(svc, pods("other", 1), current("other", copy.deepcopy(OLD_SUBSETS)))
    assert p.action == "update" and p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, LABEL_HEADLESS: ""}
    assert p.endpoints["metadata"]["resourceVersion"] == "1"
    assert p.endpoints["subsets"] == [
        {"addresses": [addr("1.2.3.4", "pod0")], "ports": [{"port": 8080, "protocol": protocol}]}
    ]


@pytest.mark.parametrize(
    ("name", "ready", "not_ready", "want"),
    [
        ("all ready", 1, 0, {"addresses": [addr("1.2.3.4", "pod0")]}),
        ("all not ready", 0, 1, {"notReadyAddresses": [addr("1.2.3.4", "pod0")]}),
        (
            "mixed",
            1,
            1,
            {"addresses": [addr("1.2.3.4", "pod0")], "notReadyAddresses": [addr("1.2.3.5", "pod1")]},
        ),
    ],
)
def test_ready_and_not_ready_addresses(name: str, ready: int, not_ready: int, want: Obj) -> None:
    """TestSyncEndpointsItemsEmptySelectorSelectsAll{,NotReady,Mixed}."""
    p = plan_endpoints(service(), pods("other", ready, not_ready), current("other", []))
    assert p.endpoints is not None
    assert p.endpoints["subsets"] == [{**want, "ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_preexisting_other_addresses_are_replaced() -> None:
    """TestSyncEndpointsItemsPreexisting."""
    p = plan_endpoints(service("bar"), pods("bar", 1), current("bar", copy.deepcopy(OLD_SUBSETS)))
    assert p.action == "update" and p.endpoints is not None
    assert p.endpoints["subsets"] == [
        {"addresses": [addr("1.2.3.4", "pod0", "bar")], "ports": [{"port": 8080, "protocol": "TCP"}]}
    ]


TWO_PORTS = [
    {"name": "port0", "port": 80, "protocol": "TCP", "targetPort": 8080},
    {"name": "port1", "port": 88, "protocol": "TCP", "targetPort": 8088},
]
THREE_ADDRS = [addr("1.2.3.4", "pod0"), addr("1.2.3.5", "pod1"), addr("1.2.3.6", "pod2")]


@pytest.mark.parametrize(
    ("name", "svc_labels", "want_labels"),
    [
        ("TestSyncEndpointsItems", None, {**MB, LABEL_HEADLESS: ""}),
        ("TestSyncEndpointsItemsWithLabels", {"foo": "bar"}, {**MB, "foo": "bar", LABEL_HEADLESS: ""}),
    ],
)
def test_new_endpoints_for_three_pods_two_ports(name: str, svc_labels: Obj | None, want_labels: Obj) -> None:
    selected = pods("other", 3, n_ports=2)  # Pods of namespace "blah" are never selected
    p = plan_endpoints(service(ports=TWO_PORTS, labels=svc_labels), selected, None)
    assert p.action == "create" and p.endpoints is not None
    assert p.endpoints["metadata"]["name"] == "foo"
    assert p.endpoints["metadata"]["labels"] == want_labels
    assert p.endpoints["subsets"] == [
        {
            "addresses": THREE_ADDRS,
            "ports": [
                {"name": "port0", "port": 8080, "protocol": "TCP"},
                {"name": "port1", "port": 8088, "protocol": "TCP"},
            ],
        }
    ]


def test_preexisting_labels_follow_the_service() -> None:
    """TestSyncEndpointsItemsPreexistingLabelsChange."""
    existing = current("bar", copy.deepcopy(OLD_SUBSETS), labels={"foo": "bar"})
    p = plan_endpoints(service("bar", labels={"baz": "blah"}), pods("bar", 1), existing)
    assert p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, "baz": "blah", LABEL_HEADLESS: ""}


def test_endpoints_without_the_managed_by_label_are_rewritten_to_carry_it() -> None:
    existing = current(
        "default",
        [{"addresses": [addr("1.2.3.4", "pod0", "default")], "ports": [{"port": 8080, "protocol": "TCP"}]}],
        labels={LABEL_HEADLESS: ""},
    )
    p = plan_endpoints(service("default"), pods("default", 1), existing)
    assert p.action == "update" and p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, LABEL_HEADLESS: ""}


def test_service_labels_change_alone_rewrites_endpoints() -> None:
    existing = current(
        "other", [{"addresses": [addr("1.2.3.4", "pod0")], "ports": [{"port": 8080, "protocol": "TCP"}]}]
    )
    svc = service(labels={"team": "a"}, cluster_ip="10.0.0.1")
    p = plan_endpoints(svc, pods("other", 1), existing)
    assert p.action == "update" and p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, "team": "a"}  # a ClusterIP Service is not headless


def test_headless_service_with_empty_ports() -> None:
    """TestSyncEndpointsHeadlessService: port-less subset, Service labels plus the headless label,
    and the Service object is not modified."""
    svc = service("headless", ports=[], labels={"a": "b"}, cluster_ip="None")
    original = copy.deepcopy(svc)
    p = plan_endpoints(svc, pods("headless", 1), current("headless", copy.deepcopy(OLD_SUBSETS)))
    assert svc == original
    assert p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, "a": "b", LABEL_HEADLESS: ""}
    assert p.endpoints["subsets"] == [{"addresses": [addr("1.2.3.4", "pod0", "headless")]}]


def test_headless_without_ports_creates_portless_subset() -> None:
    """TestSyncEndpointsHeadlessWithoutPort."""
    svc = service("default", cluster_ip="None")
    del svc["spec"]["ports"]
    p = plan_endpoints(svc, pods("default", 1), None)
    assert p.action == "create" and p.endpoints is not None
    assert p.endpoints["metadata"]["labels"] == {**MB, LABEL_HEADLESS: ""}
    assert p.endpoints["subsets"] == [{"addresses": [addr("1.2.3.4", "pod0", "default")]}]


@pytest.mark.parametrize(
    ("name", "restart_policy", "phase"),
    [
        ("restartPolicy Never, phase Failed", "Never", "Failed"),
        ("restartPolicy Never, phase Succeeded", "Never", "Succeeded"),
        ("restartPolicy OnFailure, phase Succeeded", "OnFailure", "Succeeded"),
    ],
)
def test_terminal_pods_are_excluded(name: str, restart_policy: str, phase: str) -> None:
    """TestSyncEndpointsItemsExcludeNotReadyPodsWithRestartPolicy*."""
    p = make_test_pod(0, ready=False)
    p["spec"]["restartPolicy"] = restart_policy
    p["status"]["phase"] = phase
    existing = current("other", [], labels={"foo": "bar"})
    plan = plan_endpoints(service(), [p], existing)
    assert plan.action == "update" and plan.endpoints is not None
    assert plan.endpoints["metadata"]["labels"] == {**MB, LABEL_HEADLESS: ""}
    assert "subsets" not in plan.endpoints


# -- TestPodToEndpointAddressForService ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pod_families", "svc_spec", "want"),
    [
        ("v4 service, single stack", ("IPv4",), {"clusterIP": "10.0.0.1"}, "1.2.3.4"),
        ("v4 service, dual stack", ("IPv4", "IPv6"), {"clusterIP": "10.0.0.1"}, "1.2.3.4"),
        ("v4 service, dual stack ipv6-primary", ("IPv6", "IPv4"), {"clusterIP": "10.0.0.1"}, "1.2.3.4"),
        ("v4 headless, single stack", ("IPv4",), {"clusterIP": "None"}, "1.2.3.4"),
        (
            "v4 headless, dual stack",
            ("IPv4", "IPv6"),
            {"clusterIP": "None", "ipFamilies": ["IPv4"]},
            "1.2.3.4",
        ),
        ("v4 legacy headless, dual stack", ("IPv4", "IPv6"), {"clusterIP": "None"}, "1.2.3.4"),
        ("v4 legacy headless, dual stack ipv6-primary", ("IPv6", "IPv4"), {"clusterIP": "None"}, "2000::4"),
        ("v6 service, dual stack", ("IPv4", "IPv6"), {"clusterIP": "3000::1"}, "2000::4"),
        ("v6 headless, single stack", ("IPv6",), {"clusterIP": "None"}, "2000::4"),
        (
            "v6 headless, dual stack (families set)",
            ("IPv4", "IPv6"),
            {"clusterIP": "None", "ipFamilies": ["IPv6"]},
            "2000::4",
        ),
        ("v6 legacy headless, dual stack (no families)", ("IPv4", "IPv6"), {"clusterIP": "None"}, "1.2.3.4"),
        ("v6 service, v4 only cluster: no address", ("IPv4",), {"clusterIP": "3000::1"}, None),
    ],
)
def test_address_family_for_service(
    name: str, pod_families: tuple[str, ...], svc_spec: Obj, want: str | None
) -> None:
    svc = service("test", **svc_spec)
    pod = make_test_pod(0, "test", families=pod_families, node="node-1")
    pod["metadata"]["uid"] = "uid-0"
    subsets = build_subsets(svc, [pod])
    if want is None:
        assert subsets == []
        return
    (a,) = [x for s in subsets for x in s.get("addresses", [])]
    assert a["ip"] == want
    assert a["nodeName"] == "node-1"
    assert a["targetRef"] == {
        "kind": "Pod",
        "namespace": "test",
        "name": "pod0",
        "uid": "uid-0",
    }  # no resourceVersion


# -- TestLastTriggerChangeTimeAnnotation* ----------------------------------------------------------

T = "2018-01-01T00:00:00Z"
T_OLD = "2017-12-31T23:00:00Z"


@pytest.mark.parametrize(
    ("name", "old_annotation", "trigger", "want"),
    [
        ("annotation set", None, T, T),
        ("annotation overridden", T_OLD, T, T),
        ("annotation cleared", T, None, None),
    ],
)
def test_last_change_trigger_time_annotation(
    name: str, old_annotation: str | None, trigger: str | None, want: str | None
) -> None:
    meta: Obj = {}
    if old_annotation:
        meta["annotations"] = {ANNOTATION_TRIGGER_TIME: old_annotation}
    existing = current("other", copy.deepcopy(OLD_SUBSETS), **meta)
    p = plan_endpoints(service(), pods("other", 1), existing, trigger_time=trigger)
    assert p.action == "update" and p.endpoints is not None
    assert (p.endpoints["metadata"].get("annotations") or {}).get(ANNOTATION_TRIGGER_TIME) == want
    assert p.endpoints["metadata"]["labels"] == {**MB, LABEL_HEADLESS: ""}


# -- TestSyncServiceOverCapacity / TestTruncateEndpoints ----------------------------------------------


def _big_pods(ready: int, not_ready: int) -> list[Obj]:
    out = []
    for i in range(ready + not_ready):
        p = make_test_pod(0, "test", ready=i < ready, node="node-1")
        ip = f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"
        p["metadata"]["name"] = f"pod{i}"
        p["metadata"]["uid"] = f"uid-{i}"
        p["status"]["podIP"] = ip
        p["status"]["podIPs"] = [{"ip": ip}]
        out.append(p)
    return out


@pytest.mark.parametrize(
    ("name", "starting", "existing", "ready", "not_ready", "want_ready", "want_not_ready", "want_annotation"),
    [
        ("empty", None, 0, 0, 0, 0, 0, False),
        (
            "added past capacity, < max ready",
            None,
            MAX_CAPACITY - 1,
            MAX_CAPACITY - 3,
            4,
            MAX_CAPACITY - 3,
            3,
            True,
        ),
        ("added past capacity, max ready", None, MAX_CAPACITY - 1, MAX_CAPACITY, 10, MAX_CAPACITY, 0, True),
        (
            "removed below capacity",
            "truncated",
            MAX_CAPACITY - 1,
            MAX_CAPACITY - 1,
            0,
            MAX_CAPACITY - 1,
            0,
            False,
        ),
        (
            "was warning, removed at capacity",
            "warning",
            MAX_CAPACITY,
            MAX_CAPACITY,
            0,
            MAX_CAPACITY,
            0,
            False,
        ),
        (
            "was warning, still over capacity",
            "warning",
            MAX_CAPACITY + 1,
            MAX_CAPACITY + 1,
            0,
            MAX_CAPACITY,
            0,
            True,
        ),
        ("removed at capacity", "truncated", MAX_CAPACITY, MAX_CAPACITY, 0, MAX_CAPACITY, 0, False),
        (
            "no endpoints change, value corrected",
            "invalid",
            MAX_CAPACITY + 1,
            MAX_CAPACITY + 1,
            0,
            MAX_CAPACITY,
            0,
            True,
        ),
    ],
)
def test_over_capacity(
    name: str,
    starting: str | None,
    existing: int,
    ready: int,
    not_ready: int,
    want_ready: int,
    want_not_ready: int,
    want_annotation: bool,
) -> None:
    svc = service("test", ports=[{"port": 80, "protocol": "TCP", "targetPort": 80}])
    selected = _big_pods(ready, not_ready)
    first = build_subsets(svc, selected[:existing])
    old_addrs = [a for s in first for a in s.get("addresses", []) + s.get("notReadyAddresses", [])]
    subsets = [{"addresses": old_addrs, "ports": [{"port": 80, "protocol": "TCP"}]}] if old_addrs else []
    annotations = {ANNOTATION_OVER_CAPACITY: starting} if starting else {}
    cur = current("test", subsets, annotations=annotations)
    p = plan_endpoints(svc, selected, cur)
    result = p.endpoints if p.action else cur
    assert result is not None
    got = (result.get("metadata", {}).get("annotations") or {}).get(ANNOTATION_OVER_CAPACITY)
    assert got == ("truncated" if want_annotation else None)
    subs = result.get("subsets") or []
    assert sum(len(s.get("addresses", [])) for s in subs) == want_ready
    assert sum(len(s.get("notReadyAddresses", [])) for s in subs) == want_not_ready


@pytest.mark.parametrize(
    ("name", "ready", "not_ready", "want_ready", "want_not_ready"),
    [
        ("empty", [], [], [], []),
        (
            "total < max",
            [50, 100, 100, 100, 100],
            [50, 100, 100, 100, 100],
            [50, 100, 100, 100, 100],
            [50, 100, 100, 100, 100],
        ),
        ("total = max", [100] * 5, [100] * 5, [100] * 5, [100] * 5),
        (
            "ready < max < total",
            [90, 110, 50, 10, 20],
            [101, 200, 200, 201, 298],
            [90, 110, 50, 10, 20],
            [73, 144, 144, 145, 214],
        ),
        (
            "ready > max",
            [205, 400, 402, 400, 693],
            [100, 200, 200, 200, 300],
            [98, 191, 192, 191, 328],
            [0, 0, 0, 0, 0],
        ),
    ],
)
def test_truncate_endpoints(
    name: str, ready: list[int], not_ready: list[int], want_ready: list[int], want_not_ready: list[int]
) -> None:
    subsets = [
        {
            "addresses": [{"ip": f"r{i}-{j}"} for j in range(r)],
            "notReadyAddresses": [{"ip": f"n{i}-{j}"} for j in range(n)],
        }
        for i, (r, n) in enumerate(zip(ready, not_ready))
    ]
    truncate_subsets(subsets)
    assert [len(s.get("addresses", [])) for s in subsets] == want_ready
    assert [len(s.get("notReadyAddresses", [])) for s in subsets] == want_not_ready


# -- TestEndpointPortFromServicePort ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "app_protocol"), [("empty app protocol", None), ("http app protocol", "http")]
)
def test_app_protocol_carried_to_endpoints_port(name: str, app_protocol: str | None) -> None:
    port: Obj = {"name": "test", "port": 80, "protocol": "TCP", "targetPort": 80}
    if app_protocol:
        port["appProtocol"] = app_protocol
    (s,) = build_subsets(service(ports=[port]), pods("other", 1))
    assert s["ports"][0].get("appProtocol") == app_protocol


# -- TestSyncServiceAddresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "phase", "ready", "terminating", "publish", "want_ready", "want_unready"),
    [
        ("running", "Running", True, False, False, 1, 0),
        ("running being deleted", "Running", True, True, False, 0, 0),
        ("unknown ready", "Unknown", True, False, False, 1, 0),
        ("unknown ready being deleted", "Unknown", True, True, False, 0, 0),
        ("pending ready", "Pending", True, False, False, 1, 0),
        ("pending ready being deleted", "Pending", True, True, False, 0, 0),
        ("unknown not ready", "Unknown", False, False, False, 0, 1),
        ("pending not ready", "Pending", False, False, False, 0, 1),
        ("failed", "Failed", False, False, False, 0, 0),
        ("succeeded", "Succeeded", False, False, False, 0, 0),
        ("running, tolerate unready", "Running", False, False, True, 1, 0),
        ("running, tolerate unready, being deleted", "Running", False, True, True, 1, 0),
        ("unknown, tolerate unready", "Unknown", False, False, True, 1, 0),
        ("unknown, tolerate unready, being deleted", "Unknown", False, True, True, 1, 0),
        ("pending, tolerate unready", "Pending", False, False, True, 1, 0),
        ("pending, tolerate unready, being deleted", "Pending", False, True, True, 1, 0),
        ("failed, tolerate unready", "Failed", False, False, True, 0, 0),
        ("succeeded, tolerate unready", "Succeeded", False, False, True, 0, 0),
    ],
)
def test_sync_service_addresses(
    name: str, phase: str, ready: bool, terminating: bool, publish: bool, want_ready: int, want_unready: int
) -> None:
    svc = service(
        "ns",
        ports=[{"port": 80, "protocol": "TCP", "targetPort": 80}],
        cluster_ip="1.1.1.1",
        type="ClusterIP",
        publishNotReadyAddresses=publish,
    )
    pod = make_test_pod(0, "ns", ready=ready, node="node-1")
    pod["status"]["phase"] = phase
    pod["status"]["podIP"] = "10.1.1.1"
    pod["status"]["podIPs"] = [{"ip": "10.1.1.1"}]
    if terminating:
        pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    subsets = build_subsets(svc, [pod])
    assert sum(len(s.get("addresses", [])) for s in subsets) == want_ready
    assert sum(len(s.get("notReadyAddresses", [])) for s in subsets) == want_unready


# -- TriggerTimeTracker (trigger_time_tracker_test.go) ---------------------------------------------

T0 = datetime(2019, 1, 1, tzinfo=UTC)


def t(i: int) -> str:
    return format_rfc3339_nano(T0 + timedelta(seconds=i))


def tt_service(created: int) -> Obj:
    return {"metadata": {"namespace": "ns1", "name": "my-service", "creationTimestamp": t(created)}}


def tt_pod(name: str, ready_at: int) -> Obj:
    return {
        "metadata": {"namespace": "ns1", "name": name},
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t(ready_at)}]},
    }


def test_trigger_time_new_service_no_pods() -> None:
    assert TriggerTimeTracker().compute(tt_service(2), []) == t(2)


def test_trigger_time_new_service_existing_pods_is_service_creation() -> None:
    assert TriggerTimeTracker().compute(
        tt_service(3), [tt_pod("pod1", 0), tt_pod("pod2", 1), tt_pod("pod3", 5)]
    ) == t(3)


def test_trigger_time_pods_added() -> None:
    tr = TriggerTimeTracker()
    svc = tt_service(0)
    assert tr.compute(svc, []) == t(0)
    assert tr.compute(svc, [tt_pod("pod1", 2), tt_pod("pod2", 1)]) == t(1)


def test_trigger_time_pods_updated_and_no_op() -> None:
    tr = TriggerTimeTracker()
    svc = tt_service(0)
    assert tr.compute(svc, [tt_pod("pod1", 1), tt_pod("pod2", 2), tt_pod("pod3", 3)]) == t(0)
    assert tr.compute(svc, [tt_pod("pod1", 5), tt_pod("pod2", 4), tt_pod("pod3", 3)]) == t(4)
    assert tr.compute(svc, [tt_pod("pod1", 5), tt_pod("pod2", 4), tt_pod("pod3", 3)]) is None


def test_trigger_time_pod_deleted_then_added() -> None:
    tr = TriggerTimeTracker()
    svc = tt_service(0)
    assert tr.compute(svc, [tt_pod("pod1", 1), tt_pod("pod2", 2)]) == t(0)
    assert tr.compute(svc, [tt_pod("pod1", 1)]) is None
    assert tr.compute(svc, [tt_pod("pod1", 1), tt_pod("pod2", 4)]) == t(4)


def test_trigger_time_service_deleted_then_added() -> None:
    tr = TriggerTimeTracker()
    assert tr.compute(tt_service(0), [tt_pod("pod1", 1), tt_pod("pod2", 2)]) == t(0)
    tr.delete_service("ns1", "my-service")
    assert tr.compute(tt_service(3), [tt_pod("pod1", 1), tt_pod("pod2", 2)]) == t(3)


def test_trigger_time_service_spec_update_alone_is_none() -> None:
    tr = TriggerTimeTracker()
    svc = tt_service(0)
    pods_ = [tt_pod("pod1", 1), tt_pod("pod2", 2)]
    assert tr.compute(svc, pods_) == t(0)
    svc["spec"] = {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
    assert tr.compute(svc, pods_) is None
