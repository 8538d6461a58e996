"""The real kubectl beyond the basics: what a user types day to day, and what kube-apiserver would
make it print.  Discovery (`api-resources -o wide`, `get all`, `api-versions`), health and version
endpoints, output options (`custom-columns`, `jsonpath`, `--sort-by`, `-L`, `-A`), every kind's
table, the `create service` generators, `expose`, `set selector`, `replace [--force]`, `diff`,
server-side dry runs, `wait`, namespace deletion, conflicts, `edit` errors, `auth can-i|whoami`.

One server for the module (it finishes namespace deletion itself, as a namespace controller
would); each test works in its own namespace; every kubectl run gets a fresh discovery cache.
`kubectl` on PATH is gcloud's dispatcher and runs 1.31 for our /version; 1.27 and 1.33 run
explicitly where they differ (1.33 sends protobuf bodies).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.kubectl import DISPATCHER, Kubectl, binary, make_kubectl, wait_for_watch, write
from tests.support.proc import kill_group

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(
        tmp_path_factory.mktemp("kubectl-more") / "data", "--builtin-namespace-finalizer", backend="memory"
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def namespace(server: ApiServer) -> str:
    name = f"km-{uuid.uuid4().hex[:8]}"
    status, body, _ = server.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


@pytest.fixture
def kubectl(server: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    return make_kubectl(server, tmp_path / "cache", namespace)


def table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header names and rows of kubectl's column output (cells split on 2+ spaces)."""
    lines = [line for line in text.splitlines() if line.strip()]
    split = [re.split(r"\s{2,}", line.strip()) for line in lines]
    return split[0], split[1:]


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels: {{app: {name}, tier: {tier}}}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: {port}, targetPort: 8080}}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: {app}}}
spec:
  containers:
  - name: main
    image: example/app:1
    ports: [{{containerPort: 8080}}]
"""


def apply(kubectl: Kubectl, tmp_path: Path, text: str) -> str:
    path = write(tmp_path, f"m-{uuid.uuid4().hex[:6]}.yaml", text)
    return kubectl("apply", "-f", str(path)).stdout


# ------------------------------------------------------------------------------ discovery


def test_api_resources_wide_and_api_versions(kubectl: Kubectl) -> None:
    header, rows = table(kubectl("api-resources", "-o", "wide").stdout)
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
    by_name = {(r[0], next(c for c in r if c == "v1" or "/" in c)): r for r in rows}
    crud = "create,delete,deletecollection,get,list,patch,update,watch"
    assert by_name[("services", "v1")] == ["services", "svc", "v1", "true", "Service", crud, "all"]
    assert by_name[("pods", "v1")] == ["pods", "po", "v1", "true", "Pod", crud, "all"]
    assert by_name[("namespaces", "v1")] == [
        "namespaces", "ns", "v1", "false", "Namespace", "create,delete,get,list,patch,update,watch",
    ]  # fmt: skip
    assert by_name[("events", "v1")][:5] == ["events", "ev", "v1", "true", "Event"]
    assert [
        "selfsubjectaccessreviews",
        "authorization.k8s.io/v1",
        "false",
        "SelfSubjectAccessReview",
        "create",
    ] in rows
    assert ["selfsubjectreviews", "authentication.k8s.io/v1", "false", "SelfSubjectReview", "create"] in rows
    names = [r[0] for r in rows]
    assert names.index("endpoints") < names.index("pods") < names.index("services")
    versions = kubectl("api-versions").stdout.split()
    assert versions == sorted(versions)
    assert {
        "v1",
        "discovery.k8s.io/v1",
        "coordination.k8s.io/v1",
        "events.k8s.io/v1",
        "authentication.k8s.io/v1",
        "authorization.k8s.io/v1",
    } == set(versions)


def test_get_all_lists_pods_then_services(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        POD.format(name="p1", app="web") + "---\n" + SERVICE.format(name="web", tier="fe", port=80),
    )
    out = kubectl("get", "all").stdout
    assert out.index("pod/p1") < out.index("service/web"), out
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert table(blocks[0])[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table(blocks[1])[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert kubectl("get", "all", "-o", "name").stdout.split() == ["pod/p1", "service/web"]


def test_health_version_cluster_info(kubectl: Kubectl, server: ApiServer) -> None:
    assert kubectl("get", "--raw", "/readyz?verbose").stdout.splitlines()[-1] == "readyz check passed"
    for path in ("/healthz?verbose", "/livez?verbose", "/readyz?verbose"):
        lines = kubectl("get", "--raw", path).stdout.splitlines()
        assert lines[0] == "[+]ping ok" and all(re.fullmatch(r"\[\+\][\w/-]+ ok", x) for x in lines[:-1])
    assert kubectl("get", "--raw", "/healthz").stdout == "ok"
    assert "# TYPE apiserver_request_total counter" in kubectl("get", "--raw", "/metrics").stdout
    version = json.loads(kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["major"] == "1" and version["serverVersion"]["minor"] == "31"
    assert version["serverVersion"]["gitVersion"] == "v1.31.0"
    info = re.sub(r"\x1b\[[0-9;]*m", "", kubectl("cluster-info").stdout)
    assert info.splitlines()[0] == f"Kubernetes control plane is running at {server.url}"


# ------------------------------------------------------------------------------ get output options


def test_get_output_options(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        SERVICE.format(name="b", tier="be", port=81) + "---\n" + SERVICE.format(name="a", tier="fe", port=80),
    )
    header, rows = table(
        kubectl("get", "svc", "-o", "custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port").stdout
    )
    assert header == ["NAME", "PORT"] and rows == [["a", "80"], ["b", "81"]]
    names = kubectl(
        "get", "svc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.type}{'\\n'}{end}"
    ).stdout
    assert names.split() == ["a=ClusterIP", "b=ClusterIP"]
    header, rows = table(kubectl("get", "svc", "--sort-by=.spec.ports[0].port", "-L", "tier").stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "TIER"]
    assert [(r[0], r[-1]) for r in rows] == [("a", "fe"), ("b", "be")]
    by_desc = kubectl("get", "svc", "--sort-by=.metadata.labels.tier", "-o", "name").stdout.split()
    assert by_desc == ["service/b", "service/a"]
    header, rows = table(kubectl("get", "svc", "-l", "tier=fe", "--show-labels").stdout)
    assert header[-1] == "LABELS" and rows == [rows[0]] and rows[0][-1] == "app=a,tier=fe"
    header, rows = table(
        kubectl("get", "svc", "-A", "--field-selector", f"metadata.namespace={namespace}").stdout
    )
    assert header[:2] == ["NAMESPACE", "NAME"] and {r[0] for r in rows} == {namespace}
    bad = kubectl("get", "svc", "--field-selector", "spec.bogus=x", check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        'Error from server (BadRequest): Unable to find "/v1, Resource=services" that match label selector "", '
        'field selector "spec.bogus=x": field label not supported: spec.bogus'
    )
    ok = kubectl("get", "svc", "--field-selector", "spec.type=ClusterIP", "-o", "name").stdout.split()
    assert ok == ["service/a", "service/b"]
    none = kubectl("get", "svc", "-l", "app=nothing")
    assert none.stdout == "" and none.stderr.strip() == f"No resources found in {namespace} namespace."


def test_tables_of_every_kind(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    node = f"n-{namespace}"
    apply(
        kubectl,
        tmp_path,
        f"""\
apiVersion: v1
kind: Node
metadata:
  name: {node}
  labels: {{node-role.kubernetes.io/control-plane: ""}}
---
apiVersion: v1
kind: Pod
metadata: {{name: p1, labels: {{app: web}}}}
spec:
  nodeName: {node}
  containers: [{{name: c, image: nginx}}]
---
apiVersion: v1
kind: Event
metadata: {{name: ev1}}
involvedObject: {{kind: Pod, name: p1, namespace: {namespace}}}
reason: Started
message: Started container c
type: Normal
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:10:00Z"
count: 3
source: {{component: kubelet, host: {node}}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: l1}}
spec: {{holderIdentity: me, renewTime: "2026-01-01T00:00:00.000000Z"}}
---
apiVersion: v1
kind: Endpoints
metadata: {{name: ep1}}
subsets:
- addresses: [{{ip: 10.0.0.1}}, {{ip: 10.0.0.2}}]
  ports: [{{port: 8080}}]
""",
    )
    header, rows = table(kubectl("get", "no", node).stdout)
    assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows[0][:3] == [node, "Unknown", "control-plane"]
    header, rows = table(kubectl("get", "no", node, "-o", "wide").stdout)
    assert header == [
        "NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
        "KERNEL-VERSION", "CONTAINER-RUNTIME",
    ]  # fmt: skip
    assert rows[0][-5:] == ["<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
    # Go writes NodeSpec and the status structs even when empty.
    node_obj = get_json(kubectl, "no", node)
    assert node_obj["spec"] == {}
    assert node_obj["status"]["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}
    assert node_obj["status"]["nodeInfo"]["kubeletVersion"] == ""
    header, rows = table(kubectl("get", "po", "-o", "wide").stdout)
    assert header == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    assert rows[0][:4] == ["p1", "0/1", "Pending", "0"] and rows[0][5:] == [
        "<none>",
        node,
        "<none>",
        "<none>",
    ]
    header, rows = table(kubectl("get", "ev").stdout)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows[0][1:] == ["Normal", "Started", "pod/p1", "Started container c"]
    header, rows = table(kubectl("get", "ev", "-o", "wide").stdout)
    assert header == [
        "LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME",
    ]  # fmt: skip
    header, rows = table(kubectl("events").stdout)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert re.fullmatch(r"\S+ \(x3 over \S+\)", rows[0][0]) and rows[0][3] == "Pod/p1"
    event = get_json(kubectl, "ev", "ev1")
    assert event["eventTime"] is None and event["reportingComponent"] == ""
    header, rows = table(kubectl("get", "lease").stdout)
    assert header == ["NAME", "HOLDER", "AGE"] and rows[0][:2] == ["l1", "me"]
    header, rows = table(kubectl("get", "ep").stdout)
    assert header == ["NAME", "ENDPOINTS", "AGE"] and rows[0][:2] == ["ep1", "10.0.0.1:8080,10.0.0.2:8080"]
    header, rows = table(kubectl("get", "ns", namespace).stdout)
    assert header == ["NAME", "STATUS", "AGE"] and rows[0][:2] == [namespace, "Active"]
    header, rows = table(kubectl("get", "ev", "-A", "--field-selector", "involvedObject.name=p1").stdout)
    assert header[0] == "NAMESPACE" and [namespace, "Normal"] == [rows[0][0], rows[0][2]]


# ------------------------------------------------------------------------------ writes


def test_create_service_generators(kubectl: Kubectl) -> None:
    assert (
        kubectl("create", "service", "nodeport", "np", "--tcp=80:8080").stdout.strip() == "service/np created"
    )
    assert (
        kubectl("create", "service", "loadbalancer", "lb", "--tcp=443:8443").stdout.strip()
        == "service/lb created"
    )
    assert (
        kubectl("create", "service", "externalname", "ext", "--external-name=example.com").stdout.strip()
        == "service/ext created"
    )
    assert (
        kubectl("create", "service", "clusterip", "hl", "--clusterip=None").stdout.strip()
        == "service/hl created"
    )
    rows = {r[0]: r for r in table(kubectl("get", "svc", "-o", "wide").stdout)[1]}
    assert rows["np"][1] == "NodePort" and re.fullmatch(r"80:3\d{4}/TCP", rows["np"][4])
    assert rows["lb"][1] == "LoadBalancer" and rows["lb"][3] == "<pending>"
    assert rows["ext"][1:5] == ["ExternalName", "<none>", "example.com", "<none>"]
    assert rows["hl"][1:5] == ["ClusterIP", "None", "<none>", "<none>"]
    assert rows["hl"][-1] == "app=hl"
    ext = get_json(kubectl, "svc", "ext")["spec"]
    assert "clusterIP" not in ext and "ports" not in ext and ext["externalName"] == "example.com"
    lb = get_json(kubectl, "svc", "lb")["spec"]
    assert lb["allocateLoadBalancerNodePorts"] is True and lb["externalTrafficPolicy"] == "Cluster"


def test_expose_set_selector_replace(kubectl: Kubectl, tmp_path: Path) -> None:
    apply(kubectl, tmp_path, POD.format(name="p1", app="web"))
    out = kubectl("expose", "pod", "p1", "--port=80", "--target-port=8080", "--name=exp")
    assert out.stdout.strip() == "service/exp exposed"
    svc = get_json(kubectl, "svc", "exp")
    assert svc["spec"]["selector"] == {"app": "web"} and svc["metadata"]["labels"] == {"app": "web"}
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert (
        kubectl("set", "selector", "svc", "exp", "app=other").stdout.strip() == "service/exp selector updated"
    )
    assert get_json(kubectl, "svc", "exp")["spec"]["selector"] == {"app": "other"}
    live = kubectl("get", "svc", "exp", "-o", "yaml").stdout
    with_rv = write(tmp_path, "with-rv.yaml", live.replace("targetPort: 8080", "targetPort: 8081"))
    assert kubectl("replace", "-f", str(with_rv)).stdout.strip() == "service/exp replaced"
    stale = kubectl("replace", "-f", str(with_rv), check=False)
    assert stale.returncode == 1
    assert (
        'Error from server (Conflict): error when replacing "'
        + str(with_rv)
        + '": Operation cannot be fulfilled '
        'on services "exp": the object has been modified; please apply your changes to the latest version '
        "and try again"
    ) in stale.stderr
    no_rv = write(
        tmp_path,
        "no-rv.yaml",
        re.sub(r"\n  resourceVersion: .*", "", live).replace("targetPort: 8080", "targetPort: 8082"),
    )
    assert kubectl("replace", "-f", str(no_rv)).stdout.strip() == "service/exp replaced"
    assert get_json(kubectl, "svc", "exp")["spec"]["ports"][0]["targetPort"] == 8082
    uid = get_json(kubectl, "svc", "exp")["metadata"]["uid"]
    forced = kubectl("replace", "--force", "-f", str(no_rv)).stdout.split("\n")
    assert forced[:2] == ['service "exp" deleted', "service/exp replaced"]
    assert get_json(kubectl, "svc", "exp")["metadata"]["uid"] != uid


def test_diff_and_server_dry_run(kubectl: Kubectl, tmp_path: Path) -> None:
    apply(kubectl, tmp_path, SERVICE.format(name="web", tier="fe", port=80))
    changed = write(
        tmp_path, "changed.yaml", SERVICE.format(name="web", tier="fe", port=80).replace("8080", "9090")
    )
    diff = kubectl("diff", "-f", str(changed), check=False, env={"KUBECTL_EXTERNAL_DIFF": "diff -u"})
    assert diff.returncode == 1, diff.stderr
    changes = [x for x in diff.stdout.splitlines() if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    # Only the port and the generation move; nothing like an `annotations: {}` appears.
    assert "-    targetPort: 8080" in changes and "+    targetPort: 9090" in changes
    assert all(re.match(r"[-+]\s+(targetPort|generation|\{)", x) or "last-applied" in x for x in changes), (
        changes
    )
    same = kubectl(
        "diff", "-f", str(write(tmp_path, "same.yaml", SERVICE.format(name="web", tier="fe", port=80)))
    )
    assert same.returncode == 0 and same.stdout == ""
    dry = kubectl("apply", "--dry-run=server", "-f", str(changed))
    assert dry.stdout.strip() == "service/web configured (server dry run)"
    assert get_json(kubectl, "svc", "web")["spec"]["ports"][0]["targetPort"] == 8080
    # Pruning needs an allowlist of what we serve (the built-in default names Deployments & co.).
    kept = write(tmp_path, "kept.yaml", SERVICE.format(name="web", tier="fe", port=80))
    apply(kubectl, tmp_path, SERVICE.format(name="other", tier="fe", port=80))
    pruned = kubectl(
        "apply", "--prune", "-l", "tier=fe", "--prune-allowlist=core/v1/Service", "-f", str(kept)
    )
    assert pruned.stdout.split("\n")[:2] == ["service/web unchanged", "service/other pruned"]
    created = kubectl("create", "service", "clusterip", "dry", "--tcp=80", "--dry-run=server", "-o", "json")
    assert json.loads(created.stdout)["spec"]["clusterIP"]
    assert kubectl("get", "svc", "dry", check=False).returncode == 1


def test_wait_delete_and_namespace_deletion(
    kubectl: Kubectl, server: ApiServer, namespace: str, tmp_path: Path
) -> None:
    kubectl("create", "service", "clusterip", "w", "--tcp=80")
    met = kubectl("wait", "--for=jsonpath={.spec.type}=ClusterIP", "svc/w", "--timeout=10s")
    assert met.stdout.strip() == "service/w condition met"
    waiter_log = tmp_path / "waiter.log"
    with waiter_log.open("w") as err_file:
        waiter = subprocess.Popen(
            [binary(None), "--kubeconfig", str(server.kubeconfig), "--cache-dir", str(tmp_path / "wc"),
             "-n", namespace,
             "-v=6", "wait", "--for=delete", "svc/w", "--timeout=60s"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file, text=True, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_watch(waiter, waiter_log)  # the deletion is seen, not found missing at start
        assert kubectl("delete", "svc", "w", "--wait").stdout.strip() == 'service "w" deleted'
        out, _ = waiter.communicate(timeout=90)
    finally:
        if waiter.poll() is None:
            kill_group(waiter)
            waiter.wait(5)
    assert waiter.returncode == 0, waiter_log.read_text(errors="replace")[-3000:]
    assert out.strip() == "service/w condition met"
    ns = f"gone-{uuid.uuid4().hex[:6]}"
    assert kubectl("create", "namespace", ns).stdout.strip() == f"namespace/{ns} created"
    kubectl("create", "service", "clusterip", "inside", "--tcp=80", "-n", ns)
    # kubectl waits until the namespace is gone: its returning at all is the point
    assert kubectl("delete", "namespace", ns, timeout=90).stdout.strip() == f'namespace "{ns}" deleted'
    gone = kubectl("get", "ns", ns, check=False)
    assert gone.stderr.strip() == f'Error from server (NotFound): namespaces "{ns}" not found'


def test_label_and_annotate_conflicts(kubectl: Kubectl, tmp_path: Path) -> None:
    apply(kubectl, tmp_path, SERVICE.format(name="web", tier="fe", port=80))
    clash = kubectl("label", "svc", "web", "tier=be", check=False)
    assert clash.returncode == 1
    assert clash.stderr.strip() == "error: 'tier' already has a value (fe), and --overwrite is false"
    assert kubectl("label", "svc", "web", "tier=be", "--overwrite").stdout.strip() == "service/web labeled"
    rv = get_json(kubectl, "svc", "web")["metadata"]["resourceVersion"]
    assert (
        kubectl("annotate", "svc", "web", "a=1", f"--resource-version={rv}").stdout.strip()
        == "service/web annotated"
    )
    stale = kubectl("annotate", "svc", "web", "b=2", f"--resource-version={rv}", check=False)
    assert stale.returncode == 1
    assert stale.stderr.strip() == (
        'Error from server (Conflict): Operation cannot be fulfilled on services "web": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    assert "b" not in get_json(kubectl, "svc", "web")["metadata"]["annotations"]


def test_edit_with_an_invalid_change_reopens_with_the_error(kubectl: Kubectl, tmp_path: Path) -> None:
    apply(kubectl, tmp_path, SERVICE.format(name="web", tier="fe", port=80))
    reopened = tmp_path / "reopened.txt"
    editor = write(
        tmp_path,
        "editor.sh",
        "#!/bin/sh\n"
        f'if grep -q "was not valid" "$1"; then cp "$1" {reopened}; exit 0; fi\n'
        'sed -i "s/type: ClusterIP/type: Bogus/" "$1"\n',
    )
    editor.chmod(0o755)
    out = kubectl("edit", "svc", "web", check=False, env={"KUBE_EDITOR": str(editor), "EDITOR": str(editor)})
    assert out.returncode == 1
    assert 'error: services "web" is invalid' in out.stderr
    assert "error: Edit cancelled, no valid changes were saved." in out.stderr
    text = reopened.read_text()
    assert '# services "web" was not valid:' in text
    assert (
        '# * spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", '
        '"LoadBalancer", "NodePort"'
    ) in text
    assert get_json(kubectl, "svc", "web")["spec"]["type"] == "ClusterIP"


def test_lease_times_are_shown_as_go_writes_them(kubectl: Kubectl, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\n"
        'spec: {holderIdentity: a, acquireTime: "2026-01-01T02:00:00.000001+02:00"}\n',
    )
    assert get_json(kubectl, "lease", "l")["spec"]["acquireTime"] == "2026-01-01T00:00:00.000001Z"
    bad = write(
        tmp_path,
        "bad.yaml",
        'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: bad}\nspec: {renewTime: "soon"}\n',
    )
    out = kubectl("apply", "-f", str(bad), check=False)
    assert out.returncode == 1
    assert (
        'Lease in version "v1" cannot be handled as a Lease: parsing time "soon" as '
        '"2006-01-02T15:04:05.000000Z07:00": cannot parse "soon" as "2006"'
    ) in out.stderr
    assert kubectl("get", "lease", "bad", check=False).returncode == 1


# ------------------------------------------------------------------------------ auth


@pytest.mark.parametrize("version", [None, "1.33"])
def test_auth_can_i_and_whoami(
    server: ApiServer, namespace: str, tmp_path: Path, version: str | None
) -> None:
    admin = make_kubectl(server, tmp_path / "a", namespace, version)
    assert admin("auth", "can-i", "create", "services").stdout.strip() == "yes"
    assert admin("auth", "can-i", "delete", "nodes").stdout.strip() == "yes"
    who = admin("auth", "whoami").stdout
    header, rows = table(who)
    assert header == ["ATTRIBUTE", "VALUE"]
    assert dict((r[0], r[1]) for r in rows)["Username"] == "admin"
    assert "system:authenticated" in dict((r[0], r[1]) for r in rows)["Groups"]
    listed = table(admin("auth", "can-i", "--list").stdout)
    assert listed[0] == ["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
    assert ["*.*", "[]", "[]", "[*]"] in listed[1]
    token_line = f"token: {server.admin_token}"
    ro_config = write(tmp_path, "ro.kubeconfig", server.kubeconfig.read_text().replace(
        server.admin_token, server.readonly_token
    ))  # fmt: skip
    assert token_line in server.kubeconfig.read_text()
    ro = make_kubectl(server, tmp_path / "r", namespace, version, kubeconfig=ro_config)
    no = ro("auth", "can-i", "create", "services", check=False)
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    assert ro("auth", "can-i", "list", "pods", "-A").stdout.strip() == "yes"
    assert ro("auth", "can-i", "get", "/healthz").stdout.strip() == "yes"
    assert (
        json.loads(ro("auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]["username"] == "readonly"
    )
    denied = ro("create", "service", "clusterip", "nope", "--tcp=80", check=False)
    assert denied.returncode == 1
    assert (
        'services is forbidden: User "readonly" cannot create resource "services" in API group "" in the namespace '
        f'"{namespace}"'
    ) in denied.stderr


def test_kubectl_127_get_all_and_api_resources(server: ApiServer, namespace: str, tmp_path: Path) -> None:
    k = make_kubectl(server, tmp_path / "c127", namespace, "1.27")
    k("create", "service", "clusterip", "old", "--tcp=80")
    assert "service/old" in k("get", "all").stdout
    rows = table(k("api-resources").stdout)[1]
    assert ["services", "svc", "v1", "true", "Service"] in rows
    assert k("auth", "can-i", "get", "services").stdout.strip() == "yes"
