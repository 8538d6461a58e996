"""The official `kubernetes` Python client doing what its users do, beyond plain CRUD: lists across
namespaces, watch resume and 410 Gone, status subresources, Leases and events.k8s.io Events with
(micro)time fields, DeleteOptions bodies, raw responses, selectors, error bodies, self reviews.

One server for the module, with aggressive compaction so that a stale watch gets its 410.
Each test uses its own namespace.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from tests.support.apiserver import ApiServer, start_apiserver

UTC = dt.UTC


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(
        tmp_path_factory.mktemp("pyclient-more") / "data",
        "--storage-compaction-revisions",
        "5",
        "--storage-compaction-interval",
        "0.2",
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def ns(api: client.ApiClient) -> str:
    name = f"py-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def service(name: str, port: int = 80, **spec: Any) -> client.V1Service:
    return client.V1Service(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1ServiceSpec(selector={"app": name}, ports=[client.V1ServicePort(port=port)], **spec),
    )


def raw(resp: Any) -> Any:
    return json.loads(resp.data)


def status_of(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


# ------------------------------------------------------------------------------ lists


def test_list_for_all_namespaces(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    names = [f"py-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for n in names:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=n)))
        core.create_namespaced_service(n, service("web"))
        client.CoordinationV1Api(api).create_namespaced_lease(
            n,
            client.V1Lease(
                metadata=client.V1ObjectMeta(name="lock"), spec=client.V1LeaseSpec(holder_identity="a")
            ),
        )
    listed = core.list_service_for_all_namespaces(label_selector="app=web")
    assert {(s.metadata.namespace, s.metadata.name) for s in listed.items} >= {(n, "web") for n in names}
    assert listed.metadata.resource_version
    leases = client.CoordinationV1Api(api).list_lease_for_all_namespaces(field_selector="metadata.name=lock")
    assert {(x.metadata.namespace, x.spec.holder_identity) for x in leases.items} >= {(n, "a") for n in names}
    # Paging across namespaces: limit + continue visit every item exactly once.
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        page = core.list_service_for_all_namespaces(limit=1, _continue=token)
        seen += [(s.metadata.namespace, s.metadata.name) for s in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count is None or page.metadata.remaining_item_count >= 1
    assert len(seen) == len(set(seen)) and {(n, "web") for n in names} <= set(seen)
    for n in names:
        assert [e.metadata.name for e in core.list_namespaced_endpoints(n).items] == []
    assert isinstance(client.DiscoveryV1Api(api).list_endpoint_slice_for_all_namespaces().items, list)
    assert isinstance(core.list_pod_for_all_namespaces(field_selector="status.phase=Running").items, list)


def test_selectors_and_their_errors(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_service(ns, service("a"))
    core.create_namespaced_service(ns, service("b", type="NodePort"))
    assert [
        s.metadata.name for s in core.list_namespaced_service(ns, label_selector="app in (a,x)").items
    ] == ["a"]
    assert [s.metadata.name for s in core.list_namespaced_service(ns, label_selector="app!=a").items] == ["b"]
    assert [
        s.metadata.name for s in core.list_namespaced_service(ns, field_selector="metadata.name!=a").items
    ] == ["b"]
    with pytest.raises(ApiException) as bad_field:
        core.list_namespaced_service(ns, field_selector="spec.bogus=x")
    assert bad_field.value.status == 400
    assert status_of(bad_field.value)["message"] == "field label not supported: spec.bogus"
    with pytest.raises(ApiException) as bad_label:
        core.list_namespaced_service(ns, label_selector="app in (")
    assert bad_label.value.status == 400
    assert status_of(bad_label.value)["reason"] == "BadRequest"


# ------------------------------------------------------------------------------ watch


def test_watch_resume_from_resource_version(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_service(ns).metadata.resource_version
    core.create_namespaced_service(ns, service("w1"))
    core.create_namespaced_service(ns, service("w2"))
    w = watch.Watch()
    events = [
        (e["type"], e["object"].metadata.name, e["object"].metadata.resource_version)
        for e in w.stream(core.list_namespaced_service, ns, resource_version=rv, timeout_seconds=1)
    ]
    assert [(t, n) for t, n, _ in events] == [("ADDED", "w1"), ("ADDED", "w2")]
    # Resuming from the first event's resourceVersion replays only what came after it.
    core.delete_namespaced_service("w1", ns)
    after_first = events[0][2]
    resumed = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_service, ns, resource_version=after_first, timeout_seconds=1
        )
    ]
    assert resumed == [("ADDED", "w2"), ("DELETED", "w1")]


def test_watch_from_compacted_revision_is_410(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    old_rv = core.list_namespaced_service(ns).metadata.resource_version
    for i in range(12):
        core.create_namespaced_service(ns, service(f"c{i}"))
    deadline = time.monotonic() + 60
    gone: ApiException | None = None
    while time.monotonic() < deadline and gone is None:
        try:
            for _ in watch.Watch().stream(
                core.list_namespaced_service, ns, resource_version=old_rv, timeout_seconds=1
            ):
                pass
        except ApiException as exc:
            gone = exc
        else:
            time.sleep(0.3)
    assert gone is not None, "the compacted revision was never reported"
    # The ERROR event's Status, as watch.Watch reports it (after its one retry).
    assert gone.status == 410
    assert gone.reason.startswith("Expired: too old resource version: "), gone.reason
    # The client's documented recovery: list again, watch from the new resourceVersion.
    fresh = core.list_namespaced_service(ns)
    assert len(fresh.items) == 12
    core.delete_namespaced_service("c0", ns)
    got = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_service,
            ns,
            resource_version=fresh.metadata.resource_version,
            timeout_seconds=1,
        )
    ]
    assert got == [("DELETED", "c0")]


# ------------------------------------------------------------------------------ status subresources


def test_status_subresources(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_service(ns, service("lb", type="LoadBalancer"))
    st = core.read_namespaced_service_status("lb", ns)
    assert st.status.load_balancer.ingress is None
    patched = core.patch_namespaced_service_status(
        "lb", ns, {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    )
    assert patched.status.load_balancer.ingress[0].ip == "192.0.2.10"
    assert patched.status.load_balancer.ingress[0].ip_mode == "VIP"
    patched.status.load_balancer.ingress[0].ip = "192.0.2.11"
    patched.spec.ports[0].port = 81  # a status write ignores spec changes
    replaced = core.replace_namespaced_service_status("lb", ns, patched)
    assert replaced.status.load_balancer.ingress[0].ip == "192.0.2.11"
    assert replaced.spec.ports[0].port == 80
    pod = core.create_namespaced_pod(
        ns,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="p"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
        ),
    )
    assert pod.status.phase == "Pending"
    now = dt.datetime.now(UTC).replace(microsecond=0)
    pod.status.phase = "Running"
    pod.status.pod_ip = "10.0.0.5"
    pod.status.conditions = [client.V1PodCondition(type="Ready", status="True", last_transition_time=now)]
    running = core.replace_namespaced_pod_status("p", ns, pod)
    assert running.status.phase == "Running" and running.status.pod_ip == "10.0.0.5"
    cond = running.status.conditions[0]
    assert cond.last_transition_time == now
    # Go writes a zero metav1.Time as null: the condition carries lastProbeTime: null.
    body = raw(core.read_namespaced_pod_status("p", ns, _preload_content=False))
    assert body["status"]["conditions"][0]["lastProbeTime"] is None
    assert body["status"]["conditions"][0]["lastTransitionTime"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    node = core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name=f"n-{ns}")))
    node.status.node_info = client.V1NodeSystemInfo(
        kubelet_version="v1.31.0",
        architecture="amd64",
        boot_id="",
        container_runtime_version="",
        kernel_version="",
        kube_proxy_version="",
        machine_id="",
        operating_system="linux",
        os_image="",
        system_uuid="",
    )
    updated = core.replace_node_status(node.metadata.name, node)
    assert updated.status.node_info.kubelet_version == "v1.31.0"
    core.delete_node(node.metadata.name)


# ------------------------------------------------------------------------------ times


def test_lease_microtime_round_trip(api: client.ApiClient, ns: str) -> None:
    coord = client.CoordinationV1Api(api)
    acquired = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    renewed = dt.datetime(2026, 1, 2, 3, 4, 6, 654321, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    lease = coord.create_namespaced_lease(
        ns,
        client.V1Lease(
            metadata=client.V1ObjectMeta(name="lock"),
            spec=client.V1LeaseSpec(
                holder_identity="me",
                lease_duration_seconds=15,
                acquire_time=acquired,
                renew_time=renewed,
                lease_transitions=0,
            ),
        ),
    )
    assert lease.spec.acquire_time == acquired and lease.spec.renew_time == renewed
    assert lease.spec.lease_transitions == 0  # a pointer: zero stays
    body = raw(coord.read_namespaced_lease("lock", ns, _preload_content=False))
    # MicroTime on the wire: UTC, exactly six fractional digits, "Z".
    assert body["spec"]["acquireTime"] == "2026-01-02T03:04:05.123456Z"
    assert body["spec"]["renewTime"] == "2026-01-02T01:04:06.654321Z"
    # A MicroTime without its six digits is rejected by Go's parser, with its message.
    with pytest.raises(ApiException) as bad:
        coord.patch_namespaced_lease("lock", ns, {"spec": {"renewTime": "2026-01-02T03:04:05Z"}})
    assert bad.value.status == 400
    assert status_of(bad.value)["message"] == (
        'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-01-02T03:04:05Z" as '
        '"2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'
    )
    assert coord.read_namespaced_lease("lock", ns).spec.renew_time == renewed


def test_events_v1_create_and_core_view(api: client.ApiClient, ns: str) -> None:
    events = client.EventsV1Api(api)
    when = dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    created = events.create_namespaced_event(
        ns,
        client.EventsV1Event(
            metadata=client.V1ObjectMeta(generate_name="web-"),
            event_time=when,
            reporting_controller="example.com/ctl",
            reporting_instance="ctl-1",
            action="Sync",
            reason="Synced",
            type="Normal",
            regarding=client.V1ObjectReference(kind="Service", name="web", namespace=ns),
            note="synced web",
        ),
    )
    assert created.metadata.name.startswith("web-") and created.event_time == when
    assert raw(events.read_namespaced_event(created.metadata.name, ns, _preload_content=False))[
        "eventTime"
    ] == ("2026-03-04T05:06:07.000089Z")
    core_view = client.CoreV1Api(api).read_namespaced_event(created.metadata.name, ns)
    assert core_view.involved_object.name == "web" and core_view.message == "synced web"
    assert core_view.reporting_component == "example.com/ctl"
    assert core_view.event_time == when
    # Both views carry what Go always writes: the non-pointer structs and (null) times.
    v1_raw = raw(events.read_namespaced_event(created.metadata.name, ns, _preload_content=False))
    assert v1_raw["deprecatedSource"] == {} and v1_raw["deprecatedFirstTimestamp"] is None
    assert "deprecatedCount" not in v1_raw
    core_raw = raw(
        client.CoreV1Api(api).read_namespaced_event(created.metadata.name, ns, _preload_content=False)
    )
    assert (
        core_raw["source"] == {} and core_raw["firstTimestamp"] is None and core_raw["lastTimestamp"] is None
    )
    assert core_raw["reportingInstance"] == "ctl-1" and "count" not in core_raw
    listed = client.CoreV1Api(api).list_namespaced_event(
        ns,
        field_selector=f"involvedObject.name=web,involvedObject.namespace={ns},involvedObject.kind=Service",
    )
    assert [e.metadata.name for e in listed.items] == [created.metadata.name]
    # A core/v1 Event written the old way reads back with Go's zero values spelled out.
    first = dt.datetime(2026, 3, 4, 5, 0, 0, tzinfo=UTC)
    client.CoreV1Api(api).create_namespaced_event(
        ns,
        client.CoreV1Event(
            metadata=client.V1ObjectMeta(name="old"),
            involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace=ns),
            reason="Started",
            message="started",
            first_timestamp=first,
            last_timestamp=first,
            count=1,
            type="Normal",
            source=client.V1EventSource(component="kubelet"),
        ),
    )
    old = raw(client.CoreV1Api(api).read_namespaced_event("old", ns, _preload_content=False))
    assert old["firstTimestamp"] == "2026-03-04T05:00:00Z"
    assert old["eventTime"] is None
    assert old["reportingComponent"] == "" and old["reportingInstance"] == ""


def test_bad_time_is_400_and_nothing_is_stored(api: client.ApiClient, server: ApiServer, ns: str) -> None:
    core = client.CoreV1Api(api)
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "bad"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns},
        "firstTimestamp": "yesterday",
    }
    # (the client's own models refuse such a body, so it goes out raw)
    code, status, _ = server.call("POST", f"/api/v1/namespaces/{ns}/events", body)
    assert code == 400 and status["reason"] == "BadRequest"
    assert status["message"] == (
        'Event in version "v1" cannot be handled as a Event: parsing time "yesterday" as '
        '"2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'
    )
    assert core.list_namespaced_event(ns).items == []


# ------------------------------------------------------------------------------ shape of what comes back


def test_empty_optional_fields_are_not_echoed(api: client.ApiClient, ns: str) -> None:
    """Go's omitempty: empty maps, lists and strings sent by a client are not stored."""
    core = client.CoreV1Api(api)
    body = {
        "metadata": {"name": "empty", "labels": {}, "annotations": {}, "finalizers": []},
        "spec": {
            "ports": [{"port": 80, "name": ""}],
            "selector": {},
            "externalIPs": [],
            "externalName": "",
            "loadBalancerSourceRanges": [],
            "sessionAffinity": "",
            "allocateLoadBalancerNodePorts": False,
            "type": "LoadBalancer",
        },
    }
    core.create_namespaced_service(ns, body)
    got = raw(core.read_namespaced_service("empty", ns, _preload_content=False))
    for key in ("labels", "annotations", "finalizers"):
        assert key not in got["metadata"]
    for key in ("selector", "externalIPs", "externalName", "loadBalancerSourceRanges"):
        assert key not in got["spec"]
    assert "name" not in got["spec"]["ports"][0]
    assert got["spec"]["sessionAffinity"] == "None"  # defaulted, as an absent field is
    assert got["spec"]["allocateLoadBalancerNodePorts"] is False  # a pointer keeps false
    lease = raw(
        client.CoordinationV1Api(api).create_namespaced_lease(
            ns, {"metadata": {"name": "bare"}}, _preload_content=False
        )
    )
    assert lease["spec"] == {}  # LeaseSpec is a struct: always written


# ------------------------------------------------------------------------------ delete options


def test_delete_with_delete_options(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_service(ns, service("gone"))
    with pytest.raises(ApiException) as wrong_uid:
        core.delete_namespaced_service(
            "gone", ns, body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-the-uid"))
        )
    assert wrong_uid.value.status == 409 and status_of(wrong_uid.value)["reason"] == "Conflict"
    assert (
        f"(not-the-uid) does not match the UID in record ({created.metadata.uid})"
        in (status_of(wrong_uid.value)["message"])
    )
    with pytest.raises(ApiException) as wrong_rv:
        core.delete_namespaced_service(
            "gone",
            ns,
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1")),
        )
    assert wrong_rv.value.status == 409
    deleted = core.delete_namespaced_service(
        "gone",
        ns,
        body=client.V1DeleteOptions(
            propagation_policy="Background", preconditions=client.V1Preconditions(uid=created.metadata.uid)
        ),
    )
    assert deleted.metadata.name == "gone"  # Services answer with the deleted object
    core.create_namespaced_endpoints(ns, client.V1Endpoints(metadata=client.V1ObjectMeta(name="ep")))
    status = core.delete_namespaced_endpoints("ep", ns, body=client.V1DeleteOptions(grace_period_seconds=0))
    # (this client's models type the answer as a plain object: a Status dict)
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "ep" and status["details"]["kind"] == "endpoints"
    with pytest.raises(ApiException) as bad_policy:
        core.delete_namespaced_service("x", ns, body=client.V1DeleteOptions(propagation_policy="Sometimes"))
    assert bad_policy.value.status == 422
    with pytest.raises(ApiException) as missing:
        core.delete_namespaced_service("gone", ns)
    assert missing.value.status == 404
    assert status_of(missing.value)["details"] == {"name": "gone", "kind": "services"}


# ------------------------------------------------------------------------------ errors


def test_errors_are_api_exceptions_with_status_bodies(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_service(ns, service("dup"))
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_service(ns, service("dup"))
    assert exists.value.status == 409
    assert status_of(exists.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'services "dup" already exists',
        "reason": "AlreadyExists",
        "details": {"name": "dup", "kind": "services"},
        "code": 409,
    }
    stale = core.read_namespaced_service("dup", ns)
    core.patch_namespaced_service("dup", ns, {"metadata": {"labels": {"x": "1"}}})
    stale.metadata.labels["y"] = "2"
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_service("dup", ns, stale)
    assert conflict.value.status == 409
    assert status_of(conflict.value)["message"] == (
        'Operation cannot be fulfilled on services "dup": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    with pytest.raises(ApiException) as invalid:
        core.create_namespaced_service(ns, service("bad", port=0))
    assert invalid.value.status == 422
    details = status_of(invalid.value)["details"]
    assert details["kind"] == "Service" and details["name"] == "bad"
    assert details["causes"][0]["field"] == "spec.ports[0].port"
    with pytest.raises(ApiException) as wrong_ns:
        core.create_namespaced_service(
            ns, {"metadata": {"name": "x", "namespace": "elsewhere"}, "spec": {"ports": [{"port": 80}]}}
        )
    assert wrong_ns.value.status == 400
    assert status_of(wrong_ns.value)["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request"
    )


# ------------------------------------------------------------------------------ self reviews


def test_self_subject_reviews(api: client.ApiClient, server: ApiServer, tmp_path: Path) -> None:
    authz = client.AuthorizationV1Api(api)
    review = authz.create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    verb="create", resource="services", namespace="x"
                )
            )
        )
    )
    assert review.status.allowed is True
    who = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())
    assert who.status.user_info.username == "admin"
    assert "system:authenticated" in who.status.user_info.groups
    # The read-only token may read but not write, and may ask.
    ro_cfg = client.Configuration()
    ro_cfg.host = server.url
    ro_cfg.ssl_ca_cert = str(server.ca_file)
    ro_cfg.api_key = {"authorization": "Bearer " + server.readonly_token}
    with client.ApiClient(ro_cfg) as ro:
        ro_authz = client.AuthorizationV1Api(ro)
        for verb, expected in (("create", False), ("list", True), ("watch", True), ("delete", False)):
            answer = ro_authz.create_self_subject_access_review(
                client.V1SelfSubjectAccessReview(
                    spec=client.V1SelfSubjectAccessReviewSpec(
                        resource_attributes=client.V1ResourceAttributes(verb=verb, resource="services")
                    )
                )
            )
            assert answer.status.allowed is expected, verb
        rules = ro_authz.create_self_subject_rules_review(
            client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec(namespace="default"))
        )
        assert {"verbs": ["get", "list", "watch"], "api_groups": ["*"], "resources": ["*"]} in [
            {"verbs": r.verbs, "api_groups": r.api_groups, "resources": r.resources}
            for r in rules.status.resource_rules
        ]
    with pytest.raises(ApiException) as neither:
        authz.create_self_subject_access_review(
            client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec())
        )
    assert neither.value.status == 422
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"authentication.k8s.io", "authorization.k8s.io"} <= groups
