"""Topology hints on EndpointSlices.

`trafficDistribution` (upstream k8s.io/endpointslice/trafficdist): PreferClose / PreferSameZone:
every ready endpoint gets `hints.forZones = [its zone]` (none when it has no zone);
PreferSameNode also `hints.forNodes = [its node]`.  Any other value (or none): hints are removed.
Not-ready endpoints are left as they are under the close heuristics.

Topology-aware hints (upstream k8s.io/endpointslice/topologycache), used instead when the
Service's `service.kubernetes.io/topology-aware-hints` (or, without it, `topology-mode`)
annotation is "Auto"/"auto": ready endpoints are given zone hints in proportion to the
allocatable CPU of the ready Nodes of each zone (Nodes labelled control-plane/master ignored),
each zone getting at least its share divided by 1.2 (the overload threshold); endpoints are
first hinted for their own zone, then zones with too many hand endpoints over to zones with
too few.  When that is not possible (a Node without zone or CPU, fewer than two zones, fewer
endpoints than zones, an endpoint without zone, ...) hints are removed and a Warning Event
`TopologyAwareHintsDisabled` says why; a Normal `TopologyAwareHintsEnabled` Event is emitted
when hints are (re)enabled for a Service.  `add_topology_hints` is the pure version of
upstream's TopologyCache.AddHints: the Node view is computed from the Nodes given, not cached.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Obj = dict[str, Any]

ANNOTATION_TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
ANNOTATION_TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"
CLOSE_TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


def _endpoint_ready(ep: Mapping[str, Any]) -> bool:
    return bool((ep.get("conditions") or {}).get("ready"))


def _wanted_hints(ep: Mapping[str, Any], node_hints: bool) -> Obj | None:
    hints: Obj = {}
    if ep.get("zone"):
        hints["forZones"] = [{"name": ep["zone"]}]
    if node_hints and ep.get("nodeName"):
        hints["forNodes"] = [{"name": ep["nodeName"]}]
    return hints or None


def hints_need_update(slice_: Mapping[str, Any], close: bool, node_hints: bool) -> bool:
    for ep in slice_.get("endpoints") or ():
        hints = ep.get("hints")
        if not close:
            if hints is not None:
                return True
            continue
        if not _endpoint_ready(ep):
            continue
        hints = hints or {}
        if ep.get("zone"):
            fz = hints.get("forZones") or []
            if len(fz) != 1 or fz[0].get("name") != ep["zone"]:
                return True
        elif hints.get("forZones"):
            return True
        if node_hints and ep.get("nodeName"):
            fn = hints.get("forNodes") or []
            if len(fn) != 1 or fn[0].get("name") != ep["nodeName"]:
                return True
        elif hints.get("forNodes"):
            return True
    return False


def apply_hints(slice_: Obj, close: bool, node_hints: bool) -> None:
    for ep in slice_.get("endpoints") or ():
        if not close:
            ep.pop("hints", None)
            continue
        if not _endpoint_ready(ep):
            continue
        wanted = _wanted_hints(ep, node_hints)
        if wanted is None:
            ep.pop("hints", None)
        else:
            ep["hints"] = wanted


def hints_enabled(service: Mapping[str, Any]) -> bool:
    ann = (service.get("metadata") or {}).get("annotations") or {}
    val = ann.get(ANNOTATION_TOPOLOGY_HINTS, ann.get(ANNOTATION_TOPOLOGY_MODE))
    return val in ("Auto", "auto")


# -- topology-aware hints (the "Auto" annotation) ------------------------------------------------

OVERLOAD_THRESHOLD = 0.2
LABEL_ZONE = "topology.kubernetes.io/zone"
EXCLUDED_NODE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")

REASON_HINTS_DISABLED = "TopologyAwareHintsDisabled"
REASON_HINTS_ENABLED = "TopologyAwareHintsEnabled"
MSG_NO_ZONE_SPECIFIED = "One or more endpoints do not have a zone specified"
MSG_NO_ALLOCATED_HINTS = "No hints allocated for zones"
MSG_HINTS_ENABLED = "Topology Aware Hints has been enabled"
MSG_HINTS_DISABLED = "Topology Aware Hints has been disabled"
MSG_INSUFFICIENT_NODE_INFO = (
    "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"
)
MSG_NODES_IN_ONE_ZONE = "Nodes only ready in one zone"
MSG_INSUFFICIENT_ENDPOINTS = "Insufficient number of endpoints"
MSG_MIN_EXCEEDS_OVERLOAD = (
    "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold"
)

#: (type, reason, message) of an Event to record on the Service.
TopologyEvent = tuple[str, str, str]

_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def quantity_milli(value: Any) -> int:
    """A resource quantity ("2", "1500m", "0.5", "1e3") in thousandths, rounded up (0 if unparsable)."""
    if value is None:
        return 0
    text = str(value).strip()
    number, suffix = text, ""
    for suf in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"):
        if text.endswith(suf):
            number, suffix = text[: -len(suf)], suf
            break
    try:
        amount = Decimal(number) * _SUFFIXES[suffix] * 1000
    except (InvalidOperation, KeyError):
        try:
            amount = Decimal(text) * 1000  # an exponent form such as "1e3"
        except InvalidOperation:
            return 0
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def _node_ready(node: Mapping[str, Any]) -> bool:
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def node_topology(node: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of a Node topology-aware hints depend on (zone, readiness, CPU, excluded roles)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    return (
        labels.get(LABEL_ZONE),
        _node_ready(node),
        ((node.get("status") or {}).get("allocatable") or {}).get("cpu"),
        tuple(k for k in EXCLUDED_NODE_LABELS if k in labels),
    )


def cpu_ratios_by_zone(nodes: Iterable[Mapping[str, Any]]) -> dict[str, float] | None:
    """Each zone's share of the ready Nodes' allocatable CPU; None when the Nodes say too little
    (a ready Node without zone or CPU, no CPU at all, or fewer than two zones)."""
    cpu_by_zone: dict[str, int] = {}
    total = 0
    for node in nodes:
        labels = (node.get("metadata") or {}).get("labels") or {}
        if any(k in labels for k in EXCLUDED_NODE_LABELS):
            continue
        if not _node_ready(node):
            continue
        cpu = quantity_milli(((node.get("status") or {}).get("allocatable") or {}).get("cpu"))
        zone = labels.get(LABEL_ZONE)
        if not zone or cpu == 0:
            return None
        total += cpu
        cpu_by_zone[zone] = cpu_by_zone.get(zone, 0) + cpu
    if total == 0 or len(cpu_by_zone) < 2:
        return None
    return {zone: cpu / total for zone, cpu in cpu_by_zone.items()}


def _allocations(
    ratios: Mapping[str, float] | None, num_endpoints: int
) -> tuple[dict[str, tuple[int, int, float]] | None, str | None]:
    """zone -> (minimum, maximum, desired), or None and the reason."""
    if ratios is None:
        return None, MSG_INSUFFICIENT_NODE_INFO
    if len(ratios) < 2:
        return None, MSG_NODES_IN_ONE_ZONE
    if len(ratios) > num_endpoints:
        return None, f"{MSG_INSUFFICIENT_ENDPOINTS} ({num_endpoints} endpoints, {len(ratios)} zones)"
    remaining = num_endpoints
    min_total = 0
    partial: dict[str, tuple[int, float]] = {}
    for zone in sorted(ratios):
        desired = ratios[zone] * float(num_endpoints)
        minimum = math.ceil(desired * (1 / (1 + OVERLOAD_THRESHOLD)))
        partial[zone] = (minimum, max(desired, float(minimum)))
        min_total += minimum
        remaining -= minimum
        if remaining < 0:
            return None, f"{MSG_MIN_EXCEEDS_OVERLOAD} ({num_endpoints} endpoints, {len(ratios)} zones)"
    return {z: (mn, mn + num_endpoints - min_total, d) for z, (mn, d) in partial.items()}, None


def _zone_hints(ep: Mapping[str, Any]) -> list[str]:
    return [z.get("name", "") for z in ((ep.get("hints") or {}).get("forZones") or ())]


def _hints_by_zone(
    slice_: Mapping[str, Any], allocated: Mapping[str, int], allocations: Mapping[str, tuple[int, int, float]]
) -> dict[str, int] | None:
    """The hints an unchanged slice holds per zone, or None when they must be recomputed."""
    counts: dict[str, int] = {}
    for ep in slice_.get("endpoints") or ():
        if not _endpoint_ready(ep):
            continue
        zones = _zone_hints(ep)
        if not zones:
            return None
        for zone in zones:
            if zone not in allocations:
                return None
            counts[zone] = counts.get(zone, 0) + 1
    for zone, n in counts.items():
        if n + allocated.get(zone, 0) > allocations[zone][1]:
            return None
    return counts


def _most(values: Mapping[str, float]) -> tuple[str, float]:
    zone, most = "", 0.0
    for z in sorted(values):
        if values[z] > most:
            zone, most = z, values[z]
    return zone, most


def _giving_and_receiving(
    allocations: Mapping[str, tuple[int, int, float]], allocated: Mapping[str, int]
) -> tuple[dict[str, int], dict[str, int]]:
    giving_desired: dict[str, float] = {}
    receiving_desired: dict[str, float] = {}
    for zone, (_, _, target) in allocations.items():
        have = float(allocated.get(zone, 0))
        if have > target:
            giving_desired[zone] = have - target
        elif have < target:
            receiving_desired[zone] = target - have
    giving: dict[str, int] = {}
    receiving: dict[str, int] = {}
    while True:
        gz, to_give = _most(giving_desired)
        rz, to_receive = _most(receiving_desired)
        if not gz or not rz or (to_give < 1.0 and to_receive < 1.0) or to_give < 0.5 or to_receive < 0.5:
            break
        giving[gz] = giving.get(gz, 0) + 1
        giving_desired[gz] -= 1
        receiving[rz] = receiving.get(rz, 0) + 1
        receiving_desired[rz] -= 1
    return giving, receiving


def _redistribute(slices: list[Obj], giving: dict[str, int], receiving: dict[str, int]) -> dict[str, int]:
    moved: dict[str, int] = {}
    for s in slices:
        for ep in s.get("endpoints") or ():
            if not _endpoint_ready(ep):
                continue
            if not giving or not receiving:
                return moved
            zone = ep.get("zone")
            if not zone or giving.get(zone, 0) <= 0:
                continue
            for rz in sorted(receiving):
                if receiving[rz] > 0:
                    ep["hints"] = {"forZones": [{"name": rz}]}
                    giving[zone] -= 1
                    if giving[zone] == 0:
                        del giving[zone]
                    receiving[rz] -= 1
                    if receiving[rz] == 0:
                        del receiving[rz]
                    moved[rz] = moved.get(rz, 0) + 1
                    moved[zone] = moved.get(zone, 0) - 1
                    break
    return moved


def _with_address_type(message: str, address_type: str) -> str:
    return f"{message}, addressType: {address_type}"


def remove_hints_from_slices(
    to_create: list[Obj], to_update: list[Obj], unchanged: list[Mapping[str, Any]], copy_slice: Any
) -> list[Obj]:
    """Strip hints from the slices being written and return the unchanged slices that held
    hints, copied and stripped (they become updates)."""
    for s in to_create + to_update:
        for ep in s.get("endpoints") or ():
            ep.pop("hints", None)
    extra: list[Obj] = []
    for u in unchanged:
        if any(ep.get("hints") is not None for ep in u.get("endpoints") or ()):
            c = copy_slice(u)
            for ep in c.get("endpoints") or ():
                ep.pop("hints", None)
            extra.append(c)
    return extra


def add_topology_hints(
    to_create: list[Obj],
    to_update: list[Obj],
    unchanged: list[Mapping[str, Any]],
    ratios: Mapping[str, float] | None,
    address_type: str,
    copy_slice: Any,
) -> tuple[list[Obj], dict[str, int] | None, list[TopologyEvent]]:
    """Proportional zone hints (TopologyCache.AddHints).  Changes `to_create`/`to_update` in
    place; returns the unchanged slices that must now be updated too, the hints allocated per
    zone (None when hints were removed) and Events (the "enabled" one is left to the caller)."""
    total = sum(
        1
        for s in [*to_create, *to_update, *unchanged]
        for ep in s.get("endpoints") or ()
        if _endpoint_ready(ep)
    )
    allocations, reason = _allocations(ratios, total)
    if allocations is None:
        extra = remove_hints_from_slices(to_create, to_update, unchanged, copy_slice)
        return (
            extra,
            None,
            [("Warning", REASON_HINTS_DISABLED, _with_address_type(reason or "", address_type))],
        )

    allocated: dict[str, int] = {}
    extra = []
    still_unchanged: list[Mapping[str, Any]] = []
    for s in unchanged:
        counts = _hints_by_zone(s, allocated, allocations)
        if counts is None:
            extra.append(copy_slice(s))
        else:
            still_unchanged.append(s)
            for zone, n in counts.items():
                allocated[zone] = allocated.get(zone, 0) + n
    allocatable = [*to_create, *to_update, *extra]

    for s in allocatable:
        for ep in s.get("endpoints") or ():
            if not _endpoint_ready(ep):
                continue
            zone = ep.get("zone")
            if not zone:
                more = remove_hints_from_slices(to_create, to_update + extra, still_unchanged, copy_slice)
                event = (
                    "Warning",
                    REASON_HINTS_DISABLED,
                    _with_address_type(MSG_NO_ZONE_SPECIFIED, address_type),
                )
                return extra + more, None, [event]
            allocated[zone] = allocated.get(zone, 0) + 1
            ep["hints"] = {"forZones": [{"name": zone}]}

    giving, receiving = _giving_and_receiving(allocations, allocated)
    for zone, diff in _redistribute(allocatable, giving, receiving).items():
        allocated[zone] = allocated.get(zone, 0) + diff

    if not allocated:
        more = remove_hints_from_slices(to_create, to_update + extra, still_unchanged, copy_slice)
        event = ("Warning", REASON_HINTS_DISABLED, _with_address_type(MSG_NO_ALLOCATED_HINTS, address_type))
        return extra + more, None, [event]
    return extra, allocated, []
