"""Pod create warnings on the wire (upstream podStrategy.WarningsOnCreate): `Warning: 299 - "..."`
headers on a real POST, none on an update of the same pod, none for a clean pod."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.apiserver import ApiServer

_ns_counter = itertools.count()
ARCH_WARNING = '299 - "spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use \\"kubernetes.io/arch\\" instead"'


def _namespace(srv: ApiServer) -> str:
    name = f"podwarn-{next(_ns_counter)}"
    st, body, _ = srv.call(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert st == 201, body
    return name


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }


def test_create_with_deprecated_node_label_sends_warning(apiserver: ApiServer) -> None:
    ns = _namespace(apiserver)
    st, body, headers = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/pods",
        _pod("arch", nodeSelector={"beta.kubernetes.io/arch": "amd64"}),
    )
    assert st == 201, body
    assert headers.get("Warning") == ARCH_WARNING

    # dry-run create warns too; an update of the pod does not (upstream WarningsOnUpdate is empty)
    st, _, headers = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/pods?dryRun=All",
        _pod("arch-dry", nodeSelector={"beta.kubernetes.io/arch": "amd64"}),
    )
    assert st == 201 and headers.get("Warning") == ARCH_WARNING
    body["metadata"].setdefault("labels", {})["touched"] = "yes"
    st, body, headers = apiserver.call("PUT", f"/api/v1/namespaces/{ns}/pods/arch", body)
    assert st == 200, body
    assert "Warning" not in headers


def test_create_warnings_name_and_several_fields(apiserver: ApiServer) -> None:
    ns = _namespace(apiserver)
    st, body, headers = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/pods",
        _pod("web.1", imagePullSecrets=[{"name": "a"}, {"name": "a"}], terminationGracePeriodSeconds=-1),
    )
    assert st == 201, body
    assert headers.get("Warning", "").split("\n") == [
        "299 - \"metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; "
        'a DNS label is recommended: [must not contain dots]"',
        '299 - "spec.imagePullSecrets[1].name: duplicate name \\"a\\""',
        '299 - "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"',
    ]


def test_clean_pod_has_no_warning(apiserver: ApiServer) -> None:
    ns = _namespace(apiserver)
    st, body, headers = apiserver.call("POST", f"/api/v1/namespaces/{ns}/pods", _pod("clean"))
    assert st == 201, body
    assert "Warning" not in headers
