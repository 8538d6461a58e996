"""build_subsets / plan_endpoints: the legacy Endpoints controller's pure part."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesvc.controllers.endpoints.reconciler import (
    ANNOTATION_OVER_CAPACITY,
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    build_subsets,
    count_addresses,
    plan_endpoints,
    truncate_subsets,
)
from tests.builders import (
    make_container_port,
    make_pod,
    make_service,
    make_service_port,
    set_cluster_ips,
    set_container_ports,
    set_deletion_timestamp,
    set_headless,
    set_hostname,
    set_ip_families,
    set_labels,
    set_node_name,
    set_phase,
    set_pod_ips,
    set_pod_ready,
    set_ports,
)

Obj = dict[str, Any]


def service(*tweaks: Any) -> Obj:
    return make_service("web", set_cluster_ips("10.96.0.10"), set_ip_families("IPv4"), *tweaks)


def pod(name: str, ip: str | tuple[str, ...] = "10.0.0.1", ready: bool = True, *tweaks: Any) -> Obj:
    ips = (ip,) if isinstance(ip, str) else ip
    p = make_pod(name, set_node_name("n1"), set_pod_ips(*ips), set_pod_ready(ready), *tweaks)
    p["metadata"]["uid"] = f"uid-{name}"
    return p


def addr(name: str, ip: str, **extra: Any) -> Obj:
    a: Obj = {"ip": ip}
    if "hostname" in extra:
        a["hostname"] = extra["hostname"]
    a["nodeName"] = "n1"
    a["targetRef"] = {"kind": "Pod", "namespace": "default", "name": name, "uid": f"uid-{name}"}
    return a


def test_ready_and_not_ready_share_a_subset_sorted_by_ip() -> None:
    subsets = build_subsets(
        service(), [pod("b", "10.0.0.2"), pod("a", "10.0.0.10"), pod("c", "10.0.0.3", False)]
    )
    assert subsets == [
        {
            "addresses": [addr("a", "10.0.0.10"), addr("b", "10.0.0.2")],  # byte order, as upstream
            "notReadyAddresses": [addr("c", "10.0.0.3")],
            "ports": [{"port": 76, "protocol": "TCP"}],
        }
    ]


@pytest.mark.parametrize(
    ("name", "publish", "tweaks", "ready", "want"),
    [
        ("terminating left out", False, (set_deletion_timestamp(),), True, []),
        ("terminal left out", False, (set_phase("Failed"),), True, []),
        ("publish: not ready counts as ready", True, (), False, ["addresses"]),
        ("publish: terminating included as ready", True, (set_deletion_timestamp(),), True, ["addresses"]),
    ],
)
def test_inclusion_rules(
    name: str, publish: bool, tweaks: tuple[Any, ...], ready: bool, want: list[str]
) -> None:
    svc = service()
    svc["spec"]["publishNotReadyAddresses"] = publish
    subsets = build_subsets(svc, [pod("a", "10.0.0.1", ready, *tweaks)])
    assert [k for s in subsets for k in s if k != "ports"] == want


def test_ports_group_addresses_serving_the_same_ports() -> None:
    svc = service(set_ports(make_service_port("http", 80, "web"), make_service_port("", 9, 9)))
    a = pod("a", "10.0.0.1", True, set_container_ports(make_container_port("web", 8080)))
    b = pod("b", "10.0.0.2", True, set_container_ports(make_container_port("web", 8080)))
    c = pod("c", "10.0.0.3", True, set_container_ports(make_container_port("web", 9090)))
    subsets = build_subsets(svc, [a, b, c])
    got = sorted(
        (tuple((p.get("name", ""), p["port"]) for p in s["ports"]), tuple(x["ip"] for x in s["addresses"]))
        for s in subsets
    )
    # RepackSubsets groups ports by the exact set of addresses serving them
    assert got == [
        ((("", 9),), ("10.0.0.1", "10.0.0.2", "10.0.0.3")),
        ((("http", 8080),), ("10.0.0.1", "10.0.0.2")),
        ((("http", 9090),), ("10.0.0.3",)),
    ]


def test_unnamed_port_has_no_name_key_and_app_protocol_is_kept() -> None:
    port = make_service_port("", 80, 8080)
    port["appProtocol"] = "http"
    (subset,) = build_subsets(service(set_ports(port)), [pod("a")])
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "appProtocol": "http"}]


def test_family_follows_first_ip_family() -> None:
    svc = service(set_ip_families("IPv6", "IPv4"), set_cluster_ips("fd00::10", "10.96.0.10"))
    (subset,) = build_subsets(svc, [pod("a", ("10.0.0.1", "fd00::1")), pod("b", "10.0.0.2")])
    assert [a["ip"] for a in subset["addresses"]] == ["fd00::1"]


def test_headless_without_ports_gets_portless_subset_and_hostname() -> None:
    svc = service(set_headless)
    svc["spec"]["ports"] = []
    subsets = build_subsets(svc, [pod("a", "10.0.0.1", True, set_hostname("a", "web"))])
    assert subsets == [{"addresses": [addr("a", "10.0.0.1", hostname="a")]}]


def test_non_headless_without_ports_gets_nothing() -> None:
    svc = service()
    svc["spec"]["ports"] = []
    assert build_subsets(svc, [pod("a")]) == []


def test_address_not_ready_on_any_port_is_not_ready() -> None:
    svc = service(set_ports(make_service_port("a", 1, 1), make_service_port("b", 2, 2)))
    subsets = build_subsets(svc, [pod("a", "10.0.0.1", False)])
    assert len(subsets) == 1 and "addresses" not in subsets[0]


def test_plan_create_then_noop_then_update() -> None:
    svc = service(set_labels({"app": "web"}))
    plan = plan_endpoints(svc, [pod("a")], None, trigger_time="2024-01-01T00:00:00Z")
    assert plan.action == "create"
    ep = plan.endpoints
    assert ep is not None
    assert ep["metadata"] == {
        "name": "web",
        "namespace": "default",
        "labels": {"app": "web", "endpoints.kubernetes.io/managed-by": "endpoint-controller"},
        "annotations": {ANNOTATION_TRIGGER_TIME: "2024-01-01T00:00:00Z"},
    }
    stored = copy.deepcopy(ep)
    stored["metadata"]["resourceVersion"] = "5"
    assert plan_endpoints(svc, [pod("a")], stored).action is None
    plan = plan_endpoints(svc, [pod("a", "10.0.0.1", False)], stored)
    assert plan.action == "update" and plan.endpoints is not None
    assert "addresses" not in plan.endpoints["subsets"][0]
    assert ANNOTATION_TRIGGER_TIME not in plan.endpoints["metadata"].get("annotations", {})
    assert plan.endpoints["metadata"]["resourceVersion"] == "5"


def test_headless_label_added_and_label_changes_written() -> None:
    svc = service(set_headless)
    plan = plan_endpoints(svc, [pod("a")], None)
    assert plan.endpoints is not None
    assert plan.endpoints["metadata"]["labels"] == {
        LABEL_HEADLESS: "",
        "endpoints.kubernetes.io/managed-by": "endpoint-controller",
    }
    stored = copy.deepcopy(plan.endpoints)
    stored["metadata"]["resourceVersion"] = "1"
    assert plan_endpoints(svc, [pod("a")], stored).action is None, "the headless label is not a difference"
    svc2 = service(set_headless, set_labels({"x": "y"}))
    assert plan_endpoints(svc2, [pod("a")], stored).action == "update"


def _pods(n: int, ready: bool, start: int = 0) -> list[Obj]:
    return [
        pod(f"p{i}", f"10.{i // 60000}.{(i // 250) % 240}.{i % 250 + 1}", ready)
        for i in range(start, start + n)
    ]


def test_truncation_keeps_ready_first_and_annotates() -> None:
    svc = service()
    plan = plan_endpoints(svc, _pods(900, True) + _pods(300, False, 900), None)
    ep = plan.endpoints
    assert ep is not None
    assert ep["metadata"]["annotations"][ANNOTATION_OVER_CAPACITY] == "truncated"
    assert count_addresses(ep["subsets"]) == 1000
    assert len(ep["subsets"][0]["addresses"]) == 900
    assert len(ep["subsets"][0]["notReadyAddresses"]) == 100


def test_truncation_of_ready_drops_all_not_ready() -> None:
    subsets = build_subsets(service(), _pods(1200, True) + _pods(5, False, 1200))
    assert truncate_subsets(subsets)
    assert count_addresses(subsets) == 1000
    assert all("notReadyAddresses" not in s for s in subsets)


def test_truncation_proportional_over_subsets() -> None:
    svc = service(set_ports(make_service_port("http", 80, "web")))
    pods = [
        pod(
            f"a{i}",
            f"10.1.{i // 250}.{i % 250 + 1}",
            True,
            set_container_ports(make_container_port("web", 8080)),
        )
        for i in range(900)
    ] + [
        pod(
            f"b{i}",
            f"10.2.{i // 250}.{i % 250 + 1}",
            True,
            set_container_ports(make_container_port("web", 9090)),
        )
        for i in range(600)
    ]
    subsets = build_subsets(svc, pods)
    assert truncate_subsets(subsets)
    sizes = sorted(len(s["addresses"]) for s in subsets)
    assert sizes == [400, 600]


def test_over_capacity_annotation_appears_and_disappears() -> None:
    svc = service()
    plan = plan_endpoints(svc, _pods(1001, True), None)
    assert plan.endpoints is not None
    stored = copy.deepcopy(plan.endpoints)
    stored["metadata"]["resourceVersion"] = "1"
    assert stored["metadata"]["annotations"][ANNOTATION_OVER_CAPACITY] == "truncated"
    # exactly 1000: the annotation goes away (upstream keeps it only while over capacity)
    plan = plan_endpoints(svc, _pods(1000, True), stored)
    assert plan.action == "update" and plan.endpoints is not None
    assert ANNOTATION_OVER_CAPACITY not in plan.endpoints["metadata"].get("annotations", {})
    assert count_addresses(plan.endpoints["subsets"]) == 1000


def test_unscheduled_pod_with_an_ip_gets_no_empty_node_name() -> None:
    """An empty nodeName would make the whole Endpoints object invalid (422) and stall it."""
    from kubesvc.api.validation import validate

    lonely = make_pod("lonely", set_pod_ips("10.0.0.9"), set_pod_ready(True))
    lonely["metadata"]["uid"] = "uid-lonely"
    placed = pod("placed", "10.0.0.8")
    subsets = build_subsets(service(), [lonely, placed])
    addresses = subsets[0]["addresses"]
    assert [a["ip"] for a in addresses] == ["10.0.0.8", "10.0.0.9"]
    assert "nodeName" not in addresses[1] and addresses[0]["nodeName"] == "n1"
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"},
                 "subsets": subsets}  # fmt: skip
    assert validate(endpoints) == []
