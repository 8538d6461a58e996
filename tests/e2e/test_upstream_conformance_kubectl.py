"""Upstream's kubectl conformance e2e tests (kubernetes/kubernetes test/e2e/kubectl/kubectl.go,
"[sig-cli] Kubectl client ... [Conformance]") for the kinds we serve, run with the real kubectl;
what the Go tests read back through client-go is read here through the official Python client.

Left out: the tests built on ReplicationControllers, Deployments or running containers
(guestbook, Update Demo, expose rc, patch pods in rc, diff Deployment, logs); "describe" keeps
its Pod, Service, Node and Namespace parts with a plain Pod in place of the RC's.  Where a Go
test waits for a Pod to run, the Pod's status is written as a kubelet would (`kubectl patch
--subresource=status`): nothing runs containers here.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import DISPATCHER, Kubectl, binary, make_kubectl
from tests.support.proc import LineReader, kill_group

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]

HTTPD = "registry.k8s.io/e2e-test-images/httpd:2.4.38-4"
BUSYBOX = "registry.k8s.io/e2e-test-images/busybox:1.36.1-1"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52"
PAUSE = "registry.k8s.io/pause:3.10"
POD_RUNNING_TIMEOUT = "--pod-running-timeout=2m0s"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("conformance-kubectl") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def core(server: ApiServer) -> Iterator[client.CoreV1Api]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    name = f"kubectl-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


@pytest.fixture
def kubectl(server: ApiServer, ns: str, tmp_path: Path) -> Kubectl:
    return make_kubectl(server, tmp_path / "cache", ns)


def kubelet_runs(kubectl: Kubectl, pod: str, ip: str) -> None:
    """The status a kubelet writes once the Pod's containers run and are ready."""
    status = {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "hostIP": "192.0.2.60",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
            {"type": "ContainersReady", "status": "True"},
            {"type": "PodScheduled", "status": "True"},
        ],
    }
    kubectl("patch", "pod", pod, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def check_output(output: str, required: list[list[str]]) -> None:
    """checkOutput: each requirement's first item found on a line at or after the previous
    one's, the others on that same line."""
    lines = output.split("\n")
    current = 0
    for requirement in required:
        while current < len(lines) and requirement[0] not in lines[current]:
            current += 1
        assert current < len(lines), f"failed to find {requirement[0]} in {output}"
        for item in requirement[1:]:
            assert item in lines[current], f"failed to find {item} in {lines[current]}"


def single_image(pod: client.V1Pod, image: str) -> bool:
    """not checkContainersImage: exactly one container, with `image`."""
    return (
        pod.spec.containers is not None
        and len(pod.spec.containers) == 1
        and pod.spec.containers[0].image == image
    )


def test_kubectl_api_versions_should_check_if_v1_is_in_available_api_versions(kubectl: Kubectl) -> None:
    """kubectl/kubectl.go: "Kubectl api-versions should check if v1 is in available api versions"."""
    output = kubectl("api-versions").stdout
    assert "v1" in output.split("\n"), output


def test_kubectl_cluster_info_should_check_if_kubernetes_control_plane_services_is_included(
    kubectl: Kubectl,
) -> None:
    """kubectl/kubectl.go: "Kubectl cluster-info should check if Kubernetes control plane
    services is included in cluster-info"."""
    output = kubectl("cluster-info").stdout
    for item in ("Kubernetes control plane", "is running at"):
        assert item in output, output


def test_kubectl_version_should_check_is_all_data_is_printed(kubectl: Kubectl) -> None:
    """kubectl/kubectl.go: "Kubectl version should check is all data is printed"."""
    output = kubectl("version").stdout
    for item in ("Client Version: ", "Server Version: "):
        old = re.search(
            item
            + r'version.Info\{Major:"\d", Minor:"\d+\+?", GitVersion:"v\d\.\d+\.[\d\w\-\.\+]+", GitCommit:"[0-9a-f]+"',
            output,
        )
        new = re.search(item + r"v\d\.\d+\.[\d\w\-\.\+]+", output)
        assert old or new, f"Item {item} value is not valid in {output}"


def test_kubectl_run_pod_should_create_a_pod_from_an_image_when_restart_is_never(
    kubectl: Kubectl, core: client.CoreV1Api, ns: str
) -> None:
    """kubectl/kubectl.go: "Kubectl run pod should create a pod from an image when restart is Never"."""
    name = "e2e-test-httpd-pod"
    kubectl("run", name, "--restart=Never", POD_RUNNING_TIMEOUT, f"--image={HTTPD}")
    pod = core.read_namespaced_pod(name, ns)
    assert single_image(pod, HTTPD)
    assert pod.spec.restart_policy == "Never"
    kubectl("delete", "pods", name)


def test_kubectl_replace_should_update_a_single_container_pods_image(
    kubectl: Kubectl, core: client.CoreV1Api, ns: str
) -> None:
    """kubectl/kubectl.go: "Kubectl replace should update a single-container pod's image"."""
    name = "e2e-test-httpd-pod"
    kubectl("run", name, f"--image={HTTPD}", POD_RUNNING_TIMEOUT, f"--labels=run={name}")
    kubelet_runs(kubectl, name, "10.244.7.2")
    assert [p.status.phase for p in core.list_namespaced_pod(ns, label_selector=f"run={name}").items] == [
        "Running"
    ]
    pod_json = kubectl("get", "pod", name, "-o", "json").stdout
    assert name in pod_json
    pod_json = pod_json.replace(HTTPD, BUSYBOX, 1)
    kubectl("replace", "-f", "-", stdin=pod_json)
    assert single_image(core.read_namespaced_pod(name, ns), BUSYBOX)
    kubectl("delete", "pods", name, "--grace-period=0", "--force")


def test_kubectl_server_side_dry_run_should_check_if_kubectl_can_dry_run_update_pods(
    kubectl: Kubectl, core: client.CoreV1Api, ns: str
) -> None:
    """kubectl/kubectl.go: "Kubectl server-side dry-run should check if kubectl can dry-run
    update Pods"."""
    name = "e2e-test-httpd-pod"
    kubectl("run", name, f"--image={HTTPD}", POD_RUNNING_TIMEOUT, f"--labels=run={name}")
    spec_image = json.dumps({"spec": {"containers": [{"name": name, "image": BUSYBOX}]}})
    kubectl("patch", "pod", name, "-p", spec_image, "--dry-run=server")
    assert single_image(core.read_namespaced_pod(name, ns), HTTPD)
    kubectl("delete", "pods", name)


def test_kubectl_label_should_update_the_label_on_a_resource(kubectl: Kubectl) -> None:
    """kubectl/kubectl.go: "Kubectl label should update the label on a resource" (the
    pause-pod.yaml.in Pod, 'ready' as its kubelet reports it)."""
    pod_yaml = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pause\n  labels:\n    name: pause\n"
        f"spec:\n  containers:\n  - name: pause\n    image: {PAUSE}\n    ports:\n    - containerPort: 80\n"
    )
    kubectl("create", "-f", "-", stdin=pod_yaml)
    kubelet_runs(kubectl, "pause", "10.244.7.3")
    kubectl("label", "pods", "pause", "testing-label=testing-label-value")
    assert "testing-label-value" in kubectl("get", "pod", "pause", "-L", "testing-label").stdout
    kubectl("label", "pods", "pause", "testing-label-")
    assert "testing-label-value" not in kubectl("get", "pod", "pause", "-L", "testing-label").stdout
    # cleanupKubectlInputs: delete --grace-period=0 --force, then nothing left by the selector
    # (it asks for "rc,svc"; we serve no ReplicationControllers)
    kubectl("delete", "--grace-period=0", "--force", "-f", "-", stdin=pod_yaml)
    assert kubectl("get", "svc", "-l", "name=pause", "--no-headers").stdout == ""
    assert (
        kubectl(
            "get", "pods", "-l", "name=pause", "-o", "go-template={{range.items}}{{.metadata.name}} {{end}}"
        ).stdout
        == ""
    )


def test_kubectl_describe_should_check_if_kubectl_describe_prints_relevant_information_for_pods(
    kubectl: Kubectl, core: client.CoreV1Api, ns: str
) -> None:
    """kubectl/kubectl.go: "Kubectl describe should check if kubectl describe prints relevant
    information for rc and pods" -- the Pod (a plain one for the RC's, hence no "Controlled
    By:"), Service, Node and Namespace parts."""
    node = f"describe-node-{uuid.uuid4().hex[:5]}"
    core.create_node(
        client.V1Node(
            metadata=client.V1ObjectMeta(name=node, labels={"kubernetes.io/hostname": node}),
            status=client.V1NodeStatus(
                capacity={"cpu": "2", "memory": "4Gi", "pods": "110"},
                allocatable={"cpu": "2", "memory": "4Gi", "pods": "110"},
                addresses=[client.V1NodeAddress(type="InternalIP", address="192.0.2.60")],
                conditions=[client.V1NodeCondition(type="Ready", status="True", reason="KubeletReady")],
                node_info=client.V1NodeSystemInfo(
                    machine_id="m",
                    system_uuid="s",
                    boot_id="b",
                    kernel_version="6.1.0",
                    os_image="Debian GNU/Linux 12 (bookworm)",
                    container_runtime_version="containerd://1.7.0",
                    kubelet_version="v1.31.0",
                    kube_proxy_version="v1.31.0",
                    operating_system="linux",
                    architecture="amd64",
                ),
            ),
        )
    )
    pod_name = f"agnhost-primary-{uuid.uuid4().hex[:5]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod_name, "labels": {"app": "agnhost", "role": "primary"}},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "agnhost-primary",
                    "image": AGNHOST,
                    "ports": [{"name": "agnhost-server", "containerPort": 6379}],
                }
            ],
        },
    }
    service = {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "agnhost-primary", "labels": {"app": "agnhost", "role": "primary"}},
        "spec": {
            "ports": [{"port": 6379, "targetPort": "agnhost-server"}],
            "selector": {"app": "agnhost", "role": "primary"},
        },
    }
    kubectl("create", "-f", "-", stdin=json.dumps(pod))
    kubectl("create", "-f", "-", stdin=json.dumps(service))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    kubectl(
        "patch",
        "pod",
        pod_name,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(
            {
                "status": {
                    "phase": "Running",
                    "podIP": "10.244.7.4",
                    "podIPs": [{"ip": "10.244.7.4"}],
                    "hostIP": "192.0.2.60",
                    "startTime": now,
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [
                        {
                            "name": "agnhost-primary",
                            "image": AGNHOST,
                            "imageID": "",
                            "ready": True,
                            "restartCount": 0,
                            "started": True,
                            "state": {"running": {"startedAt": now}},
                        }
                    ],
                }
            }
        ),
    )
    output = kubectl("describe", "pod", pod_name).stdout
    check_output(
        output,
        [
            ["Name:", "agnhost-primary-"],
            ["Namespace:", ns],
            ["Node:"],
            ["Labels:", "app=agnhost"],
            ["role=primary"],
            ["Annotations:"],
            ["Status:", "Running"],
            ["IP:"],
            ["Image:", AGNHOST],
            ["State:", "Running"],
            ["QoS Class:", "BestEffort"],
        ],
    )
    output = kubectl("describe", "service", "agnhost-primary").stdout
    check_output(
        output,
        [
            ["Name:", "agnhost-primary"],
            ["Namespace:", ns],
            ["Labels:", "app=agnhost"],
            ["role=primary"],
            ["Annotations:"],
            ["Selector:", "app=agnhost", "role=primary"],
            ["Type:", "ClusterIP"],
            ["IP:"],
            ["Port:", "<unset>", "6379/TCP"],
            ["Endpoints:"],
            ["Session Affinity:", "None"],
        ],
    )
    first = core.list_node().items[0].metadata.name
    output = kubectl("describe", "node", first).stdout
    check_output(
        output,
        [
            ["Name:", first],
            ["Labels:"],
            ["Annotations:"],
            ["CreationTimestamp:"],
            ["Conditions:"],
            ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
            ["Addresses:"],
            ["Capacity:"],
            ["Version:"],
            ["Kernel Version:"],
            ["OS Image:"],
            ["Container Runtime Version:"],
            ["Kubelet Version:"],
            ["Kube-Proxy Version:"],
            ["Pods:"],
        ],
    )
    output = kubectl("describe", "namespace", ns).stdout
    check_output(output, [["Name:", ns], ["Labels:"], ["Annotations:"], ["Status:", "Active"]])
    kubectl("delete", "pod", pod_name, "--grace-period=0", "--force")
    core.delete_node(node)


def _start_proxy(server: ApiServer, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [
        binary(None),
        "--kubeconfig",
        str(server.kubeconfig),
        "--cache-dir",
        str(tmp_path / "cache"),
        "proxy",
        *args,
    ]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _first_line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """kubectl proxy's "Starting to serve on ..." line (the first on its stdout; warnings it
    logs to stderr may come before), waited for with a deadline."""
    assert proc.stdout is not None
    lines = LineReader(proc.stdout)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.next(timeout=max(deadline - time.monotonic(), 0.1))
        except TimeoutError:
            _stop(proc)
            raise AssertionError(f"kubectl proxy did not start serving within {timeout}s: {seen}") from None
        if not line or "Starting to serve on" in line:
            return line or "".join(seen)
        seen.append(line)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.wait(5)


def _http_get(sock: socket.socket, path: str) -> tuple[int, dict[str, object]]:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        body = out
    return status, json.loads(body)


def test_proxy_server_should_support_proxy_with_port_0(server: ApiServer, tmp_path: Path) -> None:
    """kubectl/kubectl.go: "Proxy server should support proxy with --port 0": the port read
    from kubectl's first line, /api/ through it lists at least one version."""
    proc = _start_proxy(server, tmp_path, "-p", "0", "--disable-filter")
    try:
        line = _first_line(proc)
        match = re.search(r"Starting to serve on 127.0.0.1:(\d+)", line)
        assert match, line
        with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=30) as sock:
            status, versions = _http_get(sock, "/api/")
        assert status == 200, versions
        assert len(versions["versions"]) >= 1  # type: ignore[arg-type]
    finally:
        _stop(proc)


def test_proxy_server_should_support_unix_socket(server: ApiServer, tmp_path: Path) -> None:
    """kubectl/kubectl.go: "Proxy server should support --unix-socket=/path"."""
    path = tmp_path / "test"
    proc = _start_proxy(server, tmp_path, f"--unix-socket={path}")
    try:
        assert "Starting to serve on" in _first_line(proc)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(str(path))
            status, versions = _http_get(sock, "/api")
        assert status == 200, versions
    finally:
        _stop(proc)
