"""The Service story end to end, as a Kubernetes user lives it: a real apiserver and a real
`kubesvc controller-manager` (leader-elected, with a load-balancer pool), Pods whose status the
test sets the way a kubelet would (through `pods/<name>/status`), and only the real kubectl and
the official `kubernetes` Python client to look at the result.

Pods name their port `http-web` on different numbers, so the Service's named targetPort
resolves per Pod and the endpoints land in one EndpointSlice per port number.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.apiserver import ApiServer
from tests.support.manager import ControllerManager, start_controller_manager
from tests.support.proc import run as proc_run

KUBECTL = shutil.which("kubectl")
GCLOUD_BIN = Path("/usr/lib/google-cloud-sdk/bin")
# kubectl >= 1.31 describes Service endpoints from EndpointSlices; from 1.32 on it leaves out
# endpoints that are not ready, which shows the controller's conditions as a user sees them
KUBECTL_133 = GCLOUD_BIN / "kubectl.1.33"
LB_POOL = "192.0.2.10-192.0.2.20"  # TEST-NET-1: addresses handed out, never contacted

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
]

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.2) -> T:
    """Call `check` until it stops raising AssertionError; returns its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------- processes


def start_story_manager(srv: ApiServer, log: Path, pool: str = LB_POOL) -> ControllerManager:
    """The controller-manager against `srv`, leader-elected with short durations."""
    return start_controller_manager(
        srv.kubeconfig,
        log,
        "--leader-elect=true",
        "--leader-elect-lease-duration=4s",
        "--leader-elect-renew-deadline=3s",
        "--leader-elect-retry-period=500ms",
        f"--leader-elect-resource-name=story-{uuid.uuid4().hex[:8]}",
        f"--load-balancer-ip-pool={pool}",
        f"--metrics-bind-address=127.0.0.1:{free_port()}",
    )


@pytest.fixture(scope="module")
def controller_manager(
    apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControllerManager]:
    cm = start_story_manager(apiserver, tmp_path_factory.mktemp("controller-manager") / "cm.log")
    try:
        yield cm
    finally:
        cm.stop()


@dataclass
class Kubectl:
    srv: ApiServer
    cm: ControllerManager
    cache_dir: Path
    exe: str
    namespace: str

    def __call__(
        self, *args: str, check: bool = True, exe: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = [exe or self.exe, "--kubeconfig", str(self.srv.kubeconfig), "--cache-dir", str(self.cache_dir)]
        cmd += ["-n", self.namespace, *args]
        proc = proc_run(cmd, input=stdin, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                f"--- apiserver log tail ---\n{self.srv.logs()[-2000:]}\n"
                f"--- controller-manager log tail ---\n{self.cm.logs()[-2000:]}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self("get", *args, "-o", "json").stdout)

    def rows(self, *args: str, exe: str | None = None) -> list[list[str]]:
        lines = [ln for ln in self("get", *args, exe=exe).stdout.splitlines() if ln.strip()]
        return [ln.split() for ln in lines]


def kubectl_for(srv: ApiServer) -> str:
    """What the gcloud `kubectl` dispatcher runs for this server (kubectl.1.<minor>), called
    directly to spare the dispatcher's start-up; the dispatcher when not installed."""
    assert KUBECTL is not None
    status, version, _ = srv.call("GET", "/version")
    assert status == 200, version
    exe = GCLOUD_BIN / f"kubectl.1.{str(version['minor']).rstrip('+')}"
    return str(exe) if exe.exists() else KUBECTL


@pytest.fixture
def kubectl(apiserver: ApiServer, controller_manager: ControllerManager, tmp_path: Path) -> Kubectl:
    ns = f"story-{uuid.uuid4().hex[:8]}"
    status, body, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert status == 201, body
    return Kubectl(apiserver, controller_manager, tmp_path / "cache", kubectl_for(apiserver), ns)


# ----------------------------------------------------------------------------- objects


def node_yaml(name: str, zone: str) -> str:
    return f"""\
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels:
    topology.kubernetes.io/zone: {zone}
"""


def pod_yaml(name: str, node: str, port: int, grace: int = 30) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    app: web
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: {grace}
  containers:
  - name: web
    image: nginx:stable
    ports:
    - name: http-web
      containerPort: {port}
---
"""


SERVICE_YAML = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http-web
"""


def set_status(kubectl: Kubectl, pod: str, ip: str | None, ready: bool) -> None:
    """What a kubelet reports: phase, IP and the Ready condition, through pods/<name>/status."""
    status: dict[str, Any] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    kubectl("patch", "pod", pod, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def set_ready_with_python_client(srv: ApiServer, namespace: str, pod: str, ready: bool) -> None:
    """The same, through the official `kubernetes` client (a kubelet-like program)."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(srv.kubeconfig))  # type: ignore[no-untyped-call]
    try:
        body = {"status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
        client.CoreV1Api(api_client).patch_namespaced_pod_status(pod, namespace, body)
    finally:
        api_client.close()


def slices(kubectl: Kubectl, service: str) -> list[Any]:
    items: list[Any] = kubectl.json("endpointslices", "-l", f"kubernetes.io/service-name={service}")["items"]
    return items


def endpoints_by_port(kubectl: Kubectl, service: str) -> dict[int, dict[str, dict[str, Any]]]:
    """{resolved port: {address: conditions}} over the Service's EndpointSlices."""
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for s in slices(kubectl, service):
        assert len(s["ports"]) == 1 and s["ports"][0]["name"] == "http", s["ports"]
        port = s["ports"][0]["port"]
        assert port not in out, f"two slices for port {port}"
        out[port] = {e["addresses"][0]: e["conditions"] for e in s["endpoints"]}
    return out


def describe_endpoints(kubectl: Kubectl, service: str, exe: str | None = None) -> str:
    text = kubectl("describe", "svc", service, exe=exe).stdout
    m = re.search(r"^Endpoints:[ \t]*(.*)$", text, re.M)
    assert m, text
    return m.group(1).strip()


READY = {"ready": True, "serving": True, "terminating": False}
NOT_READY = {"ready": False, "serving": False, "terminating": False}


# ----------------------------------------------------------------------------- the story


def test_endpoints_follow_pods(kubectl: Kubectl, apiserver: ApiServer) -> None:
    ns = kubectl.namespace
    node = f"node-{ns}"
    kubectl("apply", "-f", "-", stdin=node_yaml(node, "zone-a"))
    pods = pod_yaml("web-1", node, 8080) + pod_yaml("web-2", node, 9090) + pod_yaml("web-3", node, 8080)
    kubectl("apply", "-f", "-", stdin=pods)
    kubectl("apply", "-f", "-", stdin=SERVICE_YAML)
    svc = kubectl.json("svc", "web")

    set_status(kubectl, "web-1", "10.244.1.11", ready=True)
    set_status(kubectl, "web-2", "10.244.1.12", ready=True)
    set_status(kubectl, "web-3", "10.244.1.13", ready=False)

    # -- EndpointSlices: one per resolved port, ready/serving/terminating from the Pods
    def slices_settled() -> None:
        assert endpoints_by_port(kubectl, "web") == {
            8080: {"10.244.1.11": READY, "10.244.1.13": NOT_READY},
            9090: {"10.244.1.12": READY},
        }

    eventually(slices_settled)
    for s in slices(kubectl, "web"):
        assert s["addressType"] == "IPv4"
        assert s["metadata"]["name"].startswith("web-")
        assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
            "endpointslice-controller.k8s.io"
        )
        [owner] = s["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
            "Service",
            "web",
            svc["metadata"]["uid"],
            True,
        )
        for e in s["endpoints"]:
            assert e["nodeName"] == node and e["zone"] == "zone-a"
            assert e["targetRef"]["kind"] == "Pod" and e["targetRef"]["namespace"] == ns
    rows = kubectl.rows("endpointslices", "-l", "kubernetes.io/service-name=web")
    assert rows[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    cells = sorted((r[1], r[2], tuple(sorted(r[3].split(",")))) for r in rows[1:])
    assert cells == [("IPv4", "8080", ("10.244.1.11", "10.244.1.13")), ("IPv4", "9090", ("10.244.1.12",))]

    # -- legacy Endpoints: ready addresses with their resolved ports (not-ready ones apart)
    def endpoints_column() -> set[str]:
        rows = kubectl.rows("endpoints", "web")
        assert rows[0] == ["NAME", "ENDPOINTS", "AGE"]
        return set(rows[1][1].split(","))

    assert eventually(endpoints_column) == {"10.244.1.11:8080", "10.244.1.12:9090"}
    ep = kubectl.json("endpoints", "web")
    not_ready = [a["ip"] for sub in ep["subsets"] for a in sub.get("notReadyAddresses", [])]
    assert not_ready == ["10.244.1.13"]
    assert {p["name"] for sub in ep["subsets"] for p in sub["ports"]} == {"http"}

    # -- kubectl describe svc: the Endpoints line from the slices
    described = describe_endpoints(kubectl, "web")
    assert set(described.split(",")) >= {"10.244.1.11:8080", "10.244.1.12:9090"}, described
    if KUBECTL_133.exists():
        assert set(describe_endpoints(kubectl, "web", exe=str(KUBECTL_133)).split(",")) == {
            "10.244.1.11:8080",
            "10.244.1.12:9090",
        }

    # -- readiness flips: web-3 becomes ready (kubectl), web-1 stops being ready (Python client)
    set_status(kubectl, "web-3", None, ready=True)
    set_ready_with_python_client(apiserver, ns, "web-1", ready=False)

    def flipped() -> None:
        assert endpoints_by_port(kubectl, "web") == {
            8080: {"10.244.1.11": NOT_READY, "10.244.1.13": READY},
            9090: {"10.244.1.12": READY},
        }
        assert endpoints_column() == {"10.244.1.13:8080", "10.244.1.12:9090"}

    eventually(flipped)
    if KUBECTL_133.exists():
        assert set(describe_endpoints(kubectl, "web", exe=str(KUBECTL_133)).split(",")) == {
            "10.244.1.13:8080",
            "10.244.1.12:9090",
        }

    # -- deleting a Pod: terminating while its grace period runs, gone once the kubelet
    # confirms (a zero-grace delete, which `--force` sends)
    kubectl("delete", "pod", "web-2", "--wait=false")

    def terminating() -> None:
        assert endpoints_by_port(kubectl, "web")[9090] == {
            "10.244.1.12": {"ready": False, "serving": True, "terminating": True}
        }
        assert endpoints_column() == {"10.244.1.13:8080"}

    eventually(terminating)
    kubectl("delete", "pod", "web-2", "--grace-period=0", "--force")

    def removed() -> None:
        assert endpoints_by_port(kubectl, "web") == {
            8080: {"10.244.1.11": NOT_READY, "10.244.1.13": READY},
        }

    eventually(removed)

    # -- deleting the Service removes its slices and its Endpoints
    kubectl("delete", "svc", "web")

    def cleaned() -> None:
        assert slices(kubectl, "web") == []
        assert kubectl.json("endpoints")["items"] == []

    eventually(cleaned)
    kubectl("delete", "node", node, "--wait=false")


def test_loadbalancer_gets_external_ip_from_pool(kubectl: Kubectl) -> None:
    kubectl("create", "service", "loadbalancer", "lb", "--tcp=80:8080")

    def external_ip() -> str:
        rows = kubectl.rows("svc", "lb")
        assert rows[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
        name, typ, _cluster_ip, ext, ports, _age = rows[1]
        assert (name, typ) == ("lb", "LoadBalancer")
        assert re.fullmatch(r"80:3\d{4}/TCP", ports), ports
        assert ext != "<pending>"
        return ext

    ip = eventually(external_ip)
    last = int(ip.rsplit(".", 1)[1])
    assert ip.startswith("192.0.2.") and 10 <= last <= 20, ip
    svc = kubectl.json("svc", "lb")
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": ip, "ipMode": "VIP"}]
    described = kubectl("describe", "svc", "lb").stdout
    assert re.search(rf"^LoadBalancer Ingress:\s+{re.escape(ip)}( \(VIP\))?$", described, re.M), described

    # a class that is not ours is left to its own implementation: stays <pending>
    other = """\
apiVersion: v1
kind: Service
metadata:
  name: other
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/internal-vip
  ports:
  - port: 80
"""
    kubectl("apply", "-f", "-", stdin=other)
    time.sleep(1.0)
    assert kubectl.rows("svc", "other")[1][3] == "<pending>"

    # turning the Service into a ClusterIP one takes the address back
    kubectl("patch", "svc", "lb", "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}')

    def released() -> None:
        assert kubectl.json("svc", "lb")["status"] == {"loadBalancer": {}}
        assert kubectl.rows("svc", "lb")[1][3] == "<none>"

    eventually(released)


def test_namespace_deletion_removes_contents(kubectl: Kubectl, apiserver: ApiServer) -> None:
    ns = kubectl.namespace
    node = f"node-{ns}"
    kubectl("apply", "-f", "-", stdin=node_yaml(node, "zone-b"))
    kubectl("apply", "-f", "-", stdin=pod_yaml("web-1", node, 8080, grace=2) + SERVICE_YAML)
    set_status(kubectl, "web-1", "10.244.2.11", ready=True)

    def serving() -> None:
        assert endpoints_by_port(kubectl, "web") == {8080: {"10.244.2.11": READY}}

    eventually(serving)

    kubectl("delete", "namespace", ns, "--wait=false")

    def terminating() -> None:
        rows = kubectl.rows("namespace", ns)
        assert rows[1][:2] == [ns, "Terminating"], rows
        pod = kubectl.json("pod", "web-1")
        assert pod["metadata"].get("deletionTimestamp"), pod["metadata"]

    eventually(terminating)
    # the kubelet confirms the Pod stopped
    kubectl("delete", "pod", "web-1", "--grace-period=0", "--force")
    kubectl("wait", "--for=delete", f"namespace/{ns}", "--timeout=60s")

    for path in (
        f"/api/v1/namespaces/{ns}/services",
        f"/api/v1/namespaces/{ns}/endpoints",
        f"/api/v1/namespaces/{ns}/pods",
        f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
    ):
        status, body, _ = apiserver.call("GET", path)
        assert status == 200 and body["items"] == [], (path, body)
    kubectl("delete", "node", node, "--wait=false")


def test_dual_stack_service_gets_a_slice_per_family(
    apiserver_factory: Callable[..., ApiServer], tmp_path: Path
) -> None:
    """On a dual-stack cluster: one EndpointSlice per address type, legacy Endpoints in the
    Service's primary family only, and a load-balancer address from each family's pool."""
    srv = apiserver_factory("--service-cluster-ip-range", "10.96.0.0/16,fd00:10:96::/108")
    cm = start_story_manager(srv, tmp_path / "cm.log", pool=f"{LB_POOL},2001:db8::10-2001:db8::20")
    try:
        ns = f"story-{uuid.uuid4().hex[:8]}"
        status, body, _ = srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        assert status == 201, body
        kubectl = Kubectl(srv, cm, tmp_path / "cache", kubectl_for(srv), ns)
        kubectl(
            "apply",
            "-f",
            "-",
            stdin=node_yaml("node-ds", "zone-a") + "---\n" + pod_yaml("web-1", "node-ds", 8080),
        )
        service = SERVICE_YAML.replace(
            "spec:\n",
            "spec:\n  type: LoadBalancer\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv6]\n",
        )
        kubectl("apply", "-f", "-", stdin=service)
        pod_status = {
            "phase": "Running",
            "podIP": "10.244.3.11",
            "podIPs": [{"ip": "10.244.3.11"}, {"ip": "fd00:244::11"}],
            "conditions": [{"type": "Ready", "status": "True"}],
        }
        kubectl(
            "patch",
            "pod",
            "web-1",
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps({"status": pod_status}),
        )

        def settled() -> list[list[str]]:
            by_type = {s["addressType"]: s for s in slices(kubectl, "web")}
            assert set(by_type) == {"IPv4", "IPv6"}
            assert [e["addresses"] for e in by_type["IPv4"]["endpoints"]] == [["10.244.3.11"]]
            assert [e["addresses"] for e in by_type["IPv6"]["endpoints"]] == [["fd00:244::11"]]
            rows = kubectl.rows("svc", "web")
            assert rows[1][3] != "<pending>"
            return rows

        rows = eventually(settled)
        svc = kubectl.json("svc", "web")
        assert svc["spec"]["ipFamilies"] == ["IPv6", "IPv4"]
        # CLUSTER-IP shows clusterIPs[0] (the IPv6 one); EXTERNAL-IP the ingress addresses sorted
        assert rows[1][2] == svc["spec"]["clusterIPs"][0] and ":" in rows[1][2]
        ingress = sorted(i["ip"] for i in svc["status"]["loadBalancer"]["ingress"])
        assert rows[1][3] == ",".join(ingress)
        v4, v6 = ipaddress.IPv4Address(ingress[0]), ipaddress.IPv6Address(ingress[1])
        assert ipaddress.IPv4Address("192.0.2.10") <= v4 <= ipaddress.IPv4Address("192.0.2.20"), ingress
        assert ipaddress.IPv6Address("2001:db8::10") <= v6 <= ipaddress.IPv6Address("2001:db8::20"), ingress
        # the Endpoints controller publishes the primary (IPv6) family
        assert kubectl.rows("endpoints", "web")[1][1] == "[fd00:244::11]:8080"
        assert set(describe_endpoints(kubectl, "web").split(",")) == {
            "10.244.3.11:8080",
            "[fd00:244::11]:8080",
        }
    finally:
        cm.stop()
