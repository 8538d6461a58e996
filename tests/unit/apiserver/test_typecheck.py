"""The unstructured converter's container checks (kubesvc/apiserver/typecheck.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api import scheme
from kubesvc.apiserver.typecheck import unstructured_error

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
       "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]}}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("metadata", "labels"), "invalid", "cannot restore map from string"),
        (("metadata", "labels"), ["a"], "cannot restore map from slice"),
        (("metadata", "annotations"), 3, "cannot restore map from int64"),
        (("metadata",), "x", "cannot restore struct from: string"),
        (("spec", "containers"), {"name": "c"}, "cannot restore slice from map"),
        (("spec", "containers"), True, "cannot restore slice from bool"),
        (("spec", "securityContext"), 1.5, "cannot restore struct from: float64"),
        (("metadata", "labels"), None, None),
        (("metadata", "labels"), {"x": "y"}, None),
    ],
)
def test_container_mismatches(path: tuple[str, ...], value: Any, expected: str | None) -> None:
    obj = {**POD, "metadata": dict(POD["metadata"]), "spec": dict(POD["spec"])}
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert unstructured_error(obj, scheme.PODS) == expected


def test_nested_items_and_other_kinds() -> None:
    bad_port = {"spec": {"containers": [{"name": "c", "ports": "80"}]}}
    assert unstructured_error(bad_port, scheme.PODS) == "cannot restore slice from string"
    assert (
        unstructured_error({"spec": {"selector": "app"}}, scheme.SERVICES) == "cannot restore map from string"
    )
    assert (
        unstructured_error({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}}, scheme.SERVICES) is None
    )
