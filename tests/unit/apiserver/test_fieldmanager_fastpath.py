"""The create fast path of managedFields: `added_paths` must be exactly what the two-sided
`compare({}, obj)` adds, and `set_to_fields` must encode a field set as the straightforward
prefix-table encoder did (a copy of it is the reference here)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.patch import schema_for
from kubesvc.apiserver import fieldmanager as fm

_scalar = st.one_of(st.integers(0, 3), st.sampled_from(["a", "TCP", "UDP", ""]), st.booleans(), st.none())
_names = st.sampled_from(["a", "b", "app", "x/y", "port", "protocol", "name"])


def _maps(inner: Any) -> Any:
    return st.dictionaries(_names, inner, max_size=3)


_value = st.recursive(
    _scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), _maps(inner)), max_leaves=8
)
_port = st.fixed_dictionaries(
    {"port": st.integers(1, 3)},
    optional={"protocol": st.sampled_from(["TCP", "UDP"]), "targetPort": _scalar, "name": _names},
)
_container = st.fixed_dictionaries(
    {"name": _names},
    optional={
        "image": _scalar,
        "ports": st.lists(st.fixed_dictionaries({"containerPort": st.integers(1, 3)})),
    },
)

_service = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "labels": _maps(_scalar),
                "annotations": _maps(_scalar),
                "finalizers": st.lists(_names, max_size=3),
                "ownerReferences": st.lists(
                    st.fixed_dictionaries({"uid": _names, "name": _names}), max_size=2
                ),
            },
        ),
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "ports": st.lists(_port, max_size=3),
                "selector": _maps(_scalar),
                "clusterIPs": st.lists(_names, max_size=2),
                "type": _scalar,
                "other": _value,
            },
        ),
        "status": _value,
    },
)
_pod = st.fixed_dictionaries(
    {
        "spec": st.fixed_dictionaries(
            {}, optional={"containers": st.lists(_container, max_size=3), "x": _value}
        )
    }
)


def _reference_set_to_fields(paths: Any) -> dict[str, Any]:
    root: dict[str, Any] = {}
    nodes: dict[Any, dict[str, Any]] = {(): root}

    def node_at(path: Any) -> dict[str, Any]:
        node = nodes.get(path)
        if node is None:
            kind, text = path[-1]
            node = nodes[path] = node_at(path[:-1]).setdefault(f"{kind}:{text}", {})
        return node

    members = []
    for path in sorted(set(paths)):
        node = node_at(path)
        if path:
            members.append(node)
    for node in members:
        if any(k != "." for k in node):
            node["."] = {}

    def ordered(node: dict[str, Any]) -> dict[str, Any]:
        items = sorted(node.items(), key=lambda kv: fm._key_order(kv[0]))
        return {k: ordered(c) if c else {} for k, c in items}

    return ordered(root)


@settings(max_examples=300, deadline=None)
@given(obj=_service)
def test_service_create_paths(obj: dict[str, Any]) -> None:
    schema = schema_for("v1", "Service")
    expected = fm.compare({}, obj, schema)
    assert not expected.modified and not expected.removed
    got = fm.added_paths(obj, schema)
    assert got == expected.added
    encoded = fm.set_to_fields(got)
    assert encoded == _reference_set_to_fields(got)
    assert list(encoded) == list(_reference_set_to_fields(got))  # same key order, top level
    assert fm.fields_to_set(encoded) == got


@settings(max_examples=150, deadline=None)
@given(obj=_pod)
def test_pod_create_paths(obj: dict[str, Any]) -> None:
    schema = schema_for("v1", "Pod")
    assert fm.added_paths(obj, schema) == fm.compare({}, obj, schema).added


def test_create_records_what_upstream_records() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "default", "labels": {"app": "s"}},
        "spec": {"selector": {"app": "s"}, "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]},
    }
    fm.record_update(None, svc, manager="kubectl-create", api_version="v1", now="2024-01-01T00:00:00Z")
    assert svc["metadata"]["managedFields"] == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:ports": {
                        ".": {},
                        'k:{"port":80,"protocol":"TCP"}': {
                            ".": {},
                            "f:port": {},
                            "f:protocol": {},
                            "f:targetPort": {},
                        },
                    },
                    "f:selector": {},
                },
            },
        }
    ]
