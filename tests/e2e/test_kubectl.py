"""The real kubectl against a real kubesvc apiserver: what a user types, what a user sees.

`kubectl` on PATH is gcloud's dispatcher: it asks the server's /version and runs the matching
`kubectl.1.<minor>` (1.31 for us).  The core flow also runs with kubectl 1.27 (needs
/openapi/v2, aggregated discovery v2beta1), 1.29 and 1.33 (protobuf bodies for `create`).
Each test works in its own namespace on the module's shared server; every kubectl run gets a
fresh discovery cache dir so no state leaks between versions.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver import ApiServer
from tests.support.kubectl import DISPATCHER, Kubectl, make_kubectl, write
from tests.support.proc import kill_group

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  selector:
    app: {name}
  ports:
  - name: http
    port: {port}
    targetPort: {target}
"""


@pytest.fixture
def namespace(apiserver: ApiServer) -> str:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    status, body, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


@pytest.fixture
def kubectl(apiserver: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    return make_kubectl(apiserver, tmp_path / "cache", namespace)


def service_yaml(
    tmp_path: Path, name: str = "web", port: int = 80, target: int = 8080, file: str = ""
) -> Path:
    return write(
        tmp_path, file or f"{name}-{port}-{target}.yaml", SERVICE.format(name=name, port=port, target=target)
    )


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def table(text: str) -> tuple[list[str], list[list[str]]]:
    """Split kubectl's column output into header names and rows of cells."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0].split(), [line.split() for line in lines[1:]]


# ------------------------------------------------------------------------------ apply


def test_apply_create_configure_unchanged(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    first = service_yaml(tmp_path)
    assert kubectl("apply", "-f", str(first)).stdout.strip() == "service/web created"
    assert kubectl("apply", "-f", str(first)).stdout.strip() == "service/web unchanged"
    changed = service_yaml(tmp_path, port=81)
    assert kubectl("apply", "-f", str(changed)).stdout.strip() == "service/web configured"
    svc = get_json(kubectl, "svc", "web")
    assert [(p["name"], p["port"], p["targetPort"], p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("http", 81, 8080, "TCP")
    ]
    last = json.loads(svc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["ports"] == [{"name": "http", "port": 81, "targetPort": 8080}]
    assert last["metadata"]["namespace"] == namespace
    assert kubectl("apply", "-f", str(changed)).stdout.strip() == "service/web unchanged"


def test_get_table_wide_yaml_json(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path)))
    svc = get_json(kubectl, "svc", "web")
    cluster_ip = svc["spec"]["clusterIPs"][0]
    header, rows = table(kubectl("get", "svc").stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert rows[0][:5] == ["web", "ClusterIP", cluster_ip, "<none>", "80/TCP"]
    assert rows[0][5].endswith(("s", "m"))
    header, rows = table(kubectl("get", "svc", "-o", "wide").stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    assert rows[0][6] == "app=web"
    header, rows = table(kubectl("get", "svc", "web", "--show-labels").stdout)
    assert header[-1] == "LABELS" and rows[0][-1] == "app=web"
    yaml_out = kubectl("get", "svc", "web", "-o", "yaml").stdout
    assert "kind: Service" in yaml_out and f"clusterIP: {cluster_ip}" in yaml_out
    assert "managedFields" not in yaml_out, "kubectl strips managedFields by default"
    assert svc["kind"] == "Service" and svc["spec"]["type"] == "ClusterIP"
    assert kubectl("get", "svc", "web", "-o", "name").stdout.strip() == "service/web"
    sorted_out = kubectl("get", "svc", "--sort-by=.metadata.name").stdout
    assert "web" in sorted_out


def test_get_all_namespaces_and_all(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path)))
    header, rows = table(kubectl("get", "svc", "-A").stdout)
    assert header[0] == "NAMESPACE"
    assert [namespace, "web"] in [r[:2] for r in rows]
    assert ["default", "kubernetes"] in [r[:2] for r in rows]
    out = kubectl("get", "all").stdout
    assert "service/web" in out


# ------------------------------------------------------------------------------ server-side apply


def test_server_side_apply_conflict_and_force(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = service_yaml(tmp_path, name="ssa")
    assert (
        kubectl("apply", "--server-side", "-f", str(manifest)).stdout.strip()
        == "service/ssa serverside-applied"
    )
    other = service_yaml(tmp_path, name="ssa", target=9090)
    failed = kubectl("apply", "--server-side", "--field-manager=other", "-f", str(other), check=False)
    assert failed.returncode != 0
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.ports[port=80,protocol="TCP"].targetPort'
        in failed.stderr
    )
    assert get_json(kubectl, "svc", "ssa")["spec"]["ports"][0]["targetPort"] == 8080
    forced = kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", str(other))
    assert forced.stdout.strip() == "service/ssa serverside-applied"
    svc = json.loads(kubectl("get", "svc", "ssa", "-o", "json", "--show-managed-fields").stdout)
    assert svc["spec"]["ports"][0]["targetPort"] == 9090
    managers = {(e["manager"], e["operation"]) for e in svc["metadata"]["managedFields"]}
    assert {("kubectl", "Apply"), ("other", "Apply")} <= managers
    by_manager = {e["manager"]: e["fieldsV1"] for e in svc["metadata"]["managedFields"]}
    key = 'k:{"port":80,"protocol":"TCP"}'
    assert "f:targetPort" in by_manager["other"]["f:spec"]["f:ports"][key]
    assert "f:targetPort" not in by_manager["kubectl"]["f:spec"]["f:ports"][key]


def test_server_side_apply_after_client_side_apply_migrates(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path, name="mig")))
    # Changing a client-side-applied field with --server-side is no conflict for kubectl itself.
    manifest = service_yaml(tmp_path, name="mig", target=9090)
    out = kubectl("apply", "--server-side", "-f", str(manifest))
    assert out.stdout.strip() == "service/mig serverside-applied"
    assert "rejected managed fields migration" not in out.stderr
    svc = json.loads(kubectl("get", "svc", "mig", "-o", "json", "--show-managed-fields").stdout)
    assert svc["spec"]["ports"][0]["targetPort"] == 9090
    last = json.loads(svc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["ports"][0]["targetPort"] == 9090, "server-side apply keeps last-applied in step"
    managers = {(e["manager"], e["operation"]) for e in svc["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    assert ("kubectl-client-side-apply", "Update") not in managers


# ------------------------------------------------------------------------------ watch, describe, edit


def test_get_watch_prints_new_rows(
    apiserver: ApiServer, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path, name="first")))
    assert DISPATCHER is not None
    cmd = [DISPATCHER, "--kubeconfig", str(apiserver.kubeconfig), "--cache-dir", str(tmp_path / "wcache"),
           "-n", namespace, "get", "svc", "-w"]  # fmt: skip
    out_path = tmp_path / "watch.out"
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while "first" not in out_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        kubectl("create", "service", "clusterip", "second", "--tcp=80:8080")
        while "second" not in out_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        kill_group(proc)
        proc.wait(10)
    text = out_path.read_text()
    header, rows = table(text)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    names = [r[0] for r in rows]
    assert names[0] == "first" and "second" in names, text
    second = next(r for r in rows if r[0] == "second")
    assert second[1] == "ClusterIP" and second[4] == "80/TCP"
    # A bounded watch of one object ends by itself.
    once = kubectl("get", "svc", "first", "-w", "--request-timeout=2s", check=False, timeout=20)
    assert "first" in once.stdout


def test_describe_service(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path)))
    svc = get_json(kubectl, "svc", "web")
    text = kubectl("describe", "svc", "web").stdout
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" "):
            fields.setdefault(key, value.strip())
    assert fields["Name"] == "web"
    assert fields["Namespace"] == namespace
    assert fields["Selector"] == "app=web"
    assert fields["Type"] == "ClusterIP"
    assert fields["IP"] == svc["spec"]["clusterIP"]
    assert fields["IPs"] == svc["spec"]["clusterIPs"][0]
    assert fields["Port"] == "http  80/TCP"
    assert fields["TargetPort"] == "8080/TCP"
    assert fields["Endpoints"] in ("<none>", "")
    assert fields["Session Affinity"] == "None"
    assert fields["Events"] == "<none>"


def test_edit_with_kube_editor(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path)))
    editor = write(tmp_path, "editor.sh", "#!/bin/sh\nsed -i 's/targetPort: 8080/targetPort: 9090/' \"$1\"\n")
    editor.chmod(0o755)
    out = kubectl("edit", "svc", "web", env={"KUBE_EDITOR": str(editor), "EDITOR": str(editor)})
    assert out.stdout.strip() == "service/web edited"
    svc = get_json(kubectl, "svc", "web")
    assert svc["spec"]["ports"][0]["targetPort"] == 9090
    managers = {
        e["manager"]
        for e in json.loads(kubectl("get", "svc", "web", "-o", "json", "--show-managed-fields").stdout)[
            "metadata"
        ]["managedFields"]
    }
    assert "kubectl-edit" in managers
    noop = kubectl("edit", "svc", "web", env={"KUBE_EDITOR": "true", "EDITOR": "true"})
    assert "Edit cancelled, no changes made." in noop.stdout + noop.stderr


# ------------------------------------------------------------------------------ patch, label, annotate, delete


def test_patch_strategic_merge_json(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(service_yaml(tmp_path)))
    out = kubectl("patch", "svc", "web", "-p", '{"spec":{"ports":[{"port":80,"targetPort":7070}]}}')
    assert out.stdout.strip() == "service/web patched"
    svc = get_json(kubectl, "svc", "web")
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 7070}]
    kubectl("patch", "svc", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"fe"}}}')
    kubectl(
        "patch", "svc", "web", "--type", "json",
        "-p", '[{"op":"replace","path":"/spec/sessionAffinity","value":"ClientIP"}]',
    )  # fmt: skip
    svc = get_json(kubectl, "svc", "web")
    assert svc["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert svc["spec"]["sessionAffinity"] == "ClientIP"
    noop = kubectl("patch", "svc", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"fe"}}}')
    assert noop.stdout.strip() == "service/web patched (no change)"
    failed = kubectl(
        "patch", "svc", "web", "--type", "json", "-p", '[{"op":"test","path":"/spec/type","value":"NodePort"}]',
        check=False,
    )  # fmt: skip
    assert failed.returncode != 0
    assert (
        "The request is invalid: the server rejected our request due to an error in our request"
        in failed.stderr
    )


def test_label_annotate_delete(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = service_yaml(tmp_path)
    kubectl("apply", "-f", str(manifest))
    assert kubectl("label", "svc", "web", "tier=fe").stdout.strip() == "service/web labeled"
    assert kubectl("annotate", "svc", "web", "note=hello").stdout.strip() == "service/web annotated"
    svc = get_json(kubectl, "svc", "web")
    assert svc["metadata"]["labels"]["tier"] == "fe"
    assert svc["metadata"]["annotations"]["note"] == "hello"
    assert kubectl("label", "svc", "web", "tier-").stdout.strip() == "service/web unlabeled"
    assert "tier" not in get_json(kubectl, "svc", "web")["metadata"]["labels"]
    assert kubectl("delete", "-f", str(manifest)).stdout.strip() == 'service "web" deleted'
    gone = kubectl("get", "svc", "web", check=False)
    assert gone.returncode == 1
    assert 'Error from server (NotFound): services "web" not found' in gone.stderr


def test_create_service_and_namespace(kubectl: Kubectl) -> None:
    out = kubectl("create", "service", "clusterip", "web2", "--tcp=80:8080")
    assert out.stdout.strip() == "service/web2 created"
    svc = get_json(kubectl, "svc", "web2")
    assert svc["spec"]["ports"] == [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert svc["spec"]["selector"] == {"app": "web2"}
    ns = f"made-{uuid.uuid4().hex[:6]}"
    assert kubectl("create", "namespace", ns).stdout.strip() == f"namespace/{ns} created"
    header, rows = table(kubectl("get", "ns", ns).stdout)
    assert header == ["NAME", "STATUS", "AGE"] and rows[0][:2] == [ns, "Active"]


# ------------------------------------------------------------------------------ discovery and docs


def test_api_resources(kubectl: Kubectl) -> None:
    header, rows = table(kubectl("api-resources").stdout)
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    names = {r[0] for r in rows}
    assert {
        "services",
        "endpoints",
        "pods",
        "namespaces",
        "nodes",
        "events",
        "endpointslices",
        "leases",
    } <= names
    assert ["services", "svc", "v1", "true", "Service"] in rows
    assert ["endpoints", "ep", "v1", "true", "Endpoints"] in rows
    assert ["pods", "po", "v1", "true", "Pod"] in rows
    assert ["namespaces", "ns", "v1", "false", "Namespace"] in rows
    assert ["nodes", "no", "v1", "false", "Node"] in rows
    assert ["endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"] in rows
    assert ["leases", "coordination.k8s.io/v1", "true", "Lease"] in rows


def test_explain_service_spec_ports(kubectl: Kubectl) -> None:
    out = kubectl("explain", "service.spec.ports").stdout
    assert "KIND:       Service" in out
    assert "VERSION:    v1" in out
    assert "FIELD: ports <[]ServicePort>" in out
    assert "port\t<integer> -required-" in out
    assert "targetPort\t<IntOrString>" in out
    assert "protocol\t<string>" in out


def test_errors_not_found_and_invalid(kubectl: Kubectl, tmp_path: Path) -> None:
    missing = kubectl("get", "svc", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): services "nope" not found'
    bad = write(
        tmp_path, "bad.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - name: my_port\n    port: 80\n",
    )  # fmt: skip
    out = kubectl("apply", "-f", str(bad), check=False)
    assert out.returncode == 1
    assert 'The Service "bad" is invalid: spec.ports[0].name: Invalid value: "my_port": ' in out.stderr
    unknown = write(
        tmp_path, "unknown.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: strict\nspec:\n  prots: []\n  ports:\n  - port: 80\n",
    )  # fmt: skip
    out = kubectl("apply", "-f", str(unknown), check=False)
    assert out.returncode == 1
    assert 'unknown field "spec.prots"' in out.stderr


# ------------------------------------------------------------------------------ other kubectl versions


@pytest.mark.parametrize("version", ["1.27", "1.29", "1.33"])
def test_core_flow_with_other_kubectl_versions(
    apiserver: ApiServer, namespace: str, tmp_path: Path, version: str
) -> None:
    k = make_kubectl(apiserver, tmp_path / f"cache-{version}", namespace, version)
    first = service_yaml(tmp_path, name="vweb")
    assert k("apply", "-f", str(first)).stdout.strip() == "service/vweb created"
    assert k("apply", "-f", str(first)).stdout.strip() == "service/vweb unchanged"
    assert (
        k("apply", "-f", str(service_yaml(tmp_path, name="vweb", port=81))).stdout.strip()
        == "service/vweb configured"
    )
    header, rows = table(k("get", "svc").stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert rows[0][0] == "vweb" and rows[0][4] == "81/TCP"
    # 1.33 sends these as protobuf.
    assert (
        k("create", "service", "clusterip", "vweb2", "--tcp=80:8080").stdout.strip()
        == "service/vweb2 created"
    )
    ns = f"v{version.replace('.', '')}-{uuid.uuid4().hex[:6]}"
    assert k("create", "namespace", ns).stdout.strip() == f"namespace/{ns} created"
    annotated = k("annotate", "svc", "vweb", "a=b").stdout.strip()
    assert annotated == ("service/vweb annotate" if version == "1.27" else "service/vweb annotated")
    assert "FIELD: ports <[]ServicePort>" in k("explain", "service.spec.ports").stdout
    ssa = k("apply", "--server-side", "-f", str(service_yaml(tmp_path, name="vweb", port=81)))
    assert ssa.stdout.strip() == "service/vweb serverside-applied"
    describe = k("describe", "svc", "vweb").stdout
    assert "Name:" in describe and "vweb" in describe and "81/TCP" in describe


OTHER_KINDS = """\
apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels: {app: p1}
spec:
  containers:
  - name: main
    image: example/app:1
    env:
    - {name: A, value: "1"}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-1
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
endpoints:
- addresses: [10.1.0.1]
- addresses: [10.1.0.2]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: lock
spec:
  holderIdentity: me
"""


def test_apply_and_get_other_kinds(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = write(tmp_path, "kinds.yaml", OTHER_KINDS)
    out = kubectl("apply", "-f", str(manifest)).stdout.split("\n")
    assert out[:3] == [
        "pod/p1 created",
        "endpointslice.discovery.k8s.io/manual-1 created",
        "lease.coordination.k8s.io/lock created",
    ]
    changed = write(
        tmp_path,
        "kinds2.yaml",
        OTHER_KINDS.replace("example/app:1", "example/app:2").replace(
            "holderIdentity: me", "holderIdentity: you"
        ),
    )
    out = kubectl("apply", "-f", str(changed)).stdout.split("\n")
    assert out[0] == "pod/p1 configured"
    assert out[2] == "lease.coordination.k8s.io/lock configured"
    # The endpoints list is atomic and the server adds `conditions: {}` to each endpoint (as
    # upstream does), so kubectl's three-way diff resends the list: "configured", not "unchanged".
    assert out[1].startswith("endpointslice.discovery.k8s.io/manual-1 ")
    pod = get_json(kubectl, "pod", "p1")
    assert pod["spec"]["containers"][0]["image"] == "example/app:2"
    assert pod["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    header, rows = table(kubectl("get", "endpointslices").stdout)
    assert header == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert rows[0][:4] == ["manual-1", "IPv4", "8080", "10.1.0.1,10.1.0.2"]
    header, rows = table(kubectl("get", "leases").stdout)
    assert header == ["NAME", "HOLDER", "AGE"] and rows[0][:2] == ["lock", "you"]
    header, rows = table(kubectl("get", "pods").stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows[0][:2] == ["p1", "0/1"]
