"""The repair loop over the memory store: leaks released after the grace, missing allocations
recorded, duplicates and out-of-range addresses reported as Events on the Service."""

from __future__ import annotations

import random
from typing import Any

from kubesvc.allocation.ipallocator import IPRange
from kubesvc.allocation.portallocator import PortRange
from kubesvc.allocation.repair import Holder, plan_repair
from kubesvc.api import codec, scheme
from kubesvc.apiserver.config import ServerConfig
from kubesvc.registry import build_registry
from kubesvc.registry.generic import ListOptions
from kubesvc.registry.repair import ServiceRepair, start_service_controllers
from kubesvc.registry.selectors import ObjectFilter
from kubesvc.registry.service import IP_PREFIX, PORT_PREFIX, ip_key, port_key
from kubesvc.registry.strategy import apply_defaults
from kubesvc.storage.interface import Delete, Put
from kubesvc.storage.memory import MemoryStore


def make_svc(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}
    apply_defaults(obj)
    return obj


async def setup(cidr: str = "10.0.0.0/24") -> tuple[MemoryStore, Any, ServiceRepair]:
    store = MemoryStore()
    reg = build_registry(store, ServerConfig(service_cluster_ip_range=cidr), rng=random.Random(3))
    await reg.ensure_system_namespaces()
    repair = ServiceRepair(reg, reg.get(scheme.SERVICES).strategy.allocators)
    return store, reg, repair


async def keys(store: MemoryStore, prefix: str) -> set[str]:
    return {kv.key[len(prefix) :] for kv in (await store.list(prefix)).items}


async def events(reg: Any) -> list[dict[str, Any]]:
    out = await reg.get(scheme.EVENTS_V1).list("default", ListOptions(ObjectFilter()))
    return list(out["items"])


async def test_leaked_allocations_are_released_on_the_third_run_only() -> None:
    store, reg, repair = await setup()
    await reg.get(scheme.SERVICES).create("default", make_svc("keep", clusterIP="10.0.0.5"))
    await store.txn([], [Put(ip_key("10.0.0.9"), b"{}"), Put(port_key(30123), b"{}")])
    for run in (1, 2):
        plan = await repair.run_once()
        assert plan.suspected_ips == ["10.0.0.9"] and plan.suspected_ports == [30123], run
        assert "10.0.0.9" in await keys(store, IP_PREFIX)
    plan = await repair.run_once()
    assert plan.release_ips == ["10.0.0.9"] and plan.release_ports == [30123]
    assert await keys(store, IP_PREFIX) == {"10.0.0.5"}
    assert await keys(store, PORT_PREFIX) == set()
    # the cache followed: the leaked address can be requested again
    out = await reg.get(scheme.SERVICES).create("default", make_svc("again", clusterIP="10.0.0.9"))
    assert out["spec"]["clusterIP"] == "10.0.0.9"


async def test_missing_allocation_is_recorded_so_nobody_else_gets_it() -> None:
    store, reg, repair = await setup()
    svcs = reg.get(scheme.SERVICES)
    await svcs.create(
        "default",
        make_svc("a", type="NodePort", clusterIP="10.0.0.7", ports=[{"port": 80, "nodePort": 30500}]),
    )
    await store.txn([], [Delete(ip_key("10.0.0.7")), Delete(port_key(30500))])
    await repair.run_once()
    assert "10.0.0.7" in await keys(store, IP_PREFIX)
    assert "30500" in await keys(store, PORT_PREFIX)
    try:
        await svcs.create("default", make_svc("b", clusterIP="10.0.0.7"))
    except Exception as exc:
        assert "provided IP is already allocated" in str(exc)
    else:
        raise AssertionError("the repaired address was handed out again")


async def test_duplicates_and_out_of_range_become_events_once() -> None:
    store, reg, repair = await setup()
    svcs = reg.get(scheme.SERVICES)
    first = await svcs.create("default", make_svc("first", clusterIP="10.0.0.7"))
    # a second Service claiming the same address and one outside the range, written behind our back
    rs = svcs
    for name, ip in (("second", "10.0.0.7"), ("outside", "10.9.0.1")):
        obj = codec.loads(codec.dumps(first))
        obj["metadata"] = {"name": name, "namespace": "default", "uid": f"uid-{name}"}
        obj["spec"]["clusterIP"] = ip
        obj["spec"]["clusterIPs"] = [ip]
        await store.txn([], [Put(rs.key("default", name), rs.encode(obj))])
    await repair.run_once()
    await repair.run_once()
    evs = await events(reg)
    by_reason = {(e["reason"], e["involvedObject"]["name"]): e for e in evs}
    assert len(evs) == 2
    dup = by_reason[("ClusterIPAlreadyAllocated", "second")]
    assert (
        dup["message"]
        == "Cluster IP [IPv4]:10.0.0.7 was assigned to multiple services; please recreate service"
    )
    assert dup["type"] == "Warning" and dup["source"]["component"] == "ipallocator-repair-controller"
    oor = by_reason[("ClusterIPOutOfRange", "outside")]
    assert (
        oor["message"]
        == "Cluster IP [IPv4]:10.9.0.1 is not within the service CIDR 10.0.0.0/24; please recreate service"
    )
    # the out-of-range address stays recorded (the Service keeps working)
    assert "10.9.0.1" in await keys(store, IP_PREFIX)


def test_plan_repair_ports_and_unconfigured_family() -> None:
    ranges = {"IPv4": IPRange("10.0.0.0/24")}
    ports = PortRange("30000-30100")
    h1 = Holder("default", "a", "u1", ("10.0.0.5", "fd00::5"), (30001, 40000))
    h2 = Holder("default", "b", "u2", (), (30001,))
    plan = plan_repair([h1, h2], {"10.0.0.5", "fd00::5"}, {30001}, ranges=ranges, ports=ports)
    reasons = sorted((f.reason, f.holder.name) for f in plan.findings)
    assert reasons == [("PortAlreadyAllocated", "b"), ("PortOutOfRange", "a")]
    # the IPv6 address of a family no longer configured is neither reported nor released
    assert plan.release_ips == [] and plan.suspected_ips == []
    assert [p for p, _ in plan.record_ports] == [40000]


async def test_start_service_controllers_bootstraps_kubernetes_service() -> None:
    _, reg, _ = await setup("10.0.0.0/24")
    task = await start_service_controllers(reg, ServerConfig(), secure_port=6443, repair_interval=3600)
    assert task is not None
    try:
        k = await reg.get(scheme.SERVICES).get("default", "kubernetes")
        assert k["spec"]["clusterIP"] == "10.0.0.1"
        assert k["spec"]["ports"][0]["targetPort"] == 6443
        # a second start (another apiserver process, or a restart) changes nothing
        again = await start_service_controllers(reg, ServerConfig(), secure_port=6443, repair_interval=3600)
        assert again is not None
        again.cancel()
        k2 = await reg.get(scheme.SERVICES).get("default", "kubernetes")
        assert k2["metadata"]["resourceVersion"] == k["metadata"]["resourceVersion"]
    finally:
        task.cancel()


async def test_metrics_on_the_apiserver_registry() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    store, reg, _ = await setup("10.0.0.0/24")
    metrics = CollectorRegistry()
    await store.txn([], [Put(ip_key("10.0.0.9"), b"{}")])
    task = await start_service_controllers(
        reg, ServerConfig(), secure_port=6443, repair_interval=3600, metrics_registry=metrics
    )
    assert task is not None
    try:
        repair = task.repair  # type: ignore[attr-defined]
        await repair.run_once()
        await repair.run_once()  # third sighting: released
        text = generate_latest(metrics).decode()
        assert 'apiserver_clusterip_allocator_allocated_ips{cidr="10.0.0.0/24"} 1.0' in text
        assert 'apiserver_clusterip_repair_ip_errors_total{type="leak"} 1.0' in text
        assert "apiserver_nodeport_allocator_available_ports 2768.0" in text
    finally:
        task.cancel()
