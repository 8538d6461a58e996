"""Service validation: one named case for each case of upstream's TestValidateServiceCreate,
TestValidateServiceExternalTrafficPolicy and TestValidateServiceUpdate (same names, same intent),
plus status updates.  Upstream only counts errors; each case here states the exact
(field path, error type) list, and a sample states the exact message kube-apiserver prints.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.defaults import apply_defaults
from kubesvc.api.fields import ErrorType
from kubesvc.api.validation.service import (
    service_warnings,
    validate_non_special_ip,
    validate_service,
    validate_service_status_update,
    validate_service_update,
)
from tests.builders import (
    make_service,
    make_service_port,
    set_annotations,
    set_labels,
    set_namespace,
    set_ports,
    set_resource_version,
    set_selector,
)

Obj = dict[str, Any]
Tweak = Callable[[Obj], None]

R = ErrorType.REQUIRED
I = ErrorType.INVALID  # noqa: E741
NS = ErrorType.NOT_SUPPORTED
D = ErrorType.DUPLICATE
F = ErrorType.FORBIDDEN

LB_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
LB_RANGES_PATH = f"metadata.annotations[{LB_RANGES}]"


def valid_service() -> Obj:
    """upstream makeValidService: ClusterIP, selector key=val, one port p 8675, ITP Cluster."""
    return make_service(
        "valid",
        set_namespace("valid"),
        set_labels({}),
        set_annotations({}),
        set_resource_version("1"),
        set_selector({"key": "val"}),
        set_ports(make_service_port("p", 8675, 8675)),
    )


# --------------------------------------------------------------------------- tweak helpers


def sp(**values: Any) -> Tweak:
    """Set spec fields; None removes the field (Go's nil)."""

    def tweak(svc: Obj) -> None:
        for k, v in values.items():
            if v is None:
                svc["spec"].pop(k, None)
            else:
                svc["spec"][k] = copy.deepcopy(v)

    return tweak


def md(**values: Any) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["metadata"].update(values)

    return tweak


def ann(key: str, value: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["metadata"]["annotations"][key] = value

    return tweak


def lbl(key: str, value: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["metadata"]["labels"][key] = value

    return tweak


def sel(key: str, value: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["selector"][key] = value

    return tweak


def port0(**values: Any) -> Tweak:
    def tweak(svc: Obj) -> None:
        for k, v in values.items():
            if v is None:
                svc["spec"]["ports"][0].pop(k, None)
            else:
                svc["spec"]["ports"][0][k] = v

    return tweak


def add_port(
    name: str,
    port: int,
    protocol: str = "TCP",
    *,
    node_port: int | None = None,
    target: int | str | None = None,
) -> Tweak:
    def tweak(svc: Obj) -> None:
        p: Obj = {
            "name": name,
            "port": port,
            "protocol": protocol,
            "targetPort": port if target is None else target,
        }
        if node_port is not None:
            p["nodePort"] = node_port
        svc["spec"]["ports"].append(p)

    return tweak


def ips(*cluster_ips: str, cluster_ip: str | None = None) -> Tweak:
    """clusterIP (the first IP unless given) and clusterIPs."""
    return sp(
        clusterIP=cluster_ips[0] if cluster_ip is None else cluster_ip,
        clusterIPs=list(cluster_ips),
    )


def chain(*tweaks: Tweak) -> Tweak:
    def tweak(svc: Obj) -> None:
        for t in tweaks:
            t(svc)

    return tweak


LB = sp(type="LoadBalancer", externalTrafficPolicy="Cluster", allocateLoadBalancerNodePorts=True)
NODE_PORT = sp(type="NodePort", externalTrafficPolicy="Cluster")
REQUIRE_DUAL = sp(ipFamilyPolicy="RequireDualStack")
PREFER_DUAL = sp(ipFamilyPolicy="PreferDualStack")
SINGLE = sp(ipFamilyPolicy="SingleStack")


def fams(*families: str) -> Tweak:
    return sp(ipFamilies=list(families))


def found(errs: list[Any]) -> list[tuple[str, ErrorType]]:
    return [(e.field, e.type) for e in errs]


# --------------------------------------------------------------------------- create

CREATE_CASES: list[tuple[str, Tweak, list[tuple[str, ErrorType]]]] = [
    ("missing namespace", md(namespace=""), [("metadata.namespace", R)]),
    ("invalid namespace", md(namespace="-123"), [("metadata.namespace", I)]),
    ("missing name", md(name=""), [("metadata.name", R)]),
    ("invalid name", md(name="-123"), [("metadata.name", I)]),
    ("too long name", md(name="a" * 64), [("metadata.name", I)]),
    ("invalid generateName", md(generateName="-123"), [("metadata.generateName", I)]),
    ("too long generateName", md(generateName="a" * 64), [("metadata.generateName", I)]),
    ("invalid label", lbl("NoUppercaseOrSpecialCharsLike=Equals", "bar"), [("metadata.labels", I)]),
    ("invalid annotation", ann("NoSpecialCharsLike=Equals", "bar"), [("metadata.annotations", I)]),
    ("nil selector", sp(selector=None), []),
    ("invalid selector", sel("NoSpecialCharsLike=Equals", "bar"), [("spec.selector", I)]),
    ("missing session affinity", sp(sessionAffinity=""), [("spec.sessionAffinity", R)]),
    ("missing type", sp(type=""), [("spec.type", R)]),
    ("missing ports", sp(ports=None), [("spec.ports", R)]),
    ("missing ports but headless", chain(sp(ports=None), ips("None")), []),
    ("empty port[0] name", port0(name=""), []),
    ("empty port[1] name", add_port("", 12345), [("spec.ports[1].name", R)]),
    (
        "empty multi-port port[0] name",
        chain(port0(name=""), add_port("p", 12345)),
        [("spec.ports[0].name", R)],
    ),
    ("invalid port name", port0(name="INVALID"), [("spec.ports[0].name", I)]),
    ("missing protocol", port0(protocol=""), [("spec.ports[0].protocol", R)]),
    ("invalid protocol", port0(protocol="INVALID"), [("spec.ports[0].protocol", NS)]),
    ("invalid cluster ip", ips("invalid"), [("spec.clusterIPs[0]", I)]),
    ("missing port", port0(port=0), [("spec.ports[0].port", I)]),
    ("invalid port", port0(port=65536), [("spec.ports[0].port", I)]),
    ("invalid TargetPort int", port0(targetPort=65536), [("spec.ports[0].targetPort", I)]),
    ("invalid TargetPort name", port0(targetPort="-http-"), [("spec.ports[0].targetPort", I)]),
    ("valid port headless", chain(port0(port=11722, targetPort=11722), ips("None")), []),
    # in v1, a targetPort other than port on a headless Service is tolerated
    ("invalid port headless 1", chain(port0(port=11722, targetPort=11721), ips("None")), []),
    ("invalid port headless 2", chain(port0(port=11722, targetPort="target"), ips("None")), []),
    (
        "invalid publicIPs localhost",
        sp(externalTrafficPolicy="Cluster", externalIPs=["127.0.0.1"]),
        [("spec.externalIPs[0]", I)],
    ),
    (
        "invalid publicIPs unspecified",
        sp(externalTrafficPolicy="Cluster", externalIPs=["0.0.0.0"]),
        [("spec.externalIPs[0]", I)],
    ),
    (
        "invalid publicIPs loopback",
        sp(externalTrafficPolicy="Cluster", externalIPs=["127.0.0.1"]),
        [("spec.externalIPs[0]", I)],
    ),
    (
        "invalid publicIPs host",
        sp(externalTrafficPolicy="Cluster", externalIPs=["myhost.mydomain"]),
        [("spec.externalIPs[0]", I)],
    ),
    ("valid publicIPs", sp(externalTrafficPolicy="Cluster", externalIPs=["1.2.3.4"]), []),
    ("dup port name", chain(port0(name="p"), add_port("p", 12345)), [("spec.ports[1].name", D)]),
    ("valid load balancer protocol UDP 1", chain(LB, port0(protocol="UDP")), []),
    (
        "valid load balancer protocol UDP 2",
        chain(LB, sp(ports=[make_service_port("q", 12345, 12345, "UDP")])),
        [],
    ),
    ("load balancer with mix protocol", chain(LB, add_port("q", 12345, "UDP")), []),
    ("valid 1", chain(), []),
    ("valid 2", port0(protocol="UDP", targetPort=12345), []),
    ("valid 3", port0(targetPort="http"), []),
    ("valid cluster ip - none ", ips("None"), []),
    ("valid cluster ip - empty", chain(sp(clusterIPs=None), port0(targetPort="http")), []),
    ("valid type - clusterIP", sp(type="ClusterIP"), []),
    ("valid type - loadbalancer", LB, []),
    (
        "valid type - loadbalancer with allocateLoadBalancerNodePorts=false",
        chain(LB, sp(allocateLoadBalancerNodePorts=False)),
        [],
    ),
    (
        "invalid type - missing AllocateLoadBalancerNodePorts for loadbalancer type",
        sp(type="LoadBalancer", externalTrafficPolicy="Cluster"),
        [("allocateLoadBalancerNodePorts", R)],
    ),
    ("valid type loadbalancer 2 ports", chain(LB, add_port("q", 12345)), []),
    ("valid external load balancer 2 ports", chain(LB, add_port("q", 12345)), []),
    (
        "duplicate nodeports",
        chain(NODE_PORT, add_port("q", 1, node_port=1), add_port("r", 2, node_port=1)),
        [("spec.ports[2].nodePort", D)],
    ),
    (
        "duplicate nodeports (different protocols)",
        chain(
            NODE_PORT,
            add_port("q", 1, node_port=1),
            add_port("r", 2, "UDP", node_port=1),
            add_port("s", 3, "SCTP", node_port=1),
        ),
        [],
    ),
    (
        "invalid duplicate ports (with same protocol)",
        chain(add_port("q", 12345, target=8080), add_port("r", 12345, target=80)),
        [("spec.ports[2]", D)],
    ),
    (
        "valid duplicate ports (with different protocols)",
        chain(
            add_port("q", 12345, target=8080),
            add_port("r", 12345, "UDP", target=80),
            add_port("s", 12345, "SCTP", target=8088),
        ),
        [],
    ),
    ("valid type - cluster", sp(type="ClusterIP"), []),
    ("valid type - nodeport", NODE_PORT, []),
    ("valid type - loadbalancer with allocateLoadBalancerNodePorts=true", LB, []),
    ("valid type loadbalancer with NodePort", chain(LB, add_port("q", 12345, node_port=12345)), []),
    (
        "valid type=NodePort service with NodePort",
        chain(NODE_PORT, add_port("q", 12345, node_port=12345)),
        [],
    ),
    ("valid type=NodePort service without NodePort", chain(NODE_PORT, add_port("q", 12345)), []),
    ("valid cluster service without NodePort", add_port("q", 12345), []),
    (
        "invalid cluster service with NodePort",
        add_port("q", 12345, node_port=12345),
        [("spec.ports[1].nodePort", F)],
    ),
    (
        "invalid public service with duplicate NodePort",
        chain(NODE_PORT, add_port("p1", 1, node_port=1), add_port("p2", 2, node_port=1)),
        [("spec.ports[2].nodePort", D)],
    ),
    ("valid type=LoadBalancer", chain(LB, add_port("q", 12345)), []),
    ("valid port type=LoadBalancer", chain(LB, add_port("kubelet", 10250, target=12345)), []),
    ("valid LoadBalancer source range annotation", chain(LB, ann(LB_RANGES, "1.2.3.0/24,  5.6.0.0/16")), []),
    ("valid empty LoadBalancer source range annotation", chain(LB, ann(LB_RANGES, "")), []),
    ("valid whitespace-only LoadBalancer source range annotation", chain(LB, ann(LB_RANGES, "  ")), []),
    (
        "invalid LoadBalancer source range annotation (hostname)",
        chain(LB, ann(LB_RANGES, "foo.bar")),
        [(LB_RANGES_PATH, I)],
    ),
    (
        "invalid LoadBalancer source range annotation (invalid CIDR)",
        chain(LB, ann(LB_RANGES, "1.2.3.4/33")),
        [(LB_RANGES_PATH, I)],
    ),
    (
        "invalid LoadBalancer source range annotation for non LoadBalancer type service",
        ann(LB_RANGES, "1.2.3.0/24"),
        [(LB_RANGES_PATH, F)],
    ),
    (
        "invalid empty-but-set LoadBalancer source range annotation for non LoadBalancer type service",
        ann(LB_RANGES, ""),
        [(LB_RANGES_PATH, F)],
    ),
    (
        "valid LoadBalancer source range",
        chain(LB, sp(loadBalancerSourceRanges=["1.2.3.0/24", "5.6.0.0/16"])),
        [],
    ),
    (
        "valid LoadBalancer source range with whitespace",
        chain(LB, sp(loadBalancerSourceRanges=["1.2.3.0/24  ", " 5.6.0.0/16"])),
        [],
    ),
    (
        "invalid empty LoadBalancer source range",
        chain(LB, sp(loadBalancerSourceRanges=["   "])),
        [("spec.LoadBalancerSourceRanges[0]", I)],
    ),
    (
        "invalid LoadBalancer source range (hostname)",
        chain(LB, sp(loadBalancerSourceRanges=["foo.bar"])),
        [("spec.LoadBalancerSourceRanges[0]", I)],
    ),
    (
        "invalid LoadBalancer source range (invalid CIDR)",
        chain(LB, sp(loadBalancerSourceRanges=["1.2.3.4/33"])),
        [("spec.LoadBalancerSourceRanges[0]", I)],
    ),
    (
        "invalid source range for non LoadBalancer type service",
        sp(loadBalancerSourceRanges=["1.2.3.0/24", "5.6.0.0/16"]),
        [("spec.LoadBalancerSourceRanges", F)],
    ),
    (
        "invalid source range annotation ignored with valid source range field",
        chain(LB, ann(LB_RANGES, "foo.bar"), sp(loadBalancerSourceRanges=["1.2.3.0/24", "5.6.0.0/16"])),
        [],
    ),
    ("valid ExternalName", sp(type="ExternalName", externalName="foo.bar.example.com"), []),
    ("valid ExternalName (trailing dot)", sp(type="ExternalName", externalName="foo.bar.example.com."), []),
    (
        "invalid ExternalName clusterIP (valid IP)",
        chain(sp(type="ExternalName", externalName="foo.bar.example.com"), ips("1.2.3.4")),
        [("spec.clusterIPs", F)],
    ),
    (
        "invalid ExternalName clusterIP (None)",
        chain(sp(type="ExternalName", externalName="foo.bar.example.com"), ips("None")),
        [("spec.clusterIPs", F)],
    ),
    (
        "invalid ExternalName (not a DNS name)",
        sp(type="ExternalName", externalName="-123"),
        [("spec.externalName", I)],
    ),
    ("missing ExternalName", sp(type="ExternalName", externalName=None), [("spec.externalName", R)]),
    (
        "ExternalName with ipFamilies and ipFamilyPolicy",
        chain(sp(type="ExternalName", externalName="foo.bar"), fams("IPv4"), SINGLE),
        [("spec.ipFamilies", F), ("spec.ipFamilyPolicy", F)],
    ),
    ("LoadBalancer type cannot have None ClusterIP", chain(ips("None"), LB), [("spec.clusterIPs[0]", I)]),
    (
        "invalid node port with clusterIP None",
        chain(NODE_PORT, add_port("q", 1, node_port=1), ips("None")),
        [("spec.clusterIPs[0]", I)],
    ),
    # ESIPP
    (
        "invalid externalTraffic field",
        sp(type="LoadBalancer", allocateLoadBalancerNodePorts=True, externalTrafficPolicy="invalid"),
        [("spec.externalTrafficPolicy", NS)],
    ),
    (
        "nil internalTraffic field when feature gate is on",
        sp(internalTrafficPolicy=None),
        [("spec.internalTrafficPolicy", R)],
    ),
    (
        "internalTrafficPolicy field nil when type is ExternalName",
        sp(internalTrafficPolicy=None, type="ExternalName", externalName="foo.bar.com"),
        [],
    ),
    (
        "internalTrafficPolicy field is set when type is ExternalName",
        sp(internalTrafficPolicy="Cluster", type="ExternalName", externalName="foo.bar.com"),
        [],
    ),
    (
        "invalid internalTraffic field",
        sp(internalTrafficPolicy="invalid"),
        [("spec.internalTrafficPolicy", NS)],
    ),
    ("internalTrafficPolicy field set to Cluster", sp(internalTrafficPolicy="Cluster"), []),
    ("internalTrafficPolicy field set to Local", sp(internalTrafficPolicy="Local"), []),
    (
        "negative healthCheckNodePort field",
        sp(
            type="LoadBalancer",
            allocateLoadBalancerNodePorts=True,
            externalTrafficPolicy="Local",
            healthCheckNodePort=-1,
        ),
        [("spec.healthCheckNodePort", I)],
    ),
    (
        "valid healthCheckNodePort field",
        sp(
            type="LoadBalancer",
            allocateLoadBalancerNodePorts=True,
            externalTrafficPolicy="Local",
            healthCheckNodePort=31100,
        ),
        [],
    ),
    (
        "missing healthCheckNodePort field",
        sp(type="LoadBalancer", allocateLoadBalancerNodePorts=True, externalTrafficPolicy="Local"),
        [("spec.healthCheckNodePort", R)],
    ),
    (
        "invalid timeoutSeconds field",
        sp(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": -1}}),
        [("spec.sessionAffinityConfig.clientIP.timeoutSeconds", I)],
    ),
    (
        "too large timeoutSeconds field",
        sp(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 86401}}),
        [("spec.sessionAffinityConfig.clientIP.timeoutSeconds", I)],
    ),
    (
        "maximal timeoutSeconds field",
        sp(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 86400}}),
        [],
    ),
    (
        "missing sessionAffinityConfig for ClientIP",
        sp(sessionAffinity="ClientIP"),
        [("spec.sessionAffinityConfig", R)],
    ),
    (
        "missing timeoutSeconds for ClientIP",
        sp(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {}}),
        [("spec.sessionAffinityConfig.clientIP.timeoutSeconds", R)],
    ),
    ("unsupported session affinity", sp(sessionAffinity="Sticky"), [("spec.sessionAffinity", NS)]),
    (
        "sessionAffinityConfig can't be set when session affinity is None",
        chain(LB, sp(sessionAffinity="None", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 90}})),
        [("spec.sessionAffinityConfig", F)],
    ),
    # ip families
    ("invalid, service with invalid ipFamilies", fams("not-a-valid-ip-family"), [("spec.ipFamilies[0]", NS)]),
    (
        "invalid, service with invalid ipFamilies (2nd)",
        chain(REQUIRE_DUAL, fams("IPv4", "not-a-valid-ip-family")),
        [("spec.ipFamilies[1]", NS)],
    ),
    # the number of families against the policy is checked by allocation, not here
    ("IPFamilyPolicy(singleStack) is set for two families", chain(SINGLE, fams("IPv4", "IPv6")), []),
    (
        "valid, IPFamilyPolicy(preferDualStack) is set for two families (note: alloc sets families)",
        chain(PREFER_DUAL, fams("IPv4", "IPv6")),
        [],
    ),
    (
        "invalid, service with 2+ ipFamilies",
        chain(REQUIRE_DUAL, fams("IPv4", "IPv6", "IPv4")),
        [("spec.ipFamilies[2]", D)],
    ),
    (
        "invalid, service with same ip families",
        chain(REQUIRE_DUAL, fams("IPv6", "IPv6")),
        [("spec.ipFamilies[1]", D)],
    ),
    ("invalid ipFamilyPolicy", sp(ipFamilyPolicy="TripleStack"), [("spec.ipFamilyPolicy", NS)]),
    ("valid, nil service ipFamilies", sp(ipFamilies=None), []),
    ("valid, service with valid ipFamilies (v4)", fams("IPv4"), []),
    ("valid, service with valid ipFamilies (v6)", fams("IPv6"), []),
    ("valid, service with valid ipFamilies(v4,v6)", chain(REQUIRE_DUAL, fams("IPv4", "IPv6")), []),
    ("valid, service with valid ipFamilies(v6,v4)", chain(REQUIRE_DUAL, fams("IPv6", "IPv4")), []),
    ("valid, service preferred dual stack with single family", chain(PREFER_DUAL, fams("IPv6")), []),
    # cluster IPs
    ("invalid, garbage single ip", ips("garbage-ip"), [("spec.clusterIPs[0]", I)]),
    (
        "invalid, garbage ips",
        chain(REQUIRE_DUAL, ips("garbage-ip", "garbage-second-ip")),
        [("spec.clusterIPs[0]", I), ("spec.clusterIPs[1]", I)],
    ),
    (
        "invalid, garbage first ip",
        chain(REQUIRE_DUAL, ips("garbage-ip", "2001::1")),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "invalid, garbage second ip",
        chain(REQUIRE_DUAL, ips("2001::1", "garbage-ip")),
        [("spec.clusterIPs[1]", I)],
    ),
    ("invalid, NONE + IP", chain(REQUIRE_DUAL, ips("None", "2001::1")), [("spec.clusterIPs", I)]),
    ("invalid, IP + NONE", chain(REQUIRE_DUAL, ips("2001::1", "None")), [("spec.clusterIPs[1]", I)]),
    (
        "invalid, EMPTY STRING + IP",
        chain(REQUIRE_DUAL, ips("", "2001::1")),
        [("spec.clusterIPs", I), ("spec.clusterIPs[0]", I)],
    ),
    ("invalid, IP + EMPTY STRING", chain(REQUIRE_DUAL, ips("2001::1", "")), [("spec.clusterIPs[1]", I)]),
    (
        "invalid, same ip family (v6)",
        chain(REQUIRE_DUAL, ips("2001::1", "2001::4"), fams("IPv4", "IPv6")),
        [("spec.clusterIPs", I), ("spec.clusterIPs[0]", I)],
    ),
    (
        "invalid, same ip family (v4)",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "10.0.0.10"), fams("IPv4", "IPv6")),
        [("spec.clusterIPs", I), ("spec.clusterIPs[1]", I)],
    ),
    (
        "invalid, more than two ips",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1", "10.0.0.10"), fams("IPv4", "IPv6")),
        [("spec.clusterIPs", I)],
    ),
    (
        " multi ip, dualstack not set (request for downgrade)",
        chain(SINGLE, ips("10.0.0.1", "2001::1"), fams("IPv4", "IPv6")),
        [],
    ),
    (
        "valid, headless-no-selector + multi family + gate off",
        chain(REQUIRE_DUAL, ips("None"), fams("IPv4", "IPv6"), sp(selector=None)),
        [],
    ),
    (
        "valid, multi ip, single ipfamilies preferDualStack",
        chain(PREFER_DUAL, ips("10.0.0.1", "2001::1"), fams("IPv4")),
        [],
    ),
    (
        "valid, multi ip, single ipfamilies (must match when provided) + requireDualStack",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1"), fams("IPv4")),
        [],
    ),
    (
        "invalid, families don't match (v4=>v6)",
        chain(ips("10.0.0.1"), fams("IPv6")),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "invalid, families don't match (v6=>v4)",
        chain(ips("2001::1"), fams("IPv4")),
        [("spec.clusterIPs[0]", I)],
    ),
    ("valid. no field set", chain(), []),
    ("valid, single ip", chain(SINGLE, ips("10.0.0.1")), []),
    ("valid, single family", chain(SINGLE, fams("IPv6")), []),
    ("valid, single ip + single family", chain(SINGLE, ips("2001::1"), fams("IPv6")), []),
    (
        "valid, single ip + single family (dual stack requested)",
        chain(PREFER_DUAL, ips("2001::1"), fams("IPv6")),
        [],
    ),
    ("valid, single ip, multi ipfamilies", chain(REQUIRE_DUAL, ips("10.0.0.1"), fams("IPv4", "IPv6")), []),
    (
        "valid, multi ips, multi ipfamilies (4,6)",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1"), fams("IPv4", "IPv6")),
        [],
    ),
    (
        "valid, ips, multi ipfamilies (6,4)",
        chain(REQUIRE_DUAL, ips("2001::1", "10.0.0.1"), fams("IPv6", "IPv4")),
        [],
    ),
    ("valid, multi ips (6,4)", chain(REQUIRE_DUAL, ips("2001::1", "10.0.0.1")), []),
    ("valid, multi ipfamilies (6,4)", chain(REQUIRE_DUAL, fams("IPv6", "IPv4")), []),
    ("valid, multi ips (4,6)", chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1")), []),
    ("valid,  multi ipfamilies (4,6)", chain(REQUIRE_DUAL, fams("IPv4", "IPv6")), []),
    ("valid, dual stack", REQUIRE_DUAL, []),
    (
        "valid appProtocol",
        sp(ports=[{"port": 12345, "targetPort": 12345, "protocol": "TCP", "appProtocol": "HTTP"}]),
        [],
    ),
    (
        "valid custom appProtocol",
        sp(
            ports=[
                {"port": 12345, "targetPort": 12345, "protocol": "TCP", "appProtocol": "example.com/protocol"}
            ]
        ),
        [],
    ),
    (
        "invalid appProtocol",
        sp(
            ports=[
                {
                    "port": 12345,
                    "targetPort": 12345,
                    "protocol": "TCP",
                    "appProtocol": "example.com/protocol_with{invalid}[characters]",
                }
            ]
        ),
        [("spec.ports[0].appProtocol", I)],
    ),
    (
        "invalid cluster ip != clusterIP in multi ip service",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1", cluster_ip="10.0.0.10")),
        [("spec.clusterIPs", I)],
    ),
    (
        "invalid cluster ip != clusterIP in single ip service",
        ips("10.0.0.1", cluster_ip="10.0.0.10"),
        [("spec.clusterIPs", I)],
    ),
    ("clusterIP without clusterIPs", sp(clusterIP="10.0.0.1", clusterIPs=None), [("spec.clusterIPs", R)]),
    (
        "clusterIPs without clusterIP",
        sp(clusterIP=None, clusterIPs=["10.0.0.1"]),
        [("spec.clusterIPs", I)],
    ),
    (
        "Use AllocateLoadBalancerNodePorts when type is not LoadBalancer",
        sp(allocateLoadBalancerNodePorts=True),
        [("spec.allocateLoadBalancerNodePorts", F)],
    ),
    (
        "valid LoadBalancerClass when type is LoadBalancer",
        chain(LB, sp(loadBalancerClass="test.com/test-load-balancer-class")),
        [],
    ),
    (
        "invalid LoadBalancerClass",
        chain(LB, sp(loadBalancerClass="Bad/LoadBalancerClass")),
        [("spec.loadBalancerClass", I)],
    ),
    (
        "invalid: set LoadBalancerClass when type is not LoadBalancer",
        sp(type="ClusterIP", loadBalancerClass="test.com/test-load-balancer-class"),
        [("spec.loadBalancerClass", F)],
    ),
    (
        "topology annotations are mismatched",
        chain(
            ann("service.kubernetes.io/topology-aware-hints", "original"),
            ann("service.kubernetes.io/topology-mode", "different"),
        ),
        [("metadata.annotations[service.kubernetes.io/topology-mode]", I)],
    ),
    (
        "topology annotations agree",
        chain(
            ann("service.kubernetes.io/topology-aware-hints", "Auto"),
            ann("service.kubernetes.io/topology-mode", "Auto"),
        ),
        [],
    ),
    ("valid: trafficDistribution field set to PreferClose", sp(trafficDistribution="PreferClose"), []),
    ("valid: trafficDistribution field set to PreferSameZone", sp(trafficDistribution="PreferSameZone"), []),
    ("valid: trafficDistribution field set to PreferSameNode", sp(trafficDistribution="PreferSameNode"), []),
    (
        "invalid: trafficDistribution field set to Random",
        sp(trafficDistribution="Random"),
        [("spec.trafficDistribution", NS)],
    ),
    ("invalid type", sp(type="Foo"), [("spec.type", NS)]),
    ("loadBalancerIP is not validated here", chain(LB, sp(loadBalancerIP="not-an-ip")), []),
    # TestValidateServiceExternalTrafficPolicy, run through the whole of ValidateService
    (
        "valid loadBalancer service with externalTrafficPolicy and healthCheckNodePort set",
        chain(LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=34567)),
        [],
    ),
    (
        "valid nodePort service with externalTrafficPolicy set",
        sp(type="NodePort", externalTrafficPolicy="Local"),
        [],
    ),
    (
        "valid clusterIP service with none of externalTrafficPolicy and healthCheckNodePort set",
        sp(type="ClusterIP"),
        [],
    ),
    (
        "cannot set healthCheckNodePort field on loadBalancer service with externalTrafficPolicy!=Local",
        chain(LB, sp(healthCheckNodePort=34567)),
        [("spec.healthCheckNodePort", I)],
    ),
    (
        "cannot set healthCheckNodePort field on nodePort service",
        sp(type="NodePort", externalTrafficPolicy="Local", healthCheckNodePort=34567),
        [("spec.healthCheckNodePort", I)],
    ),
    (
        "cannot set externalTrafficPolicy or healthCheckNodePort fields on clusterIP service",
        sp(type="ClusterIP", externalTrafficPolicy="Local", healthCheckNodePort=34567),
        [("spec.externalTrafficPolicy", I), ("spec.healthCheckNodePort", I)],
    ),
    (
        "cannot set externalTrafficPolicy field on ExternalName service",
        sp(type="ExternalName", externalName="foo.bar", externalTrafficPolicy="Local"),
        [("spec.externalTrafficPolicy", I)],
    ),
    (
        "externalTrafficPolicy is required on NodePort service",
        sp(type="NodePort"),
        [("spec.externalTrafficPolicy", R)],
    ),
    (
        "externalTrafficPolicy is required on LoadBalancer service",
        sp(type="LoadBalancer"),
        [("allocateLoadBalancerNodePorts", R), ("spec.externalTrafficPolicy", R)],
    ),
    (
        "externalTrafficPolicy is required on ClusterIP service with externalIPs",
        sp(type="ClusterIP", externalIPs=["1.2.3,4"]),
        [("spec.externalIPs[0]", I), ("spec.externalTrafficPolicy", R)],
    ),
]


@pytest.mark.parametrize(
    ("tweak", "expected"),
    [pytest.param(t, e, id=name) for name, t, e in CREATE_CASES],
)
def test_validate_service_create(tweak: Tweak, expected: list[tuple[str, ErrorType]]) -> None:
    svc = valid_service()
    tweak(svc)
    assert found(validate_service(svc)) == expected


def test_case_names_are_unique() -> None:
    names = [name for name, _, _ in CREATE_CASES]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------- messages

MESSAGE_CASES: list[tuple[str, Tweak, list[str]]] = [
    ("ports required", sp(ports=None), ["spec.ports: Required value"]),
    (
        "bad port name",
        port0(name="INVALID"),
        [
            'spec.ports[0].name: Invalid value: "INVALID": a lowercase RFC 1123 label must consist of lower '
            "case alphanumeric characters or '-', and must start and end with an alphanumeric character "
            "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ],
    ),
    (
        "port out of range",
        port0(port=65536),
        ["spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive"],
    ),
    (
        "bad protocol",
        port0(protocol="INVALID"),
        ['spec.ports[0].protocol: Unsupported value: "INVALID": supported values: "SCTP", "TCP", "UDP"'],
    ),
    (
        "bad targetPort name",
        port0(targetPort="-http-"),
        ['spec.ports[0].targetPort: Invalid value: "-http-": must not begin or end with a hyphen'],
    ),
    (
        "duplicate port",
        chain(add_port("q", 12345, target=8080), add_port("r", 12345, target=80)),
        [
            'spec.ports[2]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", '
            "AppProtocol:(*string)(nil), Port:12345, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
            'StrVal:""}, NodePort:0}'
        ],
    ),
    (
        "duplicate port name",
        chain(port0(name="p"), add_port("p", 12345)),
        ['spec.ports[1].name: Duplicate value: "p"'],
    ),
    (
        "duplicate nodePort",
        chain(NODE_PORT, add_port("q", 1, node_port=30001), add_port("r", 2, node_port=30001)),
        ["spec.ports[2].nodePort: Duplicate value: 30001"],
    ),
    (
        "nodePort on ClusterIP",
        add_port("q", 12345, node_port=30001),
        ["spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ),
    (
        "headless LoadBalancer",
        chain(LB, ips("None")),
        ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"],
    ),
    (
        "headless NodePort",
        chain(NODE_PORT, ips("None")),
        ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    ),
    (
        "ExternalName with clusterIPs",
        chain(sp(type="ExternalName", externalName="example.com"), ips("10.0.0.1")),
        ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"],
    ),
    (
        "ExternalName not a DNS name",
        sp(type="ExternalName", externalName="-123."),
        [
            'spec.externalName: Invalid value: "-123": a lowercase RFC 1123 subdomain must consist of lower '
            "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        ],
    ),
    (
        "loopback externalIP",
        sp(externalTrafficPolicy="Cluster", externalIPs=["127.0.0.1"]),
        [
            'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'
        ],
    ),
    (
        "unspecified externalIP",
        sp(externalTrafficPolicy="Cluster", externalIPs=["0.0.0.0"]),
        ['spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)'],
    ),
    (
        "hostname as externalIP",
        sp(externalTrafficPolicy="Cluster", externalIPs=["myhost.mydomain"]),
        [
            'spec.externalIPs[0]: Invalid value: "myhost.mydomain": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)"
        ],
    ),
    (
        "affinity timeout",
        sp(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": -1}}),
        [
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: -1: must be greater than 0 and less than 86400"
        ],
    ),
    (
        "affinity config without ClientIP",
        sp(sessionAffinityConfig={"clientIP": {"timeoutSeconds": 90}}),
        ["spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None"],
    ),
    (
        "affinity config missing",
        sp(sessionAffinity="ClientIP"),
        ["spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP"],
    ),
    (
        "bad session affinity",
        sp(sessionAffinity="Sticky"),
        ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
    ),
    (
        "bad type",
        sp(type="Foo"),
        [
            'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
        ],
    ),
    (
        "bad source range",
        chain(LB, sp(loadBalancerSourceRanges=["1.2.3.4/33"])),
        [
            'spec.LoadBalancerSourceRanges[0]: Invalid value: "1.2.3.4/33": must be a valid CIDR value, '
            "(e.g. 10.9.8.0/24 or 2001:db8::/64)"
        ],
    ),
    (
        "source range on ClusterIP",
        sp(loadBalancerSourceRanges=["1.2.3.0/24"]),
        ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    ),
    (
        "missing allocateLoadBalancerNodePorts",
        sp(type="LoadBalancer", externalTrafficPolicy="Cluster"),
        ["allocateLoadBalancerNodePorts: Required value"],
    ),
    (
        "allocateLoadBalancerNodePorts on ClusterIP",
        sp(allocateLoadBalancerNodePorts=False),
        ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    ),
    (
        "externalTrafficPolicy on ClusterIP",
        sp(externalTrafficPolicy="Local"),
        [
            'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'
        ],
    ),
    (
        "bad externalTrafficPolicy",
        chain(LB, sp(externalTrafficPolicy="Global")),
        ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'],
    ),
    (
        "healthCheckNodePort on Cluster policy",
        chain(LB, sp(healthCheckNodePort=34567)),
        [
            "spec.healthCheckNodePort: Invalid value: 34567: may only be set when `type` is 'LoadBalancer' and "
            "`externalTrafficPolicy` is 'Local'"
        ],
    ),
    (
        "bad internalTrafficPolicy",
        sp(internalTrafficPolicy="invalid"),
        ['spec.internalTrafficPolicy: Unsupported value: "invalid": supported values: "Cluster", "Local"'],
    ),
    (
        "missing internalTrafficPolicy",
        sp(internalTrafficPolicy=None),
        ["spec.internalTrafficPolicy: Required value"],
    ),
    (
        "None not alone",
        chain(REQUIRE_DUAL, ips("None", "2001::1")),
        [
            'spec.clusterIPs: Invalid value: []string{"None", "2001::1"}: \'None\' must be the first and only value'
        ],
    ),
    (
        "two IPs of one family",
        chain(REQUIRE_DUAL, ips("2001::1", "2001::4")),
        [
            'spec.clusterIPs: Invalid value: []string{"2001::1", "2001::4"}: may specify no more than one IP for each IP family'
        ],
    ),
    (
        "three IPs",
        chain(REQUIRE_DUAL, ips("10.0.0.1", "2001::1", "10.0.0.10")),
        [
            'spec.clusterIPs: Invalid value: []string{"10.0.0.1", "2001::1", "10.0.0.10"}: may only hold up to 2 values'
        ],
    ),
    (
        "clusterIP does not match",
        ips("10.0.0.1", cluster_ip="10.0.0.10"),
        ['spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: first value must match `clusterIP`'],
    ),
    (
        "clusterIPs without clusterIP",
        sp(clusterIPs=["10.0.0.1"]),
        [
            'spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: must be empty when `clusterIP` is not specified'
        ],
    ),
    (
        "family mismatch",
        chain(ips("10.0.0.1"), fams("IPv6")),
        [
            'spec.clusterIPs[0]: Invalid value: "10.0.0.1": expected an IPv6 value as indicated by `ipFamilies[0]`'
        ],
    ),
    (
        "bad ipFamily",
        fams("IPv5"),
        ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
    ),
    ("duplicate ipFamily", fams("IPv4", "IPv4"), ['spec.ipFamilies[1]: Duplicate value: "IPv4"']),
    (
        "bad ipFamilyPolicy",
        sp(ipFamilyPolicy="TripleStack"),
        [
            'spec.ipFamilyPolicy: Unsupported value: "TripleStack": supported values: "PreferDualStack", '
            '"RequireDualStack", "SingleStack"'
        ],
    ),
    (
        "topology annotations disagree",
        chain(
            ann("service.kubernetes.io/topology-aware-hints", "original"),
            ann("service.kubernetes.io/topology-mode", "different"),
        ),
        [
            'metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "different": must match '
            "annotations[service.kubernetes.io/topology-aware-hints] when both are specified"
        ],
    ),
    (
        "bad trafficDistribution",
        sp(trafficDistribution="Random"),
        [
            'spec.trafficDistribution: Unsupported value: "Random": supported values: "PreferClose", '
            '"PreferSameZone", "PreferSameNode"'
        ],
    ),
    (
        "loadBalancerClass on ClusterIP",
        sp(loadBalancerClass="example.com/lb"),
        ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    ),
    (
        "bad appProtocol",
        port0(appProtocol="~https"),
        [
            'spec.ports[0].appProtocol: Invalid value: "~https": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
            "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        ],
    ),
]


@pytest.mark.parametrize(("tweak", "expected"), [pytest.param(t, e, id=n) for n, t, e in MESSAGE_CASES])
def test_validate_service_messages(tweak: Tweak, expected: list[str]) -> None:
    svc = valid_service()
    tweak(svc)
    assert [str(e) for e in validate_service(svc)] == expected


# --------------------------------------------------------------------------- update

UpdateTweak = Callable[[Obj, Obj], None]


def both(old_tweak: Tweak | None = None, new_tweak: Tweak | None = None) -> UpdateTweak:
    def tweak(old: Obj, new: Obj) -> None:
        if old_tweak is not None:
            old_tweak(old)
        if new_tweak is not None:
            new_tweak(new)

    return tweak


OLD_LB = sp(type="LoadBalancer", allocateLoadBalancerNodePorts=True)
DUAL_4_6 = chain(ips("1.2.3.4", "2001::1"), REQUIRE_DUAL, fams("IPv4", "IPv6"))
SINGLE_4 = chain(ips("1.2.3.4"), SINGLE, fams("IPv4"))

UPDATE_CASES: list[tuple[str, UpdateTweak, list[tuple[str, ErrorType]]]] = [
    ("no change", both(), []),
    ("change name", both(new_tweak=md(name="valid2")), [("metadata.name", I)]),
    ("change namespace", both(new_tweak=md(namespace="valid2")), [("metadata.namespace", I)]),
    ("change label valid", both(lbl("key", "value"), lbl("key", "other-value")), []),
    ("add label", both(new_tweak=lbl("key2", "value2")), []),
    ("change cluster IP", both(ips("1.2.3.4"), ips("8.6.7.5")), [("spec.clusterIPs[0]", I)]),
    (
        "remove cluster IP",
        both(ips("1.2.3.4"), sp(clusterIP=None, clusterIPs=None)),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "change affinity",
        both(
            new_tweak=sp(
                sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 90}}
            )
        ),
        [],
    ),
    ("remove affinity", both(new_tweak=sp(sessionAffinity="")), [("spec.sessionAffinity", R)]),
    ("change type", both(new_tweak=LB), []),
    ("remove type", both(new_tweak=sp(type="")), [("spec.type", R)]),
    ("change type -> nodeport", both(new_tweak=NODE_PORT), []),
    (
        "add loadBalancerSourceRanges",
        both(OLD_LB, chain(LB, sp(loadBalancerSourceRanges=["10.0.0.0/8"]))),
        [],
    ),
    (
        "update loadBalancerSourceRanges",
        both(
            chain(OLD_LB, sp(loadBalancerSourceRanges=["10.0.0.0/8"])),
            chain(LB, sp(loadBalancerSourceRanges=["10.100.0.0/16"])),
        ),
        [],
    ),
    (
        "LoadBalancer type cannot have None ClusterIP",
        both(new_tweak=chain(ips("None"), LB)),
        [("spec.clusterIPs[0]", I)],
    ),
    ("`None` ClusterIP can NOT be changed", both(ips("None"), ips("1.2.3.4")), [("spec.clusterIPs[0]", I)]),
    (
        "`None` ClusterIP can NOT be removed",
        both(ips("None"), sp(clusterIP=None, clusterIPs=None)),
        [("spec.clusterIPs[0]", I)],
    ),
    ("ClusterIP can NOT be changed to None", both(ips("1.2.3.4"), ips("None")), [("spec.clusterIPs[0]", I)]),
    (
        "Service with ClusterIP type cannot change its set ClusterIP",
        both(ips("1.2.3.4"), ips("1.2.3.5")),
        [("spec.clusterIPs[0]", I)],
    ),
    ("Service with ClusterIP type can change its empty ClusterIP", both(None, ips("1.2.3.5")), []),
    (
        "Service with ClusterIP type cannot change its set ClusterIP when changing type to NodePort",
        both(ips("1.2.3.4"), chain(NODE_PORT, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with ClusterIP type can change its empty ClusterIP when changing type to NodePort",
        both(None, chain(NODE_PORT, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with ClusterIP type cannot change its ClusterIP when changing type to LoadBalancer",
        both(ips("1.2.3.4"), chain(LB, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with ClusterIP type can change its empty ClusterIP when changing type to LoadBalancer",
        both(None, chain(LB, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with LoadBalancer type can change its AllocateLoadBalancerNodePorts from true to false",
        both(OLD_LB, chain(LB, sp(allocateLoadBalancerNodePorts=False))),
        [],
    ),
    (
        "Service with LoadBalancer type can change its AllocateLoadBalancerNodePorts from false to true",
        both(chain(OLD_LB, sp(allocateLoadBalancerNodePorts=False)), LB),
        [],
    ),
    (
        "Service with NodePort type cannot change its set ClusterIP",
        both(chain(sp(type="NodePort"), ips("1.2.3.4")), chain(NODE_PORT, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with NodePort type can change its empty ClusterIP",
        both(sp(type="NodePort"), chain(NODE_PORT, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with NodePort type cannot change its set ClusterIP when changing type to ClusterIP",
        both(chain(sp(type="NodePort"), ips("1.2.3.4")), ips("1.2.3.5")),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with NodePort type can change its empty ClusterIP when changing type to ClusterIP",
        both(sp(type="NodePort"), ips("1.2.3.5")),
        [],
    ),
    (
        "Service with NodePort type cannot change its set ClusterIP when changing type to LoadBalancer",
        both(chain(sp(type="NodePort"), ips("1.2.3.4")), chain(LB, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with NodePort type can change its empty ClusterIP when changing type to LoadBalancer",
        both(sp(type="NodePort"), chain(LB, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with LoadBalancer type cannot change its set ClusterIP",
        both(chain(OLD_LB, ips("1.2.3.4")), chain(LB, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with LoadBalancer type can change its empty ClusterIP",
        both(OLD_LB, chain(LB, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with LoadBalancer type cannot change its set ClusterIP when changing type to ClusterIP",
        both(chain(OLD_LB, ips("1.2.3.4")), ips("1.2.3.5")),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with LoadBalancer type can change its empty ClusterIP when changing type to ClusterIP",
        both(OLD_LB, ips("1.2.3.5")),
        [],
    ),
    (
        "Service with LoadBalancer type cannot change its set ClusterIP when changing type to NodePort",
        both(chain(OLD_LB, ips("1.2.3.4")), chain(NODE_PORT, ips("1.2.3.5"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "Service with LoadBalancer type can change its empty ClusterIP when changing type to NodePort",
        both(OLD_LB, chain(NODE_PORT, ips("1.2.3.5"))),
        [],
    ),
    (
        "Service with ExternalName type can change its empty ClusterIP when changing type to ClusterIP",
        both(sp(type="ExternalName"), ips("1.2.3.5")),
        [],
    ),
    (
        "Service with ExternalName type can change its set ClusterIP when changing type to ClusterIP",
        both(chain(sp(type="ExternalName"), ips("1.2.3.4")), ips("1.2.3.5")),
        [],
    ),
    (
        "invalid node port with clusterIP None",
        both(
            chain(sp(type="NodePort"), add_port("q", 1, node_port=1)),
            chain(NODE_PORT, add_port("q", 1, node_port=1), ips("None")),
        ),
        [("spec.clusterIPs[0]", I)],
    ),
    ("convert from ExternalName", both(sp(type="ExternalName"), sp(type="ClusterIP")), []),
    (
        "invalid: convert to ExternalName",
        both(
            chain(ips("10.0.0.10"), fams("IPv4"), SINGLE),
            chain(sp(type="ExternalName", externalName="foo"), ips("10.0.0.10"), fams("IPv4"), SINGLE),
        ),
        [("spec.clusterIPs", F), ("spec.ipFamilies", F), ("spec.ipFamilyPolicy", F)],
    ),
    (
        "valid: convert to ExternalName",
        both(chain(ips("10.0.0.10"), fams("IPv4"), SINGLE), sp(type="ExternalName", externalName="foo")),
        [],
    ),
    ("same ServiceIPFamily", both(fams("IPv4"), fams("IPv4")), []),
    (
        "same ServiceIPFamily, change IPFamilyPolicy to singleStack",
        both(fams("IPv4"), chain(SINGLE, fams("IPv4"))),
        [],
    ),
    (
        "same ServiceIPFamily, change IPFamilyPolicy singleStack => requireDualStack",
        both(chain(SINGLE, fams("IPv4")), chain(REQUIRE_DUAL, fams("IPv4"))),
        [],
    ),
    (
        "add a new ServiceIPFamily",
        both(chain(REQUIRE_DUAL, fams("IPv4")), chain(REQUIRE_DUAL, fams("IPv4", "IPv6"))),
        [],
    ),
    (
        "ExternalName while changing Service IPFamily",
        both(
            sp(type="ExternalName", externalName="somename"), sp(type="ExternalName", externalName="somename")
        ),
        [],
    ),
    (
        "setting ipfamily from nil to v4",
        both(sp(ipFamilies=None), chain(sp(externalName="somename"), fams("IPv4"))),
        [],
    ),
    (
        "setting ipfamily from nil to v6",
        both(sp(ipFamilies=None), chain(sp(externalName="somename"), fams("IPv6"))),
        [],
    ),
    (
        "change primary ServiceIPFamily",
        both(chain(ips("1.2.3.4"), fams("IPv4")), chain(ips("1.2.3.4"), fams("IPv6"))),
        [("spec.ipFamilies[0]", I), ("spec.clusterIPs[0]", I)],
    ),
    (
        "valid: upgrade to dual stack with requiredDualStack",
        both(chain(ips("1.2.3.4"), SINGLE, fams("IPv4"), REQUIRE_DUAL), chain(ips("1.2.3.4"), fams("IPv4"))),
        [],
    ),
    (
        "valid: upgrade to dual stack with preferDualStack",
        both(SINGLE_4, chain(ips("1.2.3.4"), PREFER_DUAL, fams("IPv4"))),
        [],
    ),
    (
        "valid: upgrade to dual stack, no specific secondary ip",
        both(SINGLE_4, chain(ips("1.2.3.4"), REQUIRE_DUAL, fams("IPv4", "IPv6"))),
        [],
    ),
    ("valid: upgrade to dual stack, with specific secondary ip", both(SINGLE_4, DUAL_4_6), []),
    ("valid: downgrade from dual to single", both(DUAL_4_6, SINGLE_4), []),
    (
        "valid: change families for a headless service",
        both(
            chain(ips("None"), REQUIRE_DUAL, fams("IPv4", "IPv6")),
            chain(ips("None"), REQUIRE_DUAL, fams("IPv6", "IPv4")),
        ),
        [],
    ),
    (
        "valid: upgrade a headless service",
        both(
            chain(ips("None"), SINGLE, fams("IPv4")), chain(ips("None"), REQUIRE_DUAL, fams("IPv6", "IPv4"))
        ),
        [],
    ),
    (
        "valid: downgrade a headless service",
        both(
            chain(ips("None"), REQUIRE_DUAL, fams("IPv4", "IPv6")), chain(ips("None"), SINGLE, fams("IPv6"))
        ),
        [],
    ),
    (
        "invalid flip families",
        both(
            chain(ips("1.2.3.4", "2001::1", cluster_ip="1.2.3.40"), REQUIRE_DUAL, fams("IPv4", "IPv6")),
            chain(ips("2001::1", "1.2.3.5"), REQUIRE_DUAL, fams("IPv6", "IPv4")),
        ),
        [
            ("spec.clusterIPs[0]", I),
            ("spec.clusterIPs[1]", I),
            ("spec.ipFamilies[0]", I),
            ("spec.ipFamilies[0]", I),
        ],
    ),
    (
        "invalid change first ip, in dualstack service",
        both(DUAL_4_6, chain(ips("1.2.3.5", "2001::1"), REQUIRE_DUAL, fams("IPv4", "IPv6"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "invalid, change second ip in dualstack service",
        both(DUAL_4_6, chain(ips("1.2.3.4", "2002::1"), REQUIRE_DUAL, fams("IPv4", "IPv6"))),
        [("spec.clusterIPs[1]", I)],
    ),
    (
        "downgrade keeping the families",
        both(DUAL_4_6, chain(ips("1.2.3.4"), SINGLE, fams("IPv4", "IPv6"))),
        [],
    ),
    (
        "invalid, downgrade without changing to singleStack",
        both(DUAL_4_6, chain(ips("1.2.3.4"), REQUIRE_DUAL, fams("IPv4"))),
        [("spec.ipFamilyPolicy", I), ("spec.ipFamilyPolicy", I)],
    ),
    (
        "invalid, downgrade and change primary ip",
        both(DUAL_4_6, chain(ips("1.2.3.5"), SINGLE, fams("IPv4"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "invalid: upgrade to dual stack and change primary",
        both(SINGLE_4, chain(ips("1.2.3.5"), REQUIRE_DUAL, fams("IPv4", "IPv6"))),
        [("spec.clusterIPs[0]", I)],
    ),
    (
        "update to valid app protocol",
        both(
            sp(ports=[make_service_port("a", 443, 3000)]),
            sp(ports=[{**make_service_port("a", 443, 3000), "appProtocol": "https"}]),
        ),
        [],
    ),
    (
        "update to invalid app protocol",
        both(
            sp(ports=[make_service_port("a", 443, 3000)]),
            sp(ports=[{**make_service_port("a", 443, 3000), "appProtocol": "~https"}]),
        ),
        [("spec.ports[0].appProtocol", I)],
    ),
    (
        "Set AllocateLoadBalancerNodePorts when type is not LoadBalancer",
        both(new_tweak=sp(allocateLoadBalancerNodePorts=True)),
        [("spec.allocateLoadBalancerNodePorts", F)],
    ),
    (
        "update LoadBalancer type of service without change LoadBalancerClass",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-old")),
            chain(LB, sp(loadBalancerClass="test.com/test-old")),
        ),
        [],
    ),
    (
        "invalid: change LoadBalancerClass when update service",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-old")),
            chain(LB, sp(loadBalancerClass="test.com/test-new")),
        ),
        [("spec.loadBalancerClass", I)],
    ),
    (
        "invalid: unset LoadBalancerClass when update service",
        both(chain(OLD_LB, sp(loadBalancerClass="test.com/test-old")), LB),
        [("spec.loadBalancerClass", I)],
    ),
    (
        "invalid: set LoadBalancerClass when update service",
        both(OLD_LB, chain(LB, sp(loadBalancerClass="test.com/test-new"))),
        [("spec.loadBalancerClass", I)],
    ),
    (
        "update to LoadBalancer type of service with valid LoadBalancerClass",
        both(None, chain(LB, sp(loadBalancerClass="test.com/test-load-balancer-class"))),
        [],
    ),
    ("update to LoadBalancer type of service without LoadBalancerClass", both(None, LB), []),
    (
        "invalid: set invalid LoadBalancerClass when update service to LoadBalancer",
        both(None, chain(LB, sp(loadBalancerClass="Bad/LoadBalancerclass"))),
        [("spec.loadBalancerClass", I), ("spec.loadBalancerClass", I)],
    ),
    (
        "invalid: set LoadBalancerClass when update service to non LoadBalancer type of service (ClusterIP)",
        both(None, sp(loadBalancerClass="test.com/test-load-balancer-class")),
        [("spec.loadBalancerClass", F), ("spec.loadBalancerClass", F)],
    ),
    (
        "invalid: set LoadBalancerClass when update service to non LoadBalancer type of service (ExternalName)",
        both(
            sp(type="ExternalName"),
            sp(type="ExternalName", loadBalancerClass="test.com/test-load-balancer-class"),
        ),
        [("spec.loadBalancerClass", F), ("spec.externalName", R), ("spec.loadBalancerClass", F)],
    ),
    (
        "invalid: set LoadBalancerClass when update service to non LoadBalancer type of service (NodePort)",
        both(
            sp(type="NodePort"), chain(NODE_PORT, sp(loadBalancerClass="test.com/test-load-balancer-class"))
        ),
        [("spec.loadBalancerClass", F), ("spec.loadBalancerClass", F)],
    ),
    (
        "invalid: set LoadBalancerClass when update from LoadBalancer service to non LoadBalancer type of service (ClusterIP)",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-load-balancer-class")),
            sp(loadBalancerClass="test.com/test-load-balancer-class"),
        ),
        [("spec.loadBalancerClass", F), ("spec.loadBalancerClass", F)],
    ),
    (
        "invalid: set LoadBalancerClass when update from LoadBalancer service to non LoadBalancer type of service (ExternalName)",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-load-balancer-class")),
            sp(type="ExternalName", loadBalancerClass="test.com/test-load-balancer-class"),
        ),
        [("spec.loadBalancerClass", F), ("spec.externalName", R), ("spec.loadBalancerClass", F)],
    ),
    (
        "invalid: set LoadBalancerClass when update from LoadBalancer service to non LoadBalancer type of service (NodePort)",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-load-balancer-class")),
            chain(NODE_PORT, sp(loadBalancerClass="test.com/test-load-balancer-class")),
        ),
        [("spec.loadBalancerClass", F), ("spec.loadBalancerClass", F)],
    ),
    (
        "update internalTrafficPolicy from Cluster to Local",
        both(sp(internalTrafficPolicy="Cluster"), sp(internalTrafficPolicy="Local")),
        [],
    ),
    (
        "update internalTrafficPolicy from Local to Cluster",
        both(sp(internalTrafficPolicy="Local"), sp(internalTrafficPolicy="Cluster")),
        [],
    ),
    (
        "topology annotations are mismatched",
        both(
            new_tweak=chain(
                ann("service.kubernetes.io/topology-aware-hints", "original"),
                ann("service.kubernetes.io/topology-mode", "different"),
            )
        ),
        [("metadata.annotations[service.kubernetes.io/topology-mode]", I)],
    ),
    (
        "healthCheckNodePort is immutable while both need it",
        both(
            chain(OLD_LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=30001)),
            chain(LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=30002)),
        ),
        [("spec.healthCheckNodePort", F)],
    ),
    (
        "healthCheckNodePort may change when the policy does",
        both(
            chain(OLD_LB, sp(externalTrafficPolicy="Cluster")),
            chain(LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=30002)),
        ),
        [],
    ),
    ("missing resourceVersion", both(new_tweak=md(resourceVersion="")), [("metadata.resourceVersion", I)]),
]


@pytest.mark.parametrize(("tweak", "expected"), [pytest.param(t, e, id=n) for n, t, e in UPDATE_CASES])
def test_validate_service_update(tweak: UpdateTweak, expected: list[tuple[str, ErrorType]]) -> None:
    old, new = valid_service(), valid_service()
    tweak(old, new)
    assert found(validate_service_update(new, old)) == expected


UPDATE_MESSAGE_CASES: list[tuple[str, UpdateTweak, list[str]]] = [
    (
        "change cluster IP",
        both(ips("1.2.3.4"), ips("8.6.7.5")),
        ['spec.clusterIPs[0]: Invalid value: []string{"8.6.7.5"}: may not change once set'],
    ),
    (
        "remove cluster IP",
        both(ips("1.2.3.4"), sp(clusterIP=None, clusterIPs=None)),
        ["spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset"],
    ),
    (
        "downgrade without SingleStack",
        both(DUAL_4_6, chain(ips("1.2.3.4"), REQUIRE_DUAL, fams("IPv4"))),
        [
            "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": must be set to 'SingleStack' when "
            "releasing the secondary clusterIP",
            "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": must be set to 'SingleStack' when "
            "releasing the secondary ipFamily",
        ],
    ),
    (
        "downgrade without a policy",
        both(DUAL_4_6, chain(ips("1.2.3.4"), sp(ipFamilyPolicy=None), fams("IPv4", "IPv6"))),
        [
            "spec.ipFamilyPolicy: Invalid value: \"null\": must be set to 'SingleStack' when releasing the "
            "secondary clusterIP"
        ],
    ),
    (
        "change primary family",
        both(chain(ips("1.2.3.4"), fams("IPv4")), chain(ips("1.2.3.4"), fams("IPv6"))),
        [
            'spec.ipFamilies[0]: Invalid value: []core.IPFamily{"IPv6"}: may not change once set',
            'spec.clusterIPs[0]: Invalid value: "1.2.3.4": expected an IPv6 value as indicated by `ipFamilies[0]`',
        ],
    ),
    (
        "change loadBalancerClass",
        both(
            chain(OLD_LB, sp(loadBalancerClass="test.com/test-old")),
            chain(LB, sp(loadBalancerClass="test.com/test-new")),
        ),
        ['spec.loadBalancerClass: Invalid value: "test.com/test-new": may not change once set'],
    ),
    (
        "unset loadBalancerClass",
        both(chain(OLD_LB, sp(loadBalancerClass="test.com/test-old")), LB),
        ['spec.loadBalancerClass: Invalid value: "null": may not change once set'],
    ),
    (
        "healthCheckNodePort immutable",
        both(
            chain(OLD_LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=30001)),
            chain(LB, sp(externalTrafficPolicy="Local", healthCheckNodePort=30002)),
        ),
        ["spec.healthCheckNodePort: Forbidden: field is immutable"],
    ),
]


@pytest.mark.parametrize(
    ("tweak", "expected"), [pytest.param(t, e, id=n) for n, t, e in UPDATE_MESSAGE_CASES]
)
def test_validate_service_update_messages(tweak: UpdateTweak, expected: list[str]) -> None:
    old, new = valid_service(), valid_service()
    tweak(old, new)
    assert [str(e) for e in validate_service_update(new, old)] == expected


def test_update_case_names_are_unique() -> None:
    names = [name for name, _, _ in UPDATE_CASES]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------- status


def ingress(*entries: Obj) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["status"] = {"loadBalancer": {"ingress": [dict(e) for e in entries]}}

    return tweak


STATUS_CASES: list[tuple[str, Tweak, list[str]]] = [
    ("no ingress", chain(), []),
    ("ip with mode VIP", chain(LB, ingress({"ip": "192.0.2.10", "ipMode": "VIP"})), []),
    ("ip with mode Proxy", chain(LB, ingress({"ip": "2001:db8::1", "ipMode": "Proxy"})), []),
    ("hostname only", chain(LB, ingress({"hostname": "lb.example.com"})), []),
    (
        "ip without mode",
        chain(LB, ingress({"ip": "192.0.2.10"})),
        ["status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set"],
    ),
    (
        "mode without ip",
        chain(LB, ingress({"hostname": "lb.example.com", "ipMode": "VIP"})),
        ["status.loadBalancer.ingress[0].ipMode: Forbidden: may not be specified when `ip` is not set"],
    ),
    (
        "unknown mode",
        chain(LB, ingress({"ip": "192.0.2.10", "ipMode": "Direct"})),
        [
            'status.loadBalancer.ingress[0].ipMode: Unsupported value: "Direct": supported values: "Proxy", "VIP"'
        ],
    ),
    (
        "bad ip",
        chain(LB, ingress({"ip": "192.0.2.300", "ipMode": "VIP"})),
        [
            'status.loadBalancer.ingress[0].ip: Invalid value: "192.0.2.300": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)"
        ],
    ),
    (
        "hostname that is an IP",
        chain(LB, ingress({"hostname": "192.0.2.10"})),
        [
            'status.loadBalancer.ingress[0].hostname: Invalid value: "192.0.2.10": must be a DNS name, not an IP address'
        ],
    ),
    (
        "bad hostname",
        chain(LB, ingress({"ip": "192.0.2.10", "ipMode": "VIP"}, {"hostname": "-lb"})),
        [
            'status.loadBalancer.ingress[1].hostname: Invalid value: "-lb": a lowercase RFC 1123 subdomain must '
            "consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        ],
    ),
    (
        "ingress on a ClusterIP service",
        ingress({"ip": "192.0.2.10", "ipMode": "VIP"}),
        ["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"],
    ),
]


@pytest.mark.parametrize(("tweak", "expected"), [pytest.param(t, e, id=n) for n, t, e in STATUS_CASES])
def test_validate_service_status_update(tweak: Tweak, expected: list[str]) -> None:
    old, new = valid_service(), valid_service()
    tweak(old)
    tweak(new)
    old["status"] = {"loadBalancer": {}}
    assert [str(e) for e in validate_service_status_update(new, old)] == expected


def test_status_update_checks_metadata() -> None:
    old, new = valid_service(), valid_service()
    new["metadata"]["name"] = "renamed"
    assert found(validate_service_status_update(new, old)) == [("metadata.name", I)]


# --------------------------------------------------------------------------- special IPs


@pytest.mark.parametrize(
    ("ip", "messages"),
    [
        pytest.param("1.2.3.4", [], id="public v4"),
        pytest.param("2001:db8::1", [], id="public v6"),
        pytest.param("0.0.0.0", ["may not be unspecified (0.0.0.0)"], id="unspecified v4"),
        pytest.param("::", ["may not be unspecified (::)"], id="unspecified v6"),
        pytest.param(
            "127.0.0.1", ["may not be in the loopback range (127.0.0.0/8, ::1/128)"], id="loopback v4"
        ),
        pytest.param(
            "127.1.2.3", ["may not be in the loopback range (127.0.0.0/8, ::1/128)"], id="loopback v4 range"
        ),
        pytest.param("::1", ["may not be in the loopback range (127.0.0.0/8, ::1/128)"], id="loopback v6"),
        pytest.param(
            "::ffff:127.0.0.1",
            ["may not be in the loopback range (127.0.0.0/8, ::1/128)"],
            id="v4-mapped loopback",
        ),
        pytest.param(
            "169.254.169.254",
            ["may not be in the link-local range (169.254.0.0/16, fe80::/10)"],
            id="link-local v4 (metadata service)",
        ),
        pytest.param(
            "fe80::1", ["may not be in the link-local range (169.254.0.0/16, fe80::/10)"], id="link-local v6"
        ),
        pytest.param(
            "224.0.0.1",
            ["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"],
            id="link-local multicast v4",
        ),
        pytest.param(
            "ff02::1",
            ["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"],
            id="link-local multicast v6",
        ),
        pytest.param("224.0.1.1", [], id="routable multicast v4"),
        pytest.param("not-an-ip", ["must be a valid IP address"], id="not an IP"),
    ],
)
def test_validate_non_special_ip(ip: str, messages: list[str]) -> None:
    errs = validate_non_special_ip(ip, "ip")
    assert [e.detail for e in errs] == messages
    assert all(e.field == "ip" and e.type is I for e in errs)


# --------------------------------------------------------------------------- warnings

WARNING_CASES: list[tuple[str, Tweak, list[str]]] = [
    ("none", chain(), []),
    (
        "deprecated topology annotation",
        ann("service.kubernetes.io/topology-aware-hints", "Auto"),
        [
            "annotation service.kubernetes.io/topology-aware-hints is deprecated, please use service.kubernetes.io/topology-mode instead"
        ],
    ),
    (
        "non-canonical IPv6 clusterIP",
        ips("2001:db8:0:0::1"),
        [
            'spec.clusterIPs[0]: IPv6 address "2001:db8:0:0::1" should be in RFC 5952 canonical format ("2001:db8::1")'
        ],
    ),
    (
        "leading zeros in clusterIP",
        ips("010.000.000.001"),
        [
            'spec.clusterIPs[0]: non-standard IP address "010.000.000.001" will be considered invalid in a '
            'future Kubernetes release: use "10.0.0.1"'
        ],
    ),
    (
        "externalIPs are deprecated",
        sp(externalTrafficPolicy="Cluster", externalIPs=["192.0.2.1"]),
        ["spec.externalIPs is deprecated and may no longer be implemented in some clusters"],
    ),
    (
        "headless ignores fields",
        chain(
            ips("None"), sp(loadBalancerIP="192.0.2.1", externalIPs=["192.0.2.2"], sessionAffinity="ClientIP")
        ),
        [
            "spec.loadBalancerIP is ignored for headless services",
            "spec.externalIPs is ignored for headless services",
            "spec.SessionAffinity is ignored for headless services",
        ],
    ),
    (
        "ambiguous source range",
        chain(LB, sp(loadBalancerSourceRanges=["10.0.0.1/8"])),
        [
            'spec.loadBalancerSourceRanges[0]: CIDR value "10.0.0.1/8" is ambiguous in this context '
            '(should be "10.0.0.0/8" or "10.0.0.1/32"?)'
        ],
    ),
    (
        "externalName on ClusterIP",
        sp(externalName="example.com"),
        ['spec.externalName is ignored when spec.type is not "ExternalName"'],
    ),
    (
        "externalIPs on ExternalName",
        sp(type="ExternalName", externalName="example.com", externalIPs=["192.0.2.1"]),
        ['spec.externalIPs is ignored when spec.type is "ExternalName"'],
    ),
    (
        "PreferClose is deprecated",
        sp(trafficDistribution="PreferClose"),
        ['spec.trafficDistribution: "PreferClose" is deprecated; use "PreferSameZone"'],
    ),
]


@pytest.mark.parametrize(("tweak", "expected"), [pytest.param(t, e, id=n) for n, t, e in WARNING_CASES])
def test_service_warnings(tweak: Tweak, expected: list[str]) -> None:
    svc = valid_service()
    tweak(svc)
    assert service_warnings(svc) == expected


# --------------------------------------------------------------------------- properties

_label_values = st.sampled_from(["web", "db", "v1", "a.b-c_d", ""])
_user_ports = st.lists(
    st.tuples(
        st.integers(1, 65535),
        st.sampled_from(["TCP", "UDP", "SCTP", None]),
        st.one_of(st.none(), st.integers(1, 65535), st.sampled_from(["http", "metrics"])),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda p: (p[0], p[1] or "TCP"),
)


@settings(max_examples=150, deadline=None)
@given(
    svc_type=st.sampled_from([None, "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
    ports=_user_ports,
    selector=st.dictionaries(
        st.sampled_from(["app", "tier", "app.kubernetes.io/name"]), _label_values, max_size=2
    ),
    affinity=st.sampled_from([None, "None", "ClientIP"]),
    headless=st.booleans(),
)
def test_any_well_formed_manifest_defaults_to_a_valid_service(
    svc_type: str | None,
    ports: list[tuple[int, str | None, int | str | None]],
    selector: dict[str, str],
    affinity: str | None,
    headless: bool,
) -> None:
    """What a user may write (no allocation yet) is valid once defaulted: defaults never produce
    an object that validation rejects."""
    spec: Obj = {"selector": selector}
    if svc_type is not None:
        spec["type"] = svc_type
    if svc_type == "ExternalName":
        spec["externalName"] = "db.example.com"
    if affinity is not None:
        spec["sessionAffinity"] = affinity
    if headless and svc_type in (None, "ClusterIP"):
        spec["clusterIP"] = "None"
        spec["clusterIPs"] = ["None"]
    spec["ports"] = []
    for i, (port, protocol, target) in enumerate(ports):
        p: Obj = {"name": f"p{i}", "port": port}
        if protocol is not None:
            p["protocol"] = protocol
        if target is not None:
            p["targetPort"] = target
        spec["ports"].append(p)
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }
    apply_defaults(svc)
    assert validate_service(svc) == []


_junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
_spec_keys = st.sampled_from(
    [
        "ports",
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
        "sessionAffinity",
        "sessionAffinityConfig",
        "loadBalancerSourceRanges",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "ipFamilies",
        "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts",
        "loadBalancerClass",
        "internalTrafficPolicy",
        "trafficDistribution",
    ]
)


@settings(max_examples=150, deadline=None)
@given(new=st.dictionaries(_spec_keys, _junk, max_size=8), old=st.dictionaries(_spec_keys, _junk, max_size=8))
def test_validation_never_raises_on_malformed_specs(new: Obj, old: Obj) -> None:
    """Whatever shape a decoded body has, validation answers with field errors, never an exception."""
    new_svc = valid_service()
    new_svc["spec"].update(new)
    old_svc = valid_service()
    old_svc["spec"].update(old)
    for errs in (
        validate_service(new_svc),
        validate_service_update(new_svc, old_svc),
        validate_service_status_update(new_svc, old_svc),
    ):
        assert all(str(e) for e in errs)
    service_warnings(new_svc)


# --------------------------------------------------------------------------- through the dispatcher


def test_dispatcher_runs_service_rules_and_renders_the_422() -> None:
    """What `kubectl create` shows for a Service with two unnamed, clashing ports."""
    from kubesvc.api import errors
    from kubesvc.api.validation import validate

    svc = make_service("web", set_ports(make_service_port("", 80, 80), make_service_port("", 80, 81)))
    assert validate(make_service("web")) == []
    errs = validate(svc)
    status = errors.invalid("Service", "web", errs).to_status()
    assert status["code"] == 422
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value, '
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
        'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}]'
    )
    assert [c["field"] for c in status["details"]["causes"]] == [
        "spec.ports[0].name",
        "spec.ports[1].name",
        "spec.ports[1]",
    ]
