"""kube-apiserver's default mutating admission for Pods (registry/admission.py), table-driven."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesvc.api import errors
from kubesvc.registry import admission

NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {
    "key": "node.kubernetes.io/unreachable",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}


def pod(spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", **meta},
        "spec": {"containers": [{"name": "c", "image": "i"}], **(spec or {})},
    }


# (case, spec in, the spec fields the create leaves)
CREATE_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "bare pod",
        {},
        {
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "priority": 0,
            "preemptionPolicy": "PreemptLowerPriority",
            "tolerations": [NOT_READY, UNREACHABLE],
        },
    ),
    (
        "named service account kept",
        {"serviceAccountName": "builder"},
        {"serviceAccountName": "builder", "serviceAccount": "builder"},
    ),
    (
        "deprecated alias stands in",
        {"serviceAccount": "old"},
        {"serviceAccountName": "old", "serviceAccount": "old"},
    ),
    (
        "the name wins over the alias",
        {"serviceAccountName": "new", "serviceAccount": "old"},
        {"serviceAccountName": "new", "serviceAccount": "new"},
    ),
    ("priority 0 may be given", {"priority": 0}, {"priority": 0}),
    (
        "the default policy may be given",
        {"preemptionPolicy": "PreemptLowerPriority"},
        {"preemptionPolicy": "PreemptLowerPriority"},
    ),
    (
        "system-node-critical",
        {"priorityClassName": "system-node-critical"},
        {
            "priority": 2000001000,
            "preemptionPolicy": "PreemptLowerPriority",
            "priorityClassName": "system-node-critical",
        },
    ),
    (
        "system-cluster-critical",
        {"priorityClassName": "system-cluster-critical", "priority": 2000000000},
        {"priority": 2000000000},
    ),
    (
        "tolerate everything",
        {"tolerations": [{"operator": "Exists"}]},
        {"tolerations": [{"operator": "Exists"}]},
    ),
    (
        "empty key, NoExecute: both tolerated",
        {"tolerations": [{"operator": "Exists", "effect": "NoExecute"}]},
        {"tolerations": [{"operator": "Exists", "effect": "NoExecute"}]},
    ),
    (
        "own not-ready toleration kept, unreachable added",
        {
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 10}
            ]
        },
        {
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 10},
                UNREACHABLE,
            ]
        },
    ),
    (
        "a NoSchedule toleration does not count",
        {
            "tolerations": [
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoSchedule"}
            ]
        },
        {
            "tolerations": [
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoSchedule"},
                NOT_READY,
                UNREACHABLE,
            ]
        },
    ),
]


@pytest.mark.parametrize(("case", "spec", "want"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_create(case: str, spec: dict[str, Any], want: dict[str, Any]) -> None:
    p = pod(spec)
    admission.admit_pod_create(p)
    for key, value in want.items():
        assert p["spec"][key] == value, key


def test_mirror_pods_get_no_service_account() -> None:
    p = pod(annotations={"kubernetes.io/config.mirror": "x"})
    admission.admit_pod_create(p)
    assert "serviceAccountName" not in p["spec"] and "serviceAccount" not in p["spec"]
    assert p["spec"]["priority"] == 0  # the other plugins still run


def test_no_token_volume_is_mounted() -> None:
    p = pod()
    admission.admit_pod_create(p)
    assert "volumes" not in p["spec"]
    assert "volumeMounts" not in p["spec"]["containers"][0]


# (case, spec, metadata, the 403 message after `pods "<name>" is forbidden: `)
FORBIDDEN_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "priority without a class",
        {"priority": 5},
        {"name": "p"},
        'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; '
        "priority admission controller computed 0 from the given PriorityClass name",
    ),
    (
        "priority differing from the class",
        {"priorityClassName": "system-node-critical", "priority": 7},
        {"name": "p"},
        'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; '
        "priority admission controller computed 2000001000 from the given PriorityClass name",
    ),
    (
        "preemption policy Never",
        {"preemptionPolicy": "Never"},
        {"name": "p"},
        'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; '
        "priority admission controller computed PreemptLowerPriority from the given PriorityClass name",
    ),
    (
        "unknown class, generateName names it",
        {"priorityClassName": "gold"},
        {"generateName": "web-"},
        'pods "web-" is forbidden: no PriorityClass with name gold was found',
    ),
    (
        "unknown class, no name at all",
        {"priorityClassName": "gold"},
        {},
        'pods "Unknown" is forbidden: no PriorityClass with name gold was found',
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "meta", "message"), FORBIDDEN_CASES, ids=[c[0] for c in FORBIDDEN_CASES]
)
def test_create_forbidden(case: str, spec: dict[str, Any], meta: dict[str, Any], message: str) -> None:
    p = pod(spec)
    p["metadata"] = meta
    with pytest.raises(errors.StatusError) as exc:
        admission.admit_pod_create(p)
    assert exc.value.code == 403 and exc.value.reason == "Forbidden"
    assert exc.value.message == message


def test_update_keeps_what_the_create_set() -> None:
    old = pod()
    admission.admit_pod_create(old)
    new = copy.deepcopy(old)
    for key in ("priority", "preemptionPolicy", "tolerations", "serviceAccount"):
        del new["spec"][key]
    admission.admit_pod_update(new, old)
    assert new["spec"]["priority"] == 0
    assert new["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert new["spec"]["tolerations"] == [NOT_READY, UNREACHABLE]
    assert new["spec"]["serviceAccount"] == "default"
    assert new == old


def test_create_is_idempotent() -> None:
    p = pod({"tolerations": [{"key": "a", "operator": "Equal", "value": "b", "effect": "NoSchedule"}]})
    admission.admit_pod_create(p)
    once = copy.deepcopy(p)
    admission.admit_pod_create(p)
    assert p == once
