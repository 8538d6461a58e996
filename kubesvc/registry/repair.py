"""Service system loops run by the apiserver: the allocation repair and the `kubernetes` Service.

`start_service_controllers(registry, config, secure_port=...)` is what the apiserver calls once
it listens: it creates (or fixes) the `kubernetes` Service in `default` with its Endpoints and
EndpointSlice, runs one repair pass, and returns a task that repeats both periodically.

The `kubernetes` Service goes through the registry like any Service (so its ClusterIP, the first
address of the primary range, is allocated and recorded).  Its Endpoints and EndpointSlice point
at the apiserver's advertise address (127.0.0.1 by default), which user writes may not use
(the CVE-2021-25740 loopback rule); like upstream's endpoint reconciler they are written straight
to storage, bypassing validation -- this system write only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from kubesvc.allocation import service as alloc
from kubesvc.allocation.ipallocator import canonical_ip, family_of_ip
from kubesvc.allocation.repair import Finding, Holder, RepairPlan, plan_repair
from kubesvc.api import codec, errors, scheme
from kubesvc.registry.service import IP_PREFIX, PORT_PREFIX, ServiceAllocators, ip_key, port_key
from kubesvc.registry.strategy import apply_defaults
from kubesvc.storage.interface import Compare, Delete, KeyValue, Put

log = logging.getLogger(__name__)

REPAIR_INTERVAL = 180.0  # upstream runs the repair controllers every 3 minutes
ENDPOINT_INTERVAL = 10.0  # upstream's endpoint reconciler interval


class RepairMetrics:
    """Upstream's repair and allocator metrics, registered on the apiserver's registry."""

    def __init__(self, registry: Any, allocators: ServiceAllocators) -> None:
        from prometheus_client import Counter, Gauge

        self.ip_errors = Counter(
            "apiserver_clusterip_repair_ip_errors",
            "Number of errors detected on clusterips by the repair loop broken down by type of error: "
            "leak, repair, full, outOfRange, duplicate, unknown, invalid",
            ["type"],
            registry=registry,
        )
        self.port_errors = Counter(
            "apiserver_nodeport_repair_port_errors",
            "Number of errors detected on ports by the repair loop broken down by type of error: "
            "leak, repair, full, outOfRange, duplicate, unknown",
            ["type"],
            registry=registry,
        )
        self.reconcile_errors = Counter(
            "apiserver_clusterip_repair_reconcile_errors",
            "Number of reconciliation failures on the clusterip repair reconcile loop",
            registry=registry,
        )
        allocated = Gauge(
            "apiserver_clusterip_allocator_allocated_ips",
            "Gauge measuring the number of allocated IPs for Services",
            ["cidr"],
            registry=registry,
        )
        available = Gauge(
            "apiserver_clusterip_allocator_available_ips",
            "Gauge measuring the number of available IPs for Services",
            ["cidr"],
            registry=registry,
        )
        for r in allocators.ranges.values():
            allocated.labels(cidr=r.cidr).set_function(_reader(r, "used"))
            available.labels(cidr=r.cidr).set_function(_reader(r, "free"))
        ports = allocators.ports
        Gauge(
            "apiserver_nodeport_allocator_allocated_ports",
            "Gauge measuring the number of allocated NodePorts for Services",
            registry=registry,
        ).set_function(lambda: ports.used)
        Gauge(
            "apiserver_nodeport_allocator_available_ports",
            "Gauge measuring the number of available NodePorts for Services",
            registry=registry,
        ).set_function(lambda: ports.free)


def _reader(obj: Any, attr: str) -> Callable[[], float]:
    return lambda: float(getattr(obj, attr))


_METRICS: dict[int, RepairMetrics] = {}


def metrics_for(registry: Any, allocators: ServiceAllocators) -> RepairMetrics | None:
    if registry is None:
        return None
    key = id(registry)
    if key not in _METRICS:
        try:
            _METRICS[key] = RepairMetrics(registry, allocators)
        except Exception:  # never fail the apiserver on metrics (e.g. names already registered)
            log.exception("could not register service allocation metrics")
            return None
    return _METRICS[key]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServiceRepair:
    """One repair pass at a time over the allocation keys of one store."""

    def __init__(
        self, registry: Any, allocators: ServiceAllocators, metrics: RepairMetrics | None = None
    ) -> None:
        self.registry = registry
        self.allocators = allocators
        self.metrics = metrics
        self.store = allocators.store
        self.ip_leaks: dict[str, int] = {}
        self.port_leaks: dict[int, int] = {}
        self._reported: set[tuple[str, str, str]] = set()
        self.last_plan: RepairPlan | None = None

    async def _list(self, prefix: str, revision: int) -> tuple[list[KeyValue], int]:
        out: list[KeyValue] = []
        start = ""
        while True:
            res = await self.store.list(prefix, revision=revision, limit=500, start_after=start)
            revision = res.revision
            out.extend(res.items)
            if not res.more or not res.items:
                return out, revision
            start = res.items[-1].key

    async def run_once(self) -> RepairPlan:
        services_rs = self.registry.get(scheme.SERVICES)
        svc_kvs, rev = await self._list(services_rs.root, 0)
        ip_kvs, _ = await self._list(IP_PREFIX, rev)
        port_kvs, _ = await self._list(PORT_PREFIX, rev)
        holders = []
        for kv in svc_kvs:
            svc = codec.loads(kv.value)
            meta = svc.get("metadata") or {}
            ips, ports = alloc.held_by(svc)
            holders.append(
                Holder(
                    str(meta.get("namespace") or ""),
                    str(meta.get("name") or ""),
                    str(meta.get("uid") or ""),
                    tuple(ips),
                    tuple(ports),
                    kv.key,
                    kv.mod_revision,
                )
            )
        ip_revs = {kv.key[len(IP_PREFIX) :]: kv.mod_revision for kv in ip_kvs}
        port_revs: dict[int, int] = {}
        for kv in port_kvs:
            with contextlib.suppress(ValueError):
                port_revs[int(kv.key[len(PORT_PREFIX) :])] = kv.mod_revision
        plan = plan_repair(
            holders,
            ip_revs,
            port_revs,
            ranges=self.allocators.ranges,
            ports=self.allocators.ports,
            ip_leaks=self.ip_leaks,
            port_leaks=self.port_leaks,
        )
        self.ip_leaks, self.port_leaks = plan.ip_leaks, plan.port_leaks
        for ip in plan.suspected_ips:
            log.warning("the cluster IP %s may have leaked: flagging for later clean up", ip)
        for port in plan.suspected_ports:
            log.warning("the node port %s may have leaked: flagging for later clean up", port)
        for ip in plan.release_ips:
            log.warning("the cluster IP %s appears to have leaked: cleaning up", ip)
            key = ip_key(ip)
            rev_of = ip_revs.get(ip, 0) or ip_revs.get(canonical_ip(ip), 0)
            await self.store.txn([Compare(key, "mod_revision", "=", rev_of)], [Delete(key)])
            self._count("ip", "leak")
        for port in plan.release_ports:
            log.warning("the node port %s appears to have leaked: cleaning up", port)
            await self.store.txn(
                [Compare(port_key(port), "mod_revision", "=", port_revs[port])], [Delete(port_key(port))]
            )
            self._count("port", "leak")
        for ip, h in plan.record_ips:
            owner = {"namespace": h.namespace, "name": h.name, "uid": h.uid}
            await self.store.txn(
                [
                    Compare(ip_key(ip), "mod_revision", "=", 0),
                    Compare(h.key, "mod_revision", "=", h.revision),
                ],
                [Put(ip_key(ip), codec.dumps({"ip": ip, "family": family_of_ip(ip), "service": owner}))],
            )
        for port, h in plan.record_ports:
            owner = {"namespace": h.namespace, "name": h.name, "uid": h.uid}
            await self.store.txn(
                [
                    Compare(port_key(port), "mod_revision", "=", 0),
                    Compare(h.key, "mod_revision", "=", h.revision),
                ],
                [Put(port_key(port), codec.dumps({"port": port, "service": owner}))],
            )
        for f in plan.findings:
            await self._report(f)
        await self.allocators.reload()
        self.last_plan = plan
        return plan

    def _count(self, what: str, kind: str) -> None:
        if self.metrics is not None:
            counter = self.metrics.ip_errors if what == "ip" else self.metrics.port_errors
            counter.labels(type=kind).inc()

    async def _report(self, f: Finding) -> None:
        self._count("ip" if f.component.startswith("ip") else "port", f.error_type)
        log.error("service %s/%s: %s: %s", f.holder.namespace, f.holder.name, f.reason, f.message)
        mark = (f.holder.uid, f.reason, f.message)
        if mark in self._reported:
            return
        self._reported.add(mark)
        await record_event(self.registry, f.holder, f.reason, f.message, f.component)


async def record_event(registry: Any, holder: Holder, reason: str, message: str, component: str) -> None:
    """A core/v1 Warning Event on the Service (visible in `kubectl describe svc`)."""
    now = _now()
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{holder.name}.{time.time_ns():x}", "namespace": holder.namespace},
        "involvedObject": {
            "kind": "Service",
            "namespace": holder.namespace,
            "name": holder.name,
            "uid": holder.uid,
            "apiVersion": "v1",
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "type": "Warning",
        "action": "ClusterIPAllocation" if component.startswith("ip") else "PortAllocation",
        "reportingComponent": component,
        "reportingInstance": "",
    }
    try:
        await registry.get(scheme.EVENTS_V1).create(holder.namespace, event)
    except errors.StatusError as exc:
        log.warning(
            "could not record event %s on service %s/%s: %s", reason, holder.namespace, holder.name, exc
        )


# -- the `kubernetes` Service --------------------------------------------------------------------


def kubernetes_service(cluster_ip: str, secure_port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": secure_port}],
            "sessionAffinity": "None",
            "ipFamilyPolicy": "SingleStack",
        },
    }


async def ensure_kubernetes_service(
    registry: Any, allocators: ServiceAllocators, secure_port: int
) -> dict[str, Any]:
    services = registry.get(scheme.SERVICES)
    cluster_ip = allocators.primary.first_ip
    want = kubernetes_service(cluster_ip, secure_port)
    apply_defaults(want)
    try:
        current = await services.get("default", "kubernetes")
    except errors.StatusError as exc:
        if exc.reason != "NotFound":
            raise
        try:
            created: dict[str, Any] = await services.create("default", want)
            return created
        except errors.StatusError as exc2:
            if exc2.reason != "AlreadyExists":
                raise
            current = await services.get("default", "kubernetes")
    want_ports = want["spec"]["ports"]
    have = current.get("spec") or {}
    if have.get("ports") == want_ports and have.get("type") == "ClusterIP":
        return dict(current)

    async def updater(obj: dict[str, Any] | None) -> dict[str, Any]:
        assert obj is not None
        obj["spec"]["ports"] = want_ports
        obj["spec"]["type"] = "ClusterIP"
        obj["metadata"].pop("resourceVersion", None)
        return obj

    updated, _ = await services.update("default", "kubernetes", updater)
    return dict(updated)


async def _put_system_object(registry: Any, info: Any, obj: dict[str, Any]) -> None:
    """Create or replace an object directly in storage (no validation: a system write)."""
    rs = registry.get(info)
    meta = obj["metadata"]
    key = rs.key(meta["namespace"], meta["name"])
    kv = await rs.store.get(key)
    if kv is not None:
        old = codec.loads(kv.value)
        old_meta = old.get("metadata") or {}
        body = {k: v for k, v in obj.items() if k != "metadata"}
        if {k: v for k, v in old.items() if k != "metadata"} == body and old_meta.get("labels") == meta.get(
            "labels"
        ):
            return
        meta["uid"] = old_meta.get("uid") or str(uuid.uuid4())
        meta["creationTimestamp"] = old_meta.get("creationTimestamp") or _now()
        if "generation" in old_meta:
            meta["generation"] = int(old_meta["generation"]) + 1
        await rs.store.txn([Compare(key, "mod_revision", "=", kv.mod_revision)], [Put(key, rs.encode(obj))])
        return
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = _now()
    if info == scheme.ENDPOINT_SLICES:
        meta["generation"] = 1
    await rs.store.txn([Compare(key, "mod_revision", "=", 0)], [Put(key, rs.encode(obj))])


async def ensure_kubernetes_endpoints(registry: Any, address: str, secure_port: int) -> None:
    fam = "IPv6" if ipaddress.ip_address(address).version == 6 else "IPv4"
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": address}],
                "ports": [{"name": "https", "port": secure_port, "protocol": "TCP"}],
            }
        ],
    }
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": fam,
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": secure_port, "protocol": "TCP"}],
    }
    await _put_system_object(registry, scheme.ENDPOINTS, endpoints)
    await _put_system_object(registry, scheme.ENDPOINT_SLICES, slice_)


def _strategy_allocators(registry: Any) -> ServiceAllocators | None:
    strategy = registry.get(scheme.SERVICES).strategy
    allocators = getattr(strategy, "allocators", None)
    return allocators if isinstance(allocators, ServiceAllocators) else None


async def start_service_controllers(
    registry: Any,
    config: Any,
    *,
    secure_port: int,
    repair_interval: float = REPAIR_INTERVAL,
    endpoint_interval: float = ENDPOINT_INTERVAL,
    metrics_registry: Any = None,
) -> asyncio.Task[None] | None:
    """Bootstrap the `kubernetes` Service and start the periodic loops (a task to cancel at
    shutdown).  None when the Service strategy has no allocators (plain strategy)."""
    allocators = _strategy_allocators(registry)
    if allocators is None:
        return None
    address = getattr(config, "public_address", "") or "127.0.0.1"
    repair = ServiceRepair(registry, allocators, metrics_for(metrics_registry, allocators))

    async def sync_kubernetes() -> None:
        await ensure_kubernetes_service(registry, allocators, secure_port)
        await ensure_kubernetes_endpoints(registry, address, secure_port)

    try:
        await sync_kubernetes()
    except Exception:
        log.exception("could not create the kubernetes service")
    try:
        await repair.run_once()
    except Exception:
        log.exception("service allocation repair failed")

    async def loop() -> None:
        next_repair = time.monotonic() + repair_interval
        while True:
            await asyncio.sleep(min(endpoint_interval, repair_interval))
            try:
                await sync_kubernetes()
            except Exception:
                log.exception("could not reconcile the kubernetes service")
            if time.monotonic() >= next_repair:
                next_repair = time.monotonic() + repair_interval
                try:
                    await repair.run_once()
                except Exception:
                    log.exception("service allocation repair failed")
                    if repair.metrics is not None:
                        repair.metrics.reconcile_errors.inc()

    task = asyncio.get_running_loop().create_task(loop(), name="service-controllers")
    task.repair = repair  # type: ignore[attr-defined]
    return task
