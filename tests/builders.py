"""Test builders: valid objects by default, changed by tweaks (as upstream's pkg/api/service/testing).

Every `make_*` returns a fresh dict in exact Kubernetes JSON shape, already defaulted (as
kube-apiserver would store it, minus allocation), that passes validation as it is.  A tweak is a
function that changes the dict in place; the `set_*` helpers build tweaks:

    svc = make_service("web", set_type_node_port, set_ports(make_service_port("http", 80, 8080)))
    pod = make_pod("web-1", set_pod_ips("10.244.1.5"), set_pod_ready(True))
    eps = make_endpoint_slice("web-abc", set_endpoints(make_endpoint("10.244.1.5")))

The tweak names follow make.go (`SetTypeNodePort`, `SetClusterIPs`, `SetHeadless`, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

Obj = dict[str, Any]
Tweak = Callable[[Obj], None]

DEFAULT_NAMESPACE = "default"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"


def _apply(obj: Obj, tweaks: tuple[Tweak, ...]) -> Obj:
    for tweak in tweaks:
        tweak(obj)
    return obj


# ---------------------------------------------------------------------------------------------
# tweaks for any object


def set_namespace(namespace: str) -> Tweak:
    def tweak(obj: Obj) -> None:
        obj["metadata"]["namespace"] = namespace

    return tweak


def set_labels(labels: Mapping[str, str]) -> Tweak:
    def tweak(obj: Obj) -> None:
        obj["metadata"]["labels"] = dict(labels)

    return tweak


def set_annotations(annotations: Mapping[str, str]) -> Tweak:
    def tweak(obj: Obj) -> None:
        obj["metadata"]["annotations"] = dict(annotations)

    return tweak


def set_resource_version(rv: str) -> Tweak:
    def tweak(obj: Obj) -> None:
        obj["metadata"]["resourceVersion"] = rv

    return tweak


# ---------------------------------------------------------------------------------------------
# Service


def make_service(name: str = "web", *tweaks: Tweak) -> Obj:
    """A ClusterIP Service selecting `k=v`, one TCP port 93 -> 76, no IP allocated yet."""
    svc: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": DEFAULT_NAMESPACE},
        "spec": {
            "selector": {"k": "v"},
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    }
    set_type_cluster_ip(svc)
    set_ports(make_service_port("", 93, 76))(svc)
    return _apply(svc, tweaks)


def make_service_port(name: str, port: int, target_port: int | str, protocol: str = "TCP") -> Obj:
    return {"name": name, "port": port, "targetPort": target_port, "protocol": protocol}


def set_ports(*ports: Obj) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["ports"] = [copy.deepcopy(p) for p in ports]

    return tweak


def set_type_cluster_ip(svc: Obj) -> None:
    spec = svc["spec"]
    spec["type"] = "ClusterIP"
    for port in spec.get("ports") or []:
        port.pop("nodePort", None)
    for key in ("externalName", "externalTrafficPolicy", "allocateLoadBalancerNodePorts"):
        spec.pop(key, None)
    spec["internalTrafficPolicy"] = "Cluster"


def set_type_node_port(svc: Obj) -> None:
    spec = svc["spec"]
    spec["type"] = "NodePort"
    spec["externalTrafficPolicy"] = "Cluster"
    spec["internalTrafficPolicy"] = "Cluster"
    for key in ("externalName", "allocateLoadBalancerNodePorts"):
        spec.pop(key, None)


def set_type_load_balancer(svc: Obj) -> None:
    spec = svc["spec"]
    spec["type"] = "LoadBalancer"
    spec["externalTrafficPolicy"] = "Cluster"
    spec["internalTrafficPolicy"] = "Cluster"
    spec["allocateLoadBalancerNodePorts"] = True
    spec.pop("externalName", None)


def set_type_external_name(svc: Obj) -> None:
    spec = svc["spec"]
    spec["type"] = "ExternalName"
    spec["externalName"] = "example.com"
    for key in (
        "externalTrafficPolicy",
        "clusterIP",
        "clusterIPs",
        "allocateLoadBalancerNodePorts",
        "ipFamilies",
        "ipFamilyPolicy",
    ):
        spec.pop(key, None)


def set_cluster_ips(*ips: str) -> Tweak:
    """clusterIP is the first, clusterIPs all of them (SetClusterIPs)."""

    def tweak(svc: Obj) -> None:
        svc["spec"]["clusterIP"] = ips[0]
        svc["spec"]["clusterIPs"] = list(ips)

    return tweak


def set_headless(svc: Obj) -> None:
    set_cluster_ips("None")(svc)


def set_ip_families(*families: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["ipFamilies"] = list(families)

    return tweak


def set_ip_family_policy(policy: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["ipFamilyPolicy"] = policy

    return tweak


def set_node_ports(*node_ports: int) -> Tweak:
    """nodePort of each port in turn."""

    def tweak(svc: Obj) -> None:
        for port, node_port in zip(svc["spec"]["ports"], node_ports, strict=False):
            port["nodePort"] = node_port

    return tweak


def set_selector(selector: Mapping[str, str] | None) -> Tweak:
    def tweak(svc: Obj) -> None:
        if selector is None:
            svc["spec"].pop("selector", None)
        else:
            svc["spec"]["selector"] = dict(selector)

    return tweak


def set_external_ips(*ips: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["externalIPs"] = list(ips)

    return tweak


def set_external_traffic_policy(policy: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["externalTrafficPolicy"] = policy

    return tweak


def set_internal_traffic_policy(policy: str | None) -> Tweak:
    def tweak(svc: Obj) -> None:
        if policy is None:
            svc["spec"].pop("internalTrafficPolicy", None)
        else:
            svc["spec"]["internalTrafficPolicy"] = policy

    return tweak


def set_health_check_node_port(port: int) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["healthCheckNodePort"] = port

    return tweak


def set_session_affinity(affinity: str, timeout_seconds: int | None = 10800) -> Tweak:
    """ClientIP gets a sessionAffinityConfig with the timeout; None drops the config."""

    def tweak(svc: Obj) -> None:
        spec = svc["spec"]
        spec["sessionAffinity"] = affinity
        if affinity == "ClientIP" and timeout_seconds is not None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": timeout_seconds}}
        else:
            spec.pop("sessionAffinityConfig", None)

    return tweak


def set_allocate_load_balancer_node_ports(value: bool | None) -> Tweak:
    def tweak(svc: Obj) -> None:
        if value is None:
            svc["spec"].pop("allocateLoadBalancerNodePorts", None)
        else:
            svc["spec"]["allocateLoadBalancerNodePorts"] = value

    return tweak


def set_load_balancer_class(cls: str | None) -> Tweak:
    def tweak(svc: Obj) -> None:
        if cls is None:
            svc["spec"].pop("loadBalancerClass", None)
        else:
            svc["spec"]["loadBalancerClass"] = cls

    return tweak


def set_traffic_distribution(value: str) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc["spec"]["trafficDistribution"] = value

    return tweak


def set_load_balancer_ingress(*ingress: Obj) -> Tweak:
    def tweak(svc: Obj) -> None:
        svc.setdefault("status", {}).setdefault("loadBalancer", {})["ingress"] = [
            copy.deepcopy(i) for i in ingress
        ]

    return tweak


# ---------------------------------------------------------------------------------------------
# Pod


def make_pod(name: str = "pod", *tweaks: Tweak) -> Obj:
    """A Pod labelled `k=v` (so `make_service()` selects it) with one container, not yet scheduled."""
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": DEFAULT_NAMESPACE, "labels": {"k": "v"}},
        "spec": {
            "containers": [
                {
                    "name": "ctr",
                    "image": "busybox:1.36",
                    "imagePullPolicy": "IfNotPresent",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "enableServiceLinks": True,
        },
        "status": {"phase": "Pending"},
    }
    return _apply(pod, tweaks)


def set_node_name(node: str) -> Tweak:
    def tweak(pod: Obj) -> None:
        pod["spec"]["nodeName"] = node

    return tweak


def set_pod_ips(*ips: str) -> Tweak:
    """Running on an IP (status.podIP / podIPs), phase Running."""

    def tweak(pod: Obj) -> None:
        status = pod.setdefault("status", {})
        status["phase"] = "Running"
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]

    return tweak


def set_pod_ready(ready: bool) -> Tweak:
    """The Ready (and ContainersReady) condition."""

    def tweak(pod: Obj) -> None:
        status = pod.setdefault("status", {})
        value = "True" if ready else "False"
        conditions = [
            c for c in status.get("conditions", []) if c["type"] not in ("Ready", "ContainersReady")
        ]
        conditions.append({"type": "Ready", "status": value, "lastProbeTime": None})
        conditions.append({"type": "ContainersReady", "status": value, "lastProbeTime": None})
        status["conditions"] = conditions

    return tweak


def set_phase(phase: str) -> Tweak:
    def tweak(pod: Obj) -> None:
        pod.setdefault("status", {})["phase"] = phase

    return tweak


def set_container_ports(*ports: Obj) -> Tweak:
    """Ports of the first container; build them with `make_container_port`."""

    def tweak(pod: Obj) -> None:
        pod["spec"]["containers"][0]["ports"] = [copy.deepcopy(p) for p in ports]

    return tweak


def make_container_port(name: str, port: int, protocol: str = "TCP") -> Obj:
    out: Obj = {"containerPort": port, "protocol": protocol}
    if name:
        out["name"] = name
    return out


def set_hostname(hostname: str, subdomain: str = "") -> Tweak:
    def tweak(pod: Obj) -> None:
        pod["spec"]["hostname"] = hostname
        if subdomain:
            pod["spec"]["subdomain"] = subdomain

    return tweak


def set_deletion_timestamp(ts: str = "2024-01-01T00:00:00Z") -> Tweak:
    def tweak(obj: Obj) -> None:
        obj["metadata"]["deletionTimestamp"] = ts

    return tweak


# ---------------------------------------------------------------------------------------------
# EndpointSlice


def make_endpoint_slice(name: str = "web-abc", *tweaks: Tweak) -> Obj:
    """An IPv4 slice of Service `web`, managed by the EndpointSlice controller, port 76, no endpoints."""
    eps: Obj = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name,
            "namespace": DEFAULT_NAMESPACE,
            "labels": {LABEL_SERVICE_NAME: "web", LABEL_MANAGED_BY: CONTROLLER_NAME},
        },
        "addressType": "IPv4",
        "endpoints": [],
        "ports": [{"name": "", "protocol": "TCP", "port": 76}],
    }
    return _apply(eps, tweaks)


def make_endpoint(
    *addresses: str,
    ready: bool | None = True,
    serving: bool | None = None,
    terminating: bool | None = None,
    node_name: str | None = None,
    zone: str | None = None,
    hostname: str | None = None,
    pod: str | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> Obj:
    """One endpoint; `serving` follows `ready` unless given; `pod` adds a targetRef."""
    conditions: Obj = {}
    if ready is not None:
        conditions["ready"] = ready
    if serving is None:
        serving = ready
    if serving is not None:
        conditions["serving"] = serving
    if terminating is not None:
        conditions["terminating"] = terminating
    ep: Obj = {"addresses": list(addresses), "conditions": conditions}
    if hostname is not None:
        ep["hostname"] = hostname
    if pod is not None:
        ep["targetRef"] = {"kind": "Pod", "namespace": namespace, "name": pod}
    if node_name is not None:
        ep["nodeName"] = node_name
    if zone is not None:
        ep["zone"] = zone
    return ep


def set_endpoints(*endpoints: Obj) -> Tweak:
    def tweak(eps: Obj) -> None:
        eps["endpoints"] = [copy.deepcopy(e) for e in endpoints]

    return tweak


def make_endpoint_port(name: str, port: int, protocol: str = "TCP", app_protocol: str | None = None) -> Obj:
    out: Obj = {"name": name, "protocol": protocol, "port": port}
    if app_protocol is not None:
        out["appProtocol"] = app_protocol
    return out


def set_slice_ports(*ports: Obj) -> Tweak:
    def tweak(eps: Obj) -> None:
        eps["ports"] = [copy.deepcopy(p) for p in ports]

    return tweak


def set_address_type(address_type: str) -> Tweak:
    def tweak(eps: Obj) -> None:
        eps["addressType"] = address_type

    return tweak


def set_service_name(service: str) -> Tweak:
    """The kubernetes.io/service-name label of a slice."""

    def tweak(eps: Obj) -> None:
        eps["metadata"].setdefault("labels", {})[LABEL_SERVICE_NAME] = service

    return tweak
