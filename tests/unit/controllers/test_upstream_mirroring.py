"""Upstream's EndpointSlice mirroring cases (pkg/controller/endpointslicemirroring:
reconciler_test.go TestReconcile, endpointslicemirroring_controller_test.go TestSyncEndpoints /
TestShouldMirror, utils_test.go TestNewEndpointSlice / TestAddressToEndpoint), run against our
pure `plan_mirrored_slices`.  Facts carried over in our words; upstream counts client actions,
we count the writes of the plan (events are reported separately in the plan)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from kubesvc.controllers.mirroring.reconciler import (
    ANNOTATION_LAST_APPLIED,
    ANNOTATION_LEADER,
    ANNOTATION_TRIGGER_TIME,
    CONTROLLER_NAME,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    LABEL_SKIP_MIRROR,
    MirrorPlan,
    address_to_endpoint,
    new_mirrored_slice,
    plan_mirrored_slices,
    should_mirror,
)

Obj = dict[str, Any]
SELECTORLESS: Obj = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "test-ep", "namespace": "test"},
    "spec": {},
}


def endpoints(subsets: list[Obj], name: str = "test-ep", **meta: Any) -> Obj:
    m: Obj = {"name": name, "namespace": "test", "uid": "ep-uid", **meta}
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": m, "subsets": subsets}


def a(ip: str, host: str, node: str) -> Obj:
    return {"ip": ip, "hostname": host, "nodeName": node}


HTTP_HTTPS = [
    {"name": "http", "port": 80, "protocol": "TCP"},
    {"name": "https", "port": 443, "protocol": "UDP"},
]
HTTP_HTTPS_3000 = [
    {"name": "http", "port": 3000, "protocol": "TCP"},
    {"name": "https", "port": 3001, "protocol": "UDP"},
]


def two_subsets(first: list[Obj], second: list[Obj]) -> list[Obj]:
    return [{"ports": HTTP_HTTPS, "addresses": first}, {"ports": HTTP_HTTPS_3000, "addresses": second}]


FIRST = [a("10.0.0.1", "pod-1", "node-1"), a("10.0.0.2", "pod-2", "node-2")]
SECOND = [
    a("10.0.1.1", "pod-11", "node-1"),
    a("10.0.1.2", "pod-12", "node-2"),
    a("10.0.1.3", "pod-13", "node-3"),
]


def slice_for_first(endpoints_: list[Obj]) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "test-ep-1",
            "namespace": "test",
            "resourceVersion": "5",
            "labels": {LABEL_SERVICE_NAME: "test-ep", LABEL_MANAGED_BY: CONTROLLER_NAME},
        },
        "addressType": "IPv4",
        "ports": [
            {"name": "http", "port": 80, "protocol": "TCP"},
            {"name": "https", "port": 443, "protocol": "UDP"},
        ],
        "endpoints": endpoints_,
    }


def writes(p: MirrorPlan) -> tuple[int, int, int]:
    return (len(p.create), len(p.update), len(p.delete))


def mirrored_addresses(
    p: MirrorPlan,
) -> dict[tuple[str, tuple[int, ...]], list[tuple[str, bool, str | None, str | None]]]:
    out: dict[tuple[str, tuple[int, ...]], list[tuple[str, bool, str | None, str | None]]] = {}
    for s in p.create + p.update:
        key = (s["addressType"], tuple(sorted(port["port"] for port in s["ports"])))
        out[key] = sorted(
            (ep["addresses"][0], ep["conditions"]["ready"], ep.get("hostname"), ep.get("nodeName"))
            for ep in s["endpoints"]
        )
    return out


@pytest.mark.parametrize(
    ("name", "subsets", "existing", "max_per_subset", "want_writes", "want_slices", "want_skipped"),
    [
        ("no subsets", [], [], 1000, (0, 0, 0), 0, 0),
        (
            "no addresses",
            [{"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}],
            [],
            1000,
            (0, 0, 0),
            0,
            0,
        ),
        (
            "1 subset, port, and address",
            [
                {
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                    "addresses": [a("10.0.0.1", "pod-1", "node-1")],
                }
            ],
            [],
            1000,
            (1, 0, 0),
            1,
            0,
        ),
        (
            "1 subset, 2 ports, 2 addresses",
            [{"ports": HTTP_HTTPS, "addresses": FIRST}],
            [],
            1000,
            (1, 0, 0),
            1,
            0,
        ),
        ("2 subsets, multiple ports and addresses", two_subsets(FIRST, SECOND), [], 1000, (2, 0, 0), 2, 0),
        (
            "2 subsets, existing empty slice",
            two_subsets(FIRST, SECOND),
            [slice_for_first([])],
            1000,
            (1, 1, 0),
            2,
            0,
        ),
        (
            "2 subsets, existing slice with some addresses",
            two_subsets(FIRST, SECOND),
            [
                slice_for_first(
                    [
                        {"addresses": ["10.0.0.2"], "hostname": "pod-2"},
                        {"addresses": ["10.0.0.1", "10.0.0.3"], "hostname": "pod-1"},
                    ]
                )
            ],
            1000,
            (1, 1, 0),
            2,
            0,
        ),
        (
            "2 subsets, existing slice identical to subset",
            two_subsets(FIRST, SECOND),
            [
                slice_for_first(
                    [
                        {
                            "addresses": ["10.0.0.1"],
                            "hostname": "pod-1",
                            "nodeName": "node-1",
                            "conditions": {"ready": True},
                        },
                        {
                            "addresses": ["10.0.0.2"],
                            "hostname": "pod-2",
                            "nodeName": "node-2",
                            "conditions": {"ready": True},
                        },
                    ]
                )
            ],
            1000,
            (1, 0, 0),
            2,
            0,
        ),
        (
            "2 subsets, dual stack addresses",
            two_subsets(
                [
                    a("2001:db8:2222:3333:4444:5555:6666:7777", "pod-1", "node-1"),
                    a("10.0.0.2", "pod-2", "node-2"),
                ],
                [
                    a("10.0.1.1", "pod-11", "node-1"),
                    a("10.0.1.2", "pod-12", "node-2"),
                    a("2001:db8:3333:4444:5555:6666:7777:8888", "pod-13", "node-3"),
                ],
            ),
            [],
            1000,
            (4, 0, 0),
            4,
            0,
        ),
        (
            "2 subsets, ipv6 only addresses",
            two_subsets(
                [
                    a("2001:db8:1111:3333:4444:5555:6666:7777", "pod-1", "node-1"),
                    a("2001:db8:2222:3333:4444:5555:6666:7777", "pod-2", "node-2"),
                ],
                [
                    a("2001:db8:3333:3333:4444:5555:6666:7777", "pod-11", "node-1"),
                    a("2001:db8:4444:3333:4444:5555:6666:7777", "pod-12", "node-2"),
                    a("2001:db8:5555:3333:4444:5555:6666:7777", "pod-13", "node-3"),
                ],
            ),
            [],
            1000,
            (2, 0, 0),
            2,
            0,
        ),
        (
            "2 subsets, some invalid addresses",
            two_subsets(
                [
                    a("2001:db8:1111:3333:4444:5555:6666:7777", "pod-1", "node-1"),
                    a("this-is-not-an-ip", "pod-2", "node-2"),
                ],
                [
                    a("this-is-also-not-an-ip", "pod-11", "node-1"),
                    a("2001:db8:4444:3333:4444:5555:6666:7777", "pod-12", "node-2"),
                    a("2001:db8:5555:3333:4444:5555:6666:7777", "pod-13", "node-3"),
                ],
            ),
            [],
            1000,
            (2, 0, 0),
            2,
            2,
        ),
        (
            "2 subsets, all invalid addresses",
            two_subsets(
                [a("this-is-not-an-ip1", "pod-1", "node-1"), a("this-is-not-an-ip12", "pod-2", "node-2")],
                [
                    a("this-is-not-an-ip11", "pod-11", "node-1"),
                    a("this-is-not-an-ip12", "pod-12", "node-2"),
                    a("this-is-not-an-ip3", "pod-13", "node-3"),
                ],
            ),
            [],
            1000,
            (0, 0, 0),
            0,
            5,
        ),
        ("2 subsets, 1 exceeding maxEndpointsPerSubset", two_subsets(FIRST, SECOND), [], 2, (2, 0, 0), 2, 1),
    ],
)
def test_reconcile(
    name: str,
    subsets: list[Obj],
    existing: list[Obj],
    max_per_subset: int,
    want_writes: tuple[int, int, int],
    want_slices: int,
    want_skipped: int,
) -> None:
    ep = endpoints(copy.deepcopy(subsets))
    p = plan_mirrored_slices(
        ep, SELECTORLESS, copy.deepcopy(existing), max_endpoints_per_subset=max_per_subset
    )
    assert writes(p) == want_writes
    assert p.skipped_addresses == want_skipped
    after = {s["metadata"].get("name") or id(s) for s in p.create + p.update}
    untouched = [
        s
        for s in existing
        if s["metadata"]["name"] not in {x["metadata"].get("name") for x in p.update + p.delete}
    ]
    assert len(after) + len(untouched) == want_slices
    for s in p.create + p.update:
        assert s["metadata"]["labels"][LABEL_SERVICE_NAME] == "test-ep"
        assert s["metadata"]["labels"][LABEL_MANAGED_BY] == CONTROLLER_NAME
        assert (s["metadata"].get("name") or s["metadata"]["generateName"]).startswith("test-ep")
    # every valid address of each subset (up to the maximum) is mirrored with its hostname and node
    got = mirrored_addresses(p)
    for sub in subsets:
        ports = tuple(sorted(port["port"] for port in sub["ports"]))
        for family in ("IPv4", "IPv6"):
            want = []
            for addr in sub.get("addresses", []):
                valid = ("." in addr["ip"] and addr["ip"][0].isdigit()) or ":" in addr["ip"]
                is6 = ":" in addr["ip"]
                if valid and is6 == (family == "IPv6") and len(want) < max_per_subset:
                    want.append((addr["ip"], True, addr["hostname"], addr["nodeName"]))
            key = (family, ports)
            if key in got:
                assert got[key] == sorted(want)


def test_endpoints_pending_deletion_get_no_new_slices() -> None:
    ep = endpoints(
        [
            {
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                "addresses": [a("10.0.0.1", "pod-1", "node-1")],
            }
        ]
    )
    ep["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert writes(plan_mirrored_slices(ep, SELECTORLESS, [])) == (0, 0, 0)


def test_too_many_addresses_event_and_invalid_ip_event() -> None:
    subsets = two_subsets([a("10.0.0.1", "p", "n"), a("nope", "p2", "n")], SECOND)
    p = plan_mirrored_slices(endpoints(subsets), SELECTORLESS, [], max_endpoints_per_subset=2)
    reasons = {e.reason: e.message for e in p.events}
    assert reasons["InvalidIPAddress"] == "Skipped 1 invalid IP addresses when mirroring to EndpointSlices"
    assert reasons["TooManyAddressesToMirror"] == (
        "A max of 2 addresses can be mirrored to EndpointSlices per Endpoints subset. 2 addresses were skipped"
    )
    assert all(e.type == "Warning" for e in p.events)


# -- TestSyncEndpoints -----------------------------------------------------------------------


def generate_addresses(n: int) -> list[Obj]:
    return [{"ip": f"10.0.{i // 255}.{i % 255}"} for i in range(n)]


def mirrored(name: str = "testing-sync-endpoints-1", managed_by: str = CONTROLLER_NAME) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {LABEL_SERVICE_NAME: "testing-sync-endpoints", LABEL_MANAGED_BY: managed_by},
        },
        "addressType": "IPv4",
        "ports": [],
        "endpoints": [],
    }


PORT80 = [{"port": 80}]
SVC: Obj = {"metadata": {"name": "testing-sync-endpoints", "namespace": "default"}, "spec": {}}


@pytest.mark.parametrize(
    ("name", "service", "labels", "subsets", "existing", "want_writes", "want_events"),
    [
        ("no addresses", SVC, None, [{"ports": PORT80}], [], (0, 0, 0), 0),
        (
            "skip label true",
            SVC,
            {LABEL_SKIP_MIRROR: "true"},
            [{"ports": PORT80, "addresses": [{"ip": "10.0.0.1"}]}],
            [],
            (0, 0, 0),
            0,
        ),
        (
            "skip label false",
            SVC,
            {LABEL_SKIP_MIRROR: "false"},
            [{"ports": PORT80, "addresses": [{"ip": "10.0.0.1"}]}],
            [],
            (1, 0, 0),
            0,
        ),
        (
            "missing Service",
            None,
            None,
            [{"ports": PORT80, "addresses": [{"ip": "10.0.0.1"}]}],
            [],
            (0, 0, 0),
            0,
        ),
        (
            "Service with selector",
            {"metadata": SVC["metadata"], "spec": {"selector": {"foo": "bar"}}},
            None,
            [{"ports": PORT80, "addresses": [{"ip": "10.0.0.1"}]}],
            [],
            (0, 0, 0),
            0,
        ),
        ("existing slices to clean up", SVC, None, [{"ports": PORT80}], [mirrored()], (0, 0, 1), 0),
        (
            "slices of another controller are not ours",
            SVC,
            None,
            [{"ports": PORT80}],
            [mirrored(managed_by="something-else")],
            (0, 0, 0),
            0,
        ),
        (
            "1000 addresses",
            SVC,
            None,
            [{"ports": PORT80, "addresses": generate_addresses(1000)}],
            [],
            (1, 0, 0),
            0,
        ),
        (
            "1001 addresses: 1 not mirrored, one warning",
            SVC,
            None,
            [{"ports": PORT80, "addresses": generate_addresses(1001)}],
            [],
            (1, 0, 0),
            1,
        ),
    ],
)
def test_sync_endpoints(
    name: str,
    service: Obj | None,
    labels: Obj | None,
    subsets: list[Obj],
    existing: list[Obj],
    want_writes: tuple[int, int, int],
    want_events: int,
) -> None:
    meta: Obj = {"namespace": "default"}
    if labels:
        meta["labels"] = labels
    ep = endpoints(copy.deepcopy(subsets), name="testing-sync-endpoints", **meta)
    ep["metadata"]["namespace"] = "default"
    p = plan_mirrored_slices(ep, service, existing)
    assert writes(p) == want_writes
    assert len(p.events) == want_events
    for s in p.create:
        assert len(s["endpoints"]) <= 1000


@pytest.mark.parametrize(
    ("name", "labels", "annotations", "want"),
    [
        ("standard Endpoints", None, None, True),
        ("skip-mirror=true", {LABEL_SKIP_MIRROR: "true"}, None, False),
        ("skip-mirror=invalid", {LABEL_SKIP_MIRROR: "invalid"}, None, True),
        ("leader election annotation", None, {ANNOTATION_LEADER: ""}, False),
    ],
)
def test_should_mirror(name: str, labels: Obj | None, annotations: Obj | None, want: bool) -> None:
    meta: Obj = {"name": "test-endpoints"}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    assert should_mirror({"metadata": meta}) is want


# -- TestNewEndpointSlice / TestAddressToEndpoint ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "labels", "annotations", "want_labels", "want_annotations"),
    [
        ("plain", None, None, {}, None),
        ("with annotations", None, {"foo": "bar"}, {}, {"foo": "bar"}),
        ("with labels", {"foo": "bar"}, None, {"foo": "bar"}, None),
        ("with labels and annotations", {"foo": "bar"}, {"foo2": "bar2"}, {"foo": "bar"}, {"foo2": "bar2"}),
        (
            "trigger time and last-applied are not copied",
            {"foo": "bar"},
            {"foo2": "bar2", ANNOTATION_TRIGGER_TIME: "date", ANNOTATION_LAST_APPLIED: "{}"},
            {"foo": "bar"},
            {"foo2": "bar2"},
        ),
    ],
)
def test_new_endpoint_slice(
    name: str, labels: Obj | None, annotations: Obj | None, want_labels: Obj, want_annotations: Obj | None
) -> None:
    meta: Obj = {}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    ep = endpoints([{"ports": [{"port": 80}]}], name="foo", **meta)
    before = copy.deepcopy(ep)
    ports = [{"name": "foo", "protocol": "TCP"}]
    s = new_mirrored_slice(ep, ports, "IPv4", [])
    assert ep == before  # the Endpoints is not modified
    assert s["metadata"]["labels"] == {
        **want_labels,
        LABEL_SERVICE_NAME: "foo",
        LABEL_MANAGED_BY: CONTROLLER_NAME,
    }
    assert s["metadata"].get("annotations") == want_annotations
    assert s["metadata"]["generateName"] == "foo-"
    assert s["metadata"]["namespace"] == "test"
    assert s["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "name": "foo",
            "uid": "ep-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert s["ports"] == ports and s["addressType"] == "IPv4" and s["endpoints"] == []


def test_address_to_endpoint() -> None:
    ref = {"apiVersion": "v1", "kind": "Pod", "namespace": "default", "name": "foo"}
    got = address_to_endpoint(
        {"ip": "10.1.2.3", "hostname": "foo", "nodeName": "node-abc", "targetRef": ref}, True
    )
    assert got == (
        {
            "addresses": ["10.1.2.3"],
            "hostname": "foo",
            "conditions": {"ready": True},
            "targetRef": ref,
            "nodeName": "node-abc",
        },
        "IPv4",
    )


def test_mirrored_slices_are_recycled_and_converge() -> None:
    """Changing the ports of a one-subset Endpoints turns the (create, delete) pair into one update,
    and re-planning against the result is empty."""
    ep = endpoints(
        [{"ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "addresses": [{"ip": "10.0.0.1"}]}]
    )
    p1 = plan_mirrored_slices(ep, SELECTORLESS, [])
    counter = itertools.count()
    stored = []
    for s in p1.create:
        s = copy.deepcopy(s)
        s["metadata"]["name"] = f"test-ep-{next(counter)}"
        stored.append(s)
    ep["subsets"][0]["ports"][0]["port"] = 8080
    p2 = plan_mirrored_slices(ep, SELECTORLESS, stored)
    assert writes(p2) == (0, 1, 0)
    assert plan_mirrored_slices(ep, SELECTORLESS, p2.update).empty


def test_endpoints_pending_deletion_leave_existing_slices_alone() -> None:
    """syncEndpoints returns before reconciling when the Endpoints has a deletionTimestamp."""
    ep = endpoints(
        [{"ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "addresses": [{"ip": "10.0.0.9"}]}]
    )
    ep["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    stale = slice_for_first([{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}])
    assert writes(plan_mirrored_slices(ep, SELECTORLESS, [stale])) == (0, 0, 0)


def test_slices_pending_deletion_are_ignored() -> None:
    """dropEndpointSlicesPendingDeletion: a mirrored slice being deleted is neither updated nor
    counted; a fresh one is created."""
    ep = endpoints([{"ports": HTTP_HTTPS, "addresses": FIRST}])
    going = slice_for_first([])
    going["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert writes(plan_mirrored_slices(ep, SELECTORLESS, [going])) == (1, 0, 0)
