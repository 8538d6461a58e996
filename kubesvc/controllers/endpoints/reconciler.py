"""The legacy v1 Endpoints of a selector Service, as a pure function (upstream endpoints controller).

`build_subsets(service, pods)` turns the selected Pods into subsets:

- a Pod is used when it is not terminal, has an IP, and is not terminating (terminating Pods
  are used only with publishNotReadyAddresses);
- its address is the Pod IP of the Service's first IP family (ipFamilies[0]; without families:
  the ClusterIP's family, or the Pod's primary IP family for a headless Service); Pods without
  an IP of that family are skipped;
- it goes to `addresses` when the Pod is Ready (or publishNotReadyAddresses), else to
  `notReadyAddresses`; `hostname` when the Pod's subdomain is the Service's name; `nodeName`
  and a `targetRef` to the Pod;
- one port per Service port whose target resolves on the Pod (named ports by name+protocol);
  a headless Service without ports gets port-less subsets;
- then subsets are repacked as upstream's RepackSubsets: addresses that serve the same set of
  ports share one subset; an address not ready on any port is not ready for that port set.
  Addresses are sorted by IP then Pod uid.

`plan_endpoints(service, pods, current, trigger_time=None)` returns `EndpointsPlan(action,
endpoints)`: action "create", "update" or None (nothing to write).  The written object has the
Service's labels plus `endpoints.kubernetes.io/managed-by: endpoint-controller` (and
`service.kubernetes.io/headless` for headless Services; an existing object without the
managed-by label is rewritten to carry it), the
`endpoints.kubernetes.io/last-change-trigger-time` annotation (or none), and at most 1000
addresses: above that, `truncate_subsets` keeps ready addresses first, spread over the subsets
in proportion, and the `endpoints.kubernetes.io/over-capacity: truncated` annotation is set; it
is removed once the total is 1000 or fewer.

Known deviation: upstream orders subsets and ports by a Go hash; we order ports by
(name, port, protocol) and subsets by their ports then first address, deterministic and
semantically the same.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubesvc.controllers.endpointslice.pods import (
    canonical_ip,
    find_port,
    is_ipv6,
    is_pod_ready,
    is_service_ip_set,
    meta,
    pod_ips,
    should_pod_be_in_endpoints,
    should_set_hostname,
    spec,
    status,
)

Obj = dict[str, Any]

MAX_CAPACITY = 1000
ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TRUNCATED = "truncated"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
LABEL_HEADLESS = "service.kubernetes.io/headless"
#: Marks the Endpoints this controller writes (upstream since 1.33; deprecated with the API).
LABEL_MANAGED_BY = "endpoints.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpoint-controller"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


@dataclass
class EndpointsPlan:
    action: str | None  # "create" | "update" | None
    endpoints: Obj | None


def _address_for(service: Mapping[str, Any], pod: Mapping[str, Any]) -> Obj | None:
    families = spec(service).get("ipFamilies") or []
    if families:
        want_v6 = families[0] == "IPv6"
    elif is_service_ip_set(service):
        want_v6 = is_ipv6(spec(service)["clusterIP"])
    else:
        want_v6 = is_ipv6(status(pod).get("podIP", ""))
    ip = next((canonical_ip(i) for i in pod_ips(pod) if is_ipv6(i) == want_v6), None)
    if ip is None:
        return None
    pm = meta(pod)
    addr: Obj = {"ip": ip}
    if should_set_hostname(pod, service):
        addr["hostname"] = spec(pod)["hostname"]
    # Upstream points nodeName at the Pod's (possibly empty) spec.nodeName, which validation then
    # rejects for an unscheduled Pod that somehow has an IP; we leave it out instead, so one such
    # Pod cannot block the whole Endpoints object.
    if spec(pod).get("nodeName"):
        addr["nodeName"] = spec(pod)["nodeName"]
    ref: Obj = {"kind": "Pod", "namespace": pm.get("namespace", ""), "name": pm.get("name", "")}
    if pm.get("uid"):
        ref["uid"] = pm["uid"]
    addr["targetRef"] = ref
    return addr


def _port(service_port: Mapping[str, Any], number: int) -> Obj:
    p: Obj = {}
    if service_port.get("name"):
        p["name"] = service_port["name"]
    p["port"] = number
    p["protocol"] = service_port.get("protocol", "TCP")
    if service_port.get("appProtocol") is not None:
        p["appProtocol"] = service_port["appProtocol"]
    return p


def _addr_sort_key(a: Mapping[str, Any]) -> tuple[bytes, str]:
    return (a.get("ip", "").encode(), (a.get("targetRef") or {}).get("uid", ""))


def _port_sort_key(p: Mapping[str, Any]) -> tuple[str, int, str, str]:
    return (p.get("name", ""), int(p.get("port", 0)), p.get("protocol", ""), p.get("appProtocol", ""))


def _port_id(p: Mapping[str, Any]) -> tuple[Any, ...]:
    return (p.get("name", ""), p.get("port"), p.get("protocol", ""), p.get("appProtocol"))


def build_subsets(service: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> list[Obj]:
    publish = bool(spec(service).get("publishNotReadyAddresses"))
    service_ports = spec(service).get("ports") or []
    headless = spec(service).get("clusterIP") == "None"
    # (ip, uid) -> address; port id -> {(ip, uid): ready}; port id -> port
    addresses: dict[tuple[str, str], Obj] = {}
    ready_by_port: dict[tuple[Any, ...] | None, dict[tuple[str, str], bool]] = {}
    ports_by_id: dict[tuple[Any, ...], Obj] = {}

    def note(addr: Obj, port: Obj | None, ready: bool) -> None:
        akey = (addr["ip"], (addr.get("targetRef") or {}).get("uid", ""))
        addresses.setdefault(akey, addr)
        pid = _port_id(port) if port is not None else None
        if port is not None:
            ports_by_id.setdefault(_port_id(port), port)
        states = ready_by_port.setdefault(pid, {})
        # not ready trumps ready
        if states.get(akey, True):
            states[akey] = ready

    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=publish):
            continue
        addr = _address_for(service, pod)
        if addr is None:
            continue
        ready = publish or is_pod_ready(pod)
        if not service_ports:
            if headless:
                note(addr, None, ready)
            continue
        for sp in service_ports:
            num = find_port(pod, sp)
            if num is None:
                continue
            note(addr, _port(sp, num), ready)

    # group ports by identical (address, ready) sets
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[tuple[Any, ...] | None]] = {}
    for pid, states in ready_by_port.items():
        groups.setdefault(frozenset(states.items()), []).append(pid)
    subsets: list[Obj] = []
    for addr_states, pids in groups.items():
        ready_addrs = sorted((copy.deepcopy(addresses[a]) for a, r in addr_states if r), key=_addr_sort_key)
        not_ready = sorted((copy.deepcopy(addresses[a]) for a, r in addr_states if not r), key=_addr_sort_key)
        ports = sorted((copy.deepcopy(ports_by_id[p]) for p in pids if p is not None), key=_port_sort_key)
        subset: Obj = {}
        if ready_addrs:
            subset["addresses"] = ready_addrs
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if ports:
            subset["ports"] = ports
        subsets.append(subset)
    subsets.sort(key=_subset_sort_key)
    return subsets


def _subset_sort_key(s: Mapping[str, Any]) -> tuple[Any, ...]:
    first = (s.get("addresses") or s.get("notReadyAddresses") or [{}])[0]
    return (tuple(_port_sort_key(p) for p in s.get("ports") or ()), _addr_sort_key(first))


def count_addresses(subsets: Iterable[Mapping[str, Any]]) -> int:
    return sum(len(s.get("addresses") or ()) + len(s.get("notReadyAddresses") or ()) for s in subsets)


def truncate_subsets(subsets: list[Obj]) -> bool:
    """Cut to MAX_CAPACITY addresses in place, ready ones first; True when something was cut."""
    total_ready = sum(len(s.get("addresses") or ()) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or ()) for s in subsets)
    if total_ready + total_not_ready <= MAX_CAPACITY:
        return False
    truncate_ready = total_ready > MAX_CAPACITY
    budget = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - total_ready
    total = total_ready if truncate_ready else total_not_ready
    can_add = budget
    for s in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        have = s.get(field) or []
        # each subset keeps its proportion, rounded up; the last ones get what is left
        share = min(math.ceil(len(have) / total * budget), can_add)
        kept = have[:share]
        if kept:
            s[field] = kept
        else:
            s.pop(field, None)
        if truncate_ready:
            s.pop("notReadyAddresses", None)
        can_add -= len(kept)
    return True


def _capacity_annotation_correct(annotations: Mapping[str, str], subsets: list[Obj]) -> bool:
    if count_addresses(subsets) > MAX_CAPACITY:
        return False
    return ANNOTATION_OVER_CAPACITY not in annotations


def _ref_no_rv(ref: Any) -> Any:
    if isinstance(ref, Mapping):
        return {k: v for k, v in ref.items() if k != "resourceVersion"}
    return ref


def _normal_subsets(subsets: Iterable[Mapping[str, Any]] | None) -> list[Obj]:
    """Drop empty lists and targetRef resourceVersions, for comparison only."""
    out = []
    for s in subsets or ():
        n: Obj = {}
        for key in ("addresses", "notReadyAddresses"):
            addrs = [
                {k: (_ref_no_rv(v) if k == "targetRef" else v) for k, v in a.items()}
                for a in s.get(key) or ()
            ]
            if addrs:
                n[key] = addrs
        if s.get("ports"):
            n["ports"] = [dict(p) for p in s["ports"]]
        out.append(n)
    return out


def plan_endpoints(
    service: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]],
    current: Mapping[str, Any] | None,
    *,
    trigger_time: str | None = None,
) -> EndpointsPlan:
    """The Endpoints to write for a selector Service (its Pods already selected), if any."""
    subsets = build_subsets(service, pods)
    svc_labels = dict(meta(service).get("labels") or {})
    svc_labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    if current is None or not meta(current).get("resourceVersion"):
        action = "create"
        base: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta(service).get("name", ""),
                "namespace": meta(service).get("namespace", ""),
            },
        }
        if svc_labels:
            base["metadata"]["labels"] = dict(svc_labels)
    else:
        action = "update"
        cur_meta = meta(current)
        cur_labels = {k: v for k, v in (cur_meta.get("labels") or {}).items() if k != LABEL_HEADLESS}
        cur_subsets = list(current.get("subsets") or [])
        if (
            _normal_subsets(cur_subsets) == _normal_subsets(subsets)
            and cur_labels == svc_labels
            and _capacity_annotation_correct(cur_meta.get("annotations") or {}, cur_subsets)
        ):
            return EndpointsPlan(None, None)
        base = copy.deepcopy(dict(current))
        base.setdefault("apiVersion", "v1")
        base.setdefault("kind", "Endpoints")
    new = base
    m = new.setdefault("metadata", {})
    labels = dict(svc_labels)
    if not is_service_ip_set(service):
        labels[LABEL_HEADLESS] = ""
    else:
        labels.pop(LABEL_HEADLESS, None)
    if labels:
        m["labels"] = labels
    else:
        m.pop("labels", None)
    annotations = dict(m.get("annotations") or {})
    if trigger_time:
        annotations[ANNOTATION_TRIGGER_TIME] = trigger_time
    else:
        annotations.pop(ANNOTATION_TRIGGER_TIME, None)
    if truncate_subsets(subsets):
        annotations[ANNOTATION_OVER_CAPACITY] = TRUNCATED
    else:
        annotations.pop(ANNOTATION_OVER_CAPACITY, None)
    if annotations:
        m["annotations"] = annotations
    else:
        m.pop("annotations", None)
    if subsets:
        new["subsets"] = subsets
    else:
        new.pop("subsets", None)
    return EndpointsPlan(action, new)
