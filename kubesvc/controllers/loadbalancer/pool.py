"""The LoadBalancer IP pool and the pure assignment of pool addresses to Services.

Our bare-metal load balancer (the job MetalLB or k3s ServiceLB does elsewhere) hands out
`status.loadBalancer.ingress[].ip` from `--load-balancer-ip-pool`: comma-separated entries, each
a CIDR (`172.18.255.0/28`, `fd00:18::/120`), an inclusive range (`172.18.255.200-172.18.255.250`)
or a single address. Entries of both families may be mixed; each address family has its own pool.

CIDR rule (our decision, as Kubernetes' ClusterIP allocator does): an IPv4 CIDR shorter than /31
excludes its network and broadcast addresses; an IPv6 CIDR shorter than /127 excludes its first
(subnet-router anycast) address. A range `a-b` and a single address hand out every address in it.

Assignment rules (`assign`):
- Only Services of type LoadBalancer whose `spec.loadBalancerClass` is unset or `kubesvc.io/lb`
  are ours; any other Service owns no address.
- One address per entry of `spec.ipFamilies` (in that order; IPv4 when unset), from that family's
  pool, reported with `ipMode: VIP`.
- Specific addresses may be requested with the annotation `kubesvc.io/load-balancer-ips: "a,b"`
  or, deprecated, `spec.loadBalancerIP` (the annotation wins). A requested address must be in the
  pool, of one of the Service's families, and not held by another Service.
- An address once assigned stays with its Service while the request allows it; the pool state is
  rebuilt from existing Service statuses at start (`restore`), so restarts keep addresses stable.
- Allocation is all-or-nothing per Service: on any failure the Service holds nothing (status
  `<pending>`) and the failure is reported (Event `AllocationFailed`).
- Addresses are handed out lowest first.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

LB_CLASS = "kubesvc.io/lb"
ANNOTATION_REQUESTED_IPS = "kubesvc.io/load-balancer-ips"
DEFAULT_POOL = "172.18.255.200-172.18.255.250"
IPV4 = "IPv4"
IPV6 = "IPv6"
IP_MODE_VIP = "VIP"


class PoolError(ValueError):
    """A pool or an allocation request that cannot be satisfied."""


class PoolSpecError(PoolError):
    """The --load-balancer-ip-pool value is not valid."""


class PoolExhaustedError(PoolError):
    """No free address is left in the pool of a family."""

    def __init__(self, family: str) -> None:
        super().__init__(f"no available IPs in the {family} pool")
        self.family = family


class NotInPoolError(PoolError):
    def __init__(self, ip: str) -> None:
        super().__init__(f"requested IP {ip} is not in the pool")
        self.ip = ip


class AlreadyAllocatedError(PoolError):
    def __init__(self, ip: str, holder: str) -> None:
        super().__init__(f"requested IP {ip} is already allocated to {holder}")
        self.ip = ip
        self.holder = holder


def family_of(ip: IP) -> str:
    return IPV4 if ip.version == 4 else IPV6


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive range of addresses of one family, as integers."""

    first: int
    last: int
    version: int

    @property
    def family(self) -> str:
        return IPV4 if self.version == 4 else IPV6

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) and (
            ip.version == self.version and self.first <= int(ip) <= self.last
        )

    def __str__(self) -> str:
        cls = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        a, b = cls(self.first), cls(self.last)
        return str(a) if self.first == self.last else f"{a}-{b}"


def parse_pool(spec: str) -> list[AddressRange]:
    """Parse `--load-balancer-ip-pool`. Raises PoolSpecError naming the bad entry."""
    ranges: list[AddressRange] = []
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            if "/" in entry:
                net = ipaddress.ip_network(entry, strict=False)
                first, last = int(net.network_address), int(net.broadcast_address)
                if net.version == 4 and net.prefixlen < 31:
                    first, last = first + 1, last - 1
                elif net.version == 6 and net.prefixlen < 127:
                    first += 1
                ranges.append(AddressRange(first, last, net.version))
            elif "-" in entry:
                a_text, _, b_text = entry.partition("-")
                a, b = ipaddress.ip_address(a_text.strip()), ipaddress.ip_address(b_text.strip())
                if a.version != b.version:
                    raise PoolSpecError(f"invalid pool entry {entry!r}: both ends must be of one IP family")
                if int(b) < int(a):
                    raise PoolSpecError(f"invalid pool entry {entry!r}: end is before start")
                ranges.append(AddressRange(int(a), int(b), a.version))
            else:
                ip = ipaddress.ip_address(entry)
                ranges.append(AddressRange(int(ip), int(ip), ip.version))
        except ValueError as exc:
            if isinstance(exc, PoolSpecError):
                raise
            raise PoolSpecError(f"invalid pool entry {entry!r}: {exc}") from exc
    if not ranges:
        raise PoolSpecError("the load balancer IP pool is empty")
    ranges.sort()
    for x, y in itertools.pairwise(ranges):
        if x.version == y.version and y.first <= x.last:
            raise PoolSpecError(f"pool entries {x} and {y} overlap")
    return ranges


@dataclass
class IPPool:
    """Which pool address belongs to which Service key (`namespace/name`)."""

    ranges: list[AddressRange]
    _owner: dict[int, tuple[int, str]] = field(default_factory=dict, repr=False)  # (version, int) key
    _by_key: dict[str, dict[str, IP]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: str) -> IPPool:
        return cls(parse_pool(spec))

    # -- queries

    def families(self) -> list[str]:
        return sorted({r.family for r in self.ranges})

    def contains(self, ip: IP) -> bool:
        return any(ip in r for r in self.ranges)

    def holder(self, ip: IP) -> str | None:
        owner = self._owner.get(self._slot(ip))
        return owner[1] if owner else None

    def assigned(self, key: str) -> dict[str, IP]:
        return dict(self._by_key.get(key, {}))

    def size(self, family: str) -> int:
        return sum(r.size for r in self.ranges if r.family == family)

    def free(self, family: str) -> int:
        used = sum(1 for ips in self._by_key.values() for f in ips if f == family)
        return self.size(family) - used

    # -- changes

    def allocate(self, key: str, family: str, requested: IP | None = None) -> IP:
        """Give `key` an address of `family`: the requested one, or the lowest free one.
        A key holds at most one address per family; a previous one of that family is released."""
        if requested is not None:
            if family_of(requested) != family or not self.contains(requested):
                raise NotInPoolError(str(requested))
            holder = self.holder(requested)
            if holder is not None and holder != key:
                raise AlreadyAllocatedError(str(requested), holder)
            ip = requested
        else:
            current = self._by_key.get(key, {}).get(family)
            if current is not None:
                return current
            ip = self._lowest_free(family)
        self.release(key, family)
        self._owner[self._slot(ip)] = (ip.version, key)
        self._by_key.setdefault(key, {})[family] = ip
        return ip

    def release(self, key: str, family: str | None = None) -> list[IP]:
        """Free the addresses of `key` (of one family, or all). Returns what was freed."""
        held = self._by_key.get(key, {})
        freed = [ip for f, ip in held.items() if family is None or f == family]
        for ip in freed:
            self._owner.pop(self._slot(ip), None)
            del held[family_of(ip)]
        if not held:
            self._by_key.pop(key, None)
        return freed

    def restore(self, key: str, ips: Iterable[str]) -> list[str]:
        """Record addresses a Service already shows in its status (at start). Addresses outside
        the pool or held by another key are not taken; they are returned."""
        rejected: list[str] = []
        for text in ips:
            try:
                ip = ipaddress.ip_address(text)
            except ValueError:
                rejected.append(text)
                continue
            fam = family_of(ip)
            holder = self.holder(ip)
            if (
                not self.contains(ip)
                or (holder is not None and holder != key)
                or fam in self._by_key.get(key, {})
            ):
                rejected.append(text)
                continue
            self._owner[self._slot(ip)] = (ip.version, key)
            self._by_key.setdefault(key, {})[fam] = ip
        return rejected

    # -- internals

    @staticmethod
    def _slot(ip: IP) -> int:
        # IPv4 and IPv6 integers overlap; keep them apart by tagging the version in bit 129.
        return int(ip) | (1 << 129 if ip.version == 6 else 0)

    def _lowest_free(self, family: str) -> IP:
        for r in self.ranges:
            if r.family != family:
                continue
            n = r.first
            while n <= r.last:
                ip: IP = ipaddress.IPv4Address(n) if r.version == 4 else ipaddress.IPv6Address(n)
                if self._slot(ip) not in self._owner:
                    return ip
                n += 1
        raise PoolExhaustedError(family)


# ---------------------------------------------------------------------------------------------
# Services


def service_key(service: Mapping[str, Any]) -> str:
    meta = service.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def is_ours(service: Mapping[str, Any]) -> bool:
    spec = service.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") in (None, "", LB_CLASS)


def wanted_families(service: Mapping[str, Any]) -> list[str]:
    spec = service.get("spec") or {}
    families = [f for f in spec.get("ipFamilies") or [] if f in (IPV4, IPV6)]
    if families:
        return families
    cluster_ip = spec.get("clusterIP") or ""
    return [IPV6] if ":" in cluster_ip else [IPV4]


def requested_ips(service: Mapping[str, Any]) -> list[str]:
    """Addresses the user asked for: the annotation, else the deprecated spec.loadBalancerIP."""
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(ANNOTATION_REQUESTED_IPS)
    if raw:
        return [p.strip() for p in raw.split(",") if p.strip()]
    lb_ip = (service.get("spec") or {}).get("loadBalancerIP")
    return [lb_ip] if lb_ip else []


def status_ips(service: Mapping[str, Any]) -> list[str]:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress if isinstance(i, Mapping) and i.get("ip")]


@dataclass(frozen=True)
class Assignment:
    """The outcome for one Service: the ingress to show, and what happened (for Events)."""

    ingress: list[dict[str, str]]
    allocated: list[str]  # addresses newly given to the Service in this call
    error: str | None = None


def assign(pool: IPPool, service: Mapping[str, Any]) -> Assignment:
    """Bring the pool in line with one Service and say which ingress its status should show.
    A Service that is not ours (any more) has its addresses released and shows no ingress."""
    key = service_key(service)
    if not is_ours(service) or (service.get("metadata") or {}).get("deletionTimestamp"):
        pool.release(key)
        return Assignment([], [])
    families = wanted_families(service)
    before = pool.assigned(key)
    requests: dict[str, IP] = {}
    error: str | None = None
    for text in requested_ips(service):
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            error = f"requested IP {text!r} is not a valid IP address"
            break
        fam = family_of(ip)
        if fam not in families:
            error = f"requested IP {text} is not of the Service's IP families ({', '.join(families)})"
            break
        if fam in requests:
            error = f"more than one {fam} address requested"
            break
        requests[fam] = ip
    if error is None:
        try:
            for fam in families:
                pool.allocate(key, fam, requests.get(fam))
        except PoolError as exc:
            error = str(exc)
    for fam in list(pool.assigned(key)):
        if fam not in families:
            pool.release(key, fam)
    if error is not None:
        pool.release(key)
        return Assignment([], [], error)
    now = pool.assigned(key)
    ingress = [{"ip": str(now[f]), "ipMode": IP_MODE_VIP} for f in families]
    allocated = [str(now[f]) for f in families if before.get(f) != now[f]]
    return Assignment(ingress, allocated)


def ingress_equal(current: Iterable[Mapping[str, Any]] | None, desired: list[dict[str, str]]) -> bool:
    return [dict(i) for i in current or []] == desired
