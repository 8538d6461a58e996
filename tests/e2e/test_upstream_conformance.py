"""Upstream's conformance e2e tests (kubernetes/kubernetes test/e2e/..., `framework.ConformanceIt`)
for the kinds we serve, ported step by step to the official `kubernetes` Python client.

Each test's docstring names the Go file and the It-string it ports.  Steps that need a kubelet
running containers are played the way a kubelet would play them through the API (bind the Pod
to a Node at creation, write `pods/<name>/status`, finish a graceful deletion with a grace-0
delete); what cannot be played that way (traffic through a Service, exec, logs) is left out
and said so where it happens.

One apiserver (memory store) and one controller-manager (the EndpointSlice, Endpoints,
mirroring, namespace and garbage-collector controllers) for the module; every test works in
its own namespace, as the e2e framework gives each test one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import queue
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.rest import ApiException

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.manager import ControllerManager

UTC = dt.UTC
MERGE = "application/merge-patch+json"
LONG = 30.0  # upstream waits up to a minute or more; our server answers within a fraction of a second


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    # the version whose conformance suite this is (the namespace controller deletes Pods first
    # from 1.33 on, as upstream's OrderedNamespaceDeletion)
    srv = start_apiserver(
        tmp_path_factory.mktemp("conformance") / "data", "--emulated-version", "1.34", backend="memory"
    )
    try:
        yield srv
    finally:
        srv.stop()


# ----------------------------------------------------------------------------- helpers


def eventually(check: Callable[[], Any], timeout: float = LONG, interval: float = 0.1) -> Any:
    """wait.Poll: call `check` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
        time.sleep(interval)


def gone(call: Callable[[], Any]) -> bool:
    """Whether the GET in `call` answers 404 (other errors propagate)."""
    try:
        call()
    except ApiException as e:
        if e.status == 404:
            return True
        raise
    return False


def status_code(call: Callable[[], Any]) -> int:
    with pytest.raises(ApiException) as exc:
        call()
    return int(exc.value.status)


class Watcher:
    """client-go's watch.Interface over the Python client: the request is made (and answered)
    before the constructor returns, as `Watch()` in Go; events arrive on a queue read by
    `expect` / `expect_none` / `next` (waitForEvent, expectNoEvent, ResultChan)."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._w = watch.Watch()
        self._type = self._w.get_return_type(func)
        kwargs.setdefault("timeout_seconds", 120)
        self._resp = func(*args, watch=True, _preload_content=False, **kwargs)
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in watch.watch.iter_resp_lines(self._resp):
                self.events.put(self._w.unmarshal_event(line, self._type))
        except Exception:
            pass
        finally:
            self.events.put(None)

    def next(self, timeout: float = LONG) -> dict[str, Any]:
        try:
            ev = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"timed out waiting for a watch event ({timeout}s)") from None
        assert ev is not None, "watch closed unexpectedly"
        return ev

    def expect(self, etype: str, obj: Any = None, timeout: float = LONG) -> dict[str, Any]:
        """waitForEvent: skip events until one of `etype` (equal to `obj` when given) arrives."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {etype} event for {obj!r}; saw {seen}")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            assert ev is not None, f"watch closed unexpectedly; saw {seen}"
            seen.append((ev["type"], ev["raw_object"].get("metadata", {}).get("resourceVersion")))
            if ev["type"] == etype and (obj is None or ev["object"] == obj):
                return ev

    def expect_none(self, etype: str, obj: Any = None, within: float = 1.0) -> None:
        """expectNoEvent (upstream waits 10 s; on loopback nothing is in flight after 1 s)."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                return
            if ev is None:
                return
            assert not (ev["type"] == etype and (obj is None or ev["object"] == obj)), (
                f"unexpected watch notification: {ev['type']} {ev['raw_object']}"
            )

    def until(self, cond: Callable[[dict[str, Any]], bool], timeout: float = LONG) -> dict[str, Any]:
        """watchtools.Until: the first event for which `cond` holds."""
        deadline = time.monotonic() + timeout
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                break
            assert ev is not None, f"watch closed unexpectedly; saw {seen}"
            seen.append(ev["type"])
            if cond(ev):
                return ev
        raise AssertionError(f"condition not met by any watch event within {timeout}s; saw {seen}")

    def stop(self) -> None:
        self._w.stop()
        self._resp.shutdown()
        self._resp.release_conn()
        self._thread.join(5)


_pod_ips = (f"10.244.{i // 250}.{i % 250 + 2}" for i in itertools.count())


def kubelet_runs(core: client.CoreV1Api, ns: str, name: str, *, ready: bool = True) -> client.V1Pod:
    """What the kubelet writes once a Pod's containers run: phase Running, its IPs, start time
    and conditions, through `pods/<name>/status`."""
    pod = core.read_namespaced_pod(name, ns)
    ip = next(_pod_ips)
    now = dt.datetime.now(UTC).replace(microsecond=0)
    flag = "True" if ready else "False"
    status = {
        "phase": "Running",
        "hostIP": "192.0.2.50",
        "hostIPs": [{"ip": "192.0.2.50"}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": now.isoformat().replace("+00:00", "Z"),
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": flag},
            {"type": "ContainersReady", "status": flag},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": [
            {
                "name": c.name,
                "image": c.image,
                "imageID": "",
                "ready": ready,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": now.isoformat().replace("+00:00", "Z")}},
            }
            for c in pod.spec.containers
        ],
    }
    return core.patch_namespaced_pod_status(name, ns, {"status": status})


def kubelet_finishes_deletions(core: client.CoreV1Api, ns: str) -> None:
    """The kubelet confirms that a terminating Pod's containers are gone: a grace-0 delete
    with the Pod's uid as precondition."""
    for pod in core.list_namespaced_pod(ns).items:
        if pod.metadata.deletion_timestamp is None:
            continue
        try:
            core.delete_namespaced_pod(
                pod.metadata.name,
                ns,
                body=client.V1DeleteOptions(
                    grace_period_seconds=0, preconditions=client.V1Preconditions(uid=pod.metadata.uid)
                ),
            )
        except ApiException as e:
            if e.status not in (404, 409):
                raise


_WHOLE_SECOND = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\+00:00$")


def wire(api: client.ApiClient, obj: Any) -> Any:
    """The JSON client-go sends for `obj`.  The Python client writes a whole-second datetime as
    `...T13:49:16+00:00`, which a MicroTime field (RFC3339Micro) rejects on kube-apiserver
    as on ours (400); client-go writes `...T13:49:16.000000Z`, which every time field takes."""

    def fix(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, str) and (m := _WHOLE_SECOND.match(v)):
            return m.group(1) + ".000000Z"
        return v

    return fix(api.sanitize_for_serialization(obj))


def send(api: client.ApiClient, method: str, path: str, body: Any, klass: str) -> Any:
    """A create or update with the body `wire` gives (the typed methods would turn it back into
    a model and write its times the Python way), answered as the typed methods answer."""
    verb, url, headers, data, _ = api.param_serialize(
        method=method,
        resource_path=path,
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        body=wire(api, body),
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(verb, url, header_params=headers, body=data)
    resp.read()
    return api.response_deserialize(resp, {"200": klass, "201": klass}).data


def raw_request(
    api: client.ApiClient,
    method: str,
    path: str,
    *,
    accept: str = "application/json",
    query: list[tuple[str, Any]] | None = None,
    body: Any = None,
) -> tuple[int, Any]:
    """client-go's RESTClient().Get().AbsPath(...).SetHeader("Accept", ...): the status and the
    decoded body, whatever the status."""
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/json"
    verb, url, hdrs, data, _ = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=query or [],
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(verb, url, header_params=hdrs, body=data)
    raw = resp.read()
    return resp.status, json.loads(raw) if raw else None


def raw_response(api: client.ApiClient, path: str, accept: str) -> tuple[int, str, Any]:
    """A GET's status, Content-Type and decoded body."""
    verb, url, hdrs, _, _ = api.param_serialize(
        method="GET", resource_path=path, header_params={"Accept": accept}, auth_settings=["BearerToken"]
    )
    resp = api.call_api(verb, url, header_params=hdrs)
    raw = resp.read()
    return resp.status, resp.getheader("Content-Type") or "", json.loads(raw) if raw else None


def simple_pod(
    name: str, node: str | None, labels: dict[str, str] | None = None, **spec: Any
) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(
            node_name=node,
            containers=[
                client.V1Container(name=spec.pop("container", "agnhost"), image=spec.pop("image", "agnhost"))
            ],
            **spec,
        ),
    )


# ============================================================================= network/service.go


def test_should_find_a_service_from_listing_all_namespaces(core: client.CoreV1Api) -> None:
    """network/service.go: "should find a service from listing all namespaces"."""
    svcs = core.list_service_for_all_namespaces()
    assert any(s.metadata.name == "kubernetes" and s.metadata.namespace == "default" for s in svcs.items)


def test_should_provide_secure_master_service(core: client.CoreV1Api) -> None:
    """network/service.go: "should provide secure master service" (the kubernetes Service
    exists in default)."""
    svc = core.read_namespaced_service("kubernetes", "default")
    assert svc.metadata.name == "kubernetes"


def test_should_test_the_lifecycle_of_an_endpoint(core: client.CoreV1Api, ns: str) -> None:
    """network/service.go: "should test the lifecycle of an Endpoint"."""
    sel = "test-endpoint-static=true"
    endpoints_list = core.list_endpoints_for_all_namespaces(label_selector=sel)
    w = Watcher(
        core.list_namespaced_endpoints,
        ns,
        label_selector=sel,
        resource_version=endpoints_list.metadata.resource_version,
    )
    try:
        # creating an Endpoint
        core.create_namespaced_endpoints(
            ns,
            client.V1Endpoints(
                metadata=client.V1ObjectMeta(name="testservice", labels={"test-endpoint-static": "true"}),
                subsets=[
                    client.V1EndpointSubset(
                        addresses=[client.V1EndpointAddress(ip="10.0.0.24")],
                        ports=[client.CoreV1EndpointPort(name="http", port=80, protocol="TCP")],
                    )
                ],
            ),
        )
        # waiting for available Endpoint
        w.until(
            lambda e: e["type"] == "ADDED" and e["object"].metadata.labels["test-endpoint-static"] == "true"
        )
        # listing all Endpoints
        endpoints_list = core.list_endpoints_for_all_namespaces(label_selector=sel)
        found = [
            e for e in endpoints_list.items if e.metadata.name == "testservice" and e.metadata.namespace == ns
        ]
        assert found, "unable to find Endpoint Service in list of Endpoints"
        # updating the Endpoint
        ep = found[0]
        ep.metadata.labels["test-service"] = "updated"
        core.replace_namespaced_endpoints("testservice", ns, ep)
        w.until(
            lambda e: (
                e["type"] == "MODIFIED" and e["object"].metadata.labels["test-endpoint-static"] == "true"
            )
        )
        # fetching the Endpoint
        endpoints = core.read_namespaced_endpoints("testservice", ns)
        assert endpoints.metadata.labels["test-service"] == "updated"
        # patching the Endpoint (strategic merge: subsets is atomic, replaced whole)
        patch = {
            "metadata": {"labels": {"test-service": "patched"}},
            "subsets": [{"addresses": [{"ip": "10.0.0.25"}], "ports": [{"name": "http-test", "port": 8080}]}],
        }
        core.patch_namespaced_endpoints("testservice", ns, patch)
        w.until(
            lambda e: e["type"] == "MODIFIED" and e["object"].metadata.labels.get("test-service") == "patched"
        )
        endpoints = core.read_namespaced_endpoints("testservice", ns)
        assert endpoints.metadata.labels["test-service"] == "patched"
        subset = endpoints.subsets[0]
        assert subset.addresses[0].ip == "10.0.0.25"
        assert subset.ports[0].name == "http-test"
        assert subset.ports[0].port == 8080
        # deleting the Endpoint by Collection
        core.delete_collection_namespaced_endpoints(ns, label_selector=sel)
        w.until(
            lambda e: e["type"] == "DELETED" and e["object"].metadata.labels["test-endpoint-static"] == "true"
        )
        assert status_code(lambda: core.read_namespaced_endpoints("testservice", ns)) == 404
    finally:
        w.stop()


def test_should_complete_a_service_status_lifecycle(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """network/service.go: "should complete a service status lifecycle"."""
    dyn = dynamic.DynamicClient(api)
    svc_resource = dyn.resources.get(api_version="v1", kind="Service")
    name = f"test-service-{uuid.uuid4().hex[:5]}"
    sel = "test-service-static=true"
    svc_list = core.list_service_for_all_namespaces(label_selector=sel)
    rv = svc_list.metadata.resource_version

    def watcher() -> Watcher:
        return Watcher(core.list_namespaced_service, ns, label_selector=sel, resource_version=rv)

    # creating a Service (a LoadBalancer of a class nobody implements)
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name=name, labels={"test-service-static": "true"}),
            spec=client.V1ServiceSpec(
                type="LoadBalancer",
                ports=[client.V1ServicePort(name="http", protocol="TCP", port=80, target_port=80)],
                load_balancer_class="example.com/internal-vip",
            ),
        ),
    )
    mine = lambda e: e["object"].metadata.name == name and e["object"].metadata.namespace == ns  # noqa: E731
    w = watcher()
    w.until(lambda e: mine(e) and e["object"].metadata.labels.get("test-service-static") == "true")
    w.stop()

    # Getting /status (dynamic client, subresource status)
    st = dyn.get(svc_resource.subresources["status"], name=name, namespace=ns)
    assert st.kind == "Service" and st.metadata.name == name

    # patching the ServiceStatus
    lb_status = {"ingress": [{"ip": "203.0.113.1"}]}
    core.patch_namespaced_service_status(
        name,
        ns,
        {"metadata": {"annotations": {"patchedstatus": "true"}}, "status": {"loadBalancer": lb_status}},
        _content_type=MERGE,
    )
    w = watcher()
    w.until(lambda e: mine(e) and (e["object"].metadata.annotations or {}).get("patchedstatus") == "true")
    w.stop()

    # updating the ServiceStatus.  The Go test's condition has no lastTransitionTime, which
    # the apiserver takes as it is (Service status conditions are not validated) and answers
    # as `"lastTransitionTime": null`; the Python client's V1Condition cannot read that back,
    # so this port sets one (the null case is checked, raw, on a throwaway Service below).
    to_update = core.read_namespaced_service(name, ns)
    to_update.status.conditions = [
        *(to_update.status.conditions or []),
        client.V1Condition(
            type="StatusUpdate",
            status="True",
            reason="E2E",
            message="Set from e2e test",
            last_transition_time=dt.datetime.now(UTC).replace(microsecond=0),
        ),
    ]
    updated = core.replace_namespaced_service_status(name, ns, to_update)
    assert [c.type for c in updated.status.conditions] == ["StatusUpdate"]
    w = watcher()
    w.until(
        lambda e: (
            mine(e)
            and (e["object"].metadata.annotations or {}).get("patchedstatus") == "true"
            and any(
                c.type == "StatusUpdate" and c.reason == "E2E" and c.message == "Set from e2e test"
                for c in e["object"].status.conditions or []
            )
        )
    )
    w.stop()

    # patching the service
    core.patch_namespaced_service(name, ns, {"metadata": {"labels": {"test-service": "patched"}}})
    w = watcher()
    w.until(lambda e: mine(e) and e["object"].metadata.labels.get("test-service") == "patched")
    w.stop()

    # the Go test's condition as it sends it, on a Service nobody reads through the typed client
    coll = f"/api/v1/namespaces/{ns}/services"
    status, raw_svc = raw_request(
        api, "POST", coll, body={"metadata": {"name": "raw-conditions"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert status == 201, raw_svc
    raw_svc["status"]["conditions"] = [
        {
            "type": "StatusUpdate",
            "status": "True",
            "lastTransitionTime": None,
            "reason": "E2E",
            "message": "Set from e2e test",
        }
    ]
    status, raw_svc = raw_request(api, "PUT", f"{coll}/raw-conditions/status", body=raw_svc)
    assert status == 200, raw_svc
    assert raw_svc["status"]["conditions"] == [
        {
            "type": "StatusUpdate",
            "status": "True",
            "lastTransitionTime": None,
            "reason": "E2E",
            "message": "Set from e2e test",
        }
    ]
    assert raw_request(api, "DELETE", f"{coll}/raw-conditions")[0] == 200

    # deleting the service
    core.delete_namespaced_service(name, ns)
    w = watcher()
    w.until(
        lambda e: (
            e["type"] == "DELETED"
            and mine(e)
            and e["object"].metadata.labels.get("test-service-static") == "true"
        )
    )
    w.stop()


def test_should_delete_a_collection_of_services(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """network/service.go: "should delete a collection of services" (deletecollection through
    the dynamic client)."""
    for prefix, label, port in (("a", "delete", 8001), ("b", "delete", 8002), ("c", "keep", 8003)):
        core.create_namespaced_service(
            ns,
            client.V1Service(
                metadata=client.V1ObjectMeta(
                    name=f"e2e-svc-{prefix}-{uuid.uuid4().hex[:5]}", labels={"e2e-test-service": label}
                ),
                spec=client.V1ServiceSpec(
                    type="ClusterIP",
                    ports=[client.V1ServicePort(name="http", protocol="TCP", port=port, target_port=port)],
                ),
            ),
        )
    assert len(core.list_namespaced_service(ns).items) == 3
    dyn = dynamic.DynamicClient(api)
    services = dyn.resources.get(api_version="v1", kind="Service")
    dyn.delete(services, namespace=ns, label_selector="e2e-test-service=delete")
    remaining = core.list_namespaced_service(ns).items
    assert len(remaining) == 1
    assert remaining[0].metadata.labels == {"e2e-test-service": "keep"}


def _ports_of_endpoints(ep: client.V1Endpoints) -> list[tuple[str, int, str, str]]:
    return sorted(
        (a.target_ref.name, p.port, p.protocol, p.name)
        for s in ep.subsets or []
        for a in s.addresses or []
        for p in s.ports or []
    )


def _ports_by_pod(core: client.CoreV1Api, ns: str, service: str) -> dict[str, list[int]]:
    """upstream's validateEndpointsPortsOrFail, as data: the Endpoints' ports per Pod name."""
    try:
        ep = core.read_namespaced_endpoints(service, ns)
    except ApiException:
        return {"<no endpoints>": []}
    out: dict[str, list[int]] = {}
    for name, port, _, _ in _ports_of_endpoints(ep):
        out.setdefault(name, []).append(port)
    return out


def test_should_serve_endpoints_on_same_port_and_different_protocols(
    core: client.CoreV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should serve endpoints on same port and different protocols" --
    the API part: the Service with TCP and UDP on port 80, the Endpoints listing both protocols
    for the Pod (validateEndpointsPortsWithProtocolsOrFail), and the updates to TCP only and
    UDP only.  Sending traffic through the ClusterIP needs a proxy and running containers:
    not ported."""
    labels = {"app": "multiport"}
    tcp = client.V1ServicePort(name="tcp-port", port=80, target_port=80, protocol="TCP")
    udp = client.V1ServicePort(name="udp-port", port=80, target_port=80, protocol="UDP")
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="multiprotocol-test", labels=labels),
            spec=client.V1ServiceSpec(type="ClusterIP", selector=labels, ports=[tcp, udp]),
        ),
    )
    assert svc.spec.cluster_ip
    pod = simple_pod("pod1", node, labels)
    pod.spec.containers[0].ports = [
        client.V1ContainerPort(name="tcp-port", container_port=80, protocol="TCP"),
        client.V1ContainerPort(name="udp-port", container_port=80, protocol="UDP"),
    ]
    core.create_namespaced_pod(ns, pod)
    kubelet_runs(core, ns, "pod1")

    def endpoints_are(want: list[tuple[str, int, str, str]]) -> bool:
        try:
            return _ports_of_endpoints(core.read_namespaced_endpoints("multiprotocol-test", ns)) == want
        except ApiException:
            return False

    eventually(lambda: endpoints_are([("pod1", 80, "TCP", "tcp-port"), ("pod1", 80, "UDP", "udp-port")]))
    service = core.read_namespaced_service("multiprotocol-test", ns)
    service.spec.ports = [tcp]
    core.replace_namespaced_service("multiprotocol-test", ns, service)
    eventually(lambda: endpoints_are([("pod1", 80, "TCP", "tcp-port")]))
    service = core.read_namespaced_service("multiprotocol-test", ns)
    service.spec.ports = [udp]
    core.replace_namespaced_service("multiprotocol-test", ns, service)
    eventually(lambda: endpoints_are([("pod1", 80, "UDP", "udp-port")]))


def test_should_serve_a_basic_endpoint_from_pods(
    core: client.CoreV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should serve a basic endpoint from pods" -- the endpoints side
    (validateEndpointsPortsOrFail after each Pod comes and goes); the Pods' containers are
    'run' by writing their status as the kubelet would."""
    labels = {"foo": "bar", "baz": "blah"}
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="endpoint-test2"),
            spec=client.V1ServiceSpec(selector=labels, ports=[client.V1ServicePort(port=80, target_port=80)]),
        ),
    )

    def ports_by_pod() -> dict[str, list[int]]:
        return _ports_by_pod(core, ns, "endpoint-test2")

    eventually(lambda: ports_by_pod() == {})
    for name in ("pod1", "pod2"):
        pod = simple_pod(name, node, labels, termination_grace_period_seconds=0)
        pod.spec.containers[0].ports = [client.V1ContainerPort(container_port=80)]
        core.create_namespaced_pod(ns, pod)
        kubelet_runs(core, ns, name)
    eventually(lambda: ports_by_pod() == {"pod1": [80], "pod2": [80]})
    core.delete_namespaced_pod("pod1", ns)
    kubelet_finishes_deletions(core, ns)
    eventually(lambda: ports_by_pod() == {"pod2": [80]})
    core.delete_namespaced_pod("pod2", ns)
    kubelet_finishes_deletions(core, ns)
    eventually(lambda: ports_by_pod() == {})


def test_should_serve_multiport_endpoints_from_pods(
    core: client.CoreV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/service.go: "should serve multiport endpoints from pods" -- the endpoints side:
    two named service ports resolved to each Pod's own container port."""
    labels = {"foo": "bar", "baz": "blah"}
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="multi-endpoint-test"),
            spec=client.V1ServiceSpec(
                selector=labels,
                ports=[
                    client.V1ServicePort(name="portname1", port=80, target_port="svc1"),
                    client.V1ServicePort(name="portname2", port=81, target_port="svc2"),
                ],
            ),
        ),
    )

    def ports_by_pod() -> dict[str, list[int]]:
        return _ports_by_pod(core, ns, "multi-endpoint-test")

    eventually(lambda: ports_by_pod() == {})
    for name, cport, port_name in (("pod1", 100, "svc1"), ("pod2", 101, "svc2")):
        pod = simple_pod(name, node, labels, termination_grace_period_seconds=0)
        pod.spec.containers[0].ports = [client.V1ContainerPort(name=port_name, container_port=cport)]
        core.create_namespaced_pod(ns, pod)
        kubelet_runs(core, ns, name)
    eventually(lambda: ports_by_pod() == {"pod1": [100], "pod2": [101]})
    core.delete_namespaced_pod("pod1", ns)
    kubelet_finishes_deletions(core, ns)
    eventually(lambda: ports_by_pod() == {"pod2": [101]})
    core.delete_namespaced_pod("pod2", ns)
    kubelet_finishes_deletions(core, ns)
    eventually(lambda: ports_by_pod() == {})


@pytest.mark.parametrize(
    ("start", "change", "want_ip"),
    [
        ("ClusterIP", "ExternalName", False),
        ("NodePort", "ExternalName", False),
        ("ExternalName", "ClusterIP", True),
        ("ExternalName", "NodePort", True),
    ],
)
def test_should_be_able_to_change_the_type(
    core: client.CoreV1Api, ns: str, start: str, change: str, want_ip: bool
) -> None:
    """network/service.go: "should be able to change the type from ClusterIP to ExternalName",
    "... from NodePort to ExternalName", "... from ExternalName to ClusterIP", "... from
    ExternalName to NodePort" -- the API part (the jig's create and update and its checks of
    the ClusterIP and node port); reaching the Service from a Pod is not ported."""
    spec: dict[str, Any] = {"type": start}
    if start == "ExternalName":
        spec["externalName"] = "foo.example.com"
    else:
        spec["ports"] = [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    svc = core.create_namespaced_service(
        ns, {"metadata": {"name": "svc-type-change", "labels": {"testid": "x"}}, "spec": spec}
    )
    if start == "ExternalName":
        assert svc.spec.cluster_ip is None and svc.spec.cluster_ips is None
    else:
        assert svc.spec.cluster_ip
    if start == "NodePort":
        assert 30000 <= svc.spec.ports[0].node_port <= 32767
    if change == "ExternalName":
        # jig.UpdateService: type ExternalName, externalName set, clusterIP "" and no ports
        svc.spec.type = "ExternalName"
        svc.spec.external_name = "foo.example.com"
        svc.spec.cluster_ip = ""
        svc.spec.cluster_ips = None
        svc.spec.ip_families = None
        svc.spec.ip_family_policy = None
        svc.spec.internal_traffic_policy = None
        svc.spec.external_traffic_policy = None
        svc.spec.ports = None
    else:
        svc.spec.type = change
        svc.spec.external_name = ""
        svc.spec.ports = [client.V1ServicePort(port=80, name="http", protocol="TCP", target_port=80)]
    updated = core.replace_namespaced_service("svc-type-change", ns, svc)
    if want_ip:
        assert updated.spec.cluster_ip and updated.spec.cluster_ip != "None"
        assert updated.spec.external_name is None
    else:
        assert updated.spec.cluster_ip is None and updated.spec.cluster_ips is None
        assert updated.spec.external_name == "foo.example.com"
        assert updated.spec.ports is None
    if change == "NodePort":
        assert 30000 <= updated.spec.ports[0].node_port <= 32767


@pytest.mark.parametrize("svc_type", ["ClusterIP", "NodePort"])
def test_should_be_able_to_switch_session_affinity(core: client.CoreV1Api, ns: str, svc_type: str) -> None:
    """network/service.go: "should have session affinity work for service with type clusterIP",
    "... for NodePort service", "should be able to switch session affinity for service with type
    clusterIP" / "... for NodePort service" -- the API part: sessionAffinity ClientIP gets its
    default timeout (10800 s), switching to None drops the config, back to ClientIP defaults it
    again.  Checking stickiness needs a proxy and running containers: not ported."""
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="affinity"),
            spec=client.V1ServiceSpec(
                type=svc_type,
                selector={"name": "affinity"},
                session_affinity="ClientIP",
                ports=[client.V1ServicePort(port=80, target_port=9376, protocol="TCP")],
            ),
        ),
    )
    assert svc.spec.session_affinity == "ClientIP"
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 10800
    svc.spec.session_affinity = "None"
    svc.spec.session_affinity_config = None
    svc = core.replace_namespaced_service("affinity", ns, svc)
    assert svc.spec.session_affinity == "None" and svc.spec.session_affinity_config is None
    svc.spec.session_affinity = "ClientIP"
    svc = core.replace_namespaced_service("affinity", ns, svc)
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 10800


# ============================================================================= network/endpointslice.go


def _endpoint_slices_equal(endpoints: client.V1Endpoints, slices: list[client.V1EndpointSlice]) -> bool:
    """endpointSlicesEqual: the same addresses and ports (the slices of Endpoints' family)."""
    ep_addresses = {
        a.ip for s in endpoints.subsets or [] for a in (s.addresses or []) + (s.not_ready_addresses or [])
    }
    ep_ports = {p.port for s in endpoints.subsets or [] for p in s.ports or []}
    es_addresses = {
        a for es in slices if es.address_type == "IPv4" for e in es.endpoints or [] for a in e.addresses
    }
    es_ports = {p.port for es in slices if es.address_type == "IPv4" for p in es.ports or []}
    return ep_addresses == es_addresses and ep_ports == es_ports


def test_should_have_endpoints_and_endpointslices_pointing_to_api_server(
    api: client.ApiClient, core: client.CoreV1Api
) -> None:
    """network/endpointslice.go: "should have Endpoints and EndpointSlices pointing to API Server"."""
    core.read_namespaced_service("kubernetes", "default")
    endpoints = core.read_namespaced_endpoints("kubernetes", "default")
    assert len(endpoints.subsets or []) >= 1
    slices = (
        client.DiscoveryV1Api(api)
        .list_namespaced_endpoint_slice("default", label_selector="kubernetes.io/service-name=kubernetes")
        .items
    )
    assert len(slices) >= 1
    assert _endpoint_slices_equal(endpoints, slices), (endpoints.to_dict(), [s.to_dict() for s in slices])


def test_should_create_and_delete_endpoints_and_endpointslices_for_a_service_with_a_selector_specified(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """network/endpointslice.go: "should create and delete Endpoints and EndpointSlices for a
    Service with a selector specified"."""
    disc = client.DiscoveryV1Api(api)
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="example-empty-selector"),
            spec=client.V1ServiceSpec(
                selector={"does-not-match-anything": "endpoints-and-endpoint-slices-should-still-be-created"},
                ports=[client.V1ServicePort(name="example", port=80, protocol="TCP")],
            ),
        ),
    )
    sel = f"kubernetes.io/service-name={svc.metadata.name}"

    def endpoints_exist() -> bool:
        try:
            core.read_namespaced_endpoints(svc.metadata.name, ns)
            return True
        except ApiException:
            return False

    eventually(endpoints_exist)
    slice_ = eventually(
        lambda: next(iter(disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items), None)
    )
    assert (
        slice_.metadata.labels.get("endpointslice.kubernetes.io/managed-by")
        == "endpointslice-controller.k8s.io"
    )
    assert not slice_.endpoints
    core.delete_namespaced_service(svc.metadata.name, ns)
    eventually(lambda: not endpoints_exist())
    eventually(lambda: not disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items)


def _expect_endpoints_and_slices(
    api: client.ApiClient,
    ns: str,
    svc: client.V1Service,
    pods: list[client.V1Pod],
    num_subsets: int,
    num_slices: int,
    named_port: bool,
) -> None:
    """expectEndpointsAndSlices, check by check."""
    core = client.CoreV1Api(api)
    disc = client.DiscoveryV1Api(api)
    sel = f"kubernetes.io/service-name={svc.metadata.name}"

    def matching_slices() -> list[client.V1EndpointSlice] | None:
        items = disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items
        if not items or len(items) < num_slices:
            return None
        if sum(len(es.endpoints or []) for es in items) < len(pods):
            return None
        return items

    def matching_endpoints() -> client.V1Endpoints | None:
        try:
            ep = core.read_namespaced_endpoints(svc.metadata.name, ns)
        except ApiException:
            return None
        if len(ep.subsets or []) != num_subsets:
            return None
        ips = sum(len(s.addresses or []) + len(s.not_ready_addresses or []) for s in ep.subsets or [])
        return ep if ips == len(pods) else None

    slices = eventually(matching_slices)
    endpoints = eventually(matching_endpoints)
    pods_by_ip = {p.status.pod_ip: p for p in pods}
    for p in pods:
        assert len(p.spec.containers) == 1

    def ensure_pod_target_ref(pod: client.V1Pod, ref: client.V1ObjectReference | None) -> None:
        assert ref is not None
        assert (ref.kind, ref.namespace, ref.name, ref.uid) == (
            "Pod",
            pod.metadata.namespace,
            pod.metadata.name,
            pod.metadata.uid,
        )

    assert endpoints.metadata.name == svc.metadata.name
    total = 0
    for subset in endpoints.subsets or []:
        addresses = (subset.addresses or []) + (subset.not_ready_addresses or [])
        total += len(addresses)
        assert len(subset.ports) == len(svc.spec.ports)
        if not named_port:
            for sp, svp in zip(subset.ports, svc.spec.ports, strict=True):
                assert (sp.name, sp.protocol, sp.port) == (svp.name, svp.protocol, int(svp.target_port))
        for address in addresses:
            pod = pods_by_ip[address.ip]
            ensure_pod_target_ref(pod, address.target_ref)
            if named_port:
                for port in pod.spec.containers[0].ports:
                    if port.name == str(svc.spec.ports[0].target_port):
                        assert subset.ports[0].port == port.container_port
                        assert subset.ports[0].name == svc.spec.ports[0].name
    assert total == len(pods)
    if not pods:
        assert len(slices) == 1
    es_addresses = set()
    for es in slices:
        for e in es.endpoints or []:
            es_addresses.add(e.addresses[0])
        if not pods:
            assert not es.ports
        else:
            assert len(es.ports) == len(svc.spec.ports)
        if not named_port:
            for esp, svp in zip(es.ports or [], svc.spec.ports, strict=False):
                assert (esp.name, esp.protocol, esp.port) == (svp.name, svp.protocol, int(svp.target_port))
        for e in es.endpoints or []:
            assert e.addresses
            pod = pods_by_ip[e.addresses[0]]
            ensure_pod_target_ref(pod, e.target_ref)
            if named_port:
                for port in pod.spec.containers[0].ports:
                    if port.name == str(svc.spec.ports[0].target_port):
                        assert es.ports[0].port == port.container_port
                        assert es.ports[0].name == svc.spec.ports[0].name
    assert len(es_addresses) == len(pods)


def test_should_create_endpoints_and_endpointslices_for_pods_matching_a_service(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, node: str, manager: ControllerManager
) -> None:
    """network/endpointslice.go: "should create Endpoints and EndpointSlices for Pods matching a
    Service" (the Pods get their IPs the way a kubelet reports them)."""
    disc = client.DiscoveryV1Api(api)
    pod1 = simple_pod("pod1", node, {"pod1": "on", "shared12": "on"}, container="container1", image="nginx")
    pod1.spec.containers[0].ports = [client.V1ContainerPort(name="example-name", container_port=3000)]
    pod2 = simple_pod("pod2", node, {"pod2": "on", "shared12": "on"}, container="container1", image="nginx")
    pod2.spec.containers[0].ports = [
        client.V1ContainerPort(name="example-name", container_port=3001),
        client.V1ContainerPort(name="other-port", container_port=3002),
    ]
    core.create_namespaced_pod(ns, pod1)
    core.create_namespaced_pod(ns, pod2)

    def service(name: str, selector: dict[str, str], port_name: str, target: int | str) -> client.V1Service:
        return core.create_namespaced_service(
            ns,
            client.V1Service(
                metadata=client.V1ObjectMeta(name=name),
                spec=client.V1ServiceSpec(
                    selector=selector,
                    publish_not_ready_addresses=True,
                    ports=[client.V1ServicePort(name=port_name, port=80, target_port=target, protocol="TCP")],
                ),
            ),
        )

    svc1 = service("example-int-port", {"pod1": "on"}, "example", 3000)
    svc2 = service("example-named-port", {"shared12": "on"}, "http", "example-name")
    svc3 = service("example-no-match", {"pod3": "on"}, "example-no-match", 8080)
    # the kubelet starts the containers (not ready: the Services publish not-ready addresses)
    kubelet_runs(core, ns, "pod1", ready=False)
    kubelet_runs(core, ns, "pod2", ready=False)
    p1 = core.read_namespaced_pod("pod1", ns)
    p2 = core.read_namespaced_pod("pod2", ns)
    assert p1.status.pod_ips and p2.status.pod_ips

    # referencing a single matching pod
    _expect_endpoints_and_slices(api, ns, svc1, [p1], 1, 1, False)
    # referencing matching pods with named port
    _expect_endpoints_and_slices(api, ns, svc2, [p1, p2], 2, 2, True)
    # creating empty Endpoints and EndpointSlices for no matching Pods
    _expect_endpoints_and_slices(api, ns, svc3, [], 0, 1, False)
    # recreating EndpointSlices after they've been deleted
    for es in disc.list_namespaced_endpoint_slice(
        ns, label_selector="kubernetes.io/service-name=example-named-port"
    ).items:
        disc.delete_namespaced_endpoint_slice(es.metadata.name, ns)
    _expect_endpoints_and_slices(api, ns, svc2, [p1, p2], 2, 2, True)


def test_should_support_creating_endpointslice_api_operations(api: client.ApiClient, ns: str) -> None:
    """network/endpointslice.go: "should support creating EndpointSlice API operations"."""
    disc = client.DiscoveryV1Api(api)
    unique = ns
    template = client.V1EndpointSlice(
        metadata=client.V1ObjectMeta(generate_name="e2e-example-ing", labels={"special-label": unique}),
        address_type="IPv4",
        endpoints=[
            client.V1Endpoint(addresses=["1.2.3.4", "5.6.7.8"]),
            client.V1Endpoint(addresses=["2.2.3.4", "6.6.7.8"]),
        ],
    )
    # discovery: /apis, /apis/discovery.k8s.io, /apis/discovery.k8s.io/v1
    groups = client.ApisApi(api).get_api_versions().groups
    assert any(g.name == "discovery.k8s.io" and any(v.version == "v1" for v in g.versions) for g in groups)
    group = client.DiscoveryApi(api).get_api_group()
    assert any(v.version == "v1" for v in group.versions)
    resources = disc.get_api_resources().resources
    assert any(r.name == "endpointslices" for r in resources)

    # creating, getting, listing
    disc.create_namespaced_endpoint_slice(ns, template)
    disc.create_namespaced_endpoint_slice(ns, template)
    created = disc.create_namespaced_endpoint_slice(ns, template)
    assert disc.read_namespaced_endpoint_slice(created.metadata.name, ns).metadata.uid == created.metadata.uid
    sel = f"special-label={unique}"
    eps_list = disc.list_namespaced_endpoint_slice(ns, label_selector=sel)
    assert len(eps_list.items) == 3
    # watching
    w = Watcher(
        disc.list_namespaced_endpoint_slice,
        ns,
        resource_version=eps_list.metadata.resource_version,
        label_selector=sel,
    )
    try:
        # cluster-wide listing and watching
        assert len(disc.list_endpoint_slice_for_all_namespaces(label_selector=sel).items) == 3
        Watcher(
            disc.list_endpoint_slice_for_all_namespaces,
            resource_version=eps_list.metadata.resource_version,
            label_selector=sel,
        ).stop()
        # patching
        patched = disc.patch_namespaced_endpoint_slice(
            created.metadata.name, ns, {"metadata": {"annotations": {"patched": "true"}}}, _content_type=MERGE
        )
        assert patched.metadata.annotations["patched"] == "true"
        # updating
        to_update = disc.read_namespaced_endpoint_slice(created.metadata.name, ns)
        to_update.metadata.annotations["updated"] = "true"
        updated = disc.replace_namespaced_endpoint_slice(created.metadata.name, ns, to_update)
        assert updated.metadata.annotations["updated"] == "true"
        # waiting for watch events with expected annotations: every event is MODIFIED
        while True:
            ev = w.next(timeout=LONG)
            assert ev["type"] == "MODIFIED", ev["type"]
            if (ev["object"].metadata.annotations or {}).get("patched") == "true":
                break
    finally:
        w.stop()
    # deleting
    disc.delete_namespaced_endpoint_slice(created.metadata.name, ns)
    assert status_code(lambda: disc.read_namespaced_endpoint_slice(created.metadata.name, ns)) == 404
    eps_list = disc.list_namespaced_endpoint_slice(ns, label_selector=sel)
    assert len(eps_list.items) == 2
    assert all(e.metadata.name != created.metadata.name for e in eps_list.items)
    # deleting a collection
    disc.delete_collection_namespaced_endpoint_slice(ns, label_selector=sel)
    assert disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items == []


# ============================================================================= network/endpointslicemirroring.go


def test_should_mirror_a_custom_endpoints_resource_through_create_update_and_delete(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """network/endpointslicemirroring.go: "should mirror a custom Endpoints resource through
    create update and delete" (the update carries no resourceVersion: Endpoints allow an
    unconditional update)."""
    disc = client.DiscoveryV1Api(api)
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="example-custom-endpoints"),
            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(name="example", port=80, protocol="TCP")]),
        ),
    )
    name = svc.metadata.name
    sel = f"kubernetes.io/service-name={name}"

    def endpoints(ip: str) -> client.V1Endpoints:
        return client.V1Endpoints(
            metadata=client.V1ObjectMeta(name=name),
            subsets=[
                client.V1EndpointSubset(
                    ports=[client.CoreV1EndpointPort(port=80)], addresses=[client.V1EndpointAddress(ip=ip)]
                )
            ],
        )

    def mirrored(ip: str, exactly_one: bool) -> bool:
        items = disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items
        if not items or (exactly_one and len(items) != 1):
            return False
        for es in items:
            assert len(es.ports) == 1 and es.ports[0].port == 80
            assert len(es.endpoints) == 1 and len(es.endpoints[0].addresses) == 1
            if es.endpoints[0].addresses[0] != ip:
                return False
        return True

    # mirroring a new custom Endpoint
    core.create_namespaced_endpoints(ns, endpoints("10.1.2.3"))
    eventually(lambda: mirrored("10.1.2.3", False), timeout=LONG)
    # mirroring an update to a custom Endpoint
    core.replace_namespaced_endpoints(name, ns, endpoints("10.2.3.4"))
    eventually(lambda: mirrored("10.2.3.4", True), timeout=LONG)
    # mirroring deletion of a custom Endpoint
    core.delete_namespaced_endpoints(name, ns)
    eventually(lambda: not disc.list_namespaced_endpoint_slice(ns, label_selector=sel).items, timeout=LONG)


# ============================================================================= common/node/lease.go


def _micro(seconds: int) -> dt.datetime:
    """metav1.MicroTime{Time: time.Time{}.Add(n * time.Second)}: year 1, n seconds in."""
    return dt.datetime(1, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=seconds)


def _lease_spec(holder: str, duration: int, acquire: int, renew: int, transitions: int) -> client.V1LeaseSpec:
    return client.V1LeaseSpec(
        holder_identity=holder,
        lease_duration_seconds=duration,
        acquire_time=_micro(acquire),
        renew_time=_micro(renew),
        lease_transitions=transitions,
    )


def test_lease_api_should_be_available(api: client.ApiClient, ns: str) -> None:
    """common/node/lease.go: "lease API should be available"."""
    leases = client.CoordinationV1Api(api)
    spec = _lease_spec("holder", 30, 2, 5, 0)
    coll = f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
    created = send(
        api, "POST", coll, client.V1Lease(metadata=client.V1ObjectMeta(name="lease"), spec=spec), "V1Lease"
    )
    read = leases.read_namespaced_lease("lease", ns)
    assert read.spec == spec

    created.spec = _lease_spec("holder2", 30, 20, 50, 1)
    send(api, "PUT", f"{coll}/lease", created, "V1Lease")
    read = leases.read_namespaced_lease("lease", ns)
    assert read.spec == created.spec

    # a strategic merge patch made as strategicpatch.CreateTwoWayMergePatch makes it: the
    # changed spec fields only
    patched_spec = _lease_spec("holder3", 60, 50, 70, 2)
    patch = {
        "spec": {
            "holderIdentity": "holder3",
            "leaseDurationSeconds": 60,
            "acquireTime": "0001-01-01T00:00:50.000000Z",
            "renewTime": "0001-01-01T00:01:10.000000Z",
            "leaseTransitions": 2,
        }
    }
    leases.patch_namespaced_lease("lease", ns, patch)
    read = leases.read_namespaced_lease("lease", ns)
    assert read.spec == patched_spec

    lease2 = client.V1Lease(
        metadata=client.V1ObjectMeta(name="lease2", labels={"deletecollection": "true"}),
        spec=_lease_spec("holder", 30, 2, 5, 0),
    )
    send(api, "POST", coll, lease2, "V1Lease")
    assert len(leases.list_namespaced_lease(ns).items) == 2
    leases.delete_collection_namespaced_lease(ns, label_selector="deletecollection=true")
    assert len(leases.list_namespaced_lease(ns).items) == 1
    leases.delete_namespaced_lease("lease", ns)
    assert status_code(lambda: leases.read_namespaced_lease("lease", ns)) == 404
    leases.list_lease_for_all_namespaces()


# ============================================================================= instrumentation/core_events.go


def test_events_should_manage_the_lifecycle_of_an_event(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """instrumentation/core_events.go: "should manage the lifecycle of an event" (and the
    older "should ensure that an event can be fetched, patched, deleted, and listed")."""
    core.create_namespaced_event(
        ns,
        client.CoreV1Event(
            metadata=client.V1ObjectMeta(name="event-test", labels={"testevent-constant": "true"}),
            message="This is a test event",
            reason="Test",
            type="Normal",
            count=1,
            involved_object=client.V1ObjectReference(namespace=ns),
        ),
    )
    events = core.list_event_for_all_namespaces(label_selector="testevent-constant=true")
    found = [e for e in events.items if e.metadata.name == "event-test" and e.metadata.namespace == ns]
    assert found, "unable to find test event"
    core.patch_namespaced_event("event-test", ns, {"message": "This is a test event - patched"})
    event = core.read_namespaced_event("event-test", ns)
    assert event.message == "This is a test event - patched"

    # updating the test event: a new series, sent without resourceVersion nor managedFields
    test_event = core.read_namespaced_event(event.metadata.name, ns)
    test_event.series = client.CoreV1EventSeries(
        count=100, last_observed_time=dt.datetime.fromtimestamp(1505828956, UTC)
    )
    test_event.metadata.resource_version = None
    test_event.metadata.managed_fields = None
    send(api, "PUT", f"/api/v1/namespaces/{ns}/events/event-test", test_event, "CoreV1Event")
    event = core.read_namespaced_event("event-test", ns)
    event.metadata.resource_version = None
    event.metadata.managed_fields = None
    assert event == test_event

    core.delete_namespaced_event("event-test", ns)
    events = core.list_event_for_all_namespaces(label_selector="testevent-constant=true")
    assert not [e for e in events.items if e.metadata.name == "event-test" and e.metadata.namespace == ns]


def test_events_should_delete_a_collection_of_events(core: client.CoreV1Api, ns: str) -> None:
    """instrumentation/core_events.go: "should delete a collection of events"."""
    names = ["test-event-1", "test-event-2", "test-event-3"]
    for name in names:
        core.create_namespaced_event(
            ns,
            client.CoreV1Event(
                metadata=client.V1ObjectMeta(name=name, labels={"testevent-set": "true"}),
                message=f"This is {name}",
                reason="Test",
                type="Normal",
                count=1,
                involved_object=client.V1ObjectReference(namespace=ns),
            ),
        )
    assert len(core.list_namespaced_event(ns, label_selector="testevent-set=true").items) == len(names)
    core.delete_collection_namespaced_event(ns, label_selector="testevent-set=true")
    eventually(lambda: core.list_namespaced_event(ns, label_selector="testevent-set=true").items == [])


# ============================================================================= instrumentation/events.go


def _new_test_event(ns: str, name: str, label: str) -> client.EventsV1Event:
    return client.EventsV1Event(
        metadata=client.V1ObjectMeta(name=name, labels={label: "true"}),
        regarding=client.V1ObjectReference(namespace=ns),
        event_time=dt.datetime.fromtimestamp(1505828956, UTC),
        note=f"This is {name}",
        action="Do",
        reason="Test",
        type="Normal",
        reporting_controller="test-controller",
        reporting_instance="test-node",
    )


def test_events_api_should_ensure_that_an_event_can_be_fetched_patched_deleted_and_listed(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """instrumentation/events.go: "Events API should ensure that an event can be fetched,
    patched, deleted, and listed"."""
    events = client.EventsV1Api(api)

    def exists_in(items: list[client.EventsV1Event]) -> bool:
        return any(e.metadata.name == "event-test" and e.metadata.namespace == ns for e in items)

    coll = f"/apis/events.k8s.io/v1/namespaces/{ns}/events"
    send(api, "POST", coll, _new_test_event(ns, "event-test", "testevent-constant"), "EventsV1Event")
    assert exists_in(events.list_event_for_all_namespaces(label_selector="testevent-constant=true").items)
    assert exists_in(events.list_namespaced_event(ns, label_selector="testevent-constant=true").items)
    # field selection: core/v1 "source" falls back to reportingController; events.k8s.io
    # selects on reportingController
    filtered = core.list_namespaced_event(ns, field_selector="source=test-controller").items
    assert [e.metadata.name for e in filtered] == ["event-test"]
    filtered2 = events.list_namespaced_event(ns, field_selector="reportingController=test-controller").items
    assert [e.metadata.name for e in filtered2] == ["event-test"]

    test_event = events.read_namespaced_event("event-test", ns)
    # patching the test event: the two-way strategic merge patch that adds a series (the
    # note, like every field but the series, is immutable through events.k8s.io)
    series = client.EventsV1EventSeries(
        count=2, last_observed_time=dt.datetime.fromtimestamp(1505828951, UTC)
    )
    patch = {"series": {"count": 2, "lastObservedTime": "2017-09-19T13:49:11.000000Z"}}
    events.patch_namespaced_event("event-test", ns, patch)
    event = events.read_namespaced_event("event-test", ns)
    event.metadata.resource_version = None
    test_event.metadata.resource_version = None
    event.metadata.managed_fields = None
    test_event.metadata.managed_fields = None
    test_event.series = series
    assert event == test_event

    # updating the test event (no resourceVersion: an unconditional update)
    test_event.series = client.EventsV1EventSeries(
        count=100, last_observed_time=dt.datetime.fromtimestamp(1505828956, UTC)
    )
    send(api, "PUT", f"{coll}/event-test", test_event, "EventsV1Event")
    event = events.read_namespaced_event("event-test", ns)
    event.metadata.resource_version = None
    event.metadata.managed_fields = None
    assert event == test_event

    events.delete_namespaced_event("event-test", ns)
    assert not exists_in(events.list_event_for_all_namespaces(label_selector="testevent-constant=true").items)
    assert not exists_in(events.list_namespaced_event(ns, label_selector="testevent-constant=true").items)


def test_events_api_should_delete_a_collection_of_events(api: client.ApiClient, ns: str) -> None:
    """instrumentation/events.go: "Events API should delete a collection of events"."""
    events = client.EventsV1Api(api)
    names = ["test-event-1", "test-event-2", "test-event-3"]
    for name in names:
        send(
            api,
            "POST",
            f"/apis/events.k8s.io/v1/namespaces/{ns}/events",
            _new_test_event(ns, name, "testevent-set"),
            "EventsV1Event",
        )
    assert len(events.list_namespaced_event(ns, label_selector="testevent-set=true").items) == len(names)
    events.delete_collection_namespaced_event(ns, label_selector="testevent-set=true")
    assert events.list_namespaced_event(ns, label_selector="testevent-set=true").items == []


# ============================================================================= apimachinery/namespace.go


def _wait_namespace_gone(core: client.CoreV1Api, name: str) -> None:
    def gone() -> bool:
        try:
            core.read_namespace(name)
            return False
        except ApiException as e:
            return e.status == 404

    eventually(gone, timeout=60)


def test_namespaces_should_ensure_that_all_pods_are_removed_when_a_namespace_is_deleted(
    core: client.CoreV1Api, node: str, manager: ControllerManager
) -> None:
    """apimachinery/namespace.go: "should ensure that all pods are removed when a namespace is
    deleted" (the Pod 'runs' as the kubelet reports it; the kubelet then confirms the graceful
    deletion the namespace controller asked for).  The Pod's grace period is 1 s instead of the
    default 30: the namespace controller looks again after half the longest grace period."""
    name = f"nsdeletetest-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_pod(
        name,
        simple_pod("test-pod", node, container="nginx", image="pause", termination_grace_period_seconds=1),
    )
    kubelet_runs(core, name, "test-pod")
    core.delete_namespace(name)

    def gone() -> bool:
        kubelet_finishes_deletions(core, name)
        try:
            core.read_namespace(name)
            return False
        except ApiException as e:
            return e.status == 404

    eventually(gone, timeout=60, interval=0.5)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert status_code(lambda: core.read_namespaced_pod("test-pod", name)) == 404
    core.delete_namespace(name)


def test_namespaces_should_ensure_that_all_services_are_removed_when_a_namespace_is_deleted(
    core: client.CoreV1Api, manager: ControllerManager
) -> None:
    """apimachinery/namespace.go: "should ensure that all services are removed when a namespace
    is deleted"."""
    name = f"nsdeletetest-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_service(
        name,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="test-service"),
            spec=client.V1ServiceSpec(
                selector={"foo": "bar", "baz": "blah"}, ports=[client.V1ServicePort(port=80, target_port=80)]
            ),
        ),
    )
    core.delete_namespace(name)
    _wait_namespace_gone(core, name)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert status_code(lambda: core.read_namespaced_service("test-service", name)) == 404
    core.delete_namespace(name)


def test_namespaces_should_patch_a_namespace(core: client.CoreV1Api) -> None:
    """apimachinery/namespace.go: "should patch a Namespace"."""
    name = f"nspatchtest-{uuid.uuid4()}"
    ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert int(ns.metadata.resource_version) > 0
    patched = core.patch_namespace(name, {"metadata": {"labels": {"testLabel": "testValue"}}})
    assert int(ns.metadata.resource_version) < int(patched.metadata.resource_version)
    assert core.read_namespace(name).metadata.labels["testLabel"] == "testValue"
    core.delete_namespace(name)


def test_namespaces_should_apply_changes_to_a_namespace_status(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/namespace.go: "should apply changes to a namespace status"."""
    dyn = dynamic.DynamicClient(api)
    ns_status = dyn.resources.get(api_version="v1", kind="Namespace").subresources["status"]
    st = dyn.get(ns_status, name=ns)
    assert st.status.phase == "Active"
    cond = {"type": "StatusPatch", "status": "True", "reason": "E2E", "message": "Patched by an e2e test"}
    patched = core.patch_namespace_status(
        ns,
        {"metadata": {"annotations": {"e2e-patched-ns-status": ns}}, "status": {"conditions": [cond]}},
        _content_type=MERGE,
    )
    assert patched.metadata.annotations["e2e-patched-ns-status"] == ns
    assert patched.status.conditions[-1].reason == "E2E"
    assert patched.status.conditions[-1].message == "Patched by an e2e test"

    raw_ns = dyn.get(ns_status, name=ns).to_dict()
    to_update = api.deserialize(json.dumps(raw_ns), "V1Namespace", "application/json")
    to_update.status.conditions = [
        *(to_update.status.conditions or []),
        client.V1NamespaceCondition(
            type="StatusUpdate", status="True", reason="E2E", message="Updated by an e2e test"
        ),
    ]
    updated = core.replace_namespace_status(ns, to_update)
    assert updated.status.conditions[-1].type == "StatusUpdate"
    assert updated.status.conditions[-1].message == "Updated by an e2e test"


def test_namespaces_should_apply_an_update_to_a_namespace(core: client.CoreV1Api, ns: str) -> None:
    """apimachinery/namespace.go: "should apply an update to a Namespace" (the framework's
    namespaces carry labels; the apiserver's own kubernetes.io/metadata.name is one)."""
    updated = core.read_namespace(ns)
    updated.metadata.labels[ns] = "updated"
    updated = core.replace_namespace(ns, updated)
    assert updated.metadata.labels[ns] == "updated"


def test_namespaces_should_apply_a_finalizer_to_a_namespace(core: client.CoreV1Api) -> None:
    """apimachinery/namespace.go: "should apply a finalizer to a Namespace" (PUT
    namespaces/<name>/finalize)."""
    fake = "e2e.example.com/fakeFinalizer"
    name = f"e2e-ns-{uuid.uuid4().hex[:5]}"
    created = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert created.spec.finalizers == ["kubernetes"]
    to_update = core.read_namespace(name)
    to_update.spec.finalizers = [*(to_update.spec.finalizers or []), fake]
    updated = core.replace_namespace_finalize(name, to_update)
    assert fake in updated.spec.finalizers
    to_update = core.read_namespace(name)
    to_update.spec.finalizers = [f for f in to_update.spec.finalizers if f != fake]
    updated = core.replace_namespace_finalize(name, to_update)
    assert fake not in (updated.spec.finalizers or [])
    core.delete_namespace(name)


def test_ordered_namespace_deletion_namespace_deletion_should_delete_pod_first(
    core: client.CoreV1Api, node: str, manager: ControllerManager
) -> None:
    """apimachinery/namespace.go: "OrderedNamespaceDeletion namespace deletion should delete pod
    first" (a Service stands in for upstream's ConfigMap; the Pod's grace period is 1 s instead
    of 30 so that the namespace controller looks again within two seconds)."""
    ns = f"nsdeletetest-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    pod = simple_pod("test-pod", node, container="nginx", image="pause", termination_grace_period_seconds=1)
    pod.metadata.finalizers = ["e2e.example.com/finalizer"]
    core.create_namespaced_pod(ns, pod)
    kubelet_runs(core, ns, "test-pod")
    core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="test-configmap"),
            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)]),
        ),
    )
    core.delete_namespace(ns)

    def processed() -> bool:
        got = core.read_namespace(ns)  # a 404 here fails: deleted unexpectedly
        return got.status.phase == "Terminating" and any(
            c.type == "NamespaceDeletionContentFailure" for c in got.status.conditions or []
        )

    eventually(processed)

    def pod_deleted_first() -> bool:
        core.read_namespaced_service("test-configmap", ns)  # must still exist
        return core.read_namespaced_pod("test-pod", ns).metadata.deletion_timestamp is not None

    eventually(pod_deleted_first)
    time.sleep(3)  # the controller has looked again (grace 1 s): the Service is still there
    core.read_namespaced_service("test-configmap", ns)
    p = core.read_namespaced_pod("test-pod", ns)
    p.metadata.finalizers = []
    core.replace_namespaced_pod("test-pod", ns, p)

    def pod_gone() -> bool:
        kubelet_finishes_deletions(core, ns)
        return gone(lambda: core.read_namespaced_pod("test-pod", ns))

    eventually(pod_gone)
    _wait_namespace_gone(core, ns)


# ============================================================================= node/node_lifecycle.go


def test_node_lifecycle_should_run_through_the_lifecycle_of_a_node(core: client.CoreV1Api) -> None:
    """node/node_lifecycle.go: "should run through the lifecycle of a node"."""
    name = f"e2e-fake-node-{uuid.uuid4().hex[:5]}"
    fake = client.V1Node(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1NodeSpec(unschedulable=True),
        status=client.V1NodeStatus(
            phase="Running",
            conditions=[
                client.V1NodeCondition(status="True", message="Set from e2e test", reason="E2E", type="Ready")
            ],
        ),
    )
    created = core.create_node(fake)
    assert created.metadata.name == name and int(created.metadata.resource_version) > 0
    assert core.read_node(name).metadata.name == name
    patched = core.patch_node(name, {"metadata": {"labels": {name: "patched"}}})
    assert patched.metadata.labels[name] == "patched"
    assert int(created.metadata.resource_version) < int(patched.metadata.resource_version)
    assert len(core.list_node(label_selector=f"{name}=patched").items) == 1
    tmp = core.read_node(name)
    tmp.metadata.labels[name] = "updated"
    updated = core.replace_node(name, tmp)
    assert updated.metadata.labels[name] == "updated"
    core.delete_node(name)
    eventually(lambda: gone(lambda: core.read_node(name)))


# ============================================================================= common/node/pods.go


def test_pods_should_delete_a_collection_of_pods(core: client.CoreV1Api, ns: str, node: str) -> None:
    """common/node/pods.go: "should delete a collection of pods" (the kubelet's part: the Pods
    run, and it confirms each graceful deletion)."""
    for name in ("test-pod-1", "test-pod-2", "test-pod-3"):
        core.create_namespaced_pod(
            ns,
            simple_pod(
                name,
                node,
                {"type": "Testing"},
                container="token-test",
                termination_grace_period_seconds=1,
                restart_policy="Never",
            ),
        )
        kubelet_runs(core, ns, name)
    running = core.list_namespaced_pod(ns).items
    assert len(running) == 3 and all(p.status.phase == "Running" for p in running)
    core.delete_collection_namespaced_pod(ns, label_selector="type=Testing", grace_period_seconds=1)
    terminating = core.list_namespaced_pod(ns, label_selector="type=Testing").items
    assert all(
        p.metadata.deletion_timestamp and p.metadata.deletion_grace_period_seconds == 1 for p in terminating
    )

    def gone() -> bool:
        kubelet_finishes_deletions(core, ns)
        return core.list_namespaced_pod(ns, label_selector="type=Testing").items == []

    eventually(gone)


def test_pods_should_run_through_the_lifecycle_of_pods_and_podstatus(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, node: str
) -> None:
    """common/node/pods.go: "should run through the lifecycle of Pods and PodStatus"."""
    sel = "test-pod-static=true"
    pods_list = core.list_pod_for_all_namespaces(label_selector=sel)
    w = Watcher(
        core.list_namespaced_pod, ns, label_selector=sel, resource_version=pods_list.metadata.resource_version
    )
    try:
        core.create_namespaced_pod(
            ns,
            simple_pod(
                "pod-test",
                node,
                {"test-pod-static": "true"},
                container="pod-test",
                termination_grace_period_seconds=1,
            ),
        )
        kubelet_runs(core, ns, "pod-test")
        w.until(
            lambda e: (
                e["object"].metadata.name == "pod-test"
                and e["object"].metadata.labels.get("test-pod-static") == "true"
                and e["object"].status.phase == "Running"
            )
        )
        p = core.read_namespaced_pod("pod-test", ns)
        assert p.status.phase == "Running"
        # patching the Pod with a new Label and updated data (strategic merge: containers by name)
        patch = {
            "metadata": {"labels": {"test-pod": "patched"}},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{"name": "pod-test", "image": "httpd"}],
            },
        }
        core.patch_namespaced_pod("pod-test", ns, patch)
        w.until(
            lambda e: e["type"] == "MODIFIED" and e["object"].metadata.labels.get("test-pod-static") == "true"
        )
        pod = core.read_namespaced_pod("pod-test", ns)
        assert pod.metadata.labels["test-pod"] == "patched"
        assert pod.spec.containers[0].image == "httpd"

        # replacing the Pod's status Ready condition to False (read through the dynamic client)
        dyn = dynamic.DynamicClient(api)
        pod_status = dyn.resources.get(api_version="v1", kind="Pod").subresources["status"]
        raw_pod = dyn.get(pod_status, name="pod-test", namespace=ns).to_dict()
        flipped = 0
        for cond in raw_pod["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady") and cond["status"] == "True":
                cond["status"] = "False"
                flipped += 1
        assert flipped == 2
        updated = send(api, "PUT", f"/api/v1/namespaces/{ns}/pods/pod-test/status", raw_pod, "V1Pod")
        assert (
            sum(
                c.type in ("Ready", "ContainersReady") and c.status == "False"
                for c in updated.status.conditions
            )
            == 2
        )

        # deleting the Pod via a Collection with a LabelSelector
        pre_delete_rv = updated.metadata.resource_version
        w.stop()
        w = Watcher(core.list_namespaced_pod, ns, label_selector=sel, resource_version=pre_delete_rv)
        core.delete_collection_namespaced_pod(ns, label_selector=sel, grace_period_seconds=1)
        kubelet_finishes_deletions(core, ns)
        w.until(
            lambda e: e["type"] == "DELETED" and e["object"].metadata.labels.get("test-pod-static") == "true"
        )
        assert status_code(lambda: core.read_namespaced_pod("pod-test", ns)) == 404
    finally:
        w.stop()


def test_pods_should_patch_a_pod_status(core: client.CoreV1Api, ns: str, node: str) -> None:
    """common/node/pods.go: "should patch a pod status"."""
    name = f"pod-{uuid.uuid4().hex[:5]}"
    core.create_namespaced_pod(ns, simple_pod(name, node, {"e2e": name}, termination_grace_period_seconds=1))
    kubelet_runs(core, ns, name)
    p = core.patch_namespaced_pod_status(
        name,
        ns,
        {
            "metadata": {"annotations": {"patchedstatus": "true"}},
            "status": {"message": "Patched by e2e test", "reason": "E2E"},
        },
        _content_type=MERGE,
    )
    assert p.status.message == "Patched by e2e test"
    assert p.status.reason == "E2E"


def test_pods_should_be_updated(core: client.CoreV1Api, ns: str, node: str) -> None:
    """common/node/pods.go: "should be updated" (the label update, queried by selector)."""
    value = str(int(time.time() * 1e9))
    core.create_namespaced_pod(ns, simple_pod("pod-update", node, {"name": "foo", "time": value}))
    kubelet_runs(core, ns, "pod-update")
    assert len(core.list_namespaced_pod(ns, label_selector=f"time={value}").items) == 1
    pod = core.read_namespaced_pod("pod-update", ns)
    new_value = str(int(time.time() * 1e9) + 1)
    pod.metadata.labels["time"] = new_value
    core.replace_namespaced_pod("pod-update", ns, pod)
    assert len(core.list_namespaced_pod(ns, label_selector=f"time={new_value}").items) == 1


def test_pods_should_be_submitted_and_removed(core: client.CoreV1Api, ns: str, node: str) -> None:
    """common/node/pods.go: "should be submitted and removed": the watch sees the Pod added,
    the graceful deletion (deletionTimestamp and grace period set) and, once the kubelet
    confirms it, the DELETED event; the selector then finds nothing."""
    value = str(int(time.time() * 1e9))
    sel = f"time={value}"
    assert core.list_namespaced_pod(ns, label_selector=sel).items == []
    options = core.list_namespaced_pod(ns, label_selector=sel)
    w = Watcher(
        core.list_namespaced_pod, ns, label_selector=sel, resource_version=options.metadata.resource_version
    )
    try:
        core.create_namespaced_pod(ns, simple_pod("pod-submit-remove", node, {"name": "foo", "time": value}))
        assert len(core.list_namespaced_pod(ns, label_selector=sel).items) == 1
        ev = w.next(timeout=LONG)
        assert ev["type"] == "ADDED"
        kubelet_runs(core, ns, "pod-submit-remove")
        core.delete_namespaced_pod("pod-submit-remove", ns, grace_period_seconds=30)
        ev = w.until(lambda e: e["object"].metadata.deletion_timestamp is not None)
        assert ev["object"].metadata.deletion_grace_period_seconds == 30
        kubelet_finishes_deletions(core, ns)
        # upstream's store writes the kubelet's zero grace period (MODIFIED), then deletes
        zero = w.until(lambda e: e["object"].metadata.deletion_grace_period_seconds == 0)
        assert zero["type"] == "MODIFIED"
        last = w.until(lambda e: e["type"] == "DELETED")
        assert last["object"].metadata.deletion_timestamp is not None
        assert last["object"].spec.termination_grace_period_seconds
        assert last["object"].metadata.deletion_grace_period_seconds == 0  # that last state
    finally:
        w.stop()
    assert core.list_namespaced_pod(ns, label_selector=sel).items == []


# ============================================================================= apimachinery/watch.go
#
# Upstream watches ConfigMaps, which we do not serve; these ports watch Endpoints (a plain
# namespaced object with no spec and no controller writing it unless a Service selects), and
# the ConfigMap's `data` mutation becomes one address in `subsets`.

WATCH_LABEL = "watch-this-configmap"


def _watch_endpoints(core: client.CoreV1Api, ns: str, resource_version: str, *values: str) -> Watcher:
    """watchConfigMaps: a label selector `<key> in (<values>)` (metav1.FormatLabelSelector)."""
    sel = f"{WATCH_LABEL} in ({','.join(values)})"
    kwargs: dict[str, Any] = {"label_selector": sel}
    if resource_version:
        kwargs["resource_version"] = resource_version
    return Watcher(core.list_namespaced_endpoints, ns, **kwargs)


def _labeled_endpoints(name: str, value: str) -> client.V1Endpoints:
    return client.V1Endpoints(metadata=client.V1ObjectMeta(name=name, labels={WATCH_LABEL: value}))


def _update_endpoints(
    core: client.CoreV1Api, ns: str, name: str, mutate: Callable[[client.V1Endpoints], None]
) -> client.V1Endpoints:
    """updateConfigMap: get, mutate, update (retried on a conflict)."""
    for _ in range(5):
        ep = core.read_namespaced_endpoints(name, ns)
        mutate(ep)
        try:
            return core.replace_namespaced_endpoints(name, ns, ep)
        except ApiException as e:
            if e.status != 409:
                raise
    raise AssertionError("too many conflicts")


def _set_mutation(n: int) -> Callable[[client.V1Endpoints], None]:
    def mutate(ep: client.V1Endpoints) -> None:
        ep.subsets = [
            client.V1EndpointSubset(
                addresses=[client.V1EndpointAddress(ip=f"10.0.0.{n}")],
                ports=[client.CoreV1EndpointPort(port=80)],
            )
        ]

    return mutate


def test_watchers_should_observe_add_update_and_delete_watch_notifications(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/watch.go: "should observe add, update, and delete watch notifications on
    configmaps" (on Endpoints): three watchers (label A, label B, A or B) each see exactly the
    changes of the objects their selector matches, the very objects the writes returned."""
    a_val, b_val = "multiple-watchers-A", "multiple-watchers-B"
    watch_a = _watch_endpoints(core, ns, "", a_val)
    watch_b = _watch_endpoints(core, ns, "", b_val)
    watch_ab = _watch_endpoints(core, ns, "", a_val, b_val)
    try:
        ep_a = core.create_namespaced_endpoints(ns, _labeled_endpoints("e2e-watch-test-configmap-a", a_val))
        watch_a.expect("ADDED", ep_a)
        watch_ab.expect("ADDED", ep_a)
        watch_b.expect_none("ADDED", ep_a)

        ep_a = _update_endpoints(core, ns, ep_a.metadata.name, _set_mutation(1))
        watch_a.expect("MODIFIED", ep_a)
        watch_ab.expect("MODIFIED", ep_a)
        watch_b.expect_none("MODIFIED", ep_a)

        ep_a = _update_endpoints(core, ns, ep_a.metadata.name, _set_mutation(2))
        watch_a.expect("MODIFIED", ep_a)
        watch_ab.expect("MODIFIED", ep_a)
        watch_b.expect_none("MODIFIED", ep_a)

        core.delete_namespaced_endpoints(ep_a.metadata.name, ns)
        watch_a.expect("DELETED")
        watch_ab.expect("DELETED")
        watch_b.expect_none("DELETED")

        ep_b = core.create_namespaced_endpoints(ns, _labeled_endpoints("e2e-watch-test-configmap-b", b_val))
        watch_b.expect("ADDED", ep_b)
        watch_ab.expect("ADDED", ep_b)
        watch_a.expect_none("ADDED", ep_b)

        core.delete_namespaced_endpoints(ep_b.metadata.name, ns)
        watch_b.expect("DELETED")
        watch_ab.expect("DELETED")
        watch_a.expect_none("DELETED")
    finally:
        for w in (watch_a, watch_b, watch_ab):
            w.stop()


def test_watchers_should_be_able_to_start_watching_from_a_specific_resource_version(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/watch.go: "should be able to start watching from a specific resource
    version" (on Endpoints)."""
    value = "from-resource-version"
    ep = core.create_namespaced_endpoints(ns, _labeled_endpoints("e2e-watch-test-resource-version", value))
    first = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(1))
    second = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(2))
    core.delete_namespaced_endpoints(ep.metadata.name, ns)
    w = _watch_endpoints(core, ns, first.metadata.resource_version, value)
    try:
        w.expect("MODIFIED", second)
        w.expect("DELETED")
    finally:
        w.stop()


def test_watchers_should_be_able_to_restart_watching_from_the_last_resource_version_observed(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/watch.go: "should be able to restart watching from the last resource
    version observed by the previous watch" (on Endpoints)."""
    value = "watch-closed-and-restarted"
    broken = _watch_endpoints(core, ns, "", value)
    ep = core.create_namespaced_endpoints(ns, _labeled_endpoints("e2e-watch-test-watch-closed", value))
    _update_endpoints(core, ns, ep.metadata.name, _set_mutation(1))
    broken.expect("ADDED", ep)
    last = broken.expect("MODIFIED", timeout=60)
    broken.stop()
    second = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(2))
    restarted = _watch_endpoints(core, ns, last["object"].metadata.resource_version, value)
    try:
        core.delete_namespaced_endpoints(ep.metadata.name, ns)
        restarted.expect("MODIFIED", second)
        restarted.expect("DELETED")
    finally:
        restarted.stop()


def test_watchers_should_observe_an_object_deletion_if_it_stops_meeting_the_requirements_of_the_selector(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/watch.go: "should observe an object deletion if it stops meeting the
    requirements of the selector" (on Endpoints)."""
    value = "label-changed-and-restored"
    w = _watch_endpoints(core, ns, "", value)
    try:
        ep = core.create_namespaced_endpoints(ns, _labeled_endpoints("e2e-watch-test-label-changed", value))
        first = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(1))

        def relabel(v: str) -> Callable[[client.V1Endpoints], None]:
            def mutate(e: client.V1Endpoints) -> None:
                e.metadata.labels[WATCH_LABEL] = v

            return mutate

        _update_endpoints(core, ns, ep.metadata.name, relabel("wrong-value"))
        w.expect("ADDED", ep)
        w.expect("MODIFIED", first)
        w.expect("DELETED")
        second = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(2))
        w.expect_none("MODIFIED", second)
        restored = _update_endpoints(core, ns, ep.metadata.name, relabel(value))
        third = _update_endpoints(core, ns, ep.metadata.name, _set_mutation(3))
        core.delete_namespaced_endpoints(ep.metadata.name, ns)
        w.expect("ADDED", restored)
        w.expect("MODIFIED", third)
        w.expect("DELETED")
    finally:
        w.stop()


def test_watchers_should_receive_events_on_concurrent_watches_in_same_order(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/watch.go: "should receive events on concurrent watches in same order" (on
    Endpoints): writes every 5 ms from a background thread (create, unconditional update,
    delete at random); a new watch from each event's resourceVersion, and every watch then
    sees the same next resourceVersion.  100 iterations, as upstream."""
    iterations = 100
    resource_version = core.list_namespaced_endpoints(ns).metadata.resource_version
    stop = threading.Event()
    failures: list[BaseException] = []

    def produce() -> None:
        rng = random.Random(7)
        existing: list[int] = []
        i = 0
        try:
            while not stop.is_set():
                op = rng.randrange(3) if existing else 0
                if op == 0:
                    core.create_namespaced_endpoints(
                        ns, client.V1Endpoints(metadata=client.V1ObjectMeta(name=f"cm-{i}"))
                    )
                    existing.append(i)
                    i += 1
                elif op == 1:
                    name = f"cm-{rng.choice(existing)}"
                    core.replace_namespaced_endpoints(
                        name, ns, client.V1Endpoints(metadata=client.V1ObjectMeta(name=name))
                    )
                else:
                    idx = rng.randrange(len(existing))
                    core.delete_namespaced_endpoints(f"cm-{existing.pop(idx)}", ns)
                time.sleep(0.005)
        except BaseException as exc:
            failures.append(exc)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    watchers: list[Watcher] = []
    try:
        for _ in range(iterations):
            watchers.append(Watcher(core.list_namespaced_endpoints, ns, resource_version=resource_version))
            resource_version = watchers[0].next(timeout=LONG)["object"].metadata.resource_version
            for wc in watchers[1:]:
                got = wc.next(timeout=LONG)["object"].metadata.resource_version
                assert got == resource_version, (
                    f"resource version mismatch, expected {resource_version} but got {got}"
                )
    finally:
        stop.set()
        producer.join(10)
        for wc in watchers:
            wc.stop()
    assert not failures, failures


# ============================================================================= apimachinery/table_conversion.go

TABLE_V1BETA1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"


def _print_table(table: dict[str, Any]) -> str:
    """printers.NewTablePrinter over a tabwriter (minwidth 5, tabwidth 8, padding 1): the
    upper-cased column names, then one line per row (priority-0 columns)."""
    cols = [i for i, c in enumerate(table["columnDefinitions"]) if c.get("priority", 0) == 0]
    lines = [[table["columnDefinitions"][i]["name"].upper() for i in cols]]
    lines += [[str(row["cells"][i]) for i in cols] for row in table.get("rows") or []]
    widths = [max(5, *(len(line[j]) + 1 for line in lines)) for j in range(len(cols))]
    return (
        "\n".join(
            "".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines
        )
        + "\n"
    )


def test_table_should_return_pod_details(
    api: client.ApiClient, core: client.CoreV1Api, ns: str, node: str
) -> None:
    """apimachinery/table_conversion.go: "should return pod details"."""
    pod = simple_pod("pod-1", None, container="agnhost", image="agnhost", restart_policy="Never")
    pod.spec.containers[0].ports = [client.V1ContainerPort(container_port=8080)]
    pod.spec.containers[0].env = [client.V1EnvVar(name="SERVE_PORT_8080", value="foo")]
    core.create_namespaced_pod(ns, pod)
    status, table = raw_request(api, "GET", f"/api/v1/namespaces/{ns}/pods/pod-1", accept=TABLE_V1BETA1)
    assert status == 200, table
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1beta1")
    assert len(table["columnDefinitions"]) > 2
    assert len(table["rows"]) == 1
    assert len(table["rows"][0]["cells"]) == len(table["columnDefinitions"])
    assert table["columnDefinitions"][0]["name"] == "Name"
    assert table["rows"][0]["cells"][0] == "pod-1"
    out = _print_table(table)
    assert re.match(r"^NAME\s", out) and re.search(r"\npod-1\s", out), out


def test_table_should_return_chunks_of_table_results_for_list_calls(
    api: client.ApiClient, core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/table_conversion.go: "should return chunks of table results for list calls"
    (20 Endpoints for upstream's PodTemplates)."""
    for i in range(20):
        core.create_namespaced_endpoints(
            ns, client.V1Endpoints(metadata=client.V1ObjectMeta(name=f"template-{i:04d}"))
        )
    path = f"/api/v1/namespaces/{ns}/endpoints"
    status, paged = raw_request(api, "GET", path, accept=TABLE_V1BETA1, query=[("limit", 2)])
    assert status == 200, paged
    assert len(paged["rows"]) == 2
    assert paged["metadata"]["resourceVersion"] != ""
    assert paged["metadata"].get("continue", "") != ""
    assert [r["cells"][0] for r in paged["rows"]] == ["template-0000", "template-0001"]
    status, paged = raw_request(
        api, "GET", path, accept=TABLE_V1BETA1, query=[("continue", paged["metadata"]["continue"])]
    )
    assert status == 200, paged
    assert paged["rows"]
    assert paged["rows"][0]["cells"][0] == "template-0002"


def test_table_should_return_generic_metadata_details_across_all_namespaces_for_nodes(
    api: client.ApiClient, node: str
) -> None:
    """apimachinery/table_conversion.go: "should return generic metadata details across all
    namespaces for nodes"."""
    status, table = raw_request(api, "GET", "/api/v1/nodes", accept=TABLE_V1BETA1)
    assert status == 200, table
    assert len(table["columnDefinitions"]) >= 2
    assert table["rows"]
    assert len(table["rows"][0]["cells"]) == len(table["columnDefinitions"])
    assert table["columnDefinitions"][0]["name"] == "Name"
    assert table["metadata"]["resourceVersion"] != ""
    assert re.match(r"^NAME\s", _print_table(table))


def test_table_should_return_a_406_for_a_backend_which_does_not_implement_metadata(
    api: client.ApiClient,
) -> None:
    """apimachinery/table_conversion.go: "should return a 406 for a backend which does not
    implement metadata" (a SelfSubjectAccessReview asked for as a Table)."""
    sar = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "spec": {"nonResourceAttributes": {"path": "/", "verb": "get"}},
    }
    status, body = raw_request(
        api,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        accept="application/json;as=Table;v=v1;g=meta.k8s.io",
        body=sar,
    )
    assert status == 406, body
    assert body["kind"] == "Status" and body["code"] == 406


# ============================================================================= apimachinery/discovery.go, server_version.go


def test_discovery_should_validate_preferredversion_for_each_apigroup(api: client.ApiClient) -> None:
    """apimachinery/discovery.go: "should validate PreferredVersion for each APIGroup"."""
    status, groups = raw_request(api, "GET", "/apis/")
    assert status == 200 and groups["groups"], groups
    for group in groups["groups"]:
        if group["name"].endswith(".example.com"):
            continue
        status, check = raw_request(api, "GET", f"/apis/{group['name']}/")
        assert status == 200, (group["name"], check)
        assert check["versions"], group["name"]
        assert any(v["groupVersion"] == check["preferredVersion"]["groupVersion"] for v in check["versions"])


def test_discovery_should_locate_the_groupversion_and_a_resource_within_each_apigroup(
    api: client.ApiClient,
) -> None:
    """apimachinery/discovery.go: "should locate the groupVersion and a resource within each
    APIGroup" -- the rows for the groups we serve (apps, batch, policy, storage and the other
    groups of the table are not ours; authentication.k8s.io's row names tokenreviews, which we
    do not serve either)."""
    rows = [
        ("/api", "", "v1", "namespaces"),
        ("/apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
        ("/apis", "coordination.k8s.io", "v1", "leases"),
        ("/apis", "discovery.k8s.io", "v1", "endpointslices"),
        ("/apis", "events.k8s.io", "v1", "events"),
    ]
    for base, group, version, resource in rows:
        path = "/".join(p for p in (base, group, version) if p)
        status, resource_list = raw_request(api, "GET", path)
        assert status == 200, (path, resource_list)
        assert resource_list["groupVersion"] == (f"{group}/{version}" if group else version)
        assert any(r["name"] == resource for r in resource_list["resources"]), (path, resource)


def test_server_version_should_find_the_server_version(api: client.ApiClient) -> None:
    """apimachinery/server_version.go: "should find the server version": major and minor are
    integers (a trailing "+" allowed, as upstream strips it)."""
    info = client.VersionApi(api).get_code()
    assert re.fullmatch(r"\d+\+?", info.major) and re.fullmatch(r"\d+\+?", info.minor), info
    assert info.git_version.startswith(f"v{info.major.rstrip('+')}.{info.minor.rstrip('+')}.")


# ============================================================================= apimachinery/aggregated_discovery.go

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
# client-go's discovery client (AggregatedDiscoveryInterface) asks for this, then reads the
# answer as aggregated only when its Content-Type says so
CLIENT_GO_DISCOVERY_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
# expectedGVR / expectedLegacyGVR, the rows for the groups we serve
AGGREGATED_GVRS = [
    ("authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
    ("coordination.k8s.io", "v1", "leases"),
    ("discovery.k8s.io", "v1", "endpointslices"),
    ("events.k8s.io", "v1", "events"),
]
LEGACY_GVRS = [("", "v1", "namespaces")]


def _gvr_present(doc: dict[str, Any], group: str, version: str, resource: str) -> bool:
    """isGVRPresentAPIDiscovery."""
    return any(
        g["metadata"].get("name", "") == group
        and any(
            v["version"] == version and any(r["resource"] == resource for r in v.get("resources") or [])
            for v in g.get("versions") or []
        )
        for g in doc.get("items") or []
    )


def test_aggregated_discovery_should_support_raw_aggregated_discovery_endpoint_accept_headers(
    api: client.ApiClient,
) -> None:
    """apimachinery/aggregated_discovery.go: "should support raw aggregated discovery endpoint
    Accept headers" (the built-in resources of the groups we serve)."""
    status, _, groups = raw_response(api, "/apis", AGGREGATED_V2)
    assert status == 200 and groups["kind"] == "APIGroupDiscoveryList", groups
    for gvr in AGGREGATED_GVRS:
        assert _gvr_present(groups, *gvr), gvr
    status, _, legacy = raw_response(api, "/api", AGGREGATED_V2)
    assert status == 200, legacy
    for gvr in LEGACY_GVRS:
        assert _gvr_present(legacy, *gvr), gvr


def test_aggregated_discovery_should_support_aggregated_discovery_interface(api: client.ApiClient) -> None:
    """apimachinery/aggregated_discovery.go: "should support aggregated discovery interface":
    what client-go's GroupsAndMaybeResources reads -- the aggregated Content-Type on /api and
    /apis, and every expected group/version and resource in it."""
    docs = []
    for path in ("/api", "/apis"):
        status, ctype, doc = raw_response(api, path, CLIENT_GO_DISCOVERY_ACCEPT)
        assert status == 200
        mt = [p.strip() for p in ctype.split(";")]
        assert mt[0] == "application/json" and {
            "g=apidiscovery.k8s.io",
            "v=v2",
            "as=APIGroupDiscoveryList",
        } <= set(mt), ctype
        docs.append(doc)
    for gvr in LEGACY_GVRS + AGGREGATED_GVRS:
        assert any(_gvr_present(doc, *gvr) for doc in docs), gvr


# ============================================================================= apimachinery/garbage_collector.go


def test_garbage_collector_should_not_be_blocked_by_dependency_circle(
    core: client.CoreV1Api, ns: str, manager: ControllerManager
) -> None:
    """apimachinery/garbage_collector.go: "should not be blocked by dependency circle": pod1 is
    owned by pod3, pod2 by pod1, pod3 by pod2; a foreground deletion of pod1 (with its uid as
    precondition) ends with no Pod left."""

    def gc_pod(name: str) -> client.V1Pod:
        # newGCPod: zero grace period, one nginx container
        return core.create_namespaced_pod(
            ns, simple_pod(name, None, container="nginx", image="nginx", termination_grace_period_seconds=0)
        )

    pod1, pod2, pod3 = gc_pod("pod1"), gc_pod("pod2"), gc_pod("pod3")

    def add_ref(name: str, owner: client.V1Pod) -> client.V1Pod:
        ref = {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": owner.metadata.name,
            "uid": owner.metadata.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
        return core.patch_namespaced_pod(name, ns, {"metadata": {"ownerReferences": [ref]}})

    pod1 = add_ref("pod1", pod3)
    pod2 = add_ref("pod2", pod1)
    pod3 = add_ref("pod3", pod2)
    core.delete_namespaced_pod(
        "pod1",
        ns,
        body=client.V1DeleteOptions(
            propagation_policy="Foreground", preconditions=client.V1Preconditions(uid=pod1.metadata.uid)
        ),
    )
    eventually(lambda: core.list_namespaced_pod(ns).items == [], timeout=60)


# ============================================================================= node/pods.go


def test_pods_extended_pods_set_qos_class_should_be_set_on_pods_with_matching_resource_requests_and_limits(
    core: client.CoreV1Api, ns: str
) -> None:
    """node/pods.go: "Pods Set QOS Class should be set on Pods with matching resource requests
    and limits for memory and cpu" (the apiserver sets status.qosClass at creation)."""
    name = f"pod-qos-class-{uuid.uuid4()}"
    resources = client.V1ResourceRequirements(
        limits={"cpu": "100m", "memory": "100Mi"}, requests={"cpu": "100m", "memory": "100Mi"}
    )
    pod = simple_pod(name, None, {"name": name}, container="agnhost", image="agnhost")
    pod.spec.containers[0].resources = resources
    core.create_namespaced_pod(ns, pod)
    assert core.read_namespaced_pod(name, ns).status.qos_class == "Guaranteed"


def test_pods_should_allow_activedeadlineseconds_to_be_updated(
    core: client.CoreV1Api, ns: str, node: str
) -> None:
    """common/node/pods.go: "should allow activeDeadlineSeconds to be updated" -- the API part:
    a running Pod's update setting activeDeadlineSeconds succeeds.  The kubelet ending the Pod
    with reason DeadlineExceeded once it elapses is not ported."""
    value = str(int(time.time() * 1e9))
    name = f"pod-update-activedeadlineseconds-{uuid.uuid4()}"
    core.create_namespaced_pod(ns, simple_pod(name, node, {"name": "foo", "time": value}, container="pause"))
    kubelet_runs(core, ns, name)
    assert len(core.list_namespaced_pod(ns, label_selector=f"time={value}").items) == 1
    pod = core.read_namespaced_pod(name, ns)
    pod.spec.active_deadline_seconds = 5
    updated = core.replace_namespaced_pod(name, ns, pod)
    assert updated.spec.active_deadline_seconds == 5


# ============================================================================= apimachinery/field_validation.go
#
# The typed-object cases POST a Deployment; these ports POST a Service with the same faults
# (a duplicated `spec.type` for the Deployment's duplicated `spec.replicas`).


def _post_strict(api: client.ApiClient, ns: str, body: str) -> tuple[int, Any]:
    """RESTClient().Post()...Body([]byte(...)): the bytes as they are (the Python client's JSON
    requests always re-serialize a body, which would drop the duplicate key), over its own
    connection pool and credentials."""
    _, url, hdrs, _, _ = api.param_serialize(
        method="POST",
        resource_path=f"/api/v1/namespaces/{ns}/services",
        query_params=[("fieldManager", "field_validation_mgr"), ("fieldValidation", "Strict")],
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    resp = api.rest_client.pool_manager.request("POST", url, body=body.encode(), headers=hdrs)
    return resp.status, json.loads(resp.data)


def test_field_validation_should_detect_unknown_and_duplicate_fields_of_a_typed_object(
    api: client.ApiClient, ns: str
) -> None:
    """apimachinery/field_validation.go: "should detect unknown and duplicate fields of a typed
    object"."""
    body = """{
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my-svc", "labels": {"app": "nginx"}},
        "spec": {
            "unknownField": "foo",
            "type": "ClusterIP",
            "type": "NodePort",
            "selector": {"app": "nginx"},
            "ports": [{"port": 80}]
        }
    }"""
    status, err = _post_strict(api, ns, body)
    assert status == 400, err
    assert (
        'strict decoding error: unknown field "spec.unknownField", duplicate field "spec.type"'
        in err["message"]
    )


def test_field_validation_should_detect_unknown_metadata_fields_of_a_typed_object(
    api: client.ApiClient, ns: str
) -> None:
    """apimachinery/field_validation.go: "should detect unknown metadata fields of a typed
    object"."""
    body = """{
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my-svc", "unknownMeta": "foo", "labels": {"app": "nginx"}},
        "spec": {"selector": {"app": "nginx"}, "ports": [{"port": 80}]}
    }"""
    status, err = _post_strict(api, ns, body)
    assert status == 400, err
    assert 'strict decoding error: unknown field "metadata.unknownMeta"' in err["message"]
