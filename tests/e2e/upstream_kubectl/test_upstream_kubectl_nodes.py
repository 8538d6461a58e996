"""Upstream's kubectl command tests, ported for the kinds kubesvc serves: test/cmd/node-management.sh
(run_cluster_management_tests, with the pods/eviction subresource kubectl drain uses), wait.sh,
delete.sh, events.sh, template-output.sh, save-config.sh and request-timeout.sh.

Each test names the script and shell function it ports; the fixtures, helpers and manifests
are in `common.py` and `conftest.py`.  One apiserver for the module.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.upstream_kubectl.common import (
    ID,
    REDIS_SERVICE,
    TEST_POD,
    VALID_POD,
    _argv,
    _create_test_pods,
    _delete_test_pods,
    both,
    fails,
    get_object_assert,
)
from tests.support.apiserver import ApiServer
from tests.support.kubectl import DISPATCHER, Kubectl, make_kubectl, wait_for_watch, write
from tests.support.proc import kill_group

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]


@pytest.mark.parametrize("version", [None, "1.27", "1.33"])
def test_run_cluster_management_tests(
    server: ApiServer, namespace: str, tmp_path: Path, version: str | None
) -> None:
    """node-management.sh run_cluster_management_tests: taint/untaint (and dry runs), cordon and
    drain dry runs leave the node schedulable, drain --pod-selector evicts only the matching pod
    (through pods/eviction: kubectl says "evicting pod"), uncordon, drain's argument errors and
    chunked lists, cordon by selector.  kubectl 1.33 posts the Eviction as protobuf."""
    kubectl = make_kubectl(server, tmp_path / "cache", namespace, version)
    node = f"node-{uuid.uuid4().hex[:6]}"
    kubectl(
        "create",
        "-f",
        "-",
        stdin=json.dumps({"kind": "Node", "apiVersion": "v1", "metadata": {"name": node}}),
    )
    get_object_assert(kubectl, f"nodes {node}", "{{.metadata.name}}", node)
    _create_test_pods(kubectl, node)

    taint = '{{range .spec.taints}}{{if eq .key "dedicated"}}{{.key}}={{.value}}:{{.effect}}{{end}}{{end}}'
    get_object_assert(kubectl, f"nodes {node}", taint, "")
    kubectl("taint", "node", node, "--dry-run=client", "dedicated=foo:PreferNoSchedule")
    kubectl("taint", "node", node, "--dry-run=server", "dedicated=foo:PreferNoSchedule")
    get_object_assert(kubectl, f"nodes {node}", taint, "")
    kubectl("taint", "node", node, "dedicated=foo:PreferNoSchedule")
    get_object_assert(kubectl, f"nodes {node}", taint, "dedicated=foo:PreferNoSchedule")
    kubectl("taint", "node", node, "dedicated-")
    kubectl("taint", "node", node, "dedicated:PreferNoSchedule")
    get_object_assert(kubectl, f"nodes {node}", taint, "dedicated=<no value>:PreferNoSchedule")
    managers = kubectl(
        "get", "node", node, "--show-managed-fields", "-o=jsonpath={.metadata.managedFields[*].manager}"
    )
    assert "kubectl-taint" in managers.stdout
    kubectl("taint", "node", node, "--dry-run=client", "dedicated-")
    kubectl("taint", "node", node, "--dry-run=server", "dedicated-")
    get_object_assert(kubectl, f"nodes {node}", taint, "dedicated=<no value>:PreferNoSchedule")
    kubectl("taint", "node", node, "dedicated-")
    get_object_assert(kubectl, f"nodes {node}", taint, "")

    unschedulable = "{{.spec.unschedulable}}"
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")
    kubectl("cordon", node, "--dry-run=client")
    kubectl("cordon", node, "--dry-run=server")
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")
    kubectl("drain", node, "--dry-run=client", "--force")
    kubectl("drain", node, "--dry-run=server", "--force")
    get_object_assert(kubectl, f"nodes {node}", "{{.metadata.name}}", node)
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")
    both_pods = "{{range .items}}{{.metadata.name}},{{end}}"
    get_object_assert(kubectl, "pods", both_pods, "test-pod-1,test-pod-2,")

    kubectl("drain", node, "--pod-selector", "e in (f)", "--dry-run=client", "--force")
    kubectl("drain", node, "--pod-selector", "e in (f)", "--dry-run=server", "--force")
    get_object_assert(kubectl, "pods", both_pods, "test-pod-1,test-pod-2,")
    # (upstream waits out the pods' 30 s grace period; --grace-period=1 keeps this test short)
    response = kubectl(
        "drain",
        node,
        "--force",
        "--pod-selector",
        "e in (f)",
        "--skip-wait-for-delete-timeout=1",
        "--grace-period=1",
    ).stdout
    assert re.search(r"evicting pod .*/test-pod-1", response), response
    get_object_assert(kubectl, "pods/test-pod-2", "{{.metadata.deletionTimestamp}}", "<no value>")
    get_object_assert(kubectl, "pods/test-pod-1", "{{.metadata.deletionGracePeriodSeconds}}", "1")
    _delete_test_pods(kubectl)
    _create_test_pods(kubectl, node)
    kubectl("uncordon", node)
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")

    assert "already uncordoned" in kubectl("uncordon", node, "--dry-run=client").stdout
    assert "already uncordoned" in kubectl("uncordon", node, "--dry-run=server").stdout
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")

    kubectl("label", "node", node, f"test={node}")
    get_object_assert(kubectl, f"nodes {node}", "{{.metadata.labels.test}}", node)
    assert "cannot specify both a node name" in fails(kubectl, "drain", node, "--selector", f"test={node}")

    out = kubectl(
        "--v=6", "drain", "--force", "--pod-selector", "type=test-pod", "--selector", f"test={node}",
        "--chunk-size=1", "--dry-run=client",
    )  # fmt: skip
    log = out.stdout + out.stderr
    assert re.search(
        rf"GET https://\S+/api/v1/nodes\?labelSelector=test%3D{node}&limit=1 200 OK", log
    ) or re.search(
        rf'"Response" verb="GET" url="\S*/v1/nodes\?labelSelector=test%3D{node}&limit=1" status="200 OK"', log
    ), log
    pods_url = rf"/v1/pods\?fieldSelector=spec.nodeName%3D{node}&labelSelector=type%3Dtest-pod&limit=1"
    assert re.search(pods_url, log), log
    assert re.search(
        rf"/v1/pods\?continue=\S*&fieldSelector=spec.nodeName%3D{node}&labelSelector=type%3Dtest-pod&limit=1",
        log,
    ), log
    assert re.search(r"evicting pod .*/test-pod-1", log) and re.search(r"evicting pod .*/test-pod-2", log), (
        log
    )
    kubectl("uncordon", node)
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "<no value>")

    out = kubectl("--v=6", "drain", "--force", "--selector", f"test={node}", "--dry-run=client")
    log = out.stdout + out.stderr
    assert re.search(rf"/v1/nodes\?labelSelector=test%3D{node}&limit=500", log), log
    assert re.search(rf"/v1/pods\?fieldSelector=spec.nodeName%3D{node}&limit=500", log), log

    assert "error: USAGE: cordon NODE" in fails(kubectl, "cordon")
    kubectl("uncordon", node)
    assert "must provide one or more resources" in fails(kubectl, "cordon", "--selector=")
    assert f"node/{node} cordoned" in kubectl("cordon", "--selector", f"test={node}").stdout
    assert "cordoned" not in kubectl("cordon", "--selector", "invalid=label").stdout
    get_object_assert(kubectl, f"nodes {node}", unschedulable, "true")
    _delete_test_pods(kubectl)
    kubectl("delete", "node", node)


def test_eviction_subresource(server: ApiServer, namespace: str) -> None:
    """What `kubectl drain` relies on, as kube-apiserver's EvictionREST answers: 201 with a
    Status Success, the pod deleted (gracefully when bound to a node), a dry run deletes
    nothing, the name must match, a missing pod is a 404, only POST is served."""
    base = f"/api/v1/namespaces/{namespace}/pods"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "e1"},
           "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}}  # fmt: skip
    assert server.call("POST", base, pod)[0] == 201
    evict = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "e1", "namespace": namespace},
    }
    status, body, _ = server.call("POST", f"{base}/e1/eviction?dryRun=All", evict)
    assert (status, body) == (
        201,
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
    )
    assert "deletionTimestamp" not in server.call("GET", f"{base}/e1")[1]["metadata"]
    status, body, _ = server.call("POST", f"{base}/e1/eviction", {**evict, "metadata": {"name": "other"}})
    assert (status, body["reason"], body["message"]) == (
        400,
        "BadRequest",
        "name in URL does not match name in Eviction object",
    )
    status, body, _ = server.call(
        "POST", f"{base}/e1/eviction", {**evict, "deleteOptions": {"gracePeriodSeconds": 5}}
    )
    assert (status, body["status"]) == (201, "Success")
    meta = server.call("GET", f"{base}/e1")[1]["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 5 and meta["deletionTimestamp"]
    status, body, _ = server.call("POST", f"{base}/nope/eviction", {**evict, "metadata": {"name": "nope"}})
    assert (status, body["message"]) == (404, 'pods "nope" not found')
    assert server.call("GET", f"{base}/e1/eviction")[0] == 405
    _, discovered, _ = server.call("GET", "/api/v1")
    entry = next(r for r in discovered["resources"] if r["name"] == "pods/eviction")
    assert entry == {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
                     "version": "v1", "kind": "Eviction", "verbs": ["create"]}  # fmt: skip


def test_run_wait_tests(kubectl: Kubectl, server: ApiServer, namespace: str, tmp_path: Path) -> None:
    """wait.sh run_wait_tests with Services and Pods for the Deployments: a jsonpath that never
    holds times out; --for=delete --all sees every object go; an unknown condition times out
    in about the --timeout; a jsonpath without a value waits for the field to exist."""
    kubectl("create", "service", "clusterip", "test-1", "--tcp=80")
    kubectl("create", "service", "clusterip", "test-2", "--tcp=80")
    get_object_assert(kubectl, "services", "{{range .items}}{{.metadata.name}},{{end}}", "test-1,test-2,")
    out = kubectl("wait", "--for=jsonpath=.spec.type=NodePort", "svc/test-1", "--timeout=1s", check=False)
    assert out.returncode != 0 and "timed out" in out.stderr

    deleter = make_kubectl(server, tmp_path / "deleter", namespace)
    waiter_log = tmp_path / "waiter.log"
    with waiter_log.open("w") as err_file:
        waiter = subprocess.Popen(
            [*_argv(server, tmp_path / "waiter", namespace), "-v=6", "wait", "service", "--for=delete", "--all",
             "--timeout=60s"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file, text=True, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_watch(waiter, waiter_log)  # it has listed both and watches the first
        deleter("delete", "service", "--all")
        out_text, _ = waiter.communicate(timeout=90)
        err_text = waiter_log.read_text(errors="replace")[-3000:]
    finally:
        if waiter.poll() is None:
            kill_group(waiter)
            waiter.wait(5)
    assert waiter.returncode == 0, err_text
    assert "test-1 condition met" in out_text and "test-2 condition met" in out_text

    for i in range(3):
        kubectl(
            "create", "-f", "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"dtest-{i}", "labels": {"app": "dtest"}},
                              "spec": {"containers": [{"name": "bb", "image": "busybox"}]}}),
        )  # fmt: skip
    started = time.monotonic()
    out = kubectl(
        "wait", "pod", "--selector=app=dtest", "--for=condition=InvalidCondition", "--timeout=1s", check=False
    )
    elapsed = time.monotonic() - started
    assert out.returncode != 0 and "timed out waiting for the condition " in out.stderr
    assert 1 <= elapsed <= 30, elapsed  # upstream: 1 to 3 s; a loaded machine is slower
    kubectl("delete", "pods", "-l", "app=dtest")

    kubectl("create", "service", "clusterip", "test-3", "--tcp=80")
    out = kubectl("wait", "--for=jsonpath={.spec.clusterIP}", "svc/test-3", "--timeout=10s")
    assert "service/test-3 condition met" in out.stdout
    kubectl("delete", "service", "test-3")


def test_run_kubectl_delete_allnamespaces_tests(ctx_kubectl: Kubectl) -> None:
    """delete.sh run_kubectl_delete_allnamespaces_tests (Services for ConfigMaps): dry runs
    delete nothing; `delete -l ... --all-namespaces` deletes in every namespace."""
    kubectl = ctx_kubectl
    ns_one, ns_two = (f"namespace-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for ns, name in ((ns_one, "one"), (ns_two, "two")):
        kubectl("create", "namespace", ns)
        kubectl("create", "service", "clusterip", name, "--tcp=80", f"--namespace={ns}")
        kubectl("label", "service", name, f"--namespace={ns}", "deletetest=true")
    kubectl("delete", "service", "--dry-run=client", "-l", "deletetest=true", "--all-namespaces")
    kubectl("delete", "service", "--dry-run=server", "-l", "deletetest=true", "--all-namespaces")
    kubectl("config", "set-context", "--current", f"--namespace={ns_one}")
    get_object_assert(kubectl, "service -l deletetest", ID, "one:")
    kubectl("config", "set-context", "--current", f"--namespace={ns_two}")
    get_object_assert(kubectl, "service -l deletetest", ID, "two:")
    kubectl("delete", "service", "-l", "deletetest=true", "--all-namespaces")
    kubectl("config", "set-context", "--current", f"--namespace={ns_one}")
    get_object_assert(kubectl, "service -l deletetest", ID, "")
    kubectl("config", "set-context", "--current", f"--namespace={ns_two}")
    get_object_assert(kubectl, "service -l deletetest", ID, "")


def test_run_kubectl_events_tests(kubectl: Kubectl, server: ApiServer, tmp_path: Path) -> None:
    """events.sh run_kubectl_events_tests, with a Warning Event about a Service (the CronJob
    controller's InvalidSchedule event is not ours to make): -A, -n, --for, --watch, --types,
    --no-headers, -o json|yaml."""
    ns = f"test-events-{uuid.uuid4().hex[:6]}"
    assert "InvalidSchedule" not in both(kubectl, "events", "-A")
    kubectl("create", "namespace", ns)
    kubectl("create", "service", "clusterip", "pi", "--tcp=80", f"--namespace={ns}")
    uid = kubectl("get", "service", "pi", f"--namespace={ns}", "-o", "jsonpath={.metadata.uid}").stdout
    event = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "pi.1", "namespace": ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Service", "name": "pi", "namespace": ns, "uid": uid},
        "reason": "InvalidSchedule", "message": "invalid schedule: 59 23 31 2 *", "type": "Warning",
        "source": {"component": "cronjob-controller"}, "count": 1,
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    kubectl("create", "-f", "-", f"--namespace={ns}", stdin=json.dumps(event))

    def has_event(text: str) -> bool:
        return "Warning" in text and "InvalidSchedule" in text and "Service/pi" in text

    assert has_event(both(kubectl, "events", "-A"))
    assert has_event(both(kubectl, "events", "-n", ns))
    assert has_event(both(kubectl, "events", "-n", ns, "--for=Service/pi"))
    watched = kubectl("events", "-n", ns, "--for=Service/pi", "--watch", "--request-timeout=1", check=False)
    assert has_event(watched.stdout + watched.stderr)
    assert has_event(both(kubectl, "events", "-n", ns, "--for=Service/pi", "--types=Warning"))
    assert not has_event(both(kubectl, "events", "-n", ns, "--for=Service/pi", "--types=Normal"))
    plain = both(kubectl, "events", "-n", ns, "--for=Service/pi", "--no-headers")
    assert "LAST SEEN" not in plain and "REASON" not in plain and has_event(plain)
    for fmt in ("json", "yaml"):
        text = both(kubectl, "events", "-n", ns, "--for=Service/pi", f"--output={fmt}")
        assert "Warning" in text and "InvalidSchedule" in text and "Service" in text and "pi" in text
    kubectl("delete", "service", "pi", f"--namespace={ns}")
    kubectl("delete", "namespace", ns, timeout=40)


def test_run_template_output_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """template-output.sh run_template_output_tests, the commands on our kinds: patch, label,
    annotate, apply, create, expose, run, taint, set-last-applied, create ns/service *, set
    env|image|resources|selector|serviceaccount all print --template output."""
    pod = write(tmp_path, "valid-pod.yaml", VALID_POD)
    kubectl("create", "-f", str(pod))
    kubectl("get", "pods", "-o", "json")
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    tpl = "--template={{ .metadata.name }}:"
    cases: list[tuple[list[str], str]] = [
        (
            ["patch", "--dry-run=client", "pods/valid-pod", "-p", '{"patched":"value3"}', "--type=merge"],
            "valid-pod:",
        ),
        (["label", "--dry-run=client", "pods/valid-pod", "label=value"], "valid-pod:"),
        (["annotate", "--dry-run=client", "pods/valid-pod", "annotation=value"], "valid-pod:"),
        (["apply", "--dry-run=client", "-f", str(pod)], "valid-pod:"),
        (["create", "-f", str(pod), "--dry-run=client"], "valid-pod:"),
        (
            [
                "expose",
                "pod/valid-pod",
                "--save-config",
                "--port=80",
                "--target-port=8000",
                "--dry-run=client",
            ],
            "valid-pod:",
        ),
        (
            [
                "run",
                "--dry-run=client",
                "pi",
                "--image=perl",
                "--restart=OnFailure",
                "--",
                "perl",
                "-wle",
                "print 1",
            ],
            "pi:",
        ),
        (["create", "ns", "bar", "--dry-run=client"], "bar:"),
        (["set", "env", "pod/valid-pod", "--dry-run=client", "A=B"], "valid-pod:"),
        (
            ["set", "image", "pod/valid-pod", "--dry-run=client", "kubernetes-serve-hostname=nginx"],
            "valid-pod:",
        ),
        (["set", "resources", "pod/valid-pod", "--limits=memory=256Mi", "--dry-run=client"], "valid-pod:"),
        (["set", "serviceaccount", "pod/valid-pod", "deployer", "--dry-run=client"], "valid-pod:"),
        (["create", "service", "clusterip", "foo", "--dry-run=client", "--tcp=8080"], "foo:"),
        (["create", "service", "externalname", "foo", "--dry-run=client", "--external-name=bar"], "foo:"),
        (["create", "service", "loadbalancer", "foo", "--dry-run=client", "--tcp=8080"], "foo:"),
        (["create", "service", "nodeport", "foo", "--dry-run=client", "--tcp=8080"], "foo:"),
    ]
    for args, expected in cases:
        cut = args.index("--") if "--" in args else len(args)
        assert expected in kubectl(*args[:cut], tpl, *args[cut:]).stdout, args
    kubernetes_svc = write(tmp_path, "kubernetes-service.yaml", REDIS_SERVICE.format(role="master").replace(
        "name: redis-master", "name: kubernetes"))  # fmt: skip
    out = kubectl(
        "set", "selector", "-f", str(kubernetes_svc), "A=B", "--local", "--dry-run=client", tpl
    ).stdout
    assert "kubernetes:" in out
    node = f"tpl-{uuid.uuid4().hex[:6]}"
    kubectl(
        "create",
        "-f",
        "-",
        stdin=json.dumps({"kind": "Node", "apiVersion": "v1", "metadata": {"name": node}}),
    )
    assert f"{node}:" in kubectl("taint", "node", node, "dedicated=foo:PreferNoSchedule", tpl).stdout
    kubectl("taint", "node", node, "dedicated-")
    kubectl("delete", "node", node)
    svc = write(tmp_path, "svc.yaml", REDIS_SERVICE.format(role="slave"))
    kubectl("create", "-f", str(svc))
    out = kubectl(
        "apply", "set-last-applied", "-f", str(svc), "--dry-run=client", "--create-annotation", tpl
    ).stdout
    assert "redis-slave:" in out
    assert "kind: Config" in kubectl("config", "view").stdout
    assert "Config" in kubectl("config", "view", "--template={{ .kind }}:").stdout
    out = kubectl(
        "create", "service", "clusterip", "cm", "--tcp=80", "--dry-run=client", tpl, "--output", "yaml"
    ).stdout
    assert "kind: Service" in out
    kubectl("delete", "pods", "--all")
    kubectl("delete", "service", "redis-slave")


# ------------------------------------------------------------------------------ save-config.sh, request-timeout.sh


def test_run_save_config_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """save-config.sh run_save_config_tests, on our kinds: create, edit, replace and expose
    (of a pod, for the rc) with --save-config write the last-applied annotation."""
    last_applied = "kubectl.kubernetes.io/last-applied-configuration"
    pod = write(tmp_path, "pod.yaml", TEST_POD.format(label="test-pod-label"))
    get_object_assert(kubectl, "pods", ID, "")
    kubectl("create", "-f", str(pod), "--save-config")
    assert last_applied in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    kubectl("delete", "-f", str(pod))

    kubectl("create", "-f", str(pod))
    assert last_applied not in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    editor = write(
        tmp_path,
        "tmp-editor.sh",
        '#!/usr/bin/env bash\nsed -i "s/test-pod-label/test-pod-label-edited/g" $@\n',
    )
    editor.chmod(0o755)
    kubectl(
        "edit", "pod", "test-pod", "--save-config", env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)}
    )
    assert last_applied in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    get_object_assert(kubectl, "pods test-pod", "{{.metadata.labels.name}}", "test-pod-label-edited")
    kubectl("delete", "-f", str(pod))

    kubectl("create", "-f", str(pod))
    assert last_applied not in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    # (test/cmd's apiserver runs without the ServiceAccount admission plugin, so the bare file
    # replaces there; with it, as here and in a default cluster, the live pod is the input)
    live = write(tmp_path, "live.yaml", kubectl("get", "pods", "test-pod", "-o", "yaml").stdout)
    kubectl("replace", "-f", str(live), "--save-config")
    assert last_applied in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout

    get_object_assert(kubectl, "svc", ID, "")
    kubectl("expose", "pod", "test-pod", "--name=nginx", "--save-config", "--port=80", "--target-port=8000")
    assert last_applied in kubectl("get", "svc", "nginx", "-o", "yaml").stdout
    kubectl("delete", "svc", "nginx")
    kubectl("delete", "-f", str(pod))


def test_run_kubectl_request_timeout_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """request-timeout.sh run_kubectl_request_timeout_tests: --request-timeout on get; a watch
    outlives it (kube-apiserver does not end watches at the client's `timeout`), so the client
    gives up reading; a bad unit is refused."""
    kubectl("create", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    assert "valid-pod" in kubectl("get", "pod", "valid-pod", "--request-timeout=1").stdout
    # (the current script: client-go logs the timeout at --v=5 and ends the watch quietly; the
    # words are the client's: "Timeout" in the newest, "context deadline exceeded" in 1.31)
    watched = kubectl("get", "pod", "valid-pod", "--request-timeout=1", "--watch", "--v=5", check=False)
    log = watched.stdout + watched.stderr
    assert (
        "Timeout" in log
        or "Unable to decode an event from the watch stream: context deadline exceeded" in log
    )
    assert "valid-pod" in both(kubectl, "get", "pod", "valid-pod", "--request-timeout=1")
    assert "Invalid timeout value" in fails(kubectl, "get", "pod", "valid-pod", "--request-timeout=1p")
    kubectl("delete", "pods", "valid-pod")
