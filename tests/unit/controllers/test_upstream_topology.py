"""Upstream's topology-aware hints cases ("Auto" annotation): topologycache_test.go (TestAddHints,
TestSetNodes) and reconciler_test.go (TestReconcileTopology, TestReconcile_TrafficDistribution
with the annotation), run against `hints.add_topology_hints` / `cpu_ratios_by_zone` and the plan."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.controllers.endpointslice.hints import (
    MSG_INSUFFICIENT_ENDPOINTS,
    MSG_INSUFFICIENT_NODE_INFO,
    MSG_MIN_EXCEEDS_OVERLOAD,
    MSG_NO_ZONE_SPECIFIED,
    add_topology_hints,
    cpu_ratios_by_zone,
    quantity_milli,
)
from kubesvc.controllers.endpointslice.reconciler import plan_slices
from tests.unit.controllers.test_upstream_endpointslice import (
    FakeApi,
    endpoint_of,
    new_node,
    new_pod,
    owner_ref,
    svc_and_ports,
)

Obj = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"


def ep(addr: str, zone: str | None, ready: bool | None = True, hint: str | None = None) -> Obj:
    out: Obj = {"addresses": [addr], "conditions": {} if ready is None else {"ready": ready}}
    if zone:
        out["zone"] = zone
    if hint:
        out["hints"] = {"forZones": [{"name": hint}]}
    return out


def sl(*endpoints: Obj) -> Obj:
    return {"metadata": {"name": ""}, "addressType": "IPv4", "endpoints": list(endpoints)}


def copy_slice(s: Any) -> Obj:
    return copy.deepcopy(dict(s))


def zone_hints(slices: list[Obj]) -> list[list[str | None]]:
    return [
        [(e.get("hints") or {}).get("forZones", [{}])[0].get("name") for e in s["endpoints"]] for s in slices
    ]


# -- TestAddHints -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    (
        "name",
        "ratios",
        "create",
        "update",
        "want_create_hints",
        "want_update_hints",
        "want_alloc",
        "want_event",
    ),
    [
        ("empty", None, [], [], [], [], None, MSG_INSUFFICIENT_NODE_INFO),
        (
            "slice to create, no zone ratios",
            None,
            [sl(ep("10.1.2.3", "zone-a"))],
            [],
            [[None]],
            [],
            None,
            MSG_INSUFFICIENT_NODE_INFO,
        ),
        (
            "2 endpoints, zone ratios require 3",
            {"zone-a": 0.3, "zone-b": 0.4, "zone-c": 0.3},
            [sl(ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b"))],
            [],
            [[None, None]],
            [],
            None,
            MSG_INSUFFICIENT_ENDPOINTS,
        ),
        (
            "2 endpoints, zone ratios only require 2",
            {"zone-a": 0.45, "zone-b": 0.55},
            [sl(ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b"))],
            [],
            [["zone-a", "zone-b"]],
            [],
            {"zone-a": 1, "zone-b": 1},
            None,
        ),
        (
            "2 ready, 1 unready, 1 unknown endpoints",
            {"zone-a": 0.45, "zone-b": 0.55},
            [
                sl(
                    ep("10.1.2.3", "zone-a"),
                    ep("10.1.2.4", "zone-b"),
                    ep("10.1.2.5", "zone-b", False),
                    ep("10.1.2.6", "zone-b", None),
                )
            ],
            [],
            [["zone-a", "zone-b", None, None]],
            [],
            {"zone-a": 1, "zone-b": 1},
            None,
        ),
        (
            "slices to create and update within 3 zone threshold",
            {"zone-a": 0.35, "zone-b": 0.35, "zone-c": 0.30},
            [
                sl(ep("10.1.2.3", "zone-a"), ep("10.1.2.4", "zone-b")),
                sl(ep("10.1.3.3", "zone-c"), ep("10.1.3.4", "zone-c"), ep("10.1.3.4", "zone-a")),
            ],
            [
                sl(ep("10.2.2.3", "zone-a"), ep("10.2.2.4", "zone-a")),
                sl(ep("10.2.3.3", "zone-b"), ep("10.2.3.4", "zone-c"), ep("10.2.3.4", "zone-a")),
            ],
            [["zone-b", "zone-b"], ["zone-c", "zone-c", "zone-a"]],
            [["zone-a", "zone-a"], ["zone-b", "zone-c", "zone-a"]],
            {"zone-a": 4, "zone-b": 3, "zone-c": 3},
            None,
        ),
        (
            "endpoint without zone removes all hints",
            {"zone-a": 0.5, "zone-b": 0.5},
            [
                sl(
                    ep("1.0.0.1", "zone-a"),
                    ep("1.0.0.2", None),
                    ep("1.0.0.3", "zone-b"),
                    ep("1.0.0.4", "zone-a"),
                    ep("1.0.0.5", "zone-b"),
                    ep("1.0.0.6", "zone-a"),
                )
            ],
            [],
            [[None] * 6],
            [],
            None,
            MSG_NO_ZONE_SPECIFIED,
        ),
        (
            "minimum allocations exceed the overload threshold",
            {"zone-a": 1 / 3, "zone-b": 1 / 3, "zone-c": 1 / 3},
            [
                sl(
                    ep("1.0.0.1", "zone-a"),
                    ep("1.0.0.2", "zone-a"),
                    ep("1.0.0.3", "zone-c"),
                    ep("1.0.0.4", "zone-c"),
                )
            ],
            [],
            [[None, None, None, None]],
            [],
            None,
            MSG_MIN_EXCEEDS_OVERLOAD,
        ),
    ],
)
def test_add_hints(
    name: str,
    ratios: dict[str, float] | None,
    create: list[Obj],
    update: list[Obj],
    want_create_hints: list[list[str | None]],
    want_update_hints: list[list[str | None]],
    want_alloc: dict[str, int] | None,
    want_event: str | None,
) -> None:
    extra, allocated, events = add_topology_hints(create, update, [], ratios, "IPv4", copy_slice)
    assert extra == []
    assert zone_hints(create) == want_create_hints
    assert zone_hints(update) == want_update_hints
    assert allocated == want_alloc
    if want_event is None:
        assert events == []
    else:
        ((etype, reason, message),) = events
        assert (etype, reason) == ("Warning", "TopologyAwareHintsDisabled")
        assert message.startswith(want_event) and message.endswith(", addressType: IPv4")


def test_unchanged_slice_with_valid_hints_stays_unchanged_and_invalid_one_is_updated() -> None:
    ratios = {"zone-a": 0.5, "zone-b": 0.5}
    good = sl(ep("1.0.0.1", "zone-a", hint="zone-a"), ep("1.0.0.2", "zone-b", hint="zone-b"))
    good["metadata"]["name"] = "good"
    stale = sl(ep("1.0.0.3", "zone-a", hint="zone-gone"), ep("1.0.0.4", "zone-b"))
    stale["metadata"]["name"] = "stale"
    extra, allocated, events = add_topology_hints([], [], [good, stale], ratios, "IPv4", copy_slice)
    assert [s["metadata"]["name"] for s in extra] == ["stale"]
    assert zone_hints(extra) == [["zone-a", "zone-b"]]
    assert allocated == {"zone-a": 2, "zone-b": 2}
    assert events == []
    assert stale["endpoints"][0]["hints"] == {
        "forZones": [{"name": "zone-gone"}]
    }  # the cached slice is untouched


def test_removing_hints_updates_unchanged_slices_that_hold_some() -> None:
    hinted = sl(ep("1.0.0.1", "zone-a", hint="zone-a"))
    plain = sl(ep("1.0.0.2", "zone-b"))
    extra, allocated, _ = add_topology_hints([], [], [hinted, plain], None, "IPv4", copy_slice)
    assert allocated is None
    assert len(extra) == 1 and "hints" not in extra[0]["endpoints"][0]


# -- TestSetNodes ---------------------------------------------------------------------------------


def node(zone: str, cpu: str, ready: str = "True", **labels: str) -> Obj:
    lab = dict(labels)
    if zone:
        lab[ZONE] = zone
    return {
        "metadata": {"name": f"n-{zone}-{cpu}", "labels": lab},
        "status": {"allocatable": {"cpu": cpu}, "conditions": [{"type": "Ready", "status": ready}]},
    }


CP = {"node-role.kubernetes.io/control-plane": ""}


@pytest.mark.parametrize(
    ("name", "nodes", "want"),
    [
        ("empty", [], None),
        ("single node", [node("zone-a", "1000m")], None),
        ("single zone", [node("zone-a", "1000m"), node("zone-a", "1000m")], None),
        ("2 zones", [node("zone-a", "1000m"), node("zone-b", "1000m")], {"zone-a": 0.5, "zone-b": 0.5}),
        ("2 zones, unready node in 1", [node("zone-a", "1000m", "False"), node("zone-b", "1000m")], None),
        ("2 zones, control plane node in 1", [node("zone-a", "1000m"), node("zone-b", "1000m", **CP)], None),
        (
            "2 zones, unready node in 1, ready node in 2",
            [node("zone-a", "1000m"), node("zone-b", "1000m"), node("zone-b", "1000m", "False")],
            {"zone-a": 0.5, "zone-b": 0.5},
        ),
        (
            "2 zones, control plane node in 1, ready node in 2",
            [node("zone-a", "1000m"), node("zone-b", "1000m"), node("zone-b", "1000m", **CP)],
            {"zone-a": 0.5, "zone-b": 0.5},
        ),
        (
            "3 zones, 4 nodes in 1, 2 nodes in 1, 1 node in 1",
            [
                node("zone-a", "1000m"),
                node("zone-a", "1000m"),
                node("zone-a", "1000m"),
                node("zone-a", "2000m"),
                node("zone-b", "3000m"),
                node("zone-b", "1500m"),
                node("zone-c", "500m"),
            ],
            {"zone-a": 0.5, "zone-b": 0.45, "zone-c": 0.05},
        ),
        ("a ready node without zone", [node("zone-a", "1"), node("", "1"), node("zone-b", "1")], None),
        ("a ready node without cpu", [node("zone-a", "1"), node("zone-b", "0")], None),
    ],
)
def test_cpu_ratios_by_zone(name: str, nodes: list[Obj], want: dict[str, float] | None) -> None:
    assert cpu_ratios_by_zone(nodes) == want


@pytest.mark.parametrize(
    ("text", "milli"), [("1", 1000), ("100m", 100), ("1.5", 1500), ("2k", 2_000_000), ("", 0)]
)
def test_cpu_quantity(text: str, milli: int) -> None:
    assert quantity_milli(text) == milli


# -- TestReconcileTopology / TestReconcile_TrafficDistribution (annotation Auto) -----------------------

ZONES = ["zone-a", "zone-b", "zone-c"]


def _cluster() -> tuple[list[Obj], dict[str, Obj]]:
    """3 zones, 10 ready Nodes (100m CPU) per zone, one Pod on each Node."""
    pods: list[Obj] = []
    nodes: dict[str, Obj] = {}
    for i, zone in enumerate(ZONES):
        for j in range(10):
            name = f"node-{zone}-{j}"
            n = new_node(name, zone)
            n["status"] = {
                "conditions": [{"type": "Ready", "status": "True"}],
                "allocatable": {"cpu": "100m"},
            }
            nodes[name] = n
            p = new_pod(i * 100 + j)
            p["spec"]["nodeName"] = name
            pods.append(p)
    return pods, nodes


SLICE_PODS = {"zone-a-b": [7, 8, 16, 17, 18], "zone-a-c": [5, 6, 25, 26], "zone-c": [27, 28, 29]}


def _topology_case(names: list[str], annotation: str) -> tuple[FakeApi, Obj, list[Obj], dict[str, Obj]]:
    pods, nodes = _cluster()
    svc, ports = svc_and_ports("foo", "testing")
    svc["metadata"]["annotations"] = {HINTS_ANNOTATION: annotation}
    slices, selected = [], []
    for name in names:
        members = [pods[k] for k in SLICE_PODS[name]]
        for p in members:
            p["metadata"]["namespace"] = "testing"
        selected += members
        slices.append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name,
                    "namespace": "testing",
                    "labels": {
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                        "kubernetes.io/service-name": "foo",
                    },
                    "ownerReferences": [owner_ref(svc)],
                },
                "addressType": "IPv4",
                "ports": copy.deepcopy(ports),
                "endpoints": [
                    endpoint_of(p, nodes[p["spec"]["nodeName"]]["metadata"]["labels"][ZONE]) for p in members
                ],
            }
        )
    return FakeApi(slices), svc, selected, nodes


def _hint_stats(api: FakeApi) -> tuple[dict[str, int], int, int]:
    hints: dict[str, int] = {}
    cross = without = 0
    for s in api.list():
        for e in s["endpoints"]:
            fz = (e.get("hints") or {}).get("forZones") or []
            if not fz:
                without += 1
                continue
            assert len(fz) == 1
            hints[fz[0]["name"]] = hints.get(fz[0]["name"], 0) + 1
            cross += fz[0]["name"] != e["zone"]
    return hints, cross, without


@pytest.mark.parametrize(
    ("name", "slices", "annotation", "want_hints", "want_cross", "want_updates", "want_event"),
    [
        (
            "annotation auto: one slice of zone-c spread over 3 zones",
            ["zone-c"],
            "auto",
            {"zone-a": 1, "zone-b": 1, "zone-c": 1},
            2,
            1,
            "TopologyAwareHintsEnabled",
        ),
        (
            "annotation auto, ratio beyond threshold: no hints",
            ["zone-a-c"],
            "auto",
            {},
            0,
            0,
            "TopologyAwareHintsDisabled",
        ),
        (
            "annotation Auto, more slices and endpoints",
            ["zone-a-c", "zone-a-b"],
            "Auto",
            {"zone-a": 3, "zone-b": 3, "zone-c": 3},
            1,
            2,
            "TopologyAwareHintsEnabled",
        ),
        ("annotation disabled: no hints", ["zone-a-c", "zone-a-b"], "disabled", {}, 0, 0, None),
    ],
)
def test_reconcile_topology(
    name: str,
    slices: list[str],
    annotation: str,
    want_hints: dict[str, int],
    want_cross: int,
    want_updates: int,
    want_event: str | None,
) -> None:
    api, svc, pods, nodes = _topology_case(slices, annotation)
    p = plan_slices(svc, pods, nodes, api.list())
    api.apply(p)
    assert (api.creates, api.updates, api.deletes) == (0, want_updates, 0)
    hints, cross, _ = _hint_stats(api)
    assert hints == want_hints
    assert cross == want_cross
    assert [e[1] for e in p.events] == ([want_event] if want_event else [])
    assert p.topology_hints is (None if annotation == "disabled" else bool(want_hints))
    # re-planning writes nothing; the Enabled Event is not repeated (a Disabled one is, as upstream)
    again = plan_slices(svc, pods, nodes, api.list(), topology_hints_populated=bool(p.topology_hints))
    assert again.is_empty()
    assert [e[1] for e in again.events] == (
        [want_event] if want_event == "TopologyAwareHintsDisabled" else []
    )


def test_traffic_distribution_with_annotation_auto_uses_proportional_hints() -> None:
    """TestReconcile_TrafficDistribution "trafficDistribution=PreferClose, topologyAnnotation=Auto":
    the annotation wins: 2 hints per zone, one endpoint of zone-b hinted for zone-a."""
    nodes = {}
    for i, zone in enumerate(ZONES):
        n = new_node(f"node-{i}", zone)
        n["status"] = {"conditions": [{"type": "Ready", "status": "True"}], "allocatable": {"cpu": "100m"}}
        nodes[f"node-{i}"] = n
    pods = [new_pod(i) for i in range(6)]
    for p, nn in zip(pods, ["node-0", "node-1", "node-1", "node-1", "node-2", "node-2"]):
        p["spec"]["nodeName"] = nn
    svc, _ = svc_and_ports("foo", "ns1")
    svc["spec"]["trafficDistribution"] = "PreferClose"
    svc["metadata"]["annotations"] = {HINTS_ANNOTATION: "Auto"}
    api = FakeApi()
    api.apply(plan_slices(svc, pods, nodes, []))
    hints, cross, _ = _hint_stats(api)
    assert hints == {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    assert cross == 1


def test_switching_annotation_off_removes_hints_with_a_disabled_event() -> None:
    api, svc, pods, nodes = _topology_case(["zone-c"], "auto")
    first = plan_slices(svc, pods, nodes, api.list())
    api.apply(first)
    svc["metadata"]["annotations"] = {}
    p = plan_slices(svc, pods, nodes, api.list(), topology_hints_populated=True)
    api.apply(p)
    assert len(p.to_update) == 1
    assert p.events == [
        ("Warning", "TopologyAwareHintsDisabled", "Topology Aware Hints has been disabled, addressType: IPv4")
    ]
    assert _hint_stats(api)[0] == {}
    assert p.topology_hints is None


@settings(max_examples=150, deadline=None)
@given(
    cpu=st.lists(st.integers(min_value=1, max_value=8), min_size=2, max_size=4),
    placement=st.lists(st.tuples(st.integers(min_value=0, max_value=3), st.booleans()), max_size=40),
)
def test_topology_hints_cover_every_ready_endpoint(cpu: list[int], placement: list[tuple[int, bool]]) -> None:
    """Property: when hints are allocated, every ready endpoint carries exactly one zone hint for
    a known zone, the per-zone counts add up to the ready endpoints; not-ready endpoints carry none."""
    zones = [f"z{i}" for i in range(len(cpu))]
    ratios = {z: c / sum(cpu) for z, c in zip(zones, cpu)}
    endpoints = [
        ep(f"10.0.{i // 250}.{i % 250}", zones[z % len(zones)], ready)
        for i, (z, ready) in enumerate(placement)
    ]
    create = [sl(*endpoints)]
    _, allocated, events = add_topology_hints(create, [], [], ratios, "IPv4", copy_slice)
    ready = [e for e in create[0]["endpoints"] if e["conditions"].get("ready")]
    assert all("hints" not in e for e in create[0]["endpoints"] if not e["conditions"].get("ready"))
    if allocated is None:
        assert events and all("hints" not in e for e in create[0]["endpoints"])
        return
    assert events == []
    assert sum(allocated.values()) == len(ready)
    counts: dict[str, int] = {}
    for e in ready:
        (hint,) = e["hints"]["forZones"]
        assert hint["name"] in ratios
        counts[hint["name"]] = counts.get(hint["name"], 0) + 1
    assert {z: n for z, n in allocated.items() if n} == counts
    # No per-zone minimum is asserted: upstream's AddHints redistributes towards each zone's
    # desired share and does not re-check the minimum afterwards (a zone can end one below it
    # through float rounding, e.g. ratio 0.2 x 12 endpoints); the overload check is separate.
