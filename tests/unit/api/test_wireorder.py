"""Go's JSON key order (`kubesvc.api.wireorder`): per struct, table-driven, and its laws."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api import types, wireorder


def keys(d: dict[str, Any]) -> list[str]:
    return list(d)


# (struct, scrambled value, expected key order) -- orders as k8s.io/api and apimachinery declare them
STRUCT_CASES = [
    (
        "ObjectMeta",
        {
            "managedFields": [],
            "labels": {},
            "uid": "u",
            "name": "n",
            "finalizers": [],
            "namespace": "ns",
            "creationTimestamp": "t",
            "resourceVersion": "1",
            "annotations": {},
            "generateName": "g",
            "ownerReferences": [],
            "generation": 1,
            "deletionGracePeriodSeconds": 0,
            "deletionTimestamp": "t",
        },
        [
            "name",
            "generateName",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ],
    ),
    (
        "ServiceSpec",
        {
            "trafficDistribution": "PreferClose",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
            "type": "ClusterIP",
            "clusterIPs": ["10.0.0.1"],
            "clusterIP": "10.0.0.1",
            "selector": {"a": "b"},
            "ports": [],
            "sessionAffinity": "None",
            "externalIPs": ["1.2.3.4"],
            "loadBalancerClass": "x",
            "allocateLoadBalancerNodePorts": True,
            "externalName": "e",
            "healthCheckNodePort": 1,
            "externalTrafficPolicy": "Local",
            "publishNotReadyAddresses": True,
            "sessionAffinityConfig": {},
            "loadBalancerSourceRanges": [],
            "loadBalancerIP": "1.1.1.1",
        },
        [
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
        ],
    ),
    (
        "ServicePort",
        {"nodePort": 1, "targetPort": 80, "port": 80, "appProtocol": "h", "protocol": "TCP", "name": "x"},
        ["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"],
    ),
    (
        "Status",
        {"code": 404, "details": {}, "reason": "NotFound", "message": "m", "status": "Failure"}
        | {"metadata": {}, "apiVersion": "v1", "kind": "Status"},
        ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"],
    ),
    (
        "StatusDetails",
        {"retryAfterSeconds": 1, "causes": [], "uid": "u", "kind": "k", "group": "g", "name": "n"},
        ["name", "group", "kind", "uid", "causes", "retryAfterSeconds"],
    ),
    ("StatusCause", {"field": "f", "message": "m", "reason": "r"}, ["reason", "message", "field"]),
    (
        "ListMeta",
        {"remainingItemCount": 1, "continue": "c", "resourceVersion": "1"},
        ["resourceVersion", "continue", "remainingItemCount"],
    ),
    (
        "ManagedFieldsEntry",
        {"fieldsV1": {}, "time": "t", "subresource": "status", "manager": "m", "fieldsType": "FieldsV1"}
        | {"apiVersion": "v1", "operation": "Update"},
        ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"],
    ),
    (
        "OwnerReference",
        {
            "blockOwnerDeletion": True,
            "controller": True,
            "uid": "u",
            "name": "n",
            "kind": "K",
            "apiVersion": "v1",
        },
        ["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"],
    ),
    ("WatchEvent", {"object": {}, "type": "ADDED"}, ["type", "object"]),
    (
        "Container",
        {"tty": True, "imagePullPolicy": "Always", "restartPolicy": "Always", "resources": {}}
        | {"resizePolicy": [], "volumeMounts": [], "image": "i", "name": "c"},
        [
            "name",
            "image",
            "resources",
            "resizePolicy",
            "restartPolicy",
            "volumeMounts",
            "imagePullPolicy",
            "tty",
        ],
    ),
    (
        "PodSpec",
        {"enableServiceLinks": True, "priority": 0, "tolerations": [], "schedulerName": "s"}
        | {"serviceAccount": "d", "serviceAccountName": "d", "dnsPolicy": "ClusterFirst", "containers": []}
        | {"preemptionPolicy": "PreemptLowerPriority", "securityContext": {}, "restartPolicy": "Always"}
        | {"terminationGracePeriodSeconds": 30, "volumes": []},
        [
            "volumes",
            "containers",
            "restartPolicy",
            "terminationGracePeriodSeconds",
            "dnsPolicy",
            "serviceAccountName",
            "serviceAccount",
            "securityContext",
            "schedulerName",
            "tolerations",
            "priority",
            "enableServiceLinks",
            "preemptionPolicy",
        ],
    ),
    (
        "PodStatus",
        {"qosClass": "BestEffort", "containerStatuses": [], "initContainerStatuses": [], "startTime": "t"}
        | {"podIPs": [], "podIP": "1", "hostIPs": [], "hostIP": "2", "conditions": [], "phase": "Running"},
        [
            "phase",
            "conditions",
            "hostIP",
            "hostIPs",
            "podIP",
            "podIPs",
            "startTime",
            "initContainerStatuses",
            "containerStatuses",
            "qosClass",
        ],
    ),
    (
        "Toleration",
        {"tolerationSeconds": 300, "effect": "NoExecute", "operator": "Exists", "key": "k"},
        ["key", "operator", "effect", "tolerationSeconds"],
    ),
    (
        "Endpoint",
        {"zone": "z", "nodeName": "n", "targetRef": {}, "hostname": "h", "conditions": {}, "addresses": []},
        ["addresses", "conditions", "hostname", "targetRef", "nodeName", "zone"],
    ),
    (
        "ObjectReference",
        {"fieldPath": "f", "resourceVersion": "1", "apiVersion": "v1", "uid": "u", "name": "n"}
        | {"namespace": "ns", "kind": "Pod"},
        ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"],
    ),
    (
        "LeaseSpec",
        {"leaseTransitions": 1, "renewTime": "t", "acquireTime": "t", "leaseDurationSeconds": 1}
        | {"holderIdentity": "h"},
        ["holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions"],
    ),
    (
        "Table",
        {
            "rows": [],
            "columnDefinitions": [],
            "metadata": {},
            "apiVersion": "meta.k8s.io/v1",
            "kind": "Table",
        },
        ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"],
    ),
    (
        "NodeCondition",
        {"message": "m", "reason": "r", "lastTransitionTime": "t", "lastHeartbeatTime": "t"}
        | {"status": "True", "type": "Ready"},
        ["type", "status", "lastHeartbeatTime", "lastTransitionTime", "reason", "message"],
    ),
]


@pytest.mark.parametrize(("struct", "value", "expected"), STRUCT_CASES, ids=[c[0] for c in STRUCT_CASES])
def test_struct_order(struct: str, value: dict[str, Any], expected: list[str]) -> None:
    d = dict(value)
    wireorder.order_struct(d, wireorder.plan_for(struct))
    assert keys(d) == expected


# (object, expected serialization of the top and of nested structs) per served kind
KIND_CASES: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"status": {}, "spec": {}, "metadata": {"name": "s"}, "apiVersion": "v1", "kind": "Service"},
        ["kind", "apiVersion", "metadata", "spec", "status"],
    ),
    (
        {"status": {}, "spec": {}, "metadata": {}, "kind": "Pod", "apiVersion": "v1"},
        ["kind", "apiVersion", "metadata", "spec", "status"],
    ),
    (
        {"status": {}, "spec": {}, "metadata": {}, "apiVersion": "v1", "kind": "Node"},
        ["kind", "apiVersion", "metadata", "spec", "status"],
    ),
    (
        {"status": {}, "spec": {}, "metadata": {}, "apiVersion": "v1", "kind": "Namespace"},
        ["kind", "apiVersion", "metadata", "spec", "status"],
    ),
    (
        {"subsets": [], "metadata": {}, "apiVersion": "v1", "kind": "Endpoints"},
        ["kind", "apiVersion", "metadata", "subsets"],
    ),
    (
        {"ports": [], "endpoints": [], "addressType": "IPv4", "metadata": {}}
        | {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice"},
        ["kind", "apiVersion", "metadata", "addressType", "endpoints", "ports"],
    ),
    (
        {"spec": {}, "metadata": {}, "apiVersion": "coordination.k8s.io/v1", "kind": "Lease"},
        ["kind", "apiVersion", "metadata", "spec"],
    ),
    (
        {"reportingInstance": "", "reportingComponent": "", "eventTime": None, "type": "Normal", "count": 1}
        | {"lastTimestamp": None, "firstTimestamp": None, "source": {}, "message": "m", "reason": "r"}
        | {"involvedObject": {}, "metadata": {}, "apiVersion": "v1", "kind": "Event"},
        [
            "kind",
            "apiVersion",
            "metadata",
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "eventTime",
            "reportingComponent",
            "reportingInstance",
        ],
    ),
    (
        {"deprecatedLastTimestamp": None, "deprecatedFirstTimestamp": None, "deprecatedSource": {}}
        | {"note": "n", "regarding": {}, "reason": "r", "reportingController": "c", "eventTime": "t"}
        | {"metadata": {}, "apiVersion": "events.k8s.io/v1", "kind": "Event"},
        [
            "kind",
            "apiVersion",
            "metadata",
            "eventTime",
            "reportingController",
            "reason",
            "regarding",
            "note",
            "deprecatedSource",
            "deprecatedFirstTimestamp",
            "deprecatedLastTimestamp",
        ],
    ),
]


@pytest.mark.parametrize(
    ("obj", "expected"), KIND_CASES, ids=[f"{c[0]['apiVersion']}/{c[0]['kind']}" for c in KIND_CASES]
)
def test_top_level_order_per_kind(obj: dict[str, Any], expected: list[str]) -> None:
    assert keys(wireorder.order(dict(obj))) == expected


def service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "a",
            "labels": {"z": "1", "a": "2", "m": "3"},
            "namespace": "default",
            "managedFields": [
                {"time": "t", "manager": "m", "operation": "Update", "fieldsV1": {"f:z": {}, "f:a": {}}}
            ],
            "uid": "u",
            "creationTimestamp": "c",
            "resourceVersion": "9",
        },
        "spec": {
            "selector": {"b": "1", "a": "2"},
            "ports": [{"port": 80, "name": "http", "protocol": "TCP", "targetPort": 80}],
            "type": "ClusterIP",
            "clusterIP": "10.0.0.1",
        },
        "status": {"loadBalancer": {"ingress": [{"ports": [], "ip": "1.2.3.4"}]}},
    }


def test_nested_structs_lists_and_maps() -> None:
    svc = service()
    meta = svc["metadata"]
    wireorder.order(svc)
    assert svc["metadata"] is meta, "ordered in place: callers keep their references"
    assert keys(meta) == [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
        "managedFields",
    ]
    assert keys(meta["labels"]) == ["a", "m", "z"], "a Go map is written with sorted keys"
    assert keys(meta["managedFields"][0]) == ["manager", "operation", "time", "fieldsV1"]
    assert keys(meta["managedFields"][0]["fieldsV1"]) == ["f:z", "f:a"], "fieldsV1 is raw JSON: untouched"
    assert keys(svc["spec"]) == ["ports", "selector", "clusterIP", "type"]
    assert keys(svc["spec"]["selector"]) == ["a", "b"]
    assert keys(svc["spec"]["ports"][0]) == ["name", "protocol", "port", "targetPort"]
    assert keys(svc["status"]["loadBalancer"]["ingress"][0]) == ["ip", "ports"]


def test_lists_of_served_kinds() -> None:
    lst = {
        "items": [service()],
        "metadata": {"continue": "c", "resourceVersion": "1"},
        "apiVersion": "v1",
        "kind": "ServiceList",
    }
    wireorder.order(lst)
    assert keys(lst) == ["kind", "apiVersion", "metadata", "items"]
    assert keys(lst["metadata"]) == ["resourceVersion", "continue"]
    assert keys(lst["items"][0]) == ["kind", "apiVersion", "metadata", "spec", "status"]


def test_unknown_keys_go_last_in_arrival_order() -> None:
    d = {"zeta": 1, "type": "ClusterIP", "alpha": 2, "ports": []}
    wireorder.order_struct(d, wireorder.plan_for("ServiceSpec"))
    assert keys(d) == ["ports", "type", "zeta", "alpha"]


def test_unknown_kind_is_left_alone() -> None:
    d = {"b": 1, "kind": "Widget", "apiVersion": "example.com/v1", "a": 2}
    assert keys(wireorder.order(d)) == ["b", "kind", "apiVersion", "a"]


def test_pod_containers_and_volumes() -> None:
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {},
        "spec": {
            "containers": [
                {
                    "volumeMounts": [{"readOnly": True, "mountPath": "/x", "name": "v"}],
                    "image": "i",
                    "name": "c",
                    "securityContext": {"runAsUser": 1, "capabilities": {"drop": ["ALL"], "add": ["X"]}},
                    "env": [{"valueFrom": {"fieldRef": {"fieldPath": "f", "apiVersion": "v1"}}, "name": "E"}],
                    "resources": {"requests": {"memory": "1Gi", "cpu": "1"}, "limits": {}},
                }
            ],
            "volumes": [{"emptyDir": {}, "name": "v"}],
            "tolerations": [
                {"tolerationSeconds": 300, "effect": "NoExecute", "operator": "Exists", "key": "k"}
            ],
        },
    }
    wireorder.order(pod)
    c = pod["spec"]["containers"][0]
    assert keys(c) == ["name", "image", "env", "resources", "volumeMounts", "securityContext"]
    assert keys(c["volumeMounts"][0]) == ["name", "readOnly", "mountPath"]
    assert keys(c["securityContext"]) == ["capabilities", "runAsUser"]
    assert keys(c["securityContext"]["capabilities"]) == ["add", "drop"]
    assert keys(c["env"][0]) == ["name", "valueFrom"]
    assert keys(c["env"][0]["valueFrom"]["fieldRef"]) == ["apiVersion", "fieldPath"]
    assert keys(c["resources"]) == ["limits", "requests"]
    assert keys(c["resources"]["requests"]) == ["cpu", "memory"]
    assert keys(pod["spec"]) == ["volumes", "containers", "tolerations"]
    assert keys(pod["spec"]["volumes"][0]) == ["name", "emptyDir"]
    assert keys(pod["spec"]["tolerations"][0]) == ["key", "operator", "effect", "tolerationSeconds"]


def _reachable_typeddicts() -> set[str]:
    seen: set[str] = set()
    todo = list(dict.fromkeys(wireorder.ROOTS.values()))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        td = getattr(types, name, None)
        if td is None:
            continue
        for tp in typing.get_type_hints(td, globalns=vars(types)).values():
            for arg in [tp, *typing.get_args(tp)]:
                for a in [arg, *typing.get_args(arg)]:
                    if isinstance(a, type) and issubclass(a, dict) and hasattr(a, "__total__"):
                        todo.append(a.__name__)
    return seen


def test_every_modelled_field_has_a_declared_place() -> None:
    """A field added to api/types.py must be placed in ORDER (else it would go last)."""
    missing = {}
    for name in _reachable_typeddicts():
        td = getattr(types, name, None)
        if td is None:
            continue
        declared = set(wireorder.ORDER.get(name, ()))
        extra = set(typing.get_type_hints(td, globalns=vars(types))) - declared
        if extra:
            missing[name] = sorted(extra)
    assert missing == {}


# -- laws ------------------------------------------------------------------------------------

_META_KEYS = list(wireorder.ORDER["ObjectMeta"])
_SPEC_KEYS = list(wireorder.ORDER["ServiceSpec"])
_scalar = st.one_of(st.integers(), st.text(max_size=3), st.booleans(), st.none())
_key = st.one_of(st.sampled_from(_META_KEYS + _SPEC_KEYS + ["x", "y", "kind"]), st.text(max_size=4))
_json = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_key, inner, max_size=6)),
    max_leaves=25,
)
_objects = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.just("Service"),
        "apiVersion": st.just("v1"),
        "metadata": st.dictionaries(_key, _json, max_size=8),
        "spec": st.dictionaries(_key, _json, max_size=8),
        "status": _json,
        "extra": _json,
    },
)


def _items_deep(v: Any) -> Any:
    """A comparable form that ignores key order."""
    if isinstance(v, dict):
        return sorted(((k, _items_deep(x)) for k, x in v.items()), key=lambda kv: kv[0])
    if isinstance(v, list):
        return [_items_deep(x) for x in v]
    return v


@given(_objects)
def test_order_is_a_permutation_and_idempotent(obj: dict[str, Any]) -> None:
    before = json.loads(json.dumps(obj))
    once = wireorder.order(obj, "v1", "Service")
    assert once is obj
    assert obj == before  # same keys and values (dict equality ignores order)
    assert _items_deep(obj) == _items_deep(before)
    snapshot = json.dumps(obj)
    wireorder.order(obj, "v1", "Service")
    assert json.dumps(obj) == snapshot


@given(st.dictionaries(_key, _scalar, max_size=12))
def test_declared_keys_first_in_go_order_then_the_rest_as_they_came(d: dict[str, Any]) -> None:
    original = list(d)
    wireorder.order_struct(d, wireorder.plan_for("ObjectMeta"))
    got = list(d)
    declared = [k for k in got if k in wireorder.ORDER["ObjectMeta"]]
    assert declared == [k for k in _META_KEYS if k in original]
    assert got == declared + [k for k in original if k not in wireorder.ORDER["ObjectMeta"]]


# -- the bytes: codec.dumps_go ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pretty", "expected"),
    [
        ({"b": 1, "a": [1, {}]}, False, b'{"b":1,"a":[1,{}]}\n'),
        (
            {"b": 1, "a": [1, {}], "c": []},
            True,
            b'{\n  "b": 1,\n  "a": [\n    1,\n    {}\n  ],\n  "c": []\n}',
        ),
        ({"s": "<a href='x'>&</a>"}, False, b'{"s":"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"}\n'),
        ({"s": "line\u2028sep\u2029"}, False, b'{"s":"line\\u2028sep\\u2029"}\n'),
        ({"s": 'é\n"q"'}, False, '{"s":"é\\n\\"q\\""}\n'.encode()),
    ],
)
def test_dumps_go(value: Any, pretty: bool, expected: bytes) -> None:
    from kubesvc.api import codec

    assert codec.dumps_go(value, pretty=pretty) == expected
    assert json.loads(expected) == value
