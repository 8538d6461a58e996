"""What real clients see of kube-apiserver's wire shape: the fields the default admission plugins
add to every Pod (`kubectl get pod -o yaml`, the Python client), and `kubectl auth whoami` on the
authentication.k8s.io versions kube-apiserver serves (v1 by default; v1beta1, which kubectl
1.27 needs, only with `--runtime-config authentication.k8s.io/v1beta1=true`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import DISPATCHER, make_kubectl, write

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]

DEFAULT_TOLERATIONS = [
    {
        "effect": "NoExecute",
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "tolerationSeconds": 300,
    },
    {
        "effect": "NoExecute",
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "tolerationSeconds": 300,
    },
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("wireshape") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def namespace(server: ApiServer) -> str:
    name = f"ws-{uuid.uuid4().hex[:8]}"
    status, body, _ = server.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


POD = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: nginx
"""


def test_kubectl_get_pod_shows_admission_defaults(server: ApiServer, namespace: str, tmp_path: Path) -> None:
    kubectl = make_kubectl(server, tmp_path / "cache", namespace)
    kubectl("apply", "-f", str(write(tmp_path, "pod.yaml", POD)))
    spec = yaml.safe_load(kubectl("get", "pod", "web", "-o", "yaml").stdout)["spec"]
    assert spec["serviceAccountName"] == "default"
    assert spec["serviceAccount"] == "default"
    assert spec["priority"] == 0
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert spec["enableServiceLinks"] is True
    assert spec["tolerations"] == DEFAULT_TOLERATIONS
    assert "volumes" not in spec  # no token volume: kubesvc issues no ServiceAccount tokens

    # kubectl apply again (a three-way merge that never mentioned these fields) keeps them
    kubectl(
        "apply",
        "-f",
        str(write(tmp_path, "pod2.yaml", POD.replace("name: web", "name: web\n  labels: {a: b}"))),
    )
    again = yaml.safe_load(kubectl("get", "pod", "web", "-o", "yaml").stdout)
    assert again["metadata"]["labels"] == {"a": "b"}
    assert again["spec"]["tolerations"] == DEFAULT_TOLERATIONS and again["spec"]["priority"] == 0

    # raw JSON: Go's field order in the spec
    raw = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{namespace}/pods/web").stdout)
    assert list(raw)[:3] == ["kind", "apiVersion", "metadata"]
    keys = list(raw["spec"])
    for earlier, later in (
        ("containers", "restartPolicy"),
        ("serviceAccountName", "serviceAccount"),
        ("schedulerName", "tolerations"),
        ("tolerations", "priority"),
        ("priority", "enableServiceLinks"),
        ("enableServiceLinks", "preemptionPolicy"),
    ):
        assert keys.index(earlier) < keys.index(later), keys


def test_admission_refusals_reach_kubectl(server: ApiServer, namespace: str, tmp_path: Path) -> None:
    kubectl = make_kubectl(server, tmp_path / "cache", namespace)
    bad = POD.replace("spec:\n", "spec:\n  priorityClassName: gold\n")
    out = kubectl("create", "-f", str(write(tmp_path, "bad.yaml", bad)), check=False)
    assert out.returncode == 1
    assert 'pods "web" is forbidden: no PriorityClass with name gold was found' in out.stderr


def test_python_client_sees_admission_defaults(server: ApiServer, namespace: str) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    api = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(str(server.kubeconfig)))
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "py"},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
    }
    created = api.create_namespaced_pod(namespace, body)
    assert created.spec.service_account_name == "default"
    assert created.spec.priority == 0 and created.spec.preemption_policy == "PreemptLowerPriority"
    assert [(t.key, t.toleration_seconds) for t in created.spec.tolerations] == [
        ("node.kubernetes.io/not-ready", 300),
        ("node.kubernetes.io/unreachable", 300),
    ]


# (kubectl, --emulated-version, extra flags, whoami works)
WHOAMI = [
    ("1.31", "1.31", (), True),
    ("1.27", "1.27", (), False),  # as kube-apiserver: v1beta1 is off by default
    ("1.27", "1.27", ("--runtime-config", "authentication.k8s.io/v1beta1=true"), True),
    ("1.27", "1.31", ("--runtime-config", "api/beta=true"), True),
]


@pytest.mark.parametrize(("kubectl_version", "emulated", "flags", "works"), WHOAMI)
def test_auth_whoami_per_served_version(
    tmp_path: Path, kubectl_version: str, emulated: str, flags: tuple[str, ...], works: bool
) -> None:
    srv = start_apiserver(tmp_path / "data", "--emulated-version", emulated, *flags, backend="memory")
    try:
        kubectl = make_kubectl(srv, tmp_path / "cache", None, kubectl_version)
        out = kubectl("auth", "whoami", "-o", "json", check=False)
        if works:
            assert out.returncode == 0, out.stderr
            review = json.loads(out.stdout)
            assert review["status"]["userInfo"]["username"] == "admin"
            assert "system:authenticated" in review["status"]["userInfo"]["groups"]
        else:
            assert out.returncode == 1
            assert "the selfsubjectreviews API is not enabled in the cluster" in out.stderr
        group = json.loads(kubectl("get", "--raw", "/apis/authentication.k8s.io").stdout)
        versions = [v["version"] for v in group["versions"]]
        assert versions == (["v1", "v1beta1"] if flags else ["v1"])
        assert group["preferredVersion"]["version"] == "v1"
    finally:
        srv.stop()
