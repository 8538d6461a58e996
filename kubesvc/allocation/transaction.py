"""One write's allocations as a commit/revert transaction (upstream `transaction.go` plus
portallocator's `PortAllocationOperation`).

It is better to leak than to hand out twice: allocations happen at once (so a concurrent
request of the same process cannot take them), releases are deferred until the owner's write
commits.  `revert()` gives back what this session took; `commit()` performs the deferred
releases.  Each is a no-op after the other.

Dry run follows upstream exactly: nothing is marked or released; a requested IP is only checked
against the range (not for being free), a dynamic IP is the network address of the range, a
requested port is checked for being free, a dynamic port is a placeholder counting up from
32769 (upstream's dry-run guess).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kubesvc.allocation.bitmap import Rng
from kubesvc.allocation.errors import (
    IPNotInRangeError,
    PortAlreadyAllocatedError,
)
from kubesvc.allocation.ipallocator import IPRange, canonical_ip, family_of_ip
from kubesvc.allocation.portallocator import PortRange


@dataclass
class AllocationSession:
    ip_ranges: Mapping[str, IPRange]  # by family ("IPv4"/"IPv6")
    ports: PortRange
    rng: Rng
    dry_run: bool = False
    allocated_ips: list[str] = field(default_factory=list)
    allocated_ports: list[int] = field(default_factory=list)
    released_ips: list[str] = field(default_factory=list)
    released_ports: list[int] = field(default_factory=list)
    # Requested (static) items, for store pre-checks by the caller.
    static_ips: list[str] = field(default_factory=list)
    static_ports: list[int] = field(default_factory=list)
    _done: bool = False

    # -- IPs -------------------------------------------------------------------------------
    def allocate_ip(self, family: str, ip: str) -> str:
        rng_ = self.ip_ranges[family]
        if self.dry_run:
            if not rng_.contains(ip):
                raise IPNotInRangeError(ip, rng_.cidr)
            return ip
        got = rng_.allocate(ip)
        self.allocated_ips.append(got)
        self.static_ips.append(got)
        return ip  # upstream keeps the user's spelling in clusterIPs

    def allocate_next_ip(self, family: str) -> str:
        rng_ = self.ip_ranges[family]
        if self.dry_run:
            return str(rng_.network.network_address)
        got = rng_.allocate_next(self.rng)
        self.allocated_ips.append(got)
        return got

    def release_ip(self, ip: str) -> None:
        """Release `ip` when the session commits (a no-op for foreign families/ranges)."""
        if ip and ip != "None":
            self.released_ips.append(canonical_ip(ip) if family_of_ip(ip) else ip)

    # -- ports -----------------------------------------------------------------------------
    def allocate_port(self, port: int) -> None:
        if self.dry_run:
            if self.ports.has(port) or port in self.allocated_ports:
                raise PortAlreadyAllocatedError(port)
            self.allocated_ports.append(port)
            return
        self.ports.allocate(port)
        self.allocated_ports.append(port)
        self.static_ports.append(port)

    def allocate_next_port(self) -> int:
        if self.dry_run:
            last = max(self.allocated_ports) if self.allocated_ports else 32768
            self.allocated_ports.append(last + 1)
            return last + 1
        port = self.ports.allocate_next(self.rng)
        self.allocated_ports.append(port)
        return port

    def release_port(self, port: int) -> None:
        if port:
            self.released_ports.append(port)

    # -- outcome ---------------------------------------------------------------------------
    def effective_releases(self) -> tuple[list[str], list[int]]:
        """Deferred releases minus what this same session (re)took."""
        ips = [ip for ip in dict.fromkeys(self.released_ips) if ip not in self.allocated_ips]
        ports = [p for p in dict.fromkeys(self.released_ports) if p not in self.allocated_ports]
        return ips, ports

    def commit(self) -> None:
        if self._finish():
            self._release(*self.effective_releases())

    def revert(self) -> None:
        if self._finish():
            self._release(self.allocated_ips, self.allocated_ports)

    def _finish(self) -> bool:
        """End the session; True if this is its end and it is no dry run (its bitmaps change)."""
        if self._done:
            return False
        self._done = True
        return not self.dry_run

    def _release(self, ips: Iterable[str], ports: Iterable[int]) -> None:
        for ip in ips:
            fam = family_of_ip(ip)
            if fam in self.ip_ranges:
                self.ip_ranges[fam].release(ip)
        for port in ports:
            self.ports.release(port)
