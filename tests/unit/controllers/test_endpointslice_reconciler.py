"""plan_slices: upstream's EndpointSlice reconciler as a pure plan (table cases + properties)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesvc.controllers.endpointslice.reconciler import (
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    SlicePlan,
    plan_slices,
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
    set_traffic_distribution,
)

Obj = dict[str, Any]
SVC_UID = "svc-uid-1"


def service(*tweaks: Any) -> Obj:
    svc = make_service("web", set_cluster_ips("10.96.0.10"), set_ip_families("IPv4"), *tweaks)
    svc["metadata"]["uid"] = SVC_UID
    return svc


def pod(
    name: str, ip: str | tuple[str, ...] = "10.0.0.1", ready: bool = True, node: str = "n1", *tweaks: Any
) -> Obj:
    ips = (ip,) if isinstance(ip, str) else ip
    p = make_pod(name, set_node_name(node), set_pod_ips(*ips), set_pod_ready(ready), *tweaks)
    p["metadata"]["uid"] = f"uid-{name}"
    return p


def node(name: str, zone: str | None = None) -> Obj:
    labels = {"topology.kubernetes.io/zone": zone} if zone else {}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


NODES = {"n1": node("n1", "zone-a"), "n2": node("n2", "zone-b"), "n3": node("n3")}


class FakeApi:
    """Applies plans as the API would: names for generateName, generation bumps."""

    def __init__(self) -> None:
        self.slices: dict[str, Obj] = {}
        self._n = itertools.count()
        self.writes = 0

    def apply(self, plan: SlicePlan) -> None:
        for s in plan.to_delete:
            del self.slices[s["metadata"]["name"]]
        for s in plan.to_update:
            name = s["metadata"]["name"]
            new = copy.deepcopy(s)
            new["metadata"]["generation"] = (
                self.slices.get(name, {}).get("metadata", {}).get("generation", 1) + 1
            )
            self.slices[name] = new
        for s in plan.to_create:
            new = copy.deepcopy(s)
            n = next(self._n)
            new["metadata"]["name"] = f"{s['metadata']['generateName']}{n:05d}"
            new["metadata"]["uid"] = f"slice-{n}"
            new["metadata"]["generation"] = 1
            self.slices[new["metadata"]["name"]] = new
        self.writes += plan.writes()

    def list(self) -> list[Obj]:
        return [copy.deepcopy(s) for s in self.slices.values()]


def plan(svc: Obj, pods: list[Obj], existing: list[Obj] | None = None, **kw: Any) -> SlicePlan:
    return plan_slices(svc, pods, NODES, existing or [], **kw)


def converge(svc: Obj, pods: list[Obj], api: FakeApi | None = None, **kw: Any) -> FakeApi:
    api = api or FakeApi()
    p = plan_slices(svc, pods, NODES, api.list(), **kw)
    api.apply(p)
    return api


def addresses(slices: list[Mapping[str, Any]]) -> list[str]:
    return sorted(a for s in slices for ep in s["endpoints"] for a in ep["addresses"])


# -- table cases ----------------------------------------------------------------------------


def test_new_slice_shape_is_upstreams() -> None:
    svc = service(set_labels({"app": "web", LABEL_SERVICE_NAME: "spoof"}))
    p = plan(svc, [pod("a", "10.0.0.1", True, "n1")])
    assert (len(p.to_create), len(p.to_update), len(p.to_delete)) == (1, 0, 0)
    s = p.to_create[0]
    assert s["apiVersion"] == "discovery.k8s.io/v1" and s["kind"] == "EndpointSlice"
    assert s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["namespace"] == "default"
    assert s["metadata"]["labels"] == {
        "app": "web",
        LABEL_SERVICE_NAME: "web",
        LABEL_MANAGED_BY: "endpointslice-controller.k8s.io",
    }
    assert s["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": SVC_UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert s["addressType"] == "IPv4"
    assert s["ports"] == [{"name": "", "protocol": "TCP", "port": 76}]
    assert s["endpoints"] == [
        {
            "addresses": ["10.0.0.1"],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "targetRef": {"kind": "Pod", "namespace": "default", "name": "a", "uid": "uid-a"},
            "nodeName": "n1",
            "zone": "zone-a",
        }
    ]


@pytest.mark.parametrize(
    ("name", "svc_tweaks", "pod_tweaks", "ready_flag", "want"),
    [
        ("ready", (), (), True, {"ready": True, "serving": True, "terminating": False}),
        ("not ready", (), (), False, {"ready": False, "serving": False, "terminating": False}),
        (
            "terminating ready",
            (),
            (set_deletion_timestamp(),),
            True,
            {"ready": False, "serving": True, "terminating": True},
        ),
        (
            "terminating not ready",
            (),
            (set_deletion_timestamp(),),
            False,
            {"ready": False, "serving": False, "terminating": True},
        ),
        (
            "publishNotReadyAddresses",
            ("publish",),
            (),
            False,
            {"ready": True, "serving": False, "terminating": False},
        ),
        (
            "publishNotReadyAddresses terminating",
            ("publish",),
            (set_deletion_timestamp(),),
            True,
            {"ready": True, "serving": True, "terminating": True},
        ),
    ],
)
def test_conditions(
    name: str, svc_tweaks: tuple[str, ...], pod_tweaks: tuple[Any, ...], ready_flag: bool, want: Obj
) -> None:
    svc = service()
    if "publish" in svc_tweaks:
        svc["spec"]["publishNotReadyAddresses"] = True
    p = plan(svc, [pod("a", "10.0.0.1", ready_flag, "n1", *pod_tweaks)])
    assert p.to_create[0]["endpoints"][0]["conditions"] == want


@pytest.mark.parametrize(
    ("name", "tweaks"),
    [
        ("failed", (set_phase("Failed"),)),
        ("succeeded", (set_phase("Succeeded"),)),
    ],
)
def test_terminal_pods_are_left_out(name: str, tweaks: tuple[Any, ...]) -> None:
    p = plan(service(), [pod("a", "10.0.0.1", False, "n1", *tweaks), pod("b", "10.0.0.2")])
    assert addresses(p.to_create) == ["10.0.0.2"]


def test_pod_without_ip_is_left_out() -> None:
    no_ip = make_pod("x", set_node_name("n1"))
    p = plan(service(), [no_ip, pod("b", "10.0.0.2")])
    assert addresses(p.to_create) == ["10.0.0.2"]


def test_unknown_node_skips_pod_and_reports_unless_publish_not_ready() -> None:
    p = plan(service(), [pod("a", "10.0.0.1", True, "ghost"), pod("b", "10.0.0.2")])
    assert addresses(p.to_create) == ["10.0.0.2"]
    assert p.errors == ["skipping Pod a for Service default/web: Node ghost Not Found"]
    svc = service()
    svc["spec"]["publishNotReadyAddresses"] = True
    p = plan(svc, [pod("a", "10.0.0.1", True, "ghost")])
    ep = p.to_create[0]["endpoints"][0]
    assert ep["addresses"] == ["10.0.0.1"] and ep["nodeName"] == "ghost" and "zone" not in ep
    assert p.errors == []


def test_node_without_zone_label_gives_no_zone() -> None:
    p = plan(service(), [pod("a", "10.0.0.1", True, "n3")])
    assert "zone" not in p.to_create[0]["endpoints"][0]


def test_named_target_port_resolves_per_pod_into_separate_slices() -> None:
    svc = service(set_ports(make_service_port("http", 80, "web"), make_service_port("dns", 53, 53, "UDP")))
    a = pod("a", "10.0.0.1", True, "n1", set_container_ports(make_container_port("web", 8080)))
    b = pod("b", "10.0.0.2", True, "n1", set_container_ports(make_container_port("web", 9090)))
    c = pod("c", "10.0.0.3", True, "n1", set_container_ports(make_container_port("web", 8080)))
    d = pod("d", "10.0.0.4", True, "n1")  # no container port named "web": only the numeric port
    e = pod("e", "10.0.0.5", True, "n1", set_container_ports(make_container_port("web", 8080, "UDP")))
    p = plan(svc, [a, b, c, d, e])
    got = {
        tuple((pt["name"], pt["protocol"], pt["port"]) for pt in s["ports"]): addresses([s])
        for s in p.to_create
    }
    assert got == {
        (("dns", "UDP", 53), ("http", "TCP", 8080)): ["10.0.0.1", "10.0.0.3"],
        (("dns", "UDP", 53), ("http", "TCP", 9090)): ["10.0.0.2"],
        (("dns", "UDP", 53),): ["10.0.0.4", "10.0.0.5"],  # protocol must match too
    }


def test_sidecar_named_port_resolves() -> None:
    svc = service(set_ports(make_service_port("http", 80, "side")))
    a = pod("a")
    a["spec"]["initContainers"] = [
        {
            "name": "s",
            "image": "x",
            "restartPolicy": "Always",
            "ports": [{"name": "side", "containerPort": 7000, "protocol": "TCP"}],
        }
    ]
    assert plan(svc, [a]).to_create[0]["ports"] == [{"name": "http", "protocol": "TCP", "port": 7000}]


def test_app_protocol_is_carried() -> None:
    port = make_service_port("h2", 80, 8080)
    port["appProtocol"] = "kubernetes.io/h2c"
    p = plan(service(set_ports(port)), [pod("a")])
    assert p.to_create[0]["ports"] == [
        {"name": "h2", "protocol": "TCP", "port": 8080, "appProtocol": "kubernetes.io/h2c"}
    ]


def test_dual_stack_one_slice_family_per_address_type() -> None:
    svc = service(set_ip_families("IPv4", "IPv6"), set_cluster_ips("10.96.0.10", "fd00::10"))
    p = plan(svc, [pod("a", ("10.0.0.1", "fd00:10:244::1")), pod("b", ("10.0.0.2", "fd00:10:244::2"))])
    by_type = {s["addressType"]: addresses([s]) for s in p.to_create}
    assert by_type == {"IPv4": ["10.0.0.1", "10.0.0.2"], "IPv6": ["fd00:10:244::1", "fd00:10:244::2"]}


def test_ipv6_single_stack_ignores_ipv4_pod_ips() -> None:
    svc = service(set_ip_families("IPv6"), set_cluster_ips("fd00::10"))
    p = plan(svc, [pod("a", ("10.0.0.1", "fd00:10:244::1")), pod("b", "10.0.0.2")])
    assert [s["addressType"] for s in p.to_create] == ["IPv6"]
    assert addresses(p.to_create) == ["fd00:10:244::1"]


def test_headless_label_and_no_ports() -> None:
    svc = service(set_headless)
    svc["spec"]["ports"] = []
    p = plan(svc, [pod("a")])
    s = p.to_create[0]
    assert s["metadata"]["labels"][LABEL_HEADLESS] == ""
    assert s["ports"] == []
    assert addresses([s]) == ["10.0.0.1"]


def test_hostname_only_when_subdomain_is_the_service() -> None:
    p = plan(
        service(),
        [
            pod("a", "10.0.0.1", True, "n1", set_hostname("h1", "web")),
            pod("b", "10.0.0.2", True, "n1", set_hostname("h2", "other")),
        ],
    )
    eps = {ep["targetRef"]["name"]: ep for ep in p.to_create[0]["endpoints"]}
    assert eps["a"]["hostname"] == "h1"
    assert "hostname" not in eps["b"]


def test_no_pods_makes_one_placeholder_and_keeps_it() -> None:
    svc = service()
    api = converge(svc, [])
    (s,) = api.list()
    assert s["endpoints"] == [] and s["ports"] == []
    assert plan(svc, [], api.list()).is_empty()
    # a pod arriving reuses the placeholder instead of delete + create
    p = plan(svc, [pod("a")], api.list())
    assert (len(p.to_create), len(p.to_update), len(p.to_delete)) == (0, 1, 0)
    assert p.to_update[0]["metadata"]["name"] == s["metadata"]["name"]
    api.apply(p)
    # the last pod going away turns the slice back into the placeholder (one write)
    p = plan(svc, [], api.list())
    assert p.writes() == 1
    api.apply(p)
    (s,) = api.list()
    assert s["endpoints"] == [] and s["ports"] == []


def test_dual_stack_placeholder_per_family() -> None:
    svc = service(set_ip_families("IPv4", "IPv6"), set_cluster_ips("10.96.0.10", "fd00::10"))
    p = plan(svc, [])
    assert sorted(s["addressType"] for s in p.to_create) == ["IPv4", "IPv6"]


def test_headless_without_families_serves_both() -> None:
    svc = service(set_headless)
    svc["spec"].pop("ipFamilies")
    p = plan(svc, [pod("a", ("10.0.0.1", "fd00::1"))])
    assert sorted(s["addressType"] for s in p.to_create) == ["IPv4", "IPv6"]


def test_max_endpoints_per_slice_splits() -> None:
    pods = [pod(f"p{i}", f"10.0.{i // 250}.{i % 250 + 1}") for i in range(250)]
    p = plan(service(), pods, max_endpoints_per_slice=100)
    assert sorted(len(s["endpoints"]) for s in p.to_create) == [50, 100, 100]


def test_slice_of_unsupported_address_type_and_foreign_owner_are_replaced() -> None:
    svc = service()
    api = converge(svc, [pod("a")])
    (s,) = api.list()
    v6 = copy.deepcopy(s)
    v6["metadata"]["name"] = "web-v6"
    v6["addressType"] = "IPv6"
    old_owner = copy.deepcopy(s)
    old_owner["metadata"]["name"] = "web-old"
    old_owner["metadata"]["ownerReferences"][0]["uid"] = "previous-service"
    p = plan(svc, [pod("a")], [s, v6, old_owner])
    assert sorted(x["metadata"]["name"] for x in p.to_delete) == ["web-old", "web-v6"]
    assert p.to_create == [] and p.to_update == []


def test_service_label_change_updates_labels_only() -> None:
    svc = service()
    api = converge(svc, [pod("a")])
    svc2 = service(set_labels({"tier": "front"}))
    p = plan(svc2, [pod("a")], api.list())
    assert (len(p.to_create), len(p.to_update), len(p.to_delete)) == (0, 1, 0)
    assert p.to_update[0]["metadata"]["labels"]["tier"] == "front"
    api.apply(p)
    assert plan(svc2, [pod("a")], api.list()).is_empty()


def test_pod_resource_version_change_alone_writes_nothing() -> None:
    svc = service()
    api = converge(svc, [pod("a")])
    s = api.list()[0]
    s["endpoints"][0]["targetRef"]["resourceVersion"] = "123"
    assert plan(svc, [pod("a")], [s]).is_empty()


@pytest.mark.parametrize("td", ["PreferClose", "PreferSameZone"])
def test_prefer_close_hints_own_zone_for_ready_endpoints(td: str) -> None:
    svc = service(set_traffic_distribution(td))
    p = plan(
        svc,
        [
            pod("a", "10.0.0.1", True, "n1"),
            pod("b", "10.0.0.2", True, "n3"),
            pod("c", "10.0.0.3", False, "n2"),
        ],
    )
    eps = {ep["targetRef"]["name"]: ep for ep in p.to_create[0]["endpoints"]}
    assert eps["a"]["hints"] == {"forZones": [{"name": "zone-a"}]}
    assert "hints" not in eps["b"]  # no zone
    assert "hints" not in eps["c"]  # not ready


def test_prefer_same_node_adds_node_hints() -> None:
    svc = service(set_traffic_distribution("PreferSameNode"))
    ep = plan(svc, [pod("a")]).to_create[0]["endpoints"][0]
    assert ep["hints"] == {"forZones": [{"name": "zone-a"}], "forNodes": [{"name": "n1"}]}


def test_hints_added_to_and_removed_from_unchanged_slices() -> None:
    svc = service()
    api = converge(svc, [pod("a")])
    close = service(set_traffic_distribution("PreferClose"))
    p = plan(close, [pod("a")], api.list())
    assert len(p.to_update) == 1 and p.to_update[0]["endpoints"][0]["hints"] == {
        "forZones": [{"name": "zone-a"}]
    }
    api.apply(p)
    assert plan(close, [pod("a")], api.list()).is_empty()
    p = plan(svc, [pod("a")], api.list())
    assert len(p.to_update) == 1 and "hints" not in p.to_update[0]["endpoints"][0]


def test_topology_mode_annotation_disables_traffic_distribution_hints() -> None:
    svc = service(set_traffic_distribution("PreferClose"))
    svc["metadata"]["annotations"] = {"service.kubernetes.io/topology-mode": "Auto"}
    assert "hints" not in plan(svc, [pod("a")]).to_create[0]["endpoints"][0]


def test_trigger_time_annotation_set_on_written_slices_and_cleared() -> None:
    svc = service()
    p = plan(svc, [pod("a")], trigger_time="2024-01-01T00:00:00.5Z")
    assert p.to_create[0]["metadata"]["annotations"] == {ANNOTATION_TRIGGER_TIME: "2024-01-01T00:00:00.5Z"}
    api = FakeApi()
    api.apply(p)
    p = plan(svc, [pod("a", "10.0.0.1", False)], api.list())
    assert ANNOTATION_TRIGGER_TIME not in p.to_update[0]["metadata"].get("annotations", {})


def test_service_being_deleted_creates_nothing() -> None:
    svc = service()
    svc["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert plan(svc, [pod("a")]).to_create == []


def test_inputs_are_not_modified() -> None:
    svc = service(set_traffic_distribution("PreferClose"))
    pods = [pod(f"p{i}", f"10.0.0.{i + 1}", i % 2 == 0) for i in range(30)]
    api = converge(svc, pods[:20], max_endpoints_per_slice=7)
    existing = api.list()
    snapshot = copy.deepcopy((svc, pods, existing))
    plan(svc, pods, existing, max_endpoints_per_slice=7)
    assert (svc, pods, existing) == snapshot


# -- properties -----------------------------------------------------------------------------

pod_specs = st.lists(
    st.tuples(
        st.booleans(),
        st.sampled_from(["n1", "n2", "n3"]),
        st.sampled_from(["ok", "ok", "ok", "noip", "failed", "terminating"]),
    ),
    max_size=120,
)


def build_pods(specs: list[tuple[bool, str, str]]) -> list[Obj]:
    pods = []
    for i, (ready, node_name, kind) in enumerate(specs):
        if kind == "noip":
            p = make_pod(f"p{i}", set_node_name(node_name))
            p["metadata"]["uid"] = f"uid-p{i}"
        elif kind == "failed":
            p = pod(f"p{i}", f"10.1.{i // 200}.{i % 200 + 1}", ready, node_name, set_phase("Failed"))
        elif kind == "terminating":
            p = pod(f"p{i}", f"10.1.{i // 200}.{i % 200 + 1}", ready, node_name, set_deletion_timestamp())
        else:
            p = pod(f"p{i}", f"10.1.{i // 200}.{i % 200 + 1}", ready, node_name)
        pods.append(p)
    return pods


def expected_addresses(pods: list[Obj]) -> list[str]:
    return sorted(
        p["status"]["podIP"]
        for p in pods
        if p["status"].get("podIP") and p["status"]["phase"] not in ("Failed", "Succeeded")
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=pod_specs, later=pod_specs, max_per=st.sampled_from([1, 2, 3, 5, 10, 100]))
def test_property_converges_each_endpoint_once_never_over_max(
    specs: list[tuple[bool, str, str]], later: list[tuple[bool, str, str]], max_per: int
) -> None:
    svc = service()
    api = FakeApi()
    for round_specs in (specs, later):
        pods = build_pods(round_specs)
        converge(svc, pods, api, max_endpoints_per_slice=max_per)
        slices = api.list()
        got = addresses(slices)
        assert got == expected_addresses(pods), "every endpoint in exactly one slice"
        assert all(len(s["endpoints"]) <= max_per for s in slices)
        assert all(s["addressType"] == "IPv4" for s in slices)
        assert plan(svc, pods, slices, max_endpoints_per_slice=max_per).is_empty(), "re-planning is empty"
        if not got:
            assert len(slices) == 1 and slices[0]["endpoints"] == [], "one placeholder"
        else:
            assert all(s["endpoints"] for s in slices), "no empty slices besides the placeholder"


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 150),
    max_per=st.sampled_from([1, 3, 10, 100]),
    flip=st.integers(0, 10**6),
    what=st.sampled_from(["ready", "unready", "terminating", "delete"]),
)
def test_property_one_pod_change_is_one_slice_write(n: int, max_per: int, flip: int, what: str) -> None:
    svc = service()
    pods = [pod(f"p{i}", f"10.2.{i // 200}.{i % 200 + 1}", i % 3 != 0) for i in range(n)]
    api = converge(svc, pods, max_endpoints_per_slice=max_per)
    i = flip % n
    changed = list(pods)
    if what == "ready":
        changed[i] = pod(f"p{i}", f"10.2.{i // 200}.{i % 200 + 1}", True)
    elif what == "unready":
        changed[i] = pod(f"p{i}", f"10.2.{i // 200}.{i % 200 + 1}", False)
    elif what == "terminating":
        changed[i] = pod(f"p{i}", f"10.2.{i // 200}.{i % 200 + 1}", True, "n1", set_deletion_timestamp())
    else:
        del changed[i]
    p = plan(svc, changed, api.list(), max_endpoints_per_slice=max_per)
    assert p.writes() <= 1
    assert p.to_create == []


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 120), add=st.integers(1, 30), max_per=st.sampled_from([5, 10, 100]))
def test_property_new_slice_only_when_existing_cannot_take_the_new_endpoints(
    n: int, add: int, max_per: int
) -> None:
    svc = service()
    pods = [pod(f"p{i}", f"10.3.0.{i + 1}") for i in range(n)]
    api = converge(svc, pods, max_endpoints_per_slice=max_per)
    before = api.list()
    more = pods + [pod(f"q{i}", f"10.3.1.{i + 1}") for i in range(add)]
    p = plan(svc, more, before, max_endpoints_per_slice=max_per)
    free = sum(max_per - len(s["endpoints"]) for s in before)
    best_room = max((max_per - len(s["endpoints"]) for s in before), default=0)
    if add < max_per and best_room >= add:
        assert p.to_create == [], "the new endpoints fit into an existing slice"
        assert p.writes() == 1
    if p.to_create:
        assert add >= max_per or best_room < add
        assert sum(len(s["endpoints"]) for s in p.to_create) >= add - free
    api.apply(p)
    assert addresses(api.list()) == expected_addresses(more)


@settings(max_examples=40, deadline=None)
@given(rounds=st.lists(pod_specs, min_size=1, max_size=4), max_per=st.sampled_from([2, 5, 100]))
def test_property_memo_changes_nothing(rounds: list[list[tuple[bool, str, str]]], max_per: int) -> None:
    svc = service(set_traffic_distribution("PreferClose"))
    plain, memoized = FakeApi(), FakeApi()
    memo: dict[str, Any] = {}
    for specs in rounds:
        pods = build_pods(specs)
        for p, spec_ in zip(pods, specs):
            # an unchanged Pod keeps its resourceVersion across rounds: memo hits
            p["metadata"]["resourceVersion"] = f"{p['metadata']['name']}-{spec_}"
        a = plan_slices(svc, pods, NODES, plain.list(), max_endpoints_per_slice=max_per)
        b = plan_slices(svc, pods, NODES, memoized.list(), max_endpoints_per_slice=max_per, memo=memo)
        assert (a.to_create, a.to_update, a.to_delete) == (b.to_create, b.to_update, b.to_delete)
        plain.apply(a)
        memoized.apply(b)
    assert plain.list() == memoized.list()
