"""Defaulting, case for case after upstream's pkg/apis/core/v1/defaults_test.go and
pkg/apis/discovery/v1/defaults_test.go (test names in the ids), plus the Service documentation
example defaulting to exactly what kube-apiserver stores (minus IP allocation).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.defaults import apply_defaults, image_pull_policy_for, normalize_cluster_ips
from kubesvc.api.validation.service import validate_service
from tests.builders import make_endpoint_slice, make_pod, make_service, set_type_load_balancer

Obj = dict[str, Any]


def service(**spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "default"},
        "spec": spec,
    }


def defaulted(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    apply_defaults(out)
    return out


# --------------------------------------------------------------------------- Service


def test_set_default_service() -> None:
    """TestSetDefaultService: an empty spec becomes a ClusterIP service without affinity."""
    spec = defaulted(service())["spec"]
    assert spec == {"sessionAffinity": "None", "type": "ClusterIP", "internalTrafficPolicy": "Cluster"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"sessionAffinity": "None"}, None, id="SessionAffinity is None: no config"),
        pytest.param(
            {"sessionAffinity": "None", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 90}}},
            None,
            id="SessionAffinity is None: a config is dropped",
        ),
        pytest.param(
            {"sessionAffinity": "ClientIP"},
            {"clientIP": {"timeoutSeconds": 10800}},
            id="SessionAffinityConfig is empty",
        ),
        pytest.param(
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {}},
            {"clientIP": {"timeoutSeconds": 10800}},
            id="ClientIP is empty",
        ),
        pytest.param(
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {}}},
            {"clientIP": {"timeoutSeconds": 10800}},
            id="TimeoutSeconds is empty",
        ),
        pytest.param(
            {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 90}}},
            {"clientIP": {"timeoutSeconds": 90}},
            id="TimeoutSeconds is kept",
        ),
    ],
)
def test_set_default_service_session_affinity_config(spec: Obj, expected: Obj | None) -> None:
    out = defaulted(service(**spec))["spec"]
    assert out.get("sessionAffinityConfig") == expected


def test_set_default_service_session_affinity_kept() -> None:
    assert defaulted(service(sessionAffinity="ClientIP"))["spec"]["sessionAffinity"] == "ClientIP"


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        pytest.param({"port": 1234}, 1234, id="TestSetDefaulServiceTargetPort: missing"),
        pytest.param({"port": 1234, "targetPort": 5678}, 5678, id="TestSetDefaulServiceTargetPort: kept"),
        pytest.param({"port": 9376, "targetPort": ""}, 9376, id="TestSetDefaultServicePort: empty string"),
        pytest.param({"port": 8675, "targetPort": 0}, 8675, id="TestSetDefaultServicePort: zero"),
        pytest.param({"port": 8675, "targetPort": None}, 8675, id="null"),
        pytest.param({"port": 9376, "targetPort": "p"}, "p", id="TestSetDefaultServicePort: name kept"),
        pytest.param({"targetPort": 80}, 80, id="no port, targetPort kept"),
        pytest.param({}, 0, id="no port at all: zero"),
    ],
)
def test_set_default_service_target_port(port: Obj, expected: int | str) -> None:
    out = defaulted(service(ports=[port]))["spec"]["ports"][0]
    assert out["targetPort"] == expected


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        pytest.param(None, "TCP", id="absent"),
        pytest.param("", "TCP", id="empty"),
        pytest.param("UDP", "UDP", id="UDP kept"),
        pytest.param("SCTP", "SCTP", id="SCTP kept"),
    ],
)
def test_set_default_service_port_protocol(protocol: str | None, expected: str) -> None:
    port: Obj = {"port": 80}
    if protocol is not None:
        port["protocol"] = protocol
    assert defaulted(service(ports=[port, {"port": 81}]))["spec"]["ports"][0]["protocol"] == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, None, id="ClusterIP: none"),
        pytest.param({"type": "NodePort"}, "Cluster", id="NodePort: Cluster"),
        pytest.param({"type": "LoadBalancer"}, "Cluster", id="LoadBalancer: Cluster"),
        pytest.param(
            {"type": "ClusterIP", "externalIPs": ["1.2.3.4"]}, "Cluster", id="ClusterIP with externalIPs"
        ),
        pytest.param({"type": "ExternalName", "externalIPs": ["1.2.3.4"]}, None, id="ExternalName: none"),
        pytest.param({"type": "NodePort", "externalTrafficPolicy": "Local"}, "Local", id="Local kept"),
    ],
)
def test_set_default_service_external_traffic(spec: Obj, expected: str | None) -> None:
    assert defaulted(service(**spec))["spec"].get("externalTrafficPolicy") == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, "Cluster", id="ClusterIP"),
        pytest.param({"type": "NodePort"}, "Cluster", id="NodePort"),
        pytest.param({"type": "LoadBalancer"}, "Cluster", id="LoadBalancer"),
        pytest.param({"type": "ExternalName", "externalName": "a.b"}, None, id="ExternalName: not defaulted"),
        pytest.param({"internalTrafficPolicy": "Local"}, "Local", id="Local kept"),
    ],
)
def test_set_default_service_internal_traffic_policy(spec: Obj, expected: str | None) -> None:
    assert defaulted(service(**spec))["spec"].get("internalTrafficPolicy") == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"type": "LoadBalancer"}, True, id="LoadBalancer: true"),
        pytest.param(
            {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False},
            False,
            id="LoadBalancer: false kept",
        ),
        pytest.param({"type": "NodePort"}, None, id="NodePort: not defaulted"),
        pytest.param({}, None, id="ClusterIP: not defaulted"),
    ],
)
def test_set_default_service_allocate_load_balancer_node_ports(spec: Obj, expected: bool | None) -> None:
    assert defaulted(service(**spec))["spec"].get("allocateLoadBalancerNodePorts") == expected


@pytest.mark.parametrize(
    ("svc_type", "ingress", "expected"),
    [
        pytest.param("LoadBalancer", {"ip": "1.2.3.4"}, "VIP", id="LoadBalancer ip: VIP"),
        pytest.param("LoadBalancer", {"ip": "1.2.3.4", "ipMode": "Proxy"}, "Proxy", id="Proxy kept"),
        pytest.param("LoadBalancer", {"hostname": "lb.example.com"}, None, id="hostname only: none"),
        pytest.param("ClusterIP", {"ip": "1.2.3.4"}, None, id="not a LoadBalancer: none"),
    ],
)
def test_set_default_service_load_balancer_ip_mode(svc_type: str, ingress: Obj, expected: str | None) -> None:
    svc = service(type=svc_type)
    svc["status"] = {"loadBalancer": {"ingress": [ingress]}}
    out = defaulted(svc)
    assert out["status"]["loadBalancer"]["ingress"][0].get("ipMode") == expected


def test_service_status_has_the_wire_shape() -> None:
    """Go always encodes status.loadBalancer, so kube-apiserver stores `status: {loadBalancer: {}}`."""
    assert defaulted(service())["status"] == {"loadBalancer": {}}
    svc = service()
    svc["status"] = None
    assert defaulted(svc)["status"] == {"loadBalancer": {}}


def test_service_defaults_leave_allocation_alone() -> None:
    spec = defaulted(service(type="LoadBalancer", ports=[{"port": 80}]))["spec"]
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "healthCheckNodePort"):
        assert key not in spec
    assert "nodePort" not in spec["ports"][0]


DOCS_MULTI_PORT = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "my-service"},
    "spec": {
        "selector": {"app.kubernetes.io/name": "MyApp"},
        "ports": [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 9376},
            {"name": "https", "protocol": "TCP", "port": 443, "targetPort": 9377},
        ],
    },
}


def test_docs_multi_port_service_defaults_as_kube_apiserver_stores_it() -> None:
    """The multi-port example of the Service concept page, as `kubectl get -o json` shows it
    (without metadata the registry adds and without the allocated clusterIP(s)/ipFamilies)."""
    svc = copy.deepcopy(DOCS_MULTI_PORT)
    svc["metadata"]["namespace"] = "default"
    apply_defaults(svc)
    assert svc == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my-service", "namespace": "default"},
        "spec": {
            "internalTrafficPolicy": "Cluster",
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9376},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 9377},
            ],
            "selector": {"app.kubernetes.io/name": "MyApp"},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }
    assert validate_service(svc) == []


def test_docs_example_without_protocol_and_target_port() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my-service", "namespace": "default"},
        "spec": {"selector": {"app.kubernetes.io/name": "MyApp"}, "ports": [{"port": 80}]},
    }
    apply_defaults(svc)
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert validate_service(svc) == []


@pytest.mark.parametrize(
    "svc",
    [
        pytest.param(make_service(), id="ClusterIP"),
        pytest.param(make_service("lb", set_type_load_balancer), id="LoadBalancer"),
        pytest.param(defaulted(DOCS_MULTI_PORT), id="docs example"),
    ],
)
def test_defaulting_is_idempotent(svc: Obj) -> None:
    assert defaulted(svc) == svc


_ports = st.lists(
    st.fixed_dictionaries(
        {"port": st.integers(1, 65535)},
        optional={
            "protocol": st.sampled_from(["", "TCP", "UDP", "SCTP"]),
            "targetPort": st.one_of(st.integers(0, 65535), st.sampled_from(["", "http", "metrics"])),
            "name": st.sampled_from(["a", "b", "c"]),
        },
    ),
    max_size=4,
)
_specs = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
        "sessionAffinity": st.sampled_from(["", "None", "ClientIP"]),
        "externalIPs": st.lists(st.sampled_from(["1.2.3.4", "2001:db8::1"]), max_size=2),
        "externalTrafficPolicy": st.sampled_from(["", "Local", "Cluster"]),
        "internalTrafficPolicy": st.sampled_from(["Local", "Cluster"]),
        "ports": _ports,
    },
)


@given(_specs)
def test_service_defaulting_is_idempotent_and_complete(spec: Obj) -> None:
    once = defaulted(service(**spec))
    assert defaulted(once) == once
    out = once["spec"]
    assert out["type"] and out["sessionAffinity"]
    for port in out.get("ports", []):
        assert port["protocol"] and port["targetPort"] not in (0, "")
    if out["type"] in ("NodePort", "LoadBalancer"):
        assert out["externalTrafficPolicy"]


# --------------------------------------------------------------------------- normalize_cluster_ips


def svc_ips(cluster_ip: str | None, cluster_ips: list[str] | None) -> Obj:
    spec: Obj = {}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    if cluster_ips is not None:
        spec["clusterIPs"] = cluster_ips
    return {"spec": spec}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(None, (None, None), None, id="new - none set"),
        pytest.param(None, ("10.0.0.1", None), ["10.0.0.1"], id="new - only clusterIP used"),
        pytest.param(None, (None, ["10.0.0.1"]), ["10.0.0.1"], id="new - only clusterIPs used"),
        pytest.param(
            None, ("10.0.0.1", ["10.0.0.1", "2000::1"]), ["10.0.0.1", "2000::1"], id="new - both used"
        ),
        pytest.param(None, ("None", None), ["None"], id="new - headless by clusterIP"),
        pytest.param(
            ("10.0.0.1", ["10.0.0.1"]), ("10.0.0.1", ["10.0.0.1"]), ["10.0.0.1"], id="update - no change"
        ),
        pytest.param(
            ("10.0.0.1", ["10.0.0.1", "2000::1"]),
            ("10.0.0.1", None),
            ["10.0.0.1", "2000::1"],
            id="update - old client dropped clusterIPs",
        ),
        pytest.param(
            ("10.0.0.1", ["10.0.0.1"]),
            ("10.0.0.2", ["10.0.0.1"]),
            ["10.0.0.2"],
            id="update - clusterIP changed",
        ),
        pytest.param(("10.0.0.1", ["10.0.0.1"]), ("", ["10.0.0.1"]), None, id="update - clusterIP cleared"),
        pytest.param(("10.0.0.1", ["10.0.0.1"]), (None, None), None, id="update - both cleared"),
        pytest.param(
            ("10.0.0.1", ["10.0.0.1"]),
            ("10.0.0.2", ["10.0.0.3"]),
            ["10.0.0.3"],
            id="update - both changed (left to validation)",
        ),
        pytest.param(
            ("10.0.0.1", ["10.0.0.1"]),
            ("10.0.0.1", ["10.0.0.1", "2000::1"]),
            ["10.0.0.1", "2000::1"],
            id="update - secondary added",
        ),
    ],
)
def test_normalize_cluster_ips(
    old: tuple[str, list[str]] | None, new: tuple[str | None, list[str] | None], expected: list[str] | None
) -> None:
    new_svc = svc_ips(*new)
    normalize_cluster_ips(old=None if old is None else svc_ips(*old), new=new_svc)
    assert new_svc["spec"].get("clusterIPs") == expected


# --------------------------------------------------------------------------- Pod


def pod(**spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": spec,
    }


def test_set_default_pod_spec() -> None:
    """SetDefaults_PodSpec and SetDefaults_Pod on an empty spec."""
    out = defaulted(pod(containers=[{"name": "c", "image": "busybox:1.36"}]))["spec"]
    assert out == {
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.36",
                "imagePullPolicy": "IfNotPresent",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }


def test_set_default_pod_spec_keeps_values() -> None:
    spec = {
        "containers": [],
        "dnsPolicy": "Default",
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "schedulerName": "mine",
        "securityContext": {"runAsUser": 1000},
        "terminationGracePeriodSeconds": 0,
    }
    assert defaulted(pod(**spec))["spec"] == spec


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("busybox", "Always", id="no tag means latest"),
        pytest.param("busybox:latest", "Always", id="latest"),
        pytest.param("busybox:1.36", "IfNotPresent", id="tag"),
        pytest.param("docker.io/library/busybox:1.36", "IfNotPresent", id="registry and tag"),
        pytest.param("localhost:5000/busybox", "Always", id="registry port is no tag"),
        pytest.param("localhost:5000/busybox:1.0", "IfNotPresent", id="registry port and tag"),
        pytest.param("busybox@sha256:" + "a" * 64, "IfNotPresent", id="digest only"),
        pytest.param("busybox:latest@sha256:" + "a" * 64, "Always", id="latest and digest"),
        pytest.param("", "IfNotPresent", id="empty image"),
        pytest.param("BusyBox", "IfNotPresent", id="invalid reference"),
    ],
)
def test_set_default_image_pull_policy(image: str, expected: str) -> None:
    assert image_pull_policy_for(image) == expected
    out = defaulted(pod(containers=[{"name": "c", "image": image}]))
    assert out["spec"]["containers"][0]["imagePullPolicy"] == expected


def test_set_default_image_pull_policy_kept() -> None:
    out = defaulted(pod(containers=[{"name": "c", "image": "busybox", "imagePullPolicy": "Never"}]))
    assert out["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_set_default_container_port_protocol() -> None:
    c = {
        "name": "c",
        "image": "i:1",
        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
    }
    out = defaulted(pod(containers=[c]))["spec"]["containers"][0]["ports"]
    assert out == [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]


def test_set_default_pod_spec_host_network() -> None:
    """TestSetDefaultPodSpecHostNetwork: container ports become host ports, init containers too."""
    c = {"name": "c", "image": "i:1", "ports": [{"containerPort": 8080}]}
    out = defaulted(pod(hostNetwork=True, containers=[c], initContainers=[copy.deepcopy(c)]))["spec"]
    assert out["containers"][0]["ports"][0]["hostPort"] == 8080
    assert out["initContainers"][0]["ports"][0]["hostPort"] == 8080


def test_no_host_port_without_host_network() -> None:
    c = {"name": "c", "image": "i:1", "ports": [{"containerPort": 8080}]}
    assert "hostPort" not in defaulted(pod(containers=[c]))["spec"]["containers"][0]["ports"][0]


def test_set_default_object_field_selector_api_version() -> None:
    c = {
        "name": "c",
        "image": "i:1",
        "env": [{"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
    }
    out = defaulted(pod(containers=[c]))["spec"]["containers"][0]["env"][0]
    assert out["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "status.podIP"}


@pytest.mark.parametrize("probe_key", ["livenessProbe", "readinessProbe", "startupProbe"])
def test_set_default_probe(probe_key: str) -> None:
    c = {"name": "c", "image": "i:1", probe_key: {"httpGet": {"port": 8080}}}
    out = defaulted(pod(containers=[c]))["spec"]["containers"][0][probe_key]
    assert out == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_set_default_probe_keeps_values_and_grpc_service() -> None:
    probe = {
        "grpc": {"port": 9000},
        "timeoutSeconds": 5,
        "periodSeconds": 2,
        "successThreshold": 1,
        "failureThreshold": 9,
    }
    c = {"name": "c", "image": "i:1", "readinessProbe": probe}
    out = defaulted(pod(containers=[c]))["spec"]["containers"][0]["readinessProbe"]
    assert out == {**probe, "grpc": {"port": 9000, "service": ""}}


def test_set_default_requests_pod() -> None:
    """TestSetDefaultRequestsPod: limits without requests become requests; a request of 0 is kept."""
    c = {
        "name": "c",
        "image": "i:1",
        "resources": {"requests": {"memory": "0"}, "limits": {"cpu": "100m", "memory": "1Gi"}},
    }
    out = defaulted(pod(containers=[c], initContainers=[copy.deepcopy(c)]))["spec"]
    for key in ("containers", "initContainers"):
        assert out[key][0]["resources"]["requests"] == {"memory": "0", "cpu": "100m"}


def test_pod_builder_is_defaulted() -> None:
    p = make_pod()
    assert defaulted(p) == p


# --------------------------------------------------------------------------- Node, Namespace, Endpoints


@pytest.mark.parametrize(
    ("capacity", "allocatable", "expected"),
    [
        pytest.param({"cpu": "1"}, {"cpu": "500m"}, {"cpu": "500m"}, id="everything set, no defaulting"),
        pytest.param(None, {"cpu": "500m"}, {"cpu": "500m"}, id="allocatable set, no defaulting"),
        pytest.param({"cpu": "1"}, None, {"cpu": "1"}, id="capacity set, allocatable defaults to capacity"),
        pytest.param(None, None, None, id="nothing set"),
    ],
)
def test_set_default_node_status_allocatable(
    capacity: Obj | None, allocatable: Obj | None, expected: Obj | None
) -> None:
    status: Obj = {}
    if capacity is not None:
        status["capacity"] = capacity
    if allocatable is not None:
        status["allocatable"] = allocatable
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "status": status}
    assert defaulted(node)["status"].get("allocatable") == expected


def test_set_default_namespace() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    out = defaulted(ns)
    assert out["status"] == {"phase": "Active"}
    assert out["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


def test_set_default_namespace_label_overrides_and_generate_name() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "a", "labels": {"kubernetes.io/metadata.name": "x"}},
    }
    assert defaulted(ns)["metadata"]["labels"] == {"kubernetes.io/metadata.name": "a"}
    unnamed = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"generateName": "a-"}}
    assert "labels" not in defaulted(unnamed)["metadata"]


def test_set_default_namespace_phase_kept() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "a"},
        "status": {"phase": "Terminating"},
    }
    assert defaulted(ns)["status"]["phase"] == "Terminating"


def test_set_defaul_endpoints_protocol() -> None:
    ep = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "e"},
        "subsets": [{"ports": [{"port": 1}, {"port": 2, "protocol": "UDP"}, {"port": 3}]}],
    }
    assert [p["protocol"] for p in defaulted(ep)["subsets"][0]["ports"]] == ["TCP", "UDP", "TCP"]


# --------------------------------------------------------------------------- EndpointSlice


def test_set_default_endpoint_port() -> None:
    """discovery/v1 TestSetDefaultEndpointPort: nil name becomes "", nil protocol TCP."""
    eps = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "s"},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"]}],
        "ports": [
            {"port": 80},
            {"name": "dns", "protocol": "UDP", "port": 53},
            {"name": None, "protocol": None},
        ],
    }
    out = defaulted(eps)
    assert out["ports"] == [
        {"port": 80, "name": "", "protocol": "TCP"},
        {"name": "dns", "protocol": "UDP", "port": 53},
        {"name": "", "protocol": "TCP"},
    ]
    assert out["endpoints"] == [{"addresses": ["10.0.0.1"], "conditions": {}}]


def test_endpoint_slice_builder_is_defaulted() -> None:
    eps = make_endpoint_slice()
    assert defaulted(eps) == eps


# --------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(
            {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "reason": "X"}, id="core Event"
        ),
        pytest.param(
            {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"}, "note": "x"},
            id="events Event",
        ),
        pytest.param(
            {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": {}},
            id="Lease",
        ),
        pytest.param({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, id="unknown kind"),
        pytest.param({"apiVersion": "v2", "kind": "Service", "spec": {}}, id="unknown version"),
    ],
)
def test_kinds_without_defaults_are_untouched(obj: Obj) -> None:
    assert defaulted(obj) == obj


def test_typed_list_items_are_defaulted() -> None:
    lst = {"apiVersion": "v1", "kind": "ServiceList", "items": [{"metadata": {"name": "a"}, "spec": {}}]}
    item = defaulted(lst)["items"][0]
    assert item["spec"]["type"] == "ClusterIP"
    assert "kind" not in item


def test_mixed_list_items_are_defaulted_by_their_own_kind() -> None:
    lst = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "ports": [{"port": 1}]},
        ],
    }
    out = defaulted(lst)
    assert out["items"][0]["spec"]["sessionAffinity"] == "None"
    assert out["items"][1]["ports"][0]["protocol"] == "TCP"


# --------------------------------------------------------------------------- the object model


def test_service_spec_declares_every_field_of_the_current_api() -> None:
    from kubesvc.api import types

    assert set(types.ServiceSpec.__optional_keys__) == {
        "ports",
        "selector",
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
        "sessionAffinity",
        "loadBalancerIP",
        "loadBalancerSourceRanges",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "publishNotReadyAddresses",
        "sessionAffinityConfig",
        "ipFamilies",
        "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts",
        "loadBalancerClass",
        "internalTrafficPolicy",
        "trafficDistribution",
    }
    assert set(types.ServicePort.__optional_keys__) == {
        "name",
        "protocol",
        "appProtocol",
        "port",
        "targetPort",
        "nodePort",
    }
    assert set(types.LoadBalancerIngress.__optional_keys__) == {"ip", "hostname", "ipMode", "ports"}
    assert "continue" in types.ListMeta.__optional_keys__


_junk = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
_kinds = st.sampled_from(
    [
        ("v1", "Service"),
        ("v1", "Pod"),
        ("v1", "Node"),
        ("v1", "Namespace"),
        ("v1", "Endpoints"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
    ]
)
_keys = st.sampled_from(
    [
        "metadata",
        "spec",
        "status",
        "subsets",
        "ports",
        "endpoints",
        "containers",
        "initContainers",
        "env",
        "ingress",
        "loadBalancer",
        "type",
        "sessionAffinity",
        "sessionAffinityConfig",
        "clientIP",
        "capacity",
        "readinessProbe",
        "httpGet",
        "valueFrom",
        "fieldRef",
        "resources",
        "limits",
        "labels",
        "name",
    ]
)
_shaped = st.recursive(
    _junk,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(kind=_kinds, body=st.dictionaries(_keys, _shaped, max_size=5))
def test_defaulting_never_raises_on_malformed_objects(kind: tuple[str, str], body: Obj) -> None:
    obj = {**body, "apiVersion": kind[0], "kind": kind[1]}
    apply_defaults(obj)


MALFORMED = [
    ("v1", "Pod", {"spec": {"containers": [{"env": ["x"]}]}}),
    ("v1", "Pod", {"spec": {"containers": [{"env": [{"valueFrom": "x"}]}]}}),
    ("v1", "Pod", {"spec": {"containers": [{"resources": {"limits": ["a"]}}]}}),
    ("v1", "Pod", {"spec": {"containers": [{"resources": "x"}]}}),
    ("v1", "Pod", {"spec": {"containers": [{"resources": {"limits": {"cpu": 1}, "requests": "x"}}]}}),
    ("v1", "Pod", {"spec": {"containers": [{"image": 5}]}}),
    ("v1", "Pod", {"spec": {"containers": "x", "initContainers": [None, 3]}}),
    ("v1", "Endpoints", {"subsets": ["x", {"ports": "y"}]}),
    ("v1", "Node", {"status": {"capacity": ["a"]}}),
    ("v1", "Namespace", {"metadata": {"name": ["x"]}}),
    ("v1", "Namespace", {"metadata": {"name": "x", "labels": "y"}}),
    (
        "v1",
        "Service",
        {"spec": {"ports": [{"port": "x"}], "sessionAffinityConfig": "x", "sessionAffinity": "ClientIP"}},
    ),
    ("v1", "Service", {"spec": {"sessionAffinityConfig": {"clientIP": "x"}, "sessionAffinity": "ClientIP"}}),
    ("v1", "Service", {"spec": {"type": ["x"], "sessionAffinity": {"a": 1}}}),
    ("v1", "Service", {"spec": "x", "status": {"loadBalancer": "x"}}),
    ("v1", "Service", {"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": "x"}}}),
    ("v1", "List", {"items": ["x", None]}),
    ("discovery.k8s.io/v1", "EndpointSlice", {"ports": "x", "endpoints": [1, "a"]}),
]


@pytest.mark.parametrize(
    ("api_version", "kind", "body"), MALFORMED, ids=[str(i) for i in range(len(MALFORMED))]
)
def test_defaulting_tolerates_malformed_bodies(api_version: str, kind: str, body: Obj) -> None:
    """Decoding rejects these shapes; defaulting must not crash on them first."""
    apply_defaults({**copy.deepcopy(body), "apiVersion": api_version, "kind": kind})
