"""Pod warnings, ported from upstream pkg/api/pod/warnings_test.go (`TestWarnings`, the cases
for fields kubesvc's Pod has) plus the pod strategy's `WarningsOnCreate` name warning."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api import scheme
from kubesvc.api.validation.pod import pod_warnings, pod_warnings_on_create
from kubesvc.registry.kinds import PodStrategy

RES = {"cpu": "100m", "memory": "4m", "ephemeral-storage": "4m"}
SIDECAR: dict[str, Any] = {"restartPolicy": "Always"}
DEPRECATED_KEYS = [
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "beta.kubernetes.io/instance-type",
]
MSG = {
    "beta.kubernetes.io/arch": 'deprecated since v1.14; use "kubernetes.io/arch" instead',
    "beta.kubernetes.io/os": 'deprecated since v1.14; use "kubernetes.io/os" instead',
    "failure-domain.beta.kubernetes.io/region": 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
    "failure-domain.beta.kubernetes.io/zone": 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
    "beta.kubernetes.io/instance-type": 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
}
NS = "spec.affinity.nodeAffinity."


def spec(**kw: Any) -> dict[str, Any]:
    return {"spec": kw}


def vol(name: str, **source: Any) -> dict[str, Any]:
    return {"name": name, **source}


def proj(*sources: dict[str, Any]) -> dict[str, Any]:
    return spec(volumes=[vol("foo", projected={"sources": list(sources)})])


def ports(*lists: list[dict[str, Any]], init: bool = False) -> list[dict[str, Any]]:
    names = ["foo", "bar"] if len(lists) == 2 else [f"c{i}" for i in range(len(lists))]
    return [{"name": n, "ports": p} for n, p in zip(names, lists, strict=True)]


def overlap(volume: str, desc: str, body: str) -> str:
    return f'volume "{volume}" ({desc}): overlapping paths: {body}'


DUP_ENV_A = [
    {"name": "a", "value": "a"},
    {"name": "a", "value": "a"},
    {"name": "a", "value": "other"},
    {"name": "a", "value": ""},
    {"name": "a", "value": "$(a)"},
    {"name": "a", "valueFrom": {}},
    {"name": "a", "value": "$(a) $(a)"},  # no warning
]
DUP_ENV_B = [
    {**e, "name": "b", **({"value": e["value"].replace("a", "b")} if "value" in e else {})} for e in DUP_ENV_A
]

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("empty", {}, []),
    *[
        # (the warning names the Go field; the Pod's JSON key for storageOS is "storageos")
        (
            plugin,
            spec(volumes=[vol("s", **{"storageos" if plugin == "storageOS" else plugin: {}})]),
            [f"spec.volumes[0].{plugin}: {msg}"],
        )
        for plugin, msg in [
            ("photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+"),
            ("gitRepo", "deprecated in v1.11"),
            ("scaleIO", "deprecated in v1.16, non-functional in v1.22+"),
            ("flocker", "deprecated in v1.22, non-functional in v1.25+"),
            ("storageOS", "deprecated in v1.22, non-functional in v1.25+"),
            ("quobyte", "deprecated in v1.22, non-functional in v1.25+"),
            ("glusterfs", "deprecated in v1.25, non-functional in v1.26+"),
            ("cephfs", "deprecated in v1.28, non-functional in v1.31+"),
            ("rbd", "deprecated in v1.28, non-functional in v1.31+"),
        ]
    ],
    (
        "overlapping paths in a configmap volume",
        spec(
            volumes=[
                vol(
                    "Test",
                    configMap={
                        "name": "foo",
                        "items": [{"key": "foo", "path": "test"}, {"key": "bar", "path": "test"}],
                    },
                )
            ]
        ),
        [overlap("Test", 'ConfigMap "foo"', '"test" with "test"')],
    ),
    (
        "overlapping paths in a configmap volume - dir path into a file",
        spec(
            volumes=[
                vol(
                    "Test",
                    configMap={
                        "name": "foo",
                        "items": [{"key": "foo", "path": "test"}, {"key": "bar", "path": "test/app"}],
                    },
                )
            ]
        ),
        [overlap("Test", 'ConfigMap "foo"', '"test/app" with "test"')],
    ),
    (
        "overlapping paths in a configmap volume - file into a dir path",
        spec(
            volumes=[
                vol(
                    "Test",
                    configMap={
                        "name": "foo",
                        "items": [{"key": "bar", "path": "test/app"}, {"key": "foo", "path": "test"}],
                    },
                )
            ]
        ),
        [overlap("Test", 'ConfigMap "foo"', '"test" with "test/app"')],
    ),
    (
        "overlapping paths in a secret volume",
        spec(
            volumes=[
                vol(
                    "Test",
                    secret={
                        "secretName": "foo",
                        "items": [{"key": "foo", "path": "test"}, {"key": "bar", "path": "test"}],
                    },
                )
            ]
        ),
        [overlap("Test", 'Secret "foo"', '"test" with "test"')],
    ),
    (
        "overlapping paths in a downward api volume",
        spec(
            volumes=[
                vol(
                    "Test",
                    downwardAPI={
                        "items": [
                            {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test"},
                            {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"},
                                "path": "test",
                            },
                        ]
                    },
                )
            ]
        ),
        [overlap("Test", "DownwardAPI", '"test" with "test"')],
    ),
    (
        "projected: service account and config",
        proj(
            {"configMap": {"name": "Test", "items": [{"key": "foo", "path": "test"}]}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (ConfigMap "Test")')],
    ),
    (
        "projected: service account dir and config file",
        proj(
            {"configMap": {"name": "Test", "items": [{"key": "foo", "path": "test"}]}},
            {"serviceAccountToken": {"path": "test/file"}},
        ),
        [overlap("foo", "Projected", '"test/file" (ServiceAccountToken) with "test" (ConfigMap "Test")')],
    ),
    (
        "projected: service account file and config dir",
        proj(
            {"configMap": {"name": "Test", "items": [{"key": "foo", "path": "test/file"}]}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test/file" (ConfigMap "Test")')],
    ),
    (
        "projected: service account and secret",
        proj(
            {"secret": {"name": "Test", "items": [{"key": "foo", "path": "test"}]}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (Secret "Test")')],
    ),
    (
        "projected: service account and downward api",
        proj(
            {
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test"}
                    ]
                }
            },
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (DownwardAPI)')],
    ),
    (
        "projected: service account and cluster trust bundle",
        proj(
            {"clusterTrustBundle": {"name": "Test", "path": "test"}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (ClusterTrustBundle "Test")')],
    ),
    (
        "projected: service account and cluster trust bundle with signer name",
        proj(
            {"clusterTrustBundle": {"signerName": "Test", "path": "test"}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (ClusterTrustBundle "Test")')],
    ),
    (
        "projected: secret and config map",
        proj(
            {"secret": {"name": "TestSecret", "items": [{"key": "mykey", "path": "test"}]}},
            {"configMap": {"name": "TestConfigMap", "items": [{"key": "mykey", "path": "test/test1"}]}},
        ),
        [
            overlap(
                "foo",
                "Projected",
                '"test/test1" (ConfigMap "TestConfigMap") with "test" (Secret "TestSecret")',
            )
        ],
    ),
    (
        "projected: secret and downward api",
        proj(
            {"secret": {"name": "TestSecret", "items": [{"key": "mykey", "path": "test"}]}},
            {
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test/test2"}
                    ]
                }
            },
        ),
        [overlap("foo", "Projected", '"test/test2" (DownwardAPI) with "test" (Secret "TestSecret")')],
    ),
    (
        "projected: downward api and cluster trust bundle",
        proj(
            {
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test/test2"}
                    ]
                }
            },
            {"clusterTrustBundle": {"name": "Test", "path": "test"}},
        ),
        [overlap("foo", "Projected", '"test" (ClusterTrustBundle "Test") with "test/test2" (DownwardAPI)')],
    ),
    (
        "projected: multiple sources",
        proj(
            {"clusterTrustBundle": {"signerName": "Test", "path": "test/test"}},
            {
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test"}
                    ]
                }
            },
            {"secret": {"name": "Test", "items": [{"key": "foo", "path": "test"}]}},
            {"serviceAccountToken": {"path": "test"}},
        ),
        [
            overlap("foo", "Projected", '"test" (DownwardAPI) with "test/test" (ClusterTrustBundle "Test")'),
            overlap(
                "foo", "Projected", '"test" (Secret "Test") with "test/test" (ClusterTrustBundle "Test")'
            ),
            overlap("foo", "Projected", '"test" (Secret "Test") with "test" (DownwardAPI)'),
            overlap(
                "foo",
                "Projected",
                '"test" (ServiceAccountToken) with "test/test" (ClusterTrustBundle "Test")',
            ),
            overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (DownwardAPI)'),
            overlap("foo", "Projected", '"test" (ServiceAccountToken) with "test" (Secret "Test")'),
        ],
    ),
    (
        "projected: ServiceAccount vs. DownwardAPI",
        proj(
            {"serviceAccountToken": {"path": "test/test2"}},
            {
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test"},
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}, "path": "test"},
                    ]
                }
            },
        ),
        [
            overlap("foo", "Projected", '"test" (DownwardAPI) with "test/test2" (ServiceAccountToken)'),
            overlap("foo", "Projected", '"test" (DownwardAPI) with "test/test2" (ServiceAccountToken)'),
            overlap("foo", "Projected", '"test" (DownwardAPI) with "test" (DownwardAPI)'),
        ],
    ),
    ("empty sources in projected volume", proj({}), ['volume "foo" (Projected) has no sources provided']),
    (
        "duplicate hostAlias",
        spec(hostAliases=[{"ip": "1.1.1.1"}] * 3),
        ['spec.hostAliases[1].ip: duplicate ip "1.1.1.1"', 'spec.hostAliases[2].ip: duplicate ip "1.1.1.1"'],
    ),
    (
        "duplicate imagePullSecret",
        spec(imagePullSecrets=[{"name": "a"}] * 3),
        [
            'spec.imagePullSecrets[1].name: duplicate name "a"',
            'spec.imagePullSecrets[2].name: duplicate name "a"',
        ],
    ),
    (
        "empty imagePullSecret",
        spec(imagePullSecrets=[{"name": ""}]),
        ['spec.imagePullSecrets[0].name: invalid empty name ""'],
    ),
    (
        "duplicate env",
        spec(initContainers=[{"env": DUP_ENV_A}], containers=[{"env": DUP_ENV_B}]),
        [
            *[
                f'spec.initContainers[0].env[{i}]: hides previous definition of "a", which may be dropped when using apply'
                for i in range(1, 6)
            ],
            *[
                f'spec.containers[0].env[{i}]: hides previous definition of "b", which may be dropped when using apply'
                for i in range(1, 6)
            ],
        ],
    ),
    (
        "fractional resources",
        spec(
            initContainers=[{"resources": {"requests": RES, "limits": RES}}],
            containers=[{"resources": {"requests": RES, "limits": RES}}],
            overhead=RES,
        ),
        [
            f'{p}[{r}]: fractional byte value "4m" is invalid, must be an integer'
            for p in (
                "spec.initContainers[0].resources.requests",
                "spec.initContainers[0].resources.limits",
                "spec.containers[0].resources.requests",
                "spec.containers[0].resources.limits",
                "spec.overhead",
            )
            for r in ("ephemeral-storage", "memory")
        ],
    ),
    (
        "node labels in nodeSelector",
        spec(nodeSelector=dict.fromkeys(DEPRECATED_KEYS, "true")),
        [f"spec.nodeSelector[{k}]: {MSG[k]}" for k in DEPRECATED_KEYS],
    ),
    (
        "node labels in affinity requiredDuringSchedulingIgnoredDuringExecution",
        spec(
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": k} for k in ["foo", *DEPRECATED_KEYS]]}
                        ]
                    }
                }
            }
        ),
        [
            f"{NS}requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[{i}].key: {k} is {MSG[k]}"
            for i, k in enumerate(DEPRECATED_KEYS, 1)
        ],
    ),
    (
        "node labels in affinity preferredDuringSchedulingIgnoredDuringExecution",
        spec(
            affinity={
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"preference": {"matchExpressions": [{"key": k} for k in ["foo", *DEPRECATED_KEYS]]}}
                    ]
                }
            }
        ),
        [
            f"{NS}preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[{i}].key: {k} is {MSG[k]}"
            for i, k in enumerate(DEPRECATED_KEYS, 1)
        ],
    ),
    (
        "node labels in topologySpreadConstraints",
        spec(
            topologySpreadConstraints=[
                {"topologyKey": k, "labelSelector": {}} for k in ["foo", *DEPRECATED_KEYS]
            ]
        ),
        [
            f"spec.topologySpreadConstraints[{i}].topologyKey: {k} is {MSG[k]}"
            for i, k in enumerate(DEPRECATED_KEYS, 1)
        ],
    ),
    (
        "annotations",
        {
            "metadata": {
                "annotations": {
                    "foo": "bar",
                    "scheduler.alpha.kubernetes.io/critical-pod": "true",
                    "seccomp.security.alpha.kubernetes.io/pod": "default",
                    "container.seccomp.security.alpha.kubernetes.io/foo": "default",
                    "security.alpha.kubernetes.io/sysctls": "a,b,c",
                    "security.alpha.kubernetes.io/unsafe-sysctls": "d,e,f",
                }
            },
            "spec": {"containers": [{"name": "foo"}]},
        },
        [
            'metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "priorityClassName" field instead',
            'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead',
            'metadata.annotations[container.seccomp.security.alpha.kubernetes.io/foo]: non-functional in v1.27+; use the "seccompProfile" field instead',
            'metadata.annotations[security.alpha.kubernetes.io/sysctls]: non-functional in v1.11+; use the "sysctls" field instead',
            'metadata.annotations[security.alpha.kubernetes.io/unsafe-sysctls]: non-functional in v1.11+; use the "sysctls" field instead',
        ],
    ),
    (
        "seccomp fields",
        {
            "metadata": {
                "annotations": {
                    "seccomp.security.alpha.kubernetes.io/pod": "default",
                    "container.seccomp.security.alpha.kubernetes.io/foo": "default",
                }
            },
            "spec": {
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {"name": "foo", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}
                ],
            },
        },
        [],
    ),
    *[
        (
            f"pod with ephemeral volume source {size}",
            spec(
                volumes=[
                    vol(
                        "ephemeral-volume",
                        ephemeral={
                            "volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": size}}}}
                        },
                    )
                ]
            ),
            expected,
        )
        for size, expected in [
            ("200Mi", []),
            (
                "200m",
                [
                    'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]: fractional byte value "200m" is invalid, must be an integer'
                ],
            ),
        ]
    ],
    (
        "terminationGracePeriodSeconds is negative",
        spec(terminationGracePeriodSeconds=-1),
        [
            "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"
        ],
    ),
    (
        "null LabelSelector in topologySpreadConstraints",
        spec(topologySpreadConstraints=[{"labelSelector": {}}, {}]),
        ["spec.topologySpreadConstraints[1].labelSelector: a null labelSelector results in matching no pod"],
    ),
    (
        "null LabelSelector in PodAffinity",
        spec(
            affinity={
                kind: {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {}}, {}],
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"podAffinityTerm": {"labelSelector": {}}},
                        {"podAffinityTerm": {}},
                    ],
                }
                for kind in ("podAffinity", "podAntiAffinity")
            }
        ),
        [
            f"spec.affinity.{kind}.{where}: a null labelSelector results in matching no pod"
            for kind in ("podAffinity", "podAntiAffinity")
            for where in (
                "requiredDuringSchedulingIgnoredDuringExecution[1].labelSelector",
                "preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.labelSelector",
            )
        ],
    ),
    ("container no ports", spec(containers=[{"name": "foo", "ports": []}]), []),
    ("one container, one port", spec(containers=ports([{"containerPort": 80, "hostPort": 80}])), []),
    (
        "one container, two ports, same protocol, different ports",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP"}, {"containerPort": 81, "protocol": "UDP"}]
            )
        ),
        [],
    ),
    (
        "one container, two ports, different protocols, same port",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP"}, {"containerPort": 80, "protocol": "TCP"}]
            )
        ),
        [],
    ),
    (
        "one container, two ports, same protocol, same port, different hostport",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "protocol": "TCP", "hostPort": 80},
                    {"containerPort": 80, "protocol": "TCP", "hostPort": 81},
                ]
            )
        ),
        [],
    ),
    (
        "one container, two ports, same protocol, port and hostPort, different hostIP",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "protocol": "TCP", "hostPort": 80, "hostIP": "10.0.0.1"},
                    {"containerPort": 80, "protocol": "TCP", "hostPort": 80, "hostIP": "10.0.0.2"},
                ]
            )
        ),
        [],
    ),
    (
        "two containers, one port each, same protocol, different ports",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP"}], [{"containerPort": 81, "protocol": "UDP"}]
            )
        ),
        [],
    ),
    (
        "two containers, one port each, different protocols, same port",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP"}], [{"containerPort": 80, "protocol": "TCP"}]
            )
        ),
        [],
    ),
    (
        "two containers, one port each, same protocol, same port, different hostport",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "TCP", "hostPort": 80}],
                [{"containerPort": 80, "protocol": "TCP", "hostPort": 81}],
            )
        ),
        [],
    ),
    (
        "two containers, one port each, same protocol, port and hostPort, different hostIP",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "TCP", "hostPort": 80, "hostIP": "10.0.0.1"}],
                [{"containerPort": 80, "protocol": "TCP", "hostPort": 80, "hostIP": "10.0.0.2"}],
            )
        ),
        [],
    ),
    (
        "duplicate container ports with same port and protocol",
        spec(containers=ports([{"containerPort": 80, "protocol": "UDP"}] * 2)),
        ["spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "duplicate container ports with same port, hostPort and protocol",
        spec(containers=ports([{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}] * 2)),
        ["spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "duplicate container ports with same port, host port, host IP and protocol",
        spec(
            containers=ports(
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}] * 2
            )
        ),
        ["spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "one container port hostIP set without host port set",
        spec(containers=ports([{"containerPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}])),
        [
            "spec.containers[0].ports[0]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:80 Protocol:UDP HostIP:10.0.0.1}"
        ],
    ),
    (
        "duplicate container ports with one host port set and one without",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"},
                    {"containerPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"},
                ]
            )
        ),
        [
            "spec.containers[0].ports[1]: overlapping port definition with spec.containers[0].ports[0]",
            "spec.containers[0].ports[1]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:80 Protocol:UDP HostIP:10.0.0.1}",
        ],
    ),
    (
        "duplicate container ports without one host IP set and two with",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"},
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP"},
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.2"},
                ]
            )
        ),
        [
            "spec.containers[0].ports[1]: dangerously ambiguous port definition with spec.containers[0].ports[0]",
            "spec.containers[0].ports[2]: dangerously ambiguous port definition with spec.containers[0].ports[1]",
        ],
    ),
    (
        "duplicate container ports with one host IP set and one without",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"},
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP"},
                ]
            )
        ),
        [
            "spec.containers[0].ports[1]: dangerously ambiguous port definition with spec.containers[0].ports[0]"
        ],
    ),
    (
        "duplicate containers with same port and protocol",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP"}], [{"containerPort": 80, "protocol": "UDP"}]
            )
        ),
        ["spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "duplicate containers with same port, hostPort and protocol",
        spec(containers=ports(*[[{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}]] * 2)),
        ["spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "duplicate containers with same port, host port, host IP and protocol",
        spec(
            containers=ports(
                *[[{"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}]] * 2
            )
        ),
        ["spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"],
    ),
    (
        "duplicate containers with one host port set and one without",
        spec(
            containers=ports(
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}],
                [{"containerPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}],
            )
        ),
        [
            "spec.containers[1].ports[0]: overlapping port definition with spec.containers[0].ports[0]",
            "spec.containers[1].ports[0]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:80 Protocol:UDP HostIP:10.0.0.1}",
        ],
    ),
    (
        "duplicate container ports without one host IP set and one with",
        spec(
            containers=ports(
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}],
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}],
            )
        ),
        [
            "spec.containers[1].ports[0]: dangerously ambiguous port definition with spec.containers[0].ports[0]"
        ],
    ),
    (
        "duplicate container ports with one host IP set and one without (two containers)",
        spec(
            containers=ports(
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP", "hostIP": "10.0.0.1"}],
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}],
            )
        ),
        [
            "spec.containers[1].ports[0]: dangerously ambiguous port definition with spec.containers[0].ports[0]"
        ],
    ),
    (
        "create duplicate container ports in two containers",
        spec(
            containers=ports(
                [
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP"},
                    {"containerPort": 180, "hostPort": 80, "protocol": "UDP"},
                    {"containerPort": 80, "hostPort": 80, "protocol": "UDP"},
                ],
                [{"containerPort": 80, "hostPort": 80, "protocol": "UDP"}] * 2,
            )
        ),
        [
            "spec.containers[0].ports[2]: duplicate port definition with spec.containers[0].ports[0]",
            "spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]",
            "spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[2]",
            "spec.containers[1].ports[1]: duplicate port definition with spec.containers[0].ports[0]",
            "spec.containers[1].ports[1]: duplicate port definition with spec.containers[0].ports[2]",
            "spec.containers[1].ports[1]: duplicate port definition with spec.containers[1].ports[0]",
        ],
    ),
    (
        "duplicate container ports name in two containers",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP", "name": "test"}],
                [{"containerPort": 8090, "protocol": "TCP", "name": "test"}],
            )
        ),
        [
            'spec.containers[1].ports[0]: duplicate port name "test" with spec.containers[0].ports[0], services and probes that select ports by name will use spec.containers[0].ports[0]'
        ],
    ),
    (
        "duplicate container ports name in two containers, second port",
        spec(
            containers=ports(
                [{"containerPort": 80, "protocol": "UDP", "name": "test"}],
                [
                    {"containerPort": 8090, "protocol": "UDP", "name": "test1"},
                    {"containerPort": 8092, "protocol": "UDP", "name": "test"},
                ],
            )
        ),
        [
            'spec.containers[1].ports[1]: duplicate port name "test" with spec.containers[0].ports[0], services and probes that select ports by name will use spec.containers[0].ports[0]'
        ],
    ),
    (
        "duplicate container ports name in two sidecar containers",
        spec(
            initContainers=[
                {
                    "name": "foo1",
                    **SIDECAR,
                    "ports": [{"containerPort": 80, "protocol": "UDP", "name": "test"}],
                },
                {
                    "name": "foo",
                    **SIDECAR,
                    "ports": [{"containerPort": 8090, "protocol": "TCP", "name": "test"}],
                },
            ]
        ),
        [
            'spec.initContainers[1].ports[0]: duplicate port name "test" with spec.initContainers[0].ports[0], services and probes that select ports by name will use spec.initContainers[0].ports[0]'
        ],
    ),
    (
        "duplicate container ports name in containers and sidecar containers",
        spec(
            initContainers=[
                {
                    "name": "foo1",
                    **SIDECAR,
                    "ports": [{"containerPort": 80, "protocol": "UDP", "name": "test"}],
                }
            ],
            containers=[
                {
                    "name": "foo",
                    "ports": [
                        {"containerPort": 8090, "protocol": "UDP", "name": "test1"},
                        {"containerPort": 8092, "protocol": "UDP", "name": "test"},
                    ],
                }
            ],
        ),
        [
            'spec.containers[0].ports[1]: duplicate port name "test" with spec.initContainers[0].ports[0], services and probes that select ports by name will use spec.initContainers[0].ports[0]'
        ],
    ),
]


@pytest.mark.parametrize(("name", "pod", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pod_warnings(name: str, pod: dict[str, Any], expected: list[str]) -> None:
    # upstream compares as sets plus the count (map iteration order is random in Go)
    assert sorted(pod_warnings(pod, {})) == sorted(expected)
    assert sorted(pod_warnings(pod, None)) == sorted(expected)


def test_no_warnings_for_a_clean_pod() -> None:
    """upstream BenchmarkNoWarnings' pod: nothing to warn about."""
    res = {"cpu": "100m", "memory": "4M", "ephemeral-storage": "4G"}
    env = [{"name": "a"}, {"name": "b"}]
    containers = [
        {"name": n, "env": env, "resources": {"requests": res, "limits": res}} for n in ("c1", "c2")
    ]
    pod = {
        "metadata": {"name": "clean", "annotations": {"foo": "bar"}},
        "spec": {
            "nodeSelector": {"foo": "bar", "baz": "quux"},
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "foo"}]}]
                    },
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"preference": {"matchExpressions": [{"key": "foo"}]}}
                    ],
                }
            },
            "topologySpreadConstraints": [{"topologyKey": "foo", "labelSelector": {}}],
            "hostAliases": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}],
            "imagePullSecrets": [{"name": "secret1"}, {"name": "secret2"}],
            "initContainers": containers,
            "containers": containers,
            "overhead": res,
            "volumes": [{"name": "a"}, {"name": "b"}],
        },
    }
    assert pod_warnings(pod, {}) == []
    assert pod_warnings_on_create(pod) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web-0", []),
        (
            "web.0",
            [
                "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; "
                "a DNS label is recommended: [must not contain dots]"
            ],
        ),
    ],
)
def test_create_warns_about_a_name_that_is_not_a_dns_label(name: str, expected: list[str]) -> None:
    assert pod_warnings_on_create({"metadata": {"name": name}, "spec": {}}) == expected


def test_strategy_warns_on_create_only() -> None:
    """upstream podStrategy: WarningsOnCreate runs GetWarningsForPod; WarningsOnUpdate is empty."""
    pod = {"metadata": {"name": "p"}, "spec": {"nodeSelector": {"beta.kubernetes.io/os": "linux"}}}
    strategy = PodStrategy(scheme.PODS)
    assert strategy.warnings_on_create(pod) == [
        'spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead'
    ]
    assert strategy.warnings_on_update(pod, pod) == []


@pytest.mark.parametrize(
    ("value", "warns"),
    [
        ("1Gi", False),
        ("0.5", True),
        ("1500m", True),
        ("2000m", False),
        (1, False),
        (0.5, True),
        ("1e3", False),
        ("bogus", False),
    ],
)
def test_fractional_memory_quantities(value: Any, warns: bool) -> None:
    pod = {"spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": value}}}]}}
    assert bool(pod_warnings(pod)) is warns
