"""JSON patch, merge patch and strategic merge patch over Kubernetes-shaped documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)


def svc(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": "web"},
            "type": "ClusterIP",
        },
    }
    base["spec"].update(spec)
    return base


def smp(doc: dict[str, Any], patch: Any, kind: str = "Service", api_version: str = "v1") -> dict[str, Any]:
    return apply_strategic_merge_patch(doc, patch, api_version=api_version, kind=kind)


# ---------------------------------------------------------------------------- JSON patch


@pytest.mark.parametrize(
    ("ops", "check"),
    [
        pytest.param(
            [{"op": "replace", "path": "/spec/type", "value": "NodePort"}],
            lambda d: d["spec"]["type"] == "NodePort",
            id="replace",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/ports/-", "value": {"port": 443}}],
            lambda d: [p["port"] for p in d["spec"]["ports"]] == [80, 443],
            id="append-with-dash",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/ports/0", "value": {"port": 1}}],
            lambda d: [p["port"] for p in d["spec"]["ports"]] == [1, 80],
            id="insert-at-index",
        ),
        pytest.param(
            [
                {"op": "add", "path": "/metadata/annotations", "value": {"a/b": "x", "c~d": "y"}},
                {"op": "remove", "path": "/metadata/annotations/a~1b"},
                {"op": "replace", "path": "/metadata/annotations/c~0d", "value": "z"},
            ],
            lambda d: d["metadata"]["annotations"] == {"c~d": "z"},
            id="pointer-escaping",
        ),
        pytest.param(
            [{"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/tier"}],
            lambda d: d["metadata"]["labels"] == {"tier": "web"},
            id="move",
        ),
        pytest.param(
            [{"op": "copy", "from": "/spec/selector", "path": "/metadata/annotations"}],
            lambda d: d["metadata"]["annotations"] == {"app": "web"},
            id="copy",
        ),
        pytest.param(
            [
                {"op": "test", "path": "/spec/ports/0/port", "value": 80.0},
                {"op": "remove", "path": "/spec/selector"},
            ],
            lambda d: "selector" not in d["spec"],
            id="test-passes-numbers-compare-as-json",
        ),
        pytest.param(
            [{"op": "add", "path": "/metadata/managedFields", "value": [{"manager": "kubectl"}]}],
            lambda d: d["metadata"]["managedFields"] == [{"manager": "kubectl"}],
            id="managed-fields-writable",
        ),
    ],
)
def test_json_patch_ops(ops: list[Any], check: Any) -> None:
    doc = svc()
    before = copy.deepcopy(doc)
    assert check(apply_json_patch(doc, ops))
    assert doc == before, "the input must not be mutated"


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        pytest.param(
            [{"op": "test", "path": "/spec/type", "value": "NodePort"}],
            "testing value /spec/type failed: test failed",
            id="test-fails",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/nope", "value": 1}],
            "testing value /spec/nope failed",
            id="test-missing",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/nope", "value": 1}],
            "replace operation does not apply: doc is missing key: /spec/nope",
            id="replace-missing",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/nope"}],
            "Unable to remove nonexistent key: nope",
            id="remove-missing",
        ),
        pytest.param(
            [{"op": "add", "path": "/nope/x", "value": 1}],
            "add operation does not apply: doc is missing path",
            id="add-missing-parent",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/ports/5", "value": 1}],
            "index out of bounds",
            id="index-out-of-bounds",
        ),
        pytest.param([{"op": "frob", "path": "/spec"}], "Unexpected kind: frob", id="unknown-op"),
    ],
)
def test_json_patch_failures_are_422(ops: list[Any], message: str) -> None:
    with pytest.raises(PatchError) as info:
        apply_json_patch(svc(), ops)
    assert message in str(info.value)
    assert info.value.code == 422 and info.value.reason == "Invalid"
    status = info.value.to_status_error()
    assert (
        status.code == 422
        and status.message == "the server rejected our request due to an error in our request"
    )


def test_failing_test_rejects_whole_patch() -> None:
    doc = svc()
    with pytest.raises(PatchError):
        apply_json_patch(
            doc,
            [
                {"op": "replace", "path": "/spec/type", "value": "NodePort"},
                {"op": "test", "path": "/spec/type", "value": "ClusterIP"},
            ],
        )
    assert doc["spec"]["type"] == "ClusterIP"


def test_json_patch_not_a_list_is_400() -> None:
    with pytest.raises(PatchError) as info:
        apply_json_patch(svc(), {"op": "add"})  # type: ignore[arg-type]
    assert info.value.code == 400


# ---------------------------------------------------------------------------- merge patch


def test_merge_patch_rfc7386() -> None:
    doc = svc()
    out = apply_merge_patch(
        doc, {"metadata": {"labels": {"app": None, "tier": "fe"}}, "spec": {"ports": [{"port": 9}]}}
    )
    assert out["metadata"]["labels"] == {"tier": "fe"}
    assert out["spec"]["ports"] == [{"port": 9}], "lists replace wholesale"
    assert out["spec"]["selector"] == {"app": "web"}
    assert doc["metadata"]["labels"] == {"app": "web"}


def test_merge_patch_rejects_non_object() -> None:
    with pytest.raises(PatchError) as info:
        apply_merge_patch(svc(), [1])
    assert info.value.code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=3), json_values, max_size=4))
def test_merge_patch_with_itself_minus_nulls_is_idempotent(patch: dict[str, Any]) -> None:
    once = apply_merge_patch({}, patch)
    assert apply_merge_patch(once, patch) == once


# ---------------------------------------------------------------------------- strategic merge


def test_smp_kubectl_apply_port_change() -> None:
    """The exact patch kubectl apply sends when a manifest's port goes from 80 to 81."""
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}},
        "spec": {
            "$setElementOrder/ports": [{"port": 81}],
            "ports": [{"name": "http", "port": 81, "targetPort": 8080}, {"$patch": "delete", "port": 80}],
        },
    }
    out = smp(svc(), patch)
    assert out["spec"]["ports"] == [{"name": "http", "port": 81, "targetPort": 8080}]
    assert out["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}
    assert out["metadata"]["labels"] == {"app": "web"}


def test_smp_merges_ports_by_port_and_keeps_other_fields() -> None:
    doc = svc(
        ports=[
            {"name": "a", "port": 80, "protocol": "TCP", "targetPort": 8080},
            {"name": "b", "port": 443, "protocol": "TCP", "targetPort": 8443},
        ]
    )
    out = smp(doc, {"spec": {"ports": [{"port": 443, "targetPort": 9443}]}})
    assert out["spec"]["ports"] == [
        {"name": "a", "port": 80, "protocol": "TCP", "targetPort": 8080},
        {"name": "b", "port": 443, "protocol": "TCP", "targetPort": 9443},
    ]


def test_smp_edit_patch_with_set_element_order() -> None:
    doc = svc(
        ports=[
            {"name": "a", "port": 80, "protocol": "TCP", "targetPort": 8080},
            {"name": "b", "port": 443, "protocol": "TCP", "targetPort": 8443},
        ]
    )
    patch = {
        "spec": {
            "$setElementOrder/ports": [{"port": 443}, {"port": 80}],
            "ports": [{"port": 80, "targetPort": 9090}],
        }
    }
    out = smp(doc, patch)
    assert [p["port"] for p in out["spec"]["ports"]] == [443, 80]
    assert out["spec"]["ports"][1]["targetPort"] == 9090


def test_smp_null_deletes_and_maps_merge() -> None:
    out = smp(svc(), {"metadata": {"labels": {"app": None, "x": "y"}}, "spec": {"selector": {"tier": "fe"}}})
    assert out["metadata"]["labels"] == {"x": "y"}
    assert out["spec"]["selector"] == {"app": "web", "tier": "fe"}


def test_smp_map_replace_and_delete_directives() -> None:
    out = smp(svc(), {"spec": {"selector": {"$patch": "replace", "only": "this"}}})
    assert out["spec"]["selector"] == {"only": "this"}
    out = smp(svc(), {"metadata": {"labels": {"$patch": "delete"}}})
    assert out["metadata"]["labels"] == {}


def test_smp_list_replace_directive() -> None:
    doc = svc(ports=[{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}])
    out = smp(doc, {"spec": {"ports": [{"$patch": "replace"}, {"port": 9}]}})
    assert out["spec"]["ports"] == [{"port": 9}]


def test_smp_unknown_lists_replace() -> None:
    out = smp(svc(externalIPs=["1.1.1.1"]), {"spec": {"externalIPs": ["2.2.2.2"]}})
    assert out["spec"]["externalIPs"] == ["2.2.2.2"]
    endpoints = {"subsets": [{"addresses": [{"ip": "10.0.0.1"}]}]}
    out = smp(endpoints, {"subsets": [{"addresses": [{"ip": "10.0.0.2"}]}]}, kind="Endpoints")
    assert out["subsets"] == [{"addresses": [{"ip": "10.0.0.2"}]}]


def test_smp_pod_containers_by_name_env_by_name_ports_by_container_port() -> None:
    pod = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "image": "x:1",
                    "env": [{"name": "E", "value": "1"}],
                    "ports": [{"containerPort": 80}],
                },
                {"name": "b", "image": "y:1"},
            ]
        }
    }
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "image": "x:2",
                    "env": [{"name": "F", "value": "2"}],
                    "ports": [{"containerPort": 80, "name": "http"}],
                }
            ]
        }
    }
    out = smp(pod, patch, kind="Pod")
    a = out["spec"]["containers"][0]
    assert a["image"] == "x:2"
    assert a["env"] == [{"name": "E", "value": "1"}, {"name": "F", "value": "2"}]
    assert a["ports"] == [{"containerPort": 80, "name": "http"}]
    assert out["spec"]["containers"][1] == {"name": "b", "image": "y:1"}


def test_smp_pod_status_conditions_by_type() -> None:
    pod = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]
        }
    }
    out = smp(pod, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, kind="Pod")
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "PodScheduled", "status": "True"},
    ]


def test_smp_finalizers_set_merge_and_delete_from_primitive_list() -> None:
    doc = svc()
    doc["metadata"]["finalizers"] = ["a", "b"]
    out = smp(doc, {"metadata": {"finalizers": ["c", "a"]}})
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]
    out = smp(doc, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert out["metadata"]["finalizers"] == ["b"]


def test_smp_owner_references_by_uid() -> None:
    doc = svc()
    doc["metadata"]["ownerReferences"] = [{"uid": "1", "name": "x"}]
    out = smp(doc, {"metadata": {"ownerReferences": [{"uid": "2", "name": "y"}]}})
    assert [o["uid"] for o in out["metadata"]["ownerReferences"]] == ["1", "2"]


def test_smp_retain_keys() -> None:
    pod = {"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}
    patch = {
        "spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]}
    }
    out = smp(pod, patch, kind="Pod")
    assert out["spec"]["volumes"] == [{"name": "v", "hostPath": {"path": "/x"}}]


def test_smp_item_without_merge_key_is_400() -> None:
    with pytest.raises(PatchError) as info:
        smp(svc(), {"spec": {"ports": [{"name": "x"}]}})
    assert info.value.code == 400
    assert "does not contain declared merge key: port" in str(info.value)


def test_smp_does_not_mutate_input_and_empty_patch_is_identity() -> None:
    doc = svc()
    before = copy.deepcopy(doc)
    assert smp(doc, {}) == before
    smp(doc, {"spec": {"ports": [{"port": 80, "targetPort": 1}]}})
    assert doc == before


def test_smp_node_addresses_merge_by_type() -> None:
    node = {
        "status": {
            "addresses": [{"type": "InternalIP", "address": "1.1.1.1"}, {"type": "Hostname", "address": "n"}]
        }
    }
    out = smp(node, {"status": {"addresses": [{"type": "InternalIP", "address": "2.2.2.2"}]}}, kind="Node")
    assert out["status"]["addresses"][0] == {"type": "InternalIP", "address": "2.2.2.2"}
    assert len(out["status"]["addresses"]) == 2


def test_smp_retain_keys_must_cover_the_patch() -> None:
    pod = {"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}
    patch = {"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "hostPath": {"path": "/x"}}]}}
    with pytest.raises(PatchError) as info:
        smp(pod, patch, kind="Pod")
    # upstream: mergepatch.ErrBadPatchFormatForRetainKeys, mapped to 400 Bad Request
    assert info.value.code == 400 and str(info.value) == "invalid patch format of retainKeys"
