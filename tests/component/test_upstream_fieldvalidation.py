"""Upstream's TestFieldValidation (test/integration/apiserver/field_validation_test.go), over HTTP.

The Go test posts a Deployment whose body repeats and invents fields at three depths (metadata,
spec, an item of a nested list) and checks, for POST, PUT, merge/JSON/strategic patches and
apply, under fieldValidation=Strict|Warn|Ignore and unset (= Warn): the exact error text (a
suffix of the Status message), the exact Warning texts and their order.  We keep every case and
its point with a Service in the Deployment's place: `spec.publishNotReadyAddresses` plays
`spec.paused` (a known bool given twice) and `spec.ports[0]` plays
`spec.template.spec.containers[0]` (an item of a list, with an unknown field and a duplicated
`protocol` for the duplicated `imagePullPolicy`).

Facts carried over:
- typed JSON bodies (POST/PUT): unknown and duplicate fields in document order, interleaved,
  each with its full path; a field both unknown and repeated is reported once, as unknown;
  Strict is a 400 `<Kind> in version "v1" cannot be handled as a <Kind>: strict decoding error: ...`.
- YAML bodies: first every repeated key as `line N: key "k" already set in map` (one warning
  each), then the unknown fields in the order of the JSON the YAML was converted to (keys
  sorted at every level).
- merge and strategic-merge patches: the patch's repeated keys first (document order, full
  paths), then the unknown fields of the patched object (keys sorted); JSON patches: the
  operations' own unknown/repeated keys (`json patch unknown field "[0].foo"`), then the
  patched object's unknown fields; Strict is a 422 on the field `patch`.
- apply: only the YAML repeated keys, `error strict decoding YAML: ...` (400).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, start_apiserver

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"

_counter = itertools.count()


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("upstream-fv") / "data", backend="memory")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def ns(apiserver: ApiServer) -> str:
    st, body, _ = apiserver.call("POST", "/api/v1/namespaces", {"metadata": {"name": "field-validation"}})
    assert st == 201, body
    return "field-validation"


# -- bodies (the Go test's, with a Service in the Deployment's place) -------------------------

INVALID_JSON = """
{
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {
    "name": "dupename",
    "name": "%s",
    "labels": {"app": "nginx"},
    "unknownMeta": "metaVal"
  },
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "selector": {"app": "nginx"},
    "ports": [{
      "name": "http",
      "port": 80,
      "unknownNested": "val1",
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}
"""

VALID_JSON = """
{
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {
    "name": "%s",
    "labels": {"app": "nginx"},
    "annotations": {"a1": "foo", "a2": "bar"}
  },
  "spec": {
    "selector": {"app": "nginx"},
    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]
  }
}
"""

INVALID_YAML = """apiVersion: v1
kind: Service
metadata:
  name: dupename
  name: %s
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  publishNotReadyAddresses: false
  publishNotReadyAddresses: true
  selector:
    app: nginx
  ports:
  - name: http
    port: 80
    unknownNested: val1
    protocol: UDP
    protocol: TCP"""

# The problems of INVALID_JSON as the typed decoder finds them: document order.
JSON_PROBLEMS = [
    'duplicate field "metadata.name"',
    'unknown field "metadata.unknownMeta"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknownDupe"',
    'duplicate field "spec.publishNotReadyAddresses"',
    # a field both unknown and repeated is only reported as unknown
    'unknown field "spec.ports[0].unknownNested"',
    'duplicate field "spec.ports[0].protocol"',
]

# INVALID_YAML: the YAML decoder's repeated keys, then the unknown fields of the (key-sorted) JSON.
YAML_PROBLEMS = [
    'line 5: key "name" already set in map',
    'line 12: key "unknownDupe" already set in map',
    'line 14: key "publishNotReadyAddresses" already set in map',
    'line 22: key "protocol" already set in map',
    'unknown field "metadata.unknownMeta"',
    'unknown field "spec.ports[0].unknownNested"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknownDupe"',
]
YAML_STRICT = (
    "strict decoding error: yaml: unmarshal errors:\n"
    '  line 5: key "name" already set in map\n'
    '  line 12: key "unknownDupe" already set in map\n'
    '  line 14: key "publishNotReadyAddresses" already set in map\n'
    '  line 22: key "protocol" already set in map, unknown field "metadata.unknownMeta", '
    'unknown field "spec.ports[0].unknownNested", unknown field "spec.unknown1", '
    'unknown field "spec.unknownDupe"'
)

MERGE_PATCH = """
{
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "ports": [{
      "name": "http",
      "port": 80,
      "unknownNested": "val1",
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}
"""

NONCONFLICTING_MERGE_PATCH = """
{
  "spec": {
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "ports": [{
      "name": "http",
      "port": 80,
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}
"""

JSON_PATCH_BODY = """
[
  {"op": "add", "path": "/spec/unknown1", "value": "val1", "foo": "bar"},
  {"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "val1"},
  {"op": "add", "path": "/spec/unknownDupe", "value": "valDupe"},
  {"op": "add", "path": "/spec/unknownDupe", "value": "valDupe2"},
  {"op": "add", "path": "/spec/publishNotReadyAddresses", "value": false},
  {"op": "add", "path": "/spec/publishNotReadyAddresses", "value": true},
  {"op": "add", "path": "/spec/ports/0/unknownNested", "value": "val1"},
  {"op": "add", "path": "/spec/ports/0/protocol", "value": "UDP"},
  {"op": "add", "path": "/spec/ports/0/protocol", "value": "TCP"}
]
"""

SMP_BODY = """
{
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "selector": {"app": "nginx"},
    "ports": [{
      "port": 80,
      "unknownNested": "val1",
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}
"""

NONCONFLICTING_SMP_BODY = """
{
  "spec": {
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "selector": {"app": "nginx"},
    "ports": [{
      "port": 80,
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}
"""

# The patch's own repeated keys (document order), then the patched object's unknown fields
# (keys sorted: "ports" < "unknown1" < "unknownDupe").
PATCH_PROBLEMS = [
    'duplicate field "spec.unknownDupe"',
    'duplicate field "spec.publishNotReadyAddresses"',
    'duplicate field "spec.ports[0].protocol"',
    'unknown field "spec.ports[0].unknownNested"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknownDupe"',
]
NONCONFLICTING_PROBLEMS = [
    'duplicate field "spec.publishNotReadyAddresses"',
    'duplicate field "spec.ports[0].protocol"',
]
JSON_PATCH_PROBLEMS = [
    # repeated keys inside the patched document are lost by the JSON-patch library; those of
    # the operations themselves are found
    'json patch unknown field "[0].foo"',
    'json patch duplicate field "[1].path"',
    'unknown field "spec.ports[0].unknownNested"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknown3"',
    'unknown field "spec.unknownDupe"',
]

# The apply body: repeated keys only (apply rejects undeclared fields whatever the validation).
APPLY_INVALID = """{
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {
    "name": "%s",
    "labels": {"app": "nginx"}
  },
  "spec": {
    "publishNotReadyAddresses": false,
    "publishNotReadyAddresses": true,
    "selector": {"app": "nginx"},
    "ports": [{
      "name": "http",
      "port": 80,
      "protocol": "UDP",
      "protocol": "TCP"
    }]
  }
}"""
APPLY_PROBLEMS = [
    'line 10: key "publishNotReadyAddresses" already set in map',
    'line 16: key "protocol" already set in map',
]
APPLY_STRICT = (
    "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n"
    '  line 10: key "publishNotReadyAddresses" already set in map\n'
    '  line 16: key "protocol" already set in map'
)


# -- helpers ----------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def warnings_of(headers: dict[str, str]) -> list[str]:
    """The texts of the `299 - "..."` Warning headers, in order."""
    out = []
    for line in headers.get("Warning", "").split("\n"):
        if not line:
            continue
        assert line.startswith('299 - "') and line.endswith('"'), line
        out.append(json.loads(line[len("299 - ") :]))
    return out


def query(mode: str | None) -> str:
    return f"?fieldValidation={mode}" if mode else ""


def check(
    st: int, body: Any, headers: dict[str, str], mode: str | None, problems: list[str], error: str, code: int
) -> None:
    """The Go test's verdict: Strict fails with `error` as the message's suffix and no warning;
    Warn and unset succeed with exactly `problems` as warnings; Ignore succeeds silently."""
    if mode == "Strict":
        assert st == code, body
        assert body["message"].endswith(error), body["message"]
        assert warnings_of(headers) == []
    elif mode == "Ignore":
        assert st in (200, 201), body
        assert warnings_of(headers) == []
    else:
        assert st in (200, 201), body
        assert warnings_of(headers) == problems


MODES = ["Strict", "Warn", "Ignore", None]


# -- POST and PUT -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_post_json(apiserver: ApiServer, ns: str, mode: str | None) -> None:
    """testFieldValidationPost: post-{strict,warn,ignore,no}-validation."""
    name = unique("post")
    st, body, headers = apiserver.call(
        "POST", f"/api/v1/namespaces/{ns}/services{query(mode)}", (INVALID_JSON % name).encode()
    )
    check(st, body, headers, mode, JSON_PROBLEMS, "strict decoding error: " + ", ".join(JSON_PROBLEMS), 400)
    if mode == "Strict":
        assert body["message"] == (
            'Service in version "v1" cannot be handled as a Service: strict decoding error: '
            + ", ".join(JSON_PROBLEMS)
        )
        assert body["reason"] == "BadRequest"
        assert apiserver.call("GET", f"/api/v1/namespaces/{ns}/services/{name}")[0] == 404
        return
    # unknown fields dropped, the last of repeated keys kept
    assert body["metadata"]["name"] == name
    assert "unknownMeta" not in body["metadata"] and "unknown1" not in body["spec"]
    assert body["spec"]["publishNotReadyAddresses"] is True
    assert body["spec"]["ports"][0]["protocol"] == "TCP" and "unknownNested" not in body["spec"]["ports"][0]


@pytest.mark.parametrize("mode", MODES)
def test_post_yaml(apiserver: ApiServer, ns: str, mode: str | None) -> None:
    """testFieldValidationPost: post-{strict,warn,ignore,no}-validation-yaml."""
    name = unique("post-yaml")
    st, body, headers = apiserver.call(
        "POST",
        f"/api/v1/namespaces/{ns}/services{query(mode)}",
        (INVALID_YAML % name).encode(),
        content_type="application/yaml",
    )
    check(st, body, headers, mode, YAML_PROBLEMS, YAML_STRICT, 400)
    if mode != "Strict":
        assert body["metadata"]["name"] == name
        assert body["spec"]["publishNotReadyAddresses"] is True


@pytest.fixture(scope="module")
def put_target(apiserver: ApiServer, ns: str) -> str:
    name = "test-service-put"
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", (VALID_JSON % name).encode())
    assert st == 201, body
    return name


@pytest.mark.parametrize("mode", MODES)
def test_put_json(apiserver: ApiServer, ns: str, put_target: str, mode: str | None) -> None:
    """testFieldValidationPut: put-{strict,warn,ignore,no}-validation."""
    path = f"/api/v1/namespaces/{ns}/services/{put_target}"
    st, body, headers = apiserver.call("PUT", path + query(mode), (INVALID_JSON % put_target).encode())
    check(st, body, headers, mode, JSON_PROBLEMS, "strict decoding error: " + ", ".join(JSON_PROBLEMS), 400)


@pytest.mark.parametrize("mode", MODES)
def test_put_yaml(apiserver: ApiServer, ns: str, put_target: str, mode: str | None) -> None:
    """testFieldValidationPut: put-{strict,warn,ignore,no}-validation-yaml."""
    path = f"/api/v1/namespaces/{ns}/services/{put_target}"
    st, body, headers = apiserver.call(
        "PUT", path + query(mode), (INVALID_YAML % put_target).encode(), content_type="application/yaml"
    )
    check(st, body, headers, mode, YAML_PROBLEMS, YAML_STRICT, 400)


# -- patches ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def patch_target(apiserver: ApiServer, ns: str) -> str:
    name = "test-service-patch-typed"
    st, body, _ = apiserver.call("POST", f"/api/v1/namespaces/{ns}/services", (VALID_JSON % name).encode())
    assert st == 201, body
    return name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("ctype", "patch", "problems"),
    [
        (MERGE, MERGE_PATCH, PATCH_PROBLEMS),
        (JSON_PATCH, JSON_PATCH_BODY, JSON_PATCH_PROBLEMS),
        (MERGE, NONCONFLICTING_MERGE_PATCH, NONCONFLICTING_PROBLEMS),
    ],
    ids=["merge-patch", "json-patch", "nonconflicting-merge-patch"],
)
def test_patch_typed(
    apiserver: ApiServer,
    ns: str,
    patch_target: str,
    ctype: str,
    patch: str,
    problems: list[str],
    mode: str | None,
) -> None:
    """testFieldValidationPatchTyped: {merge,json,nonconflicting-merge}-patch-*-validation."""
    path = f"/api/v1/namespaces/{ns}/services/{patch_target}"
    st, body, headers = apiserver.call("PATCH", path + query(mode), patch.encode(), content_type=ctype)
    check(st, body, headers, mode, problems, "strict decoding error: " + ", ".join(problems), 422)
    if mode == "Strict":
        assert body["reason"] == "Invalid"
        assert [c["field"] for c in body["details"]["causes"]] == ["patch"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("patch", "problems"),
    [(SMP_BODY, PATCH_PROBLEMS), (NONCONFLICTING_SMP_BODY, NONCONFLICTING_PROBLEMS)],
    ids=["smp", "nonconflicting-smp"],
)
def test_strategic_merge_patch(
    apiserver: ApiServer, ns: str, patch: str, problems: list[str], mode: str | None
) -> None:
    """testFieldValidationSMP: the object is applied first, then strategically patched."""
    name = unique("smp")
    path = f"/api/v1/namespaces/{ns}/services/{name}"
    st, body, _ = apiserver.call(
        "PATCH", path + "?fieldManager=apply_test", (VALID_JSON % name).encode(), content_type=APPLY
    )
    assert st == 201, body
    st, body, headers = apiserver.call("PATCH", path + query(mode), patch.encode(), content_type=SMP)
    check(st, body, headers, mode, problems, "strict decoding error: " + ", ".join(problems), 422)
    if mode != "Strict":
        assert body["spec"]["publishNotReadyAddresses"] is True
        assert body["spec"]["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}]


# -- apply ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_apply_create(apiserver: ApiServer, ns: str, mode: str | None) -> None:
    """testFieldValidationApplyCreate."""
    name = unique("apply-create")
    path = f"/api/v1/namespaces/{ns}/services/{name}?fieldManager=mgr"
    if mode:
        path += f"&fieldValidation={mode}"
    st, body, headers = apiserver.call("PATCH", path, (APPLY_INVALID % name).encode(), content_type=APPLY)
    check(st, body, headers, mode, APPLY_PROBLEMS, APPLY_STRICT, 400)
    if mode == "Strict":
        assert body["message"] == APPLY_STRICT


@pytest.mark.parametrize("mode", MODES)
def test_apply_update(apiserver: ApiServer, ns: str, mode: str | None) -> None:
    """testFieldValidationApplyUpdate."""
    name = unique("apply-update")
    path = f"/api/v1/namespaces/{ns}/services/{name}?fieldManager=mgr"
    if mode:
        path += f"&fieldValidation={mode}"
    st, body, _ = apiserver.call("PATCH", path, (VALID_JSON % name).encode(), content_type=APPLY)
    assert st == 201, body
    st, body, headers = apiserver.call("PATCH", path, (APPLY_INVALID % name).encode(), content_type=APPLY)
    check(st, body, headers, mode, APPLY_PROBLEMS, APPLY_STRICT, 400)
    if mode != "Strict":
        assert body["spec"]["publishNotReadyAddresses"] is True
