"""The repair diff: allocation keys in the store versus the Services that hold them.

Upstream's ipallocator/portallocator repair controllers (`controller/repair.go`) rebuild the
allocation state from the Services at start and every few minutes.  They report

* a Service whose address is held by another Service too (`ClusterIPAlreadyAllocated`,
  `PortAlreadyAllocated`), or lies outside the configured range (`ClusterIPOutOfRange`,
  `PortOutOfRange`), or is not an IP at all (`ClusterIPNotValid`), as Warning Events on it;
* an address a Service holds that is not recorded as allocated (`ClusterIPNotAllocated`,
  `PortNotAllocated`): repaired by recording it;
* an allocation no Service holds: a *leak*, released only after it was seen leaked on
  `LEAK_GRACE` consecutive runs (upstream's `numRepairsBeforeLeakCleanup`), so a write that
  allocated but has not stored its Service yet is never robbed.

An address outside the current range stays recorded: a changed `--service-cluster-ip-range`
must not break Services that already have addresses.

Pure: `plan_repair` takes the two sets and the leak counters of the previous run and returns
what to do; the loop in `kubesvc.registry.repair` does it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import TypeVar

from kubesvc.allocation.ipallocator import IPRange, canonical_ip, family_of_ip
from kubesvc.allocation.portallocator import PortRange

_Item = TypeVar("_Item", str, int)  # an IP or a port

LEAK_GRACE = 3


@dataclass(frozen=True)
class Holder:
    """A stored Service and what it holds."""

    namespace: str
    name: str
    uid: str
    ips: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    key: str = ""  # the Service's store key
    revision: int = 0  # its mod_revision when read


@dataclass(frozen=True)
class Finding:
    """One Warning Event to record on a Service."""

    holder: Holder
    reason: str
    message: str
    component: str  # ipallocator-repair-controller | portallocator-repair-controller
    error_type: str  # metrics label: duplicate | outOfRange | invalid | repair | leak


@dataclass
class RepairPlan:
    release_ips: list[str] = field(default_factory=list)
    release_ports: list[int] = field(default_factory=list)
    record_ips: list[tuple[str, Holder]] = field(default_factory=list)
    record_ports: list[tuple[int, Holder]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ip_leaks: dict[str, int] = field(default_factory=dict)  # counters for the next run
    port_leaks: dict[int, int] = field(default_factory=dict)
    suspected_ips: list[str] = field(default_factory=list)  # leaked, still within the grace
    suspected_ports: list[int] = field(default_factory=list)


IP_COMPONENT = "ipallocator-repair-controller"
PORT_COMPONENT = "portallocator-repair-controller"


def plan_repair(
    holders: Iterable[Holder],
    allocated_ips: Iterable[str],
    allocated_ports: Iterable[int],
    *,
    ranges: Mapping[str, IPRange],
    ports: PortRange,
    ip_leaks: Mapping[str, int] | None = None,
    port_leaks: Mapping[int, int] | None = None,
    leak_grace: int = LEAK_GRACE,
) -> RepairPlan:
    """`ranges` are the configured IP ranges by family, `ports` the NodePort range.  An IP of a
    family that is not configured (a single-stack cluster after a dual-stack past) is neither
    reported nor released while a Service holds it."""
    plan = RepairPlan()
    old_ip_leaks = dict(ip_leaks or {})
    old_port_leaks = dict(port_leaks or {})
    have_ips = {canonical_ip(ip) for ip in allocated_ips if family_of_ip(ip)}
    have_ports = set(allocated_ports)
    seen_ips: set[str] = set()
    seen_ports: set[int] = set()

    for h in sorted(holders, key=lambda h: (h.namespace, h.name)):
        for raw in h.ips:
            fam = family_of_ip(raw)
            if not fam:
                plan.findings.append(
                    Finding(
                        h,
                        "ClusterIPNotValid",
                        f"Cluster IPs {list(h.ips)} is not a valid IP; please recreate service",
                        IP_COMPONENT,
                        "invalid",
                    )
                )
                continue
            ip = canonical_ip(raw)
            rng = ranges.get(fam)
            if ip in seen_ips:
                plan.findings.append(
                    Finding(
                        h,
                        "ClusterIPAlreadyAllocated",
                        f"Cluster IP [{fam}]:{ip} was assigned to multiple services; please recreate service",
                        IP_COMPONENT,
                        "duplicate",
                    )
                )
                continue
            seen_ips.add(ip)
            if rng is not None and not rng.contains(ip):
                plan.findings.append(
                    Finding(
                        h,
                        "ClusterIPOutOfRange",
                        f"Cluster IP [{fam}]:{ip} is not within the service CIDR {rng.cidr}; please recreate service",
                        IP_COMPONENT,
                        "outOfRange",
                    )
                )
            elif rng is not None and ip not in have_ips:
                plan.findings.append(
                    Finding(
                        h,
                        "ClusterIPNotAllocated",
                        f"Cluster IP [{fam}]:{ip} is not allocated; repairing",
                        IP_COMPONENT,
                        "repair",
                    )
                )
            if ip not in have_ips:
                plan.record_ips.append((ip, h))
        for port in h.ports:
            if port in seen_ports:
                plan.findings.append(
                    Finding(
                        h,
                        "PortAlreadyAllocated",
                        f"Port {port} was assigned to multiple services; please recreate service",
                        PORT_COMPONENT,
                        "duplicate",
                    )
                )
                continue
            seen_ports.add(port)
            if not ports.contains(port):
                plan.findings.append(
                    Finding(
                        h,
                        "PortOutOfRange",
                        f"Port {port} is not within the port range {ports}; please recreate service",
                        PORT_COMPONENT,
                        "outOfRange",
                    )
                )
            elif port not in have_ports:
                plan.findings.append(
                    Finding(
                        h,
                        "PortNotAllocated",
                        f"Port {port} is not allocated; repairing",
                        PORT_COMPONENT,
                        "repair",
                    )
                )
            if port not in have_ports:
                plan.record_ports.append((port, h))

    plan.release_ips, plan.ip_leaks, plan.suspected_ips = _count_leaks(
        have_ips - seen_ips, old_ip_leaks, leak_grace
    )
    plan.release_ports, plan.port_leaks, plan.suspected_ports = _count_leaks(
        have_ports - seen_ports, old_port_leaks, leak_grace
    )
    return plan


def _count_leaks(
    leaked: Set[_Item], old_leaks: Mapping[_Item, int], grace: int
) -> tuple[list[_Item], dict[_Item, int], list[_Item]]:
    """(to release, leak counters for the next run, suspected) for what is allocated but used
    by no Service: released once seen `grace` runs in a row (upstream's leak counting, which
    spares an allocation whose Service is still being created)."""
    release: list[_Item] = []
    leaks: dict[_Item, int] = {}
    suspected: list[_Item] = []
    for item in sorted(leaked):
        left = old_leaks.get(item, grace) - 1
        if left <= 0:
            release.append(item)
        else:
            leaks[item] = left
            suspected.append(item)
    return release, leaks, suspected
