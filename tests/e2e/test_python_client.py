"""The official `kubernetes` Python client, unchanged, against a real apiserver (generated
kubeconfig): CRUD and watch through CoreV1Api, DiscoveryV1Api, CoordinationV1Api, watch.Watch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support.apiserver import ApiServer


@pytest.fixture(scope="module")
def api(apiserver: ApiServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture(scope="module")
def ns(api: client.ApiClient) -> str:
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pyclient")))
    return "pyclient"


def test_version_and_discovery(api: client.ApiClient) -> None:
    info = client.VersionApi(api).get_code()
    assert info.major == "1" and info.minor == "31"
    groups = client.ApisApi(api).get_api_versions()
    assert "discovery.k8s.io" in [g.name for g in groups.groups]
    resources = client.CoreV1Api(api).get_api_resources()
    assert "services" in [r.name for r in resources.resources]


def test_service_crud(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    body = client.V1Service(
        metadata=client.V1ObjectMeta(name="web", labels={"app": "web"}),
        spec=client.V1ServiceSpec(
            selector={"app": "web"}, ports=[client.V1ServicePort(name="http", port=80, target_port=8080)]
        ),
    )
    created = core.create_namespaced_service(ns, body)
    assert created.metadata.uid and created.metadata.resource_version
    assert created.spec.type == "ClusterIP" and created.spec.ports[0].protocol == "TCP"
    got = core.read_namespaced_service("web", ns)
    assert got.metadata.uid == created.metadata.uid
    listed = core.list_namespaced_service(ns, label_selector="app=web")
    assert [s.metadata.name for s in listed.items] == ["web"]
    all_ns = core.list_service_for_all_namespaces(field_selector=f"metadata.namespace={ns}")
    assert [s.metadata.name for s in all_ns.items] == ["web"]
    patched = core.patch_namespaced_service("web", ns, {"metadata": {"labels": {"tier": "front"}}})
    assert patched.metadata.labels == {"app": "web", "tier": "front"}
    got = core.read_namespaced_service("web", ns)
    got.spec.session_affinity = "ClientIP"
    replaced = core.replace_namespaced_service("web", ns, got)
    assert replaced.spec.session_affinity == "ClientIP"
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_service("web", ns, got)  # stale resourceVersion
    assert err.value.status == 409
    with pytest.raises(ApiException) as err:
        core.create_namespaced_service(ns, body)
    assert err.value.status == 409 and "already exists" in err.value.body
    core.delete_namespaced_service("web", ns)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_service("web", ns)
    assert err.value.status == 404


def test_service_status(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="lb"),
            spec=client.V1ServiceSpec(type="LoadBalancer", ports=[client.V1ServicePort(port=80)]),
        ),
    )
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.201"}]}}}
    out = core.patch_namespaced_service_status("lb", ns, status)
    assert out.status.load_balancer.ingress[0].ip == "172.18.255.201"
    assert (
        core.read_namespaced_service_status("lb", ns).status.load_balancer.ingress[0].ip == "172.18.255.201"
    )


def test_endpoint_slices(api: client.ApiClient, ns: str) -> None:
    disc = client.DiscoveryV1Api(api)
    body = client.V1EndpointSlice(
        metadata=client.V1ObjectMeta(name="web-abc", labels={"kubernetes.io/service-name": "web"}),
        address_type="IPv4",
        endpoints=[
            client.V1Endpoint(addresses=["10.244.1.5"], conditions=client.V1EndpointConditions(ready=True))
        ],
        ports=[client.DiscoveryV1EndpointPort(name="http", port=8080, protocol="TCP")],
    )
    created = disc.create_namespaced_endpoint_slice(ns, body)
    assert created.metadata.generation == 1
    listed = disc.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=web")
    assert [s.metadata.name for s in listed.items] == ["web-abc"]
    disc.delete_namespaced_endpoint_slice("web-abc", ns)
    assert disc.list_namespaced_endpoint_slice(ns).items == []


def test_leases(api: client.ApiClient, ns: str) -> None:
    coord = client.CoordinationV1Api(api)
    lease = client.V1Lease(
        metadata=client.V1ObjectMeta(name="leader"),
        spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15),
    )
    created = coord.create_namespaced_lease(ns, lease)
    created.spec.holder_identity = "b"
    updated = coord.replace_namespaced_lease("leader", ns, created)
    assert updated.spec.holder_identity == "b"
    with pytest.raises(ApiException) as err:
        coord.replace_namespaced_lease("leader", ns, created)
    assert err.value.status == 409


def test_watch(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_service(ns).metadata.resource_version
    seen: list[tuple[str, str]] = []
    w = watch.Watch()

    def writer() -> None:
        time.sleep(0.3)
        core.create_namespaced_service(
            ns,
            client.V1Service(
                metadata=client.V1ObjectMeta(name="watched"),
                spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)]),
            ),
        )
        core.patch_namespaced_service("watched", ns, {"metadata": {"labels": {"x": "y"}}})
        core.delete_namespaced_service("watched", ns)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        for ev in w.stream(core.list_namespaced_service, ns, resource_version=rv, timeout_seconds=60):
            if ev["object"].metadata.name == "watched":
                seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 3:
                w.stop()
    finally:
        t.join(60)
    assert [s[0] for s in seen] == ["ADDED", "MODIFIED", "DELETED"]
