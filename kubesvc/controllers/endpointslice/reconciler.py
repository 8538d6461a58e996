"""The EndpointSlice reconciler as a pure plan (upstream k8s.io/endpointslice reconciler.go).

`plan_slices(service, pods, nodes, existing_slices, max_endpoints_per_slice=100)` returns a
`SlicePlan(to_create, to_update, to_delete, errors)`; only the controller talks to the API.

Theory of operation
-------------------
Per address type the Service serves (spec.ipFamilies; without them the ClusterIP's family,
or both for a headless Service), every Pod that belongs in endpoints (not terminal, has an
IP; terminating Pods included) becomes one endpoint: its address(es) of that family,
`conditions` (serving = Pod Ready; terminating = deletionTimestamp set; ready = serving and
not terminating, or always true with publishNotReadyAddresses), `nodeName`, `zone` from the
Node's `topology.kubernetes.io/zone` label, `hostname` when the Pod's subdomain is the Service
name, and a `targetRef` to the Pod.  A Pod whose Node is unknown is left out (and reported in
`errors` so the controller retries), unless publishNotReadyAddresses is set.

Endpoints are grouped by their resolved port list (a named targetPort is looked up in each
Pod's containers, so Pods with different numbers land in different groups).  Each group is
reconciled against the existing slices with the same ports, minimising writes:

1. each existing slice keeps the endpoints still desired (in their new version) and drops the
   others; a slice that lost all its endpoints is deleted, one that changed is updated, one
   whose labels drift from the Service's is updated, the rest are unchanged;
2. desired endpoints not yet placed first fill the slices already being updated (fullest
   first), up to the maximum;
3. what is left goes, if it all fits, into the unchanged slice that it fills best; otherwise
   into new slices.  Slices are never rebalanced.

Slices of port groups no longer desired, of address types the Service no longer serves, or
owned by another object (an older Service of the same name) are deleted.  When nothing would
exist for an address type, one placeholder slice (no endpoints, no ports) is kept or created.
Before writing, creates are turned into updates of slices that would be deleted (same address
type, owned by the Service), so a slice is reused instead of deleted and recreated.

Hints: with `trafficDistribution` PreferClose/PreferSameZone, ready endpoints get
`hints.forZones = [own zone]` (PreferSameNode also `forNodes = [own node]`); otherwise hints are
removed.  Unchanged slices whose hints are wrong are updated.  With the topology annotation
"Auto" (`service.kubernetes.io/topology-aware-hints` or `topology-mode`), which takes precedence,
hints are allocated in proportion to each zone's allocatable CPU instead (`hints.add_topology_hints`,
upstream's TopologyCache); the plan then carries the Events to record (`events`) and whether hints
are populated (`topology_hints`), and the caller passes the latter back on the next plan.

Known deviation: upstream orders ports (and picks endpoints from a set) by Go hash order; we
order ports by (name, protocol, port) and endpoints by address, which is deterministic and
semantically the same.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesvc.controllers.endpointslice.hints import (
    CLOSE_TRAFFIC_DISTRIBUTIONS,
    MSG_HINTS_DISABLED,
    MSG_HINTS_ENABLED,
    REASON_HINTS_DISABLED,
    REASON_HINTS_ENABLED,
    TopologyEvent,
    add_topology_hints,
    apply_hints,
    cpu_ratios_by_zone,
    hints_enabled,
    hints_need_update,
)
from kubesvc.controllers.endpointslice.pods import (
    canonical_ip,
    find_port,
    is_ipv6,
    is_pod_ready,
    is_service_ip_set,
    is_terminating,
    meta,
    pod_ips,
    should_pod_be_in_endpoints,
    should_set_hostname,
    spec,
)

Obj = dict[str, Any]

CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_HEADLESS = "service.kubernetes.io/headless"
LABEL_ZONE = "topology.kubernetes.io/zone"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100
MAX_ENDPOINTS_PER_SLICE_LIMIT = 1000
RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)

PortKey = tuple[tuple[Any, ...], ...]
EndpointKey = tuple[tuple[str, ...], str, str, str]


@dataclass
class SlicePlan:
    to_create: list[Obj] = field(default_factory=list)
    to_update: list[Obj] = field(default_factory=list)
    to_delete: list[Obj] = field(default_factory=list)
    #: Pods left out for a reason worth a retry (their Node is not known yet).
    errors: list[str] = field(default_factory=list)
    #: Events to record on the Service (type, reason, message): topology-aware hints.
    events: list[TopologyEvent] = field(default_factory=list)
    #: Topology-aware hints ("Auto"): True populated, False removed, None not in use.
    topology_hints: bool | None = None

    def is_empty(self) -> bool:
        return not (self.to_create or self.to_update or self.to_delete)

    def writes(self) -> int:
        return len(self.to_create) + len(self.to_update) + len(self.to_delete)


# -- small pure helpers ------------------------------------------------------------------------


def address_types_for_service(service: Mapping[str, Any]) -> list[str]:
    types: list[str] = []
    for fam in spec(service).get("ipFamilies") or ():
        t = {"IPv4": "IPv4", "IPv6": "IPv6"}.get(fam)
        if t and t not in types:
            types.append(t)
    if types:
        return types
    if is_service_ip_set(service):
        return ["IPv6" if is_ipv6(spec(service)["clusterIP"]) else "IPv4"]
    return ["IPv4", "IPv6"]


def endpoint_ports(service: Mapping[str, Any], pod: Mapping[str, Any]) -> list[Obj]:
    """The slice ports for this Pod: one per Service port whose target resolves on the Pod."""
    svc_spec = spec(service)
    ports: list[Obj] = []
    service_ports = svc_spec.get("ports") or []
    if not service_ports and svc_spec.get("clusterIP") == "None":
        return ports
    for sp in service_ports:
        num = find_port(pod, sp)
        if num is None:
            continue
        p: Obj = {"name": sp.get("name", ""), "protocol": sp.get("protocol", "TCP"), "port": num}
        if sp.get("appProtocol") is not None:
            p["appProtocol"] = sp["appProtocol"]
        ports.append(p)
    ports.sort(key=lambda p: (p["name"], p["protocol"], p["port"], p.get("appProtocol") or ""))
    return ports


def port_key(ports: Iterable[Mapping[str, Any]] | None) -> PortKey:
    return tuple(
        sorted((p.get("name"), p.get("protocol"), p.get("port"), p.get("appProtocol")) for p in (ports or ()))
    )


def endpoint_key(ep: Mapping[str, Any]) -> EndpointKey:
    """An endpoint's identity (upstream's endpoint hash): addresses, hostname, target name."""
    ref = ep.get("targetRef") or {}
    addrs = ep.get("addresses") or ()
    return (
        tuple(addrs) if len(addrs) < 2 else tuple(sorted(addrs)),
        ep.get("hostname") or "",
        ref.get("namespace", ""),
        ref.get("name", ""),
    )


def _ref_without_rv(ref: Mapping[str, Any] | None) -> Obj | None:
    if ref is None:
        return None
    return {k: v for k, v in ref.items() if k != "resourceVersion" and v not in ("", None)}


def endpoints_equal_beyond_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same node, zone, conditions and target (ignoring its resourceVersion); hints ignored."""
    if a == b:
        return True
    if a.get("nodeName") != b.get("nodeName") or a.get("zone") != b.get("zone"):
        return False
    ca, cb = a.get("conditions") or {}, b.get("conditions") or {}
    for cond in ("ready", "serving", "terminating"):
        if ca.get(cond) != cb.get(cond):
            return False
    return _ref_without_rv(a.get("targetRef")) == _ref_without_rv(b.get("targetRef"))


def pod_to_endpoint(
    pod: Mapping[str, Any], node: Mapping[str, Any] | None, service: Mapping[str, Any], address_type: str
) -> Obj:
    serving = is_pod_ready(pod)
    terminating = is_terminating(pod)
    publish = bool(spec(service).get("publishNotReadyAddresses"))
    ready = publish or (serving and not terminating)
    want_v6 = address_type == "IPv6"
    addresses = [canonical_ip(ip) for ip in pod_ips(pod) if is_ipv6(ip) == want_v6]
    pm = meta(pod)
    ep: Obj = {
        "addresses": addresses,
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    if should_set_hostname(pod, service):
        ep["hostname"] = spec(pod)["hostname"]
    ref: Obj = {"kind": "Pod", "namespace": pm.get("namespace", ""), "name": pm.get("name", "")}
    if pm.get("uid"):
        ref["uid"] = pm["uid"]
    ep["targetRef"] = ref
    node_name = spec(pod).get("nodeName")
    if node_name:
        ep["nodeName"] = node_name
    zone = ((node or {}).get("metadata") or {}).get("labels", {}).get(LABEL_ZONE) if node else None
    if zone:
        ep["zone"] = zone
    return ep


def slice_labels(
    existing: Mapping[str, str] | None, service: Mapping[str, Any], controller_name: str
) -> tuple[dict[str, str], bool]:
    """The labels a slice should carry, and whether the non-reserved ones drifted from the Service's."""
    ep_labels = {k: v for k, v in (existing or {}).items() if k not in RESERVED_LABELS}
    svc_labels = {k: v for k, v in (meta(service).get("labels") or {}).items() if k not in RESERVED_LABELS}
    changed = ep_labels != svc_labels
    if not is_service_ip_set(service):
        svc_labels[LABEL_HEADLESS] = ""
    svc_labels[LABEL_SERVICE_NAME] = meta(service).get("name", "")
    svc_labels[LABEL_MANAGED_BY] = controller_name
    return svc_labels, changed


def slice_name_prefix(service_name: str) -> str:
    prefix = f"{service_name}-"
    return prefix if len(prefix) <= 253 else service_name


def owner_reference(service: Mapping[str, Any]) -> Obj:
    m = meta(service)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": m.get("name", ""),
        "uid": m.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_by(slice_: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
    uid = meta(service).get("uid", "")
    return any(
        o.get("uid") == uid and o.get("kind") == "Service" and o.get("apiVersion") == "v1"
        for o in meta(slice_).get("ownerReferences") or ()
    )


def new_slice(
    service: Mapping[str, Any], ports: Sequence[Mapping[str, Any]], address_type: str, controller_name: str
) -> Obj:
    labels, _ = slice_labels({}, service, controller_name)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "generateName": slice_name_prefix(meta(service).get("name", "")),
            "namespace": meta(service).get("namespace", ""),
            "labels": labels,
            "ownerReferences": [owner_reference(service)],
        },
        "addressType": address_type,
        "endpoints": [],
        "ports": [dict(p) for p in ports],
    }


def managed_by(slice_: Mapping[str, Any], controller_name: str = CONTROLLER_NAME) -> bool:
    return (meta(slice_).get("labels") or {}).get(LABEL_MANAGED_BY) == controller_name


def _name(slice_: Mapping[str, Any]) -> str:
    return str(meta(slice_).get("name", ""))


def _is_placeholder_of(existing: Mapping[str, Any], placeholder: Mapping[str, Any]) -> bool:
    """Upstream's placeholder comparison: of the metadata only namespace and labels count (not
    the name, owners or timestamps), then the slice body (address type, no endpoints, no ports)."""
    em, pm = meta(existing), meta(placeholder)
    if em.get("namespace") != pm.get("namespace"):
        return False
    if (em.get("labels") or {}) != (pm.get("labels") or {}):
        return False
    return (
        existing.get("addressType") == placeholder.get("addressType")
        and not (existing.get("endpoints") or [])
        and not (existing.get("ports") or [])
    )


# -- the plan --------------------------------------------------------------------------------


def plan_slices(
    service: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]],
    nodes: Mapping[str, Mapping[str, Any]],
    existing_slices: Iterable[Mapping[str, Any]],
    *,
    max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
    controller_name: str = CONTROLLER_NAME,
    trigger_time: str | None = None,
    memo: dict[str, dict[Any, tuple[Obj, EndpointKey]]] | None = None,
    topology_hints_populated: bool = False,
) -> SlicePlan:
    """What to create, update and delete so the slices match the Service's Pods.

    `pods` are the Pods the Service selects; `nodes` maps node names to Nodes; `existing_slices`
    are the slices this controller manages for the Service (label service-name + managed-by).
    `trigger_time` (RFC 3339) is written as the last-change-trigger-time annotation on every
    slice created or updated, and the annotation is removed from them when None.
    The inputs are not modified; objects in the plan are new dicts.

    `memo` (optional, owned by the caller, one per Service) remembers the endpoint built for
    each Pod version (uid, resourceVersion, zone, ...) so a re-plan after a one-Pod change does
    not rebuild every endpoint; it only ever holds the entries of the last plan.

    `topology_hints_populated`: whether the previous plan for this Service populated
    topology-aware hints (its `topology_hints`), so the enabled/disabled Events are emitted once.
    """
    if max_endpoints_per_slice < 1:
        raise ValueError("max_endpoints_per_slice must be positive")
    pods = list(pods)
    plan = SlicePlan()
    supported = address_types_for_service(service)
    by_type: dict[str, list[Mapping[str, Any]]] = {t: [] for t in supported}
    stray: list[Mapping[str, Any]] = []
    for s in existing_slices:
        t = s.get("addressType", "")
        if t in by_type:
            by_type[t].append(s)
        else:
            stray.append(s)
    seen_errors: set[str] = set()
    topo = _Topology(
        enabled=hints_enabled(service),
        populated=topology_hints_populated,
        ratios=cpu_ratios_by_zone(nodes.values()) if hints_enabled(service) else None,
    )
    for address_type in supported:
        create, update, delete, errors = _plan_address_type(
            service,
            pods,
            nodes,
            by_type[address_type],
            address_type,
            max_endpoints_per_slice,
            controller_name,
            None if memo is None else memo.setdefault(address_type, {}),
            topo,
        )
        final_create, final_update, final_delete = _finalize(service, create, update, delete)
        plan.to_create.extend(final_create)
        plan.to_update.extend(final_update)
        plan.to_delete.extend(final_delete)
        for e in errors:
            if e not in seen_errors:
                seen_errors.add(e)
                plan.errors.append(e)
    plan.to_delete.extend(dict(s) for s in stray)
    plan.events = topo.events
    plan.topology_hints = topo.populated if topo.enabled else None
    for s in plan.to_create + plan.to_update:
        annotations = s.setdefault("metadata", {}).setdefault("annotations", {})
        if trigger_time:
            annotations[ANNOTATION_TRIGGER_TIME] = trigger_time
        else:
            annotations.pop(ANNOTATION_TRIGGER_TIME, None)
        if not annotations:
            s["metadata"].pop("annotations")
    return plan


@dataclass
class _Topology:
    """Topology-aware hints state threaded through the address types of one plan."""

    enabled: bool
    populated: bool
    ratios: dict[str, float] | None
    events: list[TopologyEvent] = field(default_factory=list)


def _plan_address_type(
    service: Mapping[str, Any],
    pods: list[Mapping[str, Any]],
    nodes: Mapping[str, Mapping[str, Any]],
    existing: list[Mapping[str, Any]],
    address_type: str,
    max_per_slice: int,
    controller_name: str,
    memo: dict[Any, tuple[Obj, EndpointKey]] | None = None,
    topo: _Topology | None = None,
) -> tuple[list[Obj], list[Obj], list[Mapping[str, Any]], list[str]]:
    to_create: list[Obj] = []
    to_update: list[Obj] = []
    to_delete: list[Mapping[str, Any]] = []
    errors: list[str] = []

    existing_by_ports: dict[PortKey, list[Mapping[str, Any]]] = {}
    for s in existing:
        if owned_by(s, service):
            existing_by_ports.setdefault(port_key(s.get("ports")), []).append(s)
        else:
            to_delete.append(s)

    desired_ports: dict[PortKey, list[Obj]] = {}
    desired: dict[PortKey, dict[EndpointKey, Obj]] = {}
    used: dict[Any, tuple[Obj, EndpointKey]] = {}
    publish = bool(spec(service).get("publishNotReadyAddresses"))
    svc_ns, svc_name = meta(service).get("namespace", ""), meta(service).get("name", "")
    # Ports depend on the Pod only through named target ports: otherwise compute them once.
    named = any(isinstance(p.get("targetPort"), str) for p in spec(service).get("ports") or ())
    shared_ports: list[Obj] | None = None if named else endpoint_ports(service, {})
    shared_key = port_key(shared_ports) if shared_ports is not None else ()
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=True):
            continue
        if shared_ports is not None:
            ports, pk = shared_ports, shared_key
        else:
            ports = endpoint_ports(service, pod)
            pk = port_key(ports)
        group = desired.setdefault(pk, {})
        desired_ports.setdefault(pk, ports)
        node_name = spec(pod).get("nodeName", "")
        node = nodes.get(node_name) if node_name else None
        if node is None and not publish:
            errors.append(
                f"skipping Pod {meta(pod).get('name')} for Service {svc_ns}/{svc_name}: Node {node_name} Not Found"
            )
            continue
        if memo is None:
            ep = pod_to_endpoint(pod, node, service, address_type)
            key = endpoint_key(ep)
        else:
            pm = meta(pod)
            zone = (meta(node).get("labels") or {}).get(LABEL_ZONE) if node is not None else None
            mkey = (
                pm.get("uid"),
                pm.get("name"),
                pm.get("resourceVersion"),
                address_type,
                zone,
                publish,
                svc_name,
            )
            hit = memo.get(mkey)
            if hit is None:
                ep = pod_to_endpoint(pod, node, service, address_type)
                hit = (ep, endpoint_key(ep))
            used[mkey] = hit
            ep, key = dict(hit[0]), hit[1]  # plans change only top-level keys (hints)
        if ep["addresses"]:
            group[key] = ep
    if memo is not None:
        memo.clear()
        memo.update(used)

    for pk, group in desired.items():
        c, u, d = _plan_port_group(
            service,
            existing_by_ports.get(pk, []),
            group,
            desired_ports[pk],
            address_type,
            max_per_slice,
            controller_name,
        )
        to_create.extend(c)
        to_update.extend(u)
        to_delete.extend(d)
    for pk, slices in existing_by_ports.items():
        if pk not in desired:
            to_delete.extend(slices)

    if len(existing) == len(to_delete) and not to_create:
        placeholder = new_slice(service, [], address_type, controller_name)
        if len(to_delete) == 1 and _is_placeholder_of(to_delete[0], placeholder):
            to_delete = []
        else:
            to_create.append(placeholder)

    changed = {_name(s) for s in to_update} | {_name(s) for s in to_delete}
    if topo is not None and topo.enabled:
        # The topology annotation "Auto" takes precedence over trafficDistribution.
        unchanged = [s for s in sorted(existing, key=_name) if _name(s) not in changed]
        extra, allocated, events = add_topology_hints(
            to_create, to_update, unchanged, topo.ratios, address_type, _copy_slice
        )
        to_update.extend(extra)
        topo.events.extend(events)
        if allocated is None:
            topo.populated = False
        else:
            if not topo.populated:
                topo.events.append(
                    ("Normal", REASON_HINTS_ENABLED, f"{MSG_HINTS_ENABLED}, addressType: {address_type}")
                )
            topo.populated = True
        return to_create, to_update, to_delete, errors
    if topo is not None and topo.populated:
        topo.events.append(
            ("Warning", REASON_HINTS_DISABLED, f"{MSG_HINTS_DISABLED}, addressType: {address_type}")
        )
        topo.populated = False

    # Hints (trafficDistribution), per address type, as upstream's trafficdist.ReconcileHints.
    td = spec(service).get("trafficDistribution")
    close = td in CLOSE_TRAFFIC_DISTRIBUTIONS
    node_hints = td == "PreferSameNode"
    for s in sorted(existing, key=_name):
        if _name(s) in changed:
            continue
        if hints_need_update(s, close, node_hints):
            to_update.append(_copy_slice(s))
    for s in to_create + to_update:
        apply_hints(s, close, node_hints)
    return to_create, to_update, to_delete, errors


def _copy_slice(s: Mapping[str, Any], endpoints: list[Obj] | None = None) -> Obj:
    """A copy safe to change: new metadata, ports and endpoint list (cache objects stay intact)."""
    out = dict(s)
    out["metadata"] = copy.deepcopy(dict(meta(s)))
    out["ports"] = copy.deepcopy(list(s.get("ports") or []))
    out["endpoints"] = endpoints if endpoints is not None else copy.deepcopy(list(s.get("endpoints") or []))
    return out


def _plan_port_group(
    service: Mapping[str, Any],
    existing: list[Mapping[str, Any]],
    desired: dict[EndpointKey, Obj],
    ports: list[Obj],
    address_type: str,
    max_per_slice: int,
    controller_name: str,
) -> tuple[list[Obj], list[Obj], list[Mapping[str, Any]]]:
    remaining = dict(desired)  # endpoints not yet placed
    by_name: dict[str, Mapping[str, Any]] = {}
    unchanged: list[str] = []
    to_update: dict[str, Obj] = {}
    to_delete: list[Mapping[str, Any]] = []

    # 1. keep what is still desired in place (in its new version), drop the rest
    for s in sorted(existing, key=_name):
        name = _name(s)
        by_name[name] = s
        kept: list[Obj] = []
        endpoint_changed = False
        for ep in s.get("endpoints") or ():
            key = endpoint_key(ep)
            want = remaining.pop(key, None)
            if want is not None:
                kept.append(want)  # desired endpoints are fresh dicts, each placed once
                if not endpoints_equal_beyond_key(want, ep):
                    endpoint_changed = True
        labels, labels_changed = slice_labels(meta(s).get("labels"), service, controller_name)
        if endpoint_changed or len(kept) != len(s.get("endpoints") or ()):
            if not kept:
                to_delete.append(s)
            else:
                updated = _copy_slice(s, kept)
                updated["metadata"]["labels"] = labels
                to_update[name] = updated
        elif labels_changed:
            updated = _copy_slice(s)
            updated["metadata"]["labels"] = labels
            to_update[name] = updated
        else:
            unchanged.append(name)

    order = sorted(remaining, key=lambda k: (k[0], k[3], k[1]))
    queue = [remaining[k] for k in order]
    queue.reverse()  # pop() from the end takes them in order

    # 2. fill the slices we are updating anyway, fullest first
    if queue and to_update:
        for s in sorted(to_update.values(), key=lambda s: (-len(s["endpoints"]), _name(s))):
            while queue and len(s["endpoints"]) < max_per_slice:
                s["endpoints"].append(queue.pop())

    # 3. the rest: into the one unchanged slice they fill best when they all fit, else new slices
    to_create: list[Obj] = []
    while queue:
        target: Obj | None = None
        if len(queue) < max_per_slice and unchanged:
            best_diff = max_per_slice
            best: str | None = None
            for name in unchanged:
                diff = max_per_slice - (len(queue) + len(by_name[name].get("endpoints") or ()))
                if 0 <= diff < best_diff:
                    best_diff, best = diff, name
                    if diff == 0:
                        break
            if best is not None:
                target = _copy_slice(by_name[best])
        if target is None:
            target = new_slice(service, ports, address_type, controller_name)
        while queue and len(target["endpoints"]) < max_per_slice:
            target["endpoints"].append(queue.pop())
        name = _name(target)
        if name:
            to_update[name] = target
            unchanged.remove(name)
        else:
            to_create.append(target)

    return to_create, list(to_update.values()), to_delete


def _finalize(
    service: Mapping[str, Any],
    to_create: list[Obj],
    to_update: list[Obj],
    to_delete: list[Mapping[str, Any]],
) -> tuple[list[Obj], list[Obj], list[Obj]]:
    """Reuse slices about to be deleted for slices about to be created (fewer writes)."""
    deletes = [dict(s) for s in to_delete]
    i = 0
    while i < len(deletes) and to_create:
        old = deletes[i]
        fresh = to_create[-1]
        if old.get("addressType") == fresh.get("addressType") and owned_by(old, service):
            fresh["metadata"]["name"] = _name(old)
            to_create.pop()
            to_update.append(fresh)
            del deletes[i]
        else:
            i += 1
    if meta(service).get("deletionTimestamp") is not None:
        # Creating slices for a Service being deleted would race the garbage collector.
        to_create = []
    return to_create, to_update, deletes
