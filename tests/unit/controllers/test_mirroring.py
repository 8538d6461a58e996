"""The pure EndpointSlice mirroring plan (upstream pkg/controller/endpointslicemirroring rules)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.controllers.mirroring.reconciler import (
    CONTROLLER_NAME,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    MirrorPlan,
    plan_mirrored_slices,
    repack_subsets,
)

Obj = dict[str, Any]


def make_endpoints(
    name: str = "web", *subsets: Obj, labels: Obj | None = None, annotations: Obj | None = None
) -> Obj:
    meta: Obj = {"name": name, "namespace": "default", "uid": "ep-uid-1", "resourceVersion": "7"}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": list(subsets)}


def subset(
    ips: list[str], ports: list[tuple[str, int]] | None = None, not_ready: list[str] | None = None
) -> Obj:
    out: Obj = {"addresses": [{"ip": ip} for ip in ips]}
    if not_ready:
        out["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
    out["ports"] = [{"name": n, "port": p, "protocol": "TCP"} for n, p in (ports or [("http", 80)])]
    return out


def make_service(name: str = "web", selector: Obj | None = None) -> Obj:
    spec: Obj = {"ports": [{"port": 80}], "type": "ClusterIP"}
    if selector is not None:
        spec["selector"] = selector
    return {"metadata": {"name": name, "namespace": "default"}, "spec": spec}


_counter = itertools.count()


def apply_plan(plan: MirrorPlan, existing: list[Obj]) -> list[Obj]:
    """What the API would hold after the plan is applied."""
    by_name = {s["metadata"]["name"]: s for s in existing}
    for s in plan.delete:
        del by_name[s["metadata"]["name"]]
    for s in plan.update:
        assert s["metadata"]["name"] in by_name, "update of a slice that does not exist"
        by_name[s["metadata"]["name"]] = copy.deepcopy(s)
    for s in plan.create:
        new = copy.deepcopy(s)
        new["metadata"]["name"] = new["metadata"].pop("generateName") + f"x{next(_counter)}"
        by_name[new["metadata"]["name"]] = new
    return list(by_name.values())


def ips_of(slices: list[Obj], address_type: str | None = None) -> list[str]:
    return sorted(
        a
        for s in slices
        if address_type is None or s["addressType"] == address_type
        for e in s["endpoints"]
        for a in e["addresses"]
    )


# ---------------------------------------------------------------------------------------------


def test_single_subset_creates_one_slice_with_upstream_metadata() -> None:
    ep = make_endpoints(
        "web",
        subset(["10.0.0.1", "10.0.0.2"], not_ready=["10.0.0.3"]),
        labels={"app": "x"},
        annotations={
            "note": "kept",
            "endpoints.kubernetes.io/last-change-trigger-time": "2024-01-01T00:00:00Z",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
    )
    plan = plan_mirrored_slices(ep, make_service(), [])
    assert not plan.update and not plan.delete
    (s,) = plan.create
    assert s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["labels"] == {
        "app": "x",
        LABEL_SERVICE_NAME: "web",
        LABEL_MANAGED_BY: CONTROLLER_NAME,
    }
    assert s["metadata"]["annotations"] == {"note": "kept"}
    assert s["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "name": "web",
            "uid": "ep-uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert s["addressType"] == "IPv4"
    assert s["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert [(e["addresses"][0], e["conditions"]["ready"]) for e in s["endpoints"]] == [
        ("10.0.0.1", True),
        ("10.0.0.2", True),
        ("10.0.0.3", False),
    ]


@pytest.mark.parametrize(
    ("name", "endpoints", "service"),
    [
        (
            "skip-mirror label",
            make_endpoints(
                "web", subset(["10.0.0.1"]), labels={"endpointslice.kubernetes.io/skip-mirror": "true"}
            ),
            make_service(),
        ),
        (
            "leader election annotation",
            make_endpoints(
                "web", subset(["10.0.0.1"]), annotations={"control-plane.alpha.kubernetes.io/leader": "{}"}
            ),
            make_service(),
        ),
        (
            "service has selector",
            make_endpoints("web", subset(["10.0.0.1"])),
            make_service(selector={"app": "web"}),
        ),
        ("service missing", make_endpoints("web", subset(["10.0.0.1"])), None),
        ("endpoints missing", None, make_service()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_not_mirrored_deletes_existing_mirrored_slices(
    name: str, endpoints: Obj | None, service: Obj | None
) -> None:
    mirrored = plan_mirrored_slices(make_endpoints("web", subset(["10.0.0.1"])), make_service(), []).create[0]
    mirrored["metadata"]["name"] = "web-abc"
    users = {
        "metadata": {
            "name": "web-user",
            "namespace": "default",
            "labels": {LABEL_SERVICE_NAME: "web", LABEL_MANAGED_BY: "someone-else"},
        },
        "addressType": "IPv4",
        "endpoints": [],
        "ports": [],
    }
    plan = plan_mirrored_slices(endpoints, service, [mirrored, users])
    assert [s["metadata"]["name"] for s in plan.delete] == ["web-abc"]
    assert not plan.create and not plan.update


def test_skip_label_other_value_still_mirrors() -> None:
    ep = make_endpoints(
        "web", subset(["10.0.0.1"]), labels={"endpointslice.kubernetes.io/skip-mirror": "false"}
    )
    assert len(plan_mirrored_slices(ep, make_service(), []).create) == 1


def test_multi_subset_one_slice_per_port_set() -> None:
    ep = make_endpoints(
        "web",
        subset(["10.0.0.1", "10.0.0.2"], [("http", 80)]),
        subset(["10.0.0.3"], [("https", 443)]),
    )
    plan = plan_mirrored_slices(ep, make_service(), [])
    assert len(plan.create) == 2
    by_port = {s["ports"][0]["port"]: ips_of([s]) for s in plan.create}
    assert by_port == {80: ["10.0.0.1", "10.0.0.2"], 443: ["10.0.0.3"]}


def test_subsets_with_same_addresses_are_merged_by_repack() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"], [("http", 80)]), subset(["10.0.0.1"], [("https", 443)]))
    (s,) = plan_mirrored_slices(ep, make_service(), []).create
    assert sorted(p["port"] for p in s["ports"]) == [80, 443]


def test_dual_stack_addresses_split_by_family() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1", "fd00::1", "fd00::2", "::ffff:10.0.0.9"]))
    plan = plan_mirrored_slices(ep, make_service(), [])
    assert sorted(s["addressType"] for s in plan.create) == ["IPv4", "IPv6"]
    assert ips_of(plan.create, "IPv4") == ["10.0.0.1", "10.0.0.9"]
    assert ips_of(plan.create, "IPv6") == ["fd00::1", "fd00::2"]


def test_invalid_addresses_skipped_with_event() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1", "not-an-ip", "300.1.1.1", "010.000.000.002"]))
    plan = plan_mirrored_slices(ep, make_service(), [])
    # leading zeros are accepted and normalised as Go's ParseIPSloppy does
    assert ips_of(plan.create) == ["10.0.0.1", "10.0.0.2"]
    assert plan.invalid_addresses == 2
    assert [(e.type, e.reason, e.message) for e in plan.events] == [
        ("Warning", "InvalidIPAddress", "Skipped 2 invalid IP addresses when mirroring to EndpointSlices")
    ]


def test_truncation_per_subset_ready_first() -> None:
    ready = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(8)]
    not_ready = [f"10.1.0.{i + 1}" for i in range(4)]
    ep = make_endpoints("web", subset(ready, [("http", 80)], not_ready), subset(["10.9.0.1"], [("dns", 53)]))
    plan = plan_mirrored_slices(ep, make_service(), [], max_endpoints_per_subset=5)
    big = next(s for s in plan.create if s["ports"][0]["port"] == 80)
    assert len(big["endpoints"]) == 5
    assert all(e["conditions"]["ready"] for e in big["endpoints"])
    assert plan.skipped_addresses == 7
    assert [(e.reason, e.message) for e in plan.events] == [
        (
            "TooManyAddressesToMirror",
            "A max of 5 addresses can be mirrored to EndpointSlices per Endpoints subset. 7 addresses were skipped",
        )
    ]


def test_truncation_default_is_1000() -> None:
    ips = [f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}" for i in range(1, 1101)]
    plan = plan_mirrored_slices(make_endpoints("web", subset(ips)), make_service(), [])
    (s,) = plan.create
    assert len(s["endpoints"]) == 1000
    assert plan.skipped_addresses == 100


def test_replanning_after_apply_is_empty_and_unchanged_slice_not_rewritten() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1", "fd00::1"]), labels={"a": "b"}, annotations={"x": "y"})
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    again = plan_mirrored_slices(ep, make_service(), state)
    assert again.empty


def test_one_address_change_rewrites_only_its_slice() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1", "fd00::1"]))
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    for s in state:
        s["metadata"]["resourceVersion"] = "42"
    ep2 = make_endpoints("web", subset(["10.0.0.1", "10.0.0.2", "fd00::1"]))
    plan = plan_mirrored_slices(ep2, make_service(), state)
    assert not plan.create and not plan.delete
    (u,) = plan.update
    assert u["addressType"] == "IPv4"
    assert u["metadata"]["resourceVersion"] == "42"
    assert "generateName" not in u["metadata"]


def test_label_or_annotation_change_triggers_update() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"]), labels={"a": "1"})
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    plan = plan_mirrored_slices(
        make_endpoints("web", subset(["10.0.0.1"]), labels={"a": "2"}), make_service(), state
    )
    (u,) = plan.update
    assert u["metadata"]["labels"]["a"] == "2"
    plan = plan_mirrored_slices(
        make_endpoints("web", subset(["10.0.0.1"]), labels={"a": "1"}, annotations={"n": "v"}),
        make_service(),
        state,
    )
    assert len(plan.update) == 1


def test_trigger_time_annotation_change_alone_is_not_a_write() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"]))
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    ep2 = make_endpoints(
        "web", subset(["10.0.0.1"]), annotations={"endpoints.kubernetes.io/last-change-trigger-time": "t"}
    )
    assert plan_mirrored_slices(ep2, make_service(), state).empty


def test_port_change_recycles_slice_instead_of_create_and_delete() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"], [("http", 80)]))
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    old_name = state[0]["metadata"]["name"]
    plan = plan_mirrored_slices(
        make_endpoints("web", subset(["10.0.0.1"], [("http", 8080)])), make_service(), state
    )
    assert not plan.create and not plan.delete
    (u,) = plan.update
    assert u["metadata"]["name"] == old_name
    assert u["ports"][0]["port"] == 8080


def test_duplicate_slices_of_one_port_set_collapse_to_one() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"]))
    first = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    dup = copy.deepcopy(first[0])
    dup["metadata"]["name"] = "web-zzz"
    plan = plan_mirrored_slices(ep, make_service(), [*first, dup])
    assert [s["metadata"]["name"] for s in plan.delete] == ["web-zzz"]
    assert not plan.update and not plan.create


def test_all_addresses_removed_deletes_slice() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"]))
    state = apply_plan(plan_mirrored_slices(ep, make_service(), []), [])
    plan = plan_mirrored_slices(make_endpoints("web"), make_service(), state)
    assert [s["metadata"]["name"] for s in plan.delete] == [state[0]["metadata"]["name"]]


def test_terminating_endpoints_gets_no_new_slices() -> None:
    ep = make_endpoints("web", subset(["10.0.0.1"]))
    ep["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert plan_mirrored_slices(ep, make_service(), []).create == []


def test_hostname_nodename_targetref_carried_over() -> None:
    ep = make_endpoints(
        "web",
        {
            "addresses": [
                {
                    "ip": "10.0.0.1",
                    "hostname": "h1",
                    "nodeName": "n1",
                    "targetRef": {"kind": "Pod", "name": "p1", "namespace": "default", "uid": "u1"},
                }
            ],
            "ports": [{"port": 80, "protocol": "UDP"}],
        },
    )
    (s,) = plan_mirrored_slices(ep, make_service(), []).create
    assert s["ports"] == [{"name": "", "port": 80, "protocol": "UDP"}]
    assert s["endpoints"] == [
        {
            "addresses": ["10.0.0.1"],
            "conditions": {"ready": True},
            "hostname": "h1",
            "nodeName": "n1",
            "targetRef": {"kind": "Pod", "name": "p1", "namespace": "default", "uid": "u1"},
        }
    ]


def test_repack_not_ready_trumps_ready_and_dedups() -> None:
    subsets = [
        {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.1"}], "ports": [{"port": 80}]},
        {"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]},
    ]
    (s,) = repack_subsets(subsets)
    assert s.addresses == []
    assert [a["ip"] for a in s.not_ready_addresses] == ["10.0.0.1"]


def test_subset_without_ports_is_mirrored_with_empty_ports() -> None:
    ep = make_endpoints("web", {"addresses": [{"ip": "10.0.0.1"}]})
    (s,) = plan_mirrored_slices(ep, make_service(), []).create
    assert s["ports"] == []


# ---------------------------------------------------------------------------------------------
# properties

_ips = st.sampled_from(
    [f"10.0.0.{i}" for i in range(1, 30)] + [f"fd00::{i:x}" for i in range(1, 30)] + ["bogus"]
)
_ports = st.sampled_from([("http", 80), ("https", 443), ("dns", 53)])
_subsets = st.lists(
    st.builds(
        lambda ips, nr, ports: subset(ips, sorted(set(ports)), nr),
        st.lists(_ips, max_size=12),
        st.lists(_ips, max_size=5),
        st.lists(_ports, min_size=1, max_size=2),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(before=_subsets, after=_subsets, limit=st.integers(1, 8))
def test_property_plan_converges_and_respects_limit(before: list[Obj], after: list[Obj], limit: int) -> None:
    svc = make_service()
    state = apply_plan(
        plan_mirrored_slices(make_endpoints("web", *before), svc, [], max_endpoints_per_subset=limit), []
    )
    state = apply_plan(
        plan_mirrored_slices(make_endpoints("web", *after), svc, state, max_endpoints_per_subset=limit), state
    )
    # applying the plan reaches a fixed point
    assert plan_mirrored_slices(
        make_endpoints("web", *after), svc, state, max_endpoints_per_subset=limit
    ).empty
    keys = set()
    for s in state:
        assert 0 < len(s["endpoints"]) <= limit
        key = (s["addressType"], tuple(sorted((p["name"], p["port"]) for p in s["ports"])))
        assert key not in keys, "two slices for one (address type, port set)"
        keys.add(key)
        for e in s["endpoints"]:
            fam = "IPv6" if ":" in e["addresses"][0] else "IPv4"
            assert fam == s["addressType"]
