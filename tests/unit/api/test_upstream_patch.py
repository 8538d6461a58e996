"""Upstream's strategic-merge-patch semantics (apimachinery strategicpatch/patch_test.go and the
apiserver's error mapping), restated for the kinds we serve: the patch, the document, and the
result or error kube-apiserver gives."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api.errors import StatusError
from kubesvc.api.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "finalizers": ["a", "b"], "labels": {"app": "p", "tier": "fe"}},
        "spec": {
            "containers": [
                {"name": "one", "image": "i1", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "two", "image": "i2"},
            ],
            "restartPolicy": "Always",
            "tolerations": [{"key": "k1", "operator": "Exists"}],
        },
    }
    base["spec"].update(spec)
    return base


def service(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {
            "ports": [
                {"name": "a", "port": 80, "protocol": "TCP"},
                {"name": "b", "port": 81, "protocol": "UDP"},
            ],
            "externalIPs": ["192.0.2.1", "192.0.2.2"],
        },
    }
    base["spec"].update(spec)
    return base


def smp(doc: dict[str, Any], patch: Any) -> dict[str, Any]:
    return apply_strategic_merge_patch(doc, patch, api_version=doc["apiVersion"], kind=doc["kind"])


def names(items: list[dict[str, Any]]) -> list[Any]:
    return [i.get("name") for i in items]


# ------------------------------------------------------------------------------ merge results
MERGES: list[Any] = [
    pytest.param(
        pod(),
        {"metadata": {"finalizers": ["b", "c"]}},
        lambda r: r["metadata"]["finalizers"] == ["a", "b", "c"],
        id="primitive-merge-list-is-a-union-in-order",
    ),
    pytest.param(
        pod(),
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "zz"]}},
        lambda r: r["metadata"]["finalizers"] == ["b"],
        id="delete-from-primitive-list-ignores-absent-values",
    ),
    pytest.param(
        pod(),
        {"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}},
        lambda r: r["metadata"]["finalizers"] == ["c", "b", "a"],
        id="set-element-order-on-primitives",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"name": "two", "image": "new"}, {"name": "three", "image": "i3"}]}},
        lambda r: (
            [(c["name"], c["image"]) for c in r["spec"]["containers"]]
            == [("one", "i1"), ("two", "new"), ("three", "i3")]
        ),
        id="containers-merge-by-name-new-ones-appended",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"name": "one", "$patch": "delete"}]}},
        lambda r: names(r["spec"]["containers"]) == ["two"],
        id="patch-delete-list-item",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"name": "z", "image": "iz"}, {"$patch": "replace"}]}},
        lambda r: r["spec"]["containers"] == [{"name": "z", "image": "iz"}],
        id="patch-replace-list",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"name": "one", "ports": [{"containerPort": 81}]}]}},
        lambda r: [p["containerPort"] for p in r["spec"]["containers"][0]["ports"]] == [80, 81],
        id="container-ports-merge-by-containerPort",
    ),
    pytest.param(
        pod(),
        {"spec": {"tolerations": [{"key": "k2", "operator": "Exists"}]}},
        lambda r: r["spec"]["tolerations"] == [{"key": "k2", "operator": "Exists"}],
        id="list-without-strategy-is-replaced",
    ),
    pytest.param(
        pod(),
        {"metadata": {"labels": {"$patch": "replace", "only": "this"}}},
        lambda r: r["metadata"]["labels"] == {"only": "this"},
        id="patch-replace-map",
    ),
    pytest.param(
        pod(),
        {"metadata": {"labels": {"$patch": "delete"}}},
        lambda r: "labels" not in r["metadata"] or r["metadata"]["labels"] == {},
        id="patch-delete-map",
    ),
    pytest.param(
        pod(),
        {"metadata": {"labels": {"tier": None}}},
        lambda r: r["metadata"]["labels"] == {"app": "p"},
        id="null-deletes-a-key",
    ),
    pytest.param(
        pod(),
        {"spec": {"$retainKeys": ["containers", "tolerations"], "tolerations": []}},
        lambda r: set(r["spec"]) == {"containers", "tolerations"} and r["spec"]["tolerations"] == [],
        id="retain-keys-clears-the-others",
    ),
    pytest.param(
        service(),
        {"spec": {"ports": [{"name": "c", "port": 80, "protocol": "UDP"}]}},
        lambda r: (
            [(p["name"], p["port"], p["protocol"]) for p in r["spec"]["ports"]]
            == [("c", 80, "UDP"), ("b", 81, "UDP")]
        ),
        id="service-ports-merge-on-port-alone",
    ),
    pytest.param(
        service(),
        {
            "spec": {
                "$setElementOrder/ports": [{"port": 82}, {"port": 81}, {"port": 80}],
                "ports": [{"port": 82}],
            }
        },
        lambda r: [p["port"] for p in r["spec"]["ports"]] == [82, 81, 80],
        id="set-element-order-on-service-ports",
    ),
    pytest.param(
        service(),
        {"spec": {"externalIPs": ["192.0.2.9"]}},
        lambda r: r["spec"]["externalIPs"] == ["192.0.2.9"],
        id="external-ips-are-replaced",
    ),
    pytest.param(
        service(),
        {"spec": {"$deleteFromPrimitiveList/externalIPs": ["192.0.2.1"]}},
        lambda r: r["spec"]["externalIPs"] == ["192.0.2.2"],
        id="delete-from-primitive-list-on-external-ips",
    ),
    pytest.param(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "e"},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"]}],
            "ports": [{"name": "a", "port": 80}],
        },
        {"endpoints": [{"addresses": ["10.0.0.2"]}], "ports": [{"name": "b", "port": 81}]},
        lambda r: (
            r["endpoints"] == [{"addresses": ["10.0.0.2"]}] and r["ports"] == [{"name": "b", "port": 81}]
        ),
        id="endpointslice-lists-are-atomic",
    ),
]


@pytest.mark.parametrize(("doc", "patch", "check"), MERGES)
def test_strategic_merge(doc: dict[str, Any], patch: Any, check: Any) -> None:
    result = smp(doc, patch)
    assert check(result), result
    assert not any(k.startswith("$") for k in result.get("spec", {})), "directives never land"


# ------------------------------------------------------------------------------ errors
ERRORS: list[Any] = [
    pytest.param(
        service(),
        {"spec": {"ports": [{"targetPort": 441}]}},
        500,
        "map: map[targetPort:441] does not contain declared merge key: port",
        id="missing-merge-key-is-a-plain-error",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"image": "nginx:1.25", "resources": {"limits": {"cpu": 1}}}]}},
        500,
        "map: map[image:nginx:1.25 resources:map[limits:map[cpu:1]]] does not contain declared merge key: name",
        id="missing-merge-key-prints-go-maps",
    ),
    pytest.param(
        pod(),
        {"metadata": {"labels": {"$patch": "frob", "x": "1"}}},
        500,
        "unknown patch type: frob in map: map[$patch:frob x:1]",
        id="unknown-map-directive",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"$patch": "delete"}]}},
        500,
        "delete patch type with no merge key defined",
        id="delete-without-merge-key",
    ),
    pytest.param(
        pod(),
        {"spec": {"containers": [{"$patch": "merge", "name": "one"}]}},
        500,
        "merging lists cannot yet be specified in the patch",
        id="merge-directive-in-list",
    ),
    pytest.param(
        pod(),
        {"spec": {"$retainKeys": ["containers"], "restartPolicy": "Never"}},
        400,
        "invalid patch format of retainKeys",
        id="patch-field-outside-retain-keys",
    ),
    pytest.param(
        pod(),
        {"spec": {"$retainKeys": "containers"}},
        400,
        "invalid patch format of retainKeys",
        id="retain-keys-not-a-list",
    ),
]


@pytest.mark.parametrize(("doc", "patch", "code", "message"), ERRORS)
def test_strategic_merge_errors(doc: dict[str, Any], patch: Any, code: int, message: str) -> None:
    with pytest.raises(PatchError) as info:
        smp(doc, patch)
    status = info.value.to_status_error()
    assert (status.code, status.message) == (code, message)
    if code == 500:
        assert "reason" not in status.to_status(), "a plain Go error has no reason"
    else:
        assert status.reason == "BadRequest"


# ------------------------------------------------------------------------------ JSON / merge patch
@pytest.mark.parametrize(
    ("ops", "cause"),
    [
        (
            [{"op": "test", "path": "/spec/type", "value": "NodePort"}],
            "testing value /spec/type failed: test failed",
        ),
        (
            [{"op": "remove", "path": "/metadata/labels/nope"}],
            "Unable to remove nonexistent key: nope: missing value",
        ),
    ],
)
def test_json_patch_failures_are_the_generic_422(ops: list[Any], cause: str) -> None:
    doc = service(type="ClusterIP")
    doc["metadata"]["labels"] = {"a": "b"}
    with pytest.raises(PatchError) as info:
        apply_json_patch(doc, ops)
    assert str(info.value) == cause
    status = info.value.to_status_error().to_status()
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert not (status.get("details") or {}).get("causes")


def test_json_patch_operation_limit() -> None:
    ops = [{"op": "test", "path": "/kind", "value": "Service"}] * 10000
    assert apply_json_patch(service(), ops)["kind"] == "Service"
    with pytest.raises(StatusError) as info:
        apply_json_patch(service(), [*ops, ops[0]])
    assert info.value.code == 413 and info.value.reason == "RequestEntityTooLarge"
    assert info.value.message == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    )


def test_merge_patch_rfc7386() -> None:
    doc = pod()
    result = apply_merge_patch(
        doc,
        {
            "metadata": {"labels": {"tier": None, "new": "x"}, "finalizers": ["z"]},
            "spec": {"tolerations": None},
        },
    )
    assert result["metadata"]["labels"] == {"app": "p", "new": "x"}
    assert result["metadata"]["finalizers"] == ["z"], "merge patch replaces lists"
    assert "tolerations" not in result["spec"]
    assert doc["metadata"]["finalizers"] == ["a", "b"], "the input is not modified"
