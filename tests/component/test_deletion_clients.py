"""Cascading deletion as users drive it: the real `kubectl delete --cascade=...` and the official
Python client's `V1DeleteOptions(propagation_policy=...)`, against a real apiserver and a real
`kubesvc controller-manager` (EndpointSlice controller + garbage collector), on the
EndpointSlices the controller makes for a Service.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver import ApiServer
from tests.support.manager import ControllerManager, start_controller_manager
from tests.support.proc import run as proc_run

KUBECTL = shutil.which("kubectl")


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what or 'condition'} not met within {timeout}s (last: {last!r})")


@pytest.fixture(scope="module")
def controller_manager(
    apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControllerManager]:
    cm = start_controller_manager(
        apiserver.kubeconfig,
        tmp_path_factory.mktemp("cm") / "controller-manager.log",
        "--leader-elect=false",
        "--controllers=endpointslice,garbagecollector",
        "--metrics-bind-address=0",
    )
    try:
        yield cm
    finally:
        cm.stop()


@pytest.fixture
def ns(apiserver: ApiServer) -> str:
    name = f"cascade-{uuid.uuid4().hex[:8]}"
    status, body, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


def make_service(apiserver: ApiServer, ns: str, name: str) -> dict[str, Any]:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    status, created, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", svc)
    assert status == 201, created
    return created


def slices_of(apiserver: ApiServer, ns: str, service: str) -> list[dict[str, Any]]:
    status, body, _ = apiserver.call(
        "GET",
        f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?labelSelector=kubernetes.io/service-name%3D{service}",
    )
    assert status == 200, body
    return list(body["items"])


def controller_slices(apiserver: ApiServer, ns: str, name: str, uid: str) -> list[dict[str, Any]]:
    """Wait for the EndpointSlice controller's slice(s) for the Service, owned by it."""

    def owned() -> list[dict[str, Any]]:
        return [
            s
            for s in slices_of(apiserver, ns, name)
            if [r.get("uid") for r in s["metadata"].get("ownerReferences") or []] == [uid]
        ]

    got: list[dict[str, Any]] = wait_for(owned, what="the controller's EndpointSlice")
    ref = got[0]["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "Service" and ref["blockOwnerDeletion"] is True and ref["controller"] is True
    return got


def service_exists(apiserver: ApiServer, ns: str, name: str) -> bool:
    return apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/{name}")[0] == 200


# -- kubectl ----------------------------------------------------------------------------------------


def kubectl(apiserver: ApiServer, ns: str, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    cmd = [KUBECTL, "--kubeconfig", str(apiserver.kubeconfig), "--cache-dir", str(cache), "-n", ns, *args]
    proc = proc_run(cmd, timeout=60)
    assert proc.returncode == 0, f"{' '.join(args)}: {proc.stdout}\n{proc.stderr}\n{apiserver.logs()[-2000:]}"
    return proc


needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


@needs_kubectl
def test_kubectl_cascade_orphan_keeps_the_slices(
    apiserver: ApiServer, controller_manager: ControllerManager, ns: str, tmp_path: Path
) -> None:
    created = make_service(apiserver, ns, "web")
    before = controller_slices(apiserver, ns, "web", created["metadata"]["uid"])
    out = kubectl(apiserver, ns, tmp_path, "delete", "service", "web", "--cascade=orphan")
    assert out.stdout.strip() == 'service "web" deleted'
    # kubectl waited for the Service to go: the collector took the owner reference off first
    assert not service_exists(apiserver, ns, "web")
    after = slices_of(apiserver, ns, "web")
    assert {s["metadata"]["uid"] for s in after} == {s["metadata"]["uid"] for s in before}
    assert all("ownerReferences" not in s["metadata"] for s in after)
    time.sleep(1)  # and nobody collects the orphans later
    assert len(slices_of(apiserver, ns, "web")) == len(before)


@needs_kubectl
def test_kubectl_cascade_foreground_deletes_the_slices_first(
    apiserver: ApiServer, controller_manager: ControllerManager, ns: str, tmp_path: Path
) -> None:
    created = make_service(apiserver, ns, "fg")
    controller_slices(apiserver, ns, "fg", created["metadata"]["uid"])
    out = kubectl(apiserver, ns, tmp_path, "delete", "service", "fg", "--cascade=foreground")
    assert out.stdout.strip() == 'service "fg" deleted'
    # when the owner is gone, its blocking dependents are gone already
    assert not service_exists(apiserver, ns, "fg")
    assert slices_of(apiserver, ns, "fg") == []


@needs_kubectl
def test_kubectl_cascade_background_collects_the_slices(
    apiserver: ApiServer, controller_manager: ControllerManager, ns: str, tmp_path: Path
) -> None:
    created = make_service(apiserver, ns, "bg")
    controller_slices(apiserver, ns, "bg", created["metadata"]["uid"])
    out = kubectl(apiserver, ns, tmp_path, "delete", "service", "bg", "--cascade=background")
    assert out.stdout.strip() == 'service "bg" deleted'
    wait_for(lambda: slices_of(apiserver, ns, "bg") == [], what="slices collected")


@needs_kubectl
def test_kubectl_get_in_chunks_lists_everything(
    apiserver: ApiServer, controller_manager: ControllerManager, ns: str, tmp_path: Path
) -> None:
    for i in range(5):
        make_service(apiserver, ns, f"chunk-{i}")
    out = kubectl(apiserver, ns, tmp_path, "get", "services", "--chunk-size=2", "-o", "name")
    assert out.stdout.split() == [f"service/chunk-{i}" for i in range(5)]
    raw = kubectl(apiserver, ns, tmp_path, "get", "--raw", f"/api/v1/namespaces/{ns}/services?limit=2")
    meta = json.loads(raw.stdout)["metadata"]
    assert meta["remainingItemCount"] == 3 and meta["continue"]


# -- the Python client ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def core(apiserver: ApiServer) -> Iterator[Any]:
    kubernetes = pytest.importorskip("kubernetes")
    api_client = kubernetes.config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    try:
        yield kubernetes.client.CoreV1Api(api_client)
    finally:
        api_client.close()


def test_python_client_foreground_delete(
    apiserver: ApiServer, controller_manager: ControllerManager, core: Any, ns: str
) -> None:
    from kubernetes import client

    created = make_service(apiserver, ns, "py-fg")
    controller_slices(apiserver, ns, "py-fg", created["metadata"]["uid"])
    answer = core.delete_namespaced_service(
        "py-fg", ns, body=client.V1DeleteOptions(propagation_policy="Foreground")
    )
    # the Service is answered as it stays: marked, waiting for its dependents
    assert answer.metadata.deletion_timestamp is not None
    assert answer.metadata.finalizers == ["foregroundDeletion"]
    wait_for(lambda: not service_exists(apiserver, ns, "py-fg"), what="owner gone")
    assert slices_of(apiserver, ns, "py-fg") == []


def test_python_client_orphan_delete_and_conflicting_options(
    apiserver: ApiServer, controller_manager: ControllerManager, core: Any, ns: str
) -> None:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    created = make_service(apiserver, ns, "py-or")
    before = controller_slices(apiserver, ns, "py-or", created["metadata"]["uid"])
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_service(
            "py-or", ns, body=client.V1DeleteOptions(propagation_policy="Orphan", orphan_dependents=True)
        )
    assert err.value.status == 422
    assert "orphanDependents and deletionPropagation cannot be both set" in err.value.body

    answer = core.delete_namespaced_service(
        "py-or", ns, body=client.V1DeleteOptions(propagation_policy="Orphan")
    )
    assert answer.metadata.finalizers == ["orphan"]
    wait_for(lambda: not service_exists(apiserver, ns, "py-or"), what="owner gone")
    after = slices_of(apiserver, ns, "py-or")
    assert [s["metadata"]["name"] for s in after] == [s["metadata"]["name"] for s in before]
    assert all("ownerReferences" not in s["metadata"] for s in after)


def test_python_client_sees_remaining_item_count(apiserver: ApiServer, core: Any, ns: str) -> None:
    for i in range(4):
        make_service(apiserver, ns, f"page-{i}")
    first = core.list_namespaced_service(ns, limit=3)
    assert [s.metadata.name for s in first.items] == ["page-0", "page-1", "page-2"]
    assert first.metadata.remaining_item_count == 1
    rest = core.list_namespaced_service(ns, limit=3, _continue=first.metadata._continue)
    assert [s.metadata.name for s in rest.items] == ["page-3"]
    assert rest.metadata.remaining_item_count is None and not rest.metadata._continue
