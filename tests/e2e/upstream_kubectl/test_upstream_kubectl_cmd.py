"""Upstream's kubectl command tests, ported for the kinds kubesvc serves: test/cmd/core.sh
(run_pod_tests, run_service_tests and the Service cases of run_rc_tests).

Each test names the script and shell function it ports; the fixtures, helpers and manifests
are in `common.py` and `conftest.py`.  One apiserver for the module.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from tests.e2e.upstream_kubectl.common import (
    AGNHOST_PRIMARY_POD,
    ETCD_POD,
    ID,
    IMAGE,
    LARGE_NAME_POD,
    MULTI_POD,
    POD_WITH_PRECISION,
    REDIS_SERVICE,
    SERVICE_V1_TEST,
    TEST_POD,
    VALID_POD,
    both,
    fails,
    get_object_assert,
)
from tests.support.kubectl import DISPATCHER, Kubectl, write

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(DISPATCHER is None, reason="kubectl is not installed"),
]


def test_run_pod_tests_create_get_delete(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_pod_tests: create valid-pod, get it every way, delete it by name, with --now,
    with --grace-period=0, from a dumped YAML, from its file, by label, and refuse a bare
    `delete pods` and `--all` with a selector."""
    pod = write(tmp_path, "valid-pod.yaml", VALID_POD)
    get_object_assert(kubectl, "pods", ID, "")
    kubectl("create", "-f", str(pod))
    json.loads(kubectl("get", "pods", "-o", "json").stdout)
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    for ref in ("pod valid-pod", "pod/valid-pod", "pods/valid-pod"):
        get_object_assert(kubectl, ref, "{{.metadata.name}}", "valid-pod")
    managers = kubectl(
        "get", "--show-managed-fields", "-f", str(pod), "-o=jsonpath={.metadata.managedFields[*].manager}"
    ).stdout
    assert "kubectl-create" in managers
    assert kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}").stdout == "valid-pod"
    for ref in ("pod valid-pod", "pod/valid-pod", "pods/valid-pod"):
        assert kubectl("get", *ref.split(), "-o", "jsonpath={.metadata.name}").stdout == "valid-pod"
    described = kubectl("describe", "pods", "valid-pod").stdout
    for word in ("Name:", "Image:", "Node:", "Labels:", "Status:"):
        assert word in described
    assert "Events:" in described
    assert "Events:" not in kubectl("describe", "pods", "valid-pod", "--show-events=false").stdout
    assert "Name:" in kubectl("describe", "pods").stdout
    dumped = kubectl("get", "pod", "valid-pod", "-o", "yaml").stdout

    kubectl("delete", "pod", "valid-pod", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")

    kubectl("create", "-f", str(pod))
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    kubectl("delete", "pod", "valid-pod", "--now")
    get_object_assert(kubectl, "pods", ID, "")

    kubectl("create", "-f", str(pod))
    kubectl("delete", "pod", "valid-pod", "--grace-period=0")
    get_object_assert(kubectl, "pods", ID, "")

    kubectl("create", "-f", "-", stdin=re.sub(r"\n\s*namespace:.*", "", dumped))
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    kubectl("delete", "-f", str(pod), "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")

    kubectl("create", "-f", str(pod))
    get_object_assert(kubectl, "pods -l'name in (valid-pod)'", ID, "valid-pod:")
    kubectl("delete", "pods", "-lname in (valid-pod)", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods -l'name in (valid-pod)'", ID, "")

    kubectl("create", "-f", str(pod))
    assert "valid-pod" in kubectl("get", "pods", "--field-selector", "metadata.name=valid-pod").stdout
    phase = kubectl("get", "pod", "valid-pod", "-o", "go-template={{ .status.phase }}").stdout
    assert phase == "Pending"
    assert "valid-pod" in kubectl("get", "pods", "--field-selector", f"status.phase={phase}").stdout
    fails(kubectl, "delete", "pods")
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    fails(kubectl, "delete", "--all", "pods", "-lname in (valid-pod)")
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    kubectl("delete", "--all", "pods", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")

    kubectl("create", "-f", str(pod))
    kubectl("create", "-f", str(write(tmp_path, "agnhost.yaml", AGNHOST_PRIMARY_POD)))
    get_object_assert(kubectl, "pods", ID, "agnhost-primary:valid-pod:")
    kubectl("delete", "pods", "valid-pod", "agnhost-primary", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")

    multi = write(tmp_path, "multi-pod.yaml", MULTI_POD)
    kubectl("create", "-f", str(multi))
    get_object_assert(kubectl, "pods", ID, "redis-master:valid-pod:")
    kubectl("delete", "-f", str(multi))
    get_object_assert(kubectl, "pods", ID, "")


def test_run_pod_tests_label_annotate_patch(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_pod_tests: dry-run and real label/annotate (empty values, --record), their
    field managers, patch (strategic, json, yaml, no-op, type error, --local, resourceVersion
    precondition), replace --force, edit, label --local and --overwrite --all."""
    pod = write(tmp_path, "valid-pod.yaml", VALID_POD)
    kubectl("create", "-f", str(pod))
    labels = "{{range .metadata.labels}}{{.}}:{{end}}"
    get_object_assert(kubectl, "pod valid-pod", labels, "valid-pod:")
    kubectl("label", "pods", "valid-pod", "new-name=new-valid-pod", "--dry-run=client")
    kubectl("label", "pods", "valid-pod", "new-name=new-valid-pod", "--dry-run=server")
    get_object_assert(kubectl, "pod valid-pod", labels, "valid-pod:")
    kubectl("label", "pods", "valid-pod", "new-name=new-valid-pod")
    get_object_assert(kubectl, "pod valid-pod", labels, "valid-pod:new-valid-pod:")
    kubectl("label", "pods", "valid-pod", "emptylabel=")
    get_object_assert(kubectl, "pod valid-pod", "{{.metadata.labels.emptylabel}}", "")
    empty_ann = "{{.metadata.annotations.emptyannotation}}"
    get_object_assert(kubectl, "pod valid-pod", empty_ann, "<no value>")
    kubectl("annotate", "pods", "valid-pod", "emptyannotation=", "--dry-run=client")
    kubectl("annotate", "pods", "valid-pod", "emptyannotation=", "--dry-run=server")
    get_object_assert(kubectl, "pod valid-pod", empty_ann, "<no value>")
    kubectl("annotate", "pods", "valid-pod", "emptyannotation=")
    get_object_assert(kubectl, "pod valid-pod", empty_ann, "")
    managers = "jsonpath={.metadata.managedFields[*].manager}"
    assert "kubectl-annotate" in kubectl("get", "pod", "valid-pod", "-o", managers).stdout
    kubectl("label", "pods", "valid-pod", "record-change=true", "--record=true")
    annotations = "{{range .metadata.annotations}}{{.}}:{{end}}"
    get_object_assert(kubectl, "pod valid-pod", annotations, ".*--record=true.*")
    assert "kubectl-label" in kubectl("get", "pod", "valid-pod", "-o", managers).stdout
    kubectl("label", "pods", "valid-pod", "no-record-change=true", "--record=false")
    get_object_assert(kubectl, "pod valid-pod", annotations, ".*--record=true.*")
    kubectl("label", "pods", "valid-pod", "new-record-change=true", "--record=true")
    get_object_assert(kubectl, "pod valid-pod", annotations, ".*new-record-change=true.*")
    kubectl("delete", "pods", "-lnew-name=new-valid-pod", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")

    # pod-with-precision: patch, label and annotate keep its int64/int32 values
    kubectl("create", "-f", str(write(tmp_path, "precision.json", POD_WITH_PRECISION)))
    get_object_assert(kubectl, "pods", ID, "pod-with-precision:")
    kubectl(
        "patch", "pod", "pod-with-precision", '-p={"metadata":{"annotations":{"patchkey": "patchvalue"}}}'
    )
    get_object_assert(kubectl, "pod pod-with-precision", "{{.metadata.annotations.patchkey}}", "patchvalue")
    kubectl("label", "pods", "pod-with-precision", "labelkey=labelvalue")
    get_object_assert(kubectl, "pod pod-with-precision", "{{.metadata.labels.labelkey}}", "labelvalue")
    kubectl("annotate", "pods", "pod-with-precision", "annotatekey=annotatevalue")
    get_object_assert(
        kubectl, "pod pod-with-precision", "{{.metadata.annotations.annotatekey}}", "annotatevalue"
    )
    precise = json.loads(kubectl("get", "pod", "pod-with-precision", "-o", "json").stdout)["spec"]
    assert precise["activeDeadlineSeconds"] == 2147483647
    assert precise["securityContext"]["supplementalGroups"] == [0, 1000030003, 2147483647]
    kubectl("delete", "pod", "pod-with-precision")

    # annotate a live pod through its file, then --local leaves the live pod alone
    test_pod = write(tmp_path, "pod.yaml", TEST_POD.format(label="test-pod-label"))
    kubectl("create", "-f", str(test_pod))
    kubectl("annotate", "-f", str(test_pod), "annotatekey=annotatevalue")
    get_object_assert(kubectl, "pod test-pod", "{{.metadata.annotations.annotatekey}}", "annotatevalue")
    local = kubectl("annotate", "--local", "-f", str(test_pod), "annotatekey=localvalue", "-o", "yaml").stdout
    get_object_assert(kubectl, "pod test-pod", "{{.metadata.annotations.annotatekey}}", "annotatevalue")
    assert "localvalue" in local
    kubectl("delete", "-f", str(test_pod))

    kubectl("create", "-f", str(pod))
    get_object_assert(kubectl, "pods", ID, "valid-pod:")
    local_patch = kubectl(
        "patch", "--local", "-f", str(pod), '--patch={"spec": {"restartPolicy":"Never"}}', "-o", "yaml"
    ).stdout
    assert "Never" in local_patch
    out = both(kubectl, "patch", "pod", "valid-pod", '-p={"metadata":{"labels":{"name":"valid-pod"}}}')
    assert "patched (no change)" in out
    kubectl(
        "patch", "pod", "valid-pod", "--record",
        '-p={"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "nginx"}]}}',
    )  # fmt: skip
    get_object_assert(kubectl, "pods", IMAGE, "nginx:")
    get_object_assert(
        kubectl, "pods", "{{range.items}}{{.metadata.annotations}}:{{end}}", ".*kubernetes.io/change-cause.*"
    )
    kubectl(
        "patch", "pod", "valid-pod", "--type=json",
        '-p=[{"op": "replace", "path": "/spec/containers/0/image", "value":"nginx2"}]',
    )  # fmt: skip
    get_object_assert(kubectl, "pods", IMAGE, "nginx2:")
    kubectl(
        "patch", "pod", "valid-pod", "--type=json",
        '-p=[{"op": "replace", "path": "/spec/containers/0/image", "value":"nginx"}]',
    )  # fmt: skip
    get_object_assert(kubectl, "pods", IMAGE, "nginx:")
    change = '-p={"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "not-nginx"}]}}'
    kubectl("patch", "pod", "valid-pod", "--record", "--dry-run=client", change)
    kubectl("patch", "pod", "valid-pod", "--record", "--dry-run=server", change)
    get_object_assert(kubectl, "pods", IMAGE, "nginx:")
    kubectl(
        "patch", "pod", "valid-pod",
        "-p=spec:\n  containers:\n  - name: kubernetes-serve-hostname\n    image: changed-with-yaml\n",
    )  # fmt: skip
    get_object_assert(kubectl, "pods", IMAGE, "changed-with-yaml:")
    kubectl(
        "patch", "-f", str(pod),
        '-p={"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "k8s.gcr.io/pause:3.5"}]}}',
    )  # fmt: skip
    get_object_assert(kubectl, "pods", IMAGE, "k8s.gcr.io/pause:3.5:")
    assert "kubectl-patch" in kubectl("get", "pod", "valid-pod", "-o", managers).stdout

    # resourceVersion in a patch is a precondition
    rv = kubectl("get", "pod", "valid-pod", "-o", "go-template={{ .metadata.resourceVersion }}").stdout
    with_rv = (
        '-p={"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "nginx"}]},'
        '"metadata":{"resourceVersion":"%s"}}'
    )
    kubectl("patch", "pod", "valid-pod", with_rv % rv)
    get_object_assert(kubectl, "pods", IMAGE, "nginx:")
    rv = kubectl("get", "pod", "valid-pod", "-o", "go-template={{ .metadata.resourceVersion }}").stdout
    out = fails(kubectl, "patch", "pod", "valid-pod", with_rv % (int(rv) + 100))
    assert "please apply your changes to the latest version and try again" in out

    # replace --force can change what an update may not (the container name)
    live = kubectl("get", "pod", "valid-pod", "-o", "json").stdout
    replaced = write(
        tmp_path,
        "tmp-valid-pod.json",
        live.replace('"kubernetes-serve-hostname"', '"replaced-k8s-serve-hostname"'),
    )
    kubectl("replace", "--force", "-f", str(replaced))
    get_object_assert(
        kubectl, "pod valid-pod", "{{(index .spec.containers 0).name}}", "replaced-k8s-serve-hostname"
    )
    assert "kubectl-replace" in kubectl("get", "pod", "valid-pod", "-o", managers).stdout
    out = fails(kubectl, "replace", "--grace-period=1", "-f", str(replaced))
    assert "--grace-period must have --force specified" in out
    out = fails(kubectl, "replace", "--timeout=1s", "-f", str(replaced))
    assert "--timeout must have --force specified" in out

    # kubectl edit with a sed editor, --output-patch, and EDITOR=cat
    editor = write(
        tmp_path, "tmp-editor.sh", '#!/usr/bin/env bash\nsed -i "s/nginx/k8s.gcr.io\\/serve_hostname/g" $1\n'
    )
    editor.chmod(0o755)
    get_object_assert(kubectl, "pods", IMAGE, "nginx:")
    edited = kubectl("edit", "pods/valid-pod", "--output-patch=true", env={"EDITOR": str(editor)}).stdout
    assert "Patch:" in edited
    get_object_assert(kubectl, "pods", IMAGE, "k8s.gcr.io/serve_hostname:")
    assert "kubectl-edit" in kubectl("get", "pod", "valid-pod", "-o", managers).stdout
    cat = {"EDITOR": "cat", "KUBE_EDITOR": "cat"}
    assert "Edit cancelled" in both(kubectl, "edit", "pod/valid-pod", env=cat)
    assert "name: valid-pod" in kubectl("edit", "pod/valid-pod", env=cat).stdout
    # (`| file -` upstream: the bytes the editor saw; text-mode pipes would fold CRLF)
    copy = write(tmp_path, "copy-editor.sh", f'#!/usr/bin/env bash\ncp "$1" {tmp_path}/edited\n')
    copy.chmod(0o755)
    kubectl("edit", "--windows-line-endings", "pod/valid-pod", check=False, env={"EDITOR": str(copy)})
    assert b"\r\n" in (tmp_path / "edited").read_bytes()
    kubectl("edit", "--windows-line-endings=false", "pod/valid-pod", check=False, env={"EDITOR": str(copy)})
    assert b"\r\n" not in (tmp_path / "edited").read_bytes()
    assert "kind: List" in kubectl("edit", "ns", env=cat).stdout

    # label --local, refusing to overwrite, --overwrite --all
    out = kubectl(
        "label", "--local", "--overwrite", "-f", str(test_pod), "name=localonlyvalue", "-o", "yaml"
    ).stdout
    get_object_assert(kubectl, "pod valid-pod", "{{.metadata.labels.name}}", "valid-pod")
    assert "localonlyvalue" in out
    fails(kubectl, "label", "pods", "valid-pod", "name=valid-pod-super-sayan")
    get_object_assert(kubectl, "pod valid-pod", "{{.metadata.labels.name}}", "valid-pod")
    kubectl("label", "--overwrite", "pods", "--all", "name=valid-pod-super-sayan")
    get_object_assert(kubectl, "pod valid-pod", "{{.metadata.labels.name}}", "valid-pod-super-sayan")
    kubectl("delete", "pods", "-lname in (valid-pod-super-sayan)", "--grace-period=0", "--force")
    get_object_assert(kubectl, "pods", ID, "")


def test_run_pod_tests_replace_node_and_apply_annotation(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_pod_tests: replace of a cluster-scoped Node with resourceVersion "0" (and its
    dry runs); create and replace never set last-applied-configuration, apply does, and a later
    replace keeps it."""
    node = '{"kind": "Node", "apiVersion": "v1", "metadata": {"name": "%s"}}'
    name = f"node-v1-{uuid.uuid4().hex[:6]}"
    kubectl("create", "-f", "-", stdin=node % name)
    found = "{{range.items}}{{if .metadata.annotations.a}}found{{end}}{{end}}:"
    get_object_assert(kubectl, f"node {name}", found, ":")
    with_a = json.dumps(
        {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": name, "annotations": {"a": "b"}, "resourceVersion": "0"},
        }
    )
    kubectl("replace", "--dry-run=server", "-f", "-", stdin=with_a)
    kubectl("replace", "--dry-run=client", "-f", "-", stdin=with_a)
    get_object_assert(kubectl, f"node {name}", found, ":")
    kubectl("replace", "-f", "-", stdin=with_a)
    get_object_assert(kubectl, f"node {name}", "{{.metadata.annotations.a}}", "b")
    kubectl("delete", "node", name)

    kubectl("create", "-f", str(write(tmp_path, "pod.yaml", TEST_POD.format(label="test-pod-label"))))
    get_object_assert(kubectl, "pods test-pod", "{{.metadata.labels.name}}", "test-pod-label")
    last_applied = "kubectl.kubernetes.io/last-applied-configuration"
    assert last_applied not in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    live = kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    kubectl(
        "replace", "-f", str(write(tmp_path, "r1.yaml", live.replace("test-pod-label", "test-pod-replaced")))
    )
    get_object_assert(kubectl, "pods test-pod", "{{.metadata.labels.name}}", "test-pod-replaced")
    assert last_applied not in kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    kubectl("apply", "-f", str(write(tmp_path, "pod-apply.yaml", TEST_POD.format(label="test-pod-applied"))))
    get_object_assert(kubectl, "pods test-pod", "{{.metadata.labels.name}}", "test-pod-applied")
    ann = "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}"
    applied = kubectl("get", "pods", "test-pod", "-o", ann).stdout
    assert "test-pod-applied" in applied
    live = kubectl("get", "pods", "test-pod", "-o", "yaml").stdout
    kubectl(
        "replace",
        "-f",
        str(write(tmp_path, "r2.yaml", live.replace("test-pod-applied", "test-pod-replaced"))),
    )
    get_object_assert(kubectl, "pods test-pod", "{{.metadata.labels.name}}", "test-pod-replaced")
    replaced = kubectl("get", "pods", "test-pod", "-o", ann).stdout
    assert replaced != applied and "test-pod-replaced" in replaced
    kubectl("delete", "pods", "test-pod")


def test_run_pod_tests_patch_type_error(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_pod_tests: "Patch fails with type restore error and exit code 1"."""
    kubectl("create", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    out = fails(kubectl, "patch", "pod", "valid-pod", '-p={"metadata":{"labels":"invalid"}}')
    assert "cannot restore map from string" in out
    get_object_assert(kubectl, "pod valid-pod", "{{.metadata.labels.name}}", "valid-pod")


def test_run_service_tests(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_service_tests: create redis-master, describe it, `set selector` (local, dry
    runs, from the file, --resource-version), delete and re-create from its dump, identity
    replace, custom columns, multi-delete, ExternalName, `run --expose`, `expose --overrides`."""
    master = write(tmp_path, "redis-master-service.yaml", REDIS_SERVICE.format(role="master"))
    get_object_assert(kubectl, "services", ID, "")
    kubectl("create", "-f", str(master))
    get_object_assert(kubectl, "services", ID, "redis-master:")
    for described in (
        kubectl("describe", "services", "redis-master").stdout,
        kubectl("describe", "services").stdout,
    ):
        for word in ("Name:", "Labels:", "Selector:", "IP:", "Port:", "Endpoints:", "Session Affinity:"):
            assert word in described, word
        assert "Events:" in described
    assert "Events:" not in kubectl("describe", "services", "redis-master", "--show-events=false").stdout
    assert "Events:" in kubectl("describe", "services", "--show-events=true").stdout

    selector = "{{range .spec.selector}}{{.}}:{{end}}"
    get_object_assert(kubectl, "services redis-master", selector, "redis:master:backend:")
    local = kubectl("set", "selector", "-f", str(master), "role=padawan", "--local", "-o", "yaml").stdout
    assert "role: padawan" in local
    kubectl("set", "selector", "-f", str(master), "role=padawan", "--dry-run=client", "-o", "yaml")
    get_object_assert(kubectl, "services redis-master", selector, "redis:master:backend:")
    kubectl("set", "selector", "-f", str(master), "role=padawan")
    get_object_assert(kubectl, "services redis-master", selector, "padawan:")
    kubectl("set", "selector", "-f", str(master), "app=redis,role=master,tier=backend")
    get_object_assert(kubectl, "services redis-master", selector, "redis:master:backend:")
    kubectl("set", "selector", "services", "redis-master", "role=padawan", "--dry-run=client", "-o", "yaml")
    dry = kubectl(
        "set", "selector", "services", "redis-master", "role=padawan", "--dry-run=server", "-o", "yaml"
    )
    assert "role: padawan" in dry.stdout
    managers = kubectl(
        "get",
        "services",
        "redis-master",
        "--show-managed-fields",
        "-o=jsonpath={.metadata.managedFields[*].manager}",
    ).stdout
    assert "kubectl-set" in managers
    fails(kubectl, "set", "selector", "services", "redis-master", "role=padawan", "--local", "-o", "yaml")
    get_object_assert(kubectl, "services redis-master", selector, "redis:master:backend:")
    rv = kubectl("get", "services", "redis-master", "-o", "jsonpath={.metadata.resourceVersion}").stdout
    kubectl("set", "selector", "services", "redis-master", "rvtest1=true", f"--resource-version={rv}")
    out = fails(
        kubectl, "set", "selector", "services", "redis-master", "rvtest1=true", "--resource-version=1"
    )
    assert "Conflict" in out

    dumped = kubectl("get", "service", "redis-master", "-o", "json").stdout
    kubectl("delete", "service", "redis-master")
    get_object_assert(kubectl, "services", ID, "")
    kubectl("create", "-f", "-", stdin=dumped)
    get_object_assert(kubectl, "services", ID, "redis-master:")
    kubectl("create", "-f", "-", stdin=SERVICE_V1_TEST)
    get_object_assert(kubectl, "services", ID, "redis-master:service-.*-test:")
    identity = kubectl("get", "service", "service-v1-test", "-o", "json").stdout
    kubectl("replace", "-f", "-", stdin=identity)
    kubectl("delete", "service", "redis-master")
    kubectl("delete", "service", "service-v1-test")
    get_object_assert(kubectl, "services", ID, "")

    kubectl("create", "-f", str(master))
    kubectl(
        "create", "-f", str(write(tmp_path, "redis-slave-service.yaml", REDIS_SERVICE.format(role="slave")))
    )
    get_object_assert(kubectl, "services", ID, "redis-master:redis-slave:")
    columns = kubectl(
        "get", "services", "-o=custom-columns=NAME:.metadata.name,RSRC:.metadata.resourceVersion"
    )
    assert "redis-master" in columns.stdout
    kubectl("delete", "services", "redis-master", "redis-slave")
    get_object_assert(kubectl, "services", ID, "")

    kubectl(
        "create", "service", "externalname", "beep-boop", "--dry-run=client", "--external-name", "bar.com"
    )
    kubectl(
        "create", "service", "externalname", "beep-boop", "--dry-run=server", "--external-name", "bar.com"
    )
    get_object_assert(kubectl, "services", ID, "")
    kubectl("create", "service", "externalname", "beep-boop", "--external-name", "bar.com")
    get_object_assert(kubectl, "services", ID, "beep-boop:")
    kubectl("delete", "service", "beep-boop")
    get_object_assert(kubectl, "services", ID, "")

    get_object_assert(kubectl, "pods", ID, "")
    kubectl("run", "testmetadata", "--image=nginx", "--port=80", "--expose", "--dry-run=client")
    kubectl("run", "testmetadata", "--image=nginx", "--port=80", "--expose", "--dry-run=server")
    get_object_assert(kubectl, "services", ID, "")
    get_object_assert(kubectl, "pods", ID, "")
    kubectl("run", "testmetadata", "--image=nginx", "--port=80", "--expose")
    get_object_assert(kubectl, "pods", ID, "testmetadata:")
    get_object_assert(kubectl, "service testmetadata", "{{(index .spec.ports 0).port}}", "80")
    pod_managers = kubectl("get", "pod", "testmetadata", "-o=jsonpath={.metadata.managedFields[*].manager}")
    assert "kubectl-run" in pod_managers.stdout
    kubectl(
        "expose", "pod", "testmetadata", "--port=1000", "--target-port=80", "--type=NodePort",
        "--name=exposemetadata", '--overrides={ "metadata": { "annotations": { "zone-context": "work" } } } ',
    )  # fmt: skip
    get_object_assert(
        kubectl, "service exposemetadata", "{{.metadata.annotations}}", r"map\[zone-context:work\]"
    )
    svc_managers = kubectl(
        "get", "service", "exposemetadata", "-o=jsonpath={.metadata.managedFields[*].manager}"
    )
    assert "kubectl-expose" in svc_managers.stdout
    kubectl("delete", "service", "exposemetadata", "testmetadata")
    kubectl("delete", "pod", "testmetadata")
    get_object_assert(kubectl, "services", ID, "")


def test_run_rc_tests_expose_pods_and_services(kubectl: Kubectl, tmp_path: Path) -> None:
    """core.sh run_rc_tests, the cases on our kinds: `expose service` with and without --port,
    `expose pod`, exposing a Node fails, a too-long --name is invalid while an inherited long
    name is truncated, and a multi-port pod gives a multi-port Service."""
    port = "{{(index .spec.ports 0).port}}"
    name_port = "{{(index .spec.ports 0).name}} {{(index .spec.ports 0).port}}"
    kubectl("create", "service", "clusterip", "frontend", "--tcp=80")
    kubectl("patch", "service", "frontend", "--type=json", '-p=[{"op":"remove","path":"/spec/ports/0/name"}]')
    get_object_assert(kubectl, "service frontend", name_port, "<no value> 80")
    kubectl("expose", "service", "frontend", "--port=443", "--name=frontend-2")
    get_object_assert(kubectl, "service frontend-2", name_port, "<no value> 443")
    kubectl("create", "-f", str(write(tmp_path, "valid-pod.yaml", VALID_POD)))
    kubectl("expose", "pod", "valid-pod", "--port=444", "--name=frontend-3")
    get_object_assert(kubectl, "service frontend-3", name_port, "<no value> 444")
    kubectl("expose", "service", "frontend", "--name=frontend-4")
    get_object_assert(kubectl, "service frontend-4", port, "80")
    kubectl("delete", "pod", "valid-pod")
    kubectl("delete", "service", "frontend", "frontend-2", "frontend-3", "frontend-4")

    node = f"expose-{uuid.uuid4().hex[:6]}"
    kubectl(
        "create",
        "-f",
        "-",
        stdin=json.dumps({"kind": "Node", "apiVersion": "v1", "metadata": {"name": node}}),
    )
    assert "cannot expose" in fails(kubectl, "expose", "nodes", node)
    kubectl("delete", "node", node)

    large = write(tmp_path, "pod-with-large-name.yaml", LARGE_NAME_POD)
    out = fails(
        kubectl, "expose", "-f", str(large),
        "--name=invalid-large-service-name-that-has-more-than-sixty-three-characters", "--port=8081",
    )  # fmt: skip
    assert "metadata.name: Invalid value" in out
    out = kubectl("expose", "-f", str(large), "--port=8081").stdout
    assert "kubernetes-serve-hostname-testing-sixty-three-characters-in-len exposed" in out
    kubectl("delete", "svc", "kubernetes-serve-hostname-testing-sixty-three-characters-in-len")

    out = kubectl("expose", "-f", str(write(tmp_path, "etcd.yaml", ETCD_POD)), "--selector=test=etcd").stdout
    assert "etcd-server exposed" in out
    get_object_assert(kubectl, "service etcd-server", name_port, "port-1 2380")
    get_object_assert(
        kubectl,
        "service etcd-server",
        "{{(index .spec.ports 1).name}} {{(index .spec.ports 1).port}}",
        "port-2 2379",
    )
    kubectl("delete", "svc", "etcd-server")
