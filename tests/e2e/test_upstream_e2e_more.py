"""Upstream's e2e tests beyond conformance (kubernetes/kubernetes test/e2e/..., plain
`ginkgo.It`) for the kinds we serve, ported step by step to the official `kubernetes` Python
client: the parts that exercise the API, the registry (ClusterIP and NodePort allocation) and
our controllers (Endpoints, EndpointSlices, mirroring).

Each test's docstring names the Go file and the It-string it ports.  As in the conformance
port (tests/e2e/test_upstream_conformance.py, whose helpers this module reuses), a kubelet's
part is played through the API (bind the Pod to a Node at creation, write `pods/<name>/status`,
finish a graceful deletion with a grace-0 delete); what needs traffic through a Service (curl
from an exec pod, `ss` on a node) is left out and said so where it happens.

One apiserver (memory store) and one controller-manager for the module; each test works in its
own namespace, as the e2e framework gives each test one.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.e2e.test_upstream_conformance import (
    eventually,
    gone,
    kubelet_finishes_deletions,
    kubelet_runs,
    simple_pod,
)
from tests.e2e.test_upstream_conformance_kubectl import check_output
from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import DISPATCHER, Kubectl, make_kubectl
from tests.support.manager import ControllerManager

NODE_PORT_RANGE = range(30000, 32768)  # e2eservice.NodePortRange: the default --service-node-port-range


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    # a dual-stack cluster (IPv4 primary), as network/dual_stack.go needs
    srv = start_apiserver(
        tmp_path_factory.mktemp("e2e-more") / "data",
        "--emulated-version",
        "1.34",
        "--service-cluster-ip-range",
        "10.96.0.0/16,fd00:10:96::/112",
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def disc(api: client.ApiClient) -> client.DiscoveryV1Api:
    return client.DiscoveryV1Api(api)


# ----------------------------------------------------------------------------- helpers


def jig_labels(name: str) -> dict[str, str]:
    """e2eservice.NewTestJig: the Service's selector and its Pods' labels."""
    return {"testid": f"{name}-{uuid.uuid4().hex[:8]}"}


def tcp_service(name: str, selector: dict[str, str] | None, **spec: Any) -> client.V1Service:
    """jig.CreateTCPService's template (one TCP port 80) with `spec` overrides."""
    body: dict[str, Any] = {
        "selector": selector,
        "ports": [client.V1ServicePort(protocol="TCP", port=80)],
    }
    body.update(spec)
    return client.V1Service(metadata=client.V1ObjectMeta(name=name), spec=client.V1ServiceSpec(**body))


def server_test_service(name: str, **spec: Any) -> client.V1Service:
    """NewServerTest(...).BuildServiceSpec(): port 80 to target port 80, selected by the
    ServerTest's labels."""
    return client.V1Service(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1ServiceSpec(
            selector=jig_labels(name), ports=[client.V1ServicePort(port=80, target_port=80)], **spec
        ),
    )


def update_service(core: client.CoreV1Api, ns: str, name: str, mutate: Any) -> client.V1Service:
    """e2eservice.UpdateService / jig.UpdateService: get, mutate, update, retried on conflict."""
    for _ in range(3):
        svc = core.read_namespaced_service(name, ns)
        mutate(svc)
        try:
            return core.replace_namespaced_service(name, ns, svc)
        except ApiException as e:
            if e.status != 409:
                raise
    raise AssertionError(f"update of Service {ns}/{name} kept conflicting")


def message(e: ApiException) -> str:
    """`fmt.Sprintf("%v", err)` of a StatusError: the Status' message."""
    return str(json.loads(e.body)["message"])


def create_running_pod(
    core: client.CoreV1Api,
    ns: str,
    node: str,
    name: str,
    labels: dict[str, str],
    ports: list[client.V1ContainerPort],
    *,
    ready: bool = True,
    grace: int = 0,
) -> client.V1Pod:
    """createPodOrFail (e2epod CreateSync): the Pod created, then running as its kubelet reports."""
    pod = simple_pod(name, node, labels, termination_grace_period_seconds=grace)
    pod.spec.containers[0].ports = ports
    core.create_namespaced_pod(ns, pod)
    return kubelet_runs(core, ns, name, ready=ready)


def _uids(core: client.CoreV1Api, ns: str, names: dict[str, Any]) -> dict[str, Any]:
    return {core.read_namespaced_pod(n, ns).metadata.uid: v for n, v in names.items()}


def _endpoint_ports_by_uid(ep: client.V1Endpoints, full: bool) -> dict[str, list[Any]]:
    """e2eendpoints.GetContainerPortsByPodUID / GetFullContainerPortsByPodUID: ready addresses."""
    out: dict[str, list[Any]] = {}
    for s in ep.subsets or []:
        for p in s.ports or []:
            for a in s.addresses or []:
                out.setdefault(a.target_ref.uid, []).append((p.port, p.protocol) if full else p.port)
    return out


def _slice_ports_by_uid(slices: list[client.V1EndpointSlice], full: bool) -> dict[str, list[Any]]:
    """e2eendpointslice.GetContainerPortsByPodUID / GetFullContainerPortsByPodUID: every endpoint."""
    out: dict[str, list[Any]] = {}
    for es in slices:
        for p in es.ports or []:
            if p.port is None:
                continue
            for e in es.endpoints or []:
                out.setdefault(e.target_ref.uid, []).append((p.port, p.protocol) if full else p.port)
    return out


def _same(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> bool:
    return {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}


def validate_endpoints_ports(
    core: client.CoreV1Api,
    disc: client.DiscoveryV1Api,
    ns: str,
    service: str,
    expected: dict[str, list[Any]],
    *,
    full: bool = False,
) -> None:
    """validateEndpointsPortsOrFail (`full`: validateEndpointsPortsWithProtocolsOrFail): the
    Service's Endpoints and its EndpointSlices both expose exactly `expected` (Pod name ->
    container ports, or (port, protocol) pairs)."""
    want = _uids(core, ns, expected)
    seen: list[Any] = []

    def check() -> bool:
        try:
            ep = core.read_namespaced_endpoints(service, ns)
        except ApiException:
            seen[:] = ["no Endpoints"]
            return False
        by_ep = _endpoint_ports_by_uid(ep, full)
        slices = disc.list_namespaced_endpoint_slice(
            ns, label_selector=f"kubernetes.io/service-name={service}"
        ).items
        by_es = _slice_ports_by_uid(slices, full)
        seen[:] = [by_ep, by_es]
        return _same(by_ep, want) and _same(by_es, want)

    try:
        eventually(check)
    except AssertionError:
        raise AssertionError(f"service {ns}/{service} exposes {seen}, expected {expected}") from None


# ============================================================================= network/service.go


def test_services_should_be_updated_after_adding_or_deleting_ports(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should be updated after adding or deleting ports" -- the
    endpoints side; checking that the Service forwards traffic is not ported."""
    name = "edit-port-test"
    labels = jig_labels(name)
    port1 = client.V1ServicePort(name="portname1", port=80, target_port="svc1")
    port2 = client.V1ServicePort(name="portname2", port=81, target_port="svc2")
    core.create_namespaced_service(ns, tcp_service(name, labels, ports=[port1]))
    validate_endpoints_ports(core, disc, ns, name, {})

    create_running_pod(
        core, ns, node, "pod1", labels, [client.V1ContainerPort(name="svc1", container_port=100)]
    )
    validate_endpoints_ports(core, disc, ns, name, {"pod1": [100]})

    # Adding a new port to service
    update_service(core, ns, name, lambda s: setattr(s.spec, "ports", [port1, port2]))
    # Adding a new endpoint to the new port
    create_running_pod(
        core, ns, node, "pod2", labels, [client.V1ContainerPort(name="svc2", container_port=101)]
    )
    validate_endpoints_ports(core, disc, ns, name, {"pod1": [100], "pod2": [101]})

    # Deleting a port from service
    update_service(core, ns, name, lambda s: setattr(s.spec, "ports", [port1]))
    validate_endpoints_ports(core, disc, ns, name, {"pod1": [100]})


def test_services_should_be_able_to_update_service_type_to_nodeport_listening_on_same_port_number_but_different_protocols(
    core: client.CoreV1Api, ns: str
) -> None:
    """network/service.go: "should be able to update service type to NodePort listening on
    same port number but different protocols" -- the API part: the ClusterIP Service becomes
    a NodePort one, then serves TCP and UDP on port 80, each with a node port.  The Pods
    behind it (an RC) and the reachability checks are not ported."""
    name = "nodeport-update-service"
    tcp_svc = core.create_namespaced_service(ns, tcp_service(name, jig_labels(name)))
    assert tcp_svc.spec.ports[0].port == 80
    assert tcp_svc.spec.cluster_ip

    tcp_port = client.V1ServicePort(name="tcp-port", port=80, protocol="TCP", target_port=9376)
    udp_port = client.V1ServicePort(name="udp-port", port=80, protocol="UDP", target_port=9376)

    def to_nodeport(ports: list[client.V1ServicePort]) -> Any:
        def mutate(s: client.V1Service) -> None:
            s.spec.type = "NodePort"
            s.spec.ports = ports

        return mutate

    node_port_svc = update_service(core, ns, name, to_nodeport([tcp_port]))
    assert node_port_svc.spec.type == "NodePort"
    first = node_port_svc.spec.ports[0].node_port
    assert first in NODE_PORT_RANGE

    node_port_svc = update_service(core, ns, name, to_nodeport([tcp_port, udp_port]))
    assert len(node_port_svc.spec.ports) == 2, (
        f"updated service should have two Ports but found {len(node_port_svc.spec.ports)} Ports"
    )
    for port in node_port_svc.spec.ports:
        assert port.node_port, f"NodePort service failed to allocate NodePort for Port {port.name}"
    # the registry keeps a port's node port when an update leaves it out (patchAllocatedValues)
    assert node_port_svc.spec.ports[0].node_port == first


def test_services_should_prevent_nodeport_collisions(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should prevent NodePort collisions"."""
    name1, name2 = "nodeport-collision-1", "nodeport-collision-2"
    result = core.create_namespaced_service(ns, server_test_service(name1, type="NodePort"))
    assert result.spec.type == "NodePort"
    assert len(result.spec.ports) == 1
    port = result.spec.ports[0]
    assert port.node_port, f"got unexpected Spec.Ports[0].NodePort for new service: {result}"

    service2 = server_test_service(name2, type="NodePort")
    service2.spec.ports[0].node_port = port.node_port
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_service(ns, service2)
    assert re.search(f"{port.node_port}.*port is already allocated", message(exc.value)), message(exc.value)
    assert exc.value.status == 422
    assert message(exc.value) == (
        f'Service "{name2}" is invalid: spec.ports[0].nodePort: Invalid value: {port.node_port}: '
        "provided port is already allocated"
    )

    # deleting service nodeport-collision-1 to release NodePort
    core.delete_namespaced_service(name1, ns)
    # creating service nodeport-collision-2 with no-longer-conflicting NodePort
    created = core.create_namespaced_service(ns, service2)
    assert created.spec.ports[0].node_port == port.node_port


def test_services_should_check_nodeport_out_of_range(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should check NodePort out-of-range"."""
    name = "nodeport-range-test"
    service = core.create_namespaced_service(ns, server_test_service(name, type="NodePort"))
    assert service.spec.type == "NodePort"
    assert len(service.spec.ports) == 1
    port = service.spec.ports[0]
    assert port.node_port, f"got unexpected Spec.Ports[0].nodePort for new service: {service}"
    assert port.node_port in NODE_PORT_RANGE, f"got unexpected (out-of-range) port for new service: {service}"

    rng = random.Random(port.node_port)
    while (out_of_range := 1 + rng.randrange(65535)) in NODE_PORT_RANGE:
        pass
    expected = f"{out_of_range}.*port is not in the valid range"

    def set_port(s: client.V1Service) -> None:
        s.spec.ports[0].node_port = out_of_range

    with pytest.raises(ApiException) as exc:
        update_service(core, ns, name, set_port)
    assert re.search(expected, message(exc.value)), message(exc.value)
    assert message(exc.value) == (
        f'Service "{name}" is invalid: spec.ports[0].nodePort: Invalid value: {out_of_range}: '
        "provided port is not in the valid range. The range of valid ports is 30000-32767"
    )

    # deleting original service, creating it again with the out-of-range NodePort
    core.delete_namespaced_service(name, ns)
    again = server_test_service(name, type="NodePort")
    again.spec.ports[0].node_port = out_of_range
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_service(ns, again)
    assert re.search(expected, message(exc.value)), message(exc.value)
    assert gone(lambda: core.read_namespaced_service(name, ns))


def test_services_should_release_nodeports_on_delete(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should release NodePorts on delete" (checking with `ss` on a node
    that nothing listens on the port any more needs a host-exec Pod: not ported)."""
    name = "nodeport-reuse"
    service = core.create_namespaced_service(ns, server_test_service(name, type="NodePort"))
    assert service.spec.type == "NodePort"
    assert len(service.spec.ports) == 1
    node_port = service.spec.ports[0].node_port
    assert node_port in NODE_PORT_RANGE, f"got unexpected (out-of-range) port for new service: {service}"

    core.delete_namespaced_service(name, ns)

    # creating service nodeport-reuse with same NodePort
    again = server_test_service(name, type="NodePort")
    again.spec.ports[0].node_port = node_port
    created = core.create_namespaced_service(ns, again)
    assert created.spec.ports[0].node_port == node_port


def _ready_ips(core: client.CoreV1Api, ns: str, name: str) -> list[str]:
    """The addresses the Endpoints offer for traffic (its `addresses`, not `notReadyAddresses`)."""
    try:
        ep = core.read_namespaced_endpoints(name, ns)
    except ApiException:
        return []
    return sorted(a.ip for s in ep.subsets or [] for a in s.addresses or [])


def test_services_should_create_endpoints_for_unready_pods(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should create endpoints for unready pods" -- what the curl from an
    exec Pod depends on, read from the Endpoints: the Pod that never turns ready (its
    readiness probe runs /bin/false) is published while the Service tolerates unready
    endpoints; once it terminates (the RC scaled to zero; a preStop hook keeps it 100 s) it is
    published only while publishNotReadyAddresses is true.  We serve no ReplicationControllers:
    the RC's one Pod is created and deleted directly."""
    service_name = "tolerate-unready"
    pod_name = "slow-terminating-unready-pod"
    labels = {"name": service_name}
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name=service_name),
            spec=client.V1ServiceSpec(
                selector=labels,
                ports=[client.V1ServicePort(name="http", port=80, target_port=80)],
                publish_not_ready_addresses=True,
            ),
        ),
    )
    pod = simple_pod(pod_name, node, labels, termination_grace_period_seconds=100)
    pod.spec.containers[0].ports = [client.V1ContainerPort(container_port=80, protocol="TCP")]
    pod.spec.containers[0].readiness_probe = client.V1Probe(_exec=client.V1ExecAction(command=["/bin/false"]))
    pod.spec.containers[0].lifecycle = client.V1Lifecycle(
        pre_stop=client.V1LifecycleHandler(_exec=client.V1ExecAction(command=["/bin/sleep", "100"]))
    )
    core.create_namespaced_pod(ns, pod)
    ip = kubelet_runs(core, ns, pod_name, ready=False).status.pod_ip

    # Waiting for endpoints of Service (the unready Pod is reachable)
    eventually(lambda: _ready_ips(core, ns, service_name) == [ip])

    # Scaling down replication controller to zero: the Pod terminates, gracefully
    core.delete_namespaced_pod(pod_name, ns)
    assert core.read_namespaced_pod(pod_name, ns).metadata.deletion_timestamp is not None

    # Update service to not tolerate unready services: the terminating Pod is unreachable
    update_service(core, ns, service_name, lambda s: setattr(s.spec, "publish_not_ready_addresses", False))
    eventually(lambda: _ready_ips(core, ns, service_name) == [])

    # Update service to tolerate unready services again: the terminating Pod is reachable
    update_service(core, ns, service_name, lambda s: setattr(s.spec, "publish_not_ready_addresses", True))
    eventually(lambda: _ready_ips(core, ns, service_name) == [ip])

    # Remove pods immediately
    for p in core.list_namespaced_pod(ns, label_selector=f"name={service_name}").items:
        core.delete_namespaced_pod(p.metadata.name, ns, grace_period_seconds=0)
    eventually(lambda: gone(lambda: core.read_namespaced_pod(pod_name, ns)))
    eventually(lambda: _ready_ips(core, ns, service_name) == [])


def test_services_should_be_rejected_for_evicted_pods_no_endpoints_exist(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should be rejected for evicted pods (no endpoints exist)"
    (issues 109414 and 109718): a Pod its kubelet evicted (phase Failed, reason Evicted, its
    IP still in the status) is no endpoint, even for a Service that publishes not-ready
    addresses: the Endpoints have no subsets and the one EndpointSlice no endpoints.  The
    connection refused from an exec Pod is not ported."""
    service_name = "evicted-pods"
    labels = jig_labels(service_name)
    core.create_namespaced_service(
        ns,
        tcp_service(
            service_name,
            labels,
            ports=[client.V1ServicePort(protocol="TCP", port=80)],
            publish_not_ready_addresses=True,
        ),
    )
    pod = simple_pod("evicted-pod", node, labels, container="evicted-pod")
    pod.spec.containers[0].command = [
        "/bin/sh",
        "-c",
        "sleep 10; dd if=/dev/zero of=file bs=1M count=10; sleep 10000",
    ]
    pod.spec.containers[0].resources = client.V1ResourceRequirements(limits={"ephemeral-storage": "5Mi"})
    core.create_namespaced_pod(ns, pod)
    running = kubelet_runs(core, ns, "evicted-pod")
    # the kubelet evicts it (WaitForPodTerminatedInNamespace(..., "Evicted", ...))
    status = running.status.to_dict()
    core.patch_namespaced_pod_status(
        "evicted-pod",
        ns,
        {
            "status": {
                "phase": "Failed",
                "reason": "Evicted",
                "message": "Pod ephemeral local storage usage exceeds the total limit of containers 5Mi. ",
                "podIP": status["pod_ip"],
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "PodFailed"},
                    {"type": "ContainersReady", "status": "False", "reason": "PodFailed"},
                ],
            }
        },
    )
    evicted = core.read_namespaced_pod("evicted-pod", ns)
    assert (evicted.status.phase, evicted.status.reason) == ("Failed", "Evicted")

    def no_endpoints() -> bool:
        try:
            endpoints = core.read_namespaced_endpoints(service_name, ns)
        except ApiException:
            return False
        if endpoints.subsets:
            return False
        eps = disc.list_namespaced_endpoint_slice(
            ns, label_selector=f"kubernetes.io/service-name={service_name}"
        ).items
        return len(eps) == 1 and not eps[0].endpoints

    eventually(no_endpoints)


def test_services_should_serve_endpoints_on_same_port_and_different_protocol_for_internal_traffic_on_type_loadbalancer(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should serve endpoints on same port and different protocol for
    internal traffic on Type LoadBalancer" -- the LoadBalancer Service with TCP and UDP on
    port 80 (MixedProtocolLBService), its ClusterIP, and the Endpoints and EndpointSlices
    listing both protocols of the Pod (validateEndpointsPortsWithProtocolsOrFail); reaching
    it from an exec Pod is not ported."""
    name = "multiprotocol-lb-test"
    labels = jig_labels(name)
    svc = core.create_namespaced_service(
        ns,
        tcp_service(
            name,
            labels,
            type="LoadBalancer",
            ports=[
                client.V1ServicePort(name="portname1", port=80, target_port="svc1", protocol="TCP"),
                client.V1ServicePort(name="portname2", port=80, target_port="svc2", protocol="UDP"),
            ],
        ),
    )
    # CreateLoadBalancerServiceWaitForClusterIPOnly
    assert svc.spec.cluster_ip
    assert [p.protocol for p in svc.spec.ports] == ["TCP", "UDP"]
    # ports with the same number share one node port (the registry's initNodePorts)
    assert svc.spec.ports[0].node_port in NODE_PORT_RANGE
    assert svc.spec.ports[1].node_port == svc.spec.ports[0].node_port

    create_running_pod(
        core,
        ns,
        node,
        "pod1",
        labels,
        [
            client.V1ContainerPort(name="svc1", container_port=100, protocol="TCP"),
            client.V1ContainerPort(name="svc2", container_port=100, protocol="UDP"),
        ],
    )
    validate_endpoints_ports(core, disc, ns, name, {"pod1": [(100, "TCP"), (100, "UDP")]}, full=True)
    core.delete_namespaced_pod("pod1", ns)
    validate_endpoints_ports(core, disc, ns, name, {}, full=True)


def test_services_should_allow_creating_a_basic_sctp_service_with_pod_and_endpoints(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should allow creating a basic SCTP service with pod and endpoints"
    (checking that the test left the nodes' sctp kernel module alone is not ported)."""
    name = "sctp-endpoint-test"
    labels = jig_labels(name)
    # jig.CreateSCTPServiceWithPort(ctx, nil, 5060)
    svc = core.create_namespaced_service(
        ns, tcp_service(name, labels, ports=[client.V1ServicePort(protocol="SCTP", port=5060)])
    )
    assert svc.spec.ports[0].protocol == "SCTP"
    assert svc.spec.ports[0].target_port == 5060
    # validating endpoints do not exist yet
    validate_endpoints_ports(core, disc, ns, name, {})
    # creating a pod for the service
    create_running_pod(
        core, ns, node, "pod1", labels, [client.V1ContainerPort(container_port=5060, protocol="SCTP")]
    )
    validate_endpoints_ports(core, disc, ns, name, {"pod1": [5060]})
    ep = core.read_namespaced_endpoints(name, ns)
    assert [(p.port, p.protocol) for p in ep.subsets[0].ports] == [(5060, "SCTP")]
    # deleting the pod
    core.delete_namespaced_pod("pod1", ns)
    kubelet_finishes_deletions(core, ns)
    validate_endpoints_ports(core, disc, ns, name, {})


def _serve_hostname_service(name: str) -> client.V1Service:
    """getServeHostnameService: port 80 to 9376/TCP, selected by name."""
    return client.V1Service(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1ServiceSpec(
            selector={"name": name},
            ports=[client.V1ServicePort(port=80, target_port=9376, protocol="TCP")],
        ),
    )


def test_services_should_be_able_to_up_and_down_services(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should be able to up and down services" -- the API part
    (StartServeHostnameService's checks of the ClusterIP, and the new Service not taking the
    IP of the one still up); the RCs behind them and the traffic checks are not ported."""
    ips = {}
    for name in ("up-down-1", "up-down-2"):
        ips[name] = core.create_namespaced_service(ns, _serve_hostname_service(name)).spec.cluster_ip
        assert ips[name], f"service IP is blank for {name}"
    core.delete_namespaced_service("up-down-1", ns)
    eventually(lambda: gone(lambda: core.read_namespaced_service("up-down-1", ns)))
    svc3 = core.create_namespaced_service(ns, _serve_hostname_service("up-down-3"))
    assert svc3.spec.cluster_ip, "service IP is blank for up-down-3"
    assert svc3.spec.cluster_ip != ips["up-down-2"], f"service IPs conflict: {svc3.spec.cluster_ip}"


def test_services_should_work_after_the_service_has_been_recreated(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should work after the service has been recreated" -- the API part:
    the Service deleted (it disappears) and created again, with a ClusterIP."""
    name = "service-deletion"
    first = core.create_namespaced_service(ns, _serve_hostname_service(name))
    assert first.spec.cluster_ip
    core.delete_namespaced_service(name, ns)
    eventually(lambda: gone(lambda: core.read_namespaced_service(name, ns)))
    svc = core.create_namespaced_service(ns, _serve_hostname_service(name))
    assert svc.spec.cluster_ip
    assert svc.metadata.uid != first.metadata.uid


def test_services_should_be_possible_to_connect_to_a_service_via_externalip_when_the_external_ip_is_not_assigned_to_a_node(
    core: client.CoreV1Api, ns: str
) -> None:
    """network/service.go: "should be possible to connect to a service via ExternalIP when the
    external IP is not assigned to a node" -- the API part: the ClusterIP Service with the
    RFC 5737 external IP is admitted (no DenyServiceExternalIPs) and keeps it."""
    name = "externalip-test"
    svc = core.create_namespaced_service(
        ns,
        tcp_service(
            name,
            jig_labels(name),
            type="ClusterIP",
            external_ips=["203.0.113.250"],
            ports=[client.V1ServicePort(port=80, name="http", protocol="TCP", target_port=9376)],
        ),
    )
    assert svc.spec.external_ips == ["203.0.113.250"]
    assert svc.spec.cluster_ip


def test_services_should_fail_health_check_node_port_if_there_are_only_terminating_endpoints(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should fail health check node port if there are only terminating
    endpoints" -- the API part: the LoadBalancer Service with externalTrafficPolicy Local gets
    a health check node port, the Pod becomes its endpoint, and once the Pod terminates its
    EndpointSlice endpoint is no longer ready nor serving but terminating (what kube-proxy's
    health check answers 503 from).  The health check and NodePort requests are not ported."""
    name = "svc-proxy-terminating"
    labels = jig_labels(name)
    svc = core.create_namespaced_service(
        ns,
        tcp_service(
            name,
            labels,
            type="LoadBalancer",
            external_traffic_policy="Local",
            ports=[client.V1ServicePort(port=80, name="http", protocol="TCP", target_port=80)],
        ),
    )
    assert svc.spec.health_check_node_port in NODE_PORT_RANGE
    assert svc.spec.health_check_node_port != svc.spec.ports[0].node_port
    create_running_pod(
        core, ns, node, "echo-hostname-0", labels, [client.V1ContainerPort(container_port=80)], grace=100
    )
    validate_endpoints_ports(core, disc, ns, name, {"echo-hostname-0": [80]})

    core.delete_namespaced_pod("echo-hostname-0", ns)

    def terminating() -> bool:
        slices = disc.list_namespaced_endpoint_slice(
            ns, label_selector=f"kubernetes.io/service-name={name}"
        ).items
        conds = [e.conditions for es in slices for e in es.endpoints or []]
        return len(conds) == 1 and (conds[0].ready, conds[0].serving, conds[0].terminating) == (
            False,
            True,
            True,
        )

    eventually(terminating)


def test_services_should_respect_internaltrafficpolicy_local_pod_to_pod(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should respect internalTrafficPolicy=Local Pod to Pod" -- the API
    part: the Service keeps internalTrafficPolicy Local and exposes the webserver Pod; which
    node may reach it is the proxy's part (not ported)."""
    name = "svc-itp"
    labels = jig_labels(name)
    svc = core.create_namespaced_service(
        ns,
        tcp_service(
            name,
            labels,
            internal_traffic_policy="Local",
            ports=[client.V1ServicePort(port=80, name="http", protocol="TCP", target_port=80)],
        ),
    )
    assert svc.spec.internal_traffic_policy == "Local"
    create_running_pod(core, ns, node, "echo-hostname-0", labels, [client.V1ContainerPort(container_port=80)])
    validate_endpoints_ports(core, disc, ns, name, {"echo-hostname-0": [80]})
    slices = disc.list_namespaced_endpoint_slice(
        ns, label_selector=f"kubernetes.io/service-name={name}"
    ).items
    assert [e.node_name for es in slices for e in es.endpoints] == [node]


# ============================================================================= network/endpointslicemirroring.go


def test_endpointslicemirroring_should_mirror_a_custom_endpoint_with_multiple_subsets_and_same_ip_address(
    core: client.CoreV1Api, disc: client.DiscoveryV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/endpointslicemirroring.go: "should mirror a custom Endpoint with multiple subsets
    and same IP address" (the requests from a pause Pod to both service ports are not ported)."""
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="example-custom-endpoints"),
            spec=client.V1ServiceSpec(
                ports=[
                    client.V1ServicePort(name="port80", port=80, protocol="TCP"),
                    client.V1ServicePort(name="port81", port=81, protocol="TCP"),
                ]
            ),
        ),
    )
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="pod-handle-http-request"),
        spec=client.V1PodSpec(
            node_name=node,
            containers=[
                client.V1Container(
                    name="container-handle-8090-request",
                    image="agnhost",
                    ports=[client.V1ContainerPort(container_port=8090, protocol="TCP")],
                ),
                client.V1Container(
                    name="container-handle-9090-request",
                    image="agnhost",
                    ports=[client.V1ContainerPort(container_port=9090, protocol="TCP")],
                ),
            ],
        ),
    )
    core.create_namespaced_pod(ns, pod)
    pod_ip = kubelet_runs(core, ns, "pod-handle-http-request").status.pod_ip
    assert pod_ip, "PodIP not assigned for pod pod-handle-http-request"

    endpoints = client.V1Endpoints(
        metadata=client.V1ObjectMeta(name=svc.metadata.name),
        subsets=[
            client.V1EndpointSubset(
                ports=[client.CoreV1EndpointPort(name="port80", port=8090)],
                addresses=[client.V1EndpointAddress(ip=pod_ip)],
            ),
            client.V1EndpointSubset(
                ports=[client.CoreV1EndpointPort(name="port81", port=9090)],
                addresses=[client.V1EndpointAddress(ip=pod_ip)],
            ),
        ],
    )
    sel = f"kubernetes.io/service-name={svc.metadata.name}"
    # mirroring a new custom Endpoint
    core.create_namespaced_endpoints(ns, endpoints)
    slices = eventually(lambda: disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items)
    mirrored = sorted(
        (p.name, p.port, tuple(a for e in es.endpoints or [] for a in e.addresses))
        for es in slices
        for p in es.ports or []
    )
    assert mirrored == [("port80", 8090, (pod_ip,)), ("port81", 9090, (pod_ip,))]

    # mirroring deletion of a custom Endpoint
    core.delete_namespaced_endpoints(svc.metadata.name, ns)
    eventually(lambda: not disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items)


# ============================================================================= network/endpointslice.go


@pytest.mark.parametrize("multiple_ips", [False, True], ids=["multiple-ports", "multiple-endpoint-ips"])
def test_endpointslice_should_support_a_service_with_multiple_ports_or_ips_specified_in_multiple_endpointslices(
    core: client.CoreV1Api,
    disc: client.DiscoveryV1Api,
    ns: str,
    node: str,
    manager: ControllerManager,
    multiple_ips: bool,
) -> None:
    """network/endpointslice.go: "should support a Service with multiple ports specified in
    multiple EndpointSlices" and "... multiple endpoint IPs specified in multiple
    EndpointSlices" -- the API part: a selector-less Service and two EndpointSlices made by
    hand (generateName, another manager's managed-by label) for one Pod's two ports, or for two
    Pods; the controllers leave them as they are and no Endpoints appear.  The connections
    from a pause Pod through the ClusterIP are the proxy's part (not ported)."""
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="example-custom-endpoints"),
            spec=client.V1ServiceSpec(
                ports=[
                    client.V1ServicePort(name="port80", port=80, protocol="TCP"),
                    client.V1ServicePort(name="port81", port=81, protocol="TCP"),
                ]
            ),
        ),
    )
    ips = []
    for pod_name, ports in (
        [("pod1-handle-http-request", [8090]), ("pod2-handle-http-request", [8090])]
        if multiple_ips
        else [("pod-handle-http-request", [8090, 9090])]
    ):
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name=pod_name),
            spec=client.V1PodSpec(
                node_name=node,
                containers=[
                    client.V1Container(
                        name=f"container-handle-{port}-request",
                        image="agnhost",
                        ports=[client.V1ContainerPort(container_port=port, protocol="TCP")],
                    )
                    for port in ports
                ],
            ),
        )
        core.create_namespaced_pod(ns, pod)
        ip = kubelet_runs(core, ns, pod_name).status.pod_ip
        assert ip, f"PodIP not assigned for pod {pod_name}"
        ips.append(ip)

    labels = {
        "kubernetes.io/service-name": svc.metadata.name,
        "endpointslice.kubernetes.io/managed-by": f"e2e-test{ns}",
    }
    wanted = [("port80", 8090, ips[0]), ("port81", 8090 if multiple_ips else 9090, ips[-1])]
    for port_name, port, ip in wanted:
        disc.create_namespaced_endpoint_slice(
            ns,
            client.V1EndpointSlice(
                metadata=client.V1ObjectMeta(generate_name="e2e-custom-slice", labels=labels),
                address_type="IPv4",
                endpoints=[
                    client.V1Endpoint(addresses=[ip], conditions=client.V1EndpointConditions(ready=True))
                ],
                ports=[client.DiscoveryV1EndpointPort(name=port_name, port=port, protocol="TCP")],
            ),
        )
    # a Service with a selector in the same namespace gets its slice: the controllers have
    # seen this namespace's changes, and left the hand-made slices alone
    core.create_namespaced_service(ns, tcp_service("marker", {"app": "marker"}))
    eventually(
        lambda: (
            disc.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=marker").items
        )
    )
    slices = disc.list_namespaced_endpoint_slice(
        ns, label_selector=f"kubernetes.io/service-name={svc.metadata.name}"
    ).items
    assert all(es.metadata.name.startswith("e2e-custom-slice") for es in slices)
    assert all(es.metadata.labels == labels for es in slices)
    assert (
        sorted((es.ports[0].name, es.ports[0].port, es.endpoints[0].addresses[0]) for es in slices) == wanted
    )
    assert gone(lambda: core.read_namespaced_endpoints(svc.metadata.name, ns))


# ============================================================================= apimachinery/health_handlers.go

# The checks upstream requires, with the post-start hooks under the names they have since
# 1.31 (kube-apiserver's own /readyz?verbose: "start-kube-apiserver-admission-initializer" is
# now "start-apiserver-admission-initializer", "apiservice-status-available-controller" is
# split into a local and a remote one).
_POST_START_HOOKS = [
    "[+]poststarthook/start-apiserver-admission-initializer ok",
    "[+]poststarthook/generic-apiserver-start-informers ok",
    "[+]poststarthook/start-apiextensions-informers ok",
    "[+]poststarthook/start-apiextensions-controllers ok",
    "[+]poststarthook/crd-informer-synced ok",
    "[+]poststarthook/bootstrap-controller ok",
    "[+]poststarthook/start-system-namespaces-controller ok",
    "[+]poststarthook/scheduling/bootstrap-system-priority-classes ok",
    "[+]poststarthook/start-cluster-authentication-info-controller ok",
    "[+]poststarthook/start-kube-aggregator-informers ok",
    "[+]poststarthook/apiservice-registration-controller ok",
    "[+]poststarthook/apiservice-status-local-available-controller ok",
    "[+]poststarthook/apiservice-status-remote-available-controller ok",
    "[+]poststarthook/kube-apiserver-autoregistration ok",
    "[+]autoregister-completion ok",
    "[+]poststarthook/apiservice-openapi-controller ok",
]
REQUIRED_HEALTHZ_CHECKS = {"[+]ping ok", "[+]log ok", "[+]etcd ok", *_POST_START_HOOKS}
REQUIRED_LIVEZ_CHECKS = set(REQUIRED_HEALTHZ_CHECKS)
REQUIRED_READYZ_CHECKS = {*REQUIRED_HEALTHZ_CHECKS, "[+]informer-sync ok"}


def test_health_handlers_should_contain_necessary_checks(api: client.ApiClient) -> None:
    """apimachinery/health_handlers.go: "should contain necessary checks": every check upstream
    requires is listed as passing by /healthz, /livez and /readyz with ?verbose=1."""
    for path, required in (
        ("/healthz", REQUIRED_HEALTHZ_CHECKS),
        ("/livez", REQUIRED_LIVEZ_CHECKS),
        ("/readyz", REQUIRED_READYZ_CHECKS),
    ):
        verb, url, hdrs, _, _ = api.param_serialize(
            method="GET", resource_path=path, query_params=[("verbose", "1")], auth_settings=["BearerToken"]
        )

        def answer(verb: str = verb, url: str = url, hdrs: Any = hdrs) -> tuple[int, str] | None:
            resp = api.call_api(verb, url, header_params=hdrs)
            body = resp.read().decode()
            return (resp.status, body) if resp.status == 200 else None

        _, body = eventually(answer)
        missing = required - set(body.split("\n"))
        assert not missing, f"missing required {path}?verbose=1 checks: {sorted(missing)} in: {body}"
        assert body.endswith(f"{path[1:]} check passed\n")


def test_health_handlers_exclude_checks(api: client.ApiClient) -> None:
    """`?exclude=<check>` as kube-apiserver's healthz handler reads it (the documented
    `/readyz?verbose&exclude=etcd`): the check is listed as "excluded: ok", and a name that
    matches no check is reported in a warning line."""
    verb, url, hdrs, _, _ = api.param_serialize(
        method="GET",
        resource_path="/readyz",
        query_params=[("verbose", "1"), ("exclude", "etcd"), ("exclude", "no-such"), ("exclude", "a-check")],
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(verb, url, header_params=hdrs)
    lines = resp.read().decode().split("\n")
    assert resp.status == 200
    assert lines[:4] == ["[+]ping ok", "[+]log ok", "[+]etcd excluded: ok", "[+]etcd-readiness ok"]
    assert lines[-3:] == [
        'warn: some health checks cannot be excluded: no matches for "a-check","no-such"',
        "readyz check passed",
        "",
    ]


def test_health_handlers_serve_each_check_on_its_own_path(api: client.ApiClient) -> None:
    """Each check of the list is also served alone, as kube-apiserver's healthz mux installs it
    (`/readyz/shutdown`, `/livez/poststarthook/bootstrap-controller`, ...): "ok"; a name that is
    no check of that endpoint is an unknown path (404 Status)."""

    def get(path: str) -> tuple[int, bytes]:
        verb, url, hdrs, _, _ = api.param_serialize(
            method="GET", resource_path=path, auth_settings=["BearerToken"]
        )
        resp = api.call_api(verb, url, header_params=hdrs)
        return resp.status, resp.read()

    for path in (
        "/healthz/ping",
        "/healthz/etcd",
        "/livez/log",
        "/livez/poststarthook/bootstrap-controller",
        "/readyz/informer-sync",
        "/readyz/shutdown",
    ):
        assert get(path) == (200, b"ok"), path
    for path in ("/healthz/shutdown", "/livez/no-such-check"):
        status, body = get(path)
        assert status == 404, path
        assert json.loads(body)["message"] == "the server could not find the requested resource"


# ============================================================================= apimachinery/protocol.go


def _first_watch_event(status: int, content_type: str, body: bytes) -> str:
    """The type of the first event of a watch answer, decoded as client-go decodes it: by the
    answer's Content-Type (JSON lines, or length-prefixed protobuf frames of WatchEvents)."""
    assert status == 200, f"watch answered {status}: {body[:300]!r}"
    if content_type.startswith("application/json"):
        return str(json.loads(body.split(b"\n", 1)[0])["type"])
    assert content_type == "application/vnd.kubernetes.protobuf;stream=watch", content_type
    from kubesvc.apiserver import protobuf

    size = int.from_bytes(body[:4], "big")
    api_version, kind, raw = protobuf.unwrap(body[4 : 4 + size])
    assert (api_version, kind) == ("meta.k8s.io/v1", "WatchEvent")
    fields = {num: value for num, _, value in protobuf._fields(raw)}
    return protobuf._text(fields[1])


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        pytest.param(
            "application/vnd.kubernetes.protobuf",
            marks=pytest.mark.xfail(
                strict=True,
                reason="we answer no protobuf (only decode protobuf request bodies): a watch "
                "that accepts protobuf alone gets 406",
            ),
        ),
        "application/vnd.kubernetes.protobuf,application/json",
        "application/json,application/vnd.kubernetes.protobuf",
    ],
)
def test_client_go_should_negotiate_watch_and_report_errors_with_accept(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, accept: str
) -> None:
    """apimachinery/protocol.go: "client-go should negotiate watch and report errors with accept
    %q": a watch from the list's resourceVersion, with a client whose AcceptContentTypes is
    `accept`, first sees the object created since (ADDED), or a 410 Expired ERROR.  Upstream
    watches a ConfigMap, a kind we do not serve; an Endpoints object (like a ConfigMap, a
    namespaced object with no spec) stands in for it."""
    name = "e2e-client-go-test-negotiation"
    before = core.list_namespaced_endpoints(ns)
    core.create_namespaced_endpoints(ns, client.V1Endpoints(metadata=client.V1ObjectMeta(name=name)))
    verb, url, hdrs, _, _ = api.param_serialize(
        method="GET",
        resource_path=f"/api/v1/namespaces/{ns}/endpoints",
        query_params=[
            ("watch", "true"),
            ("resourceVersion", before.metadata.resource_version),
            ("fieldSelector", f"metadata.name={name}"),
            ("timeoutSeconds", "1"),
        ],
        header_params={"Accept": accept},
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(verb, url, header_params=hdrs, _request_timeout=60)
    body = resp.read()
    event = _first_watch_event(resp.status, resp.getheader("Content-Type") or "", body)
    if event == "ERROR":
        status = json.loads(body.split(b"\n", 1)[0])["object"]
        assert (status["code"], status["reason"]) == (410, "Expired"), f"unexpected error: {status}"
    else:
        assert event in ("ADDED", "MODIFIED"), f"unexpected type {event}"


# ============================================================================= network/loadbalancer.go


def sanity_check_service(svc: client.V1Service, svc_type: str) -> client.V1Service:
    """The jig's sanityCheckService, run after each of its creates and updates."""
    assert svc.spec.type == svc_type, (
        f"unexpected Spec.Type ({svc.spec.type}) for service, expected {svc_type}"
    )
    if svc_type != "ExternalName":
        assert not svc.spec.external_name, (
            f"unexpected Spec.ExternalName ({svc.spec.external_name}) for service"
        )
        assert svc.spec.cluster_ip, "didn't get ClusterIP for non-ExternalName service"
    else:
        assert not svc.spec.cluster_ip, (
            f"unexpected Spec.ClusterIP ({svc.spec.cluster_ip}) for ExternalName service"
        )
    expect_node_ports = svc_type == "NodePort" or (
        svc_type == "LoadBalancer" and svc.spec.allocate_load_balancer_node_ports in (None, True)
    )
    for i, port in enumerate(svc.spec.ports or []):
        assert bool(port.node_port) == expect_node_ports, (
            f"unexpected Spec.Ports[{i}].NodePort ({port.node_port})"
        )
        if port.node_port:
            assert port.node_port in NODE_PORT_RANGE, f"out-of-range nodePort ({port.node_port}) for service"
    return svc


def jig_update(core: client.CoreV1Api, ns: str, name: str, mutate: Any) -> client.V1Service:
    """jig.UpdateService: the update, then the sanity check for the Service's new type."""
    svc = update_service(core, ns, name, mutate)
    return sanity_check_service(svc, svc.spec.type)


def wait_for_load_balancer(core: client.CoreV1Api, ns: str, name: str) -> client.V1Service:
    """jig.WaitForLoadBalancer: until the status shows an ingress point, then sanity-checked."""

    def has_ingress() -> client.V1Service | None:
        svc = core.read_namespaced_service(name, ns)
        lb = svc.status.load_balancer if svc.status else None
        return svc if lb is not None and lb.ingress else None

    return sanity_check_service(eventually(has_ingress), "LoadBalancer")


def ingress_point(svc: client.V1Service) -> str:
    """e2eservice.GetIngressPoint."""
    ing = svc.status.load_balancer.ingress[0]
    return str(ing.ip or ing.hostname)


def change_service_node_port(core: client.CoreV1Api, ns: str, name: str, initial: int) -> client.V1Service:
    """jig.ChangeServiceNodePort: the next node port after `initial` (wrapping) that is free."""
    base, size = NODE_PORT_RANGE.start, len(NODE_PORT_RANGE)
    for i in range(1, size):
        new_port = base + (initial - base + i) % size

        def set_port(s: client.V1Service, new_port: int = new_port) -> None:
            s.spec.ports[0].node_port = new_port

        try:
            return jig_update(core, ns, name, set_port)
        except ApiException as e:
            if "provided port is already allocated" in message(e):
                continue
            raise
    raise AssertionError("no free node port")


@pytest.mark.parametrize("protocol", ["TCP", "UDP"])
def test_loadbalancers_should_be_able_to_change_the_type_and_ports_of_a_service(
    core: client.CoreV1Api, ns: str, manager: ControllerManager, protocol: str
) -> None:
    """network/loadbalancer.go: "should be able to change the type and ports of a TCP service"
    and "... of a UDP service" -- the API part, with our LoadBalancer controller as the
    load balancer: ClusterIP -> NodePort -> LoadBalancer (the node port kept), a new node port
    and a new port (the ingress point kept), back to ClusterIP (the node port cleared and the
    load balancer gone).  The Pods behind it and every reachability check are not ported."""
    name = "mutability-test"
    svc = core.create_namespaced_service(
        ns, tcp_service(name, jig_labels(name), ports=[client.V1ServicePort(protocol=protocol, port=80)])
    )
    sanity_check_service(svc, "ClusterIP")
    svc_port = svc.spec.ports[0].port

    # changing the service to type=NodePort
    svc = jig_update(core, ns, name, lambda s: setattr(s.spec, "type", "NodePort"))
    node_port = svc.spec.ports[0].node_port

    # changing the service to type=LoadBalancer, waiting for it to have a load balancer
    jig_update(core, ns, name, lambda s: setattr(s.spec, "type", "LoadBalancer"))
    svc = wait_for_load_balancer(core, ns, name)
    assert svc.spec.ports[0].node_port == node_port, (
        f"{protocol} Spec.Ports[0].NodePort changed ({node_port} -> {svc.spec.ports[0].node_port}) when not expected"
    )
    ingress_ip = ingress_point(svc)

    # changing the service's NodePort
    svc = change_service_node_port(core, ns, name, node_port)
    assert svc.spec.ports[0].node_port != node_port, (
        f"{protocol} Spec.Ports[0].NodePort ({node_port}) did not change"
    )
    node_port = svc.spec.ports[0].node_port
    assert ingress_point(svc) == ingress_ip, (
        f"{protocol} Status.LoadBalancer.Ingress changed when not expected"
    )

    # changing the service's port
    def next_port(s: client.V1Service) -> None:
        s.spec.ports[0].port += 1

    svc = jig_update(core, ns, name, next_port)
    assert svc.spec.ports[0].port == svc_port + 1, (
        f"{protocol} Spec.Ports[0].Port ({svc_port}) did not change"
    )
    assert svc.spec.ports[0].node_port == node_port, f"{protocol} Spec.Ports[0].NodePort changed"
    assert ingress_point(svc) == ingress_ip, (
        f"{protocol} Status.LoadBalancer.Ingress changed when not expected"
    )

    # changing the service back to type=ClusterIP
    readback = jig_update(core, ns, name, lambda s: setattr(s.spec, "type", "ClusterIP"))
    assert not readback.spec.ports[0].node_port, f"{protocol} Spec.Ports[0].NodePort was not cleared"

    # WaitForLoadBalancerDestroy
    def destroyed() -> bool:
        lb = core.read_namespaced_service(name, ns).status.load_balancer
        return lb is None or not lb.ingress

    eventually(destroyed)


def test_loadbalancers_should_be_able_to_create_loadbalancer_service_without_nodeport_and_change_it(
    core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """network/loadbalancer.go: "should be able to create LoadBalancer Service without NodePort
    and change it" -- the API part: allocateLoadBalancerNodePorts false gives no node port,
    true then allocates one, the ingress point unchanged (the traffic checks are not ported)."""
    name = "reallocate-nodeport-test"
    sanity_check_service(core.create_namespaced_service(ns, tcp_service(name, jig_labels(name))), "ClusterIP")

    def to_lb(s: client.V1Service) -> None:
        s.spec.type = "LoadBalancer"
        s.spec.allocate_load_balancer_node_ports = False

    jig_update(core, ns, name, to_lb)
    svc = wait_for_load_balancer(core, ns, name)
    assert not svc.spec.ports[0].node_port, (
        f"TCP Spec.Ports[0].NodePort allocated {svc.spec.ports[0].node_port}"
    )
    ingress_ip = ingress_point(svc)

    # adding a TCP service's NodePort
    svc = jig_update(core, ns, name, lambda s: setattr(s.spec, "allocate_load_balancer_node_ports", True))
    assert svc.spec.ports[0].node_port, "TCP Spec.Ports[0].NodePort (0) not allocated"
    assert ingress_point(svc) == ingress_ip, "TCP Status.LoadBalancer.Ingress changed when not expected"


def test_loadbalancers_should_only_allow_access_from_service_loadbalancer_source_ranges(
    core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """network/loadbalancer.go: "should only allow access from service loadbalancer source
    ranges" -- the API part: the LoadBalancer Service created with one source range gets its
    load balancer, and takes another range and then none; which client gets through is the
    proxy's part (not ported).  The accept and drop Pods' IPs stand in as two addresses."""
    name = "lb-sourcerange"
    accept_ip, drop_ip = "10.244.7.10", "10.244.7.11"
    svc = core.create_namespaced_service(
        ns,
        tcp_service(
            name, jig_labels(name), type="LoadBalancer", load_balancer_source_ranges=[f"{accept_ip}/32"]
        ),
    )
    sanity_check_service(svc, "LoadBalancer")
    wait_for_load_balancer(core, ns, name)
    svc = jig_update(
        core, ns, name, lambda s: setattr(s.spec, "load_balancer_source_ranges", [f"{drop_ip}/32"])
    )
    assert svc.spec.load_balancer_source_ranges == [f"{drop_ip}/32"]
    svc = jig_update(core, ns, name, lambda s: setattr(s.spec, "load_balancer_source_ranges", None))
    assert not svc.spec.load_balancer_source_ranges


LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"


@pytest.mark.xfail(
    strict=True,
    reason="our LoadBalancer controller (a MetalLB-like IP pool) does not put the cloud service "
    "controller's service.kubernetes.io/load-balancer-cleanup finalizer on the Services it serves",
)
def test_loadbalancers_should_handle_load_balancer_cleanup_finalizer_for_service(
    core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """network/loadbalancer.go: "should handle load balancer cleanup finalizer for service":
    the finalizer is on the LoadBalancer Service, leaves when it becomes ClusterIP, comes back
    when it is a LoadBalancer again, and the Service can be deleted with it."""
    name = "lb-finalizer"
    svc = core.create_namespaced_service(ns, tcp_service(name, jig_labels(name), type="LoadBalancer"))
    sanity_check_service(svc, "LoadBalancer")
    try:
        wait_for_load_balancer(core, ns, name)

        def finalizer_is(present: bool) -> bool:
            fins = core.read_namespaced_service(name, ns).metadata.finalizers or []
            return (LB_FINALIZER in fins) == present

        # the cloud service controller adds the finalizer before it provisions the load
        # balancer, so it is there once the status shows the ingress point
        assert finalizer_is(True), f"no {LB_FINALIZER} finalizer on the LoadBalancer Service"
        jig_update(core, ns, name, lambda s: setattr(s.spec, "type", "ClusterIP"))
        eventually(lambda: finalizer_is(False))
        jig_update(core, ns, name, lambda s: setattr(s.spec, "type", "LoadBalancer"))
        eventually(lambda: finalizer_is(True))
    finally:
        # WaitForServiceDeletedWithFinalizer
        core.delete_namespaced_service(name, ns)
        eventually(lambda: gone(lambda: core.read_namespaced_service(name, ns)))


# ============================================================================= network/dual_stack.go


def _dual_stack_pod_runs(core: client.CoreV1Api, ns: str, name: str, v4: str, v6: str) -> None:
    """A kubelet on a dual-stack node reports both of the Pod's IPs, IPv4 first."""
    kubelet_runs(core, ns, name)
    core.patch_namespaced_pod_status(
        name,
        ns,
        {"status": {"podIP": v4, "podIPs": [{"ip": v4}, {"ip": v6}]}},
        _content_type="application/merge-patch+json",
    )


@pytest.mark.parametrize(
    ("name", "policy", "families", "want_families"),
    [
        ("defaultclusterip", None, None, ["IPv4"]),
        ("ipv4clusterip", None, ["IPv4"], ["IPv4"]),
        ("ipv6clusterip", None, ["IPv6"], ["IPv6"]),
        ("ipv4ipv6clusterip", "RequireDualStack", ["IPv4", "IPv6"], ["IPv4", "IPv6"]),
        ("ipv6ipv4clusterip", "RequireDualStack", ["IPv6", "IPv4"], ["IPv6", "IPv4"]),
    ],
)
def test_dual_stack_should_create_service_with_cluster_ip(
    core: client.CoreV1Api,
    disc: client.DiscoveryV1Api,
    ns: str,
    node: str,
    manager: ControllerManager,
    name: str,
    policy: str | None,
    families: list[str] | None,
    want_families: list[str],
) -> None:
    """network/dual_stack.go: "should create a single stack service with cluster ip from
    primary service range", "should create service with ipv4 cluster ip", "... ipv6 cluster
    ip", "... ipv4,v6 cluster ip", "... ipv6,v4 cluster ip": the NodePort Service (TCP and UDP
    on port 53) with those families (and RequireDualStack for two) gets its policy (SingleStack
    when none is given), one ClusterIP of each family in order, and one EndpointSlice per
    family (validateEndpointSlices).  The jig's two Pods (an RC) are created directly, with
    both IPs."""
    labels = jig_labels(name)
    for i in range(2):
        pod = simple_pod(f"{name}-{i}", node, labels, termination_grace_period_seconds=0)
        core.create_namespaced_pod(ns, pod)
        _dual_stack_pod_runs(core, ns, f"{name}-{i}", f"10.244.9.{10 + i}", f"fd00:10:244:9::{10 + i:x}")
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1ServiceSpec(
                selector=labels,
                type="NodePort",
                ip_family_policy=policy,
                ip_families=families,
                ports=[
                    client.V1ServicePort(name="tcp-port", port=53, protocol="TCP"),
                    client.V1ServicePort(name="udp-port", port=53, protocol="UDP"),
                ],
            ),
        ),
    )
    # validateNumOfServicePorts
    assert len(svc.spec.ports) == 2, f"got unexpected len(Spec.Ports) for service: {svc}"
    # validateServiceAndClusterIPFamily
    assert svc.spec.ip_families == want_families
    assert len(svc.spec.cluster_ips) == len(svc.spec.ip_families), (
        f"assigned ips {svc.spec.cluster_ips} does not match families {svc.spec.ip_families}"
    )
    for ip, family in zip(svc.spec.cluster_ips, svc.spec.ip_families, strict=True):
        assert (family == "IPv6") == (":" in ip), f"assigned ip {ip} does not match family {family}"
    assert svc.spec.ip_family_policy == (policy or "SingleStack")

    # validateEndpointSlices: one slice per family of the Service, of that family's addresses
    sel = f"kubernetes.io/service-name={name}"

    def slices() -> list[client.V1EndpointSlice] | None:
        items = disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items
        return items if len(items) >= len(want_families) else None

    got = eventually(slices)
    assert sorted(es.address_type for es in got) == sorted(want_families), [es.address_type for es in got]
    for es in got:
        for e in es.endpoints or []:
            assert (es.address_type == "IPv6") == (":" in e.addresses[0]), (es.address_type, e.addresses)


# ============================================================================= apimachinery/apply.go

APPLY = "application/apply-patch+yaml"


def _apply(
    api: client.ApiClient, path: str, body: str, manager: str, content_type: str = APPLY
) -> tuple[int, Any]:
    """client.CoreV1().RESTClient().Patch(types.ApplyPatchType)...Param("fieldManager", ...)."""
    verb, url, hdrs, _, _ = api.param_serialize(
        method="PATCH",
        resource_path=path,
        query_params=[("fieldManager", manager)],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(verb, url, header_params=hdrs, body=body)
    return resp.status, json.loads(resp.read())


@pytest.mark.parametrize(
    ("resource", "name", "body", "managed_fields"),
    [
        (
            "pods",
            "test-pod",
            '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"}, '
            '"spec": {"containers": [{"name": "test-container", "image": "test-image"}]}}',
            '{"f:spec":{"f:containers":{"k:{\\"name\\":\\"test-container\\"}":{".":{},"f:image":{},"f:name":{}}}}}',
        ),
        (
            "services",
            "test-svc",
            '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "test-svc"}, '
            '"spec": {"ports": [{"port": 8080, "protocol": "UDP"}]}}',
            '{"f:spec":{"f:ports":{"k:{\\"port\\":8080,\\"protocol\\":\\"UDP\\"}":{".":{},"f:port":{},"f:protocol":{}}}}}',
        ),
    ],
)
def test_server_side_apply_should_create_an_applied_object_if_it_does_not_already_exist(
    api: client.ApiClient, ns: str, resource: str, name: str, body: str, managed_fields: str
) -> None:
    """apimachinery/apply.go: "should create an applied object if it does not already exist":
    the apply creates it, a second manager's identical apply does not conflict, and both own
    exactly the applied fields (FieldsV1 as upstream serializes it, byte for byte)."""
    path = f"/api/v1/namespaces/{ns}/{resource}/{name}"
    st, _ = _apply(api, path, body, "apply_test")
    assert st == 201, "Failed to create object using Apply patch"
    st, _ = _apply(api, path, body, "apply_test_2")
    assert st == 200, "Failed to re-apply object using Apply patch"
    verb, url, hdrs, _, _ = api.param_serialize(
        method="GET", resource_path=path, auth_settings=["BearerToken"]
    )
    obj = json.loads(api.call_api(verb, url, header_params=hdrs).read())
    entries = [e for e in obj["metadata"]["managedFields"] if e["manager"] in ("apply_test", "apply_test_2")]
    assert len(entries) == 2
    for entry in entries:
        got = json.dumps(entry["fieldsV1"], separators=(",", ":"))
        assert got == managed_fields, f"Expected managed fields {managed_fields}, got {got}"


def test_server_side_apply_should_work_for_subresources(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/apply.go: "should work for subresources": an apply of a Pod's status to the
    Pod itself leaves the status alone; to `pods/<name>/status` it sets it."""
    path = f"/api/v1/namespaces/{ns}/pods/test-pod"
    body = (
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"}, '
        '"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}'
    )
    status_patch = (
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"}, '
        '"status": {"conditions": [{"type": "MyStatus", "status":"True"}]}}'
    )
    st, _ = _apply(api, path, body, "apply_test")
    assert st == 201, "Failed to create object using Apply patch"
    core.read_namespaced_pod("test-pod", ns)

    # apply does not update subresources unless directed at a subresource endpoint
    st, _ = _apply(api, path, status_patch, "apply_test2")
    assert st == 200, "Failed to Apply Status using Apply patch"
    pod = core.read_namespaced_pod("test-pod", ns)
    assert "MyStatus" not in [c.type for c in pod.status.conditions or []], (
        "Apply should not update subresources unless the endpoint is specifically specified"
    )

    # apply to the subresource updates the subresource
    st, _ = _apply(api, path + "/status", status_patch, "apply_test2")
    assert st == 200, "Failed to Apply Status using Apply patch"
    pod = core.read_namespaced_pod("test-pod", ns)
    assert "MyStatus" in [c.type for c in pod.status.conditions or []], "Expected pod to have applied status"


# ============================================================================= kubectl/kubectl.go


@pytest.fixture
def kubectl(server: ApiServer, ns: str, tmp_path: Path) -> Kubectl:
    return make_kubectl(server, tmp_path / "cache", ns)


# test/e2e/testing-manifests/guestbook/agnhost-primary-service.json
AGNHOST_PRIMARY_SERVICE = json.dumps(
    {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "agnhost-primary", "labels": {"app": "agnhost", "role": "primary"}},
        "spec": {
            "ports": [{"port": 6379, "targetPort": "agnhost-server"}],
            "selector": {"app": "agnhost", "role": "primary"},
        },
    }
)


@pytest.mark.kubectl
@pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed")
def test_kubectl_apply_should_reuse_port_when_apply_to_an_existing_svc(kubectl: Kubectl) -> None:
    """kubectl/kubectl.go: "Kubectl apply should reuse port when apply to an existing SVC":
    `kubectl create` the agnhost-primary Service, then `kubectl apply` the same manifest (no
    last-applied annotation yet): the port stays."""
    kubectl("create", "-f", "-", stdin=AGNHOST_PRIMARY_SERVICE)
    original = kubectl("get", "service", "agnhost-primary", "-o", "jsonpath={.spec.ports[0].port}").stdout
    kubectl("apply", "-f", "-", stdin=AGNHOST_PRIMARY_SERVICE)
    current = kubectl("get", "service", "agnhost-primary", "-o", "jsonpath={.spec.ports[0].port}").stdout
    assert original == current == "6379", "port should keep the same"


def _taint(key: str, value: str, effect: str) -> str:
    """v1.Taint.ToString()."""
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _taint_node(core: client.CoreV1Api) -> str:
    """scheduling.GetNodeThatCanRunPod: a Node of our own (nothing schedules here), so that the
    taints never meet another test's Pods."""
    name = f"taint-node-{uuid.uuid4().hex[:6]}"
    core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name=name)))
    return name


def _describe_has(kubectl: Kubectl, node: str, taint: str) -> None:
    output = kubectl("describe", "node", node).stdout
    check_output(output, [["Name:", node], ["Taints:"], [taint]])


@pytest.mark.kubectl
@pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed")
def test_kubectl_taint_should_update_the_taint_on_a_node(kubectl: Kubectl, core: client.CoreV1Api) -> None:
    """kubectl/kubectl.go: "Kubectl taint [Serial] should update the taint on a node"."""
    node_name = _taint_node(core)
    key = f"kubernetes.io/e2e-taint-key-001-{uuid.uuid4()}"
    taint = _taint(key, "testing-taint-value", "NoSchedule")
    try:
        kubectl("taint", "nodes", node_name, taint)
        _describe_has(kubectl, node_name, taint)
        kubectl("taint", "nodes", node_name, f"{key}:NoSchedule-")
        output = kubectl("describe", "node", node_name).stdout
        assert key not in output, f"Failed removing taint {key} of the node {node_name}"
    finally:
        core.delete_node(node_name)


@pytest.mark.kubectl
@pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed")
def test_kubectl_taint_should_remove_all_the_taints_with_the_same_key_off_a_node(
    kubectl: Kubectl, core: client.CoreV1Api
) -> None:
    """kubectl/kubectl.go: "Kubectl taint [Serial] should remove all the taints with the same
    key off a node"."""
    node_name = _taint_node(core)
    key = f"kubernetes.io/e2e-taint-key-002-{uuid.uuid4()}"
    try:
        for value, effect in (
            ("testing-taint-value", "NoSchedule"),
            ("another-testing-taint-value", "PreferNoSchedule"),
            ("testing-taint-value-no-execute", "NoExecute"),
        ):
            taint = _taint(key, value, effect)
            kubectl("taint", "nodes", node_name, taint)
            _describe_has(kubectl, node_name, taint)
        node = core.read_node(node_name)
        assert sorted((t.key, t.effect) for t in node.spec.taints) == [
            (key, "NoExecute"),
            (key, "NoSchedule"),
            (key, "PreferNoSchedule"),
        ]
        # removing all taints that have the same key
        kubectl("taint", "nodes", node_name, f"{key}-")
        output = kubectl("describe", "node", node_name).stdout
        assert key not in output, f"Failed removing taints {key} of the node {node_name}"
    finally:
        core.delete_node(node_name)
