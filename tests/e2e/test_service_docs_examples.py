"""Every Service example of the Kubernetes documentation (`examples/`), applied with the real
kubectl to a real kubesvc apiserver, must be stored the way kube-apiserver stores it and be
printed by `kubectl get svc` with upstream's columns.

Two servers per module: a single-stack one (10.0.0.0/16, which holds the docs' chosen
clusterIP 10.0.171.239) and a dual-stack one (10.96.0.0/16,fd00:10:96::/108, the ranges the
dual-stack page's outcomes are checked against).  Every case applies its manifest into a
fresh namespace (most examples are all called `my-service`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.proc import run as proc_run

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
KUBECTL = shutil.which("kubectl")
GCLOUD_BIN = Path("/usr/lib/google-cloud-sdk/bin")


def kubectl_for(srv: ApiServer) -> str:
    """The binary the gcloud `kubectl` dispatcher would run for this server (kubectl.1.<minor>
    for the minor the server reports), called directly to spare the dispatcher's start-up per
    command; the dispatcher itself when no versioned binary is installed."""
    assert KUBECTL is not None
    status, version, _ = srv.call("GET", "/version")
    assert status == 200, version
    exe = GCLOUD_BIN / f"kubectl.1.{str(version['minor']).rstrip('+')}"
    return str(exe) if exe.exists() else KUBECTL


pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
]

SINGLE_RANGES = ("10.0.0.0/16",)
DUAL_RANGES = ("10.96.0.0/16", "fd00:10:96::/108")
NODE_PORTS = range(30000, 32768)
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ----------------------------------------------------------------------------- servers


@dataclass
class Cluster:
    srv: ApiServer
    ranges: tuple[str, ...]
    cache_dir: Path
    exe: str

    def kubectl(
        self, *args: str, namespace: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.exe, "--kubeconfig", str(self.srv.kubeconfig), "--cache-dir", str(self.cache_dir)]
        if namespace:
            cmd += ["-n", namespace]
        proc = proc_run([*cmd, *args], timeout=60, env=dict(os.environ))
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                f"--- server log tail ---\n{self.srv.logs()[-3000:]}"
            )
        return proc

    def namespace(self, name: str | None = None) -> str:
        name = name or f"docs-{uuid.uuid4().hex[:8]}"
        status, body, _ = self.srv.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        assert status in (201, 409), body
        return name

    def get_json(self, *args: str, namespace: str | None = None) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json", namespace=namespace).stdout)


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Cluster]]:
    base = tmp_path_factory.mktemp("docs-examples")
    flags = {"single": SINGLE_RANGES, "dual": DUAL_RANGES}
    started: dict[str, Cluster] = {}

    def start(kind: str) -> Cluster:
        srv = start_apiserver(base / kind, "--service-cluster-ip-range", ",".join(flags[kind]))
        return Cluster(srv, flags[kind], base / f"{kind}-cache", kubectl_for(srv))

    try:
        with ThreadPoolExecutor(2) as pool:
            futures = {kind: pool.submit(start, kind) for kind in flags}
            for kind, fut in futures.items():
                started[kind] = fut.result()
        yield started
    finally:
        for c in started.values():
            c.srv.stop()


# ----------------------------------------------------------------------------- checks


def ip_family(ip: str) -> str:
    return "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"


def static_band_size(cidr: str) -> int:
    """KEP-3070: the lower band reserved for user-chosen IPs is min(max(16, size/16), 256)."""
    size = ipaddress.ip_network(cidr).num_addresses
    return min(max(16, size // 16), 256)


def check_cluster_ips(svc: Any, ranges: tuple[str, ...], *, chosen: tuple[str, ...] = ()) -> None:
    """clusterIP/clusterIPs/ipFamilies consistent, in range, and from the dynamic band unless chosen."""
    spec = svc["spec"]
    ips = spec["clusterIPs"]
    assert spec["clusterIP"] == ips[0]
    assert len(ips) == len(spec["ipFamilies"]) == len(set(ips))
    nets = {ip_family(r.split("/")[0]): ipaddress.ip_network(r) for r in ranges}
    for ip, family in zip(ips, spec["ipFamilies"], strict=True):
        assert ip_family(ip) == family, (ip, family)
        net = nets[family]
        addr = ipaddress.ip_address(ip)
        assert addr in net and addr != net.network_address, (ip, net)
        if family == "IPv4":
            assert addr != net.broadcast_address
        if ip not in chosen:
            offset = int(addr) - int(net.network_address)
            assert offset >= static_band_size(str(net)), f"{ip} is in the static band of {net}"


def check_common(svc: Any, namespace: str) -> None:
    meta = svc["metadata"]
    assert svc["kind"] == "Service" and svc["apiVersion"] == "v1"
    assert meta["namespace"] == namespace
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert meta["resourceVersion"].isdigit()
    assert RFC3339_Z.match(meta["creationTimestamp"])
    spec = svc["spec"]
    assert spec["sessionAffinity"] in ("None", "ClientIP")
    for port in spec.get("ports", []):
        assert port["protocol"] == "TCP"
        if spec["type"] in ("NodePort", "LoadBalancer"):
            assert port["nodePort"] in NODE_PORTS
        else:
            assert "nodePort" not in port
    if spec["type"] != "ExternalName":
        assert spec["internalTrafficPolicy"] == "Cluster"
    if spec["type"] in ("NodePort", "LoadBalancer"):
        assert spec["externalTrafficPolicy"] in ("Cluster", "Local")
    if spec["type"] == "LoadBalancer":
        assert spec["allocateLoadBalancerNodePorts"] is True
    else:
        assert "allocateLoadBalancerNodePorts" not in spec
    if not (spec["type"] == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"):
        assert "healthCheckNodePort" not in spec
    # nothing but the status subresource writes status: the docs' LoadBalancer example's
    # status block is dropped on create
    assert svc["status"] == {"loadBalancer": {}}


def svc_row(cluster: Cluster, namespace: str, name: str = "my-service") -> list[str]:
    lines = [ln for ln in cluster.kubectl("get", "svc", name, namespace=namespace).stdout.splitlines() if ln]
    assert lines[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert len(lines) == 2, lines
    cells = lines[1].split()
    assert cells[0] == name and len(cells) == 6
    return cells[1:5]


# ----------------------------------------------------------------------------- the cases


@dataclass
class Case:
    file: str
    cluster: str  # "single" or "dual"
    spec: dict[str, Any]  # expected subset of the stored spec (exact values)
    row: Callable[[Any], list[str]]  # expected TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S)
    families: list[str] | None = None  # expected ipFamilies; None = not checked here
    chosen_ips: tuple[str, ...] = ()
    extra: Callable[[Cluster, str, Any], None] | None = None
    absent: tuple[str, ...] = ()
    # what re-applying the unchanged file prints: "unchanged", "configured", or the error
    reapply: str = "unchanged"
    id: str = field(default="")


def first_ip(svc: Any) -> str:
    return str(svc["spec"]["clusterIPs"][0])


def node_port(svc: Any, i: int = 0) -> int:
    return int(svc["spec"]["ports"][i]["nodePort"])


def check_named_targetport(cluster: Cluster, ns: str, svc: Any) -> None:
    pod = cluster.get_json("pod", "nginx", namespace=ns)
    assert pod["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "name": "http-web-svc", "protocol": "TCP"}
    ]
    assert svc["spec"]["ports"][0]["targetPort"] == "http-web-svc"


def check_selectorless(cluster: Cluster, ns: str, svc: Any) -> None:
    assert "selector" not in svc["spec"]
    eps = cluster.get_json("endpointslice", "my-service-1", namespace=ns)
    assert eps["addressType"] == "IPv4"
    assert eps["metadata"]["labels"] == {"kubernetes.io/service-name": "my-service"}
    assert eps["ports"] == [{"name": "", "appProtocol": "http", "protocol": "TCP", "port": 9376}]
    assert [e["addresses"] for e in eps["endpoints"]] == [["10.4.5.6"], ["10.1.2.3"]]
    lines = cluster.kubectl("get", "endpointslices", namespace=ns).stdout.splitlines()
    assert lines[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert lines[1].split()[:4] == ["my-service-1", "IPv4", "9376", "10.4.5.6,10.1.2.3"]
    # the Service's (unnamed) port matches the slice's "" port: describe lists the endpoints
    describe = cluster.kubectl("describe", "svc", "my-service", namespace=ns).stdout
    assert re.search(r"^Endpoints:\s+10\.4\.5\.6:9376,10\.1\.2\.3:9376$", describe, re.M), describe


def check_health_check_node_port(cluster: Cluster, ns: str, svc: Any) -> None:
    hc = svc["spec"]["healthCheckNodePort"]
    assert hc in NODE_PORTS and hc != node_port(svc)
    describe = cluster.kubectl("describe", "svc", "my-service", namespace=ns).stdout
    assert re.search(rf"^HealthCheck NodePort:\s+{hc}$", describe, re.M), describe


def check_describe_dual(cluster: Cluster, ns: str, svc: Any) -> None:
    describe = cluster.kubectl("describe", "svc", "my-service", namespace=ns).stdout
    ips = svc["spec"]["clusterIPs"]
    assert re.search(r"^IP Family Policy:\s+PreferDualStack$", describe, re.M), describe
    assert re.search(rf"^IP Families:\s+{','.join(svc['spec']['ipFamilies'])}$", describe, re.M), describe
    assert re.search(rf"^IP:\s+{re.escape(ips[0])}$", describe, re.M), describe
    assert re.search(rf"^IPs:\s+{re.escape(','.join(ips))}$", describe, re.M), describe


CLUSTER_IP_DEFAULTS = {"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"}
MYAPP = {"app.kubernetes.io/name": "MyApp"}

CASES: list[Case] = [
    Case(
        "clusterip.yaml",
        "single",
        {
            **CLUSTER_IP_DEFAULTS,
            "selector": MYAPP,
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"protocol": "TCP", "port": 80, "targetPort": 9376}],
        },
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
    ),
    Case(
        "named-targetport.yaml",
        "single",
        {
            **CLUSTER_IP_DEFAULTS,
            "ports": [
                {"name": "name-of-service-port", "protocol": "TCP", "port": 80, "targetPort": "http-web-svc"}
            ],
        },
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
        extra=check_named_targetport,
    ),
    Case(
        "multi-port.yaml",
        "single",
        {
            **CLUSTER_IP_DEFAULTS,
            "ports": [
                {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 9376},
                {"name": "https", "protocol": "TCP", "port": 443, "targetPort": 9377},
            ],
        },
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP,443/TCP"],
        families=["IPv4"],
    ),
    Case(
        "selectorless.yaml",
        "single",
        {**CLUSTER_IP_DEFAULTS, "ports": [{"protocol": "TCP", "port": 80, "targetPort": 9376}]},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
        extra=check_selectorless,
    ),
    Case(
        "nodeport.yaml",
        "single",
        {"type": "NodePort", "externalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack"},
        lambda s: ["NodePort", first_ip(s), "<none>", f"80:{node_port(s)}/TCP"],
        families=["IPv4"],
    ),
    Case(
        "nodeport-chosen.yaml",
        "single",
        {"type": "NodePort", "ports": [{"protocol": "TCP", "port": 80, "targetPort": 80, "nodePort": 30007}]},
        lambda s: ["NodePort", first_ip(s), "<none>", "80:30007/TCP"],
        families=["IPv4"],
    ),
    Case(
        "loadbalancer.yaml",
        "single",
        {
            "type": "LoadBalancer",
            "clusterIP": "10.0.171.239",
            "clusterIPs": ["10.0.171.239"],
            "externalTrafficPolicy": "Cluster",
            "allocateLoadBalancerNodePorts": True,
        },
        lambda s: ["LoadBalancer", "10.0.171.239", "<pending>", f"80:{node_port(s)}/TCP"],
        families=["IPv4"],
        chosen_ips=("10.0.171.239",),
        # the manifest's status differs from the stored (empty) one, so kubectl sends it
        # again; the server ignores status on the main resource (checked: still empty)
        reapply="configured",
    ),
    Case(
        "loadbalancer-class.yaml",
        "single",
        {"type": "LoadBalancer", "loadBalancerClass": "example.com/internal-vip"},
        lambda s: ["LoadBalancer", first_ip(s), "<pending>", f"80:{node_port(s)}/TCP"],
        families=["IPv4"],
    ),
    Case(
        "loadbalancer-local.yaml",
        "single",
        {"type": "LoadBalancer", "externalTrafficPolicy": "Local"},
        lambda s: ["LoadBalancer", first_ip(s), "<pending>", f"80:{node_port(s)}/TCP"],
        families=["IPv4"],
        extra=check_health_check_node_port,
    ),
    Case(
        "externalname.yaml",
        "single",
        {"type": "ExternalName", "externalName": "my.database.example.com", "sessionAffinity": "None"},
        lambda s: ["ExternalName", "<none>", "my.database.example.com", "<none>"],
        absent=("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy", "ports"),
    ),
    Case(
        "headless.yaml",
        "single",
        {
            **CLUSTER_IP_DEFAULTS,
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        },
        lambda s: ["ClusterIP", "None", "<none>", "80/TCP"],
    ),
    Case(
        "headless-selectorless.yaml",
        "single",
        # headless + selectorless defaults to RequireDualStack with both families, even on a
        # single-stack cluster (nothing is allocated for it)
        {
            **CLUSTER_IP_DEFAULTS,
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "ipFamilyPolicy": "RequireDualStack",
            "ipFamilies": ["IPv4", "IPv6"],
        },
        lambda s: ["ClusterIP", "None", "<none>", "80/TCP"],
    ),
    Case(
        "headless-selectorless.yaml",
        "dual",
        {
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "ipFamilyPolicy": "RequireDualStack",
            "ipFamilies": ["IPv4", "IPv6"],
        },
        lambda s: ["ClusterIP", "None", "<none>", "80/TCP"],
        id="headless-selectorless-dual",
    ),
    Case(
        "external-ips.yaml",
        "single",
        # a ClusterIP Service with externalIPs is externally accessible: externalTrafficPolicy
        # is defaulted
        {
            **CLUSTER_IP_DEFAULTS,
            "externalIPs": ["198.51.100.32"],
            "externalTrafficPolicy": "Cluster",
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 49152}],
        },
        lambda s: ["ClusterIP", first_ip(s), "198.51.100.32", "80/TCP"],
        families=["IPv4"],
    ),
    Case(
        "session-affinity.yaml",
        "single",
        {
            **CLUSTER_IP_DEFAULTS,
            "sessionAffinity": "ClientIP",
            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
        },
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
    ),
    Case(
        "dual-stack-prefer.yaml",
        "single",
        # PreferDualStack on a single-stack cluster: one address, the policy kept
        {"ipFamilyPolicy": "PreferDualStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
        id="dual-stack-prefer-on-single-stack",
    ),
    # ------------------------------------------------------------------ dual-stack cluster
    Case(
        "dual-stack-default.yaml",
        "dual",
        {
            **CLUSTER_IP_DEFAULTS,
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"protocol": "TCP", "port": 80, "targetPort": 80}],
        },
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
    ),
    Case(
        "dual-stack-single-stack.yaml",
        "dual",
        {"ipFamilyPolicy": "SingleStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4"],
    ),
    Case(
        "dual-stack-prefer.yaml",
        "dual",
        {"ipFamilyPolicy": "PreferDualStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4", "IPv6"],
        extra=check_describe_dual,
    ),
    Case(
        "dual-stack-require.yaml",
        "dual",
        {"ipFamilyPolicy": "RequireDualStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv4", "IPv6"],
    ),
    Case(
        "dual-stack-prefer-ipv6-first.yaml",
        "dual",
        {"ipFamilyPolicy": "PreferDualStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv6", "IPv4"],
    ),
    Case(
        "dual-stack-ipv6-only.yaml",
        "dual",
        {"ipFamilyPolicy": "SingleStack"},
        lambda s: ["ClusterIP", first_ip(s), "<none>", "80/TCP"],
        families=["IPv6"],
    ),
    Case(
        "dual-stack-prefer-ipv6-lb.yaml",
        "dual",
        {"type": "LoadBalancer", "ipFamilyPolicy": "PreferDualStack"},
        lambda s: ["LoadBalancer", first_ip(s), "<pending>", f"80:{node_port(s)}/TCP"],
        families=["IPv6", "IPv4"],
        # kubectl's three-way merge replaces the atomic list ipFamilies with the manifest's
        # [IPv6]: a PreferDualStack Service may not drop its second family that way
        # (kube-apiserver answers the same)
        reapply='The Service "my-service" is invalid: spec.ipFamilyPolicy: Invalid value: '
        "\"PreferDualStack\": must be 'SingleStack' to release the secondary IP family\n",
    ),
]


def case_id(case: Case) -> str:
    return case.id or case.file.removesuffix(".yaml")


def test_every_example_is_covered() -> None:
    files = {p.name for p in EXAMPLES.glob("*.yaml")}
    covered = {c.file for c in CASES} | {f for f, _, _ in INVALID}
    assert files == covered


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_apply_docs_example(clusters: dict[str, Cluster], case: Case) -> None:
    cluster = clusters[case.cluster]
    path = EXAMPLES / case.file
    ns = "prod" if case.file == "externalname.yaml" else None
    ns = cluster.namespace(ns)
    kind_args = () if case.file == "externalname.yaml" else ("-n", ns)

    out = cluster.kubectl(*kind_args, "apply", "-f", str(path)).stdout
    assert "service/" in out and "created" in out, out
    # re-applying the same manifest changes nothing (the server's defaults do not show up as
    # a difference in kubectl's three-way merge).  Only the Service lines: an EndpointSlice
    # always reads back with `conditions: {}` per endpoint (a non-pointer struct upstream),
    # so kubectl reports it `configured`, on kube-apiserver too.
    again = cluster.kubectl(*kind_args, "apply", "-f", str(path), check=False)
    if case.reapply in ("unchanged", "configured"):
        svc_lines = [line for line in again.stdout.splitlines() if line.startswith("service/")]
        assert svc_lines and all(line.endswith(" " + case.reapply) for line in svc_lines), again
    else:
        assert again.returncode == 1 and again.stderr == case.reapply, again

    name = "nginx-service" if case.file == "named-targetport.yaml" else "my-service"
    svc = cluster.get_json("svc", name, namespace=ns)
    check_common(svc, ns)
    spec = svc["spec"]
    for key, want in case.spec.items():
        assert spec.get(key) == want, (key, spec)
    for key in case.absent:
        assert key not in spec, (key, spec)
    if case.families is not None:
        assert spec["ipFamilies"] == case.families
        check_cluster_ips(svc, cluster.ranges, chosen=case.chosen_ips)
        assert len(spec["clusterIPs"]) == len(case.families)
    assert svc_row(cluster, ns, name) == case.row(svc)
    if case.extra:
        case.extra(cluster, ns, svc)


INVALID: list[tuple[str, str, str]] = [
    (
        "invalid-unnamed-ports.yaml",
        "single",
        'The Service "my-service" is invalid: \n'
        "* spec.ports[0].name: Required value\n"
        "* spec.ports[1].name: Required value\n",
    ),
    (
        "invalid-port-name.yaml",
        "single",
        'The Service "my-service" is invalid: spec.ports[0].name: Invalid value: "123_abc": a lowercase '
        "RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation "
        "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n",
    ),
    (
        "dual-stack-require.yaml",
        "single",
        'The Service "my-service" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": '
        "this cluster is not configured for dual-stack services\n",
    ),
    (
        "dual-stack-ipv6-only.yaml",
        "single",
        'The Service "my-service" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": '
        "not configured on this cluster\n",
    ),
    (
        "loadbalancer.yaml",
        "dual",
        'The Service "my-service" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.171.239"}: '
        "failed to allocate IP 10.0.171.239: the provided IP (10.0.171.239) is not in the valid range. "
        "The range of valid IPs is 10.96.0.0/16\n",
    ),
]


@pytest.mark.parametrize(
    ("file", "kind", "message"), INVALID, ids=[f"{f.removesuffix('.yaml')}-{k}" for f, k, _ in INVALID]
)
def test_invalid_example_is_rejected_like_upstream(
    clusters: dict[str, Cluster], file: str, kind: str, message: str
) -> None:
    cluster = clusters[kind]
    ns = cluster.namespace()
    proc = cluster.kubectl("-n", ns, "apply", "-f", str(EXAMPLES / file), check=False)
    assert proc.returncode == 1
    assert proc.stderr == message
    assert "No resources found" in cluster.kubectl("get", "svc", namespace=ns).stderr


def test_chosen_node_port_taken_twice(clusters: dict[str, Cluster]) -> None:
    cluster = clusters["dual"]
    first, second = cluster.namespace(), cluster.namespace()
    cluster.kubectl("-n", first, "apply", "-f", str(EXAMPLES / "nodeport-chosen.yaml"))
    proc = cluster.kubectl("-n", second, "apply", "-f", str(EXAMPLES / "nodeport-chosen.yaml"), check=False)
    assert proc.returncode == 1
    assert proc.stderr == (
        'The Service "my-service" is invalid: spec.ports[0].nodePort: Invalid value: 30007: '
        "provided port is already allocated\n"
    )
    # deleting the owner releases the port: the second apply now succeeds
    cluster.kubectl("-n", first, "delete", "svc", "my-service")
    cluster.kubectl("-n", second, "apply", "-f", str(EXAMPLES / "nodeport-chosen.yaml"))
    assert svc_row(cluster, second)[3] == "80:30007/TCP"


def test_get_svc_all_namespaces_lists_the_kubernetes_service(clusters: dict[str, Cluster]) -> None:
    cluster = clusters["dual"]
    lines = cluster.kubectl("get", "svc", "-A").stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    rows = [ln.split() for ln in lines[1:]]
    assert ["default", "kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"] in [r[:6] for r in rows]


def test_server_side_apply_of_an_example_twice_changes_nothing(clusters: dict[str, Cluster]) -> None:
    """`kubectl apply --server-side` of an unchanged manifest is a no-op: same resourceVersion,
    same managedFields time (kube-apiserver stamps the time only when the object changes)."""
    cluster = clusters["dual"]
    ns = cluster.namespace()
    path = str(EXAMPLES / "multi-port.yaml")
    out = cluster.kubectl("-n", ns, "apply", "--server-side", "-f", path).stdout
    assert out.strip() == "service/my-service serverside-applied"
    before = cluster.get_json("svc", "my-service", "--show-managed-fields", namespace=ns)["metadata"]
    time.sleep(1.1)  # managedFields times have a resolution of one second
    cluster.kubectl("-n", ns, "apply", "--server-side", "-f", path)
    after = cluster.get_json("svc", "my-service", "--show-managed-fields", namespace=ns)["metadata"]
    assert after["resourceVersion"] == before["resourceVersion"]
    assert after["managedFields"] == before["managedFields"]
    [entry] = after["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
