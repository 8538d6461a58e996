"""The Service strategy: ClusterIP and NodePort allocation in the store, type transitions,
external-IP admission (issue 4).

Theory of operation
-------------------
Allocation state lives in the store, one key per allocated item, so several apiserver processes
sharing a store never hand out the same address or port:

    /registry/allocations/serviceips/<ip>            (canonical text form of the IP)
    /registry/allocations/servicenodeports/<port>

An item's key is created in the *same* store transaction as the Service write, guarded by
``Compare(key, mod_revision == 0)``; releases are ``Delete`` ops in the Service's update/delete
transaction.  A guard that loses a race fails the whole write, which the generic registry
retries from scratch (the next attempt sees the key).

Each process keeps an in-memory banded bitmap per range (`kubesvc.allocation`) to pick
candidates in O(1).  It is a cache: loaded from the store at first use, corrected whenever the
store disagrees (a requested item is looked up in the store before it is judged; a dynamically
picked one is checked before it is used), and rebuilt by the repair loop
(`kubesvc.registry.repair`).  Items picked by writes still in flight are *pending*: they stay
marked in the bitmap until their write commits or aborts, so concurrent requests of one process
never pick the same item.

Hook order in our generic registry: `prepare_for_*` (here: clusterIP normalisation,
ipFamilies/ipFamilyPolicy resolution, "drop type-dependent fields"), validation, then
`begin_*` (allocation and release).  Upstream resolves families inside `BeginCreate` before
validation; doing it in `prepare_for_*` keeps that order relative to validation.
"""

from __future__ import annotations

import ipaddress
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from kubesvc.allocation import service as alloc
from kubesvc.allocation.ipallocator import IPV4, IPV6, IPRange, canonical_ip, family_of_ip, parse_cidr
from kubesvc.allocation.portallocator import PortRange
from kubesvc.allocation.transaction import AllocationSession
from kubesvc.api import codec, errors, scheme
from kubesvc.api.fields import FieldError
from kubesvc.api.validation.service import service_warnings
from kubesvc.registry.kinds import ServiceStrategy as _PlainServiceStrategy
from kubesvc.registry.strategy import Obj, WriteTxn
from kubesvc.storage.interface import Compare, Delete, Put, Store

log = logging.getLogger(__name__)

IP_PREFIX = "/registry/allocations/serviceips/"
PORT_PREFIX = "/registry/allocations/servicenodeports/"

# kube-apiserver refuses service CIDRs with more than 20 host bits (/12 for IPv4, /108 for IPv6).
MAX_CIDR_BITS = 20

DENY_EXTERNAL_IPS_MESSAGE = "Use of external IPs is denied by admission control"


def _validator() -> Callable[[Obj], list[FieldError]] | None:
    try:
        from kubesvc.api.validation import service as svc_validation
    except ImportError:  # pragma: no cover - MODEL's module is part of the tree
        return None
    fn = getattr(svc_validation, "validate_service_cluster_ips_related_fields", None)
    return fn


def ip_key(ip: str) -> str:
    return IP_PREFIX + canonical_ip(ip)


def port_key(port: int) -> str:
    return f"{PORT_PREFIX}{port}"


def _split(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    out: list[str] = []
    for v in value:
        out.extend(_split(v))
    return out


class ServiceAllocators:
    """The ranges of one apiserver process and their store-backed allocation state."""

    def __init__(
        self,
        store: Store,
        *,
        cluster_ip_ranges: Sequence[str] | str = "10.96.0.0/12",
        node_port_range: str = "30000-32767",
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        cidrs = _split(cluster_ip_ranges) or ["10.96.0.0/12"]
        if len(cidrs) > 2:
            raise ValueError("--service-cluster-ip-range may hold at most two CIDRs (one per IP family)")
        self.ranges: dict[str, IPRange] = {}
        self.families: list[str] = []
        for i, cidr in enumerate(cidrs):
            r = IPRange(cidr, reserve_first=(i == 0))
            bits = r.network.max_prefixlen
            if bits - r.network.prefixlen > MAX_CIDR_BITS:
                flag = "--service-cluster-ip-range" if i == 0 else "secondary service cidr"
                raise ValueError(
                    f"specified {flag} is too large; for {bits}-bit addresses, the mask must be >= {bits - MAX_CIDR_BITS}"
                )
            if r.family in self.ranges:
                raise ValueError(
                    "--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family"
                )
            self.ranges[r.family] = r
            self.families.append(r.family)
        self.ports = PortRange(node_port_range)
        self.rng = rng or random.Random()
        self._pending_ips: Counter[str] = Counter()
        self._pending_ports: Counter[int] = Counter()
        self._loaded = False

    @property
    def primary(self) -> IPRange:
        return self.ranges[self.families[0]]

    # -- cache management ----------------------------------------------------------------
    async def _list_all(self, prefix: str) -> list[str]:
        out: list[str] = []
        start = ""
        while True:
            res = await self.store.list(prefix, limit=1000, start_after=start)
            out.extend(kv.key[len(prefix) :] for kv in res.items)
            if not res.more or not res.items:
                return out
            start = res.items[-1].key

    async def reload(self) -> None:
        """Rebuild the bitmaps from the store (plus what writes in flight hold)."""
        ips = await self._list_all(IP_PREFIX)
        ports = await self._list_all(PORT_PREFIX)
        for r in self.ranges.values():
            r.bitmap.clear()
        self.ports.bitmap.clear()
        for ip in list(ips) + list(self._pending_ips):
            fam = family_of_ip(ip)
            if fam in self.ranges and self.ranges[fam].contains(ip):
                self.ranges[fam].bitmap.allocate(self.ranges[fam].offset_of(ip) or 0)
        for text in ports:
            try:
                port = int(text)
            except ValueError:
                continue
            if self.ports.contains(port):
                self.ports.bitmap.allocate(port - self.ports.base)
        for port in self._pending_ports:
            if self.ports.contains(port):
                self.ports.bitmap.allocate(port - self.ports.base)
        self._loaded = True

    async def ensure_loaded(self) -> None:
        if not self._loaded:
            await self.reload()

    def _mark_ip(self, ip: str, taken: bool) -> None:
        fam = family_of_ip(ip)
        r = self.ranges.get(fam)
        if r is None or not r.contains(ip) or self._pending_ips[canonical_ip(ip)]:
            return
        off = r.offset_of(ip)
        assert off is not None
        if taken:
            r.bitmap.allocate(off)
        else:
            r.bitmap.release(off)

    def _mark_port(self, port: int, taken: bool) -> None:
        if not self.ports.contains(port) or self._pending_ports[port]:
            return
        if taken:
            self.ports.bitmap.allocate(port - self.ports.base)
        else:
            self.ports.bitmap.release(port - self.ports.base)

    async def _sync(self, ips: Sequence[str], ports: Sequence[int]) -> None:
        """Make the cache agree with the store for these items (those not in flight here)."""
        ip_state = {}
        for ip in dict.fromkeys(ips):
            if family_of_ip(ip):
                ip_state[ip] = await self.store.get(ip_key(ip)) is not None
        port_state = {}
        for port in dict.fromkeys(ports):
            port_state[port] = await self.store.get(port_key(port)) is not None
        for ip, taken in ip_state.items():
            self._mark_ip(ip, taken)
        for port, taken in port_state.items():
            self._mark_port(port, taken)

    def _hold(self, session: AllocationSession) -> None:
        for ip in session.allocated_ips:
            self._pending_ips[ip] += 1
        for port in session.allocated_ports:
            self._pending_ports[port] += 1

    def _unhold(self, session: AllocationSession) -> None:
        for ip in session.allocated_ips:
            self._pending_ips[ip] -= 1
            if self._pending_ips[ip] <= 0:
                del self._pending_ips[ip]
        for port in session.allocated_ports:
            self._pending_ports[port] -= 1
            if self._pending_ports[port] <= 0:
                del self._pending_ports[port]

    # -- running one write's allocation --------------------------------------------------
    async def run(
        self,
        svc: Obj,
        work: Callable[[AllocationSession], None],
        *,
        dry_run: bool,
        requested: tuple[list[str], list[int]] = ([], []),
    ) -> AllocationSession:
        """Run the pure `work` against a fresh session; its allocations are held (pending) until
        `finish`.

        The picks are not read back from the store first: the write's transaction guards every
        allocated key (it must not exist), as upstream's allocator creates an IPAddress object and
        fails if another apiserver holds it.  A write that loses such a race re-reads the
        allocations before it retries (see `add_to_txn`)."""
        await self.ensure_loaded()
        req_ips, req_ports = requested
        await self._sync(req_ips, req_ports)
        session = AllocationSession(self.ranges, self.ports, self.rng, dry_run=dry_run)
        try:
            work(session)
        except BaseException:
            session.revert()
            raise
        if not dry_run:
            self._hold(session)
        return session

    def add_to_txn(self, svc: Obj, session: AllocationSession, txn: WriteTxn) -> None:
        """Put the session's keys into the write's transaction and settle it when it ends."""
        if session.dry_run:
            txn.on_commit(session.commit)
            txn.on_abort(session.revert)
            return
        meta = svc.get("metadata") or {}
        owner = {
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "uid": meta.get("uid", ""),
        }
        compares: list[Compare] = []
        ops: list[Any] = []
        for ip in session.allocated_ips:
            key = ip_key(ip)
            compares.append(Compare(key, "mod_revision", "=", 0))
            ops.append(Put(key, codec.dumps({"ip": ip, "family": family_of_ip(ip), "service": owner})))
        for port in dict.fromkeys(session.allocated_ports):
            key = port_key(port)
            compares.append(Compare(key, "mod_revision", "=", 0))
            ops.append(Put(key, codec.dumps({"port": port, "service": owner})))
        rel_ips, rel_ports = session.effective_releases()
        for ip in rel_ips:
            if family_of_ip(ip):
                ops.append(Delete(ip_key(ip)))
        for port in rel_ports:
            ops.append(Delete(port_key(port)))
        txn.add(compares=compares, ops=ops)

        def committed() -> None:
            self._unhold(session)
            session.commit()
            if session.allocated_ips or session.allocated_ports:
                log.info(
                    "allocated for service %s/%s: ips=%s ports=%s",
                    owner["namespace"],
                    owner["name"],
                    session.allocated_ips,
                    session.allocated_ports,
                )

        guarded = [c.key for c in compares]

        def aborted() -> None:
            self._unhold(session)
            session.revert()
            if any(txn.current.get(key) is not None for key in guarded):
                # Another apiserver holds one of our picks: re-read every allocation before the
                # write's retry, so the next picks are free (a cheaper bit flip would learn only
                # the one key this attempt lost).
                self._loaded = False

        txn.on_commit(committed)
        txn.on_abort(aborted)


def requested_items(svc: Obj) -> tuple[list[str], list[int]]:
    """IPs and ports a Service names explicitly (to check against the store before judging)."""
    ips = [ip for ip in alloc.cluster_ips(svc) if ip and ip != alloc.NONE]
    if alloc.cluster_ip(svc) and alloc.cluster_ip(svc) != alloc.NONE:
        ips.append(alloc.cluster_ip(svc))
    ports = alloc.node_ports_of(svc)
    if alloc.health_check_node_port(svc):
        ports.append(alloc.health_check_node_port(svc))
    return ips, ports


# -- pure strategy pieces ---------------------------------------------------------------------


def drop_type_dependent_fields(new: Obj, old: Obj) -> None:
    """Upstream strategy.go `dropTypeDependentFields`: when the type changes, clear the fields
    only the old type used -- unless the user changed them too (then validation judges).  This
    breaks the "never change user input" rule on purpose: these fields were allocated for them."""
    spec = alloc.spec_of(new)
    old_spec = old.get("spec") or {}
    if alloc.needs_cluster_ip(old) and not alloc.needs_cluster_ip(new):
        if alloc.cluster_ip(old) == alloc.cluster_ip(new) and alloc.cluster_ips(old) == alloc.cluster_ips(
            new
        ):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if alloc.ip_families(old) == alloc.ip_families(new):
            spec.pop("ipFamilies", None)
        if alloc.ip_family_policy(old) == alloc.ip_family_policy(new):
            spec.pop("ipFamilyPolicy", None)
    if (
        alloc.needs_node_port(old)
        and not alloc.needs_node_port(new)
        and set(alloc.node_ports_of(new)) <= set(alloc.node_ports_of(old))
    ):
        for p in alloc.ports_of(new):
            p.pop("nodePort", None)
    if (
        alloc.needs_health_check(old)
        and not alloc.needs_health_check(new)
        and alloc.health_check_node_port(old) == alloc.health_check_node_port(new)
    ):
        spec.pop("healthCheckNodePort", None)
    if alloc.svc_type(old) == alloc.LOAD_BALANCER and alloc.svc_type(new) != alloc.LOAD_BALANCER:
        a, b = old_spec.get("allocateLoadBalancerNodePorts"), spec.get("allocateLoadBalancerNodePorts")
        if a is not None and b is not None and a == b:
            spec.pop("allocateLoadBalancerNodePorts", None)
        if old_spec.get("loadBalancerClass") == spec.get("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)
    if (
        alloc.externally_accessible(old)
        and not alloc.externally_accessible(new)
        and old_spec.get("externalTrafficPolicy") == spec.get("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)
    if alloc.svc_type(new) != alloc.LOAD_BALANCER:
        status = new.get("status")
        if isinstance(status, dict):
            status["loadBalancer"] = {}


def admit_external_ips(
    new: Obj,
    old: Obj | None,
    *,
    deny: bool,
    allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
) -> None:
    """`--deny-service-external-ips` (upstream DenyServiceExternalIPs admission: new externalIPs
    are rejected, an update may keep or drop existing ones) and `--service-external-ip-cidrs`
    (ours: every newly added externalIP must be inside one of the listed ranges).  403."""
    new_ips = [str(ip) for ip in (new.get("spec") or {}).get("externalIPs") or []]
    old_ips = set() if old is None else {str(ip) for ip in (old.get("spec") or {}).get("externalIPs") or []}
    added = [ip for ip in new_ips if ip not in old_ips]
    if not added:
        return
    name = str((new.get("metadata") or {}).get("name") or "")
    if deny:
        raise errors.forbidden("services", name, DENY_EXTERNAL_IPS_MESSAGE)
    if allowed:
        for ip in added:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                continue  # validation reports it
            if not any(addr.version == net.version and addr in net for net in allowed):
                ranges = ",".join(str(n) for n in allowed)
                raise errors.forbidden(
                    "services",
                    name,
                    f"Use of external IP {ip} is denied by admission control: "
                    f"it is not within the allowed ranges (--service-external-ip-cidrs={ranges})",
                )


def _deleted_by_update(obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    return (
        bool(meta.get("deletionTimestamp"))
        and not meta.get("finalizers")
        and meta.get("deletionGracePeriodSeconds") == 0
    )


# -- the strategy -------------------------------------------------------------------------------


class ServiceStrategy(_PlainServiceStrategy):
    """Services with allocation.  Built by `build_registry` as ``ServiceStrategy(config, store)``."""

    #: validate after `begin_*` (upstream runs BeginCreate/BeginUpdate before validation:
    #: e.g. a LoadBalancer with externalTrafficPolicy Local must have its healthCheckNodePort)
    allocate_before_validate = True

    def __init__(self, config: Any, store: Store, *, rng: random.Random | None = None) -> None:
        super().__init__(scheme.SERVICES)
        ip_range = getattr(config, "service_cluster_ip_range", None) or "10.96.0.0/12"
        port_range = getattr(config, "service_node_port_range", None) or "30000-32767"
        self.allocators = ServiceAllocators(
            store, cluster_ip_ranges=ip_range, node_port_range=port_range, rng=rng
        )
        self.deny_external_ips = bool(getattr(config, "deny_service_external_ips", False))
        self.allowed_external_cidrs = [
            parse_cidr(c) for c in _split(getattr(config, "service_external_ip_cidrs", []))
        ]
        self.store = store
        self._validate_cluster_ips = _validator()

    @property
    def families(self) -> list[str]:
        return self.allocators.families

    # -- prepare (pure) -------------------------------------------------------------------
    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        alloc.normalize_cluster_ips(obj, None)
        alloc.init_ip_family_fields(obj, None, self.families, validate_cluster_ips=self._validate_cluster_ips)

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        alloc.patch_allocated_values(new, old)
        alloc.normalize_cluster_ips(new, old)
        alloc.init_ip_family_fields(new, old, self.families, validate_cluster_ips=self._validate_cluster_ips)
        drop_type_dependent_fields(new, old)

    def warnings_on_create(self, obj: Obj) -> list[str]:
        # upstream svcStrategy.WarningsOnCreate: GetWarningsForService(new, nil)
        return service_warnings(obj, None)

    def warnings_on_update(self, new: Obj, old: Obj) -> list[str]:
        return service_warnings(new, old)

    def canonicalize(self, obj: Obj) -> None:
        super().canonicalize(obj)
        # Upstream's REST storage drops internalTrafficPolicy from every ExternalName Service it
        # returns (`defaultOnReadInternalTrafficPolicy`: older releases defaulted it there by
        # mistake).  Dropping it before the write serves the same objects on every read.
        spec = obj.get("spec")
        if isinstance(spec, dict) and spec.get("type") == alloc.EXTERNAL_NAME:
            spec.pop("internalTrafficPolicy", None)

    # -- allocation hooks -------------------------------------------------------------------
    async def begin_create(self, obj: Obj, txn: WriteTxn, *, dry_run: bool) -> None:

        def work(session: AllocationSession) -> None:
            alloc.allocate_create(obj, session)

        session = await self.allocators.run(obj, work, dry_run=dry_run, requested=requested_items(obj))
        self.allocators.add_to_txn(obj, session, txn)
        self._admit(obj, None)

    async def begin_update(self, new: Obj, old: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        if _deleted_by_update(new):
            # Removing the last finalizer of a Service being deleted deletes it in this write
            # (upstream then runs AfterDelete, which releases everything it held).
            await self.begin_delete(old, txn, dry_run=dry_run)
            return

        def work(session: AllocationSession) -> None:
            alloc.allocate_update(new, old, session)

        req_ips, req_ports = requested_items(new)
        session = await self.allocators.run(new, work, dry_run=dry_run, requested=(req_ips, req_ports))
        self.allocators.add_to_txn(new, session, txn)
        self._admit(new, old)

    def _admit(self, new: Obj, old: Obj | None) -> None:
        """External-IP admission.  Upstream runs validating admission after allocation and
        validation, so an invalid Service gets its 422 (from the generic registry, which
        validates after this hook) rather than the 403."""
        try:
            admit_external_ips(new, old, deny=self.deny_external_ips, allowed=self.allowed_external_cidrs)
        except errors.StatusError:
            errs = self.validate(new) if old is None else self.validate_update(new, old)
            if errs:
                return
            raise

    async def begin_delete(self, old: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        session = AllocationSession(
            self.allocators.ranges, self.allocators.ports, self.allocators.rng, dry_run=dry_run
        )
        alloc.release_all(old, session)
        self.allocators.add_to_txn(old, session, txn)


__all__ = [
    "IPV4",
    "IPV6",
    "IP_PREFIX",
    "PORT_PREFIX",
    "ServiceAllocators",
    "ServiceStrategy",
    "admit_external_ips",
    "drop_type_dependent_fields",
    "ip_key",
    "port_key",
]
