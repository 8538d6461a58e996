"""Upstream's kubectl command tests, ported for the kinds kubesvc serves (the cases the other
test_upstream_kubectl_*.py modules do not cover): test/cmd/version.sh, results.sh, proxy.sh,
old-print.sh, exec.sh, run.sh, debug.sh (pod copies), auth_whoami.sh, authentication.sh (exec
credential plugins), authorization.sh (impersonation), kubeconfig.sh (client config, config
set), generic-resources.sh (recursive resources and the Service-only multi-resource file),
core.sh (namespaces, nodes, `--raw` create/replace/delete, describe's chunked lists), get.sh
(multiget, `get -k`) and legacy-script.sh's `kubectl auth can-i` block and `api-resources |
xargs get`.

Each test names the script and shell function it ports; the fixtures, helpers and manifests
are in `common.py` and `conftest.py`.  One apiserver for the module, started as test-cmd starts
kube-apiserver (without the ServiceAccount and DefaultTolerationSeconds admission plugins).
Cases on kinds kubesvc does not serve (ConfigMaps, Secrets, ResourceQuotas, RCs, Deployments,
Jobs, CSRs, TokenReviews, CRDs) are left out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.e2e.upstream_kubectl.common import (
    ID,
    IMAGE,
    TEST_POD,
    VALID_POD,
    _argv,
    both,
    fails,
    get_object_assert,
)
from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import DISPATCHER, Kubectl, write
from tests.support.proc import kill_group
from tests.support.proc import run as proc_run

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]


# hack/make-rules/test-cmd.sh starts kube-apiserver without these default admission plugins
# (of them, kubesvc implements ServiceAccount and DefaultTolerationSeconds): a Pod replaced from
# its manifest then needs no serviceAccountName the create added.
TEST_CMD_DISABLED_ADMISSION = (
    "ServiceAccount,PersistentVolumeLabel,DefaultStorageClass,DefaultTolerationSeconds,"
    "MutatingAdmissionWebhook,ValidatingAdmissionWebhook,StorageObjectInUseProtection"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The module's apiserver, as test-cmd runs kube-apiserver (see conftest's `server`)."""
    srv = start_apiserver(
        tmp_path_factory.mktemp("kubectl-cmd-more") / "data",
        "--builtin-namespace-finalizer",
        "--service-cluster-ip-range",
        "10.0.0.0/24",
        "--disable-admission-plugins",
        TEST_CMD_DISABLED_ADMISSION,
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


def _describe_chunk_size_assert(kubectl: Kubectl, resource: str, additional: str = "") -> None:
    """kube::test::describe_resource_chunk_size_assert: describe lists the resource (and the
    additional ones it looks up) with limit=500, and with --chunk-size=10 asks limit=10."""
    log = both(kubectl, "describe", resource, "--show-events=true", "-v=6")
    for r in [resource, *filter(None, additional.split(","))]:
        assert re.search(rf"{r}\?.*limit=500", log), f"no limit=500 list of {r}:\n{log}"
    log = both(kubectl, "describe", resource, "--show-events=false", "--chunk-size=10", "-v=6")
    assert f"{resource}?limit=10" in log, log


def _describe_events_assert(kubectl: Kubectl, *target: str) -> None:
    """kube::test::describe_{object,resource}_events_assert: events by default and with
    --show-events=true, none with --show-events=false."""
    for flag, shown in ((None, True), ("--show-events=false", False), ("--show-events=true", True)):
        out = kubectl("describe", *target, *([flag] if flag else [])).stdout
        assert bool(re.search(r"No events\.|Events:", out)) is shown, (flag, out)


def _describe_assert(kubectl: Kubectl, *target_and_matches: str, count: int = 1) -> None:
    target, matches = target_and_matches[:count], target_and_matches[count:]
    out = kubectl("describe", *target).stdout
    for match in matches:
        assert match in out, f"{match!r} not in describe {target}:\n{out}"


# ------------------------------------------------------------------------------ version.sh


def test_run_kubectl_version_tests(kubectl: Kubectl, server: ApiServer) -> None:
    """version.sh run_kubectl_version_tests: `get --raw /version`; --client has no server part;
    -o json's serverVersion is what the plain output prints; -o yaml holds the same as json."""
    raw = json.loads(kubectl("get", "--raw", "/version").stdout)
    _, served, _ = server.call("GET", "/version")
    assert raw == served
    plain = kubectl("version").stdout
    assert re.search(r"^Client Version: ", plain, re.M) and re.search(r"^Server Version: ", plain, re.M)
    client_only = kubectl("version", "--client").stdout
    assert "Server Version" not in client_only
    assert re.search(r"^Client Version: ", client_only, re.M)
    both_json = json.loads(kubectl("version", "--output", "json").stdout)
    assert both_json["serverVersion"] == served
    server_line = re.search(r"^Server Version: (\S+)", plain, re.M)
    assert server_line and server_line.group(1) == served["gitVersion"]
    client_json = json.loads(kubectl("version", "--client", "--output", "json").stdout)
    assert "serverVersion" not in client_json and client_json["clientVersion"] == both_json["clientVersion"]
    assert yaml.safe_load(kubectl("version", "--output", "yaml").stdout) == both_json


# ------------------------------------------------------------------------------ results.sh


def test_run_kubectl_results_tests(kubectl: Kubectl, server: ApiServer, tmp_path: Path) -> None:
    """results.sh run_kubectl_results_tests: exact stdout, stderr and exit code of an unknown
    command and of a missing pod (the kubeconfig from $KUBECONFIG, as upstream's from $HOME:
    global flags before a command's name would make kubectl look for a plugin)."""
    exe = _argv(server, tmp_path / "cache", "default")[0]
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(tmp_path)}
    proc = proc_run([exe, "list"], env=env, timeout=30)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == 'error: unknown command "list" for "kubectl"\n\nDid you mean this?\n\tget\n\twait\n'
    proc = kubectl("get", "pod/no-such-pod", check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == 'Error from server (NotFound): pods "no-such-pod" not found\n'


# ------------------------------------------------------------------------------ proxy.sh


def _curl_code(port: int, path: str) -> int:
    """check-curl-proxy-code: the HTTP status of a GET through the local proxy."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


class _Proxy:
    """start-proxy / stop-proxy: `kubectl proxy --port=0 --www=.` (and --api-prefix), its port
    read from "Starting to serve on 127.0.0.1:<port>", then /healthz polled until it answers."""

    def __init__(self, server: ApiServer, tmp_path: Path, prefix: str | None = None) -> None:
        argv = [*_argv(server, tmp_path / "proxy-cache", "default"), "proxy", "--port=0", "--www=."]
        if prefix:
            argv.append(f"--api-prefix={prefix}")
        self.out = tmp_path / f"proxy-port{(prefix or '').replace('/', '-')}.out"
        with self.out.open("w") as sink:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
                start_new_session=True,
            )
        try:
            self.port = self._wait_port()
            deadline = time.monotonic() + 30
            while _curl_code(self.port, f"{prefix or ''}/healthz") != 200:
                assert time.monotonic() < deadline, "kubectl proxy never served /healthz"
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 30
        while True:
            match = re.search(r"Starting to serve on 127\.0\.0\.1:(\d+)", self.out.read_text())
            if match:
                return int(match.group(1))
            assert self.proc.poll() is None, f"kubectl proxy exited: {self.out.read_text()}"
            assert time.monotonic() < deadline, f"no port from kubectl proxy: {self.out.read_text()}"
            time.sleep(0.1)

    def stop(self) -> None:
        kill_group(self.proc)
        self.proc.wait(10)


def test_run_kubectl_local_proxy_tests(server: ApiServer, tmp_path: Path) -> None:
    """proxy.sh run_kubectl_local_proxy_tests: through `kubectl proxy`, /api/kubernetes is 404,
    /api/v1/namespaces, /metrics and /apis are 200, also under a custom --api-prefix."""
    proxy = _Proxy(server, tmp_path)
    try:
        assert _curl_code(proxy.port, "/api/kubernetes") == 404
        assert _curl_code(proxy.port, "/api/v1/namespaces") == 200
        assert _curl_code(proxy.port, "/metrics") == 200
        assert _curl_code(proxy.port, "/apis") == 200
    finally:
        proxy.stop()
    proxy = _Proxy(server, tmp_path, "/custom")
    try:
        assert _curl_code(proxy.port, "/custom/api/kubernetes") == 404
        assert _curl_code(proxy.port, "/custom/api/v1/namespaces") == 200
        assert _curl_code(proxy.port, "/custom/metrics") == 200
    finally:
        proxy.stop()


# ------------------------------------------------------------------------------ old-print.sh


def _drop_last_column(text: str) -> str:
    """awk 'NF{NF--};1': every non-empty line without its last field (the AGE)."""
    return "\n".join(" ".join(line.split()[:-1]) if line.split() else line for line in text.splitlines())


def test_run_kubectl_old_print_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """old-print.sh run_kubectl_old_print_tests, on our kinds: --server-print=false still says
    "No resources found", lists the same objects as the server's Table, and asks for full
    objects, not Tables (--use-openapi-print-columns, the script's other way to do that, is
    gone from kubectl 1.27-1.33).  (legacy-script.sh no longer
    calls this function: its column-for-column comparison predates the move of the printers
    into kube-apiserver, and today's kubectl prints only NAME and AGE without a Table, against
    kube-apiserver as against us; so the names are compared, row by row.)"""
    assert "No resources found" in both(kubectl, "get", "pods", "--server-print=false")
    kubectl("create", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    kubectl("create", "service", "clusterip", "old-print", "--tcp=80:8080")
    for kind in ("pods", "services", "namespaces"):
        server_side = kubectl("get", kind).stdout.splitlines()
        client_side = kubectl("get", kind, "--server-print=false").stdout.splitlines()
        if not server_side:  # "No resources found" (on stderr) both ways
            assert not client_side, (kind, client_side)
            continue
        assert client_side[0].split() == ["NAME", "AGE"], client_side
        assert server_side[0].split()[0] == "NAME" and server_side[0].split()[-1] == "AGE", server_side
        assert [r.split()[0] for r in server_side[1:]] == [r.split()[0] for r in client_side[1:]], kind
    log = both(kubectl, "get", "pods", "--server-print=false", "--v=7")
    assert "as=Table" not in log and "Accept: application/json" in log
    kubectl("delete", "service", "old-print")
    kubectl("delete", "pod", "valid-pod", "--grace-period=0", "--force")


# ------------------------------------------------------------------------------ exec.sh


def test_run_kubectl_exec_pod_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """exec.sh run_kubectl_exec_pod_tests: exec into a missing pod is "not found", into two
    objects is refused; into an existing (never scheduled) pod it fails, but not as missing."""
    assert 'pods "abc" not found' in fails(kubectl, "exec", "abc", "--", "date")
    two = "---\n".join(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\nspec:\n  containers:\n"
        "  - name: nginx\n    image: nginx\n"
        for n in ("test", "test2")
    )
    out = fails(kubectl, "exec", "-f", "-", "--", "echo", "test", stdin=two)
    assert "cannot exec into multiple objects at a time" in out
    kubectl("create", "-f", str(write(tmp_path, "pod.yaml", TEST_POD.format(label="test-pod-label"))))
    out = fails(kubectl, "exec", "test-pod", "date")
    assert 'pods "test-pod" not found' not in out
    assert "pod or type/name must be specified" not in out
    out = fails(kubectl, "exec", "pods/test-pod", "date")
    assert "not found" not in out and "pod, type/name or --filename must be specified" not in out
    assert "error:" in fails(kubectl, "exec", "foo/bar", "date")
    kubectl("delete", "pods", "test-pod", "--grace-period=0", "--force")


# ------------------------------------------------------------------------------ run.sh


def test_run_kubectl_run_tests(kubectl: Kubectl) -> None:
    """run.sh run_kubectl_run_tests: dry runs create nothing; run creates the Pod; a valid
    image reference is accepted, an invalid one refused by the client."""
    image = "k8s.gcr.io/nginx:1.7.9"
    kubectl("run", "--dry-run=client", "nginx-extensions", f"--image={image}")
    kubectl("run", "--dry-run=server", "nginx-extensions", f"--image={image}")
    get_object_assert(kubectl, "pods", ID, "")
    kubectl("run", "nginx-extensions", f"--image={image}")
    get_object_assert(kubectl, "pod", ID, "nginx-extensions:")
    kubectl("delete", "pod", "nginx-extensions", "--grace-period=0", "--force")
    assert "pod/test1 created" in kubectl("run", "test1", "--image=validname").stdout
    kubectl("delete", "pods", "test1", "--grace-period=0", "--force")
    out = fails(kubectl, "run", "test2", "--image=InvalidImageName")
    assert 'error: Invalid image name "InvalidImageName": invalid reference format' in out


# ------------------------------------------------------------------------------ auth_whoami.sh, legacy-script.sh


def test_run_kubectl_auth_whoami_tests(kubectl: Kubectl) -> None:
    """auth_whoami.sh run_kubectl_auth_whoami_tests: whoami -o json is a SelfSubjectReview."""
    assert '"kind": "SelfSubjectReview"' in both(kubectl, "auth", "whoami", "-o", "json")


# (args, exit code, strings the output has, strings it has not); upstream asks
# `list jobs.batch/bar -n foo --quiet`: a kind we serve stands in for the Jobs
CAN_I_CASES: list[tuple[tuple[str, ...], int, tuple[str, ...], tuple[str, ...]]] = [
    (("*", "*"), 0, ("yes",), ()),
    (("get", "pods", "--subresource=log"), 0, ("yes",), ()),
    (("get", "invalid_resource"), 0, ("the server doesn't have a resource type",), ()),
    (("get", "/logs/"), 0, ("yes",), ()),
    (("get", "/logs/", "--subresource=log"), 1, ("subresource can not be used with NonResourceURL",), ()),
    (("list", "leases.coordination.k8s.io/bar", "-n", "foo", "--quiet"), 0, (), ("yes", "no", "Warning")),
    (("get", "pods", "--subresource=log", "--quiet"), 0, (), ()),
    (("get", "*"), 0, (), ("Warning",)),
    (
        ("get", "foo"),
        0,
        ("Warning: the server doesn't have a resource type 'foo'",),
        ("Warning: resource 'foo' is not namespace scoped",),
    ),
    (("get", "pods"), 0, (), ("Warning",)),
    (("get", "nodes"), 0, ("Warning: resource 'nodes' is not namespace scoped",), ()),
    (("get", "nodes", "--all-namespaces"), 0, (), ("Warning: resource 'nodes' is not namespace scoped",)),
]


def test_kubectl_auth_can_i(kubectl: Kubectl) -> None:
    """legacy-script.sh, "kubectl auth can-i" (the admin may do everything, as AlwaysAllow):
    answers, exit codes, --quiet (nothing printed), and the warnings about unknown and
    cluster-scoped types.  The commands are independent: they run side by side."""
    with ThreadPoolExecutor(4) as pool:
        procs = list(pool.map(lambda case: kubectl("auth", "can-i", *case[0], check=False), CAN_I_CASES))
    for (args, code, has, has_not), proc in zip(CAN_I_CASES, procs, strict=True):
        out = proc.stdout + proc.stderr
        assert proc.returncode == code, (args, out)
        assert all(h in out for h in has), (args, out)
        assert not any(h in out for h in has_not), (args, out)
        if args[0] == "list":  # upstream: kube::test::if_empty_string
            assert out == "", (args, out)


# ------------------------------------------------------------------------------ core.sh


def test_run_namespace_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_namespace_tests (without the ResourceQuota part: a kind we do not serve):
    dry runs create nothing; describe's chunked lists; delete --wait=false then `wait
    --for=delete` sees it finalized; `delete namespace --all` deletes what it may and fails on
    the namespaces that may not be deleted; pods in another namespace, -n, and no get by name
    across all namespaces."""
    assert " not found" in fails(kubectl, "get", "ns/my-namespace")
    kubectl("create", "namespace", "my-namespace", "--dry-run=client")
    kubectl("create", "namespace", "my-namespace", "--dry-run=server")
    assert " not found" in fails(kubectl, "get", "ns/my-namespace")
    kubectl("create", "namespace", "my-namespace")
    get_object_assert(kubectl, "namespaces/my-namespace", "{{.metadata.name}}", "my-namespace")
    _describe_chunk_size_assert(kubectl, "namespaces", "resourcequotas,limitranges")
    kubectl("delete", "namespace", "my-namespace", "--wait=false")
    kubectl("wait", "--for=delete", "ns/my-namespace", "--timeout=60s", timeout=70)
    assert " not found" in fails(kubectl, "get", "ns/my-namespace")

    kubectl("create", "namespace", "other")
    get_object_assert(kubectl, "namespaces/other", "{{.metadata.name}}", "other")
    get_object_assert(kubectl, "pods --namespace=other", ID, "")
    kubectl("create", "--namespace=other", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    get_object_assert(kubectl, "pods --namespace=other", ID, "valid-pod:")
    get_object_assert(kubectl, "pods -n other", ID, "valid-pod:")
    out = fails(kubectl, "get", "pod", "valid-pod", "--all-namespaces")
    assert "a resource cannot be retrieved by name across all namespaces" in out
    kubectl("delete", "pod", "--namespace=other", "valid-pod", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods --namespace=other", ID, "")
    kubectl("delete", "namespace", "other", timeout=70)


def test_run_namespace_tests_delete_all(server: ApiServer, tmp_path: Path) -> None:
    """core.sh run_namespace_tests: `kubectl delete namespace -n my-namespace --all` warns that
    the resource is cluster-scoped, deletes my-namespace (and every other namespace that may
    go) and fails on default, kube-system and kube-public, which kube-apiserver refuses."""
    from tests.e2e.upstream_kubectl.common import kubectl_in

    kubectl = kubectl_in(server, "default", tmp_path)
    kubectl("create", "namespace", "my-namespace")
    get_object_assert(kubectl, "namespaces/my-namespace", "{{.metadata.name}}", "my-namespace")
    out = fails(kubectl, "delete", "namespace", "-n", "my-namespace", "--all", "--wait=false")
    # (the script greps "warning:"; kubectl 1.27-1.33 capitalize it, on their own)
    assert "warning: deleting cluster-scoped resources" in out.lower()
    assert 'namespace "my-namespace" deleted' in out
    for kept in ("default", "kube-system", "kube-public"):
        assert f'namespaces "{kept}" is forbidden: this namespace may not be deleted' in out, out
        get_object_assert(kubectl, f"namespaces/{kept}", "{{.status.phase}}", "Active")


NODE_127 = {
    "kind": "Node",
    "apiVersion": "v1",
    "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
    "status": {
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    },
}


def test_run_nodes_tests(server: ApiServer, tmp_path: Path) -> None:
    """core.sh run_nodes_tests (test-cmd's node "127.0.0.1", created here as a kubelet would
    register it) and get.sh run_retrieve_multiple_tests: describe of the node and of all nodes,
    with and without events, chunked lists of nodes, their pods and events; patch
    spec.unschedulable to true and back with null; get of a node and a Service in one command.
    (The TokenReview at its end is a kind we do not serve.)"""
    from tests.e2e.upstream_kubectl.common import kubectl_in

    kubectl = kubectl_in(server, "default", tmp_path)
    kubectl("create", "-f", "-", stdin=json.dumps(NODE_127))
    try:
        get_object_assert(kubectl, "nodes", ID, "127.0.0.1:")
        fields = ("Name:", "Labels:", "CreationTimestamp:", "Conditions:", "Addresses:", "Capacity:", "Pods:")
        with ThreadPoolExecutor(3) as pool:
            for done in [
                pool.submit(_describe_assert, kubectl, "nodes", "127.0.0.1", *fields, count=2),
                pool.submit(_describe_events_assert, kubectl, "nodes", "127.0.0.1"),
                pool.submit(_describe_assert, kubectl, "nodes", *fields),
                pool.submit(_describe_events_assert, kubectl, "nodes"),
                pool.submit(_describe_chunk_size_assert, kubectl, "nodes", "pods,events"),
            ]:
                done.result()

        get_object_assert(kubectl, "nodes 127.0.0.1", "{{.spec.unschedulable}}", "<no value>")
        kubectl("patch", "nodes", "127.0.0.1", '-p={"spec":{"unschedulable":true}}')
        get_object_assert(kubectl, "nodes 127.0.0.1", "{{.spec.unschedulable}}", "true")
        kubectl("patch", "nodes", "127.0.0.1", '-p={"spec":{"unschedulable":null}}')
        get_object_assert(kubectl, "nodes 127.0.0.1", "{{.spec.unschedulable}}", "<no value>")

        get_object_assert(kubectl, "nodes/127.0.0.1 service/kubernetes", ID, "127.0.0.1:kubernetes:")
    finally:
        kubectl("delete", "node", "127.0.0.1", "--ignore-not-found")


def test_run_create_secret_tests_raw(kubectl: Kubectl, namespace: str) -> None:
    """core.sh run_create_secret_tests, on Services for the Secrets and ConfigMaps: a client
    dry run carries the namespace only when one was given; `create --raw` POSTs, `replace
    --raw` PUTs (the answer is the stored object, with its uid), `get --raw` reads it, `delete
    --raw` deletes it."""
    out = kubectl(
        "create", "service", "clusterip", "mysvc", "--tcp=80", "--dry-run=client",
        "-o", "jsonpath={.metadata.namespace}", "--namespace=user-specified",
    ).stdout  # fmt: skip
    assert "user-specified" in out
    assert 'services "mysvc" not found' in fails(kubectl, "get", "services", "mysvc")
    out = kubectl(
        "create", "service", "clusterip", "mysvc", "--tcp=80", "--dry-run=client",
        "-o", "jsonpath={.metadata.namespace}",
    ).stdout  # fmt: skip
    assert out == namespace  # (kubectl's own -n, which upstream's script does not pass)

    base = f"/api/v1/namespaces/{namespace}/services"
    body = kubectl(
        "create", "service", "clusterip", "tester-update-svc", "--tcp=80", "-o", "json", "--dry-run=client"
    )
    kubectl("create", "--raw", base, "-f", "-", stdin=body.stdout)
    changed = kubectl(
        "create", "service", "clusterip", "tester-update-svc", "--tcp=8080", "-o", "json", "--dry-run=client"
    ).stdout
    current = json.loads(kubectl("get", "--raw", f"{base}/tester-update-svc").stdout)
    update = json.loads(changed)
    update["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    update["spec"]["clusterIP"] = current["spec"]["clusterIP"]
    out = kubectl("replace", "--raw", f"{base}/tester-update-svc", "-f", "-", stdin=json.dumps(update)).stdout
    assert "uid" in out
    assert '"port":8080' in kubectl("get", "--raw", f"{base}/tester-update-svc").stdout.replace(" ", "")
    kubectl("delete", "--raw", f"{base}/tester-update-svc")
    assert 'services "tester-update-svc" not found' in fails(kubectl, "get", "service", "tester-update-svc")


# ------------------------------------------------------------------------------ generic-resources.sh

BUSYBOX = """\
apiVersion: v1
{kind}: Pod
metadata:
  name: busybox{n}
  labels:
    app: busybox{n}
{status}spec:
  containers:
  - image: busybox
    command:
      - sleep
      - "3600"
    imagePullPolicy: IfNotPresent
    name: busybox
  restartPolicy: Always
"""


def _recursive_dir(root: Path, status: str) -> Path:
    """hack/testdata/recursive/pod (and pod-modify): busybox0 at the top, busybox1 and the
    malformed busybox2 (`ind: Pod`) one level down."""
    (root / "pod").mkdir(parents=True)
    for rel, n, kind in (
        ("busybox.yaml", 0, "kind"),
        ("pod/busybox.yaml", 1, "kind"),
        ("pod/busybox-broken.yaml", 2, "ind"),
    ):
        (root / rel).write_text(BUSYBOX.format(n=n, kind=kind, status=status))
    return root


def test_run_recursive_resources_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """generic-resources.sh run_recursive_resources_tests, the Pod part: create, edit,
    replace, describe, annotate, apply, get, label, patch and delete of a directory with
    --recursive act on the two good Pods and report the malformed one."""
    pods = _recursive_dir(tmp_path / "pod", "")
    modify = _recursive_dir(tmp_path / "pod-modify", "    status: replaced\n")
    get_object_assert(kubectl, "pods", ID, "")
    out = fails(kubectl, "create", "-f", str(pods), "--recursive")
    get_object_assert(kubectl, "pods", ID, "busybox0:busybox1:")
    assert "error validating data: kind not set" in out

    editor = write(
        tmp_path,
        "tmp-editor.sh",
        '#!/usr/bin/env bash\nsed -i "s/image: busybox/image: prom\\/busybox/g" $1\n',
    )
    editor.chmod(0o755)
    proc = kubectl("edit", "-f", str(pods), "--recursive", env={"EDITOR": str(editor)}, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    get_object_assert(kubectl, "pods", IMAGE, "busybox:busybox:")
    assert "Object 'Kind' is missing" in out

    out = fails(kubectl, "replace", "-f", str(modify), "--recursive")
    get_object_assert(
        kubectl, "pods", "{{range.items}}{{.metadata.labels.status}}:{{end}}", "replaced:replaced:"
    )
    assert "error validating data: kind not set" in out

    out = fails(kubectl, "describe", "-f", str(pods), "--recursive")
    assert "app=busybox0" in out and "app=busybox1" in out and "Object 'Kind' is missing" in out

    out = fails(kubectl, "annotate", "-f", str(pods), "annotatekey=annotatevalue", "--recursive")
    get_object_assert(
        kubectl,
        "pods",
        "{{range.items}}{{.metadata.annotations.annotatekey}}:{{end}}",
        "annotatevalue:annotatevalue:",
    )
    assert "Object 'Kind' is missing" in out

    out = fails(kubectl, "apply", "-f", str(modify), "--recursive")
    get_object_assert(
        kubectl, "pods", "{{range.items}}{{.metadata.labels.status}}:{{end}}", "replaced:replaced:"
    )
    assert "error validating data: kind not set" in out

    out = fails(kubectl, "get", "-f", str(pods), "--recursive", "-o", f"go-template={ID}")
    assert "busybox0:busybox1:" in out and "Object 'Kind' is missing" in out

    out = fails(kubectl, "label", "-f", str(pods), "mylabel=myvalue", "--recursive")
    get_object_assert(
        kubectl, "pods", "{{range.items}}{{.metadata.labels.mylabel}}:{{end}}", "myvalue:myvalue:"
    )
    assert "Object 'Kind' is missing" in out

    patch = '-p={"spec":{"containers":[{"name":"busybox","image":"prom/busybox"}]}}'
    out = fails(kubectl, "patch", "-f", str(pods), patch, "--recursive")
    get_object_assert(kubectl, "pods", IMAGE, "prom/busybox:prom/busybox:")
    assert "Object 'Kind' is missing" in out

    out = fails(kubectl, "delete", "-f", str(pods), "--recursive", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")
    assert "Object 'Kind' is missing" in out


def _svclist(status: str | None) -> str:
    """hack/testdata/multi-resource-svclist.json (and -modify.json: label status=replaced)."""
    items = []
    for name in ("mock", "mock2"):
        labels = {"app": name, **({"status": status} if status else {})}
        items.append(
            {
                "kind": "Service",
                "apiVersion": "v1",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "ports": [{"protocol": "TCP", "port": 99, "targetPort": 9949}],
                    "selector": {"app": name},
                },
            }
        )
    return json.dumps({"kind": "ServiceList", "apiVersion": "v1", "items": items}, indent=2)


def test_run_multi_resources_tests_svclist(kubectl: Kubectl, tmp_path: Path) -> None:
    """generic-resources.sh run_multi_resources_tests with multi-resource-svclist.json (the
    other four files hold ReplicationControllers): create, get, no watch of several objects,
    describe, replace --force --cascade, edit, label and annotate of both, delete."""
    file = write(tmp_path, "multi-resource-svclist.json", _svclist(None))
    replace = write(tmp_path, "multi-resource-svclist-modify.json", _svclist("replaced"))
    get_object_assert(kubectl, "services", ID, "")
    kubectl("create", "-f", str(file))
    get_object_assert(kubectl, "services", ID, "mock:mock2:")
    kubectl("get", "-f", str(file))
    out = kubectl("get", "-f", str(file), "--watch", check=False)
    assert "watch is only supported on individual resources and resource collections" in out.stderr
    kubectl("describe", "-f", str(file))
    kubectl("replace", "-f", str(replace), "--force", "--cascade", timeout=60)
    for name in ("mock", "mock2"):
        get_object_assert(kubectl, f"services {name}", "{{.metadata.labels.status}}", "replaced")
    editor = write(
        tmp_path,
        "tmp-editor.sh",
        '#!/usr/bin/env bash\nsed -i "s/status\\:\\ replaced/status\\:\\ edited/g" $@\n',
    )
    editor.chmod(0o755)
    kubectl("edit", "-f", str(file), env={"EDITOR": str(editor)})
    for name in ("mock", "mock2"):
        get_object_assert(kubectl, f"services {name}", "{{.metadata.labels.status}}", "edited")
    kubectl("label", "-f", str(file), "labeled=true", "--overwrite")
    kubectl("annotate", "-f", str(file), "annotated=true", "--overwrite")
    for name in ("mock", "mock2"):
        get_object_assert(kubectl, f"services {name}", "{{.metadata.labels.labeled}}", "true")
        get_object_assert(kubectl, f"services {name}", "{{.metadata.annotations.annotated}}", "true")
    kubectl("delete", "-f", str(file))
    get_object_assert(kubectl, "services", ID, "")


# ------------------------------------------------------------------------------ authentication.sh

EXEC_KUBECONFIG = """\
apiVersion: v1
clusters:
- cluster:
  name: test
contexts:
- context:
    cluster: test
    user: {user}
  name: test
current-context: test
kind: Config
users:
- name: {user}
  user:
    exec:
      apiVersion: {api_version}
      command: {command}
{args}{interactive}"""


@pytest.mark.parametrize(
    "api_version", ["client.authentication.k8s.io/v1beta1", "client.authentication.k8s.io/v1"]
)
def test_run_exec_credentials_tests(server: ApiServer, tmp_path: Path, api_version: str) -> None:
    """authentication.sh run_exec_credentials_tests_version (and the interactiveMode case of
    run_exec_credentials_interactive_tests_version), up to the CertificateSigningRequest (a kind
    we do not serve): a --token wins over a broken exec plugin; without it the plugin runs (and
    its non-JSON output is a parse error); a plugin that prints the admin token authenticates;
    --username/--password win over it and are Unauthorized; a v1 plugin without
    interactiveMode is refused by kubectl, a v1beta1 one defaults to IfAvailable."""
    exe = _argv(server, tmp_path / "cache", "default")[0]
    flags = [
        f"--server={server.url}",
        f"--certificate-authority={server.ca_file}",
        f"--cache-dir={tmp_path / 'c'}",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}

    def kubectl(config: str, *args: str) -> str:
        proc = proc_run([exe, *flags, f"--kubeconfig={config}", *args], env=env, timeout=30)
        return (proc.stdout + proc.stderr).strip()

    token_args = f'      args:\n        - \'{{"apiVersion":"{api_version}","status":{{"token":"{server.admin_token}"}}}}\'\n'
    invalid = write(
        tmp_path,
        "invalid_exec_plugin.yaml",
        EXEC_KUBECONFIG.format(
            user="invalid_token_user",
            api_version=api_version,
            command="ls",
            args="",
            interactive="      interactiveMode: IfAvailable\n",
        ),
    )
    get_ns = ("get", "namespace", "kube-system", "-o", "name")
    assert kubectl(str(invalid), f"--token={server.admin_token}", *get_ns) == "namespace/kube-system"
    assert "json parse error" in kubectl(str(invalid), *get_ns)

    valid = write(
        tmp_path,
        "valid_exec_plugin.yaml",
        EXEC_KUBECONFIG.format(
            user="valid_token_user", api_version=api_version, command="echo", args=token_args,
            interactive="      interactiveMode: IfAvailable\n",
        ),
    )  # fmt: skip
    assert kubectl(str(valid), *get_ns) == "namespace/kube-system"
    assert "Unauthorized" in kubectl(str(valid), "--username", "bad", "--password", "wrong", *get_ns)

    missing = write(
        tmp_path,
        "missing_interactive_exec_plugin.yaml",
        EXEC_KUBECONFIG.format(
            user="missing_interactive_token_user",
            api_version=api_version,
            command="echo",
            args=token_args,
            interactive="",
        ),
    )
    out = kubectl(str(missing), *get_ns)
    if api_version.endswith("/v1"):
        assert (
            "error: interactiveMode must be specified for missing_interactive_token_user to use exec authentication plugin"
            in out
        )
    else:
        assert out == "namespace/kube-system"


# ------------------------------------------------------------------------------ kubeconfig.sh, authorization.sh


def _plain_kubectl(server: ApiServer, tmp_path: Path) -> Kubectl:
    """kubectl with no flags of ours: the kubeconfig (a copy of the server's) from $KUBECONFIG."""
    exe = _argv(server, tmp_path / "cache", "default")[0]
    config = write(tmp_path, "config", server.kubeconfig.read_text())
    env = {**os.environ, "KUBECONFIG": str(config), "HOME": str(tmp_path)}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = proc_run([exe, f"--cache-dir={tmp_path / 'cache'}", *args], env=env, timeout=30)
        if check:
            assert proc.returncode == 0, f"kubectl {args}: {proc.stdout}{proc.stderr}"
        return proc

    return run


def test_run_client_config_tests(server: ApiServer, tmp_path: Path) -> None:
    """kubeconfig.sh run_client_config_tests: a missing kubeconfig file, context, cluster or
    user is an error naming it; a config with an unknown apiVersion does not load."""
    kubectl = _plain_kubectl(server, tmp_path)

    def err(*args: str) -> str:
        proc = kubectl(*args, check=False)
        assert proc.returncode != 0, args
        return proc.stdout + proc.stderr

    assert "missing: no such file or directory" in err("get", "pod", "--context=", "--kubeconfig=missing")
    assert "missing: no such file or directory" in err("get", "pod", "--user=", "--kubeconfig=missing")
    assert "missing: no such file or directory" in err("get", "pod", "--cluster=", "--kubeconfig=missing")
    assert "context was not found for specified context: missing-context" in err(
        "get", "pod", "--context=missing-context"
    )
    assert 'no server found for cluster "missing-cluster"' in err("get", "pod", "--cluster=missing-cluster")
    assert 'auth info "missing-user" does not exist' in err("get", "pod", "--user=missing-user")
    view = kubectl("config", "view").stdout
    bad = write(tmp_path, "newconfig.yaml", re.sub(r"apiVersion: .*", "apiVersion: v-1", view))
    assert "error loading config file" in err("get", "pods", "--context=", "--user=", f"--kubeconfig={bad}")
    assert "no such file or directory" in err("get", "pod", "--kubeconfig=missing-config")
    # authorization.sh run_impersonation_tests: groups without a user are refused by the client
    assert "without impersonating a user" in err("get", "pods", "--as-group=foo")


def test_run_kubectl_config_set_tests(server: ApiServer, tmp_path: Path) -> None:
    """kubeconfig.sh run_kubectl_config_set_tests, _set_cluster_tests (with the server's CA as
    "apiserver.crt"): raw bytes and base64 write the same CA data; set-cluster with a CA file,
    and with --embed-certs; the new cluster is usable against the server."""
    import base64

    kubectl = _plain_kubectl(server, tmp_path)
    kubectl("config", "set-cluster", "test-cluster", "--server=https://does-not-work")
    cert_data = "#Comment\n" + server.ca_file.read_text().rstrip("\n")
    kubectl("config", "set", "clusters.test-cluster.certificate-authority-data", cert_data, "--set-raw-bytes")
    path = '{.clusters[?(@.name == "test-cluster")].cluster.certificate-authority-data}'
    raw = kubectl("config", "view", "--raw", "-o", f"jsonpath={path}").stdout
    encoded = base64.b64encode(cert_data.encode()).decode()
    kubectl("config", "set", "clusters.test-cluster.certificate-authority-data", encoded)
    assert kubectl("config", "view", "--raw", "-o", f"jsonpath={path}").stdout == raw

    ca_file = str(server.ca_file)
    ca_data = base64.b64encode(server.ca_file.read_bytes()).decode()
    kubectl("config", "set-cluster", "test-cluster-1", "--certificate-authority", ca_file)
    one = '{.clusters[?(@.name == "test-cluster-1")].cluster.certificate-authority}'
    assert kubectl("config", "view", "--raw", "-o", f"jsonpath={one}").stdout == ca_file
    kubectl("config", "set-cluster", "test-cluster-2", "--embed-certs", "--certificate-authority", ca_file)
    two = '{.clusters[?(@.name == "test-cluster-2")].cluster.certificate-authority-data}'
    assert kubectl("config", "view", "--raw", "-o", f"jsonpath={two}").stdout == ca_data
    kubectl("config", "set-cluster", "test-cluster-2", f"--server={server.url}")
    out = kubectl("get", "namespace", "kube-system", "-o", "name", "--cluster=test-cluster-2").stdout
    assert out.strip() == "namespace/kube-system"


# ------------------------------------------------------------------------------ get.sh (kustomize)


def test_run_kubectl_get_tests_kustomize(kubectl: Kubectl, tmp_path: Path) -> None:
    """get.sh run_kubectl_get_tests, `get -k` / `delete -k` of hack/testdata/kustomize, with
    the Service of that kustomization and a Pod standing in for its ConfigMap and Deployment
    (kinds we do not serve): every object built from the directory is printed, then deleted."""
    root = tmp_path / "kustomize"
    root.mkdir()
    (root / "kustomization.yaml").write_text(
        "namePrefix: test-the-\nresources:\n- service.yaml\n- pod.yaml\n"
    )
    (root / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: service\nspec:\n  selector:\n    app: the-app\n"
        "  ports:\n  - port: 80\n    targetPort: 8080\n"
    )
    (root / "pod.yaml").write_text(TEST_POD.format(label="the-app").replace("name: test-pod", "name: pod"))
    get_object_assert(kubectl, "services", ID, "")
    get_object_assert(kubectl, "pods", ID, "")
    kubectl("apply", "-k", str(root))
    out = kubectl("get", "-k", str(root), "-o", "jsonpath={..metadata.name}").stdout
    assert "test-the-service" in out and "test-the-pod" in out
    kubectl("delete", "-k", str(root), "--grace-period=0", "--force")
    get_object_assert(kubectl, "services", ID, "")
    get_object_assert(kubectl, "pods", ID, "")


def test_run_impersonation_tests(kubectl: Kubectl, server: ApiServer, namespace: str) -> None:
    """authorization.sh run_impersonation_tests, with `auth whoami` (a SelfSubjectReview, which
    answers with the user the request ran as) for the CertificateSigningRequest whose
    spec.username/groups the script reads: --as alone gives the user system:authenticated;
    --as-group adds groups, in order, even odd ones; without --as kubectl refuses; a user who
    may not impersonate (the read-only token) is forbidden."""
    assert "without impersonating a user" in fails(kubectl, "get", "pods", "--as-group=foo")
    review = json.loads(kubectl("auth", "whoami", "--as=user1", "-o", "json").stdout)
    assert review["status"]["userInfo"]["username"] == "user1"
    assert review["status"]["userInfo"]["groups"] == ["system:authenticated"]
    review = json.loads(
        kubectl(
            "auth", "whoami", "--as=user1", "--as-group=group2", "--as-group=group1", "--as-group=,,,chameleon",
            "-o", "json",
        ).stdout
    )  # fmt: skip
    assert review["status"]["userInfo"]["groups"] == [
        "group2",
        "group1",
        ",,,chameleon",
        "system:authenticated",
    ]
    # the request runs as user1: discovery (system:discovery) is allowed, the list is not
    out = fails(kubectl, "get", "pods", "--as=user1")
    assert (
        f'Error from server (Forbidden): pods is forbidden: User "user1" cannot list resource "pods" in API '
        f'group "" in the namespace "{namespace}"'
    ) in out
    assert "yes" in both(kubectl, "auth", "can-i", "get", "/apis/", "--as=user1")
    status, body, _ = server.call(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        token="readonly",
        headers={"Impersonate-User": "user1"},
    )
    assert status == 403, body
    raw_status, raw_body, raw_headers = server.call(
        "GET", "/api/v1/pods?limit=1", headers={"Impersonate-Group": "foo", "Impersonate-Uid": "abc123"}
    )
    assert raw_status == 500 and raw_headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw_body == (
        b'Internal Server Error: "/api/v1/pods?limit=1": requested [{Group  foo     } '
        b"{UID  abc123  authentication.k8s.io/v1  }] without impersonating a user\n"
    )
    assert body["message"] == (
        'users "user1" is forbidden: User "readonly" cannot impersonate resource "users" in API group "" '
        "at the cluster scope"
    )


# ------------------------------------------------------------------------------ debug.sh


def test_run_kubectl_debug_pod_tests_copy(kubectl: Kubectl, tmp_path: Path) -> None:
    """debug.sh run_kubectl_debug_pod_tests, the copies: --copy-to with a new debug container,
    with --replace (the target goes), and with --container naming the target's own container
    (its image replaced), from the live Pod and from its YAML (-f)."""
    image = "registry.k8s.io/nginx:1.7.9"
    containers = "{{range.spec.containers}}{{.name}}:{{end}}"
    images = "{{range.spec.containers}}{{.image}}:{{end}}"
    kubectl("run", "target", f"--image={image}")
    get_object_assert(kubectl, "pod", ID, "target:")
    kubectl("debug", "target", "-it", "--copy-to=target-copy", "--image=busybox", "--container=debug-container", "--attach=false")  # fmt: skip
    get_object_assert(kubectl, "pod", ID, "target:target-copy:")
    get_object_assert(kubectl, "pod/target-copy", containers, "target:debug-container:")
    get_object_assert(kubectl, "pod/target-copy", images, f"{image}:busybox:")
    kubectl("delete", "pod", "target-copy")

    kubectl(
        "debug", "target", "-it", "--copy-to=target-copy", "--image=busybox", "--container=debug-container",
        "--attach=false", "--replace",
    )  # fmt: skip
    get_object_assert(kubectl, "pod", ID, "target-copy:")
    get_object_assert(kubectl, "pod/target-copy", containers, "target:debug-container:")
    kubectl("delete", "pod", "target-copy")

    kubectl("run", "target", f"--image={image}")
    get_object_assert(kubectl, "pod/target", "{{(index .spec.containers 0).name}}", "target")
    kubectl(
        "debug",
        "target",
        "--image=busybox",
        "--container=target",
        "--copy-to=target-copy",
        "--",
        "sleep",
        "1m",
    )
    get_object_assert(kubectl, "pod", ID, "target:target-copy:")
    get_object_assert(
        kubectl,
        "pod/target-copy",
        "{{(len .spec.containers)}}:{{(index .spec.containers 0).image}}",
        "1:busybox",
    )
    kubectl("delete", "pod", "target-copy")
    dumped = write(tmp_path, "test-pod-debug.yaml", kubectl("get", "pod/target", "-o", "yaml").stdout)
    kubectl("debug", "-f", str(dumped), "--image=busybox", "--container=target", "--copy-to=target-copy", "--", "sleep", "1m")  # fmt: skip
    get_object_assert(kubectl, "pod", ID, "target:target-copy:")
    get_object_assert(
        kubectl,
        "pod/target-copy",
        "{{(len .spec.containers)}}:{{(index .spec.containers 0).image}}",
        "1:busybox",
    )
    kubectl("delete", "pod", "target", "target-copy")


def test_kubectl_debug_without_ephemeral_containers_fails_cleanly(kubectl: Kubectl) -> None:
    """What kubectl says while the pods/ephemeralcontainers subresource is not served (see the
    xfail below): kube-apiserver's 404 for an unserved path carries `"details":{}`, which
    kubectl reads to tell a missing subresource from a missing Pod (without it, kubectl 1.31
    panics on a nil pointer)."""
    kubectl("run", "target", "--image=registry.k8s.io/nginx:1.7.9")
    out = fails(
        kubectl, "debug", "target", "-it", "--image=busybox", "--attach=false", "-c", "debug-container"
    )
    assert "ephemeral containers are disabled for this cluster" in out and "panic" not in out
    assert 'pods "nope" not found' in fails(kubectl, "debug", "nope", "--image=busybox", "--attach=false")
    kubectl("delete", "pod", "target")


@pytest.mark.xfail(
    strict=True,
    reason="kubesvc does not serve the pods/ephemeralcontainers subresource yet (GET/PATCH/PUT that "
    "change only spec.ephemeralContainers, with ValidatePodEphemeralContainersUpdate's rules), so "
    "`kubectl debug` without --copy-to is 'ephemeral containers are disabled for this cluster'",
)
def test_run_kubectl_debug_pod_tests_ephemeral(kubectl: Kubectl) -> None:
    """debug.sh run_kubectl_debug_pod_tests, "Pod Troubleshooting by ephemeral containers": the
    debug container is added through the pods/ephemeralcontainers subresource."""
    kubectl("run", "target", "--image=registry.k8s.io/nginx:1.7.9")
    get_object_assert(kubectl, "pod", ID, "target:")
    kubectl("debug", "target", "-it", "--image=busybox", "--attach=false", "-c", "debug-container")
    get_object_assert(
        kubectl, "pod/target", "{{range.spec.ephemeralContainers}}{{.name}}:{{end}}", "debug-container:"
    )
    kubectl("delete", "pod", "target")


# ------------------------------------------------------------------------------ core.sh, legacy-script.sh


def test_describe_chunk_size_and_restmapper_get_all(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_pod_tests and run_service_tests, `describe_resource_chunk_size_assert pods
    events` / `services events` (the lists describe makes are chunked: limit=500, and the
    --chunk-size given); legacy-script.sh after run_RESTMapper_evaluation_tests: every
    namespaced resource that can be listed (`api-resources --verbs=list --namespaced -o name`)
    answers `get -o name`."""
    kubectl("create", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    kubectl("create", "service", "clusterip", "chunky", "--tcp=80")
    with ThreadPoolExecutor(2) as pool:
        for done in [
            pool.submit(_describe_chunk_size_assert, kubectl, "pods", "events"),
            pool.submit(_describe_chunk_size_assert, kubectl, "services", "events"),
        ]:
            done.result()
    names = kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name").stdout.split()
    assert {"pods", "services", "endpoints", "events", "leases.coordination.k8s.io"} <= set(names), names
    assert "nodes" not in names and "namespaces" not in names
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda name: kubectl("get", name, "-o", "name").stdout, names))
    got = dict(zip(names, outs, strict=True))
    assert "pod/valid-pod" in got["pods"] and "service/chunky" in got["services"]
    kubectl("delete", "pod", "valid-pod", "--grace-period=0", "--force")
