"""Field selectors: grammar, escaping, upstream's error texts, per-kind supported fields and
matching against objects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api import fieldselector as fs
from kubesvc.api.fieldselector import FieldSelectorError


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param("", "", id="empty"),
        pytest.param("metadata.name=x", "metadata.name=x", id="equals"),
        pytest.param("metadata.name==x", "metadata.name=x", id="double-equals"),
        pytest.param("spec.nodeName!=", "spec.nodeName!=", id="not-equals-empty"),
        pytest.param("b=1,a=2", "a=2,b=1", id="terms-sorted"),
        pytest.param(r"metadata.name=a\,b\=c\\d", r"metadata.name=a\,b\=c\\d", id="escapes"),
        pytest.param("a=1,,b=2", "a=1,b=2", id="empty-term-skipped"),
    ],
)
def test_parse_and_render(text, rendered):
    assert str(fs.parse(text)) == rendered


def test_escaped_value_is_unescaped():
    [req] = fs.parse(r"metadata.name=a\,b").requirements
    assert req.value == "a,b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'", id="no-op"
        ),
        pytest.param(r"a=b\x", r"invalid field selector: invalid escape sequence: \x", id="bad-escape"),
        pytest.param("a=b\\", "invalid field selector: invalid escape sequence: \\", id="trailing-backslash"),
        pytest.param(
            "a=b=c", "invalid field selector: unescaped character in value: 61", id="unescaped-equals"
        ),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(FieldSelectorError) as exc:
        fs.parse(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("api_version", "kind", "label", "result"),
    [
        pytest.param("v1", "Pod", "spec.nodeName", "spec.nodeName", id="pod-node-name"),
        pytest.param("v1", "Pod", "spec.host", "spec.nodeName", id="pod-legacy-host"),
        pytest.param("v1", "Pod", "status.podIP", "status.podIP", id="pod-ip"),
        pytest.param("v1", "Pod", "spec.foo", "field label not supported: spec.foo", id="pod-unsupported"),
        pytest.param("v1", "Node", "spec.unschedulable", "spec.unschedulable", id="node-unschedulable"),
        pytest.param(
            "v1",
            "Node",
            "metadata.namespace",
            "field label not supported: metadata.namespace",
            id="node-namespace",
        ),
        pytest.param("v1", "Namespace", "status.phase", "status.phase", id="namespace-phase"),
        pytest.param("v1", "Service", "spec.clusterIP", "spec.clusterIP", id="service-cluster-ip"),
        pytest.param(
            "v1", "Service", "spec.ports", "field label not supported: spec.ports", id="service-unsupported"
        ),
        pytest.param("v1", "Event", "involvedObject.name", "involvedObject.name", id="event-involved"),
        pytest.param(
            "discovery.k8s.io/v1",
            "EndpointSlice",
            "addressType",
            '"addressType" is not a known field selector: only "metadata.name", "metadata.namespace"',
            id="default-conversion",
        ),
        pytest.param("coordination.k8s.io/v1", "Lease", "metadata.name", "metadata.name", id="lease-name"),
        pytest.param(
            "events.k8s.io/v1", "Event", "regarding.name", "involvedObject.name", id="events-v1-regarding"
        ),
        pytest.param(
            "events.k8s.io/v1",
            "Event",
            "reportingController",
            "reportingComponent",
            id="events-v1-controller",
        ),
        pytest.param(
            "events.k8s.io/v1",
            "Event",
            "involvedObject.name",
            "field label not supported: involvedObject.name",
            id="events-v1-core-name-rejected",
        ),
    ],
)
def test_convert_field_label(api_version, kind, label, result):
    try:
        got = fs.convert_field_label(api_version, kind, label)
    except FieldSelectorError as exc:
        got = str(exc)
    assert got == result


def _pod(node: str = "", phase: str = "Running", ip: str = "10.0.0.1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"nodeName": node, "restartPolicy": "Always"},
        "status": {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}]},
    }


@pytest.mark.parametrize(
    ("text", "obj", "want"),
    [
        pytest.param("spec.nodeName=", _pod(), True, id="unscheduled"),
        pytest.param("spec.nodeName=n1", _pod("n1"), True, id="on-node"),
        pytest.param("spec.nodeName!=n1", _pod("n1"), False, id="not-on-node"),
        pytest.param("status.phase=Running,metadata.namespace=ns", _pod(), True, id="and"),
        pytest.param("status.podIP=10.0.0.1", _pod(), True, id="pod-ip"),
        pytest.param("spec.hostNetwork=false", _pod(), True, id="host-network-default-false"),
    ],
)
def test_matches_object(text, obj, want):
    sel = fs.convert_selector(fs.parse(text), "v1", "Pod")
    assert fs.matches_object(sel, obj) is want


def test_event_and_service_fields():
    ev = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "reason": "Started",
        "source": {"component": "kubelet"},
        "reportingComponent": "kubelet",
        "type": "Normal",
    }
    fields = fs.selectable_fields(ev)
    assert fields["involvedObject.kind"] == "Pod"
    assert fields["source"] == "kubelet"
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "d"},
        "spec": {"type": "NodePort"},
    }
    assert fs.matches_object(fs.parse("spec.type=NodePort"), svc)
    new_ev = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "ns"},
        "regarding": {"kind": "Pod", "name": "p"},
        "reportingController": "kubesvc.io/agent",
    }
    sel = fs.convert_selector(
        fs.parse("regarding.name=p,reportingController=kubesvc.io/agent"), "events.k8s.io/v1", "Event"
    )
    assert fs.matches_object(sel, new_ev)
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {"unschedulable": True}}
    assert fs.selectable_fields(node, namespaced=False) == {
        "metadata.name": "n",
        "spec.unschedulable": "true",
    }


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab,=\\!x", max_size=12))
def test_escape_round_trip(value):
    sel = fs.one_term_equal("metadata.name", value)
    [req] = fs.parse(str(sel)).requirements
    assert req.value == value
