"""Server-side Table printing: columns and cells as kube-apiserver prints them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesvc.api import scheme
from kubesvc.apiserver.tables import human_duration, to_table

NOW = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


def ago(**kw: float) -> str:
    return (NOW - timedelta(**kw)).strftime("%Y-%m-%dT%H:%M:%SZ")


def names(table: dict[str, Any]) -> list[str]:
    return [c["name"] for c in table["columnDefinitions"]]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (5, "5s"),
        (119, "119s"),
        (120, "2m"),
        (185, "3m5s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60 * 5, "3h5m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (3 * 86400 + 5 * 3600, "3d5h"),
        (8 * 86400, "8d"),
        (2 * 365 * 86400, "2y"),
        (3 * 365 * 86400 + 10 * 86400, "3y10d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def service(name: str = "web", **spec: Any) -> dict[str, Any]:
    base = {
        "type": "ClusterIP",
        "clusterIP": "10.96.0.10",
        "clusterIPs": ["10.96.0.10"],
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
        "selector": {"app": name, "tier": "fe"},
    }
    base.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": ago(seconds=5),
            "labels": {"a": "b"},
        },
        "spec": base,
        "status": {"loadBalancer": {}},
    }


def test_service_columns_and_cells() -> None:
    t = to_table(scheme.SERVICES, [service()], now=NOW, list_meta={"resourceVersion": "7"})
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
    assert t["metadata"] == {"resourceVersion": "7"}
    assert names(t) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
    assert [c["priority"] for c in t["columnDefinitions"]] == [0, 0, 0, 0, 0, 0, 1]
    assert t["columnDefinitions"][0]["format"] == "name"
    row = t["rows"][0]
    assert row["cells"] == ["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "5s", "app=web,tier=fe"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["labels"] == {"a": "b"}


@pytest.mark.parametrize(
    ("spec", "status", "cluster_ip", "external", "ports"),
    [
        pytest.param({"clusterIPs": []}, {}, "<none>", "<none>", "80/TCP", id="cluster-ip-reads-clusterIPs"),
        pytest.param(
            {"clusterIP": "None", "clusterIPs": ["None"]}, {}, "None", "<none>", "80/TCP", id="headless"
        ),
        pytest.param(
            {"externalIPs": ["1.2.3.4", "5.6.7.8"]},
            {},
            "10.96.0.10",
            "1.2.3.4,5.6.7.8",
            "80/TCP",
            id="external-ips",
        ),
        pytest.param(
            {
                "type": "NodePort",
                "ports": [
                    {"port": 80, "protocol": "TCP", "nodePort": 30080},
                    {"port": 53, "protocol": "UDP"},
                ],
            },
            {},
            "10.96.0.10",
            "<none>",
            "80:30080/TCP,53/UDP",
            id="nodeport",
        ),
        pytest.param({"type": "LoadBalancer"}, {}, "10.96.0.10", "<pending>", "80/TCP", id="lb-pending"),
        pytest.param(
            {"type": "LoadBalancer"},
            {
                "loadBalancer": {
                    "ingress": [
                        {"ip": "172.18.255.201"},
                        {"hostname": "lb.example"},
                        {"ip": "172.18.255.200"},
                    ]
                }
            },
            "10.96.0.10",
            "172.18.255.200,172.18.255.201,lb.example",
            "80/TCP",
            id="lb-ingress-sorted-unclipped",
        ),
        pytest.param(
            {"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]},
            {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}},
            "10.96.0.10",
            "1.1.1.1,9.9.9.9",
            "80/TCP",
            id="lb-plus-external",
        ),
        pytest.param(
            {"type": "ExternalName", "externalName": "db.example.com", "clusterIPs": None, "ports": []},
            {},
            "<none>",
            "db.example.com",
            "<none>",
            id="external-name",
        ),
    ],
)
def test_service_cells(
    spec: dict[str, Any], status: dict[str, Any], cluster_ip: str, external: str, ports: str
) -> None:
    svc = service(**spec)
    svc["status"] = status
    cells = to_table(scheme.SERVICES, [svc], now=NOW)["rows"][0]["cells"]
    assert cells[2:5] == [cluster_ip, external, ports]


def test_no_selector_prints_none_and_missing_timestamp_unknown() -> None:
    svc = service(selector=None)
    del svc["metadata"]["creationTimestamp"]
    cells = to_table(scheme.SERVICES, [svc], now=NOW)["rows"][0]["cells"]
    assert cells[5] == "<unknown>"
    assert cells[6] == "<none>"


def test_include_object_and_no_headers() -> None:
    svc = service()
    full = to_table(scheme.SERVICES, [svc], now=NOW, include_object="Object")
    assert full["rows"][0]["object"] == svc
    none = to_table(scheme.SERVICES, [svc], now=NOW, include_object="None", no_headers=True)
    assert none["rows"][0]["object"] is None
    assert none["columnDefinitions"] == []


def test_endpoint_slice_cells() -> None:
    s = {
        "metadata": {"name": "web-abc", "creationTimestamp": ago(minutes=3, seconds=5)},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [f"10.0.0.{i}"]} for i in range(1, 6)],
    }
    t = to_table(scheme.ENDPOINT_SLICES, [s], now=NOW)
    assert names(t) == ["Name", "AddressType", "Ports", "Endpoints", "Age"]
    assert t["rows"][0]["cells"] == [
        "web-abc",
        "IPv4",
        "8080",
        "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...",
        "3m5s",
    ]
    empty = {"metadata": {"name": "e"}, "addressType": "IPv4", "ports": [], "endpoints": []}
    assert to_table(scheme.ENDPOINT_SLICES, [empty], now=NOW)["rows"][0]["cells"][2:4] == [
        "<unset>",
        "<unset>",
    ]
    named = {"metadata": {"name": "n"}, "ports": [{"name": "x"}, {}], "endpoints": []}
    assert to_table(scheme.ENDPOINT_SLICES, [named], now=NOW)["rows"][0]["cells"][2] == "x,*"


def test_endpoints_cells() -> None:
    ep = {
        "metadata": {"name": "web"},
        "subsets": [
            {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]}
        ],
    }
    cells = to_table(scheme.ENDPOINTS, [ep], now=NOW)["rows"][0]["cells"]
    assert cells[1] == "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."
    assert (
        to_table(scheme.ENDPOINTS, [{"metadata": {"name": "x"}}], now=NOW)["rows"][0]["cells"][1] == "<none>"
    )
    bare = {"metadata": {"name": "h"}, "subsets": [{"addresses": [{"ip": "fd00::1"}]}]}
    assert to_table(scheme.ENDPOINTS, [bare], now=NOW)["rows"][0]["cells"][1] == "fd00::1"
    v6 = {"metadata": {"name": "h"}, "subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]}
    assert to_table(scheme.ENDPOINTS, [v6], now=NOW)["rows"][0]["cells"][1] == "[fd00::1]:80"


def pod(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "creationTimestamp": ago(hours=1)},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n1"},
        "status": {"phase": "Running", **status},
    }


def running(name: str, ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}, **extra}


@pytest.mark.parametrize(
    ("p", "ready", "status", "restarts"),
    [
        pytest.param(
            pod(containerStatuses=[running("a"), running("b")]), "2/2", "Running", "0", id="running"
        ),
        pytest.param(pod(phase="Pending"), "0/2", "Pending", "0", id="pending"),
        pytest.param(
            pod(
                containerStatuses=[
                    {
                        "name": "a",
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "restartCount": 3,
                        "lastState": {"terminated": {"finishedAt": ago(minutes=2)}},
                    },
                    running("b"),
                ]
            ),
            "1/2",
            "CrashLoopBackOff",
            "3 (2m ago)",
            id="crashloop",
        ),
        pytest.param(
            pod(
                phase="Succeeded",
                containerStatuses=[
                    {"name": "a", "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
                ],
            ),
            "0/2",
            "Completed",
            "0",
            id="completed",
        ),
        pytest.param(
            pod(containerStatuses=[{"name": "a", "state": {"terminated": {"exitCode": 2}}}]),
            "0/2",
            "ExitCode:2",
            "0",
            id="exit-code",
        ),
        pytest.param(pod(reason="Evicted", phase="Failed"), "0/2", "Evicted", "0", id="status-reason"),
    ],
)
def test_pod_status_cells(p: dict[str, Any], ready: str, status: str, restarts: str) -> None:
    cells = to_table(scheme.PODS, [p], now=NOW)["rows"][0]["cells"]
    assert cells[1:4] == [ready, status, restarts]


def test_pod_terminating_and_init_and_wide_cells() -> None:
    p = pod(containerStatuses=[running("a"), running("b")], podIPs=[{"ip": "10.244.0.5"}])
    p["metadata"]["deletionTimestamp"] = ago(seconds=1)
    t = to_table(scheme.PODS, [p], now=NOW)
    assert names(t) == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert t["rows"][0]["cells"] == [
        "p",
        "2/2",
        "Terminating",
        "0",
        "60m",
        "10.244.0.5",
        "n1",
        "<none>",
        "<none>",
    ]
    init = pod(
        phase="Pending",
        initContainerStatuses=[{"name": "i", "state": {"waiting": {"reason": "PodInitializing"}}}],
    )
    init["spec"]["initContainers"] = [{"name": "i"}, {"name": "j"}]
    assert to_table(scheme.PODS, [init], now=NOW)["rows"][0]["cells"][2] == "Init:0/2"


def test_node_cells() -> None:
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": ago(days=3),
            "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker"},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "nodeInfo": {"kubeletVersion": "v1.31.0"},
            "addresses": [{"type": "InternalIP", "address": "172.18.0.11"}],
        },
    }
    t = to_table(scheme.NODES, [node], now=NOW)
    assert names(t)[:5] == ["Name", "Status", "Roles", "Age", "Version"]
    assert t["rows"][0]["cells"] == [
        "n1",
        "NotReady,SchedulingDisabled",
        "control-plane,worker",
        "3d",
        "v1.31.0",
        "172.18.0.11",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]
    assert to_table(scheme.NODES, [{"metadata": {"name": "x"}}], now=NOW)["rows"][0]["cells"][1:3] == [
        "Unknown",
        "<none>",
    ]


def test_namespace_lease_event_and_default() -> None:
    ns = {"metadata": {"name": "default", "creationTimestamp": ago(days=10)}, "status": {"phase": "Active"}}
    assert to_table(scheme.NAMESPACES, [ns], now=NOW)["rows"][0]["cells"] == ["default", "Active", "10d"]
    lease = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}
    assert to_table(scheme.LEASES, [lease], now=NOW)["rows"][0]["cells"][:2] == ["l", "me"]
    ev = {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Service", "name": "web"},
        "reason": "Created",
        "type": "Normal",
        "message": " hi ",
        "source": {"component": "c", "host": "h"},
        "firstTimestamp": ago(minutes=5),
        "lastTimestamp": ago(seconds=30),
        "count": 2,
    }
    t = to_table(scheme.EVENTS_V1, [ev], now=NOW)
    assert names(t) == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Subobject",
        "Source",
        "Message",
        "First Seen",
        "Count",
        "Name",
    ]
    assert t["rows"][0]["cells"] == [
        "30s",
        "Normal",
        "Created",
        "service/web",
        "",
        "c, h",
        "hi",
        "5m",
        2,
        "web.1",
    ]
    new_style = {
        "metadata": {"name": "e"},
        "regarding": {"kind": "Pod", "name": "p"},
        "note": "n",
        "eventTime": "2024-01-01T11:59:00.000000Z",
        "reportingController": "ctl",
    }
    cells = to_table(scheme.EVENTS_EVENTS_V1, [new_style], now=NOW)["rows"][0]["cells"]
    assert cells[0] == "60s" and cells[3] == "pod/p" and cells[5] == "ctl" and cells[8] == 1
    other = scheme.ResourceInfo("x.io", "v1", "Thing", "things", "thing", True)
    t = to_table(other, [{"metadata": {"name": "t", "creationTimestamp": "2024-01-01T00:00:00Z"}}], now=NOW)
    assert names(t) == ["Name", "Created At"]
    assert t["rows"][0]["cells"] == ["t", "2024-01-01T00:00:00Z"]


def test_single_object_table_carries_its_resource_version() -> None:
    svc = service()
    svc["metadata"]["resourceVersion"] = "42"
    assert to_table(scheme.SERVICES, [svc], now=NOW)["metadata"] == {"resourceVersion": "42"}
    assert to_table(scheme.SERVICES, [svc, svc], now=NOW)["metadata"] == {}
    assert to_table(scheme.SERVICES, [svc], now=NOW, list_meta={"resourceVersion": "7"})["metadata"] == {
        "resourceVersion": "7"
    }


def test_finished_pods_carry_completed_row_condition() -> None:
    done = pod(phase="Succeeded")
    row = to_table(scheme.PODS, [done], now=NOW)["rows"][0]
    assert row["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert "conditions" not in to_table(scheme.PODS, [pod()], now=NOW)["rows"][0]
