"""ObjectMeta, labels, annotations and metav1.LabelSelector validation: named cases with the
exact field path and error type, and sample messages as kube-apiserver prints them."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api.fields import ErrorType
from kubesvc.api.validation import meta as m

R = ErrorType.REQUIRED
I = ErrorType.INVALID  # noqa: E741
F = ErrorType.FORBIDDEN
TL = ErrorType.TOO_LONG


def meta(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "ok", "namespace": "default"}
    out.update(kw)
    return {k: v for k, v in out.items() if v is not None}


def pairs(errs):
    return [(e.field, e.type) for e in errs]


@pytest.mark.parametrize(
    ("md", "namespaced", "name_fn", "expected"),
    [
        pytest.param(meta(), True, m.name_is_dns1123_subdomain, [], id="valid"),
        pytest.param(
            meta(name=None), True, m.name_is_dns1123_subdomain, [("metadata.name", R)], id="name-required"
        ),
        pytest.param(
            meta(name="Bad_Name"), True, m.name_is_dns1123_subdomain, [("metadata.name", I)], id="bad-name"
        ),
        pytest.param(
            meta(generateName="web-"), True, m.name_is_dns1035_label, [], id="generate-name-trailing-dash"
        ),
        pytest.param(
            meta(generateName="Web-"),
            True,
            m.name_is_dns1035_label,
            [("metadata.generateName", I)],
            id="bad-generate-name",
        ),
        pytest.param(
            meta(namespace=None),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.namespace", R)],
            id="namespace-required",
        ),
        pytest.param(
            meta(namespace="Bad"),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.namespace", I)],
            id="bad-namespace",
        ),
        pytest.param(
            meta(), False, m.name_is_dns1123_subdomain, [("metadata.namespace", F)], id="namespace-forbidden"
        ),
        pytest.param(
            meta(generation=-1),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.generation", I)],
            id="negative-generation",
        ),
        pytest.param(
            meta(labels={"a b": "x", "k": "v v"}),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.labels", I), ("metadata.labels", I)],
            id="bad-labels",
        ),
        pytest.param(
            meta(annotations={"Some.Case/Key": "ok"}),
            True,
            m.name_is_dns1123_subdomain,
            [],
            id="annotation-keys-case-insensitive",
        ),
        pytest.param(
            meta(annotations={"a/b/c": "x"}),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.annotations", I)],
            id="bad-annotation-key",
        ),
        pytest.param(
            meta(annotations={"big": "x" * (256 * 1024)}),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.annotations", TL)],
            id="annotations-too-big",
        ),
        pytest.param(
            meta(finalizers=["example.com/cleanup", "kubernetes", "orphan"]),
            True,
            m.name_is_dns1123_subdomain,
            [],
            id="finalizers-ok",
        ),
        pytest.param(
            meta(finalizers=["mine"]),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.finalizers[0]", I)],
            id="unqualified-finalizer",
        ),
        pytest.param(
            meta(finalizers=["orphan", "foregroundDeletion"]),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.finalizers", I)],
            id="conflicting-finalizers",
        ),
        pytest.param(
            meta(ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}]),
            True,
            m.name_is_dns1123_subdomain,
            [],
            id="owner-ok",
        ),
        pytest.param(
            meta(ownerReferences=[{"apiVersion": "", "kind": "", "name": "", "uid": ""}]),
            True,
            m.name_is_dns1123_subdomain,
            [
                ("metadata.ownerReferences.apiVersion", I),
                ("metadata.ownerReferences.kind", I),
                ("metadata.ownerReferences.name", I),
                ("metadata.ownerReferences.uid", I),
            ],
            id="owner-empty-fields",
        ),
        pytest.param(
            meta(ownerReferences=[{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.ownerReferences", I)],
            id="event-may-not-own",
        ),
        pytest.param(
            meta(
                ownerReferences=[
                    {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": True},
                    {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": True},
                ]
            ),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.ownerReferences", I)],
            id="two-controllers",
        ),
        pytest.param(
            meta(managedFields=[{"manager": "m", "operation": "Patch", "fieldsType": "FieldsV2"}]),
            True,
            m.name_is_dns1123_subdomain,
            [("metadata.managedFields[0].operation", I), ("metadata.managedFields[0].fieldsType", I)],
            id="managed-fields",
        ),
    ],
)
def test_validate_object_meta(md, namespaced, name_fn, expected):
    assert pairs(m.validate_object_meta(md, namespaced=namespaced, name_fn=name_fn)) == expected


def test_messages_read_as_upstream():
    [err] = m.validate_object_meta(meta(name=None), namespaced=True, name_fn=m.name_is_dns1123_subdomain)
    assert str(err) == "metadata.name: Required value: name or generateName is required"
    [err] = m.validate_object_meta(
        meta(finalizers=["mine"]), namespaced=True, name_fn=m.name_is_dns1123_subdomain
    )
    assert str(err) == (
        'metadata.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified'
    )
    [err] = m.validate_object_meta(meta(), namespaced=False, name_fn=m.name_is_dns1123_subdomain)
    assert str(err) == "metadata.namespace: Forbidden: not allowed on this type"
    [err] = m.validate_object_meta(
        meta(annotations={"big": "x" * (256 * 1024)}), namespaced=True, name_fn=m.name_is_dns1123_subdomain
    )
    assert str(err) == "metadata.annotations: Too long: may not be more than 262144 bytes"
    [err] = m.validate_object_meta(
        meta(ownerReferences=[{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]),
        namespaced=True,
        name_fn=m.name_is_dns1123_subdomain,
    )
    assert err.detail == "/v1, Kind=Event is disallowed from being an owner"


def test_mask_trailing_dash_for_generate_name():
    # a prefix may end in '-' (a suffix follows); a plain name may not
    assert m.name_is_dns1123_label("abc-", True) == []
    assert m.name_is_dns1123_label("abc-", False) != []
    # upstream replaces the last *two* characters: "a-" masks to "a" and stays valid
    assert m.name_is_dns1035_label("a-", True) == []


def _old() -> dict[str, Any]:
    return meta(uid="u1", resourceVersion="5", creationTimestamp="2024-01-01T00:00:00Z", generation=2)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({}, [], id="unchanged"),
        pytest.param({"name": "other"}, [("metadata.name", I)], id="name-immutable"),
        pytest.param({"namespace": "other"}, [("metadata.namespace", I)], id="namespace-immutable"),
        pytest.param({"uid": "u2"}, [("metadata.uid", I)], id="uid-immutable"),
        pytest.param(
            {"creationTimestamp": "2025-01-01T00:00:00Z"},
            [("metadata.creationTimestamp", I)],
            id="creation-immutable",
        ),
        pytest.param({"resourceVersion": ""}, [("metadata.resourceVersion", I)], id="rv-required"),
        pytest.param({"generation": 1}, [("metadata.generation", I)], id="generation-decrement"),
        pytest.param({"labels": {"-x": "y"}}, [("metadata.labels", I)], id="labels-rechecked"),
    ],
)
def test_validate_object_meta_update(change, expected):
    old = _old()
    new = {**old, **change}
    assert pairs(m.validate_object_meta_update(new, old)) == expected


def test_no_new_finalizers_while_deleting():
    old = {**_old(), "deletionTimestamp": "2024-02-02T00:00:00Z", "finalizers": ["a.io/x"]}
    new = {**old, "finalizers": ["a.io/x", "b.io/y"]}
    [err] = m.validate_object_meta_update(new, old)
    assert str(err) == (
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"b.io/y"}'
    )


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param(None, [], id="nil"),
        pytest.param({"matchLabels": {"app": "web"}}, [], id="match-labels"),
        pytest.param({"matchLabels": {"a b": "web"}}, [("s.matchLabels", I)], id="bad-match-label-key"),
        pytest.param(
            {"matchExpressions": [{"key": "k", "operator": "In"}]},
            [("s.matchExpressions[0].values", R)],
            id="in-needs-values",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["x"]}]},
            [("s.matchExpressions[0].values", F)],
            id="exists-forbids-values",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "k", "operator": "Gt", "values": ["1"]}]},
            [("s.matchExpressions[0].operator", I)],
            id="bad-operator",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["a b"]}]},
            [("s.matchExpressions[0].values[0]", I)],
            id="bad-value",
        ),
    ],
)
def test_validate_label_selector(selector, expected):
    assert pairs(m.validate_label_selector(selector, "s")) == expected


def test_path_segment_names():
    assert m.validate_path_segment_name("..", False) == ["may not be '..'"]
    assert m.validate_path_segment_name("a/b%c", False) == ["may not contain '/'", "may not contain '%'"]
    assert m.validate_path_segment_name("..", True) == []
