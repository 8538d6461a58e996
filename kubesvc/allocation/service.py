"""What a Service write allocates and releases: ipFamilies/ipFamilyPolicy resolution, ClusterIPs,
NodePorts and the health-check NodePort, as upstream's Service REST storage does it
(`pkg/registry/core/service/storage/alloc.go` and `storage.go`).  Pure: the allocators are
reached through an `AllocationSession`; Services are dicts in v1 JSON shape.

Order of work for a create: `normalize_cluster_ips` -> `init_ip_family_fields` ->
`allocate_create` (ClusterIPs, NodePorts, health-check NodePort).  For an update:
`patch_allocated_values` -> `normalize_cluster_ips` -> `init_ip_family_fields` ->
`allocate_update`.  For a delete: `release_all`.

Errors are `StatusError`s as upstream returns them: 422 Invalid with field causes, or 500
InternalError for "the range is full"-kind failures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kubesvc.allocation.errors import AllocationError
from kubesvc.allocation.ipallocator import IPV4, IPV6, family_of_ip
from kubesvc.allocation.transaction import AllocationSession
from kubesvc.api import errors, fields
from kubesvc.api.fields import FieldError

Obj = dict[str, Any]

NONE = "None"
SINGLE_STACK = "SingleStack"
PREFER_DUAL_STACK = "PreferDualStack"
REQUIRE_DUAL_STACK = "RequireDualStack"

CLUSTER_IP = "ClusterIP"
NODE_PORT = "NodePort"
LOAD_BALANCER = "LoadBalancer"
EXTERNAL_NAME = "ExternalName"

# A loose pre-check of the clusterIP-related fields (MODEL's validation), when available.
ClusterIPsValidator = Callable[[Obj], list[FieldError]]


# -- small views over the dict ------------------------------------------------------------------


def spec_of(svc: Obj) -> Obj:
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        spec = {}
        svc["spec"] = spec
    return spec


def svc_type(svc: Obj) -> str:
    return str((svc.get("spec") or {}).get("type") or CLUSTER_IP)


def cluster_ips(svc: Obj) -> list[str]:
    return list((svc.get("spec") or {}).get("clusterIPs") or [])


def cluster_ip(svc: Obj) -> str:
    return str((svc.get("spec") or {}).get("clusterIP") or "")


def ip_families(svc: Obj) -> list[str]:
    return list((svc.get("spec") or {}).get("ipFamilies") or [])


def ip_family_policy(svc: Obj) -> str:
    return str((svc.get("spec") or {}).get("ipFamilyPolicy") or "")


def _int(value: Any) -> int:
    """An int field; anything else (left for validation to report) reads as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return 0


def _set(spec: Obj, key: str, value: Any) -> None:
    """Set a field; empty values are dropped (Go's omitempty)."""
    if value in (None, "", [], 0):
        spec.pop(key, None)
    else:
        spec[key] = value


def _set_cluster_ips(svc: Obj, ips: list[str] | None) -> None:
    _set(spec_of(svc), "clusterIPs", list(ips) if ips else None)


def _set_families(svc: Obj, fams: list[str] | None) -> None:
    _set(spec_of(svc), "ipFamilies", list(fams) if fams else None)


def has_selector(svc: Obj) -> bool:
    return bool((svc.get("spec") or {}).get("selector"))


def is_headless(svc: Obj) -> bool:
    ips = cluster_ips(svc)
    return bool(ips) and ips[0] == NONE


def needs_cluster_ip(svc: Obj) -> bool:
    return svc_type(svc) != EXTERNAL_NAME


def needs_node_port(svc: Obj) -> bool:
    return svc_type(svc) in (NODE_PORT, LOAD_BALANCER)


def needs_health_check(svc: Obj) -> bool:
    """upstream `NeedsHealthCheck`: LoadBalancer with externalTrafficPolicy Local."""
    spec = svc.get("spec") or {}
    return svc_type(svc) == LOAD_BALANCER and spec.get("externalTrafficPolicy") == "Local"


def externally_accessible(svc: Obj) -> bool:
    """upstream `ExternallyAccessible`: LoadBalancer, NodePort, or ClusterIP with externalIPs."""
    t = svc_type(svc)
    spec = svc.get("spec") or {}
    return t in (LOAD_BALANCER, NODE_PORT) or (t == CLUSTER_IP and bool(spec.get("externalIPs")))


def should_allocate_node_ports(svc: Obj) -> bool:
    t = svc_type(svc)
    if t == NODE_PORT:
        return True
    if t == LOAD_BALANCER:
        value = (svc.get("spec") or {}).get("allocateLoadBalancerNodePorts")
        return value is None or bool(value)
    return False


def ports_of(svc: Obj) -> list[Obj]:
    ports = (svc.get("spec") or {}).get("ports") or []
    return [p for p in ports if isinstance(p, dict)]


def node_ports_of(svc: Obj) -> list[int]:
    """upstream `collectServiceNodePorts`: every non-zero ports[].nodePort (duplicates kept)."""
    return [_int(p.get("nodePort")) for p in ports_of(svc) if _int(p.get("nodePort"))]


def health_check_node_port(svc: Obj) -> int:
    return _int((svc.get("spec") or {}).get("healthCheckNodePort"))


def other_family(fam: str) -> str:
    return IPV6 if fam == IPV4 else IPV4


def family_of(ip: str) -> str:
    return family_of_ip(ip) or "unknown"


def _name(svc: Obj) -> str:
    return str((svc.get("metadata") or {}).get("name") or "")


def _invalid(svc: Obj, errs: Sequence[FieldError]) -> errors.StatusError:
    return errors.invalid("Service", _name(svc), list(errs))


# -- normalisation ------------------------------------------------------------------------------


def normalize_cluster_ips(new: Obj, old: Obj | None) -> None:
    """Keep `clusterIP` and `clusterIPs` in step for clients that only know the singular field."""
    new_ip, new_ips = cluster_ip(new), cluster_ips(new)
    if old is None:
        if new_ip and not new_ips:
            _set_cluster_ips(new, [new_ip])
        return
    old_ip, old_ips = cluster_ip(old), cluster_ips(old)
    if old_ips and not new_ips and old_ip == new_ip:
        # An old client patching something else did not send the plural field.
        _set_cluster_ips(new, old_ips)
        new_ips = old_ips
    if old_ip != new_ip:
        if old_ip and not new_ip:
            if old_ips == new_ips:
                _set_cluster_ips(new, None)
        elif old_ips == new_ips:
            _set_cluster_ips(new, [new_ip])


def patch_allocated_values(new: Obj, old: Obj) -> None:
    """Carry over what we allocated when a client resubmits its original manifest (no clusterIP,
    no nodePorts): the update must not look like a request to change them."""
    spec = spec_of(new)
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        if not cluster_ip(new) and cluster_ip(old):
            spec["clusterIP"] = cluster_ip(old)
        if not cluster_ips(new) and cluster_ips(old):
            spec["clusterIPs"] = cluster_ips(old)
    if needs_node_port(old) and needs_node_port(new):
        used = set(node_ports_of(old)) & set(node_ports_of(new))
        by_name: dict[str, int] = {}
        for p in ports_of(old):
            by_name[str(p.get("name") or "")] = _int(p.get("nodePort"))
        for p in ports_of(new):
            if not p.get("nodePort"):
                old_val = by_name.get(str(p.get("name") or ""), 0)
                if old_val and old_val not in used:
                    p["nodePort"] = old_val
    if (
        needs_health_check(old)
        and needs_health_check(new)
        and not health_check_node_port(new)
        and health_check_node_port(old)
    ):
        spec["healthCheckNodePort"] = health_check_node_port(old)


# -- ipFamilies / ipFamilyPolicy ----------------------------------------------------------------


def _matching_prefer_dual_stack(new: Obj, old: Obj | None) -> bool:
    """A PreferDualStack Service whose IP fields did not change is left alone, so it is never
    upgraded or downgraded just because the cluster changed dual-stackness."""
    if old is None or not ip_family_policy(new):
        return False
    if svc_type(old) != svc_type(new):
        return False
    if svc_type(new) not in (CLUSTER_IP, NODE_PORT, LOAD_BALANCER):
        return False
    if ip_family_policy(new) != PREFER_DUAL_STACK:
        return False
    if ip_family_policy(old) and ip_family_policy(old) != PREFER_DUAL_STACK:
        return False
    return cluster_ips(old) == cluster_ips(new) and ip_families(old) == ip_families(new)


def init_ip_family_fields(
    new: Obj,
    old: Obj | None,
    families: Sequence[str],
    *,
    validate_cluster_ips: ClusterIPsValidator | None = None,
) -> None:
    """Resolve `ipFamilyPolicy` and `ipFamilies` (upstream `initIPFamilyFields`).

    `families` are the cluster's configured families, primary first.  Raises 422 Invalid."""
    if svc_type(new) == EXTERNAL_NAME:
        return
    if _matching_prefer_dual_stack(new, old):
        return
    spec = spec_of(new)
    policy_path = fields.path("spec", "ipFamilyPolicy")

    if not ip_family_policy(new):
        if old is not None and ip_family_policy(old):
            spec["ipFamilyPolicy"] = ip_family_policy(old)
        elif cluster_ip(new) == NONE and not has_selector(new):
            # Headless without selector: the user's endpoints may be of either family.
            spec["ipFamilyPolicy"] = REQUIRE_DUAL_STACK
        else:
            spec["ipFamilyPolicy"] = SINGLE_STACK
    policy = ip_family_policy(new)

    if validate_cluster_ips is not None:
        errs = validate_cluster_ips(new)
        if errs:
            raise _invalid(new, errs)

    el: list[FieldError] = []
    if old is not None:
        if policy == SINGLE_STACK:
            # Setting SingleStack without touching the IPs is a clear request to downgrade;
            # clusterIPs[0] is immutable, so keeping it is safe.
            if cluster_ips(old) == cluster_ips(new) and len(cluster_ips(new)) > 1:
                _set_cluster_ips(new, cluster_ips(new)[:1])
            if ip_families(old) == ip_families(new) and len(ip_families(new)) > 1:
                _set_families(new, ip_families(new)[:1])
        else:
            if cluster_ips(new) and len(cluster_ips(new)) < len(cluster_ips(old)):
                el.append(
                    fields.invalid(
                        policy_path, policy, "must be 'SingleStack' to release the secondary cluster IP"
                    )
                )
            if ip_families(new) and len(ip_families(new)) < len(ip_families(old)):
                el.append(
                    fields.invalid(
                        policy_path, policy, "must be 'SingleStack' to release the secondary IP family"
                    )
                )

    if policy == SINGLE_STACK:
        if len(cluster_ips(new)) == 2:
            el.append(
                fields.invalid(
                    policy_path,
                    policy,
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
                )
            )
        if len(ip_families(new)) == 2:
            el.append(
                fields.invalid(
                    policy_path,
                    policy,
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
                )
            )

    # Infer ipFamilies[] from clusterIPs[].
    fams = ip_families(new)
    ips = cluster_ips(new)
    for i, ip in enumerate(ips):
        if ip == NONE:
            break
        fam = family_of(ip)
        if i >= len(fams):
            if fam not in families:
                el.append(
                    fields.invalid(
                        fields.path("spec", "clusterIPs").index(i),
                        ips,
                        f"{fam} is not configured on this cluster",
                    )
                )
            else:
                fams.append(fam)
    _set_families(new, fams)
    if el:
        raise _invalid(new, el)

    if cluster_ip(new) == NONE and not has_selector(new):
        # Headless and selectorless: allowed to be dual-stack even on a single-stack cluster.
        fams = ip_families(new) or [families[0]]
        if len(fams) < 2 and policy != SINGLE_STACK:
            fams.append(other_family(fams[0]))
        _set_families(new, fams)
        return

    if policy == REQUIRE_DUAL_STACK and len(families) < 2:
        el.append(
            fields.invalid(policy_path, policy, "this cluster is not configured for dual-stack services")
        )
    for i, fam in enumerate(ip_families(new)):
        if fam not in families:
            el.append(
                fields.invalid(
                    fields.path("spec", "ipFamilies").index(i), fam, "not configured on this cluster"
                )
            )
    if el:
        raise _invalid(new, el)

    fams = ip_families(new) or [families[0]]
    if policy != SINGLE_STACK and len(fams) == 1 and len(families) == 2:
        fams.append(other_family(fams[0]))
    _set_families(new, fams)


# -- ClusterIPs ---------------------------------------------------------------------------------


def _alloc_ips(svc: Obj, to_alloc: list[tuple[str, str]], session: AllocationSession) -> dict[str, str]:
    """Allocate (family, requested-or-"") pairs; returns family -> IP."""
    allocated: dict[str, str] = {}
    for fam, ip in to_alloc:
        if not ip:
            try:
                allocated[fam] = session.allocate_next_ip(fam)
            except AllocationError as exc:
                raise errors.internal_error(f"failed to allocate a serviceIP: {exc}") from exc
        else:
            try:
                allocated[fam] = session.allocate_ip(fam, ip)
            except AllocationError as exc:
                el = [
                    fields.invalid(
                        fields.path("spec", "clusterIPs"),
                        cluster_ips(svc),
                        f"failed to allocate IP {ip}: {exc}",
                    )
                ]
                raise _invalid(svc, el) from exc
    return allocated


def alloc_cluster_ips(svc: Obj, session: AllocationSession) -> dict[str, str]:
    if svc_type(svc) == EXTERNAL_NAME or is_headless(svc):
        return {}
    ips = cluster_ips(svc)
    fams = ip_families(svc)
    to_alloc: list[tuple[str, str]] = []
    for i, fam in enumerate(fams):
        if i >= len(ips):
            ips.append("")
        to_alloc.append((fam, ips[i]))
    allocated = _alloc_ips(svc, to_alloc, session)
    for i, fam in enumerate(fams):
        if fam in allocated:
            ips[i] = allocated[fam]
    _set_cluster_ips(svc, ips)
    if ips:
        spec_of(svc)["clusterIP"] = ips[0]
    return allocated


def update_cluster_ips(new: Obj, old: Obj, session: AllocationSession) -> None:
    """Type changes and dual-stack upgrades/downgrades (upstream `updateClusterIPs`)."""
    if _matching_prefer_dual_stack(new, old):
        return
    # A: from ExternalName to a type with ClusterIPs: allocate all.
    if svc_type(old) == EXTERNAL_NAME and svc_type(new) != EXTERNAL_NAME:
        alloc_cluster_ips(new, session)
        return
    if is_headless(old):
        return
    # B: to ExternalName: release all.
    if svc_type(old) != EXTERNAL_NAME and svc_type(new) == EXTERNAL_NAME:
        for ip in cluster_ips(old):
            session.release_ip(ip)
        return
    old_fams, new_fams = ip_families(old), ip_families(new)
    if len(old_fams) == 1 and len(new_fams) == 2:  # C: upgrade
        ips = cluster_ips(new)
        if len(ips) < 2:
            ips.append("")
        allocated = _alloc_ips(new, [(new_fams[1], ips[1])], session)
        ips[1] = allocated[new_fams[1]]
        _set_cluster_ips(new, ips)
        return
    if len(old_fams) == 2 and len(new_fams) == 1:  # D: downgrade
        old_ips = cluster_ips(old)
        if len(old_ips) > 1:
            session.release_ip(old_ips[1])


# -- NodePorts ----------------------------------------------------------------------------------


def _node_port_invalid(svc: Obj, i: int, port: int, exc: Exception) -> errors.StatusError:
    p = fields.path("spec", "ports").index(i).child("nodePort")
    return _invalid(svc, [fields.invalid(p, port, str(exc))])


def _alloc_next_port(session: AllocationSession) -> int:
    try:
        return session.allocate_next_port()
    except AllocationError as exc:
        raise errors.internal_error(f"failed to allocate a nodePort: {exc}") from exc


def init_node_ports(svc: Obj, session: AllocationSession) -> None:
    """One nodePort per service port number; a port number listed twice (e.g. TCP and UDP) shares
    one nodePort unless the user chose different ones."""
    ports = ports_of(svc)
    by_port: dict[int, int] = {}
    for i, sp in enumerate(ports):
        node_port = _int(sp.get("nodePort"))
        if node_port == 0 and not should_allocate_node_ports(svc):
            continue  # respect explicit requests only
        port = _int(sp.get("port"))
        have = by_port.get(port, 0)
        if have == 0:
            requested = next(
                (
                    _int(q.get("nodePort"))
                    for q in ports
                    if _int(q.get("port")) == port and _int(q.get("nodePort"))
                ),
                0,
            )
            if requested:
                try:
                    session.allocate_port(requested)
                except AllocationError as exc:
                    raise _node_port_invalid(svc, i, requested, exc) from exc
                sp["nodePort"] = requested
                by_port[port] = requested
            else:
                np = _alloc_next_port(session)
                sp["nodePort"] = np
                by_port[port] = np
        elif node_port != have:
            if node_port == 0:
                sp["nodePort"] = have
            else:
                try:
                    session.allocate_port(node_port)
                except AllocationError as exc:
                    raise _node_port_invalid(svc, i, node_port, exc) from exc


def update_node_ports(new: Obj, old: Obj, session: AllocationSession) -> None:
    old_numbers = node_ports_of(old)
    seen: list[tuple[str, int]] = []
    taken: set[int] = set()
    for i, sp in enumerate(ports_of(new)):
        node_port = _int(sp.get("nodePort"))
        if node_port == 0 and not should_allocate_node_ports(new):
            continue
        if node_port:
            if node_port not in old_numbers and node_port not in taken:
                try:
                    session.allocate_port(node_port)
                except AllocationError as exc:
                    raise _node_port_invalid(new, i, node_port, exc) from exc
                taken.add(node_port)
        else:
            node_port = _alloc_next_port(session)
            sp["nodePort"] = node_port
        key = (str(sp.get("protocol") or "TCP"), node_port)
        if key in seen:
            raise errors.internal_error(f"duplicate nodePort: {{{key[0]} {key[1]}}}")
        seen.append(key)
    new_numbers = node_ports_of(new)
    for p in old_numbers:
        if p not in new_numbers:
            session.release_port(p)


def alloc_health_check_node_port(svc: Obj, session: AllocationSession) -> None:
    requested = health_check_node_port(svc)
    if requested:
        try:
            session.allocate_port(requested)
        except AllocationError as exc:
            raise errors.internal_error(
                f"failed to allocate requested HealthCheck NodePort {requested}: {exc}"
            ) from exc
    else:
        try:
            spec_of(svc)["healthCheckNodePort"] = session.allocate_next_port()
        except AllocationError as exc:
            raise errors.internal_error(f"failed to allocate a HealthCheck NodePort 0: {exc}") from exc


# -- the three verbs ----------------------------------------------------------------------------


def allocate_create(svc: Obj, session: AllocationSession) -> None:
    """Everything a new Service takes (its family fields already resolved by
    `init_ip_family_fields`).  On error the caller reverts the session."""
    alloc_cluster_ips(svc, session)
    if needs_node_port(svc):
        init_node_ports(svc, session)
    if needs_health_check(svc):
        alloc_health_check_node_port(svc, session)


def allocate_update(new: Obj, old: Obj, session: AllocationSession) -> None:
    """What an update takes and (deferred) gives back (family fields already resolved).
    On error the caller reverts the session."""
    update_cluster_ips(new, old, session)
    # NodePort/LoadBalancer -> ClusterIP/ExternalName releases every nodePort.
    if needs_node_port(old) and svc_type(new) in (EXTERNAL_NAME, CLUSTER_IP):
        for p in node_ports_of(old):
            session.release_port(p)
    if needs_node_port(new):
        update_node_ports(new, old, session)
    needed, needs = needs_health_check(old), needs_health_check(new)
    if not needed and needs:
        alloc_health_check_node_port(new, session)
    elif needed and not needs:
        session.release_port(health_check_node_port(old))


def release_all(svc: Obj, session: AllocationSession) -> None:
    """Everything a deleted Service held (upstream `releaseAllocatedResources`)."""
    if needs_cluster_ip(svc) and not is_headless(svc):
        for ip in cluster_ips(svc):
            session.release_ip(ip)
    for p in node_ports_of(svc):
        session.release_port(p)
    if needs_health_check(svc) and health_check_node_port(svc) > 0:
        session.release_port(health_check_node_port(svc))


def held_by(svc: Obj) -> tuple[list[str], list[int]]:
    """The IPs and ports a stored Service holds (what repair expects to find allocated)."""
    ips: list[str] = []
    if needs_cluster_ip(svc) and not is_headless(svc):
        ips = [ip for ip in cluster_ips(svc) if ip and ip != NONE]
    ports = list(dict.fromkeys(node_ports_of(svc)))
    if needs_health_check(svc) and health_check_node_port(svc) > 0:
        hc = health_check_node_port(svc)
        if hc not in ports:
            ports.append(hc)
    return ips, ports
