"""Service IP ranges: which addresses of a `--service-cluster-ip-range` CIDR may be handed out.

Facts carried over from upstream's ipallocator:
- IPv4: the network address and the broadcast address are never handed out; IPv6: the network
  address (the "subnet-router anycast" address) is never handed out, the last one is.
- An IPv6 range is capped at 65536 items (upstream keeps a bitmap of that size), counted from
  the first address after the network address.
- The static band (KEP-3070) is ``min(max(16, N/16), 256)`` where N is the number of addresses
  of the CIDR (network and broadcast included); 0 when N <= 16.
- The first usable address of the primary range belongs to the `kubernetes` Service; with
  ``reserve_first`` dynamic allocation never returns it (upstream gets the same effect because
  the apiserver creates that Service before anyone else can allocate).
"""

from __future__ import annotations

import ipaddress

from kubesvc.allocation.bitmap import AllocationBitmap, BitmapRange, Rng
from kubesvc.allocation.errors import (
    IPAlreadyAllocatedError,
    IPNotInRangeError,
    MismatchedRangeError,
    RangeFullError,
)
from kubesvc.api.validation.names import parse_ip_sloppy

IPV4 = "IPv4"
IPV6 = "IPv6"

_MAX_V6_ITEMS = 65536
_BAND_MIN, _BAND_MAX, _BAND_STEP = 16, 256, 16

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(cidr: str) -> IPNetwork:
    """Parse a CIDR as upstream's ParseCIDR does (host bits are dropped: 10.96.0.1/12 -> 10.96.0.0/12)."""
    return ipaddress.ip_network(cidr.strip(), strict=False)


def family_of_ip(ip: str) -> str:
    """ "IPv4", "IPv6", or "" when `ip` is not an IP address."""
    if type(ip) is str and _ipv4_int(ip) is not None:
        return IPV4  # a canonical dotted quad, without parsing it twice
    # upstream's ParseIPSloppy: IPv4 octets with leading zeros (decimal) and IPv4-mapped IPv6
    # addresses are IPv4 (CVE-2021-29923: objects stored by older releases stay usable)
    addr = parse_ip_sloppy(ip) if type(ip) is str else None
    if addr is None:
        return ""
    return IPV6 if addr.version == 6 else IPV4


def canonical_ip(ip: str) -> str:
    if type(ip) is str and _ipv4_int(ip) is not None:
        return ip  # a canonical dotted quad is its own canonical text
    addr = parse_ip_sloppy(ip) if type(ip) is str else None
    return str(addr) if addr is not None else str(ipaddress.ip_address(ip))


def _ipv4_int(ip: str) -> int | None:
    """Fast path for canonical dotted-quad IPv4 text (no leading zeros); None otherwise."""
    parts = ip.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or not part.isascii() or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = (value << 8) | octet
    return value


def static_band_size(num_addresses: int) -> int:
    """KEP-3070: ``min(max(16, N/16), 256)``, 0 when N <= 16."""
    if num_addresses <= _BAND_MIN:
        return 0
    return min(max(_BAND_MIN, num_addresses // _BAND_STEP), _BAND_MAX)


class IPRange(BitmapRange[str]):
    """The allocatable addresses of one CIDR, with a banded bitmap of the taken ones."""

    def __init__(self, cidr: str, *, reserve_first: bool = False) -> None:
        self.network = parse_cidr(cidr)
        self.cidr = str(self.network)
        self.family = IPV6 if self.network.version == 6 else IPV4
        total = self.network.num_addresses
        if self.family == IPV6:
            size = min(total, _MAX_V6_ITEMS) - 1
        else:
            size = total - 2
        self.size = max(0, size)
        self._base = int(self.network.network_address) + 1
        static = static_band_size(total)
        if static >= self.size:
            static = 0
        self.reserve_first = reserve_first and self.size > 1
        self.bitmap = AllocationBitmap(self.size, static)

    @property
    def first_ip(self) -> str:
        """The first usable address (the `kubernetes` Service's)."""
        return self.ip_at(0)

    def offset_of(self, ip: str) -> int | None:
        """The item offset of `ip`, or None when it is not an allocatable address of this range."""
        value = _ipv4_int(ip) if self.family == IPV4 else None
        if value is None:
            addr = parse_ip_sloppy(ip) if type(ip) is str else None
            if addr is None:
                return None
            if addr.version != self.network.version:
                return None
            value = int(addr)
        off = value - self._base
        if not 0 <= off < self.size:
            return None
        return off

    def ip_at(self, offset: int) -> str:
        value = self._base + offset
        if self.family == IPV4:
            return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
        return str(ipaddress.IPv6Address(value))

    item_at = ip_at

    def contains(self, ip: str) -> bool:
        return self.offset_of(ip) is not None

    def allocate(self, ip: str) -> str:
        """Take `ip`; returns its canonical form.  Raises IPNotInRangeError, IPAlreadyAllocatedError."""
        off = self.offset_of(ip)
        if off is None:
            raise IPNotInRangeError(ip, self.cidr)
        if not self.bitmap.allocate(off):
            raise IPAlreadyAllocatedError(ip)
        return self.ip_at(off)

    def allocate_next(self, rng: Rng) -> str:
        """Take a free address, upper band first.  Raises RangeFullError."""
        off = self.bitmap.allocate_next(rng)
        if off == 0 and self.reserve_first:
            # Keep the reserved address marked while we look for another one.
            other = self.bitmap.allocate_next(rng)
            self.bitmap.release(0)
            off = other
        if off is None:
            raise RangeFullError()
        return self.ip_at(off)

    def snapshot(self) -> tuple[str, bytes]:
        return self.cidr, self.bitmap.snapshot()

    def restore(self, cidr: str, data: bytes) -> None:
        if str(parse_cidr(cidr)) != self.cidr:
            raise MismatchedRangeError("network")
        self.bitmap.restore(data)

    def __repr__(self) -> str:
        return f"IPRange({self.cidr!r}, used={self.used}, size={self.size})"
