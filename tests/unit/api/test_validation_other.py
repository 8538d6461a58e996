"""Validation of Pod, Node, Namespace, Event (v1 and events.k8s.io/v1), Lease, and the
dispatcher: named cases with the exact (field path, error type) pairs, and sample messages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kubesvc.api.fields import ErrorType
from kubesvc.api.validation import validate, validate_namespace_finalize, validate_status

R = ErrorType.REQUIRED
I = ErrorType.INVALID  # noqa: E741
NS = ErrorType.NOT_SUPPORTED
D = ErrorType.DUPLICATE
F = ErrorType.FORBIDDEN

Obj = dict[str, Any]


def pairs(errs):
    return [(e.field, e.type) for e in errs]


def tweak(base: Obj, fn: Callable[[Obj], None]) -> Obj:
    obj = copy.deepcopy(base)
    fn(obj)
    return obj


# --------------------------------------------------------------------------- Pod


def container(name: str = "app", **extra: Any) -> Obj:
    out: Obj = {
        "name": name,
        "image": "busybox",
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePolicy": "File",
    }
    out.update(extra)
    return out


POD: Obj = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web-0", "namespace": "default"},
    "spec": {
        "containers": [
            container(
                ports=[{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                env=[{"name": "MODE", "value": "x"}],
                readinessProbe={
                    "httpGet": {"path": "/", "port": "http", "scheme": "HTTP"},
                    "periodSeconds": 1,
                    "successThreshold": 1,
                    "failureThreshold": 3,
                    "timeoutSeconds": 1,
                },
            )
        ],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
    },
}


def _c0(fn: Callable[[Obj], None]) -> Callable[[Obj], None]:
    return lambda p: fn(p["spec"]["containers"][0])


POD_CASES = [
    ("valid", lambda p: None, []),
    ("valid-hostname-subdomain", lambda p: p["spec"].update(hostname="web-0", subdomain="web"), []),
    (
        "valid-env-field-ref",
        _c0(
            lambda c: c["env"].append(
                {
                    "name": "POD_IP",
                    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
                }
            )
        ),
        [],
    ),
    (
        "valid-tcp-probe",
        _c0(lambda c: c.update(livenessProbe={"tcpSocket": {"port": 8080}, "successThreshold": 1})),
        [],
    ),
    ("no-containers", lambda p: p["spec"].update(containers=[]), [("spec.containers", R)]),
    ("container-name-required", _c0(lambda c: c.update(name="")), [("spec.containers[0].name", R)]),
    ("container-name-not-label", _c0(lambda c: c.update(name="Web_1")), [("spec.containers[0].name", I)]),
    (
        "duplicate-container-names",
        lambda p: p["spec"]["containers"].append(container("app")),
        [("spec.containers[1].name", D)],
    ),
    ("image-required", _c0(lambda c: c.update(image="")), [("spec.containers[0].image", R)]),
    (
        "pull-policy-unsupported",
        _c0(lambda c: c.update(imagePullPolicy="Sometimes")),
        [("spec.containers[0].imagePullPolicy", NS)],
    ),
    (
        "container-port-required",
        _c0(lambda c: c["ports"].append({"containerPort": 0, "protocol": "TCP"})),
        [("spec.containers[0].ports[1].containerPort", R)],
    ),
    (
        "container-port-range",
        _c0(lambda c: c["ports"][0].update(containerPort=70000)),
        [("spec.containers[0].ports[0].containerPort", I)],
    ),
    (
        "port-name-not-iana",
        _c0(lambda c: c["ports"][0].update(name="8080")),
        [("spec.containers[0].ports[0].name", I)],
    ),
    (
        "duplicate-port-name",
        _c0(lambda c: c["ports"].append({"name": "http", "containerPort": 9090, "protocol": "TCP"})),
        [("spec.containers[0].ports[1].name", D)],
    ),
    (
        "port-protocol",
        _c0(lambda c: c["ports"][0].update(protocol="ICMP")),
        [("spec.containers[0].ports[0].protocol", NS)],
    ),
    (
        "env-name-required",
        _c0(lambda c: c["env"].append({"name": ""})),
        [("spec.containers[0].env[1].name", R), ("spec.containers[0].env[1].name", I)],
    ),
    (
        "env-name-with-equals",
        _c0(lambda c: c["env"].append({"name": "A=B"})),
        [("spec.containers[0].env[1].name", I)],
    ),
    (
        "env-bad-field-ref",
        _c0(
            lambda c: c["env"].append(
                {"name": "X", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.bogus"}}}
            )
        ),
        [("spec.containers[0].env[1].valueFrom.fieldRef.fieldPath", NS)],
    ),
    (
        "probe-two-handlers",
        _c0(lambda c: c["readinessProbe"].update(tcpSocket={"port": 80})),
        [("spec.containers[0].readinessProbe.tcpSocket", F)],
    ),
    (
        "probe-no-handler",
        _c0(lambda c: c.update(readinessProbe={"periodSeconds": 1})),
        [("spec.containers[0].readinessProbe", R)],
    ),
    (
        "probe-negative-period",
        _c0(lambda c: c["readinessProbe"].update(periodSeconds=-1)),
        [("spec.containers[0].readinessProbe.periodSeconds", I)],
    ),
    (
        "probe-bad-named-port",
        _c0(lambda c: c["readinessProbe"]["httpGet"].update(port="Not_A_Port")),
        [("spec.containers[0].readinessProbe.httpGet.port", I)],
    ),
    (
        "probe-bad-scheme",
        _c0(lambda c: c["readinessProbe"]["httpGet"].update(scheme="FTP")),
        [("spec.containers[0].readinessProbe.httpGet.scheme", NS)],
    ),
    (
        "liveness-success-threshold",
        _c0(lambda c: c.update(livenessProbe={"tcpSocket": {"port": 80}, "successThreshold": 2})),
        [("spec.containers[0].livenessProbe.successThreshold", I)],
    ),
    (
        "exec-needs-command",
        _c0(lambda c: c.update(livenessProbe={"exec": {"command": []}, "successThreshold": 1})),
        [("spec.containers[0].livenessProbe.exec.command", R)],
    ),
    ("restart-policy", lambda p: p["spec"].update(restartPolicy="Sometimes"), [("spec.restartPolicy", NS)]),
    ("dns-policy", lambda p: p["spec"].update(dnsPolicy="Cluster"), [("spec.dnsPolicy", NS)]),
    ("dns-none-needs-config", lambda p: p["spec"].update(dnsPolicy="None"), [("spec.dnsConfig", R)]),
    ("bad-hostname", lambda p: p["spec"].update(hostname="a.b"), [("spec.hostname", I)]),
    ("bad-subdomain", lambda p: p["spec"].update(subdomain="Web"), [("spec.subdomain", I)]),
    ("bad-node-name", lambda p: p["spec"].update(nodeName="Node_1"), [("spec.nodeName", I)]),
    (
        "host-network-port-mismatch",
        lambda p: (
            p["spec"].update(hostNetwork=True),
            p["spec"]["containers"][0]["ports"][0].update(hostPort=80),
        ),
        [("spec.containers[0].ports[0].containerPort", I)],
    ),
    ("bad-pod-name", lambda p: p["metadata"].update(name="Web"), [("metadata.name", I)]),
    (
        "toleration-ok",
        lambda p: p["spec"].update(
            tolerations=[
                {"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute", "tolerationSeconds": 5}
            ]
        ),
        [],
    ),
    (
        "toleration-empty-key-needs-exists",
        lambda p: p["spec"].update(tolerations=[{"operator": "Equal"}]),
        [("spec.tolerations[0].operator", I)],
    ),
    (
        "toleration-seconds-needs-noexecute",
        lambda p: p["spec"].update(
            tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]
        ),
        [("spec.tolerations[0].effect", I)],
    ),
    (
        "toleration-exists-with-value",
        lambda p: p["spec"].update(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}]),
        [("spec.tolerations[0].operator", I)],
    ),
    (
        "toleration-bad-operator",
        lambda p: p["spec"].update(tolerations=[{"key": "k", "operator": "In"}]),
        [("spec.tolerations[0].operator", NS)],
    ),
    (
        "toleration-bad-effect",
        lambda p: p["spec"].update(tolerations=[{"key": "k", "operator": "Exists", "effect": "Never"}]),
        [("spec.tolerations[0].effect", NS)],
    ),
]


@pytest.mark.parametrize(("fn", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in POD_CASES])
def test_validate_pod(fn, expected):
    assert pairs(validate(tweak(POD, fn))) == expected


def _stored_pod() -> Obj:
    return tweak(POD, lambda p: p["metadata"].update(resourceVersion="1", uid="u1"))


def test_pod_update_rules():
    old = _stored_pod()
    assert validate(tweak(old, _c0(lambda c: c.update(image="busybox:2"))), old) == []
    errs = validate(tweak(old, _c0(lambda c: c["ports"][0].update(containerPort=9090))), old)
    [err] = errs
    assert (err.field, err.type) == ("spec", F)
    assert err.detail.startswith(
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
    )
    assert "9090" in err.detail
    errs = validate(tweak(old, lambda p: p["spec"]["containers"].append(container("side"))), old)
    assert pairs(errs) == [("spec.containers", F)]
    assert errs[0].detail == "pod updates may not add or remove containers"
    with_tol = tweak(old, lambda p: p["spec"].update(tolerations=[{"key": "a", "operator": "Exists"}]))
    assert (
        validate(
            tweak(with_tol, lambda p: p["spec"]["tolerations"].append({"key": "b", "operator": "Exists"})),
            with_tol,
        )
        == []
    )
    assert pairs(validate(tweak(with_tol, lambda p: p["spec"].update(tolerations=[])), with_tol)) == [
        ("spec.tolerations", F)
    ]
    deadline = tweak(old, lambda p: p["spec"].update(activeDeadlineSeconds=30))
    assert validate(tweak(deadline, lambda p: p["spec"].update(activeDeadlineSeconds=10)), deadline) == []
    assert pairs(
        validate(tweak(deadline, lambda p: p["spec"].update(activeDeadlineSeconds=60)), deadline)
    ) == [("spec.activeDeadlineSeconds", I)]


def test_status_of_kind_without_status_rules_uses_update_rules():
    old = tweak(LEASE, lambda lease: lease["metadata"].update(resourceVersion="1"))
    assert pairs(
        validate_status(tweak(old, lambda lease: lease["spec"].update(leaseDurationSeconds=-1)), old)
    ) == [("spec.leaseDurationSeconds", I)]


def test_pod_status_update_rules():
    old = _stored_pod()
    ok = tweak(
        old,
        lambda p: p.update(
            status={
                "phase": "Running",
                "podIP": "10.0.0.1",
                "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
                "hostIP": "172.18.0.11",
                "hostIPs": [{"ip": "172.18.0.11"}],
                "conditions": [{"type": "Ready", "status": "True"}],
            }
        ),
    )
    assert validate_status(ok, old) == []
    two_v4 = tweak(ok, lambda p: p["status"].update(podIPs=[{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]))
    [err] = validate_status(two_v4, old)
    assert (err.field, err.detail) == ("status.podIPs", "may specify no more than one IP for each IP family")
    bad_ip = tweak(ok, lambda p: p["status"].update(podIPs=[{"ip": "nope"}]))
    assert pairs(validate_status(bad_ip, old)) == [("status.podIPs[0]", I)]
    host_mismatch = tweak(ok, lambda p: p["status"].update(hostIP="172.18.0.12"))
    [err] = validate_status(host_mismatch, old)
    assert str(err) == 'status.hostIPs[0].ip: Invalid value: "172.18.0.11": must be equal to `hostIP`'
    moved = tweak(ok, lambda p: p["spec"].update(nodeName="n1"))
    assert pairs(validate_status(moved, old)) == [("status.nodeName", F)]
    bad_cond = tweak(ok, lambda p: p["status"]["conditions"].append({"type": "bad type", "status": "True"}))
    assert pairs(validate_status(bad_cond, old)) == [("metadata.conditions[1].Type", I)]
    never = tweak(old, lambda p: p["spec"].update(restartPolicy="Never"))
    done = tweak(
        never,
        lambda p: p.update(
            status={"containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0}}}]}
        ),
    )
    revived = tweak(
        never, lambda p: p.update(status={"containerStatuses": [{"name": "app", "state": {"running": {}}}]})
    )
    assert pairs(validate_status(revived, done)) == [("status.containerStatuses[0].state", F)]


# --------------------------------------------------------------------------- Node

NODE: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}, "spec": {}}

NODE_CASES = [
    ("valid", lambda n: None, []),
    (
        "valid-dual-stack-cidrs",
        lambda n: n["spec"].update(podCIDRs=["10.244.1.0/24", "fd00:10:244:1::/64"]),
        [],
    ),
    (
        "valid-taint",
        lambda n: n["spec"].update(taints=[{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]),
        [],
    ),
    ("namespace-forbidden", lambda n: n["metadata"].update(namespace="default"), [("metadata.namespace", F)]),
    ("bad-name", lambda n: n["metadata"].update(name="Node_1"), [("metadata.name", I)]),
    ("bad-cidr", lambda n: n["spec"].update(podCIDRs=["10.244.1.0/33"]), [("spec.podCIDRs[0]", I)]),
    (
        "two-cidrs-same-family",
        lambda n: n["spec"].update(podCIDRs=["10.244.1.0/24", "10.244.2.0/24"]),
        [("spec.podCIDRs", I)],
    ),
    (
        "duplicate-cidrs",
        lambda n: n["spec"].update(podCIDRs=["10.244.1.0/24", "10.244.1.0/24"]),
        [("spec.podCIDRs", I), ("spec.podCIDRs[1]", D)],
    ),
    (
        "taint-bad-key",
        lambda n: n["spec"].update(taints=[{"key": "bad key", "effect": "NoSchedule"}]),
        [("spec.taints[0].key", I)],
    ),
    (
        "taint-effect-required",
        lambda n: n["spec"].update(taints=[{"key": "k"}]),
        [("spec.taints[0].effect", R)],
    ),
    (
        "taint-effect-unsupported",
        lambda n: n["spec"].update(taints=[{"key": "k", "effect": "Never"}]),
        [("spec.taints[0].effect", NS)],
    ),
    (
        "taint-duplicate",
        lambda n: n["spec"].update(
            taints=[{"key": "k", "effect": "NoSchedule"}, {"key": "k", "value": "2", "effect": "NoSchedule"}]
        ),
        [("spec.taints[1]", D)],
    ),
]


@pytest.mark.parametrize(("fn", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in NODE_CASES])
def test_validate_node(fn, expected):
    assert pairs(validate(tweak(NODE, fn))) == expected


def test_node_update_rules():
    old = tweak(
        NODE,
        lambda n: (
            n["metadata"].update(resourceVersion="1"),
            n["spec"].update(podCIDRs=["10.244.1.0/24"], providerID="kubesvc://n1"),
        ),
    )
    assert validate(tweak(old, lambda n: n["spec"].update(unschedulable=True)), old) == []
    [err] = validate(tweak(old, lambda n: n["spec"].update(podCIDRs=["10.244.9.0/24"])), old)
    assert str(err) == 'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'
    assert pairs(validate(tweak(old, lambda n: n["spec"].update(providerID="x://y")), old)) == [
        ("spec.providerID", F)
    ]
    unset = tweak(NODE, lambda n: n["metadata"].update(resourceVersion="1"))
    assert validate(tweak(unset, lambda n: n["spec"].update(podCIDRs=["10.244.1.0/24"])), unset) == []
    dup_addr = tweak(
        old, lambda n: n.update(status={"addresses": [{"type": "InternalIP", "address": "1.2.3.4"}] * 2})
    )
    assert pairs(validate_status(dup_addr, old)) == [("status.addresses[1]", D)]


# --------------------------------------------------------------------------- Namespace

NSOBJ: Obj = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "team-a"},
    "spec": {"finalizers": ["kubernetes"]},
}


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(lambda n: None, [], id="valid"),
        pytest.param(
            lambda n: n["metadata"].update(name="team.a"), [("metadata.name", I)], id="name-is-label"
        ),
        pytest.param(
            lambda n: n["spec"].update(finalizers=["custom"]),
            [("spec.finalizers[0]", I)],
            id="finalizer-not-qualified",
        ),
        pytest.param(lambda n: n["spec"].update(finalizers=["example.com/x"]), [], id="finalizer-qualified"),
    ],
)
def test_validate_namespace(fn, expected):
    assert pairs(validate(tweak(NSOBJ, fn))) == expected


def test_namespace_status_and_finalize():
    old = tweak(NSOBJ, lambda n: n["metadata"].update(resourceVersion="1"))
    active = tweak(old, lambda n: n.update(status={"phase": "Active"}))
    assert validate_status(active, old) == []
    [err] = validate_status(tweak(old, lambda n: n.update(status={"phase": "Terminating"})), old)
    assert (
        str(err)
        == "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"
    )
    assert pairs(
        validate_namespace_finalize(tweak(old, lambda n: n["spec"].update(finalizers=["bad"])), old)
    ) == [("spec.finalizers[0]", I)]


# --------------------------------------------------------------------------- Event

CORE_EVENT: Obj = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "web.1", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
    "reason": "Started",
    "message": "started",
    "source": {"component": "kubelet"},
    "type": "Normal",
}

NEW_EVENT: Obj = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web.2", "namespace": "default"},
    "eventTime": "2024-01-01T00:00:00.000000Z",
    "reportingController": "kubesvc.io/agent",
    "reportingInstance": "agent-node-1",
    "action": "Started",
    "reason": "Started",
    "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
    "note": "started",
    "type": "Normal",
}

EVENT_CASES = [
    ("core-valid", CORE_EVENT, lambda e: None, []),
    (
        "core-namespace-mismatch",
        CORE_EVENT,
        lambda e: e["involvedObject"].update(namespace="other"),
        [("involvedObject.namespace", I)],
    ),
    ("core-cluster-object-in-default", CORE_EVENT, lambda e: e["involvedObject"].pop("namespace"), []),
    ("core-names-are-not-checked", CORE_EVENT, lambda e: e["metadata"].update(name="Any_Name"), []),
    (
        "core-new-style-needs-reporting",
        CORE_EVENT,
        lambda e: e.update(eventTime="2024-01-01T00:00:00.000000Z"),
        [
            ("reportingComponent", R),
            ("reportingComponent", I),  # "name part must be non-empty"
            ("reportingComponent", I),  # and the regex message, as upstream
            ("reportingInstance", R),
            ("action", R),
        ],
    ),
    ("new-valid", NEW_EVENT, lambda e: None, []),
    (
        "new-event-time-required",
        NEW_EVENT,
        lambda e: e.pop("eventTime"),
        [("eventTime", R)],
    ),
    ("new-bad-type", NEW_EVENT, lambda e: e.update(type="Info"), [("type", I)]),
    ("new-deprecated-count-set", NEW_EVENT, lambda e: e.update(deprecatedCount=3), [("count", I)]),
    ("new-source-set", NEW_EVENT, lambda e: e.update(deprecatedSource={"component": "x"}), [("source", I)]),
    ("new-note-too-long", NEW_EVENT, lambda e: e.update(note="x" * 1025), [("message", I)]),
    ("new-action-required", NEW_EVENT, lambda e: e.update(action=""), [("action", R)]),
    (
        "new-bad-controller",
        NEW_EVENT,
        lambda e: e.update(reportingController="bad controller"),
        [("reportingController", I)],
    ),
    (
        "new-series",
        NEW_EVENT,
        lambda e: e.update(series={"count": 1}),
        [("series.count", I), ("series.lastObservedTime", R)],
    ),
    ("new-bad-name", NEW_EVENT, lambda e: e["metadata"].update(name="Bad"), [("metadata.name", I)]),
]


@pytest.mark.parametrize(
    ("base", "fn", "expected"), [pytest.param(c[1], c[2], c[3], id=c[0]) for c in EVENT_CASES]
)
def test_validate_event(base, fn, expected):
    assert pairs(validate(tweak(base, fn))) == expected


def test_event_update_rules():
    old = tweak(NEW_EVENT, lambda e: e["metadata"].update(resourceVersion="1"))
    assert (
        validate(
            tweak(
                old,
                lambda e: e.update(series={"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"}),
            ),
            old,
        )
        == []
    )
    assert pairs(validate(tweak(old, lambda e: e.update(note="changed")), old)) == [("message", I)]
    assert validate(tweak(old, lambda e: e.update(eventTime="2024-01-01T00:00:00.000000100Z")), old) == []
    core_old = tweak(CORE_EVENT, lambda e: e["metadata"].update(resourceVersion="1"))
    # core v1 updates only get the legacy checks (count and lastTimestamp move on every repeat)
    assert validate(tweak(core_old, lambda e: e.update(count=5, message="again")), core_old) == []


# --------------------------------------------------------------------------- Lease

LEASE: Obj = {
    "apiVersion": "coordination.k8s.io/v1",
    "kind": "Lease",
    "metadata": {"name": "kubesvc-controller-manager", "namespace": "kube-system"},
    "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 0},
}


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(lambda s: None, [], id="valid"),
        pytest.param(
            lambda s: s.update(leaseDurationSeconds=0),
            [("spec.leaseDurationSeconds", I)],
            id="duration-positive",
        ),
        pytest.param(
            lambda s: s.update(leaseTransitions=-1),
            [("spec.leaseTransitions", I)],
            id="transitions-nonnegative",
        ),
        pytest.param(
            lambda s: s.update(strategy="OldestEmulationVersion", preferredHolder="b"), [], id="strategy-ok"
        ),
        pytest.param(
            lambda s: s.update(strategy="Newest"), [("spec.strategy.strategy", NS)], id="strategy-unknown"
        ),
        pytest.param(lambda s: s.update(strategy="example.com/mine"), [], id="strategy-prefixed"),
        pytest.param(
            lambda s: s.update(preferredHolder="b"),
            [("spec.preferredHolder", F)],
            id="preferred-needs-strategy",
        ),
    ],
)
def test_validate_lease(fn, expected):
    assert pairs(validate(tweak(LEASE, lambda lease: fn(lease["spec"])))) == expected


def test_lease_messages():
    [err] = validate(tweak(LEASE, lambda lease: lease["spec"].update(leaseDurationSeconds=0)))
    assert str(err) == "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"


# --------------------------------------------------------------------------- dispatcher


def test_generic_name_rules_apply_after_kind_rules():
    # a name the kind's own rule accepts but no URL path can hold (Events skip name rules)
    ev = tweak(CORE_EVENT, lambda e: e["metadata"].update(name="a%b"))
    [err] = validate(ev)
    assert str(err) == "metadata.name: Invalid value: \"a%b\": may not contain '%'"


def test_unknown_kind_gets_generic_checks_only():
    obj = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "..", "namespace": "d"}}
    assert pairs(validate(obj)) == [("metadata.name", I)]


def test_service_dispatches_to_service_rules():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "my_svc", "namespace": "default"},
        "spec": {
            "type": "ClusterIP",
            "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster",
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        },
    }
    errs = validate(svc)
    assert ("metadata.name", I) in pairs(errs)
    assert any("a DNS-1035 label" in e.detail for e in errs)
