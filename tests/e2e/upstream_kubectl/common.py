"""Shared helpers and manifests of the test/cmd ports (test_upstream_kubectl_*.py here):
upstream's kubectl command tests (kubernetes/kubernetes test/cmd/*.sh) for the kinds kubesvc
serves, run with the real kubectl.

`get_object_assert` is `kube::test::get_object_assert`: `kubectl get <object> -o
go-template=<template>` whose output must match the expected regular expression whole; `both`
and `fails` collect what `kube::test::if_has_string` looks at.  The fixtures the scripts read
(test/fixtures/doc-yaml/..., hack/testdata/...) are written inline with the same content.
Every test works in its own namespace (upstream's `create_and_use_new_namespace`), so "only the
default kubernetes service" becomes "nothing".  Each test module runs its own apiserver.
"""

from __future__ import annotations

import json
import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import GCLOUD_BIN, Kubectl, binary, make_kubectl, write

ID = "{{range.items}}{{.metadata.name}}:{{end}}"


IMAGE = "{{range.items}}{{(index .spec.containers 0).image}}:{{end}}"


def run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The module fixture `server`: one apiserver (as test/cmd runs it: services from 10.0.0.0/24)."""
    srv = start_apiserver(
        tmp_path_factory.mktemp("kubectl-cmd") / "data",
        "--builtin-namespace-finalizer",
        "--service-cluster-ip-range",
        "10.0.0.0/24",  # as test/cmd's apiserver (service-revision*.yaml pin 10.0.0.11/12)
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


def new_namespace(server: ApiServer) -> str:
    name = f"cmd-{uuid.uuid4().hex[:8]}"
    status, body, _ = server.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


def server_kubectl_version(server: ApiServer) -> str | None:
    """The kubectl the gcloud dispatcher would run for this server (`1.<minor>` of /version),
    run directly: the dispatcher's own /version round trip doubles each command's cost."""
    _, version, _ = server.call("GET", "/version")
    candidate = f"1.{version['minor']}"
    return candidate if (GCLOUD_BIN / f"kubectl.{candidate}").exists() else None


def kubectl_in(server: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    return make_kubectl(server, tmp_path / "cache", namespace, server_kubectl_version(server))


def kubectl_with_context(server: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    """A kubectl whose namespace comes from its kubeconfig's context (no -n), as test/cmd's
    `kubectl config set-context --namespace`: a file's own namespace may then differ."""
    config = write(tmp_path, "ctx.kubeconfig", server.kubeconfig.read_text())
    run = make_kubectl(
        server, tmp_path / "ctx-cache", None, server_kubectl_version(server), kubeconfig=config
    )
    run("config", "set-context", "--current", f"--namespace={namespace}")
    return run


def get_object_assert(kubectl: Kubectl, obj: str, template: str, expected: str) -> None:
    """kube::test::get_object_assert: the go-template output matches `expected` (a regex) whole."""
    out = kubectl("get", *shlex.split(obj), "-o", f"go-template={template}").stdout
    assert re.fullmatch(expected, out), f"get {obj} {template!r}: {out!r} does not match {expected!r}"


def fails(kubectl: Kubectl, *args: str, stdin: str | None = None) -> str:
    """A command that must fail (`! kubectl ...`); returns its stdout+stderr."""
    proc = kubectl(*args, check=False, stdin=stdin)
    assert proc.returncode != 0, f"kubectl {' '.join(args)} succeeded:\n{proc.stdout}"
    return proc.stdout + proc.stderr


def both(kubectl: Kubectl, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    proc = kubectl(*args, stdin=stdin, env=env)
    return proc.stdout + proc.stderr


# test/fixtures/doc-yaml/admin/limitrange/valid-pod.yaml
VALID_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: valid-pod
  labels:
    name: valid-pod
spec:
  containers:
  - name: kubernetes-serve-hostname
    image: registry.k8s.io/serve_hostname
    resources:
      limits:
        cpu: "1"
        memory: 512Mi
"""


# test/e2e/testing-manifests/kubectl/agnhost-primary-pod.yaml (trimmed to what the test reads)
AGNHOST_PRIMARY_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: agnhost-primary
  labels:
    name: agnhost-primary
spec:
  containers:
  - name: primary
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args: ["guestbook", "--http-port", "6379"]
    ports:
    - containerPort: 6379
"""


# hack/testdata/pod.yaml and pod-apply.yaml
TEST_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: test-pod
  labels:
    name: {label}
spec:
  containers:
  - name: kubernetes-pause
    image: registry.k8s.io/pause:3.10
"""


# test/fixtures/doc-yaml/user-guide/multi-pod.yaml
MULTI_POD = (
    """\
apiVersion: v1
kind: Pod
metadata:
  labels:
    name: redis
    redis-sentinel: "true"
    role: master
  name: redis-master
spec:
  containers:
    - name: master
      image: registry.k8s.io/redis:e2e
      env:
        - name: MASTER
          value: "true"
      ports:
        - containerPort: 6379
      resources:
        limits:
          cpu: "0.5"
      volumeMounts:
        - mountPath: /redis-master-data
          name: data
  volumes:
    - name: data
      emptyDir: {}
---
"""
    + VALID_POD  # its second document is valid-pod.yaml, word for word
)


# hack/testdata/pod-with-precision.json
POD_WITH_PRECISION = """\
{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "pod-with-precision"
    },
    "spec": {
        "activeDeadlineSeconds": 2147483647,
        "containers": [
            {
                "name": "kubernetes-pause",
                "image": "registry.k8s.io/pause:3.10"
            }
        ],
        "restartPolicy": "Never",
        "securityContext": {
            "supplementalGroups": [
                0,
                1000030003,
                2147483647
            ]
        }
    }
}
"""


# test/e2e/testing-manifests/guestbook/redis-master-service.yaml and redis-slave-service.yaml
REDIS_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: redis-{role}
  labels:
    app: redis
    role: {role}
    tier: backend
spec:
  ports:
  - port: 6379
    targetPort: 6379
  selector:
    app: redis
    role: {role}
    tier: backend
"""


SERVICE_V1_TEST = """\
{
  "kind": "Service",
  "apiVersion": "v1",
  "metadata": {
    "name": "service-v1-test"
  },
  "spec": {
    "ports": [
      {
        "protocol": "TCP",
        "port": 80,
        "targetPort": 80
      }
    ]
  }
}
"""


# hack/testdata/pod-with-large-name.yaml
LARGE_NAME_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-serve-hostname-testing-sixty-three-characters-in-length
  labels:
    name: kubernetes-serve-hostname
spec:
  containers:
  - name: kubernetes-serve-hostname
    image: k8s.gcr.io/e2e-test-images/serve-hostname-amd64:1.1
"""


# test/fixtures/doc-yaml/admin/high-availability/etcd.yaml (the ports are what matters)
ETCD_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: etcd-server
spec:
  hostNetwork: true
  containers:
  - image: registry.k8s.io/etcd:3.0.17
    name: etcd-container
    command: ["/bin/sh", "-c", "/usr/local/bin/etcd"]
    ports:
    - containerPort: 2380
      hostPort: 2380
      name: serverport
    - containerPort: 2379
      hostPort: 2379
      name: clientport
"""


# hack/testdata/prune/{a,b,svc}.yaml (b's namespace "nsb" is a fresh one here)
PRUNE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
{ns}  labels:
    prune-group: "true"
spec:
  containers:
  - name: kubernetes-pause
    image: registry.k8s.io/pause:3.10
"""


PRUNE_SVC = """\
apiVersion: v1
kind: Service
metadata:
  name: prune-svc
  labels:
    prune-group: "true"
spec:
  selector:
    prune-group-nomatch: "true"
  ports:
  - port: 80
    protocol: TCP
"""


# hack/testdata/service-revision1.yaml and service-revision2.yaml
SERVICE_REVISION = """\
apiVersion: v1
kind: Service
metadata:
  name: a
spec:
  selector:
    app: test
  clusterIP: 10.0.0.{ip}
  ports:
    - port: 80
"""


# hack/testdata/multi-resource-3.yaml
MULTI_RESOURCE_3 = "---\n".join(
    f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\nspec:\n  containers:\n"
    "  - name: kubernetes-pause\n    image: registry.k8s.io/pause:3.7\n"
    for n in ("pod-a", "POD-B", "pod-c")
)


TEST_PODS_ON_NODE = [
    {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "labels": {**labels, "type": "test-pod"}},
        "spec": {
            "nodeName": "{node}",
            "containers": [{"name": "container-1", "resources": {}, "image": "test-image"}],
        },
    }
    for name, labels in (("test-pod-1", {"e": "f"}), ("test-pod-2", {"c": "d"}))
]


def _create_test_pods(kubectl: Kubectl, node: str) -> None:
    """node-management.sh create_test_pods (pods bound to the node, never started)."""
    for pod in TEST_PODS_ON_NODE:
        kubectl("create", "-f", "-", stdin=json.dumps(pod).replace("{node}", node))


def _delete_test_pods(kubectl: Kubectl) -> None:
    """node-management.sh delete_test_pods (--force: nothing runs them to completion)."""
    for name in ("test-pod-1", "test-pod-2"):
        kubectl("delete", f"pod/{name}", "--force", "--grace-period=0", "--ignore-not-found")


# hack/testdata/sorted-pods/sorted-pod{1,2,3}.yaml
SORTED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: sorted-pod{n}
  labels:
    name: sorted-pod3-label{label}
spec:
  containers:
  - name: {container}
    image: registry.k8s.io/pause:3.10
    resources:
      requests:
        cpu: {cpu}
        memory: {memory}
      limits:
        cpu: {cpu}
        memory: {memory}
"""


SORTED = [
    dict(n=1, label="3", container="kubernetes-pause2", cpu="0.2", memory="100Mi"),
    dict(n=2, label="2", container="kubernetes-pause1", cpu="0.3", memory="200Mi"),
    dict(n=3, label="1", container="kubernetes-pause3", cpu="0.1", memory="50Mi"),
]


def _sort_order(text: str) -> str:
    """kube::test::if_sort_by_has_correct_order: the pod names in output order."""
    return "".join(f"{m}:" for m in re.findall(r"\b(sorted-pod\d)\b", text))


def _argv(server: ApiServer, cache: Path, namespace: str) -> list[str]:
    return [
        binary(server_kubectl_version(server)),
        "--kubeconfig",
        str(server.kubeconfig),
        "--cache-dir",
        str(cache),
        "-n",
        namespace,
    ]
