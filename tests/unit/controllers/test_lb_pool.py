"""The LoadBalancer IP pool: parsing, allocation, requests, release, restore."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.controllers.loadbalancer.pool import (
    DEFAULT_POOL,
    AlreadyAllocatedError,
    IPPool,
    NotInPoolError,
    PoolExhaustedError,
    PoolSpecError,
    assign,
    parse_pool,
)

Obj = dict[str, Any]


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def lb_service(
    name: str = "web", *, families: list[str] | None = None, annotations: Obj | None = None, **spec: Any
) -> Obj:
    s: Obj = {"type": "LoadBalancer", "ports": [{"port": 80}], **spec}
    if families is not None:
        s["ipFamilies"] = families
    meta: Obj = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": s}


@pytest.mark.parametrize(
    ("spec", "family", "size", "first", "last"),
    [
        ("172.18.255.200-172.18.255.250", "IPv4", 51, "172.18.255.200", "172.18.255.250"),
        ("10.0.0.0/30", "IPv4", 2, "10.0.0.1", "10.0.0.2"),  # network + broadcast excluded
        ("10.0.0.0/31", "IPv4", 2, "10.0.0.0", "10.0.0.1"),
        ("10.0.0.7/32", "IPv4", 1, "10.0.0.7", "10.0.0.7"),
        ("10.0.0.7", "IPv4", 1, "10.0.0.7", "10.0.0.7"),
        ("fd00::/126", "IPv6", 3, "fd00::1", "fd00::3"),  # subnet-router anycast excluded
        ("fd00::10-fd00::1f", "IPv6", 16, "fd00::10", "fd00::1f"),
    ],
)
def test_parse_entries(spec: str, family: str, size: int, first: str, last: str) -> None:
    pool = IPPool.from_spec(spec)
    assert pool.size(family) == size
    assert pool.allocate("a/first", family) == ip(first)
    if size > 1:
        for i in range(size - 2):
            pool.allocate(f"a/{i}", family)
        assert pool.allocate("a/last", family) == ip(last)
    with pytest.raises(PoolExhaustedError):
        pool.allocate("a/one-too-many", family)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "nonsense",
        "10.0.0.5-10.0.0.1",
        "10.0.0.1-fd00::1",
        "10.0.0.0/24,10.0.0.10-10.0.0.20",
        "10.0.0.0/33",
    ],
)
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(PoolSpecError):
        parse_pool(spec)


def test_mixed_families_each_have_a_pool() -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.2, fd00::1-fd00::2")
    assert pool.families() == ["IPv4", "IPv6"]
    assert pool.free("IPv4") == 2 and pool.free("IPv6") == 2


def test_requested_ip_and_conflicts() -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.9")
    assert pool.allocate("ns/a", "IPv4", ip("10.0.0.5")) == ip("10.0.0.5")
    with pytest.raises(AlreadyAllocatedError):
        pool.allocate("ns/b", "IPv4", ip("10.0.0.5"))
    with pytest.raises(NotInPoolError):
        pool.allocate("ns/b", "IPv4", ip("10.0.1.1"))
    # the lowest free skips the taken one
    assert pool.allocate("ns/c", "IPv4") == ip("10.0.0.1")


def test_release_makes_address_reusable() -> None:
    pool = IPPool.from_spec("10.0.0.1")
    pool.allocate("ns/a", "IPv4")
    with pytest.raises(PoolExhaustedError):
        pool.allocate("ns/b", "IPv4")
    assert pool.release("ns/a") == [ip("10.0.0.1")]
    assert pool.allocate("ns/b", "IPv4") == ip("10.0.0.1")


def test_restore_keeps_existing_and_rejects_conflicts() -> None:
    pool = IPPool.from_spec(DEFAULT_POOL)
    assert pool.restore("ns/a", ["172.18.255.210"]) == []
    assert pool.restore("ns/b", ["172.18.255.210", "8.8.8.8"]) == ["172.18.255.210", "8.8.8.8"]
    assert pool.allocate("ns/a", "IPv4") == ip("172.18.255.210")  # stable
    assert pool.allocate("ns/b", "IPv4") == ip("172.18.255.200")


# ---------------------------------------------------------------------------------------------
# assign(): the per-Service rules


def test_assign_one_ip_per_family_with_vip_mode() -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.9,fd00::1-fd00::9")
    a = assign(pool, lb_service(families=["IPv6", "IPv4"]))
    assert a.error is None
    assert a.ingress == [{"ip": "fd00::1", "ipMode": "VIP"}, {"ip": "10.0.0.1", "ipMode": "VIP"}]
    assert a.allocated == ["fd00::1", "10.0.0.1"]
    again = assign(pool, lb_service(families=["IPv6", "IPv4"]))
    assert again.ingress == a.ingress and again.allocated == []


def test_assign_defaults_to_ipv4_and_follows_ipv6_cluster_ip() -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.9,fd00::1-fd00::9")
    assert assign(pool, lb_service("v4")).ingress == [{"ip": "10.0.0.1", "ipMode": "VIP"}]
    assert assign(pool, lb_service("v6", clusterIP="fd00:10:96::1")).ingress == [
        {"ip": "fd00::1", "ipMode": "VIP"}
    ]


@pytest.mark.parametrize(
    ("svc", "want"),
    [
        (lb_service(loadBalancerIP="10.0.0.7"), "10.0.0.7"),
        (lb_service(annotations={"kubesvc.io/load-balancer-ips": "10.0.0.8"}), "10.0.0.8"),
        (
            lb_service(loadBalancerIP="10.0.0.7", annotations={"kubesvc.io/load-balancer-ips": "10.0.0.8"}),
            "10.0.0.8",
        ),
    ],
    ids=["spec.loadBalancerIP", "annotation", "annotation wins"],
)
def test_assign_requested(svc: Obj, want: str) -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.9")
    assert assign(pool, svc).ingress == [{"ip": want, "ipMode": "VIP"}]


@pytest.mark.parametrize(
    ("svc", "fragment"),
    [
        (lb_service("b", loadBalancerIP="10.0.0.1"), "already allocated to default/a"),
        (lb_service("b", loadBalancerIP="192.168.0.1"), "not in the pool"),
        (lb_service("b", loadBalancerIP="fd00::1"), "not of the Service's IP families"),
        (lb_service("b", annotations={"kubesvc.io/load-balancer-ips": "bogus"}), "not a valid IP"),
    ],
)
def test_assign_request_failures_leave_service_pending(svc: Obj, fragment: str) -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.9")
    assign(pool, lb_service("a"))
    out = assign(pool, svc)
    assert out.ingress == [] and out.error is not None and fragment in out.error
    assert pool.assigned("default/b") == {}


def test_assign_exhaustion_and_release_on_type_change() -> None:
    pool = IPPool.from_spec("10.0.0.1")
    assert assign(pool, lb_service("a")).ingress
    full = assign(pool, lb_service("b"))
    assert full.ingress == [] and full.error == "no available IPs in the IPv4 pool"
    cluster_ip = lb_service("a")
    cluster_ip["spec"]["type"] = "ClusterIP"
    assert assign(pool, cluster_ip).ingress == []
    assert assign(pool, lb_service("b")).ingress == [{"ip": "10.0.0.1", "ipMode": "VIP"}]


def test_assign_ignores_other_load_balancer_classes() -> None:
    pool = IPPool.from_spec("10.0.0.1")
    assert assign(pool, lb_service("x", loadBalancerClass="example.com/other")).ingress == []
    assert pool.free("IPv4") == 1
    assert assign(pool, lb_service("y", loadBalancerClass="kubesvc.io/lb")).ingress


def test_assign_with_allocate_node_ports_false_still_gets_ip() -> None:
    pool = IPPool.from_spec("10.0.0.1")
    assert assign(pool, lb_service(allocateLoadBalancerNodePorts=False)).ingress


def test_family_removed_releases_that_family() -> None:
    pool = IPPool.from_spec("10.0.0.1,fd00::1")
    assign(pool, lb_service(families=["IPv4", "IPv6"]))
    out = assign(pool, lb_service(families=["IPv4"]))
    assert out.ingress == [{"ip": "10.0.0.1", "ipMode": "VIP"}]
    assert pool.free("IPv6") == 1


# ---------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alloc", "request", "release"]),
            st.integers(0, 7),  # which service key
            st.integers(0, 12),  # which requested address offset
            st.sampled_from(["IPv4", "IPv6"]),
        ),
        max_size=60,
    )
)
def test_property_never_the_same_ip_twice(ops: list[tuple[str, int, int, str]]) -> None:
    pool = IPPool.from_spec("10.0.0.1-10.0.0.6,fd00::/125")
    for op, k, off, fam in ops:
        key = f"ns/s{k}"
        try:
            if op == "alloc":
                pool.allocate(key, fam)
            elif op == "request":
                base = "10.0.0.0" if fam == "IPv4" else "fd00::"
                pool.allocate(key, fam, ipaddress.ip_address(base) + off)
            else:
                pool.release(key)
        except (PoolExhaustedError, NotInPoolError, AlreadyAllocatedError):
            pass
        held = [a for i in range(8) for a in pool.assigned(f"ns/s{i}").values()]
        assert len(held) == len(set(held)), "an address is held by two Services"
        assert all(pool.contains(a) for a in held)
        for i in range(8):
            for f, a in pool.assigned(f"ns/s{i}").items():
                assert pool.holder(a) == f"ns/s{i}"
                assert (a.version == 4) == (f == "IPv4")
