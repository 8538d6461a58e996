"""EndpointSlice mirroring: the pure plan from a user's Endpoints to mirrored EndpointSlices.

Facts carried over from upstream's `pkg/controller/endpointslicemirroring`:

- Only Endpoints of a Service *without* a selector are mirrored. Endpoints labelled
  `endpointslice.kubernetes.io/skip-mirror: "true"` or carrying the leader-election annotation
  `control-plane.alpha.kubernetes.io/leader` are never mirrored; when mirroring stops for any
  reason (Endpoints or Service gone, selector added, skip label set) the mirrored slices are deleted.
- The subsets are first put in canonical form (upstream `RepackSubsets`): addresses are de-duplicated
  by (IP, targetRef.uid), an address listed both ready and not ready counts as not ready, and ports
  that serve the same set of addresses are gathered into one subset.
- Per subset, at most `max_endpoints_per_subset` (default 1000) addresses are mirrored, ready ones
  first; invalid IPs are skipped. Each (address type, port set) pair maps to exactly one slice, so a
  subset with IPv4 and IPv6 addresses gives two slices.
- A mirrored slice copies the Endpoints' labels (then `kubernetes.io/service-name` and
  `endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io` are set over
  them) and its annotations except `endpoints.kubernetes.io/last-change-trigger-time` and
  `kubectl.kubernetes.io/last-applied-configuration`; its controller owner is the Endpoints.
- An Endpoints being deleted (deletionTimestamp set) gets no writes at all; slices being deleted
  are ignored.
- Existing slices are matched by (address type, port set). Extra slices of one key are deleted;
  the first is kept untouched when its endpoints, labels and annotations already match, else it is
  rewritten. A slice that would be created while another of the same address type would be
  deleted is recycled instead (the delete becomes an update under the old name).
- Events (on the Endpoints): Warning `InvalidIPAddress` and Warning `TooManyAddressesToMirror`,
  worded as upstream's.

Deviations, kept on purpose: upstream orders ports and subsets by an md5 of Go structs and
picks endpoints from a hash set; we order ports by (name, port, protocol), addresses by (IP, uid)
and keep endpoints in that order, so plans are deterministic. Updates carry the cached slice's
resourceVersion (upstream updates unconditionally and relies on its stale-cache tracker).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io"
EVENT_COMPONENT = "endpoint-slice-mirroring-controller"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
ANNOTATION_LEADER = "control-plane.alpha.kubernetes.io/leader"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DEFAULT_MAX_ENDPOINTS_PER_SUBSET = 1000

REASON_INVALID_IP = "InvalidIPAddress"
REASON_TOO_MANY = "TooManyAddressesToMirror"

IPV4 = "IPv4"
IPV6 = "IPv6"

_NOT_COPIED_ANNOTATIONS = (ANNOTATION_TRIGGER_TIME, ANNOTATION_LAST_APPLIED)


@dataclass(frozen=True)
class MirrorEvent:
    type: str  # "Normal" | "Warning"
    reason: str
    message: str


@dataclass
class MirrorPlan:
    """What to write so the mirrored slices match the Endpoints. Creates use generateName."""

    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)
    delete: list[Obj] = field(default_factory=list)
    events: list[MirrorEvent] = field(default_factory=list)
    invalid_addresses: int = 0
    skipped_addresses: int = 0

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


# ---------------------------------------------------------------------------------------------
# predicates


def should_mirror(endpoints: Mapping[str, Any] | None) -> bool:
    """False for a missing Endpoints, the skip-mirror label, or a leader-election record."""
    if endpoints is None:
        return False
    meta = endpoints.get("metadata") or {}
    if (meta.get("labels") or {}).get(LABEL_SKIP_MIRROR) == "true":
        return False
    return ANNOTATION_LEADER not in (meta.get("annotations") or {})


def service_has_selector(service: Mapping[str, Any]) -> bool:
    # An empty selector map does not survive JSON encoding (omitempty), so upstream's
    # `Selector != nil` is "a non-empty selector" on the wire.
    return bool((service.get("spec") or {}).get("selector"))


def is_mirrored_slice(slice_: Mapping[str, Any]) -> bool:
    return ((slice_.get("metadata") or {}).get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME


def endpoints_key_for_slice(slice_: Mapping[str, Any]) -> str | None:
    """`namespace/name` of the Endpoints a slice belongs to (by its service-name label)."""
    meta = slice_.get("metadata") or {}
    name = (meta.get("labels") or {}).get(LABEL_SERVICE_NAME)
    if not name:
        return None
    return f"{meta.get('namespace', '')}/{name}"


# ---------------------------------------------------------------------------------------------
# addresses and ports


def parse_ip_sloppy(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse as Go's ParseIPSloppy: IPv4 parts may carry leading zeros (read as decimal);
    an IPv4-mapped IPv6 address counts as IPv4."""
    if not isinstance(text, str) or not text:
        return None
    if "." in text and ":" not in text:
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
            return None
        values = [int(p) for p in parts]
        if any(v > 255 for v in values):
            return None
        return ipaddress.IPv4Address(".".join(str(v) for v in values))
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_type_of(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return IPV4 if ip.version == 4 else IPV6


def _port_sort_key(p: Mapping[str, Any]) -> tuple[str, int, str, str]:
    return (
        str(p.get("name") or ""),
        int(p.get("port") or 0),
        str(p.get("protocol") or ""),
        str(p.get("appProtocol") or ""),
    )


def to_slice_ports(endpoint_ports: Iterable[Mapping[str, Any]]) -> list[Obj]:
    """v1 EndpointPort → discovery/v1 EndpointPort (name and protocol always present)."""
    out: list[Obj] = []
    for p in endpoint_ports:
        port: Obj = {
            "name": p.get("name") or "",
            "port": p.get("port"),
            "protocol": p.get("protocol") or "TCP",
        }
        if p.get("appProtocol") is not None:
            port["appProtocol"] = p["appProtocol"]
        out.append(port)
    return out


def port_set_key(ports: Iterable[Mapping[str, Any]] | None, address_type: str) -> tuple[Any, ...]:
    """Identity of a slice family: address type plus the port set, order-independent."""
    normalized = sorted(
        (
            str(p.get("name") or ""),
            p.get("port"),
            str(p.get("protocol") or "TCP"),
            p.get("appProtocol"),
        )
        for p in ports or ()
    )
    return (address_type, tuple(normalized))


def _address_key(addr: Mapping[str, Any]) -> tuple[str, str]:
    return (str(addr.get("ip", "")), str((addr.get("targetRef") or {}).get("uid", "")))


def _address_sort_key(addr: Mapping[str, Any]) -> tuple[bytes, int, str]:
    # LessEndpointAddress: by IP bytes, then no targetRef first, then by uid.
    ref = addr.get("targetRef")
    return (str(addr.get("ip", "")).encode(), 0 if ref is None else 1, str((ref or {}).get("uid", "")))


@dataclass
class Subset:
    addresses: list[Obj]
    not_ready_addresses: list[Obj]
    ports: list[Obj]


def repack_subsets(subsets: Sequence[Mapping[str, Any]] | None) -> list[Subset]:
    """Canonical form of Endpoints subsets (upstream `RepackSubsets`), with a stable order."""
    all_addrs: dict[tuple[str, str], Obj] = {}
    # port (as a hashable tuple, or None for "no ports") -> {address key: ready}
    by_port: dict[tuple[Any, ...] | None, dict[tuple[str, str], bool]] = {}
    port_objs: dict[tuple[Any, ...], Obj] = {}
    for subset in subsets or ():
        ports = subset.get("ports") or []
        port_keys: list[tuple[Any, ...] | None] = []
        for p in ports:
            port_key = (p.get("name") or "", p.get("port"), p.get("protocol") or "TCP", p.get("appProtocol"))
            port_objs.setdefault(port_key, dict(p))
            port_keys.append(port_key)
        if not port_keys:
            port_keys = [None]
        for pk in port_keys:
            ready_map = by_port.setdefault(pk, {})
            for addrs, ready in (
                (subset.get("addresses") or [], True),
                (subset.get("notReadyAddresses") or [], False),
            ):
                for addr in addrs:
                    ak = _address_key(addr)
                    all_addrs.setdefault(ak, dict(addr))
                    # not ready always trumps ready
                    if ready_map.get(ak, True):
                        ready_map[ak] = ready
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[tuple[Any, ...] | None]] = {}
    for pk, ready_map in by_port.items():
        groups.setdefault(frozenset(ready_map.items()), []).append(pk)
    out: list[Subset] = []
    for addr_set, pks in groups.items():
        ready_addrs = sorted((all_addrs[ak] for ak, r in addr_set if r), key=_address_sort_key)
        not_ready = sorted((all_addrs[ak] for ak, r in addr_set if not r), key=_address_sort_key)
        subset_ports = sorted((port_objs[k] for k in pks if k is not None), key=_port_sort_key)
        out.append(Subset(ready_addrs, not_ready, subset_ports))
    out.sort(
        key=lambda s: ([_port_sort_key(p) for p in s.ports], [_address_sort_key(a) for a in s.addresses])
    )
    return out


def address_to_endpoint(address: Mapping[str, Any], ready: bool) -> tuple[Obj, str] | None:
    """An Endpoints address as a slice endpoint, with its address type; None if the IP is invalid."""
    ip = parse_ip_sloppy(str(address.get("ip", "")))
    if ip is None:
        return None
    endpoint: Obj = {"addresses": [str(ip)], "conditions": {"ready": ready}}
    if address.get("hostname"):
        endpoint["hostname"] = address["hostname"]
    if address.get("nodeName") is not None:
        endpoint["nodeName"] = address["nodeName"]
    if address.get("targetRef") is not None:
        endpoint["targetRef"] = dict(address["targetRef"])
    return endpoint, address_type_of(ip)


def endpoint_identity(endpoint: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two slice endpoints "the same" (upstream hashEndpoint): sorted addresses,
    hostname and the targetRef's namespace/name. Other fields may change in place."""
    ref = endpoint.get("targetRef") or {}
    return (
        tuple(sorted(endpoint.get("addresses") or [])),
        endpoint.get("hostname") or "",
        ref.get("namespace", ""),
        ref.get("name", ""),
    )


def _ref_without_rv(ref: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {k: v for k, v in ref.items() if k != "resourceVersion"}


def endpoints_equal_beyond_identity(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Upstream EndpointsEqualBeyondHash: nodeName, zone, the three conditions and targetRef
    (its resourceVersion ignored)."""
    if a.get("nodeName") != b.get("nodeName") or a.get("zone") != b.get("zone"):
        return False
    ca, cb = a.get("conditions") or {}, b.get("conditions") or {}
    for cond in ("ready", "serving", "terminating"):
        if ca.get(cond) != cb.get(cond):
            return False
    return _ref_without_rv(a.get("targetRef")) == _ref_without_rv(b.get("targetRef"))


# ---------------------------------------------------------------------------------------------
# the plan


def new_mirrored_slice(
    endpoints: Mapping[str, Any],
    ports: list[Obj],
    address_type: str,
    endpoint_list: list[Obj],
    name: str = "",
) -> Obj:
    meta_in = endpoints.get("metadata") or {}
    ep_name = meta_in.get("name", "")
    labels = dict(meta_in.get("labels") or {})
    labels[LABEL_SERVICE_NAME] = ep_name
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    annotations = {
        k: v for k, v in (meta_in.get("annotations") or {}).items() if k not in _NOT_COPIED_ANNOTATIONS
    }
    meta: Obj = {
        "namespace": meta_in.get("namespace", ""),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "name": ep_name,
                "uid": meta_in.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if annotations:
        meta["annotations"] = annotations
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = slice_name_prefix(ep_name)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta,
        "addressType": address_type,
        "endpoints": endpoint_list,
        "ports": ports,
    }


def slice_name_prefix(name: str) -> str:
    # `<name>-` unless that is no longer a valid DNS-subdomain prefix (upstream getEndpointSlicePrefix).
    return f"{name}-" if len(name) + 1 <= 253 else name


def _slice_matches(existing: Mapping[str, Any], endpoints: Mapping[str, Any], desired: list[Obj]) -> bool:
    by_id = {endpoint_identity(e): e for e in desired}
    have = existing.get("endpoints") or []
    if len(have) != len(by_id):
        return False
    for e in have:
        want = by_id.get(endpoint_identity(e))
        if want is None or not endpoints_equal_beyond_identity(want, e):
            return False
    meta_ep = endpoints.get("metadata") or {}
    meta_sl = existing.get("metadata") or {}
    want_annotations = {
        k: v for k, v in (meta_ep.get("annotations") or {}).items() if k not in _NOT_COPIED_ANNOTATIONS
    }
    have_labels = {
        k: v
        for k, v in (meta_sl.get("labels") or {}).items()
        if k not in (LABEL_MANAGED_BY, LABEL_SERVICE_NAME)
    }
    return (meta_ep.get("labels") or {}) == have_labels and want_annotations == (
        meta_sl.get("annotations") or {}
    )


def plan_mirrored_slices(
    endpoints: Mapping[str, Any] | None,
    service: Mapping[str, Any] | None,
    existing_slices: Sequence[Mapping[str, Any]],
    *,
    max_endpoints_per_subset: int = DEFAULT_MAX_ENDPOINTS_PER_SUBSET,
) -> MirrorPlan:
    """Plan the mirrored slices of one Endpoints object.

    `existing_slices` are the slices in the namespace labelled with the Endpoints' name; only
    those managed by the mirroring controller are considered (slices of other owners are never
    touched). `service` is the Service of the same name, or None when it does not exist.
    """
    mirrored = sorted(
        (dict(s) for s in existing_slices if is_mirrored_slice(s)),
        key=lambda s: (s.get("metadata") or {}).get("name", ""),
    )
    plan = MirrorPlan()
    if endpoints is None or not should_mirror(endpoints) or service is None or service_has_selector(service):
        plan.delete = mirrored
        return plan
    if (endpoints.get("metadata") or {}).get("deletionTimestamp"):
        return plan  # the Endpoints is going away: its slices follow through the garbage collector
    # slices already being deleted are not ours to reuse (upstream dropEndpointSlicesPendingDeletion)
    mirrored = [s for s in mirrored if not (s.get("metadata") or {}).get("deletionTimestamp")]

    # desired endpoints per (address type, port set), in first-seen key order
    desired: dict[tuple[Any, ...], list[Obj]] = {}
    desired_ids: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}
    ports_by_key: dict[tuple[Any, ...], list[Obj]] = {}
    invalid = 0
    skipped = 0
    for subset in repack_subsets(endpoints.get("subsets")):
        slice_ports = to_slice_ports(subset.ports)
        keys = {at: port_set_key(slice_ports, at) for at in (IPV4, IPV6)}
        for key in keys.values():
            desired.setdefault(key, [])
            desired_ids.setdefault(key, set())
            ports_by_key[key] = slice_ports
        total = len(subset.addresses) + len(subset.not_ready_addresses)
        added = 0
        for addrs, ready in ((subset.addresses, True), (subset.not_ready_addresses, False)):
            for addr in addrs:
                if added >= max_endpoints_per_subset:
                    break
                converted = address_to_endpoint(addr, ready)
                if converted is None:
                    invalid += 1
                    continue
                endpoint, address_type = converted
                key = keys[address_type]
                ident = endpoint_identity(endpoint)
                if ident in desired_ids[key]:
                    # a set: a later duplicate replaces the earlier one
                    desired[key] = [e for e in desired[key] if endpoint_identity(e) != ident]
                desired_ids[key].add(ident)
                desired[key].append(endpoint)
                added += 1
        skipped += total - added
    plan.invalid_addresses = invalid
    plan.skipped_addresses = skipped
    if invalid > 0:
        plan.events.append(
            MirrorEvent(
                "Warning",
                REASON_INVALID_IP,
                f"Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices",
            )
        )
    if skipped > invalid:
        plan.events.append(
            MirrorEvent(
                "Warning",
                REASON_TOO_MANY,
                f"A max of {max_endpoints_per_subset} addresses can be mirrored to EndpointSlices per "
                f"Endpoints subset. {skipped} addresses were skipped",
            )
        )

    existing_by_key: dict[tuple[Any, ...], list[Obj]] = {}
    for s in mirrored:
        existing_by_key.setdefault(port_set_key(s.get("ports"), str(s.get("addressType", ""))), []).append(s)

    for key, want in desired.items():
        have = existing_by_key.get(key, [])
        if not want:
            plan.delete.extend(have)
            continue
        want = want[:max_endpoints_per_subset]
        if have:
            plan.delete.extend(have[1:])
            if _slice_matches(have[0], endpoints, want):
                continue
            updated = new_mirrored_slice(
                endpoints, ports_by_key[key], key[0], want, have[0]["metadata"]["name"]
            )
            _carry_resource_version(updated, have[0])
            plan.update.append(updated)
        else:
            plan.create.append(new_mirrored_slice(endpoints, ports_by_key[key], key[0], want))
    for key, have in existing_by_key.items():
        if key not in desired:
            plan.delete.extend(have)

    _recycle(plan)
    return plan


def _carry_resource_version(new: Obj, old: Mapping[str, Any]) -> None:
    rv = (old.get("metadata") or {}).get("resourceVersion")
    if rv:
        new["metadata"]["resourceVersion"] = rv


def _recycle(plan: MirrorPlan) -> None:
    """Turn (create, delete) pairs of the same address type into updates of the deleted slice."""
    for address_type in (IPV4, IPV6):
        creates = [s for s in plan.create if s.get("addressType") == address_type]
        deletes = [s for s in plan.delete if s.get("addressType") == address_type]
        for new, old in zip(creates, deletes):
            plan.create.remove(new)
            plan.delete.remove(old)
            meta = new["metadata"]
            meta.pop("generateName", None)
            meta["name"] = old["metadata"]["name"]
            _carry_resource_version(new, old)
            plan.update.append(new)
