"""Pure helpers about Pods and Services shared by the EndpointSlice and Endpoints controllers.

Each follows the upstream helper of the same purpose (k8s.io/endpointslice utils and util,
pkg/api/v1/pod): which Pods belong in endpoints, readiness, named-port lookup, hostname rule,
selector matching and address families.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

CLUSTER_IP_NONE = "None"


_EMPTY: Mapping[str, Any] = {}


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or _EMPTY


def spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or _EMPTY


def status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or _EMPTY


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    """The Pod's Ready condition is True."""
    for cond in status(pod).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def is_pod_terminal(pod: Mapping[str, Any]) -> bool:
    return status(pod).get("phase") in ("Failed", "Succeeded")


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return meta(obj).get("deletionTimestamp") is not None


def pod_ips(pod: Mapping[str, Any]) -> list[str]:
    """status.podIPs, falling back to status.podIP."""
    st = status(pod)
    ips = [p.get("ip", "") for p in st.get("podIPs") or () if p.get("ip")]
    if not ips and st.get("podIP"):
        ips = [st["podIP"]]
    return ips


def should_pod_be_in_endpoints(pod: Mapping[str, Any], *, include_terminating: bool) -> bool:
    """Terminal Pods and Pods without an IP never are; terminating ones only when asked."""
    if is_pod_terminal(pod):
        return False
    st = status(pod)
    if not st.get("podIP") and not st.get("podIPs"):
        return False
    return include_terminating or not is_terminating(pod)


def should_set_hostname(pod: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
    ps = spec(pod)
    return (
        bool(ps.get("hostname"))
        and ps.get("subdomain", "") == meta(service).get("name")
        and meta(service).get("namespace") == meta(pod).get("namespace")
    )


def find_port(pod: Mapping[str, Any], service_port: Mapping[str, Any]) -> int | None:
    """The Pod's port for a Service port: a number as is, a name looked up by name+protocol.

    Named ports are searched in the containers, then in sidecars (init containers with
    restartPolicy Always); None when no container port matches.
    """
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str):
        if target.isdigit():  # an int-or-string that arrived as a numeric string
            return int(target)
        proto = service_port.get("protocol", "TCP")
        ps = spec(pod)
        for c in ps.get("containers") or ():
            for p in c.get("ports") or ():
                if p.get("name") == target and p.get("protocol", "TCP") == proto:
                    return int(p["containerPort"])
        for c in ps.get("initContainers") or ():
            if c.get("restartPolicy") != "Always":
                continue
            for p in c.get("ports") or ():
                if p.get("name") == target and p.get("protocol", "TCP") == proto:
                    return int(p["containerPort"])
    return None


def selector_of(service: Mapping[str, Any]) -> dict[str, str] | None:
    """spec.selector, or None when absent or empty (an empty map is not kept by the API)."""
    sel = spec(service).get("selector")
    return dict(sel) if sel else None


def selector_matches(selector: Mapping[str, str], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


# A canonical dotted quad (no leading zeros, ASCII digits), what Pods almost always report: it
# is IPv4 and its own canonical form, known without parsing it (and without filling the caches
# below with one entry per Pod).
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def is_ipv6(ip: str) -> bool:
    """As Go's net.IP: an IPv4-mapped IPv6 address ("::ffff:a.b.c.d") is IPv4."""
    return False if _CANONICAL_IPV4.fullmatch(ip) else _is_ipv6_parsed(ip)


def canonical_ip(ip: str) -> str:
    """Re-stringified address (upstream parses sloppily and prints again; IPv4-mapped IPv6
    prints as IPv4)."""
    return ip if _CANONICAL_IPV4.fullmatch(ip) else _canonical_ip_parsed(ip)


@functools.lru_cache(maxsize=1 << 17)
def _is_ipv6_parsed(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ":" in ip
    return isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is None


@functools.lru_cache(maxsize=1 << 17)
def _canonical_ip_parsed(ip: str) -> str:
    try:
        addr = ipaddress.ip_address(ip)
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(addr)
    except ValueError:
        # leading zeros in IPv4 ("010.0.0.1"): parsed as decimal, as ParseIPSloppy does
        parts = ip.split(".")
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            return ".".join(str(int(p)) for p in parts)
        return ip


def is_service_ip_set(service: Mapping[str, Any]) -> bool:
    cip = spec(service).get("clusterIP", "")
    return bool(cip) and cip != CLUSTER_IP_NONE
