"""Pure helpers of the shell controllers: GC owner checks, namespace conditions, the mirroring
slice tracker, and the controller-manager's `--controllers` and options rules."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api.scheme import ENDPOINTS, SERVICES, ResourceInfo
from kubesvc.controllers.gc import dangling
from kubesvc.controllers.manager import ConfigError, ManagerOptions, enabled_controllers
from kubesvc.controllers.mirroring.controller import SliceTracker
from kubesvc.controllers.namespace.controller import CONDITION_TYPES, update_conditions

Obj = dict[str, Any]


def owned(*refs: tuple[str, str, str]) -> Obj:
    return {
        "metadata": {
            "name": "s",
            "namespace": "ns",
            "ownerReferences": [{"apiVersion": "v1", "kind": k, "name": n, "uid": u} for k, n, u in refs],
        }
    }


def lookup(objs: dict[tuple[str, str], str]) -> Any:
    def find(info: ResourceInfo, ns: str, name: str) -> Obj | None:
        uid = objs.get((info.kind, name))
        return {"metadata": {"name": name, "namespace": ns, "uid": uid}} if uid else None

    return find


@pytest.mark.parametrize(
    ("obj", "present", "expected"),
    [
        (owned(("Service", "web", "u1")), {("Service", "web"): "u1"}, False),
        (owned(("Service", "web", "u1")), {}, True),
        (owned(("Service", "web", "u1")), {("Service", "web"): "u2"}, True),  # re-created: other uid
        (owned(("Endpoints", "ext", "e1")), {}, True),
        (owned(("Service", "web", "u1"), ("Endpoints", "ext", "e1")), {("Endpoints", "ext"): "e1"}, False),
        (owned(("Deployment", "d", "d1")), {}, False),  # a kind we do not track: left alone
        ({"metadata": {"name": "free"}}, {}, False),  # no owners: never garbage
    ],
    ids=[
        "live owner",
        "owner gone",
        "owner recreated",
        "endpoints owner gone",
        "one owner left",
        "untracked kind",
        "no owners",
    ],
)
def test_gc_dangling(obj: Obj, present: dict[tuple[str, str], str], expected: bool) -> None:
    assert SERVICES.kind == "Service" and ENDPOINTS.kind == "Endpoints"
    assert dangling(obj, lookup(present)) is expected


def test_namespace_conditions_ok_variants_and_transitions() -> None:
    status: Obj = {}
    assert update_conditions(status, [])
    by_type = {c["type"]: c for c in status["conditions"]}
    assert list(by_type) == list(CONDITION_TYPES)
    assert by_type["NamespaceContentRemaining"] == {
        "type": "NamespaceContentRemaining",
        "status": "False",
        "lastTransitionTime": by_type["NamespaceContentRemaining"]["lastTransitionTime"],
        "reason": "ContentRemoved",
        "message": "All content successfully removed",
    }
    assert not update_conditions(status, [])  # nothing changed
    failing = {
        "type": "NamespaceContentRemaining",
        "status": "True",
        "lastTransitionTime": "x",
        "reason": "SomeResourcesRemain",
        "message": "Some resources are remaining: pods. has 1 resource instances",
    }
    assert update_conditions(status, [failing])
    c = next(c for c in status["conditions"] if c["type"] == "NamespaceContentRemaining")
    assert (c["status"], c["reason"]) == ("True", "SomeResourcesRemain")
    assert len(status["conditions"]) == len(CONDITION_TYPES)


def test_slice_tracker_waits_for_own_writes() -> None:
    t = SliceTracker()
    t.wrote("ns/a", {"metadata": {"name": "a-1", "resourceVersion": "10"}})
    assert t.stale("ns/a", [])  # our create is not in the cache yet
    assert t.stale("ns/a", [{"metadata": {"name": "a-1", "resourceVersion": "9"}}])
    assert not t.stale("ns/a", [{"metadata": {"name": "a-1", "resourceVersion": "10"}}])
    t.deleted("ns/a", {"metadata": {"name": "a-1", "uid": "u"}})
    assert t.stale("ns/a", [{"metadata": {"name": "a-1", "uid": "u", "resourceVersion": "10"}}])
    assert not t.stale("ns/a", [])
    assert not t.stale("ns/other", [])


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        (["*"], 6),
        (["*,-namespace-controller"], 5),
        (["endpointslice", "service"], 2),
        (["-garbagecollector", "*"], 5),
    ],
)
def test_controllers_flag(spec: list[str], want: int) -> None:
    assert len(enabled_controllers(spec)) == want


def test_controllers_flag_rejects_unknown() -> None:
    with pytest.raises(ConfigError, match='"bogus" is not in the list of known controllers'):
        enabled_controllers(["bogus"])


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"max_endpoints_per_slice": 1001}, "--max-endpoints-per-slice must be between 1 and 1000"),
        ({"max_endpoints_per_slice": 0}, "--max-endpoints-per-slice must be between 1 and 1000"),
        ({"load_balancer_ip_pool": "nope"}, "--load-balancer-ip-pool"),
        ({"lease_duration": 5, "renew_deadline": 5}, "leaseDuration must be greater than renewDeadline"),
    ],
)
def test_manager_options_validation(kw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        ManagerOptions(kubeconfig="x", identity="me", **kw).validate()


def test_pod_cache_keeps_what_endpoint_controllers_read() -> None:
    from kubesvc.controllers.manager import slim_pod

    pod = {
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "u",
            "resourceVersion": "5",
            "labels": {"app": "x"},
            "deletionTimestamp": "t",
            "ownerReferences": [{"kind": "ReplicaSet"}],
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "nodeName": "n1",
            "hostname": "h",
            "subdomain": "s",
            "volumes": [{"name": "v"}],
            "containers": [
                {"name": "c", "image": "i", "env": [], "ports": [{"name": "http", "containerPort": 80}]}
            ],
            "initContainers": [{"name": "side", "image": "i", "restartPolicy": "Always", "ports": []}],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.1",
            "podIPs": [{"ip": "10.0.0.1"}],
            "hostIP": "172.18.0.10",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "c"}],
        },
    }
    slim = slim_pod(pod)
    assert "managedFields" not in slim["metadata"]
    assert slim["metadata"]["labels"] == {"app": "x"} and slim["metadata"]["deletionTimestamp"] == "t"
    assert slim["spec"] == {
        "nodeName": "n1",
        "hostname": "h",
        "subdomain": "s",
        "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}],
        "initContainers": [{"name": "side", "ports": [], "restartPolicy": "Always"}],
    }
    assert slim["status"] == {
        "phase": "Running",
        "podIP": "10.0.0.1",
        "podIPs": [{"ip": "10.0.0.1"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "hostIP": "172.18.0.10",
    }
