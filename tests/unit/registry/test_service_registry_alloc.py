"""The Service registry with allocation, through the generic registry on the memory store:
create, update (every type transition), delete, dry run, dual-stack, admission, races between
two "apiserver processes" sharing one store."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import random
from collections.abc import Callable
from typing import Any

import pytest

from kubesvc.api import scheme
from kubesvc.api.errors import StatusError
from kubesvc.apiserver.config import ServerConfig
from kubesvc.registry import build_registry
from kubesvc.registry.service import IP_PREFIX, PORT_PREFIX
from kubesvc.registry.strategy import apply_defaults
from kubesvc.storage.memory import MemoryStore

Obj = dict[str, Any]


def make_svc(name: str, **spec: Any) -> Obj:
    body: Obj = {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]}
    body.update(spec)
    obj: Obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}
    apply_defaults(obj)
    return obj


class Env:
    def __init__(self, store: MemoryStore, **cfg: Any) -> None:
        self.store = store
        self.config = ServerConfig(**cfg)
        self.reg = build_registry(store, self.config, rng=random.Random(1))
        self.svcs = self.reg.get(scheme.SERVICES)

    async def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        return await self.svcs.create("default", copy.deepcopy(obj), dry_run=dry_run)

    async def update(self, name: str, change: Callable[[Obj], None], *, dry_run: bool = False) -> Obj:
        async def updater(current: Obj | None) -> Obj:
            assert current is not None
            new = copy.deepcopy(current)
            new["metadata"].pop("resourceVersion", None)
            change(new)
            apply_defaults(new)
            return new

        out, _ = await self.svcs.update("default", name, updater, dry_run=dry_run)
        return out

    async def replace(self, obj: Obj) -> Obj:
        async def updater(current: Obj | None) -> Obj:
            return copy.deepcopy(obj)

        out, _ = await self.svcs.update("default", obj["metadata"]["name"], updater)
        return out

    async def delete(self, name: str) -> None:
        await self.svcs.delete("default", name)

    async def keys(self) -> tuple[set[str], set[int]]:
        ips = {kv.key[len(IP_PREFIX) :] for kv in (await self.store.list(IP_PREFIX)).items}
        ports = {int(kv.key[len(PORT_PREFIX) :]) for kv in (await self.store.list(PORT_PREFIX)).items}
        return ips, ports


async def env_for(store: MemoryStore | None = None, **cfg: Any) -> Env:
    cfg.setdefault("service_cluster_ip_range", "10.0.0.0/16")
    cfg.setdefault("service_node_port_range", "30000-32767")
    e = Env(store or MemoryStore(), **cfg)
    await e.reg.ensure_system_namespaces()
    return e


async def expect_error(coro: Any, code: int, message: str) -> StatusError:
    with pytest.raises(StatusError) as exc:
        await coro
    assert (exc.value.code, exc.value.message) == (code, message)
    return exc.value


async def expect_error_code(coro: Any, code: int) -> StatusError:
    with pytest.raises(StatusError) as exc:
        await coro
    assert exc.value.code == code, exc.value.message
    return exc.value


# -- ClusterIP --------------------------------------------------------------------------------


async def test_create_allocates_a_cluster_ip_from_the_upper_band_and_records_it() -> None:
    e = await env_for()
    out = await e.create(make_svc("web"))
    ip = out["spec"]["clusterIP"]
    assert out["spec"]["clusterIPs"] == [ip]
    assert out["spec"]["ipFamilies"] == ["IPv4"] and out["spec"]["ipFamilyPolicy"] == "SingleStack"
    offset = int(ipaddress.ip_address(ip)) - int(ipaddress.ip_address("10.0.0.1"))
    assert offset >= 256  # /16: static band of 256 addresses
    assert await e.keys() == ({ip}, set())


async def test_requested_cluster_ip_honoured_then_conflicts_with_upstream_message() -> None:
    e = await env_for()
    out = await e.create(make_svc("a", clusterIP="10.0.0.10"))
    assert out["spec"]["clusterIPs"] == ["10.0.0.10"]
    await expect_error(
        e.create(make_svc("b", clusterIP="10.0.0.10")),
        422,
        'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: '
        "failed to allocate IP 10.0.0.10: provided IP is already allocated",
    )
    await expect_error(
        e.create(make_svc("c", clusterIP="10.1.0.10")),
        422,
        'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.1.0.10"}: failed to allocate IP '
        "10.1.0.10: the provided IP (10.1.0.10) is not in the valid range. The range of valid IPs is 10.0.0.0/16",
    )
    assert (await e.keys())[0] == {"10.0.0.10"}


async def test_headless_allocates_nothing() -> None:
    e = await env_for()
    out = await e.create(make_svc("h", clusterIP="None"))
    assert out["spec"]["clusterIP"] == "None" and out["spec"]["clusterIPs"] == ["None"]
    assert out["spec"]["ipFamilyPolicy"] == "SingleStack"
    assert await e.keys() == (set(), set())


async def test_range_full_is_an_internal_error_and_releases_nothing_twice() -> None:
    e = await env_for(service_cluster_ip_range="10.0.0.0/29")  # 6 usable, first reserved
    for i in range(5):
        await e.create(make_svc(f"s{i}"))
    await expect_error(
        e.create(make_svc("s5")),
        500,
        "Internal error occurred: failed to allocate a serviceIP: range is full",
    )
    ips = (await e.keys())[0]
    assert len(ips) == 5 and "10.0.0.1" not in ips


async def test_delete_releases_ip_and_ports_for_reuse() -> None:
    e = await env_for()
    await e.create(
        make_svc("web", type="NodePort", clusterIP="10.0.0.20", ports=[{"port": 80, "nodePort": 30100}])
    )
    await e.delete("web")
    assert await e.keys() == (set(), set())
    out = await e.create(
        make_svc("again", type="NodePort", clusterIP="10.0.0.20", ports=[{"port": 80, "nodePort": 30100}])
    )
    assert out["spec"]["clusterIP"] == "10.0.0.20"


# -- NodePorts --------------------------------------------------------------------------------


async def test_node_ports_allocated_per_port_from_the_upper_band() -> None:
    e = await env_for()
    out = await e.create(
        make_svc("np", type="NodePort", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 443}])
    )
    nps = [p["nodePort"] for p in out["spec"]["ports"]]
    assert len(set(nps)) == 2 and all(30086 <= p <= 32767 for p in nps)
    assert (await e.keys())[1] == set(nps)


async def test_same_port_tcp_and_udp_share_one_node_port() -> None:
    e = await env_for()
    out = await e.create(
        make_svc(
            "dns",
            type="NodePort",
            ports=[
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ],
        )
    )
    a, b = (p["nodePort"] for p in out["spec"]["ports"])
    assert a == b
    assert (await e.keys())[1] == {a}


async def test_user_given_node_port_shared_by_tcp_and_udp_of_one_port() -> None:
    e = await env_for()
    out = await e.create(
        make_svc(
            "dns",
            type="NodePort",
            ports=[
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "nodePort": 30053},
                {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053},
            ],
        )
    )
    assert [p["nodePort"] for p in out["spec"]["ports"]] == [30053, 30053]
    assert (await e.keys())[1] == {30053}
    # only the UDP entry names it: the TCP entry of the same port gets the same one
    out = await e.create(
        make_svc(
            "dns2",
            type="NodePort",
            ports=[
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30054},
            ],
        )
    )
    assert [p["nodePort"] for p in out["spec"]["ports"]] == [30054, 30054]


async def test_requested_node_port_conflict_and_range_messages() -> None:
    e = await env_for()
    await e.create(make_svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30007}]))
    await expect_error(
        e.create(make_svc("b", type="NodePort", ports=[{"port": 80, "nodePort": 30007}])),
        422,
        'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30007: provided port is already allocated',
    )
    await expect_error(
        e.create(make_svc("c", type="NodePort", ports=[{"port": 80, "nodePort": 8080}])),
        422,
        'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the '
        "valid range. The range of valid ports is 30000-32767",
    )
    # the failed creates released their cluster IPs
    assert len((await e.keys())[0]) == 1


async def test_failed_create_releases_what_it_took() -> None:
    e = await env_for()
    await e.create(make_svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30007}]))
    # cluster IP and the first nodePort are taken before the second nodePort fails
    await expect_error(
        e.create(
            make_svc(
                "b",
                type="NodePort",
                clusterIP="10.0.0.50",
                ports=[
                    {"name": "x", "port": 81, "nodePort": 30008},
                    {"name": "y", "port": 82, "nodePort": 30007},
                ],
            )
        ),
        422,
        'Service "b" is invalid: spec.ports[1].nodePort: Invalid value: 30007: provided port is already allocated',
    )
    out = await e.create(
        make_svc(
            "c", type="NodePort", clusterIP="10.0.0.50", ports=[{"name": "x", "port": 81, "nodePort": 30008}]
        )
    )
    assert out["spec"]["clusterIP"] == "10.0.0.50"


async def test_load_balancer_without_node_ports_and_health_check_port() -> None:
    e = await env_for()
    out = await e.create(make_svc("lb", type="LoadBalancer", allocateLoadBalancerNodePorts=False))
    assert "nodePort" not in out["spec"]["ports"][0]
    out = await e.create(make_svc("local", type="LoadBalancer", externalTrafficPolicy="Local"))
    hc = out["spec"]["healthCheckNodePort"]
    assert 30000 <= hc <= 32767
    assert hc in (await e.keys())[1]
    # switching to Cluster releases the health check port and clears the field
    out = await e.update("local", lambda s: s["spec"].update(externalTrafficPolicy="Cluster"))
    assert "healthCheckNodePort" not in out["spec"]
    assert hc not in (await e.keys())[1]


async def test_requested_health_check_port_conflict_is_internal_error() -> None:
    e = await env_for()
    await e.create(make_svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 31000}]))
    await expect_error(
        e.create(
            make_svc("b", type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=31000)
        ),
        500,
        "Internal error occurred: failed to allocate requested HealthCheck NodePort 31000: "
        "provided port is already allocated",
    )


async def test_update_keeps_unchanged_ports_and_releases_removed_ones() -> None:
    e = await env_for()
    out = await e.create(
        make_svc("np", type="NodePort", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}])
    )
    keep, _drop = (p["nodePort"] for p in out["spec"]["ports"])
    out = await e.update("np", lambda s: s["spec"].update(ports=[s["spec"]["ports"][0]]))
    assert [p["nodePort"] for p in out["spec"]["ports"]] == [keep]
    assert (await e.keys())[1] == {keep}


async def test_resubmitting_the_original_manifest_keeps_allocated_values() -> None:
    e = await env_for()
    manifest = make_svc("web", type="NodePort", ports=[{"name": "a", "port": 80}])
    first = await e.create(manifest)
    again = await e.replace(manifest)
    assert again["spec"]["clusterIP"] == first["spec"]["clusterIP"]
    assert again["spec"]["ports"][0]["nodePort"] == first["spec"]["ports"][0]["nodePort"]
    assert len((await e.keys())[1]) == 1


async def test_removing_the_last_finalizer_deletes_and_releases() -> None:
    e = await env_for()
    obj = make_svc("fin", type="NodePort")
    obj["metadata"]["finalizers"] = ["service.kubernetes.io/load-balancer-cleanup"]
    await e.create(obj)
    await e.svcs.delete("default", "fin")  # pending: the finalizer holds it
    assert len((await e.keys())[0]) == 1
    await e.update("fin", lambda s: s["metadata"].pop("finalizers"))
    with pytest.raises(StatusError):
        await e.svcs.get("default", "fin")
    assert await e.keys() == (set(), set())


async def test_update_failing_validation_after_allocation_releases_it() -> None:
    e = await env_for(service_node_port_range="30000-30001")
    await e.create(make_svc("v"))

    def change(s: Obj) -> None:
        s["spec"].update(type="NodePort", sessionAffinity="Bogus")

    with pytest.raises(StatusError) as exc:
        await e.update("v", change)
    assert exc.value.code == 422 and "sessionAffinity" in exc.value.message
    assert (await e.keys())[1] == set()
    # both ports of the tiny range are still free in this process's cache
    out = await e.create(
        make_svc("w", type="NodePort", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}])
    )
    assert sorted(p["nodePort"] for p in out["spec"]["ports"]) == [30000, 30001]


# -- type transitions -----------------------------------------------------------------------


async def test_cluster_ip_to_node_port_to_load_balancer_and_back() -> None:
    e = await env_for()
    out = await e.create(make_svc("t"))
    ip = out["spec"]["clusterIP"]
    out = await e.update("t", lambda s: s["spec"].update(type="NodePort"))
    np = out["spec"]["ports"][0]["nodePort"]
    assert out["spec"]["clusterIP"] == ip and np
    out = await e.update("t", lambda s: s["spec"].update(type="LoadBalancer", externalTrafficPolicy="Local"))
    assert out["spec"]["ports"][0]["nodePort"] == np
    hc = out["spec"]["healthCheckNodePort"]
    assert await e.keys() == ({ip}, {np, hc})
    out = await e.update("t", lambda s: s["spec"].update(type="ClusterIP"))
    assert "nodePort" not in out["spec"]["ports"][0]
    assert "healthCheckNodePort" not in out["spec"]
    assert "externalTrafficPolicy" not in out["spec"]
    assert out["status"] == {"loadBalancer": {}}
    assert await e.keys() == ({ip}, set())


async def test_cluster_ip_to_external_name_releases_and_back_allocates() -> None:
    e = await env_for()
    out = await e.create(make_svc("x", type="NodePort"))
    out = await e.update(
        "x", lambda s: s["spec"].update(type="ExternalName", externalName="example.com", selector=None)
    )
    for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        assert f not in out["spec"], f
    assert "nodePort" not in out["spec"]["ports"][0]
    assert await e.keys() == (set(), set())
    out = await e.update("x", lambda s: (s["spec"].pop("externalName"), s["spec"].update(type="ClusterIP")))
    assert out["spec"]["clusterIP"] in (await e.keys())[0]
    assert out["spec"]["ipFamilyPolicy"] == "SingleStack"


async def test_status_is_kept_on_spec_writes_and_cleared_when_no_longer_load_balancer() -> None:
    e = await env_for()
    await e.create(make_svc("lb", type="LoadBalancer"))
    status_strategy = e.svcs.strategy.status_strategy()

    async def set_status(current: Obj | None) -> Obj:
        assert current is not None
        current["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.10", "ipMode": "VIP"}]}}
        return current

    await e.svcs.update("default", "lb", set_status, strategy=status_strategy)
    out = await e.update("lb", lambda s: s.update(status={"loadBalancer": {}}))
    assert out["status"]["loadBalancer"]["ingress"] == [{"ip": "192.0.2.10", "ipMode": "VIP"}]
    out = await e.update("lb", lambda s: s["spec"].update(type="NodePort"))
    assert out["status"] == {"loadBalancer": {}}


# -- dry run ----------------------------------------------------------------------------------


async def test_dry_run_allocates_nothing_persistent() -> None:
    e = await env_for()
    out = await e.create(make_svc("d", type="NodePort"), dry_run=True)
    # upstream's dry-run placeholders
    assert out["spec"]["clusterIP"] == "10.0.0.0"
    assert out["spec"]["ports"][0]["nodePort"] == 32769
    assert await e.keys() == (set(), set())
    real = await e.create(make_svc("r", clusterIP="10.0.0.30"))
    assert real["spec"]["clusterIP"] == "10.0.0.30"
    await e.update("r", lambda s: s["spec"].update(type="NodePort"), dry_run=True)
    assert await e.keys() == ({"10.0.0.30"}, set())


# -- dual-stack -------------------------------------------------------------------------------

DUAL = "10.96.0.0/16,fd00:10:96::/108"


@pytest.mark.parametrize(
    ("spec", "families", "n_ips"),
    [
        ({}, ["IPv4"], 1),
        ({"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}, ["IPv6"], 1),
        ({"ipFamilyPolicy": "PreferDualStack"}, ["IPv4", "IPv6"], 2),
        ({"ipFamilyPolicy": "RequireDualStack"}, ["IPv4", "IPv6"], 2),
        ({"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6", "IPv4"]}, ["IPv6", "IPv4"], 2),
        ({"clusterIP": "None"}, ["IPv4"], 0),
        ({"clusterIP": "None", "selector": None}, ["IPv4", "IPv6"], 0),
    ],
    ids=[
        "default",
        "single-v6",
        "prefer",
        "require",
        "require-v6-first",
        "headless",
        "headless-selectorless",
    ],
)
async def test_dual_stack_policies(spec: Obj, families: list[str], n_ips: int) -> None:
    e = await env_for(service_cluster_ip_range=DUAL)
    out = await e.create(make_svc("d", **spec))
    assert out["spec"]["ipFamilies"] == families
    ips = out["spec"]["clusterIPs"]
    if n_ips:
        assert len(ips) == n_ips
        for fam, ip in zip(families, ips):
            assert ipaddress.ip_address(ip).version == (6 if fam == "IPv6" else 4)
        assert (await e.keys())[0] == set(ips)
    else:
        assert ips == ["None"]


async def test_upgrade_to_dual_stack_and_downgrade_release() -> None:
    e = await env_for(service_cluster_ip_range=DUAL)
    out = await e.create(make_svc("u"))
    v4 = out["spec"]["clusterIP"]
    out = await e.update("u", lambda s: s["spec"].update(ipFamilyPolicy="PreferDualStack"))
    assert out["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
    v6 = out["spec"]["clusterIPs"][1]
    assert (await e.keys())[0] == {v4, v6}
    out = await e.update("u", lambda s: s["spec"].update(ipFamilyPolicy="SingleStack"))
    assert out["spec"]["clusterIPs"] == [v4] and out["spec"]["ipFamilies"] == ["IPv4"]
    assert (await e.keys())[0] == {v4}


async def test_require_dual_stack_on_single_stack_cluster() -> None:
    e = await env_for()
    await expect_error(
        e.create(make_svc("r", ipFamilyPolicy="RequireDualStack")),
        422,
        'Service "r" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": '
        "this cluster is not configured for dual-stack services",
    )


# -- external IPs admission -------------------------------------------------------------------


async def test_deny_service_external_ips() -> None:
    e = await env_for(deny_service_external_ips=True)
    await expect_error(
        e.create(make_svc("x", externalIPs=["192.0.2.1"])),
        403,
        'services "x" is forbidden: Use of external IPs is denied by admission control',
    )
    # an invalid Service is reported as invalid first (admission runs after validation)
    bad = make_svc("z", externalIPs=["192.0.2.1"], sessionAffinity="Bogus")
    err = await expect_error_code(e.create(bad), 422)
    assert "sessionAffinity" in err.message
    assert await e.keys() == (set(), set())  # and what was allocated for it is given back
    # existing externalIPs (written before the flag) may be kept or removed, not added to
    plain = await env_for(e.store)
    await plain.create(make_svc("y", externalIPs=["192.0.2.1", "192.0.2.2"]))
    out = await e.update("y", lambda s: s["spec"].update(externalIPs=["192.0.2.1"]))
    assert out["spec"]["externalIPs"] == ["192.0.2.1"]
    await expect_error(
        e.update("y", lambda s: s["spec"].update(externalIPs=["192.0.2.1", "192.0.2.3"])),
        403,
        'services "y" is forbidden: Use of external IPs is denied by admission control',
    )


async def test_service_external_ip_cidrs() -> None:
    e = await env_for(service_external_ip_cidrs=["192.0.2.0/24"])
    out = await e.create(make_svc("ok", externalIPs=["192.0.2.7"]))
    assert out["spec"]["externalIPs"] == ["192.0.2.7"]
    err = await expect_error(
        e.create(make_svc("no", externalIPs=["198.51.100.1"])),
        403,
        'services "no" is forbidden: Use of external IP 198.51.100.1 is denied by admission control: '
        "it is not within the allowed ranges (--service-external-ip-cidrs=192.0.2.0/24)",
    )
    assert err.reason == "Forbidden"


# -- several apiservers sharing one store ---------------------------------------------------------


async def test_two_processes_never_hand_out_the_same_address() -> None:
    store = MemoryStore()
    a = await env_for(store, service_cluster_ip_range="10.0.0.0/27")  # 30 usable, tiny to force clashes
    b = await env_for(store, service_cluster_ip_range="10.0.0.0/27")
    await a.svcs.strategy.allocators.ensure_loaded()
    await b.svcs.strategy.allocators.ensure_loaded()  # both caches are now stale for what follows
    results = await asyncio.gather(
        *[(a if i % 2 else b).create(make_svc(f"s{i}", type="NodePort")) for i in range(28)],
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, dict)]
    assert len(created) == 28, [r for r in results if not isinstance(r, dict)]
    ips = [r["spec"]["clusterIP"] for r in created]
    ports = [r["spec"]["ports"][0]["nodePort"] for r in created]
    assert len(set(ips)) == 28 and len(set(ports)) == 28
    assert (await a.keys()) == (set(ips), set(ports))


async def test_same_requested_ip_from_two_processes_one_winner() -> None:
    store = MemoryStore()
    a = await env_for(store)
    b = await env_for(store)
    results = await asyncio.gather(
        *[(a if i % 2 else b).create(make_svc(f"s{i}", clusterIP="10.0.0.99")) for i in range(10)],
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, StatusError)]
    assert len(winners) == 1 and len(losers) == 9
    assert all(e.code == 422 and "provided IP is already allocated" in e.message for e in losers)


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (
            "10.0.0.0/8",
            "specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12",
        ),
        (
            "10.0.0.0/16,fd00::/64",
            "specified secondary service cidr is too large; for 128-bit addresses, the mask must be >= 108",
        ),
        (
            "10.0.0.0/16,10.1.0.0/16",
            "--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family",
        ),
    ],
)
def test_service_cidr_flags_are_checked(ranges: str, message: str) -> None:
    from kubesvc.registry.service import ServiceAllocators

    with pytest.raises(ValueError) as exc:
        ServiceAllocators(MemoryStore(), cluster_ip_ranges=ranges)
    assert str(exc.value) == message
