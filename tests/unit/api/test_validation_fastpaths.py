"""Shortcuts the create path takes in validation must not change a single answer:
- a Service whose own validation passed skips the generic metadata pass (`_common_create`),
  which must then have nothing to say;
- `FieldPath.child` answers from a cache: the same paths as building them afresh.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api import validation
from kubesvc.api.fields import ROOT, FieldPath
from kubesvc.api.validation import _common_create

_names = st.sampled_from(["web", "a-", "-a", "a.b", "a/b", "a%b", ".", "..", "A", "x" * 64, "", "1a", "a_b"])
_label_keys = st.sampled_from(["app", "a/b", "example.com/x", "-bad", "x" * 70])
_label_values = st.sampled_from(["v", "", "-bad", "x" * 70, "a b"])

_service = st.builds(
    lambda name, gen, ns, labels, annotations, finalizers, generation, managers: {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            k: v
            for k, v in {
                "name": name,
                "generateName": gen,
                "namespace": ns,
                "labels": labels,
                "annotations": annotations,
                "finalizers": finalizers,
                "generation": generation,
                "managedFields": managers,
            }.items()
            if v is not None
        },
        "spec": {
            "type": "ClusterIP",
            "sessionAffinity": "None",
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "internalTrafficPolicy": "Cluster",
        },
    },
    _names,
    st.one_of(st.none(), _names),
    st.sampled_from(["default", "", "Bad", "kube-system"]),
    st.one_of(st.none(), st.dictionaries(_label_keys, _label_values, max_size=2)),
    st.one_of(st.none(), st.dictionaries(_label_keys, _label_values, max_size=2)),
    st.one_of(st.none(), st.lists(st.sampled_from(["kubernetes", "a/b", "bad name", "x/y/z"]), max_size=2)),
    st.one_of(st.none(), st.integers(-1, 2)),
    st.one_of(
        st.none(),
        st.lists(
            st.fixed_dictionaries(
                {
                    "manager": st.sampled_from(["m", "\x00", "x" * 130]),
                    "operation": st.sampled_from(["Update", "Apply", "Nope"]),
                }
            ),
            max_size=2,
        ),
    ),
)


@settings(max_examples=400, deadline=None)
@given(svc=_service)
def test_service_skips_only_a_silent_generic_pass(svc: dict[str, Any]) -> None:
    errs = validation.validate(svc)
    if not errs:
        assert _common_create(svc) == []


@given(parts=st.lists(st.sampled_from(["spec", "ports", "metadata", "a.b", "x"]), min_size=1, max_size=4))
def test_field_path_children(parts: list[str]) -> None:
    built = ROOT
    for p in parts:
        built = built.child(p)
    assert built == FieldPath(".".join(parts))
    assert str(built.child("name")) == ".".join([*parts, "name"])
    assert str(built.child("a", "b")) == ".".join([*parts, "a", "b"])
